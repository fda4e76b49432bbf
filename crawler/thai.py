"""Thai text normalisation and OIT item numbers.

`clean` keeps text readable for display; `key` reduces it to the match key the checklist
patterns are written against (see checklists/README.md).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from pythainlp.util import normalize as _thai_normalize
from pythainlp.util import thai_digit_to_arabic_digit

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_ODD_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
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


def clean(text: str) -> str:
    """Readable normalised text: Thai digits, zero-width, spelling fixes, single spaces."""
    return _clean_short(text) if len(text) <= SHORT else _clean(text)


@lru_cache(maxsize=65_536)
def _clean_short(text: str) -> str:
    return _clean(text)


def _clean(text: str) -> str:
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_ZERO_WIDTH)
    text = thai_digit_to_arabic_digit(text)
    for old, new in _SPELLING:
        text = text.replace(old, new)
    if _THAI.search(text):
        text = _thai_normalize(cap_marks(text))
    return _ODD_SPACES.sub(" ", text).strip()


def cap_marks(text: str) -> str:
    """Runs of more than MAX_MARK_RUN Thai vowels, tone marks and signs cut to their first MAX_MARK_RUN."""
    return _MARK_RUN.sub(r"\1", text)


def key(text: str) -> str:
    """Match key: cleaned, lower-case, without spaces or punctuation."""
    return _key_short(text) if len(text) <= SHORT else _KEY_DROP.sub("", _clean(text).lower())


@lru_cache(maxsize=65_536)
def _key_short(text: str) -> str:
    return _KEY_DROP.sub("", _clean(text).lower())


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
