"""Does an item's evidence cover the period the checklist asks for?

Pure. `judge` takes the period an item needs (checklist `period:`), the assessment year Y (B.E.)
and the period mentions found in each source of the evidence (link text, page title, page text,
document text, file name ...), and says whether the evidence is current, stale or unknown.

How the evidence is judged:

* the best mention decides: higher strength first; among equal strength a statement of a period
  (fiscal year, range, month ...) before a single date, which is usually a posting stamp ("ข้อมูล ณ
  วันที่ 12 พ.ย. 2563" under "ประจำปีงบประมาณ 2563" is 2563 data, not FY 2564); then one that
  satisfies the period ("prefer the current one": a site often shows several years); then the one
  nearest the year wanted, then the earlier source. Weak URL/file-name years (strength <= 0.3) therefore decide
  only when nothing stronger was found;
* mentions of a fiscal year after Y+1 are ignored as typos or ids, except plan ranges;
* no mention at all is "unknown", never "stale";
* a best mention that does not satisfy the period is "stale" (the evidence shows a wrong period,
  usually an older one; a later one, e.g. เม.ย. 2565 for the first half of 2565, is stale too).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from crawler.dates import Mention, be, fiscal_year

__all__ = ["PERIODS", "Verdict", "describe", "expected_window", "judge", "mention_year"]

PERIODS = ("current", "in_year", "previous_year", "first_half", "covers_year", "exists")

_MONTHS = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")
_WEAK = 0.3
_SUPPORT = 0.6  # a mention this strong can vouch for a publication date (in_year)


@dataclass(frozen=True)
class Verdict:
    status: str  # "current" | "stale" | "unknown"
    expected: str  # Thai: the period needed
    found: str  # Thai: the best period found, "" when none
    found_year: int | None  # B.E. fiscal year the best mention is about, None when none
    where: str  # the source the best mention came from, "" when none
    reason: str  # Thai sentence an admin acts on; "" when current or exists


def expected_window(period: str, year_be: int) -> tuple[datetime.date, datetime.date] | None:
    """The dates the evidence should be about (CE); None for "exists"."""
    y = year_be
    if period == "exists":
        return None
    if period == "current":
        return fiscal_year(y - 1)[0], fiscal_year(y)[1]
    if period in ("in_year", "covers_year"):
        return fiscal_year(y)
    if period == "previous_year":
        return fiscal_year(y - 1)
    if period == "first_half":
        return fiscal_year(y)[0], datetime.date(y - 543, 3, 31)
    raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")


def _fy(day: datetime.date) -> int:
    """B.E. fiscal year a date falls in."""
    return be(day.year) + (1 if day.month >= 10 else 0)


def _fy_span(m: Mention) -> tuple[int, int]:
    """First and last fiscal year a mention is about."""
    if m.kind in ("fiscal_year", "year", "half", "year_range"):
        return _fy(m.start), _fy(m.end)
    if m.kind == "date_range":
        mid = m.start + (m.end - m.start) / 2
        return _fy(mid), _fy(mid)
    return _fy(m.start), _fy(m.start)


def mention_year(m: Mention, year_be: int) -> int:
    """The B.E. fiscal year a mention is about; for a range, the year in it nearest `year_be`."""
    first, last = _fy_span(m)
    return min(max(year_be, first), last)


def _target(period: str, y: int) -> int:
    return y - 1 if period == "previous_year" else y


def _short_range(m: Mention, y: int) -> bool:
    """A range of at most two fiscal years that includes y ("ปีงบประมาณ 2564-2565")."""
    first, last = _fy_span(m)
    return first <= y <= last and last - first <= 1


def _satisfies(period: str, y: int, m: Mention, backed: bool = False) -> bool:
    """Does m give the period asked? `backed`: some other mention (>= 0.6, not a date) says FY y."""
    first, last = _fy_span(m)
    fy = mention_year(m, y)
    if period == "exists":
        return True
    if period == "current":
        return last >= y - 1
    if period == "covers_year":
        return first <= y <= last
    if period == "in_year":
        if m.kind == "year_range":
            return _short_range(m, y)
        if fy == y:
            return True
        # a publication date early in FY Y+1 (Oct-Dec of Y) about year Y, when another mention says Y
        return backed and m.kind == "date" and m.start.year == y - 543 and m.start.month >= 10
    if period == "previous_year":
        if m.kind == "year_range":
            return _short_range(m, y - 1)
        return fy in (y - 1, y)
    if period == "first_half":
        if m.kind in ("fiscal_year", "year", "half"):
            return fy == y
        if m.kind == "year_range":
            return _short_range(m, y)
        lo, hi = expected_window("first_half", y)
        return lo <= m.start <= hi or (m.start <= lo and m.end >= hi)
    raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")


def _expected_text(period: str, y: int) -> str:
    if period == "exists":
        return "ไม่กำหนดช่วงเวลา"
    if period == "current":
        return f"ข้อมูลปัจจุบัน ({y - 1}-{y})"
    if period == "in_year":
        return f"ปีงบประมาณ {y}"
    if period == "previous_year":
        return f"ปีงบประมาณ {y - 1} (ปีที่แล้ว)"
    if period == "first_half":
        return f"6 เดือนแรกของปีงบประมาณ {y} (ต.ค. {y - 1} - มี.ค. {y})"
    if period == "covers_year":
        return f"แผนที่ครอบคลุมปี {y}"
    raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")


def _month(day: datetime.date) -> str:
    return f"{_MONTHS[day.month - 1]} {be(day.year)}"


def _day(day: datetime.date) -> str:
    return f"{day.day} {_month(day)}"


def describe(m: Mention) -> str:
    """A mention's period in short Thai: "2563", "ปีงบประมาณ 2565", "ต.ค. 2564 - มี.ค. 2565" ..."""
    first, last = _fy_span(m)
    if m.kind == "fiscal_year":
        return f"ปีงบประมาณ {last}"
    if m.kind == "year":
        return str(last)
    if m.kind == "year_range":
        return f"พ.ศ. {first}-{last}"
    if m.kind == "half":
        return f"6 เดือนแรกของปีงบประมาณ {last}"
    if m.kind == "month":
        return _month(m.start)
    if m.kind == "date_range":
        whole = m.start.day == 1 and (m.end + datetime.timedelta(days=1)).day == 1
        if whole:
            return _month(m.start) if (m.start.year, m.start.month) == (m.end.year, m.end.month) else (
                f"{_month(m.start)} - {_month(m.end)}")
        return f"{_day(m.start)} - {_day(m.end)}"
    return _day(m.start)


