"""Command line `oit`: argument parsing and exit codes only (0 all found, 2 some gap, 1 error)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rich.console import Console

from . import __version__, archive, submission
from .audit import SiteUnreachable, audit
from .batch import CONCURRENCY as BATCH_CONCURRENCY
from .batch import MAX_PROCESSES, SITES_PER_PROCESS, default_processes, plain_report, run_batch
from .batch import summary as batch_summary
from .browsers import find_chromium
from .checklist import Assessment, assessment, checklists_dir, load, new_year, scan_date, year_files
from .config import DEFAULT_DB, RENDER_MODES, Budget, Options, RenderOptions, Settings
from .diff import diff_batches, diff_runs
from .diff import text as change_text
from .documents import shutdown_readers
from .explain import explain, for_result
from .match import decision, score_link
from .models import NOT_GAPS, STATUS_TH, Link, OitError
from .nearest import nearest_all
from .outputs import html_batch, html_site, nacc_paste, print_table, summary_line, to_csv, to_json, to_xlsx
from .outputs.common import admin_error, advice_th
from .progress import ScanProgress
from .store import Store, StoreError
from .urls import normalize_start

EXIT_OK, EXIT_ERROR, EXIT_GAPS = 0, 1, 2
EXIT_SIGNAL = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + the signal, as shells report a killed command
_stopped_by: list[int] = []


def _on_sigterm(signum: int, frame: object) -> None:
    """SIGTERM (systemd, docker stop, kill) takes Ctrl-C's path: runs marked interrupted, then exit 143."""
    _stopped_by.append(signum)
    if signal.getsignal(signal.SIGINT) not in (signal.SIG_IGN, signal.SIG_DFL, None):
        signal.raise_signal(signal.SIGINT)  # asyncio.run cancels the scan, which stores its run as interrupted
        return
    try:  # SIGINT ignored (`oit batch &` in a script): cancel the tasks as asyncio.run does on Ctrl-C
        loop = asyncio.get_running_loop()
    except RuntimeError:
        raise KeyboardInterrupt from None
    loop.call_soon_threadsafe(_cancel_main, loop)


def _cancel_main(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the task asyncio.run started (the oldest alive); its cancellation reaches every scan in it."""
    def number(task: asyncio.Task) -> int:
        name = task.get_name()
        return int(name[5:]) if name.startswith("Task-") and name[5:].isdigit() else 1 << 60
    tasks = asyncio.all_tasks(loop)
    if tasks:
        min(tasks, key=number).cancel()


class UsageError(OitError):
    """A command line that cannot be run: a wrong option or value (exit 1, one line)."""


class Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 1, like every other error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _number(kind: type, low: float, what: str):
    """An argparse type: a number of `kind` at least `low`, or a clear usage error."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{what} must be at least {low:g}, got {text}")
        return value
    return parse


def _safe_output() -> None:
    """Output never crashes on a console's encoding: UTF-8 on Windows, replacement characters elsewhere."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding in ("utf8", "utf_8") or not hasattr(stream, "reconfigure"):
            continue
        if os.name == "nt":
            stream.reconfigure(encoding="utf-8", errors="replace")
        else:
            stream.reconfigure(errors="replace")


def _write_out(text: str) -> None:
    """A machine format (CSV, JSON ...) to standard output: always UTF-8 bytes, whatever the console says."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8"))
    buffer.flush()


def _scan_options(p: argparse.ArgumentParser) -> None:
    """Options shared by scan, batch and nightly."""
    p.add_argument("--db", default=str(DEFAULT_DB), help="SQLite file (default data/oit.db)")
    p.add_argument("--checklist", help="checklist YAML (default: the shipped one of --year, else today's: see --year)")
    p.add_argument("--year", type=int, help="assessment year B.E.: picks checklists/oit-YEAR.yaml; with --checklist, "
                                            "the year its periods are judged for (default: the checklist's). Without "
                                            "either: the fiscal year of the scan date, judged against its own list "
                                            "or, until there is one, the newest list before it")
    _today_option(p)
    p.add_argument("--max-pages", type=_number(int, 1, "--max-pages"), default=300)
    p.add_argument("--max-depth", type=_number(int, 0, "--max-depth"), default=5)
    p.add_argument("--time-limit", type=_number(float, 1, "--time-limit"), default=600.0,
                   help="seconds for the whole site")
    p.add_argument("--delay", type=_number(float, 0, "--delay"), default=0.2,
                   help="seconds between requests to one host")
    p.add_argument("--per-host", type=_number(int, 1, "--per-host"), default=2, help="requests at a time to one host")
    p.add_argument("--ignore-robots", action="store_true", help="for an admin scanning their own site")
    p.add_argument("--check-offsite", dest="check_offsite", action="store_true", default=None,
                   help="check off-site evidence links (default: unless the site is local)")
    p.add_argument("--no-check-offsite", dest="check_offsite", action="store_false")
    p.add_argument("--render", choices=RENDER_MODES, default="auto",
                   help="run pages built by scripts in Chromium: auto (only pages that need it), never, always")
    p.add_argument("--chromium", default=os.environ.get("OIT_CHROMIUM") or None,
                   help="Chromium executable (default: env OIT_CHROMIUM, else chromium-headless-shell, chromium, "
                        "chromium-browser or google-chrome on PATH, /snap/bin/chromium, Chrome or Edge on Windows)")
    p.add_argument("--render-pages", type=_number(int, 0, "--render-pages"), default=10,
                   help="pages rendered per site at most")
    p.add_argument("--render-timeout", type=_number(float, 1, "--render-timeout"), default=15.0,
                   help="seconds to load one rendered page")
    p.add_argument("--no-archive", action="store_true", help="keep no WARC copy of the evidence (data/archive/)")


