"""Required elements of an item (checklist `requires`), checked in the evidence's text and shape."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from .checklist import Requirement
from .dates import Mention
from .models import MONTHS_TH_SHORT, Page
from .patterns import first_match
from .thai import key

SOCIAL = {"facebook.com": "Facebook", "fb.com": "Facebook", "fb.me": "Facebook", "line.me": "LINE",
          "lin.ee": "LINE", "youtube.com": "YouTube", "youtu.be": "YouTube", "twitter.com": "X",
          "x.com": "X", "instagram.com": "Instagram", "tiktok.com": "TikTok"}
FORM_HOSTS = ("forms.gle", "docs.google.com", "forms.office.com", "line.me", "lin.ee", "m.me", "messenger.com",
              "jotform.com", "surveymonkey.com")
MAP_HOSTS = ("maps.google", "google.com/maps", "goo.gl/maps", "maps.app.goo.gl", "openstreetmap.org")
FISCAL_MONTHS = MONTHS_TH_SHORT[9:] + MONTHS_TH_SHORT[:9]  # October first


@dataclass
class Evidence:
    """What is known of the chosen evidence: its text, its page (if HTML) and the site's links."""

    text: str
    page: Page | None = None
    mentions: list[Mention] = field(default_factory=list)
    site_links: list[str] = field(default_factory=list)


def _host_in(url: str, hosts: tuple[str, ...] | set[str]) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) or h in url.lower() for h in hosts)


def _form(ev: Evidence) -> bool:
    """A working online channel: a form with fields, or a link to an online form or chat."""
    page = ev.page
    if page is not None and page.forms and page.inputs:
        return True
    links = [lk.url for lk in page.links] if page is not None else []
    return any(_host_in(u, FORM_HOSTS) for u in links)


def _image(ev: Evidence) -> bool:
    return ev.page is not None and ev.page.images > 0


def _map(ev: Evidence) -> bool:
    links = [lk.url for lk in ev.page.links] if ev.page is not None else []
    return any(_host_in(u, MAP_HOSTS) for u in links)


def social_accounts(urls: list[str]) -> list[str]:
    """Platforms the site links to (Facebook, LINE, YouTube ...), share buttons left out."""
    found = []
    for u in urls:
        if any(s in u.lower() for s in ("sharer", "share.php", "/share", "intent/tweet", "plugins")):
            continue
        host = (urlsplit(u).hostname or "").lower()
        name = next((n for h, n in SOCIAL.items() if host == h or host.endswith("." + h)), None)
        if name and name not in found:
            found.append(name)
    return found


def fiscal_months(mentions: list[Mention], year_be: int) -> list[tuple[int, int]]:
    """(CE year, month) of fiscal year Y named one by one (dates or months), in fiscal order."""
    start, end = date(year_be - 544, 10, 1), date(year_be - 543, 9, 30)
    months = set()
    for m in mentions:
        if m.kind in ("date", "month") and start <= m.start <= end:
            months.add((m.start.year, m.start.month))
    return sorted(months)


def month_gaps(mentions: list[Mention], year_be: int) -> tuple[int, list[str]]:
    """How many fiscal-year months have a summary, and the missing ones up to the latest found."""
    months = fiscal_months(mentions, year_be)
    if not months:
        return 0, []
    order = [((year_be - 544) if m >= 10 else (year_be - 543), m) for m in (10, 11, 12, *range(1, 10))]
    last = order.index(months[-1])
    missing = [f"{FISCAL_MONTHS[i]} {y + 543}" for i, (y, m) in enumerate(order[: last + 1]) if (y, m) not in months]
    return len(months), missing


# a person's name: a Thai title, a given name and a family name ("นายสมเกียรติ วงษ์ลา"); not the word นายก (mayor)
PERSON = re.compile(r"(?:นางสาว|นาง|นาย|น\.ส\.|ว่าที่\s?ร\.?ต\.?|ดร\.|ร\.ต\.)\s?(?!ก(?:เทศ|องค์|\s|ฯ|อบ|รัฐ))"
                    r"[ก-ฮเแโใไ][\u0e00-\u0e7f]{1,24}\s+[ก-ฮเแโใไ][\u0e00-\u0e7f]{1,30}")


def person(text: str) -> str | None:
    """The first person's name the text shows, or None."""
    m = PERSON.search(text[:20_000])
    return m.group(0) if m else None


def _person(ev: Evidence) -> bool:
    return person(ev.text) is not None


PAGE_CHECKS = {"form": _form, "image": _image, "map": _map, "person": _person}


def missing(requires: tuple[Requirement, ...], ev: Evidence, year_be: int) -> list[str]:
    """Names of the required elements the evidence does not show."""
    text_key = key(ev.text)
    out = []
    for req in requires:
        if req.check == "social":
            if not social_accounts(ev.site_links):
                out.append(req.name)
            continue
        if req.check == "months":
            found, gaps = month_gaps(ev.mentions, year_be)
            if found == 0:
                out.append(req.name)
            elif gaps:
                out.append(f"{req.name}: ขาด {', '.join(gaps)}")
            continue
        ok = bool(req.text) and first_match(req.text, text_key) is not None
        if not ok and req.check in PAGE_CHECKS:
            ok = PAGE_CHECKS[req.check](ev)
        if not ok:
            out.append(req.name)
    return out
