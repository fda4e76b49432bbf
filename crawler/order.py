"""The order a night's sites are scanned in: the biggest first, so that a night does not end with one big site
crawling alone at its server's polite pace while the other slots stand idle.

A site scanned before is as big as its last run in this database. A site never scanned is guessed, when there
are more of them than sites at a time, from a first look at its home page: the distinct pages of the site it
links to. That costs one request per new site (and its robots.txt), within the per-server limit and delay,
once: the next night knows the sizes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from .config import Settings
from .decode import decode
from .fetch import Fetcher, HostGate
from .parse import parse
from .render import script_links
from .store import Store
from .urls import in_scope, site_key

LOOKS_AT_ONCE = 32  # home pages asked for at once (each server still gets its gate's few at a time)
LOOK_SECONDS = 15.0  # the first look ends here: a home page not read by then counts as a small site
LOOK_BYTES = 2_000_000  # a home page is read up to here


def last_size(store: Store, url: str) -> int | None:
    """Requests of the site's latest finished run in this database; None if it was never scanned."""
    runs = store.site_runs(url)
    run = store.run(runs[0]) if runs else None
    if run is None:
        return None
    return run["requests"] or run["pages_fetched"] or 0


def longest_first(sites: list[dict], looks: dict[str, int] | None = None) -> list[dict]:
    """Sites with their `size` (None: never scanned) in the order to scan them: the new ones first, the most
    linked from their home page (`looks`, kept as their `look`) first, else in the list's order; then the
    biggest last time first."""
    looks = looks or {}
    new = sorted(({**s, "look": looks[s["url"]]} if s["url"] in looks else s for s in sites if s["size"] is None),
                 key=lambda s: -(s.get("look") or 0))
    return new + sorted((s for s in sites if s["size"] is not None), key=lambda s: -s["size"])


def home_links(url: str, content: bytes, content_type: str | None) -> int:
    """Distinct pages and documents of the site that a home page links to (script-built menus included)."""
    html, _ = decode(content, content_type)
    page = parse(url, html)
    site = site_key(url)
    links = {link.url.split("#")[0] for link in [*page.links, *script_links(page, html)]
             if in_scope(link.url, site)}
    links.discard(url.split("#")[0])
    return len(links)


async def first_look(urls: list[str], settings: Settings, gate: HostGate | None = None,
                     at_once: int = LOOKS_AT_ONCE, seconds: float = LOOK_SECONDS) -> dict[str, int]:
    """Each URL's home page read once (robots.txt honoured, no retry) through `gate` (the scans' own, if they
    share a loop; else one of its own): URL -> `home_links`, 0 when it could not be read within `seconds`
    altogether. Ends a delay after its last request, so that a site's scan right after keeps the pace."""
    looks = dict.fromkeys(urls, 0)
    slots = asyncio.Semaphore(max(1, at_once))
    gate = gate or HostGate(settings.per_host, settings.delay, resolve=True)
    async with Fetcher(settings, gate) as fetcher:
        async def look(url: str) -> None:
            async with slots:
                if not await fetcher.allowed(url):
                    return
                resp = await fetcher.request(url, cap=LOOK_BYTES, retries=0)
                if resp.ok and "html" in (resp.content_type or "text/html"):
                    looks[url] = home_links(resp.final_url, resp.content, resp.headers.get("content-type"))

        tasks = [asyncio.create_task(look(u)) for u in dict.fromkeys(urls)]
        try:
            if tasks:
                await asyncio.wait(tasks, timeout=seconds)
        finally:  # time is up, or Ctrl-C: the looks still going end here, every task's outcome retrieved
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(settings.delay)
    return looks


async def night_order(store: Store, sites: list[dict], settings: Settings, concurrency: int,
                      told: Callable[[str], None] | None = None, gate: HostGate | None = None) -> list[dict]:
    """The sites with their `size`, in `longest_first` order; after a `first_look` (through `gate`) at the new
    sites' home pages, `told` of it first, when more of them than `concurrency` would wait for a slot."""
    sized = [{**s, "size": last_size(store, s["url"])} for s in sites]
    new = [s["url"] for s in sized if s["size"] is None]
    looks = {}
    if len(new) > concurrency:
        if told is not None:
            told(f"first look at {len(new)} new sites' home pages, to start the biggest first")
        looks = await first_look(new, settings, gate)
    return longest_first(sized, looks)
