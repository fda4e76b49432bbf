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
from collections.abc import Callable
from dataclasses import dataclass

from .dates import Mention, be, fiscal_year
from .models import MONTHS_TH_SHORT, PERIODS, PeriodVerdict

__all__ = ["PERIODS", "RULES", "describe", "expected_window", "judge", "mention_year"]

_WEAK = 0.3
_SUPPORT = 0.6  # a mention this strong can vouch for a publication date (in_year)


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


def _short_range(m: Mention, y: int) -> bool:
    """A range of at most two fiscal years that includes y ("ปีงบประมาณ 2564-2565")."""
    first, last = _fy_span(m)
    return first <= y <= last and last - first <= 1


def _month(day: datetime.date) -> str:
    return f"{MONTHS_TH_SHORT[day.month - 1]} {be(day.year)}"


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


def _said(m: Mention, y: int) -> str:
    """How a reason names what was found: "ปี 2563", " พ.ศ. 2560-2562", " ต.ค. 2564 - มี.ค. 2565"."""
    first, last = _fy_span(m)
    if m.kind == "year_range":
        return f" พ.ศ. {first}-{last}"
    return f"ปี {mention_year(m, y)}" if m.kind in ("fiscal_year", "year") else f" {describe(m)}"


def _in_year(y: int, m: Mention, backed: bool) -> bool:
    if m.kind == "year_range":
        return _short_range(m, y)
    if mention_year(m, y) == y:
        return True
    # a publication date early in FY Y+1 (Oct-Dec of Y) about year Y, when another mention says Y
    return backed and m.kind == "date" and m.start.year == y - 543 and m.start.month >= 10


def _first_half(y: int, m: Mention, backed: bool) -> bool:
    if m.kind in ("fiscal_year", "year", "half"):
        return mention_year(m, y) == y
    if m.kind == "year_range":
        return _short_range(m, y)
    lo, hi = fiscal_year(y)[0], datetime.date(y - 543, 3, 31)
    return lo <= m.start <= hi or (m.start <= lo and m.end >= hi)


def _covers_reason(y: int, m: Mention) -> str:
    if m.kind == "year_range":
        verb = "ยังไม่ครอบคลุม" if _fy_span(m)[0] > y else "ไม่ครอบคลุม"
        return f"พบแผน{_said(m, y)} {verb}ปี {y}"
    return f"พบแผน{_said(m, y)} ต้องเป็นแผนที่ครอบคลุมปี {y}"


@dataclass(frozen=True)
class Rule:
    """What one period asks of evidence for assessment year y (B.E.)."""

    window: Callable[[int], tuple[datetime.date, datetime.date] | None]  # the dates the data should be about (CE)
    expected: Callable[[int], str]  # the period needed, in Thai
    satisfies: Callable[[int, Mention, bool], bool]  # (y, mention, backed by another mention of FY y)
    reason: Callable[[int, Mention], str]  # why a mention does not do, in Thai
    target: int = 0  # the fiscal year aimed at, relative to y


RULES: dict[str, Rule] = {
    "exists": Rule(lambda y: None, lambda y: "ไม่กำหนดช่วงเวลา", lambda y, m, b: True, lambda y, m: ""),
    "current": Rule(lambda y: (fiscal_year(y - 1)[0], fiscal_year(y)[1]),
                    lambda y: f"ข้อมูลปัจจุบัน ({y - 1}-{y})",
                    lambda y, m, b: _fy_span(m)[1] >= y - 1,
                    lambda y, m: f"พบข้อมูล{_said(m, y)} ต้องเป็นข้อมูลปัจจุบัน (ปีงบประมาณ {y - 1} หรือ {y})"),
    "in_year": Rule(fiscal_year, lambda y: f"ปีงบประมาณ {y}", _in_year,
                    lambda y, m: f"พบข้อมูล{_said(m, y)} ต้องเป็นปีงบประมาณ {y}"),
    "previous_year": Rule(lambda y: fiscal_year(y - 1), lambda y: f"ปีงบประมาณ {y - 1} (ปีที่แล้ว)",
                          lambda y, m, b: (_short_range(m, y - 1) if m.kind == "year_range"
                                           else mention_year(m, y) in (y - 1, y)),
                          lambda y, m: f"พบรายงาน{_said(m, y)} ต้องเป็นรายงานปีงบประมาณ {y - 1}", target=-1),
    "first_half": Rule(lambda y: (fiscal_year(y)[0], datetime.date(y - 543, 3, 31)),
                       lambda y: f"6 เดือนแรกของปีงบประมาณ {y} (ต.ค. {y - 1} - มี.ค. {y})", _first_half,
                       lambda y, m: (f"พบข้อมูล{_said(m, y)} ต้องเป็นรายงาน 6 เดือนแรกของปีงบประมาณ {y} "
                                     f"(ต.ค. {y - 1} - มี.ค. {y})")),
    "covers_year": Rule(fiscal_year, lambda y: f"แผนที่ครอบคลุมปี {y}",
                        lambda y, m, b: _fy_span(m)[0] <= y <= _fy_span(m)[1], _covers_reason),
}
assert set(RULES) == set(PERIODS), "one rule per period"


