"""The library's one public entry point: `audit(url, options)` scans a site and stores the run."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import asdict, replace

from . import __version__
from .check import Checker
from .checklist import DEFAULT_CHECKLIST, Checklist, load
from .config import Options
from .crawl import Crawler, PageCallback
from .fetch import Fetcher, HostGate
from .models import ItemResult, OitError, ResultDoc, error_th
from .names import from_title, pick
from .render import Renderer, RenderUnavailable, unavailable
from .store import Store, StoreError
from .urls import is_local_host, normalize_start
from .verdict import decide


class SiteUnreachable(OitError, RuntimeError):
    """The home page could not be fetched at all; the message says why."""


def audit(url: str, options: Options | None = None, on_page: PageCallback | None = None,
          name: str | None = None) -> ResultDoc:
    """Scan one site against the checklist; returns the oit-result/1 document of the stored run.

    `on_page(record, links)` is called for each page as it is read (progress displays); `name` heads the
    report (default: the site's own title)."""
    options = options or Options()
    checklist = load(options.checklist)
    start = normalize_start(url)
    if options.render.mode == "always" and (why := unavailable(options.render)):
        raise RenderUnavailable(f"--render always: {why}")
    store = Store(options.db)
    store.abandon_dead()  # a run an earlier scan could not close (full disk): interrupted
    if name and name.strip():  # the site's name from now on, in the web app and the next scans too
        store.set_name(start, name)
    run_id = asyncio.run(scan_site(start, checklist, store, options, on_page=on_page, name=name))
    return store.result(run_id)


def run_settings(options: Options, year: int, check_offsite: bool) -> dict:
    """What a run was asked to do, as stored with it."""
    checklist_file = str(options.checklist or DEFAULT_CHECKLIST)
    return {"checklist_file": checklist_file, "year": year, "budget": asdict(options.budget),
            "politeness": {k: v for k, v in asdict(options.settings).items() if k != "resolver"},  # a function
            "check_offsite": check_offsite, "workers": options.workers,
            "render": asdict(options.render)}


async def scan_site(start: str, checklist: Checklist, store: Store, options: Options,
                    gate: HostGate | None = None, batch_id: int | None = None,
                    on_page: PageCallback | None = None, name: str | None = None) -> int:
    """Scan one normalised start URL into a new stored run; returns the run id.

    `on_page(record, links)`, if given, is called for every page after it is stored (live progress).

    Raises SiteUnreachable (the run is stored as failed); an interrupted run is stored as such.
    """
    year = options.year or checklist.year
    check_offsite = (not is_local_host(start)) if options.check_offsite is None else options.check_offsite
    run_id = store.start_run(checklist.name, checklist.version, year, start,
                             run_settings(options, year, check_offsite), __version__, batch_id, checklist.status)
    try:
        await _scan(start, checklist, store, run_id, options, check_offsite, year, gate, on_page, name)
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
                year: int, gate: HostGate | None, on_page: PageCallback | None = None,
                name: str | None = None) -> None:
    def page(record, links):
        store.add_page(run_id, record, links)
        if on_page is not None:
            on_page(record, links)

    async with Fetcher(options.settings, gate) as fetcher:
        renderer = Renderer(fetcher, options.render)
        crawler = Crawler(checklist, fetcher, options.budget, on_page=page,
                          workers=options.workers, renderer=renderer, year=year)
        try:
            crawl = await crawler.run(start)
        except RenderUnavailable:
            store.fail_run(run_id, "render_unavailable", [*fetcher.findings, *renderer.findings()])
            raise
        finally:
            await renderer.close()  # the browser never outlives the crawl
        home = crawl.pages.get(start)
        if home is None or home.page is None:
            why = (home.error if home and home.error else None) or (
                f"HTTP {home.status} {home.content_type}" if home else "not fetched")
            store.fail_run(run_id, "unreachable", fetcher.findings)
            thai = error_th(home.error, home.status) if home and (home.error or home.status >= 400) else \
                "หน้าแรกไม่ใช่หน้าเว็บที่อ่านได้"
            raise SiteUnreachable(f"{start}: เปิดหน้าแรกไม่ได้: {thai} (home page could not be read: {why})")
        store.name_run(run_id, pick(name, store.given_name(start), site_title(home.page.title), url=start))
        checker = Checker(checklist, crawl, fetcher, check_offsite, options.settings, documents=store,
                          year=year)
        results = await verify(checklist, checker, year)
        findings = [*fetcher.findings, *renderer.findings()]
        if crawl.stats.capped:
            findings.append(f"{crawl.stats.capped} URLs of endless series (calendars, paging) were skipped")
        store.finish_run(run_id, crawl.site, results, crawl.pages_fetched, fetcher.requests, crawl.stop_reason,
                         findings)


def site_title(title: str) -> str:
    """The agency's name from its home page title: its first part (before " - ", " | " or " :: ") that is not
    generic ("หน้าแรก", "Home" ...); '' when none is."""
    return from_title(title)


async def verify(checklist: Checklist, checker: Checker, year: int) -> list[ItemResult]:
    """Each item's verdict from the facts its candidates turned out to be, marked when the item is unconfirmed."""
    await checker.prefetch(checklist.items)
    return [replace(decide(item, await checker.gather(item), year), confirmed=item.confirmed)
            for item in checklist.items]