def _today_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--today", default=os.environ.get("OIT_TODAY") or None, metavar="YYYY-MM-DD",
                   help="the scan date the fiscal year and the due dates are judged on, e.g. 2569-12-04 (B.E.) or "
                        "2026-12-04 (default: env OIT_TODAY, else today in Bangkok)")


def _assessment(a: argparse.Namespace) -> Assessment:
    """--checklist FILE and/or --year, else the assessment of the scan date's fiscal year; a year without a
    shipped list is said in Thai, with the years there are."""
    if a.year is not None and not a.checklist and a.year not in year_files():
        have = ", ".join(str(y) for y in year_files()) or "ไม่มี"
        hint = ""
        if 0 < a.year < 100:
            hint = f" (หมายถึง {2500 + a.year} หรือไม่? ปีต้องเป็น พ.ศ.)"
        elif 1900 < a.year < 2200:
            hint = f" (หมายถึง {a.year + 543} หรือไม่? ปีต้องเป็น พ.ศ. {a.year} เป็น ค.ศ.)"
        raise UsageError(f"--year {a.year}: ไม่มีเกณฑ์ของปี {a.year}{hint} มีเกณฑ์ของปี {have}")
    return assessment(a.year, a.checklist or None, scan_date(getattr(a, "today", None)))


def _checklist(a: argparse.Namespace) -> str:
    return str(_assessment(a).path)


