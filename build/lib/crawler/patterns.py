"""Checklist patterns: `a|b + c|d` means every part present, any alternative of each."""

from __future__ import annotations

from dataclasses import dataclass

from .thai import key


@dataclass(frozen=True)
class Pattern:
    """A compiled pattern; `parts` hold match keys of the alternatives."""

    source: str
    parts: tuple[tuple[str, ...], ...]

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
        return all(any(a in text_key for a in alts) for alts in self.parts)

    @property
    def size(self) -> int:
        """Characters of the shortest way to satisfy the pattern (its specificity)."""
        return sum(min(len(a) for a in alts) for alts in self.parts)


def compile_all(sources: list[str]) -> tuple[Pattern, ...]:
    return tuple(Pattern.parse(s) for s in sources)


def first_match(patterns: tuple[Pattern, ...], text_key: str) -> Pattern | None:
    """The most specific pattern that matches, or None."""
    best = None
    for p in patterns:
        if p.matches(text_key) and (best is None or p.size > best.size):
            best = p
    return best
