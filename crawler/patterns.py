"""Checklist patterns: `a|b + c|d` means every part present, any alternative of each.

Every alternative of every pattern sits in one Aho-Corasick automaton (pyahocorasick): one pass over a
text finds all the alternatives it contains, once per distinct text, and a pattern is then a few set
lookups. The answer is the same as testing each alternative as a substring.
"""

from __future__ import annotations

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
        found = _INDEX.present(text_key)
        return all(any(not a or a in found for a in alts) for alts in self.parts)

    @property
    def size(self) -> int:
        """Characters of the shortest way to satisfy the pattern (its specificity)."""
        return sum(min(len(a) for a in alts) for alts in self.parts)


def compile_all(sources: list[str]) -> tuple[Pattern, ...]:
    return tuple(Pattern.parse(s) for s in sources)


def first_match(patterns: tuple[Pattern, ...], text_key: str) -> Pattern | None:
    """The most specific pattern that matches, or None."""
    if not patterns:
        return None
    found = _INDEX.present(text_key)
    best = None
    for p in patterns:
        if all(any(not a or a in found for a in alts) for alts in p.parts) and (best is None or p.size > best.size):
            best = p
    return best