def _options(a: argparse.Namespace) -> Options:
    chosen = _assessment(a)
    return Options(
        checklist=str(chosen.path), db=a.db, year=chosen.year, today=scan_date(a.today).isoformat(),
        budget=Budget(max_pages=a.max_pages, max_depth=a.max_depth, time_limit=a.time_limit),
        settings=Settings(per_host=max(1, a.per_host), delay=max(0.0, a.delay), obey_robots=not a.ignore_robots,
                          allow_private=getattr(a, "allow_private", True)),  # batch and nightly refuse by default
        check_offsite=a.check_offsite, workers=max(1, a.per_host),
        render=RenderOptions(mode=a.render, chromium=a.chromium or find_chromium(), budget=max(0, a.render_pages),
                             nav_timeout=max(1.0, a.render_timeout), deadline=max(1.0, a.render_timeout) + 10),
        archive=not getattr(a, "no_archive", False),
    )


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="oit", description="Check a Thai agency website against the ITA OIT checklist.")
    p.add_argument("--version", action="version", version=f"oit {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)

    scan = sub.add_parser("scan", help="audit one website and print the 43-item table")
    scan.add_argument("url")
    _scan_options(scan)
    scan.add_argument("--name", help="the agency's name for the report (default: the site's own title)")
    scan.add_argument("--json", dest="json_path", help="write the oit-result/1 JSON here")
    scan.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")

    batch = sub.add_parser("batch", help="audit every site of a CSV (url,name,province,district,type)")
    nightly = sub.add_parser("nightly", help="batch, then what changed since the last batch (exit 2 if worse)")
    dispatch = sub.add_parser("dispatch", help="a batch audited by the workers (oit worker), stored in --db")
    for cmd in (batch, nightly, dispatch):
        cmd.add_argument("sites_csv")
        _scan_options(cmd)
        cmd.add_argument("--out", help="folder for one result JSON per site and a summary")
        cmd.add_argument("--concurrency", type=_number(int, 1, "--concurrency"), default=BATCH_CONCURRENCY,
                         help=f"sites at a time, over all the processes (default {BATCH_CONCURRENCY})")
        cmd.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")
        cmd.add_argument("--fresh", action="store_true", help="start a new batch instead of resuming")
        cmd.add_argument("--allow-private", action="store_true",
                         help="allow sites on loopback or private addresses (intranets, tests)")
    for cmd in (batch, nightly):
        cmd.add_argument("--processes", type=_number(int, 1, "--processes"), default=None,
                         help=f"worker processes (default: one per {SITES_PER_PROCESS} sites at a time, up to the "
                              f"CPUs and {MAX_PROCESSES}); the sites of one server always go to the same process")
    broker = os.environ.get("OIT_BROKER") or None  # the URL holds a password: better in the environment than in ps
    worker = sub.add_parser("worker", help="audit sites sent by `oit dispatch` / `oit nightly --broker`")
    for cmd, required in ((nightly, False), (dispatch, broker is None), (worker, broker is None)):
        cmd.add_argument("--broker", required=required, default=broker,
                         help="Redis of the workers: redis://[:PASSWORD@]HOST:PORT/DB (default: env OIT_BROKER)")
    for cmd in (nightly, dispatch):
        cmd.add_argument("--heartbeat", type=float, default=30.0, help="seconds before a silent worker's sites "
                         "go to another (default 30)")
    worker.add_argument("--processes", type=int, default=1, help="worker processes (default 1; about one per core)")
    worker.add_argument("--concurrency", type=int, default=4, help="sites at a time per process (default 4)")
    worker.add_argument("--heartbeat", type=float, default=30.0, help="seconds before a silent worker is dead")
    worker.add_argument("--allow-private", action="store_true",
                        help="this worker may fetch loopback or private addresses (intranets, tests); a job cannot ask")
    worker.add_argument("--chromium", default=None,
                        help="Chromium executable of this worker (default: env OIT_CHROMIUM, else the one found, "
                        "the headless shell first)")
    worker.add_argument("--documents", default="data/worker-documents.db",
                        help="the machine's document cache, shared by its processes ('' for none)")

    rep = sub.add_parser("report", help="a stored run or batch as HTML, CSV, XLSX, JSON, or the NACC paste list")
    pick = rep.add_mutually_exclusive_group(required=True)
    pick.add_argument("--run", type=int)
    pick.add_argument("--batch", type=int)
    pick.add_argument("--latest", action="store_true", help="the latest batch, or the latest run")
    rep.add_argument("--db", default=str(DEFAULT_DB))
    rep.add_argument("--format", choices=("html", "csv", "matrix-csv", "xlsx", "json", "nacc"), default="html")
    rep.add_argument("-o", "--output", help="file to write (default: standard output; required for xlsx)")
    rep.add_argument("--serve-url", default=submission.SERVE_URL,
                     help="HTML: address of `oit serve` for the links to archived copies ('' for none)")

    diff = sub.add_parser("diff", help="what changed between a site's (or a batch's) last two runs")
    which = diff.add_mutually_exclusive_group(required=True)
    which.add_argument("--site", help="a site's URL: its latest run against the one before")
    which.add_argument("--batch", type=int, help="a batch against the batch before it")
    which.add_argument("--runs", type=int, nargs=2, metavar=("OLD", "NEW"), help="two runs")
    which.add_argument("--latest", action="store_true", help="the latest batch against the one before")
    diff.add_argument("--db", default=str(DEFAULT_DB))
    diff.add_argument("--json", dest="json_path", help="also write the changes as JSON")

    export = sub.add_parser("export", help="print a stored run as JSON or CSV")
    group = export.add_mutually_exclusive_group(required=True)
    group.add_argument("--run", type=int)
    group.add_argument("--latest", action="store_true")
    export.add_argument("--db", default=str(DEFAULT_DB))
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("-o", "--output", help="file to write (default: standard output)")

    acc = sub.add_parser("accept", help="record that an admin checked an item and accepts it as it is "
                                        "(kept, beside its status, until its evidence changes)")
    acc.add_argument("item", help="e.g. O23")
    acc.add_argument("--url", required=True, help="the evidence URL the admin checked")
    acc.add_argument("--note", required=True, help="why it is accepted (shown in the reports)")
    acc.add_argument("--site", help="the site's URL (default: the site whose evidence has --url)")
    acc.add_argument("--run", type=int, help="a run of the site (default: its latest)")
    acc.add_argument("--db", default=str(DEFAULT_DB))

    prune = sub.add_parser("prune", help="drop the page detail of old runs (results and evidence stay)")
    prune.add_argument("--db", default=str(DEFAULT_DB))
    prune.add_argument("--keep-runs", type=int, help="keep the page detail of the N newest runs of each site")
    prune.add_argument("--older-than", type=float, metavar="DAYS", help="only runs started more than DAYS ago")
    prune.add_argument("--vacuum", action="store_true", help="then give the freed space back to the disk")

    check = sub.add_parser("check-checklist", help="validate checklist YAML files; say what is still unconfirmed")
    check.add_argument("paths", nargs="*", metavar="path", help="default: every shipped checklist")

    lists = sub.add_parser("checklists", help="the assessment years there are checklists for, with items and status")
    _today_option(lists)
    one = sub.add_parser("checklist", help="make a checklist: `oit checklist new 2570 --from 2569`")
    one_sub = one.add_subparsers(dest="action", required=True, parser_class=Parser)
    new = one_sub.add_parser("new", help="a draft list for YEAR in which every item continues its item of --from")
    new.add_argument("year", type=int, help="the new assessment year B.E.")
    new.add_argument("--from", dest="source", type=int, required=True, help="the shipped year to start from")
    new.add_argument("-o", "--output", help="file to write (default: checklists/oit-YEAR.yaml beside the shipped ones)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")

    explain_cmd = sub.add_parser("explain", help="what an item must show, its period, where sites put it")
    explain_cmd.add_argument("items", nargs="*", metavar="ITEM", help="e.g. O23 (default: every item)")
    explain_cmd.add_argument("--checklist", help="checklist YAML (default: the one of --year, else today's)")
    explain_cmd.add_argument("--year", type=int, help="assessment year B.E.: picks checklists/oit-YEAR.yaml")
    _today_option(explain_cmd)

    classify = sub.add_parser("classify", help="show which items a link label would match")
    classify.add_argument("text")
    classify.add_argument("--context", default="", help="parent menu or page title words")
    classify.add_argument("--url", default="")
    classify.add_argument("--row", default="", help="text of the table row, for generic anchors")
    classify.add_argument("--list", action="store_true", help="the label sits on an ITA/OIT list page")
    classify.add_argument("--checklist", help="checklist YAML (default: the one of --year, else today's)")
    classify.add_argument("--year", type=int, help="assessment year B.E.: picks checklists/oit-YEAR.yaml")
    _today_option(classify)

    submission.add_commands(sub, str(DEFAULT_DB))  # ita-page, archive

    serve = sub.add_parser("serve", help="the web app for ITA admins (Thai), on this computer")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (beyond loopback: a token is needed)")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--db", default=str(DEFAULT_DB))
    serve.add_argument("--allow-private", action="store_true", help="allow scans of loopback or private addresses")
    serve.add_argument("--scans", type=int, default=2, help="scans at a time (default 2)")
    _today_option(serve)
    return p


