"""What an item requires, for a person: what to publish, for which period, where sites usually put it.

Pure, from the checklist: `oit explain O23`, the web app's item page and the HTML report's gap notes
all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checklist import Checklist, ChecklistError, Item, load
from .patterns import Pattern
from .period import rule
from .thai import key, strip_marks


@dataclass(frozen=True)
class Explanation:
    """One item explained for an assessment year."""

    id: str
    title: str
    group: str  # indicator · sub-indicator
    must_show: tuple[str, ...]
    period: str  # the period the data must cover, in Thai
    menus: tuple[str, ...]  # menus the item usually sits under
    labels: tuple[str, ...]  # link labels sites use for it
    gist: str
    confirmed: bool

    def text(self) -> str:
        """Plain Thai text for a terminal."""
        lines = [f"{self.id} {self.title}", f"  กลุ่ม: {self.group}", "  ต้องแสดง:"]
        lines += [f"    - {m}" for m in (self.must_show or (self.title,))]
        lines.append(f"  ช่วงเวลาของข้อมูล: {self.period}")
        if self.menus:
            lines.append(f"  มักอยู่ใต้เมนู: {', '.join(self.menus)}")
        lines.append(f"  ชื่อลิงก์ที่ใช้กันบ่อย: {', '.join(self.labels)}")
        lines.append(f"  ควรมีลิงก์จากหน้าแรกหรือหน้ารวมข้อมูล ITA/OIT ขึ้นต้นด้วยเลขข้อ เช่น “{self.id} {self.title}”")
        if not self.confirmed:
            lines.append("  รายการนี้ยังไม่ยืนยันจากคู่มือ ป.ป.ช.")
        return "\n".join(lines)


def labels(patterns: tuple[Pattern, ...], limit: int) -> tuple[str, ...]:
    """Labels an admin recognises from checklist patterns: no `a + b` rules, no vowel-less URL-slug spellings."""
    alts = [a.strip() for p in patterns if " + " not in p.source for a in p.source.split("|") if a.strip()]
    slugs = {bare for a in alts if (bare := strip_marks(a)) != a}  # marked words spelt without their marks
    shown: dict[str, str] = {}
    for a in alts:
        if a not in slugs:
            shown.setdefault(key(a), a)  # one spelling of each (ํา and ำ, spaces)
    return tuple(shown.values())[:limit]


def explain(item: Item, year: int) -> Explanation:
    """The item's requirements for assessment year `year` (B.E.)."""
    return Explanation(item.id, item.title, " · ".join(x for x in (item.indicator, item.sub_indicator) if x),
                       item.must_show, rule(item.period).expected(year), labels(item.context, 10),
                       labels(item.phrases, 14), item.gist, getattr(item, "confirmed", True))


def for_result(doc: dict) -> dict[str, Explanation]:
    """Every item of the checklist a stored run used, explained for its year (empty if the file is gone)."""
    checklist_doc = doc.get("checklist") or {}
    try:
        checklist: Checklist = load(checklist_doc.get("file"))
    except ChecklistError:  # the file moved or broke: the report is written without the notes
        return {}
    year = int(checklist_doc.get("year") or checklist.year)
    return {item.id: explain(item, year) for item in checklist.items}
