"""Period mentions in Thai evidence text: years, fiscal years, months, dates and ranges.

Pure functions, no I/O. Text is normalised the way `crawler.thai.clean` does it (Thai digits to
Arabic, zero-width characters dropped, runs of spaces made one) while keeping a map back to the
input, so each `Mention.text` is the words as the page wrote them (Thai digits and all).

Conventions (Y is a Buddhist Era year, CE = Y - 543):

* a 4-digit number 2540-2599 is a B.E. year; 1997-2056 is a C.E. year only next to "ค.ศ.",
  "fiscal year", "FY", "year", after a month name ("March 2022", "มีนาคม 2022") or in a numeric
  date (2022-03-15, 15/03/2022); in a URL it is taken alone, unless the same path segment also has
  a B.E. year (then it is an id);
* a two-digit year after a Thai month (ต.ค. 64), after "ปีงบ..." or in dd/mm/yy is 25yy B.E., and
  only 40-99 are taken (2540-2599, the same range as 4-digit years);
* the fiscal year Y runs 1 Oct (Y-1) .. 30 Sep Y (CE dates);
* a bare year ("2565", "พ.ศ. 2565") is given the window of fiscal year Y, not the calendar year:
  evidence on Thai agency sites dates things by fiscal year, and the period checks compare fiscal
  years, so a bare year and "ปีงบประมาณ" of the same number mean the same window (only the strength
  and the kind differ);
* a year range "2561-2565" runs from the start of FY 2561 to the end of FY 2565;
* "รอบ 6 เดือน" / "6 เดือนแรก" / "ครึ่งปีแรก" joined to the fiscal or bare year right after it (within
  40 characters) or right before it (within 12) is kind "half", 1 Oct Y-1 .. 31 Mar Y, with that
  year's strength; alone it is no mention;
* mentions nested in or overlapping a longer one are dropped ("พ.ศ. 2565" inside
  "ปีงบประมาณ พ.ศ. 2565", "ต.ค. 64" inside "ต.ค. 64 - มี.ค. 65").
"""

from __future__ import annotations

import bisect
import calendar
import contextlib
import datetime
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = ["Mention", "be", "ce", "fiscal_year", "mentions", "mentions_in_url"]

BE_MIN, BE_MAX = 2540, 2599
MAX_TEXT = 200_000  # characters of text `mentions` reads (as many as documents.read_text keeps)
CE_MIN, CE_MAX = BE_MIN - 543, 2056

# Strengths (see Mention.strength).
EXPLICIT = 1.0  # fiscal phrase, full date
YEARLY = 0.9  # "ประจำปี Y" without งบประมาณ
MONTHLY = 0.8  # month + year, year range
BARE = 0.6  # bare year, "พ.ศ. Y"
WEAK = 0.3  # year in a URL or file name


@dataclass(frozen=True)
class Mention:
    start: datetime.date  # CE dates
    end: datetime.date
    kind: str  # "date" | "month" | "fiscal_year" | "year" | "year_range" | "date_range" | "half"
    text: str  # the words that said it, as written
    strength: float  # fiscal phrase / full date 1.0, month+year 0.8, bare year 0.6, URL year 0.3


def be(year_ce: int) -> int:
    return year_ce + 543


def ce(year_be: int) -> int:
    return year_be - 543


def fiscal_year(y_be: int) -> tuple[datetime.date, datetime.date]:
    """Fiscal year Y (B.E.): 1 Oct of Y-1 to 30 Sep of Y, as CE dates."""
    y = ce(y_be)
    return datetime.date(y - 1, 10, 1), datetime.date(y, 9, 30)


# --------------------------------------------------------------------------------------------
# normalisation with a map back to the input

_FOLD = str.maketrans("๐๑๒๓๔๕๖๗๘๙\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "0123456789-------")
_GAP = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad]+")  # a run of spaces and zero-width characters
_SPACE = re.compile(r"\s")
_ODD = re.compile(r"[^\S ]|\s\s|[\u200b\u200c\u200d\u2060\ufeff\u00ad]")  # what normalising changes in place
_ASCII = re.compile("[\u0e50-\u0e59\u2010-\u2015\u2212]+")  # what _FOLD translates