def _scan(a: argparse.Namespace, console: Console) -> int:
    options = _options(a)
    progress = ScanProgress(a.url, options.budget.max_pages)
    with _watch(progress, quiet=a.quiet):
        doc = audit(a.url, options, on_page=progress.page, name=a.name)
    if a.json_path:
        Path(a.json_path).write_text(to_json(doc), encoding="utf-8")
    if a.quiet:
        console.print(summary_line(doc), markup=False)
    else:
        print_table(doc, console)
    return EXIT_OK if all(i["status"] in NOT_GAPS or i.get("accepted") for i in doc["items"]) else EXIT_GAPS


@contextlib.contextmanager
def _watch(progress: ScanProgress, quiet: bool):
    """Show a scan's progress on stderr: a live line on a terminal, a plain line every 15 s otherwise.

    The first line comes after 3 s, so a slow or hanging home page is said within seconds."""
    if quiet:
        yield
        return
    stop = threading.Event()
    live = sys.stderr.isatty()
    progress.started = time.monotonic()

    def tick() -> None:
        wait = 3.0
        while not stop.wait(wait):
            try:
                line = progress.line()
            except RuntimeError:  # the crawl changed a set while it was read: next time
                continue
            if live:
                sys.stderr.write("\r" + line[:150].ljust(150))
            else:
                sys.stderr.write(line + "\n")
            sys.stderr.flush()
            wait = 0.5 if live else 15.0

    thread = threading.Thread(target=tick, name="oit-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=1)
        if live:
            sys.stderr.write("\r" + " " * 150 + "\r")
            sys.stderr.flush()


def _no_database(db: str) -> StoreError:
    """Where the database was looked for, and how to pick another."""
    where = Path(db).resolve()
    return StoreError(f"ไม่พบฐานข้อมูลผลการตรวจที่ {where} (ค้นหาจากโฟลเดอร์ที่สั่งงาน {Path.cwd()}) "
                      f"ระบุไฟล์อื่นด้วย --db เช่น --db /opt/oit/data/oit.db")


def _exists(db: str) -> bool:
    try:
        return Path(db).is_file()
    except OSError:  # a folder this user may not enter
        raise StoreError(f"เปิดฐานข้อมูล {db} ไม่ได้: ไม่มีสิทธิ์เข้าถึงโฟลเดอร์ของไฟล์นี้") from None


def _reading(db: str) -> Store:
    """The database for a reading command (report, export, diff, accept's look-up): writable if it can be,
    else read-only (a copy on a read-only disk, a file of another user)."""
    if not _exists(db):
        raise _no_database(db)
    try:
        return Store(db)
    except StoreError:
        return Store(db, readonly=True)


def _writing(db: str) -> Store:
    """The database for a command that records something; a read-only one is said so in Thai."""
    if not _exists(db):
        raise _no_database(db)
    try:
        return Store(db)
    except StoreError as e:
        raise StoreError(f"บันทึกลงฐานข้อมูล {Path(db).resolve()} ไม่ได้ (ไฟล์อ่านได้อย่างเดียว ไม่มีสิทธิ์เขียน "
                         "หรือดิสก์เต็ม) ดูผลได้ด้วย oit report และ oit export หรือระบุไฟล์ที่เขียนได้ด้วย --db") from e


def _export(a: argparse.Namespace) -> int:
    store = _reading(a.db)
    run_id = store.latest_run() if a.latest else a.run
    if run_id is None or store.run(run_id) is None:
        raise StoreError(f"ไม่มีผลการตรวจหมายเลข {a.run} ใน {a.db}" if a.run else f"ยังไม่มีผลการตรวจที่เสร็จแล้วใน {a.db}")
    doc = store.result(run_id)
    text = to_json(doc) if a.format == "json" else to_csv([doc], layout="export")
    if a.output:
        Path(a.output).write_text(text, encoding="utf-8")
    else:
        _write_out(text + ("\n" if a.format == "json" else ""))
    return EXIT_OK


def _progress(console: Console):
    """A live display on a terminal; plain log lines otherwise (cron, systemd, pipes)."""
    if not sys.stderr.isatty():
        return None, plain_report()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=False)
    task = bar.add_task("หน่วยงาน", total=None)

    def report(event: str, p) -> None:
        flying = ", ".join(list(p.in_flight.values())[:3])
        bar.update(task, total=p.total, completed=p.done + p.failed,
                   description=f"เสร็จ {p.done} ไม่ได้ {p.failed} เหลือ {p.left} อ่าน {p.pages} หน้า | {flying}"[:110])
    return bar, report


