"""The library's one public entry point: `audit(url, options)` scans a site and stores the run."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__
from .checklist import DEFAULT_CHECKLIST, Checklist, load
from .crawl import Budget, Crawler
from .fetch import Fetcher, HostGate, Settings
from .render import Renderer, RenderOptions, RenderUnavailable, unavailable
from .report import result
from .store import Store, StoreError
from .urls import is_local_host, normalize_start
from .verify import verify_all

DEFAULT_DB = Path("data/oit.db")


class SiteUnreachable(RuntimeError):
    """The home page could not be fetched at all; the message says why."""


@dataclass
class Options:
    checklist: str | Path = DEFAULT_CHECKLIST
    db: str | Path = DEFAULT_DB
    year: int | None = None
    budget: Budget = field(default_factory=Budget)
    settings: Settings = field(default_factory=Settings)
    check_offsite: bool | None = None  # None: only when the site itself is not local
    workers: int = 2
    render: RenderOptions = field(default_factory=RenderOptions)  # Chromium for pages built by scripts


def audit(url: str, options: Options | None = None) -> dict:
    """Scan one site against the checklist; returns the oit-result/1 document of the stored run."""
    options = options or Options()
    checklist = load(options.checklist)
    start = normalize_start(url)
    if options.render.mode == "always" and (why := unavailable(options.render)):
        raise RenderUnavailable(f"--render always: {why}")
    store = Store(options.db)
    store.abandon_dead()  # a run an earlier scan could not close (full disk): interrupted
    run_id = asyncio.run(scan_site(start, checklist, store, options))
    return result(store, run_id)


def run_settings(options: Options, year: int, check_offsite: bool) -> dict:
    """What a run was asked to do, as stored with it."""
    return {"checklist_file": str(options.checklist), "year": year, "budget": asdict(options.budget),
            "politeness": asdict(options.settings), "check_offsite": check_offsite, "workers": options.workers,
            "render": asdict(options.render)}


async def scan_site(start: str, checklist: Checklist, store: Store, options: Options,
                    gate: HostGate | None = None, batch_id: int | None = None) -> int:
    """Scan one normalised start URL into a new stored run; returns the run id.

    Raises SiteUnreachable (the run is stored as failed); an interrupted run is stored as such.
    """
    year = options.year or checklist.year
    check_offsite = (not is_local_host(start)) if options.check_offsite is None else options.check_offsite
    run_id = store.start_run(checklist.name, checklist.version, year, start,
                             run_settings(options, year, check_offsite), __version__, batch_id)
    try:
        await _scan(start, checklist, store, run_id, options, check_offsite, year, gate)
    except (KeyboardInterrupt, asyncio.CancelledError):
        with contextlib.suppress(StoreError):  # a full disk: the next start of the batch marks it
            store.fail_run(run_id, "interrupted")
        raise
    except StoreError:  # the disk filled up mid-run: failed if it can still be written, else left to resume
        with contextlib.suppress(StoreError):
            store.fail_run(run_id, "database_error")
        raise
    return run_id


async def _scan(start: str, checklist: Checklist, store: Store, run_id: int, options: Options, check_offsite: bool,
                year: int, gate: HostGate | None) -> None:
    async with Fetcher(options.settings, gate) as fetcher:
        renderer = Renderer(fetcher, options.render)
        crawler = Crawler(checklist, fetcher, options.budget,
                          on_page=lambda record, links: store.add_page(run_id, record, links),
                          workers=options.workers, renderer=renderer)
        try:
            crawl = await crawler.run(start)
        except RenderUnavailable:
            store.fail_run(run_id, "render_unavailable", fetcher.findings)
            raise
        finally:
            await renderer.close()  # the browser never outlives the crawl
        home = crawl.pages.get(start)
        if home is None or home.page is None:
            why = (home.error if home and home.error else None) or (
                f"HTTP {home.status} {home.content_type}" if home else "not fetched")
            store.fail_run(run_id, "unreachable", fetcher.findings)
            raise SiteUnreachable(f"{start}: home page could not be read ({why})")
        results = await verify_all(checklist, crawl, fetcher, check_offsite, year, documents=store)
        findings = [*fetcher.findings, *renderer.findings()]
        if crawl.capped:
            findings.append(f"{crawl.capped} URLs of endless series (calendars, paging) were skipped")
        store.finish_run(run_id, crawl.site, results, crawl.pages_fetched, fetcher.requests, crawl.stop_reason,
                         findings)