def _reason(period: str, y: int, m: Mention) -> str:
    first, last = _fy_span(m)
    said = f"ปี {mention_year(m, y)}" if m.kind in ("fiscal_year", "year") else f" {describe(m)}"
    if m.kind == "year_range":
        said = f" พ.ศ. {first}-{last}"
    if period == "covers_year":
        if m.kind == "year_range":
            verb = "ยังไม่ครอบคลุม" if first > y else "ไม่ครอบคลุม"
            return f"พบแผน{said} {verb}ปี {y}"
        return f"พบแผน{said} ต้องเป็นแผนที่ครอบคลุมปี {y}"
    if period == "previous_year":
        return f"พบรายงาน{said} ต้องเป็นรายงานปีงบประมาณ {y - 1}"
    if period == "first_half":
        return f"พบข้อมูล{said} ต้องเป็นรายงาน 6 เดือนแรกของปีงบประมาณ {y} (ต.ค. {y - 1} - มี.ค. {y})"
    if period == "current":
        return f"พบข้อมูล{said} ต้องเป็นข้อมูลปัจจุบัน (ปีงบประมาณ {y - 1} หรือ {y})"
    return f"พบข้อมูล{said} ต้องเป็นปีงบประมาณ {y}"


_EXPLICIT = 0.8  # a fiscal phrase, a month or a date; bare years and file names are weaker
# what the data is about (a fiscal year, a range) outranks when it was posted (a month, a day)
_KIND_RANK = {"fiscal_year": 2, "year_range": 2, "half": 2, "date_range": 2, "year": 1, "month": 1, "date": 0}


def _ignored(m: Mention, y: int) -> bool:
    """Fiscal years after Y+1 are typos or ids, unless a plan range."""
    return m.kind != "year_range" and _fy_span(m)[0] > y + 1


def judge(period: str, year_be: int, sources: list[tuple[str, list[Mention]]]) -> Verdict:
    """Current, stale or unknown, judged by the best mention over all sources."""
    y = year_be
    expected = _expected_text(period, y)
    pool = [(i, j, name, m) for i, (name, ms) in enumerate(sources) for j, m in enumerate(ms) if not _ignored(m, y)]
    backed = any(m.strength >= _SUPPORT and m.kind != "date" and _fy_span(m) == (y, y) for _, _, _, m in pool)
    target = _target(period, y)

    def rank(entry: tuple[int, int, str, Mention]) -> tuple:
        i, j, _, m = entry
        ok = _satisfies(period, y, m, backed)
        year = mention_year(m, target)
        plan = period == "covers_year" and m.kind == "year_range"  # a plan is judged by the years it covers
        # explicit mentions first, a publication date last; among those, the current one is preferred
        return (plan, m.strength >= _EXPLICIT, _KIND_RANK.get(m.kind, 1), ok, m.strength, -abs(year - target), year,
                -i, -j)

    if not pool:
        reason = "" if period == "exists" else (
            f"ไม่พบปีหรือช่วงเวลาของข้อมูล ตรวจดูว่าเป็น{expected} และระบุปีให้ชัด")
        return Verdict("current" if period == "exists" else "unknown", expected, "", None, "", reason)
    _, _, where, best = max(pool, key=rank)
    found, found_year = describe(best), mention_year(best, y)
    if period == "exists" or _satisfies(period, y, best, backed):
        return Verdict("current", expected, found, found_year, where, "")
    return Verdict("stale", expected, found, found_year, where, _reason(period, y, best))