class _Index:
    """Where each character of the normalised text was in the NFC input: runs of (normalised start, input start)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.origins: list[int] = []

    def add(self, start: int, origin: int) -> None:
        self.starts.append(start)
        self.origins.append(origin)

    def __getitem__(self, k: int) -> int:
        run = bisect.bisect_right(self.starts, k) - 1
        return self.origins[run] + k - self.starts[run]


def _normalise(text: str) -> tuple[str, str, _Index]:
    """(input in NFC, normalised text, index in the NFC input of every normalised character).

    Thai digits and dashes are folded, zero-width characters dropped, and every run of spaces (zero-width
    characters inside it included) becomes one space, mapped to the run's first space.
    """
    src = unicodedata.normalize("NFC", text)
    index = _Index()
    if not _ODD.search(src):  # already single-spaced: only digits and dashes change
        index.add(0, 0)
        return src, _folded(src), index
    out: list[str] = []
    pos = n = 0
    for gap in _GAP.finditer(src):
        s, e = gap.span()
        if s > pos:
            out.append(src[pos:s])
            index.add(n, pos)
            n += s - pos
        space = _SPACE.search(src, s, e)
        if space:
            out.append(" ")
            index.add(n, space.start())
            n += 1
        pos = e
    if pos < len(src):
        out.append(src[pos:])
        index.add(n, pos)
    return src, _folded("".join(out)), index


def _folded(text: str) -> str:
    """Thai digits and dashes as ASCII, one for one (translated only where there are some: cheaper)."""
    return _ASCII.sub(_fold_run, text)


def _fold_run(m: re.Match[str]) -> str:
    return m.group().translate(_FOLD)


# --------------------------------------------------------------------------------------------
# building blocks

_MONTHS = {
    "มกราคม": 1, "กุมภาพันธ์": 2, "กุมภาพันธ": 2, "มีนาคม": 3, "เมษายน": 4, "พฤษภาคม": 5, "มิถุนายน": 6,
    "กรกฎาคม": 7, "กรกฏาคม": 7, "สิงหาคม": 8, "กันยายน": 9, "ตุลาคม": 10, "พฤศจิกายน": 11, "ธันวาคม": 12,
}
_ABBREVIATIONS = {  # first part, second part -> month ("มี.ค." = ("มี", "ค"))
    ("ม", "ค"): 1, ("ก", "พ"): 2, ("มี", "ค"): 3, ("เม", "ย"): 4, ("พ", "ค"): 5, ("มิ", "ย"): 6,
    ("ก", "ค"): 7, ("ส", "ค"): 8, ("ก", "ย"): 9, ("ต", "ค"): 10, ("พ", "ย"): 11, ("ธ", "ค"): 12,
}
_ENGLISH = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_ENGLISH_FULL = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                 "october", "november", "december"]

_THAI_LETTER = "\u0e01-\u0e4e"
_ERA = r"(?:พ\.?\s?ศ\.?\s?)"
_CE_ERA = r"(?:ค\.?\s?ศ\.?\s?)"
_SEP = r"\s?(?:-|~|ถึง|จนถึง|to|until)\s?(?:เดือน\s?|วันที่\s?)?"


def _month_pattern() -> str:
    full = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
    dotted = "|".join(rf"{a}\.\s?{b}\.?|{a}{b}\." for a, b in sorted(_ABBREVIATIONS, key=lambda k: -len(k[0])))
    bare = "|".join(f"{a}{b}" for a, b in sorted(_ABBREVIATIONS, key=lambda k: -len(k[0])))
    english = "|".join(_ENGLISH_FULL + [e for e in _ENGLISH if e not in _ENGLISH_FULL])
    return (
        rf"(?:{full}"
        # "ก.พ." but not "ก.พ.ร." nor the "พ.ค." inside "ส.พ.ค."
        rf"|(?<![{_THAI_LETTER}]\.)(?:{dotted})(?![.\s]?(?!พ\.?\s?ศ|ค\.?\s?ศ)[ก-ฮ]\.)"
        # "มค", "กพ" only as a word of their own
        rf"|(?:(?<=เดือน)|(?<![{_THAI_LETTER}]))(?:{bare})(?![{_THAI_LETTER}])"
        rf"|\b(?a:{english})\b\.?)"  # ASCII letters only: "ſep" (a long s) is no month
    )


_MONTH = _month_pattern()


def _month_number(word: str) -> int:
    w = re.sub(r"[\s.]", "", word).casefold()
    if w in _MONTHS:
        return _MONTHS[w]
    for (a, b), n in _ABBREVIATIONS.items():
        if w == a + b:
            return n
    if w[:3] in _ENGLISH:
        return _ENGLISH.index(w[:3]) + 1
    raise ValueError(word)


def _is_thai_month(word: str) -> bool:
    return not word[:1].isascii()


def _starts(*words: str) -> str:
    """A lookahead for the characters a match can start with: the scan skips every other position at once."""
    return "(?=[\\d" + re.escape("".join(sorted({w[0] for w in words}))) + "])"


# A day, month and optional year: "13 ก.ค. 2565", "วันที่ 1 ตุลาคม 2564", "(มี.ค. 65)", "ตุลาคม".
_DAY_MONTH = re.compile(
    _starts("วันที่", "เดือน", *_MONTHS, *(a for a, _ in _ABBREVIATIONS), *_ENGLISH_FULL, *_ENGLISH)
    + rf"(?:วันที่\s?)?(?:(?<!\d)(?P<d>[0-3]?\d)\s?)?(?:เดือน\s?)?(?P<m>{_MONTH})"
    rf"(?:\s?(?:(?P<era>{_ERA}|{_CE_ERA})|(?P<d2>[0-3]?\d),\s?)?(?P<y>\d{{4}}|\d{{2}})(?![\d,]|\.\d))?",
    re.IGNORECASE,
)
# Numeric dates: 15/03/2565, 15-03-2022, 15.03.2565, 15/03/65 (two-digit only with "/"), 2022-03-15.
_NUMERIC = re.compile(
    r"(?<![\d/.\-])(?:(?P<d>\d{1,2})(?P<s>[/.\-])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4}|(?<=/)\d{2})"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2}))(?![\d/]|\.\d)"
)

_YEAR_TOKEN = r"(?<![\d])(?:\d{4})(?![\d])"
_FISCAL = re.compile(
    r"(?:ประจำ\s?)?(?:ปี\s?งบ(?:ประมาณ|\.|ฯ)?|งบประมาณ)\s?(?:ประจำปี\s?)?(?:" + _ERA + "|" + _CE_ERA + r")?"
    r"(?P<y>\d{4}|(?<=[ปีบฯ\s.])\d{2}(?!\s?(?:ล้าน|บาท|%|ราย(?![ก-๎])|คน(?![ก-๎])|โครงการ|แห่ง)))(?![\d]|\.\d)"
    r"(?:\s?(?:-|~|ถึง|to)\s?(?:" + _ERA + r")?(?P<y2>\d{4})(?!\d))?"
    r"|(?:fiscal\s?year|\bF\.?Y\.?)\s?:?\s?(?P<fy>\d{4}|\d{2})(?!\d)"
    r"(?:\s?-\s?(?P<fy2>\d{4})(?!\d))?",
    re.IGNORECASE,
)
_YEARLY = re.compile(r"ประจำ\s?ปี\s?(?:" + _ERA + r")?(?P<y>\d{4})(?![\d]|\.\d|\s?-\s?\d)")
_RANGE = re.compile(
    r"(?P<era>" + _ERA + "|" + _CE_ERA + r"|ปี\s?)?(?P<y1>" + _YEAR_TOKEN + r")\s?(?:-|~|ถึง|to)\s?(?:"
    + _ERA + r")?(?P<y2>\d{4}|\d{2})(?![\d]|\.\d)"
)
_YEAR = re.compile(
    r"(?P<era>" + _ERA + "|" + _CE_ERA + r")?(?<![\d])(?<!\d[.,])(?P<y>\d{4})(?![\d]|[.,]\d|\s?(?:บาท|ล้าน|%))"
)
_CE_CONTEXT = re.compile(r"(?:ค\.?\s?ศ\.?|fiscal\s?years?|\bF\.?Y\.?|\byears?)\s?:?\s?\(?$", re.IGNORECASE)
_HALF = re.compile(
    r"(?:รอบ\s?6\s?เดือน(?:\s?แรก)?|(?<!\d)6\s?เดือนแรก|ครึ่ง\s?ปี(?:งบประมาณ)?\s?แรก|first\s+half|(?<!\d)6[-\s]?months?)",
    re.IGNORECASE,
)

# Numbers that are not years: phone numbers, money, times, letter numbers, ids.
# Every branch starts at a keyword or the start of a digit run, or is bounded: from every digit of a
# long run, `\d+...บาท` scanned to the run's end (quadratic: hours on 200,000 digits).
_NOT_YEARS = re.compile(
    _starts("โทร", "tel", "fax", "phone", "มือถือ", "/", "id", "no", "เลขที่", "หมายเลข", "รหัส", "=", "#")
    + r"(?:โทร(?:ศัพท์|สาร)?|tel|fax|phone|มือถือ)\.?\s?:?\s?\+?[\d(][\d()\-]{4,30}\d"
    r"|(?<![\d\-])0\d{0,3}(?:[\-\s]\d{3,4}){2}(?![\d\-])"
    r"|(?<![\d\-])0\d{1,2}-\d{6,7}(?!\d)"
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"
    r"|(?<!\d)\d+(?:\.\d+)?\s?(?:บาท|ล้าน)"
    r"|\d{1,2}[.:]\d{2}\s?(?:น\.|นาฬิกา)"
    r"|/\s?ว\.?\s?\d+"
    r"|(?:id|no|เลขที่|หมายเลข|รหัส)\s?[=:#.]?\s?\d+"
    r"|[=#]\d+",
    re.IGNORECASE,
)


def _be_year(digits: str, *, ce_ok: bool, two_digit: bool = False) -> int | None:
    """B.E. year of a year token, or None when it is not one."""
    n = int(digits)
    if len(digits) == 2:
        return 2500 + n if two_digit and BE_MIN <= 2500 + n <= BE_MAX else None
    if BE_MIN <= n <= BE_MAX:
        return n
    if ce_ok and CE_MIN <= n <= CE_MAX:
        return be(n)
    return None


def _month_window(y_be: int, month: int) -> tuple[datetime.date, datetime.date]:
    y = ce(y_be)
    return datetime.date(y, month, 1), datetime.date(y, month, calendar.monthrange(y, month)[1])


def _fy_range(first: int, last: int) -> tuple[datetime.date, datetime.date]:
    return fiscal_year(first)[0], fiscal_year(last)[1]


def _half(y_be: int) -> tuple[datetime.date, datetime.date]:
    return fiscal_year(y_be)[0], datetime.date(ce(y_be), 3, 31)


# --------------------------------------------------------------------------------------------
# scanning


@dataclass
class _Found:
    s: int  # span in the normalised text
    e: int
    kind: str
    start: datetime.date
    end: datetime.date
    strength: float
    priority: int = 0  # among equal spans, higher wins


@dataclass
class _DatePart:
    s: int
    e: int
    day: int | None
    month: int
    year: int | None  # B.E.


def _date_parts(norm: str) -> list[_DatePart]:
    parts: list[_DatePart] = []
    for m in _DAY_MONTH.finditer(norm):
        word = m.group("m")
        month = _month_number(word)
        thai = _is_thai_month(word)
        day = m.group("d") or m.group("d2")
        year = None
        if m.group("y"):
            year = _be_year(m.group("y"), ce_ok=True, two_digit=thai)  # a month makes it a date form
        if year is None and m.group("y"):
            # the number after the month is not a year: keep the month alone (it may start a range)
            s, e = m.start(), m.end("m")
        else:
            s, e = m.start(), m.end()
        if day is not None and not 1 <= int(day) <= 31:
            day = None
            s = m.start("m")
        parts.append(_DatePart(s, e, int(day) if day else None, month, year))
    for m in _NUMERIC.finditer(norm):
        if m.group("iy"):
            d, mo, y = m.group("id"), m.group("im"), m.group("iy")
        else:
            d, mo, y = m.group("d"), m.group("m"), m.group("y")
        year = _be_year(y, ce_ok=True, two_digit=True)
        if year is None or not 1 <= int(mo) <= 12:
            continue
        try:
            datetime.date(ce(year), int(mo), int(d))
        except ValueError:
            continue
        parts.append(_DatePart(m.start(), m.end(), int(d), int(mo), year))
    parts.sort(key=lambda p: (p.s, -p.e))
    return parts


def _part_window(p: _DatePart) -> tuple[datetime.date, datetime.date] | None:
    if p.year is None:
        return None
    first, last = _month_window(p.year, p.month)
    if p.day is None:
        return first, last
    try:
        day = datetime.date(first.year, p.month, p.day)
    except ValueError:
        return first, last
    return day, day


_SEP_ONLY = re.compile(r"^\s?[(]?" + _SEP + r"[(]?$", re.IGNORECASE)
_DAY_BEFORE = re.compile(r"(?<![\d/.,:\-])(?P<d>[0-3]?\d)\s?(?:-|ถึง|~)\s?$")


def _dates(norm: str) -> list[_Found]:
    parts = _date_parts(norm)
    found: list[_Found] = []
    used: set[int] = set()
    for i, a in enumerate(parts):
        # a range: "ต.ค. 64 - มี.ค. 65", "1 ตุลาคม 2564 ถึง 31 มีนาคม 2565", "ต.ค. - มี.ค. 65"
        j = i + 1
        while j < len(parts) and parts[j].s < a.e:
            j += 1
        b = parts[j] if j < len(parts) else None
        if b is not None and _SEP_ONLY.match(norm[a.e:b.s]) and (a.year or b.year):
            y1, y2 = a.year, b.year
            if y1 is None:
                y1 = y2 - 1 if a.month > b.month else y2
            if y2 is None:
                y2 = y1 + 1 if b.month < a.month else y1
            w1 = _part_window(_DatePart(a.s, a.e, a.day, a.month, y1))
            w2 = _part_window(_DatePart(b.s, b.e, b.day, b.month, y2))
            if w1 and w2 and w1[0] <= w2[1]:
                strength = EXPLICIT if a.day and b.day else MONTHLY
                found.append(_Found(a.s, b.e, "date_range", w1[0], w2[1], strength, 2))
                used.update((i, j))
                continue
        if i in used:
            continue
        window = _part_window(a)
        if window is None:
            continue
        # "1-31 มีนาคม 2565"
        before = _DAY_BEFORE.search(norm, max(0, a.s - 8), a.s)
        if a.day and before and int(before.group("d")) < a.day:
            start = window[0].replace(day=int(before.group("d")))
            found.append(_Found(before.start(), a.e, "date_range", start, window[1], EXPLICIT, 2))
            continue
        kind, strength = ("date", EXPLICIT) if a.day else ("month", MONTHLY)
        found.append(_Found(a.s, a.e, kind, window[0], window[1], strength, 1))
    return found


def _ce_context(norm: str, s: int) -> bool:
    return bool(_CE_CONTEXT.search(norm[max(0, s - 16):s]))


def _years(norm: str) -> list[_Found]:
    found: list[_Found] = []
    for m in _FISCAL.finditer(norm):
        if m.group("fy"):
            y = _be_year(m.group("fy"), ce_ok=True, two_digit=True)
            if y is None and len(m.group("fy")) == 2:  # FY22 = 2022
                y = be(2000 + int(m.group("fy"))) if int(m.group("fy")) <= CE_MAX - 2000 else None
            y2 = _be_year(m.group("fy2"), ce_ok=True) if m.group("fy2") else None
        else:
            y = _be_year(m.group("y"), ce_ok=True, two_digit=True)
            y2 = _be_year(m.group("y2"), ce_ok=True) if m.group("y2") else None
        if y is None:
            continue
        if y2 is not None and y < y2 <= y + 20:
            found.append(_Found(m.start(), m.end(), "year_range", *_fy_range(y, y2), EXPLICIT, 3))
        else:
            end = m.end("fy") if m.group("fy") else m.end("y")
            found.append(_Found(m.start(), end, "fiscal_year", *fiscal_year(y), EXPLICIT, 3))
    for m in _YEARLY.finditer(norm):
        y = _be_year(m.group("y"), ce_ok=False)
        if y is not None:
            found.append(_Found(m.start(), m.end(), "fiscal_year", *fiscal_year(y), YEARLY, 2))
    for m in _RANGE.finditer(norm):
        era = (m.group("era") or "").replace(" ", "")
        ce_ok = era.startswith("ค") or _ce_context(norm, m.start())
        y1 = _be_year(m.group("y1"), ce_ok=ce_ok)
        d2 = m.group("y2")
        if y1 is None:
            continue
        y2 = y1 // 100 * 100 + int(d2) if len(d2) == 2 else _be_year(d2, ce_ok=ce_ok)  # "2561-65"
        if len(d2) == 4 and (int(d2) >= 2400) != (int(m.group("y1")) >= 2400):
            continue  # one B.E. and one C.E. number: not a range
        if y2 is None or not y1 < y2 <= y1 + 20:
            continue
        found.append(_Found(m.start(), m.end(), "year_range", *_fy_range(y1, y2), MONTHLY, 1))
    for m in _YEAR.finditer(norm):
        era = (m.group("era") or "").replace(" ", "")
        ce_ok = era.startswith("ค") or _ce_context(norm, m.start())
        y = _be_year(m.group("y"), ce_ok=ce_ok)
        if y is not None:
            found.append(_Found(m.start(), m.end(), "year", *fiscal_year(y), BARE, 0))
    return found


def _halves(norm: str, found: list[_Found]) -> list[_Found]:
    """"รอบ 6 เดือน" next to a fiscal year: the first half of that year.

    `found` is resolved (text order, no overlaps): the year is the next mention, within 40
    characters and with no other half phrase in between, or else the mention just before, within
    12 characters ("ประจำปีงบประมาณ พ.ศ. 2565 รอบ 6 เดือน").
    """
    out: list[_Found] = []
    for m in _HALF.finditer(norm):
        at = _bisect(found, m.end())
        pick = found[at] if at < len(found) else None
        if pick is None or pick.kind not in ("fiscal_year", "year") or pick.s > m.end() + 40 or (
                _HALF.search(norm, m.end(), pick.s)):
            at = _bisect(found, m.start())
            pick = found[at - 1] if at > 0 else None
            if pick is None or pick.kind not in ("fiscal_year", "year") or not m.start() - 12 <= pick.e <= m.start():
                continue
        lo, hi = min(m.start(), pick.s), max(m.end(), pick.e)
        out.append(_Found(lo, hi, "half", *_half(be(pick.end.year)), pick.strength, 4))
    return out


def _resolve(found: list[_Found]) -> list[_Found]:
    """Drop mentions inside or overlapping a longer one; text order."""
    kept: list[_Found] = []  # in text order, never overlapping
    for f in sorted(found, key=lambda f: (-(f.e - f.s), -f.priority, f.s)):
        at = _bisect(kept, f.s)
        if (at == 0 or kept[at - 1].e <= f.s) and (at == len(kept) or f.e <= kept[at].s):
            kept.insert(at, f)
    return kept


def _bisect(kept: list[_Found], s: int) -> int:
    lo, hi = 0, len(kept)
    while lo < hi:
        mid = (lo + hi) // 2
        if kept[mid].s < s:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _mask(norm: str) -> str:
    return _NOT_YEARS.sub(lambda m: "#" * len(m.group(0)), norm)


def _scan(norm: str) -> list[_Found]:
    masked = _mask(norm)
    found = _resolve(_dates(masked) + _years(masked))
    return _resolve(found + _halves(masked, found))


def _as_written(src: str, index: _Index, s: int, e: int) -> str:
    return src[index[s]:index[e - 1] + 1].strip() if e > s else ""


def mentions(text: str) -> list[Mention]:
    """Every period mention in Thai or English free text, in text order.

    Only the first MAX_TEXT characters are read: the caller runs this on the event loop, and every
    pattern here is linear, so that bounds its time (about 0.5 s at most on a slow machine).
    """
    if not text:
        return []
    text = text[:MAX_TEXT]
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
    found = _MENTIONS.get(digest)
    if found is None:
        src, norm, index = _normalise(text)
        found = tuple(Mention(f.start, f.end, f.kind, _as_written(src, index, f.s, f.e), f.strength)
                      for f in _scan(norm))
        if len(_MENTIONS) >= MENTIONS_CACHE:
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # (another thread's pop)
                _MENTIONS.pop(next(iter(_MENTIONS)))  # the oldest
        _MENTIONS[digest] = found
    return list(found)


# a document or page is judged for every item it is a candidate of: its mentions by its text's digest (the texts
# themselves are not kept)
_MENTIONS: dict[bytes, tuple[Mention, ...]] = {}
MENTIONS_CACHE = 512


# --------------------------------------------------------------------------------------------
# URLs

_URL_RANGE = re.compile(r"(?<![\d])(?P<y1>\d{4})\s?-\s?(?P<y2>\d{4})(?![\d])")
# a number right after another number and "_" is an id: executive_2563_2166.pdf, tender_2565_2552.pdf
_URL_YEAR = re.compile(r"(?<![\d])(?<!\d_)(?P<y>\d{4})(?![\d])")
_UPLOADS = re.compile(r"(?<![\d])(?P<y>\d{4})/(?P<m>\d{2})(?=/)")
_ID_KEY = re.compile(r"(?:^|_)(?:id|p|page|pid|cat|item|n|no|tid|nid|uid|attachment)$|id$", re.IGNORECASE)
_HAS_THAI = re.compile(r"[\u0e01-\u0e5b]")


def _url_scan(norm: str) -> list[_Found]:
    masked = _mask(norm)
    found: list[_Found] = []
    for m in _UPLOADS.finditer(masked):
        y, month = _be_year(m.group("y"), ce_ok=True), int(m.group("m"))
        if y is not None and 1 <= month <= 12:
            found.append(_Found(m.start(), m.end(), "month", *_month_window(y, month), WEAK, 2))
    for m in _URL_RANGE.finditer(masked):
        a, b = m.group("y1"), m.group("y2")
        if (int(a) >= 2400) != (int(b) >= 2400):
            continue
        y1, y2 = _be_year(a, ce_ok=True), _be_year(b, ce_ok=True)
        if y1 is not None and y2 is not None and y1 < y2 <= y1 + 20:
            found.append(_Found(m.start(), m.end(), "year_range", *_fy_range(y1, y2), WEAK, 1))
    segments = [(mm.start(), mm.group(0)) for mm in re.finditer(r"[^/]+", masked)]
    for offset, segment in segments:
        has_be = any(_be_year(y, ce_ok=False) for y in re.findall(r"(?<!\d)\d{4}(?!\d)", segment))
        for m in _URL_YEAR.finditer(segment):
            y = _be_year(m.group("y"), ce_ok=not has_be)
            if y is not None:
                s = offset + m.start()
                found.append(_Found(s, s + 4, "year", *fiscal_year(y), WEAK, 0))
    if _HAS_THAI.search(norm):
        for f in _scan(norm):
            if f.kind in ("month", "date", "date_range", "half", "fiscal_year"):
                f.strength = WEAK
                found.append(f)
    return _resolve(found)


def mentions_in_url(url: str) -> list[Mention]:
    """Years in a URL's path, file name and non-id query values; all weak (strength 0.3)."""
    if not url:
        return []
    parts = urlsplit(url[:MAX_TEXT])
    pieces = [unquote(parts.path)]
    for name, value in parse_qsl(parts.query, keep_blank_values=False):
        if not _ID_KEY.search(name):
            pieces.append(value)
    out: list[Mention] = []
    for piece in pieces:
        src, norm, index = _normalise(piece)
        out += [Mention(f.start, f.end, f.kind, _as_written(src, index, f.s, f.e), WEAK) for f in _url_scan(norm)]
    return out
