"""The columns of a sites list as people name them (Thai or English), and the address column found by content.

Pure: a header row and some rows in, the column each field comes from out.
"""

from __future__ import annotations

import re

FIELDS = ("url", "name", "province", "district", "type")

# What people head each column with, compared without spaces, dots, brackets or case.
ALIASES: dict[str, tuple[str, ...]] = {
    "url": ("url", "urls", "website", "web", "websiteurl", "site", "homepage", "link", "domain", "address",
            "เว็บไซต์", "เว็บ", "เวบไซต์", "เว็ปไซต์", "เว็บไซท์", "ที่อยู่เว็บไซต์", "ที่อยู่เว็บ", "ที่อยู่url",
            "urlเว็บไซต์", "เว็บไซต์หน่วยงาน", "ลิงก์", "ลิงค์", "ลิ้งค์", "ลิงก์เว็บไซต์", "ลิงค์เว็บไซต์", "โดเมน",
            "ชื่อโดเมน", "โฮมเพจ"),
    "name": ("name", "agency", "organization", "organisation", "ชื่อหน่วยงาน", "หน่วยงาน", "ชื่อ", "ชื่ออปท",
             "อปท", "ชื่อองค์กรปกครองส่วนท้องถิ่น", "องค์กรปกครองส่วนท้องถิ่น", "ชื่อเทศบาล", "เทศบาล",
             "ชื่อส่วนราชการ", "ส่วนราชการ"),
    "province": ("province", "changwat", "จังหวัด", "จ"),
    "district": ("district", "amphoe", "amphur", "อำเภอ", "อ", "เขต", "อำเภอเขต"),
    "type": ("type", "kind", "ประเภท", "ประเภทหน่วยงาน", "ประเภทอปท", "รูปแบบ", "ขนาด"),
}
# A header that contains one of these (longest first) names the field, when no header is exactly an alias.
CONTAINS: dict[str, tuple[str, ...]] = {
    "url": ("เว็บไซต์", "url", "website", "ลิงก์", "ลิงค์", "โดเมน"),
    "name": ("ชื่อหน่วยงาน", "หน่วยงาน", "name"),
    "province": ("จังหวัด", "province"),
    "district": ("อำเภอ", "district"),
    "type": ("ประเภท", "type"),
}

_SQUEEZE = re.compile(r"[\s.()\[\]{}:_\-/\\*#'\"]+")
_WEB = re.compile(r"^(?:https?://)?(?:[a-z0-9-]+\.)+(?:[a-z]{2,}|xn--[a-z0-9-]+)(?::\d+)?(?:[/?#]\S*)?$",
                  re.IGNORECASE)
_IP = re.compile(r"^(?:https?://)(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?(?:[/?#]\S*)?$", re.IGNORECASE)


def squeeze(header: str) -> str:
    """A header as compared: no BOM, spaces, dots or brackets, lower case."""
    return _SQUEEZE.sub("", (header or "").replace("\ufeff", "")).lower()


def looks_like_web_address(cell: str) -> bool:
    """`www.x.go.th`, `https://x.go.th/path`, `http://127.0.0.1:8080/`: a web address, not a name or a number."""
    cell = (cell or "").strip()
    if not cell or " " in cell or len(cell) > 2000:
        return False
    if "://" in cell:
        return cell.lower().startswith(("http://", "https://")) and bool(_WEB.match(cell) or _IP.match(cell))
    return bool(_WEB.match(cell)) and not re.fullmatch(r"[\d.]+", cell)


def by_name(header: list[str]) -> dict[str, int]:
    """The column index of each field its header names (exact alias first, then a header containing one)."""
    keys = [squeeze(h) for h in header]
    out: dict[str, int] = {}
    for field in FIELDS:
        aliases = {squeeze(a) for a in ALIASES[field]}
        idx = next((i for i, k in enumerate(keys) if k in aliases and i not in out.values()), None)
        if idx is None:
            idx = next((i for i, k in enumerate(keys) for part in CONTAINS[field]
                        if k and part in k and i not in out.values()), None)
        if idx is not None:
            out[field] = idx
    return out


def by_content(rows: list[list[str]], taken: set[int] = frozenset()) -> int | None:  # type: ignore[assignment]
    """The column whose non-empty cells are mostly web addresses (at least half, and at least one), or None."""
    best, best_share = None, 0.0
    width = max((len(r) for r in rows), default=0)
    for i in range(width):
        if i in taken:
            continue
        cells = [r[i].strip() for r in rows if i < len(r) and r[i].strip()]
        if not cells:
            continue
        share = sum(looks_like_web_address(c) for c in cells) / len(cells)
        if share >= 0.5 and share > best_share:
            best, best_share = i, share
    return best


def is_header(row: list[str]) -> bool:
    """A first row that holds no web address is a header; one that does is already a site (no header)."""
    return not any(looks_like_web_address(c) for c in row)
