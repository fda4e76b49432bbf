"""Thai PDF text repair: marks split off or reordered, spaces between letters, old-font private-use code points."""

from __future__ import annotations

import re

from ..thai import cap_marks, clean

_THAI = "\u0e01-\u0e5b"
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"  # combining: vowels above/below, tone marks, thanthakhat...
_TONES = "\u0e48-\u0e4b"
_ABOVE_BELOW = "\u0e31\u0e34-\u0e3a\u0e47"  # vowels above and below, maitaikhu: written before a tone mark
_LEADING = "\u0e40-\u0e44"  # เ แ โ ใ ไ: written before their consonant, never end a word
_FOLLOWING = "\u0e30\u0e32\u0e33\u0e45"  # ะ า ำ ๅ: never start a word
_CONSONANTS = "\u0e01-\u0e2e"

# Old Thai fonts (Windows/Mac "shifted" glyphs) map their repositioned marks to U+F700-U+F71F.
_PUA = {
    0xF700: "\u0e10", 0xF701: "\u0e34", 0xF702: "\u0e35", 0xF703: "\u0e36", 0xF704: "\u0e37",
    0xF705: "\u0e48", 0xF706: "\u0e49", 0xF707: "\u0e4a", 0xF708: "\u0e4b", 0xF709: "\u0e4c",
    0xF70A: "\u0e48", 0xF70B: "\u0e49", 0xF70C: "\u0e4a", 0xF70D: "\u0e4b", 0xF70E: "\u0e4c",
    0xF70F: "\u0e0d", 0xF710: "\u0e31", 0xF711: "\u0e4d", 0xF712: "\u0e47", 0xF713: "\u0e48",
    0xF714: "\u0e49", 0xF715: "\u0e4a", 0xF716: "\u0e4b", 0xF717: "\u0e4c", 0xF718: "\u0e38",
    0xF719: "\u0e39", 0xF71A: "\u0e3a", 0xF71B: None, 0xF71C: None, 0xF71D: None,
    0xF71E: "\u0e4d", 0xF71F: "\u0e47",
}

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_SARA_AM = re.compile(f"\u0e4d([{_TONES}]?)\u0e32")  # ํ(tone)า -> (tone)ำ
_TONE_SARA_AM = re.compile(f"([{_TONES}])\u0e4d\u0e32")
_SPACE_BEFORE_MARK = re.compile(f"(?<=[{_THAI}]) +(?=[{_MARKS}{_FOLLOWING}])")
_SPACE_AFTER_LEADING = re.compile(f"(?<=[{_LEADING}]) +(?=[{_CONSONANTS}])")
# anchored at the start of a run of tone marks: from every mark of a long run, `+` scanned to its end
_TONE_FIRST = re.compile(f"(?<![{_TONES}\u0e4c])([{_TONES}\u0e4c]+)([{_ABOVE_BELOW}]+)")
_LEADING_AFTER = re.compile(f"([{_CONSONANTS}])([{_LEADING}])(?=[{_MARKS}])")  # สเี่ยง -> เสี่ยง
_CLUSTER = f"(?:[{_CONSONANTS}{_LEADING}{_FOLLOWING}\u0e2f\u0e46][{_MARKS}]*|[{_MARKS}]+)"
_THAI_RUN = re.compile(f"(?<!\\S){_CLUSTER}(?: {_CLUSTER}){{2,}}(?!\\S)")
_ONE = re.compile(f"^(?:.|{_CLUSTER})$")


def _spaced_out(line: str) -> bool:
    """A line whose characters were all pulled apart ("ก า ร ป ร ะ เ มิ น  2 5 6 3")."""
    tokens = [t for t in line.split(" ") if t]
    singles = [t for t in tokens if _ONE.match(t)]
    thai = sum(1 for t in singles if re.match(f"[{_THAI}]", t))
    return thai >= 4 and len(singles) >= 0.7 * len(tokens)


def _fix_line(line: str) -> str:
    line = _SPACES.sub(lambda m: "  " if len(m.group()) > 1 else " ", line).strip()
    if _spaced_out(line):
        # letters one space apart, words two or more apart
        line = " ".join(word.replace(" ", "") for word in re.split(r" {2,}", line))
    else:
        line = _THAI_RUN.sub(lambda m: m.group().replace(" ", ""), line)
    line = _SPACE_BEFORE_MARK.sub("", line)
    return _SPACE_AFTER_LEADING.sub("", line)


def fix_pdf_thai(text: str) -> str:
    """Repair Thai text extracted from a PDF, then `thai.clean` each line (line breaks kept).

    Old-font private-use marks (U+F700-U+F71F) become normal marks, ``ํ`` + ``า`` becomes ``ำ``,
    spaces before a combining mark or following vowel, after a leading vowel, and between the letters
    of a spaced-out run are removed, a tone mark before a vowel above/below is put after it, and a
    leading vowel extracted after its consonant is put back in front.
    """
    if not text:
        return ""
    text = cap_marks(text.translate(_PUA))
    text = _SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    text = _TONE_SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _fix_line(raw)
        line = _TONE_FIRST.sub(lambda m: m.group(2) + m.group(1), line)
        line = _LEADING_AFTER.sub(r"\2\1", line)
        line = clean(line)
        if line:
            lines.append(line)
    return "\n".join(lines)


def _clean_lines(text: str) -> str:
    return "\n".join(line for line in (clean(raw) for raw in text.split("\n")) if line)
