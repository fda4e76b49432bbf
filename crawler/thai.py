"""Thai text normalisation and OIT item numbers.

`clean` keeps text readable for display; `key` reduces it to the match key the checklist
patterns are written against (see checklists/README.md).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# pythainlp's character classes (pythainlp/__init__.py), written out: importing pythainlp takes some 40 ms and
# 7 MB, paid only when its normaliser or digit converter is first needed (a document reader may never need them)
thai_above_vowels = "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e4d\u0e47"
thai_below_vowels = "\u0e38\u0e39"
thai_follow_vowels = "\u0e30\u0e32\u0e33\u0e45"
thai_lead_vowels = "\u0e40\u0e41\u0e42\u0e43\u0e44"
thai_tonemarks = "\u0e48\u0e49\u0e4a\u0e4b"


def _thai_normalize(text: str) -> str:
    """pythainlp's normaliser (`pythainlp.util.normalize`), loaded on first use."""
    from pythainlp.util import normalize

    return normalize(text)


def thai_digit_to_arabic_digit(text: str) -> str:
    """pythainlp's Thai-to-Arabic digit converter, loaded on first use."""
    from pythainlp.util import thai_digit_to_arabic_digit as convert

    return convert(text)

THAI_CHAR = re.compile(r"[\u0e00-\u0e7f]")  # one Thai character: a text that has one is Thai

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_KEY_DROP = re.compile(r"[\s\-_.:/\\|()\[\]{},;'\"&*+#!?\u2010-\u2015\u2212<>=~`^@$%]+")
_COMBINING = re.compile(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")
_SPELLING = (("เเ", "แ"), ("\u0e4d\u0e32", "ำ"), ("กฏ", "กฎ"))
# Vowels, tone marks and signs that follow a consonant: real words have at most three in a row.
# pythainlp's normaliser is quadratic on long runs of them (a hostile or garbled document), so a
# run is cut to MAX_MARK_RUN before it; `_THAI` tells whether the normaliser has anything to do.
MAX_MARK_RUN = 6
_MARK_RUN = re.compile(f"([\u0e30-\u0e3a\u0e45\u0e47-\u0e4e]{{{MAX_MARK_RUN}}})[\u0e30-\u0e3a\u0e45\u0e47-\u0e4e]+")
_THAI = re.compile("[\u0e01-\u0e5b]")


SHORT = 300  # labels this long or shorter are normalised once per process (menus repeat on every page)

# pythainlp's normaliser, applied word by word (whitespace-separated), gives what it gives applied to
# a whole text unless a word's edge meets its neighbour's across the space: a tone mark, vowel or sign
# after a space (it loses the space, or is dropped as dangling) and a lead vowel on both sides (a
# repeated vowel is cut across spaces). `_JOINS` finds those: the whole text is normalised then.
# Otherwise only a word holding what the normaliser or cap_marks changes is normalised: a run of two
# or more marks (`_BAD_MARKS`: misordered, repeated, too long), a repeated lead vowel, LAKKHANGYAO,
# or a dangling mark the text starts with. A short text where none of that is found is left as it is
# (whitespace collapsed): the normaliser would change nothing else.
_DANGLING = f"{thai_above_vowels}{thai_below_vowels}{thai_tonemarks}\u0e3a\u0e4c\u0e4d\u0e4e"
_NOREPEAT = f"{thai_follow_vowels}{thai_lead_vowels}{thai_above_vowels}{thai_below_vowels}\u0e3a\u0e4c\u0e4d\u0e4e"
_MARKS = "\u0e30-\u0e3a\u0e45\u0e47-\u0e4e"  # what _MARK_RUN caps; every mark the normaliser moves or cuts
_JOINS = re.compile(f" (?:[{_DANGLING}{thai_follow_vowels}]|(?<=[{thai_lead_vowels}] )[{thai_lead_vowels}])")
_BAD_MARKS = re.compile(
    f"\u0e45|[{thai_tonemarks}\u0e4c][{thai_above_vowels}{thai_below_vowels}]|\u0e4d[{thai_tonemarks}]*\u0e32"
    f"|[{thai_follow_vowels}][{thai_tonemarks}]|([{_NOREPEAT}])\\1|[{thai_tonemarks}]{{2}}"
    f"|[{_MARKS}]{{{MAX_MARK_RUN + 1}}}"
)
# Where the normaliser or cap_marks changes a word: every branch of _BAD_MARKS is marks only (within one
# run of them) but for a repeated lead vowel. The lookahead, implied by every branch, lets the regex
# engine skip the rest of the text faster.
_CHANGED = re.compile(f"(?=[{_MARKS}{thai_lead_vowels}])(?:{_BAD_MARKS.pattern})")
_ZW = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_THAI_DIGIT = re.compile("[\u0e50-\u0e59]")


def clean(text: str) -> str:
    """Readable normalised text: Thai digits, zero-width, spelling fixes, single spaces."""
    return _clean_short(text) if len(text) <= SHORT else _clean(text, _normalize_words)


@lru_cache(maxsize=65_536)
def _clean_short(text: str) -> str:
    return _clean(text, _normalize_short)


def _clean(text: str, normalize: Callable[[str], str]) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    if _ZW.search(text):
        text = text.translate(_ZERO_WIDTH)
    if _THAI_DIGIT.search(text):
        text = thai_digit_to_arabic_digit(text)
    for old, new in _SPELLING:
        text = text.replace(old, new)
    if _THAI.search(text):
        text = normalize(text)
    return " ".join(text.split())  # every run of whitespace (nbsp, ideographic...) one space


def _normalize_text(text: str) -> str:
    """pythainlp's normaliser on the whole text, its mark runs capped first."""
    return _thai_normalize(cap_marks(text))


def _normalize_short(text: str) -> str:
    """`_normalize_text`, or only whitespace collapsed when the text holds nothing the normaliser changes.

    Whitespace comes out as single spaces (as `_clean` leaves it in the end).
    """
    joined = " ".join(text.split())
    if (joined and joined[0] in _DANGLING) or _JOINS.search(joined) or _CHANGED.search(joined):
        return _normalize_text(text)
    return joined


def _normalize_words(text: str) -> str:
    """`_normalize_text` word by word where that is the same: linear, and most words need nothing.

    Whitespace comes out as single spaces (as `_clean` leaves it in the end).
    """
    joined = " ".join(text.split())
    if _JOINS.search(joined):
        return _normalize_text(text)
    out: list[str] = []
    done = 0
    if joined and joined[0] in _DANGLING:
        first = joined.split(" ", 1)[0]
        out, done = [_normalize_word(first)], len(first)
    for m in _CHANGED.finditer(joined, done):
        start, end = joined.rfind(" ", 0, m.start()) + 1, joined.find(" ", m.end())
        if start < done:  # a word already normalised
            continue
        end = len(joined) if end < 0 else end
        out += [joined[done:start], _normalize_word(joined[start:end])]
        done = end
    return "".join(out) + joined[done:] if out else joined


@lru_cache(maxsize=65_536)
def _normalize_word(word: str) -> str:
    return _normalize_text(word)


def cap_marks(text: str) -> str:
    """Runs of more than MAX_MARK_RUN Thai vowels, tone marks and signs cut to their first MAX_MARK_RUN."""
    return _MARK_RUN.sub(r"\1", text)


def key(text: str) -> str:
    """Match key: cleaned, lower-case, without spaces or punctuation."""
    return _key_short(text) if len(text) <= SHORT else _KEY_DROP.sub("", clean(text).lower())


@lru_cache(maxsize=65_536)
def _key_short(text: str) -> str:
    return _KEY_DROP.sub("", clean(text).lower())  # clean's cache: labels item_number or parse cleaned


def strip_marks(text: str) -> str:
    """Remove Thai vowel and tone marks (Google Sites slugs drop them)."""
    return _COMBINING.sub("", text)


# An item number at the start of a label: O1, o 1, O-1, O.1, [O1], OIT 1, ข้อ 1, 01, 4O4, O1โครง...
_NUMBER = re.compile(
    r"""^\W{0,3}[\[(]?\s*
        (?:(?:\d{1,2}\s*(?=o))?(?:oit|o)\s*[-._:]?\s*0?(?P<o>\d{1,2})
          |ข้อ(?:ที่)?\s*(?P<k>\d{1,2})
          |0(?P<z>\d{1,2}))
        (?!\d|\.\d)""",
    re.IGNORECASE | re.VERBOSE,
)


def item_number(label: str) -> int | None:
    """The OIT item number a label starts with, in any spelling real sites use."""
    m = _NUMBER.match(clean(label))
    if not m:
        return None
    n = int(m.group("o") or m.group("k") or m.group("z"))
    return n if 1 <= n <= 99 else None


_YEAR = re.compile(r"(?<!\d)(25[4-9]\d)(?!\d)")


def be_years(text: str) -> list[int]:
    """B.E. years (2540-2599) written in the text, Thai or Arabic digits."""
    return [int(y) for y in _YEAR.findall(clean(text))]
