"""Many sites in one run: a province's CSV, resumable after a crash, one failing site never stops it."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import multiprocessing
import os
import re
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from multiprocessing import reduction
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as connection_wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from urllib.parse import urlsplit

from .audit import SiteUnreachable, scan_site
from .checklist import Checklist, load
from .columns import by_content, by_name, is_header
from .config import Options
from .crawl import PageCallback
from .fetch import HostGate
from .models import OitError
from .order import night_order
from .outputs import to_json
from .render import keep_browser
from .store import Store, StoreError
from .urls import BadURL, normalize_start, site_key

COLUMNS = ("url", "name", "province", "district", "type")
CONCURRENCY = 16  # sites at a time, over all the processes of a batch (the default of `oit batch --concurrency`)
SITES_PER_PROCESS = 16  # sites at a time one process keeps at the politeness floor (make bench: ratio 1.17 at 16)
MAX_PROCESSES = 4  # the default's cap: each process has its own Chromium, about 16 sites saturate its loop
RESOLVE_TIMEOUT = 5.0  # seconds to look up the sites' host names before they are shared out to processes
STOP_GRACE = 8.0  # seconds a stopped worker process has to store its runs as interrupted before it is killed


class BatchError(OitError, ValueError):
    """A sites file that cannot be used at all; the message names the file and line."""


@dataclass
class SitesFile:
    sites: list[dict]
    problems: list[str] = field(default_factory=list)  # "file:line: why", rows skipped


def read_sites(path: str | Path, shown: str | None = None) -> SitesFile:
    """Read a sites list (CSV, or Excel's "Unicode Text" tab-separated .txt) whose columns are headed in Thai or
    English (เว็บไซต์/url, ชื่อหน่วยงาน/name, จังหวัด, อำเภอ, ประเภท; other columns kept); without a column named
    for the address, the column of web addresses is found by its cells. `shown`: the file's name in messages
    (an upload's own name rather than where the server keeps it)."""
    shown = str(path) if shown is None else shown
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise BatchError(f"{shown}: เปิดไฟล์ไม่ได้ (cannot read: {e.strerror or e})") from None
    text, undecoded = decode_sites(raw)
    first = text.partition("\n")[0]
    counts = {d: first.count(d) for d in ("\t", ",", ";")}
    delimiter = max(counts, key=lambda d: (counts[d], d == ","))
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    done: list[int] = []  # the line each row read so far ends on
    try:
        out = _read_rows(shown, reader, done)
    except csv.Error as e:  # a field over csv.field_size_limit (128 KB), a NUL byte...
        why = (f"ข้อมูลในช่องหนึ่งยาวเกิน {csv.field_size_limit()} ตัวอักษร" if "field larger" in str(e)
               else f"รูปแบบแถวผิด ({e})")
        raise BatchError(f"{shown}:{(done or [0])[-1] + 1}: อ่านแถวนี้ไม่ได้: {why}") from None  # the line being read
    out.problems[:0] = [f"{shown}:{line}: อ่านตัวอักษรบางตัวไม่ได้ (ไฟล์อาจบันทึกด้วยรหัสอักขระอื่น: "
                        f"บันทึกใหม่เป็น CSV UTF-8)" for line in undecoded]
    return out


def file_name(url: str) -> str:
    """A site's key as a file name: `www.abc.go.th:8080/x` -> `abc.go.th_8080`."""
    return re.sub(r"[^\w.-]+", "_", site_key(url)).strip("_")[:80] or "site"


def decode_sites(raw: bytes) -> tuple[str, list[int]]:
    """A sites file as Excel saves it: UTF-8 (with or without BOM), "Unicode text" (UTF-16) or Thai
    Windows "CSV" (cp874/TIS-620); returns the text and the lines that still could not be decoded."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = raw.decode("utf-16", errors="replace")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp874", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, [n for n, line in enumerate(text.split("\n"), 1) if "\ufffd" in line]


def _read_rows(path: str, reader, lines: list[int]) -> SitesFile:
    rows = []  # each row, and in `lines` the file line it ends on
    for row in reader:
        rows.append(row)
        lines.append(reader.line_num)
    if not rows:
        raise BatchError(f"{path}:1: ไฟล์ว่าง ไม่มีรายชื่อเว็บไซต์")
    header = [h.strip() for h in rows[0]]
    if is_header(header):
        body, body_lines = rows[1:], lines[1:]
        fields = by_name(header)
        if "url" not in fields:
            found = by_content(body[:200], set(fields.values()))
            if found is None:
                raise BatchError(
                    f"{path}:1: ไม่พบคอลัมน์ที่อยู่เว็บไซต์ (หัวคอลัมน์ที่พบ: {', '.join(h for h in header if h) or 'ไม่มี'}) "
                    "ตั้งหัวคอลัมน์ว่า เว็บไซต์ หรือ url แล้วใส่ที่อยู่ เช่น www.example.go.th")
            fields["url"] = found
    else:  # no header: the first row is already a site
        header = [f"column{i + 1}" for i in range(max(len(r) for r in rows))]
        body, body_lines = rows, lines
        fields = {"url": by_content(body[:200]) or 0}
        names = [i for i in range(len(header)) if i != fields["url"]
                 and any(re.search(r"[^\W\d_]", r[i]) for r in body[:50] if i < len(r))]
        if names:
            fields["name"] = names[0]
    others = {i: h.lower() for i, h in enumerate(header) if i not in fields.values() and h}
    out, seen = SitesFile([]), {}
    for row, line in zip(body, body_lines, strict=True):
        if not any(cell.strip() for cell in row):
            continue
        cells = [(c or "").strip() for c in row]
        cell = _cell_of(cells)
        url = cell(fields["url"])
        if not url:
            out.problems.append(f"{path}:{line}: ไม่มีที่อยู่เว็บไซต์ ข้ามแถวนี้")
            continue
        try:
            start = normalize_start(url)
        except BadURL as e:
            out.problems.append(f"{path}:{line}: ที่อยู่เว็บไซต์ใช้ไม่ได้: {e} ข้ามแถวนี้")
            continue
        key = site_key(start)
        if key in seen:
            out.problems.append(f"{path}:{line}: {url} ซ้ำกับแถวที่ {seen[key]} ข้ามแถวนี้")
            continue
        seen[key] = line
        extra = {h: cell(i) for i, h in others.items()}
        out.sites.append({"line": line, "url": start, **{c: cell(fields.get(c)) for c in COLUMNS[1:]},
                          "extra": json.dumps(extra, ensure_ascii=False)})
    return out


def _cell_of(cells: list[str]) -> Callable[[int | None], str]:
    """A row's cell by column index, '' past its end or for a column the file does not have."""
    return lambda i: cells[i] if i is not None and i < len(cells) else ""


@dataclass
class Progress:
    """What the batch has done so far, for the display and the summary."""

    total: int
    done: int = 0
    failed: int = 0
    pages: int = 0
    started: float = field(default_factory=time.monotonic)
    in_flight: dict[int, str] = field(default_factory=dict)

    @property
    def left(self) -> int:
        return self.total - self.done - self.failed


Report = Callable[[str, Progress], None]


def plain_report(stream=sys.stderr) -> Report:
    """One log line per event: for cron, systemd and pipes."""
    def report(event: str, p: Progress) -> None:
        elapsed = time.monotonic() - p.started
        print(f"[{elapsed:7.1f}s] {event} | done {p.done} failed {p.failed} left {p.left} pages {p.pages}",
              file=stream, flush=True)
    return report


class Tally:
    """The one Progress of a batch, kept from its sites' start and end events and reported as they come."""

    def __init__(self, progress: Progress, report: Report):
        self.progress, self.report = progress, report

    def start(self, site_id: int, url: str) -> None:
        """A site is being scanned."""
        self.progress.in_flight[site_id] = url
        self.report(f"start {url}", self.progress)

    def end(self, site_id: int, url: str, pages: int, error: str | None) -> None:
        """A site is done (stored before this is called) or failed."""
        p = self.progress
        p.in_flight.pop(site_id, None)
        p.pages += pages
        if error:
            p.failed += 1
        else:
            p.done += 1
        self.report(f"{'FAILED' if error else 'done'} {url}" + (f": {error}" if error else ""), p)


@dataclass
class Hooks:
    """How a caller follows the sites of a batch's loop (`run_sites`) and shares its own limits with it; each
    hook is optional. `oit batch` and its worker processes report `start` and `end`; the web app also shows
    each page as it comes (`page`) and holds its scan slots and the site's lock around each scan (`slot`)."""

    start: Callable[[int, str], None] | None = None  # (site id, URL): scanned from now, its row marked running
    end: Callable[[int, str, int, str | None], None] | None = None  # (site id, URL, pages, error): stored
    page: Callable[[int, str], PageCallback | None] | None = None  # (site id, URL) -> the page hook of its scan
    slot: Callable[[str], AbstractAsyncContextManager] | None = None  # (URL) -> held while the site is scanned


async def run_sites(store: Store, batch_id: int, todo: list[dict], checklist: Checklist, options: Options,
                    hooks: Hooks | None = None, *, concurrency: int = CONCURRENCY,
                    slots: asyncio.Semaphore | None = None, gate: HostGate | None = None, out: Path | None = None,
                    csv_names: bool = True) -> None:
    """The one batch loop (`oit batch`, each of its worker processes, the web app): every site of `todo`
    scanned, in order, `concurrency` at a time (or as `slots` lets them in: a limit shared with other
    batches), sites on one server limited together by `gate`. A site's row is marked running, then done or
    failed (committed before `end` is told); a site that fails never stops the others, a StoreError (a full
    disk) or a cancel stops them all, their runs stored as interrupted and their sites left to do. `out`: a
    folder for each site's result JSON; `csv_names`: the sites list's name names the run (else the name an
    admin gave the site comes first, as in the web app)."""
    hooks = hooks or Hooks()
    gate = gate or HostGate(options.settings.per_host, options.settings.delay, resolve=True)
    slots = slots or asyncio.Semaphore(max(1, concurrency))
    site = _SiteScan(store, batch_id, checklist, options, hooks, gate, out, csv_names)

    async def one(s: dict) -> None:
        async with slots, (hooks.slot(s["url"]) if hooks.slot else contextlib.nullcontext()):
            await site.scan(s)

    tasks = [asyncio.create_task(one(s)) for s in todo]  # in order: the semaphore lets them in first come first
    async with keep_browser():  # one Chromium for every site of the batch, started only if one needs it
        try:
            await asyncio.gather(*tasks)
        finally:  # a StoreError or a signal: the other sites stop too, their runs stored as interrupted
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class _SiteScan:
    """One site of a batch's loop, from its row marked running to its row marked done or failed."""

    store: Store
    batch_id: int
    checklist: Checklist
    options: Options
    hooks: Hooks
    gate: HostGate
    out: Path | None
    csv_names: bool

    async def scan(self, site: dict) -> None:
        """Scan the site into a run of the batch; its row says how it ended before `end` is told."""
        store, hooks, url = self.store, self.hooks, site["url"]
        store.site_started(site["id"])
        if hooks.start:
            hooks.start(site["id"], url)
        on_page = hooks.page(site["id"], url) if hooks.page else None
        run_id, error, pages = None, None, 0
        try:
            run_id = await scan_site(url, self.checklist, store, self.options, self.gate, self.batch_id, on_page,
                                     name=(site.get("name") or None) if self.csv_names else None)
        except SiteUnreachable as e:
            error = str(e)
            run_id = store.batch_run(url, self.batch_id)
        except StoreError:
            raise  # a full disk stops the batch; its sites stay to do, a resume redoes them
        except Exception as e:  # noqa: BLE001 - one hostile site never stops the batch
            error = f"{type(e).__name__}: {e}"[:300]
        if run_id is not None and error is None:
            pages = self.write_out(site, run_id)
        store.site_done(site["id"], run_id, error)  # committed before it is reported done
        if hooks.end:
            hooks.end(site["id"], url, pages, error)

    def write_out(self, site: dict, run_id: int) -> int:
        """The site's result JSON in the `out` folder, if any; returns the pages the run fetched."""
        if self.out is None:
            return (self.store.run(run_id) or {}).get("pages_fetched") or 0
        doc = self.store.result(run_id)
        (self.out / f"site-{site['line']}-{file_name(site['url'])}.json").write_text(to_json(doc), encoding="utf-8")
        return doc["pages_fetched"] or 0


# several processes: sites on one server always in one process -----------------------------------------------

def server_addresses(url: str, resolver: Callable[[str], list[str]] | None = None) -> set[str]:
    """The keys `HostGate(resolve=True)` may limit a site's requests by: each address of its host (with a port
    other than 80 or 443), or its host name when it does not resolve."""
    parts = urlsplit(url)
    host, port = parts.hostname or url, parts.port
    try:
        if resolver is not None:
            ips = [str(a) for a in resolver(host)]
        else:
            ips = [info[4][0] for info in socket.getaddrinfo(host, port or 80, proto=socket.IPPROTO_TCP)]
    except (OSError, UnicodeError, ValueError):
        ips = []
    return {f"{ip}:{port}" if port and port not in (80, 443) else ip for ip in ips or [host]}


def resolve_sites(sites: list[dict], resolver: Callable[[str], list[str]] | None = None,
                  timeout: float = RESOLVE_TIMEOUT) -> list[set[str]]:
    """Each site's server keys, the host names looked up side by side; a lookup slower than `timeout` seconds
    counts as a name that does not resolve (keyed by its host name)."""
    pool = ThreadPoolExecutor(max_workers=min(32, max(1, len(sites))), thread_name_prefix="oit-resolve")
    futures = [pool.submit(server_addresses, s["url"], resolver) for s in sites]
    wait(futures, timeout=timeout)
    pool.shutdown(wait=False, cancel_futures=True)
    return [f.result() if f.done() and not f.cancelled() else {urlsplit(s["url"]).hostname or s["url"]}
            for f, s in zip(futures, sites, strict=True)]


def server_groups(sites: list[dict], keys: list[set[str]]) -> list[list[dict]]:
    """Sites that share any server key, directly or through others, in one group (in the sites' order)."""
    parent = list(range(len(sites)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, site_keys in enumerate(keys):
        for key in site_keys:
            if key in owner:
                parent[root(i)] = root(owner[key])
            else:
                owner[key] = i
    groups: dict[int, list[dict]] = {}
    for i, site in enumerate(sites):
        groups.setdefault(root(i), []).append(site)
    return list(groups.values())


def share_out(groups: list[list[dict]], processes: int) -> list[list[dict]]:
    """Whole server groups to at most `processes` shares, balanced by the sites' expected sizes (a site never
    scanned counts as the average of the others; on a night when none was, as the links its home page showed
    the first look): the biggest group first, each to the lightest share."""
    sizes = [s["size"] for g in groups for s in g if s.get("size") is not None]
    guess = sum(sizes) / len(sizes) if sizes else 1.0

    def expected(site: dict) -> float:
        if site.get("size") is not None:
            return site["size"]
        return guess if sizes or site.get("look") is None else site["look"]

    def weight(group: list[dict]) -> float:
        return sum(max(1.0, expected(s)) for s in group)

    shares: list[list[dict]] = [[] for _ in range(max(1, min(processes, len(groups))))]
    loads = [0.0] * len(shares)
    for group in sorted(groups, key=weight, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].extend(group)
        loads[lightest] += weight(group)
    return [share for share in shares if share]


def split(total: int, parts: int) -> list[int]:
    """`total` sites at a time over `parts` processes, as evenly as can be (each at least one)."""
    return [max(1, total // parts + (i < total % parts)) for i in range(parts)]


def default_processes(concurrency: int = CONCURRENCY) -> int:
    """One process per SITES_PER_PROCESS sites at a time (what one core keeps up with at the default delay: the
    bench measured ~9 ms of CPU a page), up to the CPUs this process may use and MAX_PROCESSES (each process has
    its own Chromium and document readers, so more processes than the load needs only cost memory)."""
    try:
        cpus = len(os.sched_getaffinity(0))  # the CPUs this process may use (containers, taskset)
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_PROCESSES, -(-concurrency // SITES_PER_PROCESS)))


class Events:
    """A worker process's side of the Tally: each start and end sent to the parent through its pipe."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def send(self, *message: object) -> None:
        """One event to the parent (which may be gone: then nobody is listening)."""
        with contextlib.suppress(OSError):
            self.conn.send(message)

    def start(self, site_id: int, url: str) -> None:
        """A site is being scanned."""
        self.send("start", site_id, url)

    def end(self, site_id: int, url: str, pages: int, error: str | None) -> None:
        """A site is done or failed, stored."""
        self.send("end", site_id, url, pages, error)


class Inherited:
    """An open file descriptor a spawned worker process gets a copy of and keeps open until it ends (the batch
    lock: held while any process of the batch lives, even after the parent was killed)."""

    def __init__(self, fd: int):
        self.fd = fd

    def __reduce__(self) -> tuple:
        return _inherit, (reduction.DupFd(self.fd),)  # passed to the child as multiprocessing passes its pipes


def _inherit(dup: object) -> Inherited:
    return Inherited(dup.detach())  # type: ignore[attr-defined]


def process_main(conn: Connection, batch_id: int, sites: list[dict], options: Options, concurrency: int,
                 out: Path | None, lock: Inherited | None = None) -> None:
    """A worker process of a batch (spawned): its share of the sites, then one last event saying how it ended.

    SIGTERM (the parent stopping it), SIGINT (Ctrl-C reaches the whole process group) and the parent's death
    (kill -9) cancel its scans, whose runs are stored as interrupted, as in a batch of one process.
    """
    events = Events(conn)
    signal.signal(signal.SIGTERM, _interrupt)  # until its event loop takes the signals over
    try:
        store = Store(options.db)
        asyncio.run(_process_loop(store, batch_id, sites, load(options.checklist), options, concurrency, out, events))
        events.send("finished")
    except StoreError as e:
        events.send("store_error", str(e))
    except (KeyboardInterrupt, asyncio.CancelledError):
        events.send("stopped")
    except BaseException as e:  # noqa: BLE001 - said to the parent, which says it once
        events.send("crashed", f"{type(e).__name__}: {e}"[:300])
    finally:
        conn.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


async def _process_loop(store: Store, batch_id: int, sites: list[dict], checklist: Checklist, options: Options,
                        concurrency: int, out: Path | None, events: Events) -> None:
    main = asyncio.current_task()
    stopping: list[int] = []

    def stop(signum: int) -> None:
        if not stopping and main is not None:  # once: a second cancel would cut short the runs' cleanup
            stopping.append(signum)
            main.cancel()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        if signal.getsignal(sig) is not signal.SIG_IGN:  # `oit batch &`: SIGINT stays ignored
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):  # Windows
                loop.add_signal_handler(sig, stop, sig)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:  # readable once the parent is gone (kill -9)
        def orphaned() -> None:
            loop.remove_reader(parent.sentinel)
            stop(signal.SIGTERM)
        with contextlib.suppress(NotImplementedError, OSError, ValueError):  # Windows
            loop.add_reader(parent.sentinel, orphaned)
    await run_sites(store, batch_id, sites, checklist, options, Hooks(start=events.start, end=events.end),
                    concurrency=concurrency, out=out)


@dataclass
class Worker:
    """A worker process of a batch as the parent sees it."""

    number: int
    process: BaseProcess
    conn: Connection
    todo: dict[int, str]  # site id -> url, until the site's end event
    ended: str | None = None  # how it said it ended: finished, stopped, store_error, crashed
    why: str = ""


def shares_of(todo: list[dict], processes: int, resolver: Callable[[str], list[str]] | None = None
              ) -> list[list[dict]]:
    """The sites to do in at most `processes` shares, each server's sites (resolved here) in one share, each
    share in the order of `todo`."""
    if processes <= 1 or len(todo) <= 1:
        return [todo]
    shares = share_out(server_groups(todo, resolve_sites(todo, resolver)), processes)
    order = {s["id"]: i for i, s in enumerate(todo)}
    return [sorted(share, key=lambda s: order[s["id"]]) for share in shares]


def _run_processes(batch_id: int, shares: list[list[dict]], options: Options, concurrency: int,
                   out: Path | None, tally: Tally, lock: Inherited | None = None) -> list[str]:
    """Each share of the sites in a worker process of its own; returns what went wrong with processes that
    died (their unfinished sites stay to do). Raises StoreError from a worker, and KeyboardInterrupt
    (a signal) once every worker has stopped."""
    ctx = multiprocessing.get_context("spawn")
    workers: list[Worker] = []
    try:
        for number, (share, slots) in enumerate(zip(shares, split(concurrency, len(shares)), strict=True), 1):
            reader, writer = ctx.Pipe(duplex=False)
            process = ctx.Process(target=process_main, args=(writer, batch_id, share, options, slots, out, lock),
                                  name=f"oit-batch-{number}", daemon=False)
            process.start()
            writer.close()  # the worker holds the only writer: its end (even kill -9) is the reader's EOF
            workers.append(Worker(number, process, reader, {s["id"]: s["url"] for s in share}))
        tally.report(f"{len(workers)} processes: " + ", ".join(f"{len(w.todo)} sites" for w in workers),
                     tally.progress)
        error = _collect(workers, tally)
    except BaseException:  # a signal: every worker stops its scans (stored as interrupted) before the exit
        _stop(workers, tally)
        raise
    if error is not None:
        _stop(workers, tally)
        raise StoreError(error)
    _reap(workers, tally)
    return [_died(w, len(workers)) for w in workers if w.ended != "finished"]


def _collect(workers: list[Worker], tally: Tally, until: float | None = None) -> str | None:
    """Events of the workers until each has ended (or `until`, a monotonic time); a StoreError's message
    stops it at once."""
    live = {w.conn: w for w in workers if not w.conn.closed}
    while live and (until is None or time.monotonic() < until):
        for conn in connection_wait(list(live), timeout=0.5):
            worker = live[conn]  # type: ignore[index]
            try:
                message = conn.recv()  # type: ignore[union-attr]
            except (EOFError, OSError):  # the worker is gone, every event of it read
                worker.conn.close()
                del live[conn]
                continue
            if _apply(worker, message, tally) is not None:
                return worker.why
        for conn, worker in list(live.items()):  # gone without an EOF (its writer inherited by a child of it)
            if not worker.process.is_alive() and not worker.conn.poll():
                worker.conn.close()
                del live[conn]
    return None


def _apply(worker: Worker, message: tuple, tally: Tally) -> str | None:
    """One event of a worker; returns the message of a StoreError."""
    kind = message[0]
    if kind == "start":
        tally.start(message[1], message[2])
    elif kind == "end":
        worker.todo.pop(message[1], None)
        tally.end(*message[1:])
    else:
        worker.ended, worker.why = kind, (message[1] if len(message) > 1 else "")
        if kind == "store_error":
            return worker.why
    return None


def _stop(workers: list[Worker], tally: Tally) -> None:
    """Stop every worker as a signal stops a batch (runs stored as interrupted), reading their last events;
    one that does not stop within STOP_GRACE seconds is killed (a resume redoes its sites)."""
    try:
        for w in workers:
            if w.process.is_alive():
                w.process.terminate()
        _collect(workers, tally, until=time.monotonic() + STOP_GRACE)
    except BaseException:  # a second signal: no more waiting
        for w in workers:
            if w.process.is_alive():
                w.process.kill()
        raise
    finally:
        _reap(workers, tally)


def _reap(workers: list[Worker], tally: Tally) -> None:
    """Wait for the workers to exit (killed after STOP_GRACE seconds); their unfinished sites are not in flight."""
    for w in workers:
        w.process.join(timeout=STOP_GRACE)
        if w.process.is_alive():
            w.process.kill()
            w.process.join()
        for site_id in w.todo:
            tally.progress.in_flight.pop(site_id, None)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _died(worker: Worker, processes: int) -> str:
    """What happened to a worker that did not finish its share."""
    worker.process.join()
    code = worker.process.exitcode
    if worker.ended == "crashed":
        how = worker.why
    elif worker.ended == "stopped":
        how = "stopped by a signal"
    else:
        how = f"killed by {_signal_name(-code)}" if code is not None and code < 0 else f"exit code {code}"
    return f"process {worker.number} of {processes} ended early ({how}) with {len(worker.todo)} sites unfinished"


@contextlib.contextmanager
def batch_lock(db: str | Path, csv_key: str) -> Iterator[int]:
    """One process at a time runs the batch of a CSV: an OS lock on a file next to the database (released by
    the OS when the process dies, even by kill -9, and its worker processes too); the file says who holds it.
    Yields the lock file's descriptor (worker processes keep a copy open: the lock lives as long as they do)."""
    path = Path(f"{db}.batch-{hashlib.sha1(csv_key.encode()).hexdigest()[:12]}.lock")
    try:
        f = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the whole batch
    except OSError as e:
        raise BatchError(f"cannot create lock file {path}: {e.strerror or e}") from None
    try:
        try:
            _lock_file(f)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise BatchError(f"{csv_key}: this batch is already running ({holder}); lock file {path}") from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}")
        f.flush()
        yield f.fileno()
    finally:
        f.close()  # releases the lock


def _lock_file(f) -> None:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt
        f.seek(0)
        msvcrt.locking(f.fileno(), msvcrt.LK_NBLCK, 1)
    else:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)


def run_batch(csv_path: str | Path, options: Options, concurrency: int = CONCURRENCY, out: str | Path | None = None,
              fresh: bool = False, report: Report | None = None, processes: int = 1
              ) -> tuple[int, Progress, list[str]]:
    """Run (or resume) the batch of a sites CSV, in `processes` worker processes (sites on one server always
    in the same one); returns (batch id, progress, CSV problems)."""
    sites = read_sites(csv_path)
    checklist = load(options.checklist)
    store = Store(options.db)
    csv_key = str(Path(csv_path).resolve())
    with batch_lock(options.db, csv_key) as lock:  # before its runs are taken as interrupted: they may be another's
        batch_id = None if fresh else store.open_batch(csv_key)
        if batch_id is None:
            settings = {"concurrency": concurrency, "processes": processes, "checklist_file": str(options.checklist)}
            batch_id = store.start_batch(csv_key, Path(csv_path).stem, settings, sites.sites)
        else:
            store.count_deaths(batch_id)  # sites whose process died under them (kill -9, OOM): given up after 3
            store.abandon_interrupted(batch_id)
        out_dir = Path(out) if out else None
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        all_sites = store.batch_sites(batch_id)
        progress = Progress(total=len(all_sites), done=sum(s["status"] == "done" for s in all_sites),
                            failed=sum(s["status"] == "failed" for s in all_sites))
        tally = Tally(progress, report or plain_report())
        todo = asyncio.run(night_order(store, [s for s in all_sites if s["status"] in ("pending", "running")],
                                       options.settings, concurrency, lambda line: tally.report(line, progress)))
        died: list[str] = []
        shares = shares_of(todo, min(processes, concurrency), options.settings.resolver)
        if len(shares) > 1:
            held = Inherited(lock) if os.name == "posix" else None
            died = _run_processes(batch_id, shares, options, concurrency, out_dir, tally, held)
        else:
            asyncio.run(run_sites(store, batch_id, todo, checklist, options, Hooks(start=tally.start, end=tally.end),
                                  concurrency=concurrency, out=out_dir))
        if died:
            store.count_deaths(batch_id)  # the sites a killed process was scanning: given up after 3 deaths
            store.abandon_dead()  # the runs a killed process left 'running' are interrupted ones
            for line in died:
                tally.report(line, progress)
        else:
            store.finish_batch(batch_id)
    if out_dir is not None:
        (out_dir / "summary.json").write_text(json.dumps(summary(store, batch_id), ensure_ascii=False, indent=2),
                                              encoding="utf-8")
    if died:
        raise BatchError("; ".join(died) + ": run the same batch again to finish them")
    return batch_id, progress, sites.problems


def summary(store: Store, batch_id: int) -> dict:
    """The batch in one document: each site's status, run and item counts."""
    b = store.batch(batch_id) or {}
    rows = []
    for s in store.batch_sites(batch_id):
        counts = {}
        if s["run_id"] and s["status"] == "done":
            counts = store.status_counts(s["run_id"])
        rows.append({"url": s["url"], "name": s["name"], "province": s["province"], "district": s["district"],
                     "type": s["type"], "line": s["line"], "status": s["status"], "run_id": s["run_id"],
                     "error": s["error"], "items": counts, "extra": json.loads(s["extra"] or "{}")})
    return {"schema": "oit-batch/1", "batch_id": batch_id, "name": b.get("name"), "csv": b.get("csv_path"),
            "started_at": b.get("started_at"), "finished_at": b.get("finished_at"), "status": b.get("status"),
            "sites": rows}