def _batch(a: argparse.Namespace, console: Console) -> tuple[int, int]:
    """Run the batch; returns its id and the exit code (1 every site failed, 2 a gap or a failed site, else 0)."""
    bar, report = (None, lambda event, p: None) if a.quiet else _progress(console)
    if bar is not None:
        bar.start()
    try:
        if getattr(a, "broker", None):  # on the workers (oit dispatch, oit nightly --broker)
            run_dispatch = _distributed("dispatch").run_dispatch
            batch_id, progress, problems = run_dispatch(a.sites_csv, _options(a), a.broker, a.out, a.fresh, report,
                                                        a.heartbeat)
        else:
            batch_id, progress, problems = run_batch(a.sites_csv, _options(a), max(1, a.concurrency), a.out,
                                                     a.fresh, report, a.processes or default_processes(a.concurrency))
    finally:
        if bar is not None:
            bar.stop()
    for problem in problems:
        print(f"oit: {problem}", file=sys.stderr)
    store = Store(a.db)
    runs = [s["run_id"] for s in store.batch_sites(batch_id) if s["status"] == "done" and s["run_id"]]
    gaps = sum(1 for run_id in runs if set(store.status_counts(run_id)) - set(NOT_GAPS))
    console.print(f"ชุดงาน {batch_id}: ตรวจเสร็จ {progress.done} แห่ง, ตรวจไม่ได้ {progress.failed} แห่ง, "
                  f"มีข้อที่ยังไม่ผ่าน {gaps} แห่ง, อ่าน {progress.pages} หน้า, ข้ามแถว {len(problems)} แถว", markup=False)
    if progress.total and progress.failed == progress.total:
        return batch_id, EXIT_ERROR
    return batch_id, EXIT_GAPS if gaps or progress.failed else EXIT_OK


def _write_changes(report: dict, out: str | None, db: str) -> str:
    text = change_text(report)
    if out:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "changes.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        (folder / "changes.txt").write_text(text, encoding="utf-8")
    return text


def _nightly(a: argparse.Namespace, console: Console) -> int:
    """A batch, then what changed since the last one, in a folder of its own (Bangkok date and time)."""
    bangkok = datetime.now(timezone(timedelta(hours=7)))
    out = a.out or str(Path("data") / "reports" / bangkok.strftime("%Y-%m-%d_%H%M"))
    a.out = out
    batch_id, code = _batch(a, console)
    store = Store(a.db)  # even when every site failed: that is a change to report
    previous = store.previous_batch(batch_id)
    report = diff_batches(store, previous, batch_id)
    if previous is None:
        console.print("คืนแรกของรายชื่อนี้: ยังไม่มีผลครั้งก่อนให้เทียบ", markup=False)
        if not report["sites"]:
            return EXIT_ERROR if code == EXIT_ERROR else EXIT_OK
    console.print(_write_changes(report, out, a.db), markup=False, end="")
    console.print(f"รายงานการเปลี่ยนแปลง: {out}/changes.txt", markup=False)
    return EXIT_GAPS if report["worse"] else EXIT_OK