def rule(period: str) -> Rule:
    """The rule of a period; a clear error for an unknown one."""
    if period not in RULES:
        raise ValueError(f"unknown period {period!r}; expected one of {', '.join(PERIODS)}")
    return RULES[period]


def expected_window(period: str, year_be: int) -> tuple[datetime.date, datetime.date] | None:
    """The dates the evidence should be about (CE); None for "exists"."""
    return rule(period).window(year_be)


_EXPLICIT = 0.8  # a fiscal phrase, a month or a date; bare years and file names are weaker
# what the data is about (a fiscal year, a range) outranks when it was posted (a month, a day)
_KIND_RANK = {"fiscal_year": 2, "year_range": 2, "half": 2, "date_range": 2, "year": 1, "month": 1, "date": 0}


def _ignored(m: Mention, y: int) -> bool:
    """Fiscal years after Y+1 are typos or ids, unless a plan range."""
    return m.kind != "year_range" and _fy_span(m)[0] > y + 1


def judge(period: str, year_be: int, sources: list[tuple[str, list[Mention]]]) -> PeriodVerdict:
    """Current, stale or unknown, judged by the best mention over all sources."""
    y = year_be
    r = rule(period)
    expected = r.expected(y)
    pool = [(i, j, name, m) for i, (name, ms) in enumerate(sources) for j, m in enumerate(ms) if not _ignored(m, y)]
    backed = any(m.strength >= _SUPPORT and m.kind != "date" and _fy_span(m) == (y, y) for _, _, _, m in pool)
    target = y + r.target

    def rank(entry: tuple[int, int, str, Mention]) -> tuple:
        i, j, _, m = entry
        ok = r.satisfies(y, m, backed)
        year = mention_year(m, target)
        plan = period == "covers_year" and m.kind == "year_range"  # a plan is judged by the years it covers
        # explicit mentions first, a publication date last; among those, the current one is preferred
        return (plan, m.strength >= _EXPLICIT, _KIND_RANK.get(m.kind, 1), ok, m.strength, -abs(year - target), year,
                -i, -j)

    if not pool:
        reason = "" if period == "exists" else (
            f"ไม่พบปีหรือช่วงเวลาของข้อมูล ตรวจดูว่าเป็น{expected} และระบุปีให้ชัด")
        return PeriodVerdict("current" if period == "exists" else "unknown", expected, "", None, "", reason)
    _, _, where, best = max(pool, key=rank)
    found, found_year = describe(best), mention_year(best, y)
    if period == "exists" or r.satisfies(y, best, backed):
        return PeriodVerdict("current", expected, found, found_year, where, "")
    return PeriodVerdict("stale", expected, found, found_year, where, r.reason(y, best))


# ------------------------------------------------------------------------------------ not due yet


def due_after(period: str, year_be: int) -> datetime.date | None:
    """The last day of the period an item reports on, when its evidence can only be published after that day:
    the first half of FY Y ends 31 Mar Y, the previous fiscal year 30 Sep Y-1. None: the evidence is due from the
    start of the year (plans, current data, things that simply exist)."""
    if period == "first_half":
        return datetime.date(year_be - 543, 3, 31)
    if period == "previous_year":
        return fiscal_year(year_be - 1)[1]
    return None


def not_yet_due(period: str, year_be: int, today: datetime.date) -> str | None:
    """"ยังไม่ถึงกำหนด: เผยแพร่หลัง 31 มี.ค. 2570" when the period has not ended on `today`, else None."""
    end = due_after(period, year_be)
    if end is None or today > end:
        return None
    return f"ยังไม่ถึงกำหนด: เผยแพร่หลัง {_day(end)}"


def previous_period(period: str, year_be: int) -> tuple[int, str]:
    """The fiscal year and Thai description of the period before the one asked for (what the site shows now)."""
    r = rule(period)
    return year_be - 1 + r.target, r.expected(year_be - 1)
