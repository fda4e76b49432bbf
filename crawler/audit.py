"""The library's one public entry point: `audit(url, options)` scans a site and stores the run."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import time
from dataclasses import asdict, replace

from . import __version__
from .archive import keep, spooling
from .check import NOT_CHECKED, Checker
from .checklist import DEFAULT_CHECKLIST, Checklist, basis_th, load, scan_date, year_files
from .config import Options
from .crawl import Crawler, PageCallback
from .fetch import Fetcher, HostGate
from .models import ItemResult, OitError, ResultDoc, error_th
from .names import from_title, pick
from .parse import FLAT_NESTING, MAX_NESTING, PARSE_SECONDS
from .render import Renderer, RenderUnavailable, unavailable
from .store import Store, StoreError
from .urls import is_local_host, normalize_start
from .verdict import decide, pending

CHECK_SHARE = 0.2  # of --time-limit kept for checking the evidence: the crawl stops at the rest


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


def basis(checklist: Checklist, year: int) -> str:
    """Which list judged which fiscal year, in Thai; says when the year has no list of its own yet."""
    return basis_th(checklist.year, checklist.status == "draft", year, year != checklist.year
                    and year not in year_files())


def run_settings(options: Options, year: int, check_offsite: bool, checklist: Checklist | None = None) -> dict:
    """What a run was asked to do, as stored with it: the list (its own year) and the fiscal year judged, the
    scan date and the Thai sentence saying so."""
    checklist_file = str(options.checklist or DEFAULT_CHECKLIST)
    about = {} if checklist is None else {
        "checklist_year": checklist.year, "today": scan_date(options.today).isoformat(),
        "basis": basis(checklist, year)}
    return {"checklist_file": checklist_file, "year": year, **about, "budget": asdict(options.budget),
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
                             run_settings(options, year, check_offsite, checklist), __version__, batch_id,
                             checklist.status)
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
    except SiteUnreachable:
        raise  # stored as failed/unreachable already
    except Exception as exc:  # a bug or a page nobody foresaw: the run is closed, never left 'running'
        if (store.run(run_id) or {}).get("status") == "running":
            with contextlib.suppress(StoreError):
                store.fail_run(run_id, "error", [f"การตรวจหยุดเพราะข้อผิดพลาดที่ไม่คาดคิด (unexpected error: "
                                                 f"{type(exc).__name__}: {str(exc)[:200]})"])
        raise
    return run_id


async def _scan(start: str, checklist: Checklist, store: Store, run_id: int, options: Options, check_offsite: bool,
                year: int, gate: HostGate | None, on_page: PageCallback | None = None,
                name: str | None = None) -> None:
    def page(record, links):
        store.add_page(run_id, record, links)
        if on_page is not None:
            on_page(record, links)

    deadline = time.monotonic() + options.budget.time_limit  # the whole site's: crawl and check
    async with Fetcher(options.settings, gate) as fetcher, spooling(store.path, options) as spool:
        fetcher.tap = spool.add if spool is not None else None  # the evidence archive sees every answer
        renderer = Renderer(fetcher, options.render)
        crawl_budget = replace(options.budget, time_limit=options.budget.time_limit * (1 - CHECK_SHARE))
        crawler = Crawler(checklist, fetcher, crawl_budget, on_page=page,
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
        store.name_run(run_id, pick(name, store.given_name(start), from_title(home.page.title), url=start))
        checker = Checker(checklist, crawl, fetcher, check_offsite, options.settings, documents=store,
                          year=year, deadline=deadline)
        results = await verify(checklist, checker, year, scan_date(options.today))
        findings = [*fetcher.findings, *renderer.findings()]
        if checker.not_checked:
            items = [r.id for r in results if any(e.check == NOT_CHECKED for e in r.evidence)]
            findings.append(f"time limit: {len(checker.not_checked)} evidence links were not checked before the "
                            f"site's time ran out (--time-limit {options.budget.time_limit:g} s); items left to "
                            f"review: {', '.join(items) or 'none'}")
        if crawl.stats.capped:
            findings.append(f"{crawl.stats.capped} URLs of endless series (calendars, paging) were skipped")
        if crawl.stats.flattened:
            findings.append(f"อ่านแบบตัดการซ้อนแท็ก {crawl.stats.flattened} หน้า เพราะซ้อนกันลึกเกิน {MAX_NESTING} ชั้น "
                            f"({crawl.stats.flattened} pages nested more than {MAX_NESTING} levels deep were read "
                            f"flattened to {FLAT_NESTING})")
        if crawl.stats.timed_out:
            findings.append(f"อ่านลิงก์ได้ไม่ครบ {crawl.stats.timed_out} หน้า เพราะอ่านหน้าไม่ทันใน {PARSE_SECONDS:.0f} วินาที "
                            f"({crawl.stats.timed_out} pages read in part: not parsed within {PARSE_SECONDS:.0f} s)")
        if crawl.stats.malformed:
            findings.append(f"ข้ามลิงก์ที่เขียนที่อยู่ผิดรูปแบบ {crawl.stats.malformed} ลิงก์ "
                            f"({crawl.stats.malformed} malformed links skipped, such as http://[::1/x or a bad port)")
        if spool is not None:
            findings += keep(store, run_id, spool, results, crawl.site)
        store.finish_run(run_id, crawl.site, results, crawl.pages_fetched, fetcher.requests, crawl.stop_reason,
                         findings)


async def verify(checklist: Checklist, checker: Checker, year: int, today: datetime.date | None = None
                 ) -> list[ItemResult]:
    """Each item's verdict from the facts its candidates turned out to be, marked when the item is unconfirmed;
    an item whose period has not ended on `today` (default: the scan date) is not due yet."""
    await checker.prefetch(checklist.items)
    today = today or scan_date()
    return [replace(pending(item, decide(item, await checker.gather(item), year), year, today),
                    confirmed=item.confirmed) for item in checklist.items]
