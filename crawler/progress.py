"""How far a scan has got, for people watching it: the terminal (oit scan) and the web app."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from .models import LinkRecord, PageRecord

ROBOTS = "robots.txt disallows this page"


@dataclass
class ScanProgress:
    """What one scan has done so far: pages of the budget, the section being read, items seen, time."""

    url: str
    budget: int
    pages: int = 0
    section: list[str] = field(default_factory=list)  # click path of the page just read
    items: set[str] = field(default_factory=set)  # items a link already names confidently
    started: float | None = None
    run_id: int | None = None  # known from the first page on
    last: float | None = None  # when the last page was read

    def page(self, record: PageRecord, links: list[LinkRecord]) -> None:
        """The crawl's on_page hook: count the page, note where it is, look at its new links."""
        if record.error == ROBOTS:
            return
        self.pages += 1
        self.last = time.monotonic()
        self.section = list(record.crumbs)
        for lk in links:
            if not lk.offsite:
                self.items.update(lk.found)  # as the crawler scored the link, in its page

    def as_dict(self) -> dict:
        now = time.monotonic()
        elapsed = now - self.started if self.started else 0.0
        return {"pages": self.pages, "budget": self.budget, "section": " > ".join(self.section),
                "items": sorted(self.items, key=lambda i: int(i[1:]) if i[1:].isdigit() else 999),
                "elapsed": round(elapsed), "idle": round(now - self.last) if self.last else 0}

    def line(self) -> str:
        """One line for a terminal or a log."""
        d = self.as_dict()
        if not self.pages:
            return f"{self.url}: รอหน้าแรก ({d['elapsed']} วินาที)"
        section = d["section"][-60:]
        return (f"{self.url}: อ่าน {d['pages']}/{d['budget']} หน้า, เห็นลิงก์ {len(d['items'])} ข้อ, "
                f"{d['elapsed']} วินาที" + (f", กำลังอ่าน: {section}" if section else ""))
