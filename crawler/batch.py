"""Many sites in one run: a province's CSV, resumable after a crash, one failing site never stops it."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import hashlib
import io
import json
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .audit import SiteUnreachable, scan_site
from .checklist import Checklist, load
from .config import Options
from .fetch import HostGate
from .models import OitError
from .outputs import to_json
from .render import keep_browser
from .store import Store, StoreError
from .urls import BadURL, normalize_start, site_key

COLUMNS = ("url", "name", "province", "district", "type")


class BatchError(OitError, ValueError):
    """A sites file that cannot be used at all; the message names the file and line."""


@dataclass
class SitesFile:
    sites: list[dict]
    problems: list[str] = field(default_factory=list)  # "file:line: why", rows skipped


def read_sites(path: str | Path) -> SitesFile:
    """Read a sites CSV (header with `url`; name, province, district, type; other columns kept)."""
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        raise BatchError(f"{path}: cannot read: {e.strerror or e}") from None
    text, undecoded = decode_sites(raw)
    delimiter = "\t" if "\t" in text.partition("\n")[0] and "," not in text.partition("\n")[0] else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    try:
        out = _read_rows(path, reader)
    except csv.Error as e:  # a field over csv.field_size_limit (128 KB), a NUL byte...
        raise BatchError(f"{path}:{reader.line_num + 1}: {e}") from None  # the line being read
    out.problems[:0] = [f"{path}:{line}: text: some characters could not be read (saved in an unknown encoding?)"
                        for line in undecoded]
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


def _read_rows(path: str | Path, reader: csv.DictReader) -> SitesFile:
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "url" not in header:
        raise BatchError(f"{path}:1: header: no 'url' column (found: {', '.join(header) or 'nothing'})")
    reader.fieldnames = header
    out, seen = SitesFile([]), {}
    for row in reader:
        line = reader.line_num
        row = {k: (v or "").strip() for k, v in row.items() if k}
        url = row.get("url", "")
        if not url:
            out.problems.append(f"{path}:{line}: url: empty, row skipped")
            continue
        try:
            start = normalize_start(url)
        except BadURL as e:
            out.problems.append(f"{path}:{line}: url: {e}, row skipped")
            continue
        key = site_key(start)
        if key in seen:
            out.problems.append(f"{path}:{line}: url: {url} repeats line {seen[key]}, row skipped")
            continue
        seen[key] = line
        extra = {k: v for k, v in row.items() if k not in COLUMNS}
        out.sites.append({"line": line, "url": start, **{c: row.get(c, "") for c in COLUMNS[1:]},
                          "extra": json.dumps(extra, ensure_ascii=False)})
    return out


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


async def _run(store: Store, batch_id: int, checklist: Checklist, options: Options, concurrency: int,
               out: Path | None, report: Report) -> Progress:
    todo = [s for s in store.batch_sites(batch_id) if s["status"] in ("pending", "running")]
    all_sites = store.batch_sites(batch_id)
    progress = Progress(total=len(all_sites), done=sum(s["status"] == "done" for s in all_sites),
                        failed=sum(s["status"] == "failed" for s in all_sites))
    gate = HostGate(options.settings.per_host, options.settings.delay, resolve=True)
    slots = asyncio.Semaphore(max(1, concurrency))

    async def one(site: dict) -> None:
        async with slots:
            store.site_started(site["id"])
            progress.in_flight[site["id"]] = site["url"]
            report(f"start {site['url']}", progress)
            run_id, error = None, None
            try:
                run_id = await scan_site(site["url"], checklist, store, options, gate, batch_id,
                                         name=site.get("name") or None)
            except SiteUnreachable as e:
                error = str(e)
                run_id = store.batch_run(site["url"], batch_id)
            except StoreError:
                raise  # a full disk stops the batch; its sites stay to do, a resume redoes them
            except Exception as e:  # noqa: BLE001 - one hostile site never stops the batch
                error = f"{type(e).__name__}: {e}"[:300]
            if run_id is not None and error is None:
                doc = store.result(run_id)
                progress.pages += doc["pages_fetched"] or 0
                if out is not None:
                    (out / f"site-{site['line']}-{file_name(site['url'])}.json").write_text(to_json(doc),
                                                                                            encoding="utf-8")
            store.site_done(site["id"], run_id, error)  # committed before it is reported done
            progress.in_flight.pop(site["id"], None)
            if error:
                progress.failed += 1
            else:
                progress.done += 1
            report(f"{'FAILED' if error else 'done'} {site['url']}" + (f": {error}" if error else ""), progress)

    tasks = [asyncio.create_task(one(s)) for s in todo]
    async with keep_browser():  # one Chromium for every site of the batch, started only if one needs it
        try:
            await asyncio.gather(*tasks)
        finally:  # a StoreError or a signal: the other sites stop too, their runs stored as interrupted
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
    return progress


@contextlib.contextmanager
def batch_lock(db: str | Path, csv_key: str) -> Iterator[None]:
    """One process at a time runs the batch of a CSV: an OS lock on a file next to the database (released by
    the OS when the process dies, even by kill -9); the file says who holds it."""
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
        yield
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


def run_batch(csv_path: str | Path, options: Options, concurrency: int = 4, out: str | Path | None = None,
              fresh: bool = False, report: Report | None = None) -> tuple[int, Progress, list[str]]:
    """Run (or resume) the batch of a sites CSV; returns (batch id, progress, CSV problems)."""
    sites = read_sites(csv_path)
    checklist = load(options.checklist)
    store = Store(options.db)
    csv_key = str(Path(csv_path).resolve())
    with batch_lock(options.db, csv_key):  # before its runs are taken as interrupted: they may be another's
        batch_id = None if fresh else store.open_batch(csv_key)
        if batch_id is None:
            settings = {"concurrency": concurrency, "checklist_file": str(options.checklist)}
            batch_id = store.start_batch(csv_key, Path(csv_path).stem, settings, sites.sites)
        else:
            store.abandon_interrupted(batch_id)
        out_dir = Path(out) if out else None
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
        report = report or plain_report()
        progress = asyncio.run(_run(store, batch_id, checklist, options, concurrency, out_dir, report))
        store.finish_batch(batch_id)
    if out_dir is not None:
        (out_dir / "summary.json").write_text(json.dumps(summary(store, batch_id), ensure_ascii=False, indent=2),
                                              encoding="utf-8")
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
