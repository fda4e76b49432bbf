"""One name per site: the name given (--name, the web form, the sites list), else a home page title that is
not generic ("หน้าแรก", "Home", "ยินดีต้อนรับ" ...), else the host name; and the one way a title is cut into its
parts (`title_parts`). Pure."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Titles that name a page, not the agency (compared without spaces, punctuation or case).
GENERIC = frozenset({
    "หน้าแรก", "หน้าหลัก", "หน้าแรกเว็บไซต์", "หน้าหลักเว็บไซต์", "ยินดีต้อนรับ", "ยินดีต้อนรับสู่เว็บไซต์", "เว็บไซต์",
    "เว็บไซต์หน่วยงาน", "หน้าเว็บ", "ข่าวประชาสัมพันธ์", "หน้าต้อนรับ", "ไม่มีชื่อ", "home", "homepage", "main",
    "mainpage", "index", "welcome", "welcometoourwebsite", "untitled", "untitleddocument", "document", "website",
    "newpage", "page", "default", "intro", "indexhtml", "indexphp", "หน้าแรกhome", "homeหน้าแรก",
})
_SQUEEZE = re.compile(r"[^\w\u0e00-\u0e7f]+")  # Thai vowel and tone marks are kept
_PARTS = re.compile(r"\s+(?:[-|:»>]{1,2}|–|—)\s+|\s*[|»]\s*")
_WELCOME = re.compile(r"^(?:ยินดีต้อนรับ(?:เข้า)?สู่|ยินดีต้อนรับ|welcome\s+to)\s*(?:เว็บไซต์|website)?\s*", re.IGNORECASE)


def is_generic(name: str | None) -> bool:
    """A page's name ("หน้าแรก", "Home", "index.php") or nothing at all, rather than an agency's."""
    key = _squeeze(name)
    return not key or key in _GENERIC or key.isdigit()


def _squeeze(text: str | None) -> str:
    return _SQUEEZE.sub("", (text or "").lower())


_GENERIC = frozenset(_squeeze(g) for g in GENERIC)


def title_parts(title: str | None) -> list[str]:
    """A page title cut at its separators (" - ", " | ", " :: ", " » ", " – " ...): "O1 โครงสร้าง | อบต.ท่าข้าม"
    -> ["O1 โครงสร้าง", "อบต.ท่าข้าม"]."""
    return _PARTS.split((title or "").strip())


def from_title(title: str | None) -> str:
    """The agency's name in a home page title: its first part that is not generic ("หน้าแรก - เทศบาลตำบลบางปลา"
    -> "เทศบาลตำบลบางปลา", "ยินดีต้อนรับสู่เว็บไซต์ อบต.ท่าข้าม" -> "อบต.ท่าข้าม"); '' when every part is generic."""
    for part in title_parts(title):
        part = _WELCOME.sub("", part.strip()).strip(" -|:,")
        if not is_generic(part):
            return part[:120]
    return ""


def host_of(url: str | None) -> str:
    """The host name of a site's URL, without www."""
    host = urlsplit(url or "").hostname or ""
    return host[4:] if host.startswith("www.") else host


def pick(*names: str | None, url: str | None = None) -> str:
    """The first name given that is not generic, else the URL's host name."""
    return next((n.strip()[:200] for n in names if n and not is_generic(n)), "") or host_of(url)