def _diff(a: argparse.Namespace, console: Console) -> int:
    store = _reading(a.db)
    if a.runs:
        report = diff_runs(store, *a.runs)
    elif a.site:
        runs = store.site_runs(normalize_start(a.site))
        if len(runs) < 2:
            raise StoreError(f"{a.site}: ยังตรวจเสร็จไม่ถึงสองครั้งใน {a.db} จึงยังไม่มีอะไรให้เทียบ")
        report = diff_runs(store, runs[1], runs[0])
    else:
        new = a.batch or store.latest_batch()
        old = store.previous_batch(new) if new else None
        if old is None:
            raise StoreError(f"ยังไม่มีชุดงานครั้งก่อนให้เทียบใน {a.db}")
        report = diff_batches(store, old, new)
    if a.json_path:
        Path(a.json_path).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(change_text(report), markup=False, end="")
    return EXIT_OK


def _report(a: argparse.Namespace) -> int:
    store = _reading(a.db)
    batch_id, run_id = a.batch, a.run
    if a.latest:
        run_id = store.latest_run()
        batch_id = store.latest_batch() if run_id is None or (store.run(run_id) or {}).get("batch_id") else None
        run_id = None if batch_id else run_id
    if batch_id is not None:
        if store.batch(batch_id) is None:
            raise StoreError(f"ไม่มีชุดงานหมายเลข {batch_id} ใน {a.db}")
        summary = batch_summary(store, batch_id)
        docs = [store.result(s["run_id"]) for s in summary["sites"] if s["status"] == "done" and s["run_id"]]
        batch = {"id": batch_id, "name": summary["name"], "started_at": summary["started_at"],
                 "finished_at": summary["finished_at"], "sites": summary["sites"]}
    elif run_id is not None and store.run(run_id) is not None:
        docs, batch, summary = [store.result(run_id)], None, None
    else:
        raise StoreError(f"ไม่มีผลการตรวจหรือชุดงานนี้ใน {a.db}")
    fmt = a.format
    if fmt == "xlsx":
        if not a.output:
            raise StoreError("--format xlsx ต้องระบุไฟล์ด้วย -o เช่น -o ผลตรวจ.xlsx")
        Path(a.output).write_bytes(to_xlsx(docs, batch))
        _wrote(a.output)
        return EXIT_OK
    if fmt == "html":
        docs = [archive.annotate(d, store, a.serve_url) for d in docs] if a.serve_url else docs  # archived copies
        notes = for_result(docs[0]) if docs else {}
        if batch is None and docs:  # one site: why each missing item was not found (the nearest links)
            _why_missing(store, docs[0])
        text = html_batch(docs, batch, notes) if batch else html_site(docs[0], requirements=notes)
    elif fmt == "csv":
        text = to_csv(docs, batch, layout="items")
    elif fmt == "matrix-csv":
        text = to_csv(docs, batch, layout="matrix")
    elif fmt == "nacc":
        text = "\n".join(nacc_paste(d, heading=batch is not None) for d in docs)
    else:
        text = json.dumps(summary, ensure_ascii=False, indent=2) if batch else to_json(docs[0])
    if a.output:
        Path(a.output).write_text(text, encoding="utf-8")
        _wrote(a.output)
    else:
        _write_out(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def _distributed(module: str):
    """crawler.workers or crawler.dispatch: they need the `workers` extra (Dramatiq and the Redis client)."""
    import importlib
    try:
        return importlib.import_module(f".{module}", __package__)
    except ImportError as e:
        if (e.name or "").split(".")[0] not in ("dramatiq", "redis"):
            raise
        raise UsageError("การตรวจด้วยเครื่องลูกข่าย (oit worker, oit dispatch, oit nightly --broker) ต้องติดตั้ง"
                         "ส่วนเสริมก่อน: pip install 'oit-crawler[workers]' (ถ้าติดตั้งด้วย pipx: "
                         "pipx inject oit-crawler 'dramatiq[redis]')") from None


def _why_missing(store: Store, doc: dict) -> None:
    """Put beside each missing item the links of its run that came nearest to it (`nearest` in the report)."""
    wanted = {it["id"] for it in doc["items"] if it["status"] == "missing"}
    if not wanted:
        return
    try:
        checklist = load(doc["checklist"].get("file"))
    except OitError:  # the checklist file moved: the report goes without
        return
    near = nearest_all(checklist, store.links(doc["run_id"]), wanted, 3)
    for it in doc["items"]:
        if near.get(it["id"]):
            it["nearest"] = near[it["id"]]


def _wrote(path: str) -> None:
    """Where a report went (on stderr: standard output may be the report itself)."""
    print(f"oit: เขียนรายงานไว้ที่ {Path(path).resolve()}", file=sys.stderr)


def _accept(a: argparse.Namespace, console: Console) -> int:
    """An admin's decision on an item: accepted with a note, kept by the next runs until its evidence changes."""
    store = _reading(a.db)
    item = a.item.strip().upper()
    item = f"O{item}" if item.isdigit() else item
    url = a.url.strip()
    run_id = a.run
    if run_id is None and a.site:
        runs = store.site_runs(normalize_start(a.site))
        run_id = runs[0] if runs else None
        if run_id is None:
            raise StoreError(f"ยังไม่มีผลการตรวจของ {a.site} ใน {a.db}")
    if run_id is None:
        run_id = store.run_with_evidence(item, url)
        if run_id is None:
            raise UsageError(f"ไม่พบ {url} ในหลักฐานข้อ {item} ของการตรวจใดใน {a.db}: ระบุเว็บไซต์ด้วย --site")
    store = _writing(a.db)
    decision = store.accept(run_id, item, url, a.note)
    run = store.run(run_id) or {}
    console.print(f"บันทึกแล้ว: ข้อ {item} ของ {run.get('name') or run.get('start_url')} ผู้ดูแลยอมรับ "
                  f"(สถานะยังเป็น {STATUS_TH.get(decision['status'], decision['status'])}) "
                  f"หมายเหตุ: {decision['note']} — คงไว้ในการตรวจครั้งต่อไปจนกว่าหลักฐานจะเปลี่ยน", markup=False)
    return EXIT_OK


def _prune(a: argparse.Namespace, console: Console) -> int:
    """Keep the database in bounds: old runs lose their pages and links, never their results."""
    if not Path(a.db).exists():
        raise _no_database(a.db)
    if a.keep_runs is not None and a.keep_runs < 1:
        raise StoreError("--keep-runs ต้องเป็น 1 ขึ้นไป")
    store = Store(a.db)
    before = Path(a.db).stat().st_size
    counts = store.prune(a.keep_runs, a.older_than)
    archived = archive.prune(store)  # the archived evidence of the pruned runs, by the same rules
    if a.vacuum:
        store.vacuum()
    old = f" และแถวลิงก์แบบเดิม {counts['old_links']} แถว" if counts.get("old_links") else ""
    console.print(f"ล้างรายละเอียดของการตรวจเก่า {counts['runs']} ครั้ง: ลบ {counts['pages']} หน้า ชุดลิงก์ "
                  f"{counts['linksets']} ชุด{old} (ผลและหลักฐานยังอยู่ครบ) ฐานข้อมูล {before / 1e6:.1f} MB -> "
                  f"{Path(a.db).stat().st_size / 1e6:.1f} MB; สำเนาหลักฐาน: ลบ {archived['records']} รายการ "
                  f"{archived['files']} ไฟล์ คืนพื้นที่ {archived['bytes'] / 1e6:.1f} MB", markup=False)
    return EXIT_OK


def _classify(a: argparse.Namespace, console: Console) -> int:
    """The crawler's own scoring of one link: each item it names and what the crawler makes of it."""
    checklist = load(_checklist(a))
    link = Link(url=a.url, text=a.text, row=a.row)
    hits = score_link(checklist, link, a.context, a.list)
    if not hits:
        console.print("no item", markup=False)  # a developer's tool: its output is read by scripts
    for h in hits:
        console.print(f"{h.item}\t{h.score:.2f}\t{decision(h)}\t{'; '.join(h.terms)}", markup=False)
    return EXIT_OK


def _explain(a: argparse.Namespace, console: Console) -> int:
    """Print what each asked item requires."""
    chosen = _assessment(a)
    checklist = load(chosen.path)
    year = chosen.year
    console.print(chosen.basis(), markup=False)
    by_id = {i.id.upper(): i for i in checklist.items}
    wanted = [w.upper() if not w.isdigit() else f"O{w}" for w in a.items] or list(by_id)
    unknown = [w for w in wanted if w not in by_id]
    if unknown:
        raise UsageError(f"no item {', '.join(unknown)} in {checklist.name} (items O1-O{len(checklist.items)})")
    console.print("\n\n".join(explain(by_id[w], year).text() for w in wanted), markup=False)
    return EXIT_OK


def _checklists(a: argparse.Namespace) -> int:
    """One line per shipped checklist, newest first: year, items, status, how many items are confirmed; the
    default (the list of the scan date's fiscal year) marked, with the sentence saying which year it judges."""
    files = year_files()
    if not files:
        raise OitError("no checklists shipped (checklists/oit-YYYY.yaml)")
    today = assessment(today=scan_date(a.today))
    print("year  items  status  confirmed  unconfirmed  unseen  name")
    for year, path in sorted(files.items(), reverse=True):
        c = load(path)
        unconfirmed = sum(not i.confirmed for i in c.items)
        mark = f"  (default: FY {today.year})" if year == today.list_year else ""
        print(f"{year}  {len(c.items):>5}  {c.status:<6}  {len(c.items) - unconfirmed:>9}  {unconfirmed:>11}  "
              f"{sum(i.unseen for i in c.items):>6}  {c.name}{mark}")
    print(f"default: {today.basis()}")
    return EXIT_OK


def _check_checklists(paths: list[str]) -> int:
    """Validate each file; say which items are still unconfirmed or unseen, and whether the list is a draft."""
    for path in paths or [str(p) for p in year_files().values()]:
        c = load(path)
        unconfirmed = [i.id for i in c.items if not i.confirmed]
        unseen = [i.id for i in c.items if i.unseen]
        print(f"{path}: {c.name}, {len(c.items)} items, year {c.year}, {c.status}, "
              f"{len(unconfirmed)} unconfirmed: OK")
        if c.status == "draft":
            print(f"  draft: the {c.year} list itself is not settled (no NACC manual)")
        if unconfirmed:
            print(f"  unconfirmed ({len(unconfirmed)}): {', '.join(unconfirmed)}")
        if unseen:
            print(f"  unseen ({len(unseen)}): {', '.join(unseen)}")
    return EXIT_OK


def _new_checklist(a: argparse.Namespace) -> int:
    """`oit checklist new 2570 --from 2569`: a draft list whose items all continue their 2569 items."""
    text = new_year(a.year, a.source)
    out = Path(a.output) if a.output else checklists_dir() / f"oit-{a.year}.yaml"
    if out.exists() and not a.force:
        raise OitError(f"{out} exists (use --force to overwrite it)")
    out.write_text(text, encoding="utf-8")
    c = load(out)  # the copy validates, its `continues` checked against the year beside it
    print(f"{out}: {c.name}, {len(c.items)} items, every item continues {a.source} and is unconfirmed; edit it "
          f"when the NACC publishes the {a.year} list, then run `oit check-checklist {out}`")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    _safe_output()
    try:
        a = _parser().parse_args(argv)
    except UsageError as e:
        print(f"oit: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    console = Console()
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if a.command == "scan":
            return _scan(a, console)
        if a.command == "export":
            return _export(a)
        if a.command in ("batch", "dispatch"):
            return _batch(a, console)[1]
        if a.command == "worker":
            return _distributed("workers").run_workers(a.broker, max(1, a.processes), max(1, a.concurrency),
                                                       a.heartbeat, a.documents, a.allow_private, a.chromium)
        if a.command == "nightly":
            return _nightly(a, console)
        if a.command == "diff":
            return _diff(a, console)
        if a.command == "report":
            return _report(a)
        if a.command in submission.COMMANDS:
            return submission.run_command(a, _write_out)
        if a.command == "prune":
            return _prune(a, console)
        if a.command == "accept":
            return _accept(a, console)
        if a.command == "serve":
            from .web.server import serve  # the web stack is loaded only for `oit serve`
            serve(a.host, a.port, a.db, a.allow_private, max(1, a.scans),
                  today=scan_date(a.today).isoformat() if a.today else None)
            return EXIT_OK
        if a.command == "check-checklist":
            return _check_checklists(a.paths)
        if a.command == "checklist":
            return _new_checklist(a)
        if a.command == "explain":
            return _explain(a, console)
        if a.command == "checklists":
            return _checklists(a)
        return _classify(a, console)
    except SiteUnreachable as e:  # the cause and what to do, in Thai; the technical detail is in the database
        print(f"oit: error: {admin_error(e)} — สิ่งที่ควรทำ: {advice_th(e)}", file=sys.stderr)
        return EXIT_ERROR
    except OitError as e:
        stopped = isinstance(e, StoreError) and a.command in ("batch", "nightly") and "บันทึกลงฐานข้อมูล" in str(e)
        print(f"oit: error: {e}" + ("; ชุดงานหยุดแล้ว: สั่งคำสั่งเดิมอีกครั้งเพื่อตรวจต่อ" if stopped else ""),
              file=sys.stderr)
        return EXIT_ERROR
    except (KeyboardInterrupt, asyncio.CancelledError):
        signum = _stopped_by[0] if _stopped_by else signal.SIGINT
        print(f"oit: stopped by {signal.Signals(signum).name}: หยุดแล้ว การตรวจที่ค้างอยู่บันทึกว่าถูกหยุดกลางคัน"
              + ("; สั่งคำสั่งเดิมอีกครั้งเพื่อตรวจต่อ" if a.command in ("batch", "nightly") else ""),
              file=sys.stderr)
        return EXIT_SIGNAL[signum]
    finally:
        shutdown_readers()  # the document reader processes end with the command, not after it


if __name__ == "__main__":
    sys.exit(main())
