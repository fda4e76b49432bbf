"""Scans and batches run by the web app: asyncio tasks in the server's process, with live progress.

Every scan is the same `scan_site` the command line uses, and a batch the same loop as `oit batch`
(`batch.run_sites`, given this server's hooks). At most `scans` run at a time (one slot is kept free of
batches when there are two or more), one at a time per site; a batch is stored as `oit batch` stores it
(batches, batch_sites) and resumes when the server starts again.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..audit import SiteUnreachable, scan_site
from ..batch import Hooks, run_sites
from ..checklist import Checklist, load
from ..config import Options
from ..crawl import PageCallback
from ..fetch import HostGate
from ..models import LinkRecord, OitError, PageRecord
from ..order import night_order
from ..progress import ScanProgress
from ..store import Store, StoreError
from ..urls import site_key


class Busy(OitError):
    """The site is being scanned already; `job` is that scan when it is a single one."""

    def __init__(self, message: str, job: ScanJob | None = None):
        super().__init__(message)
        self.job = job


@dataclass
class ScanJob:
    """One scan asked for in the web app."""

    id: int
    url: str
    key: str
    name: str
    checklist: str
    progress: ScanProgress
    state: str = "queued"  # queued | running | finished | failed
    run_id: int | None = None
    error: str | None = None
    task: asyncio.Task | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    year: int | None = None  # the fiscal year judged; None: the checklist's own
    queue_id: int | None = None  # its row in `web_queue` while it waits (a restart runs it then)

    def snapshot(self) -> dict:
        return {"job": self.id, "state": self.state, "run_id": self.run_id, "error": self.error,
                **self.progress.as_dict()}


@dataclass
class BatchJob:
    """A batch the server is running; per site the progress of its scan in flight."""

    id: int
    sites: dict[int, ScanProgress] = field(default_factory=dict)  # batch_sites.id -> progress, while running
    task: asyncio.Task | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def runs(self) -> set[int]:
        return {p.run_id for p in self.sites.values() if p.run_id}


class Jobs:
    """The scans and batches of one server."""

    def __init__(self, store: Store, options: Options, scans: int = 2, uploads: Path | None = None):
        self.store, self.options = store, options
        self.slots = asyncio.Semaphore(max(1, scans))
        self.batch_concurrency = max(1, scans - 1)
        self.batch_slots = asyncio.Semaphore(self.batch_concurrency)  # a single scan never waits for a whole batch
        s = options.settings
        self.gate = HostGate(s.per_host, s.delay, resolve=True)  # sites on one server share its limit
        self.uploads = uploads
        self.scans: dict[int, ScanJob] = {}
        self.batches: dict[int, BatchJob] = {}
        self.active: dict[str, ScanJob] = {}  # site key -> its single scan, queued or running
        self._locks: dict[str, asyncio.Lock] = {}
        self._ids = itertools.count(int(time.time()))  # a page of an earlier server's scan is not this one
        self._checklists: dict[str, Checklist] = {}
        self.closing = asyncio.Event()

    # ------------------------------------------------------------------------------ common

    def checklist(self, path: str) -> Checklist:
        """A checklist file, read once per server."""
        if path not in self._checklists:
            self._checklists[path] = load(path)
        return self._checklists[path]

    def _lock(self, key: str) -> asyncio.Lock:
        """The lock of a site (by its key): one scan of it at a time, single or in a batch."""
        return self._locks.setdefault(key, asyncio.Lock())

    @contextlib.asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        """One of the server's scan slots and the site's lock, held while the site is scanned."""
        async with self.slots, self._lock(site_key(url)):
            yield

    def _scan_options(self, checklist_path: str, year: int | None) -> Options:
        """The server's options for a scan judged by this checklist, for this fiscal year (None: the list's own)."""
        return replace(self.options, checklist=checklist_path, year=year)

    def _page_hook(self, progress: ScanProgress, url: str, notify: Callable[[], None]) -> PageCallback:
        """The page hook of a scan starting now: its live progress (the run id found on its first page)."""
        progress.started = time.monotonic()
        before = self.store.max_run_id()

        def on_page(record: PageRecord, links: list[LinkRecord]) -> None:
            if progress.run_id is None:
                progress.run_id = self.store.first_run_after(url, before)
            progress.page(record, links)
            notify()

        return on_page

    # ------------------------------------------------------------------------------ one site

    def start_scan(self, url: str, name: str, checklist_path: str, year: int | None = None,
                   queue_id: int | None = None) -> ScanJob:
        """Queue a scan of a normalised URL; Busy when the site is being scanned already.

        The queued scan is kept in the database (`web_queue`) until it starts: a server stopped before that
        runs it when it starts again (`resume_scans`, with the default year)."""
        key = site_key(url)
        if key in self.active:
            raise Busy("เว็บไซต์นี้กำลังตรวจอยู่", self.active[key])
        if self._lock(key).locked():
            raise Busy("เว็บไซต์นี้กำลังตรวจอยู่ในชุดงานหลายหน่วยงาน")
        job = ScanJob(next(self._ids), url, key, name, checklist_path,
                      ScanProgress(url, self.options.budget.max_pages), year=year)
        job.queue_id = queue_id if queue_id is not None else self.store.queue_scan(url, name, checklist_path)
        if name:
            self.store.set_name(url, name)
        self.scans[job.id] = job
        self.active[key] = job
        job.task = asyncio.create_task(self._run_scan(job), name=f"scan-{job.id}")
        return job

    def resume_scans(self) -> list[ScanJob]:
        """Scans asked for before the server stopped and not started then: queued again, in their order."""
        resumed = []
        for row in self.store.queued_scans():
            try:
                resumed.append(self.start_scan(row["url"], row["name"] or "", row["checklist"], queue_id=row["id"]))
            except Busy:  # asked twice: the first one runs
                self.store.unqueue_scan(row["id"])
        return resumed

    def _unqueue(self, job: ScanJob) -> None:
        """The scan has started: no longer kept in `web_queue` for a restart."""
        if job.queue_id is not None:
            self.store.unqueue_scan(job.queue_id)
            job.queue_id = None

    async def _run_scan(self, job: ScanJob) -> None:
        """A single scan, in one of the server's scan slots and under its site's lock; its job says how it ended."""
        before = self.store.max_run_id()

        def started() -> None:
            job.state = "running"
            self._unqueue(job)  # from now on its run is in the database (an interruption is stored there)
            job.changed.set()

        def notify() -> None:
            job.run_id = job.run_id or job.progress.run_id
            job.changed.set()

        try:
            async with self._slot(job.url):
                checklist = self.checklist(job.checklist)
                started()
                on_page = self._page_hook(job.progress, job.url, notify)
                options = self._scan_options(job.checklist, job.year)
                job.run_id = await scan_site(job.url, checklist, self.store, options, self.gate, None, on_page)
                job.state = "finished"
        except SiteUnreachable as e:
            job.state, job.error = "failed", str(e)
            job.run_id = job.run_id or self.store.first_run_after(job.url, before)
        except asyncio.CancelledError:
            job.state, job.error = "failed", "หยุดเพราะปิดโปรแกรม"  # still queued: it stays in `web_queue`
            raise
        except Exception as e:  # noqa: BLE001 - shown to the admin on the run's page
            job.state, job.error = "failed", f"{type(e).__name__}: {e}"[:300]
            job.run_id = job.run_id or self.store.first_run_after(job.url, before)
            with contextlib.suppress(OitError):
                self._unqueue(job)
        finally:
            self.active.pop(job.key, None)
            job.changed.set()

    # ------------------------------------------------------------------------------ batches

    def start_batch(self, csv_path: Path, name: str, sites: list[dict], checklist_path: str,
                    year: int | None = None) -> int:
        """A new batch of the sites read from an uploaded CSV, started now; returns its id."""
        settings = {"concurrency": self.batch_concurrency, "checklist_file": checklist_path, "web": True,
                    "year": year}
        batch_id = self.store.start_batch(str(csv_path.resolve()), name, settings, sites)
        self._launch(batch_id)
        return batch_id

    def resume_batches(self) -> list[int]:
        """Batches this server started and did not finish (a restart, a crash): run the rest of them."""
        resumed = []
        for b in self.store.unfinished_batches():
            settings = json.loads(b["settings"] or "{}")
            inside = self.uploads is not None and Path(b["csv_path"] or "").parent == self.uploads.resolve()
            if settings.get("web") and inside:
                self.store.abandon_interrupted(b["id"])
                self._launch(b["id"])
                resumed.append(b["id"])
        return resumed

    def _launch(self, batch_id: int) -> None:
        job = BatchJob(batch_id)
        self.batches[batch_id] = job
        job.task = asyncio.create_task(self._run_batch(job), name=f"batch-{batch_id}")

    async def _run_batch(self, job: BatchJob) -> None:
        """The batch's unfinished sites through the one batch loop, with this server's hooks; finished unless
        the server is closing or the database failed (then it resumes at the next start)."""
        b = self.store.batch(job.id) or {}
        settings = json.loads(b.get("settings") or "{}")
        checklist_path = settings.get("checklist_file") or str(self.options.checklist)
        todo = [s for s in self.store.batch_sites(job.id) if s["status"] in ("pending", "running")]
        try:
            checklist = self.checklist(checklist_path)
        except Exception as e:  # noqa: BLE001 - a list gone since the batch started: each site fails with why
            self._fail_sites(todo, f"{type(e).__name__}: {e}"[:300])
        else:
            options = self._scan_options(checklist_path, settings.get("year"))
            try:
                todo = await night_order(self.store, todo, options.settings, self.batch_concurrency, gate=self.gate)
                await run_sites(self.store, job.id, todo, checklist, options, self._batch_hooks(job),
                                slots=self.batch_slots, gate=self.gate, csv_names=False)
            except StoreError:  # a full disk: its sites stay to do
                job.changed.set()
                return
        if not self.closing.is_set():
            self.store.finish_batch(job.id)
        job.changed.set()

    def _fail_sites(self, sites: list[dict], error: str) -> None:
        """Sites of a batch that cannot be scanned at all: each failed with why."""
        for site in sites:
            self.store.site_started(site["id"])
            self.store.site_done(site["id"], None, error)

    def _batch_hooks(self, job: BatchJob) -> Hooks:
        """The batch loop's hooks in this server: each site's live progress, the scan slots and the site's lock."""
        def start(site_id: int, url: str) -> None:
            job.sites[site_id] = ScanProgress(url, self.options.budget.max_pages)
            job.changed.set()

        def page(site_id: int, url: str) -> PageCallback:
            return self._page_hook(job.sites[site_id], url, job.changed.set)

        def end(site_id: int, url: str, pages: int, error: str | None) -> None:
            job.sites.pop(site_id, None)
            job.changed.set()

        return Hooks(start=start, end=end, page=page, slot=self._slot)

    # ------------------------------------------------------------------------------ shutdown

    async def close(self) -> None:
        """Stop every task; interrupted runs are stored as such, batches resume at the next start."""
        self.closing.set()
        tasks = [j.task for j in [*self.scans.values(), *self.batches.values()] if j.task and not j.task.done()]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
