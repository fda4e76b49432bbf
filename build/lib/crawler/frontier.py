"""Best-first crawl queue: dedup by canonical URL, depth budget, trap guards, click paths."""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .urls import canonical, in_scope, trap_pattern

HOME = "หน้าแรก"


@dataclass
class Visit:
    url: str
    depth: int
    priority: int
    parent: str | None = None
    crumbs: list[str] = field(default_factory=list)


MAX_URL, MAX_PARAMS, MAX_REPEATS = 2000, 12, 3


def endless(url: str) -> bool:
    """A URL of an endless space: too long, too many query keys, or a path that repeats itself (/a/a/a/)."""
    parts = urlsplit(url)
    if len(url) > MAX_URL or parts.query.count("&") + 1 > MAX_PARAMS:
        return True
    segments = [s for s in parts.path.split("/") if s]
    run = 1
    for prev, seg in zip(segments, segments[1:], strict=False):
        run = run + 1 if seg == prev else 1
        if run >= MAX_REPEATS:
            return True
    return len(segments) > 3 * MAX_REPEATS and len(set(segments)) * 2 < len(segments)


class Frontier:
    """Pages to visit, most promising first; each URL once; endless URL spaces capped."""

    def __init__(self, site: str, max_depth: int = 5, per_pattern: int = 25):
        self.site, self.max_depth, self.per_pattern = site, max_depth, per_pattern
        self._heap: list[tuple[int, int, int, str]] = []
        self._queued: dict[str, Visit] = {}
        self.done: set[str] = set()
        self.patterns: Counter[str] = Counter()
        self.capped = 0
        self._seq = 0

    def __len__(self) -> int:
        return len(self._queued)

    def seed(self, url: str) -> None:
        self.push(url, 0, 3, None, [HOME])

    def push(self, url: str, depth: int, priority: int, parent: str | None, crumbs: list[str]) -> bool:
        """Queue a page unless seen, out of scope, too deep or one more of an endless series."""
        url = canonical(url)
        if url in self.done or depth > self.max_depth or not in_scope(url, self.site):
            return False
        if endless(url):
            self.capped += 1
            return False
        queued = self._queued.get(url)
        if queued is not None:
            if priority > queued.priority:
                queued.priority = priority
                self._add(queued)
            return False
        pattern = trap_pattern(url)
        if priority < 2 and self.patterns[pattern] >= self.per_pattern:
            self.capped += 1
            return False
        self.patterns[pattern] += 1
        visit = Visit(url, depth, priority, parent, crumbs)
        self._queued[url] = visit
        self._add(visit)
        return True

    def _add(self, visit: Visit) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (-visit.priority, visit.depth, self._seq, visit.url))

    def pop(self) -> Visit | None:
        while self._heap:
            neg, _, _, url = heapq.heappop(self._heap)
            visit = self._queued.get(url)
            if visit is None or -neg != visit.priority:
                continue
            del self._queued[url]
            self.done.add(url)
            return visit
        return None

    def mark_done(self, url: str) -> None:
        """A URL reached another way (a redirect target) is not queued again."""
        url = canonical(url)
        self.done.add(url)
        self._queued.pop(url, None)
