"""Checklist patterns: `a|b + c|d` means every part present, any alternative of each.

Every alternative of every pattern sits in one Aho-Corasick automaton (pyahocorasick): one pass over a
text finds all the alternatives it contains, once per distinct text, and a pattern is then a few set
lookups. The answer is the same as testing each alternative as a substring.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from .thai import key


class _Index:
    """All alternatives ever compiled, and which of them each text contains (cached by text)."""

    MAX_CACHED = 200_000

    def __init__(self) -> None:
        self._alts: set[str] = set()
        self._automaton: ahocorasick.Automaton | None = None
        self._found: dict[str, frozenset[str]] = {}

    def add(self, parts: tuple[tuple[str, ...], ...]) -> None:
        new = {a for alts in parts for a in alts if a and a not in self._alts}
        if new:
            self._alts |= new
            self._automaton = None  # rebuilt on the next search, with every alternative
            self._found.clear()

    def present(self, text: str) -> frozenset[str]:
        """The alternatives that occur in `text` (overlapping ones included)."""
        found = self._found.get(text)
        if found is None:
            if self._automaton is None:
                self._automaton = ahocorasick.Automaton()
                for alt in self._alts:
                    self._automaton.add_word(alt, alt)
                self._automaton.make_automaton()
            found = frozenset(alt for _, alt in self._automaton.iter(text)) if self._alts and text else frozenset()
            if len(text) <= 300:  # labels repeat; page and document texts do not
                if len(self._found) >= self.MAX_CACHED:
                    self._found.clear()
                self._found[text] = found
        return found


_INDEX = _Index()


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern; `parts` hold match keys of the alternatives."""

    source: str
    parts: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        _INDEX.add(self.parts)

    @classmethod
    def parse(cls, source: str) -> Pattern:
        parts = []
        for part in source.split(" + "):
            alts = tuple(k for k in (key(a) for a in part.split("|")) if k)
            if not alts:
                raise ValueError(f"empty part in pattern {source!r}")
            parts.append(alts)
        return cls(source, tuple(parts))

    def matches(self, text_key: str) -> bool:
        return _holds(self, _INDEX.present(text_key))

    @property
    def size(self) -> int:
        """Characters of the shortest way to satisfy the pattern (its specificity)."""
        return sum(min(len(a) for a in alts) for alts in self.parts)


def compile_all(sources: list[str]) -> tuple[Pattern, ...]:
    return tuple(Pattern.parse(s) for s in sources)


def present(text_key: str) -> frozenset[str]:
    """The alternatives of every compiled pattern that occur in a match key."""
    return _INDEX.present(text_key)


def _holds(p: Pattern, found: frozenset[str]) -> bool:
    """Every part of `p` has an alternative among `found` (an empty alternative always holds)."""
    return all(any(not a or a in found for a in alts) for alts in p.parts)


def first_match(patterns: tuple[Pattern, ...], text_key: str) -> Pattern | None:
    """The most specific pattern that matches, or None."""
    if not patterns:
        return None
    found = _INDEX.present(text_key)
    best = None
    for p in patterns:
        if _holds(p, found) and (best is None or p.size > best.size):
            best = p
    return best


class PatternTable:
    """Many tuples of patterns (one per checklist item) matched at once.

    Each pattern is filed under the alternatives of one of its parts, so for a text only the patterns with
    such an alternative present are tested: `first_matches` answers `first_match` of every tuple in one go.
    """

    def __init__(self, groups: Iterable[tuple[Pattern, ...]]) -> None:
        self._filed: dict[str, list[tuple[int, int, Pattern, int]]] = {}
        self._always: list[tuple[int, int, Pattern, int]] = []  # every part has an empty alternative
        for g, patterns in enumerate(groups):
            for i, p in enumerate(patterns):
                entry = (g, i, p, p.size)
                part = max((alts for alts in p.parts if all(alts)), key=lambda alts: min(map(len, alts)), default=None)
                if part is None:
                    self._always.append(entry)
                for alt in dict.fromkeys(part or ()):
                    self._filed.setdefault(alt, []).append(entry)
        self._alts = frozenset(self._filed)

    def _holding(self, found: frozenset[str]) -> list[tuple[int, int, Pattern, int]]:
        """The entries whose pattern holds in a text with alternatives `found`, each once."""
        seen, out = set(), []
        for alt in found & self._alts:
            for entry in self._filed[alt]:
                if entry[:2] not in seen:
                    seen.add(entry[:2])
                    if _holds(entry[2], found):
                        out.append(entry)
        out += (e for e in self._always if _holds(e[2], found))
        return out

    def first_matches(self, found: frozenset[str]) -> dict[int, Pattern]:
        """Per tuple with a match, its most specific pattern (the first of the largest size, as first_match)."""
        best: dict[int, tuple[int, int, Pattern]] = {}
        for g, i, p, size in self._holding(found):
            cur = best.get(g)
            if cur is None or size > cur[0] or (size == cur[0] and i < cur[1]):
                best[g] = (size, i, p)
        return {g: v[2] for g, v in best.items()}

    def earliest(self, found: frozenset[str]) -> dict[int, Pattern]:
        """Per tuple with a match, its first pattern that holds (in tuple order)."""
        best: dict[int, tuple[int, Pattern]] = {}
        for g, i, p, _ in self._holding(found):
            if g not in best or i < best[g][0]:
                best[g] = (i, p)
        return {g: v[1] for g, v in best.items()}



class Substrings:
    """Which of a set of plain strings (URL hints) occur in a text, found in one pass."""

    def __init__(self, words: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for w in dict.fromkeys(w for w in words if w):
            self._automaton.add_word(w, w)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def present(self, text: str) -> frozenset[str]:
        """The strings that occur in `text` (overlapping ones included)."""
        if self._empty or not text:
            return frozenset()
        return frozenset(w for _, w in self._automaton.iter(text))
