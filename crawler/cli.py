"""Command line `oit`: argument parsing and exit codes only (0 all found, 2 some gap, 1 error)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from pathlib import Path

from rich.console import Console

from . import __version__
from .audit import audit
from .batch import plain_report, run_batch
from .batch import summary as batch_summary
from .checklist import DEFAULT_CHECKLIST, load
from .config import DEFAULT_CHROMIUM, DEFAULT_DB, RENDER_MODES, Budget, Options, RenderOptions, Settings
from .diff import diff_batches, diff_runs
from .diff import text as change_text
from .match import decision, score_link
from .models import OitError
from .outputs import html_batch, html_site, nacc_paste, print_table, summary_line, to_csv, to_json, to_xlsx
from .parse import Link
from .store import Store, StoreError
from .urls import normalize_start

EXIT_OK, EXIT_ERROR, EXIT_GAPS = 0, 1, 2


def _scan_options(p: argparse.ArgumentParser) -> None:
    """Options shared by scan, batch and nightly."""
    p.add_argument("--db", default=str(DEFAULT_DB), help="SQLite file (default data/oit.db)")
    p.add_argument("--checklist", default=str(DEFAULT_CHECKLIST), help="checklist YAML")
    p.add_argument("--year", type=int, help="assessment year B.E. (default: the checklist's)")
    p.add_argument("--max-pages", type=int, default=300)
    p.add_argument("--max-depth", type=int, default=5)
    p.add_argument("--time-limit", type=float, default=600.0, help="seconds for the whole site")
    p.add_argument("--delay", type=float, default=0.2, help="seconds between requests to one host")
    p.add_argument("--per-host", type=int, default=2, help="requests at a time to one host")
    p.add_argument("--ignore-robots", action="store_true", help="for an admin scanning their own site")
    p.add_argument("--check-offsite", dest="check_offsite", action="store_true", default=None,
                   help="check off-site evidence links (default: unless the site is local)")
    p.add_argument("--no-check-offsite", dest="check_offsite", action="store_false")
    p.add_argument("--render", choices=RENDER_MODES, default="auto",
                   help="run pages built by scripts in Chromium: auto (only pages that need it), never, always")
    p.add_argument("--chromium", default=os.environ.get("OIT_CHROMIUM") or DEFAULT_CHROMIUM,
                   help="Chromium executable (default /usr/bin/chromium, env OIT_CHROMIUM)")
    p.add_argument("--render-pages", type=int, default=10, help="pages rendered per site at most")
    p.add_argument("--render-timeout", type=float, default=15.0, help="seconds to load one rendered page")


def _options(a: argparse.Namespace) -> Options:
    return Options(
        checklist=a.checklist, db=a.db, year=a.year,
        budget=Budget(max_pages=a.max_pages, max_depth=a.max_depth, time_limit=a.time_limit),
        settings=Settings(per_host=max(1, a.per_host), delay=max(0.0, a.delay), obey_robots=not a.ignore_robots,
                          allow_private=getattr(a, "allow_private", True)),  # batch and nightly refuse by default
        check_offsite=a.check_offsite, workers=max(1, a.per_host),
        render=RenderOptions(mode=a.render, chromium=a.chromium, budget=max(0, a.render_pages),
                             nav_timeout=max(1.0, a.render_timeout), deadline=max(1.0, a.render_timeout) + 10),
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oit", description="Check a Thai agency website against the ITA OIT checklist.")
    p.add_argument("--version", action="version", version=f"oit {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="audit one website and print the 43-item table")
    scan.add_argument("url")
    _scan_options(scan)
    scan.add_argument("--json", dest="json_path", help="write the oit-result/1 JSON here")
    scan.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")

    batch = sub.add_parser("batch", help="audit every site of a CSV (url,name,province,district,type)")
    nightly = sub.add_parser("nightly", help="batch, then what changed since the last batch (exit 2 if worse)")
    dispatch = sub.add_parser("dispatch", help="a batch audited by the workers (oit worker), stored in --db")
    for cmd in (batch, nightly, dispatch):
        cmd.add_argument("sites_csv")
        _scan_options(cmd)
        cmd.add_argument("--out", help="folder for one result JSON per site and a summary")
        cmd.add_argument("--concurrency", type=int, default=4, help="sites at a time (default 4)")
        cmd.add_argument("--fresh", action="store_true", help="start a new batch instead of resuming")
        cmd.add_argument("--allow-private", action="store_true",
                         help="allow sites on loopback or private addresses (intranets, tests)")
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

    check = sub.add_parser("check-checklist", help="validate a checklist YAML file")
    check.add_argument("path", nargs="?", default=str(DEFAULT_CHECKLIST))

    classify = sub.add_parser("classify", help="show which items a link label would match")
    classify.add_argument("text")
    classify.add_argument("--context", default="", help="parent menu or page title words")
    classify.add_argument("--url", default="")
    classify.add_argument("--row", default="", help="text of the table row, for generic anchors")
    classify.add_argument("--list", action="store_true", help="the label sits on an ITA/OIT list page")
    classify.add_argument("--checklist", default=str(DEFAULT_CHECKLIST))
    return p


def _scan(a: argparse.Namespace, console: Console) -> int:
    doc = audit(a.url, _options(a))
    if a.json_path:
        Path(a.json_path).write_text(to_json(doc), encoding="utf-8")
    if a.quiet:
        console.print(summary_line(doc), markup=False)
    else:
        print_table(doc, console)
    return EXIT_OK if all(i["status"] == "found" for i in doc["items"]) else EXIT_GAPS


def _export(a: argparse.Namespace) -> int:
    if not Path(a.db).exists():
        raise StoreError(f"no database at {a.db}")
    store = Store(a.db)
    run_id = store.latest_run() if a.latest else a.run
    if run_id is None or store.run(run_id) is None:
        raise StoreError(f"no such run in {a.db}" if a.run else f"no finished run in {a.db}")
    doc = store.result(run_id)
    text = to_json(doc) if a.format == "json" else to_csv([doc], layout="export")
    if a.output:
        Path(a.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + ("\n" if a.format == "json" else ""))
    return EXIT_OK


def _progress(console: Console):
    """A live display on a terminal; plain log lines otherwise (cron, systemd, pipes)."""
    if not sys.stderr.isatty():
        return None, plain_report()
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
    bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                   TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=False)
    task = bar.add_task("sites", total=None)

    def report(event: str, p) -> None:
        flying = ", ".join(list(p.in_flight.values())[:3])
        bar.update(task, total=p.total, completed=p.done + p.failed,
                   description=f"done {p.done} failed {p.failed} left {p.left} pages {p.pages} | {flying}"[:110])
    return bar, report


def _batch(a: argparse.Namespace, console: Console) -> tuple[int, list[str]]:
    bar, report = _progress(console)
    if bar is not None:
        bar.start()
    try:
        if getattr(a, "broker", None):  # on the workers (oit dispatch, oit nightly --broker)
            from .dispatch import run_dispatch
            batch_id, progress, problems = run_dispatch(a.sites_csv, _options(a), a.broker, a.out, a.fresh, report,
                                                        a.heartbeat)
        else:
            batch_id, progress, problems = run_batch(a.sites_csv, _options(a), max(1, a.concurrency), a.out,
                                                     a.fresh, report)
    finally:
        if bar is not None:
            bar.stop()
    for problem in problems:
        print(f"oit: skipped: {problem}", file=sys.stderr)
    console.print(f"batch {batch_id}: {progress.done} sites done, {progress.failed} failed, "
                  f"{progress.pages} pages, {len(problems)} rows skipped", markup=False)
    return batch_id, problems


def _write_changes(report: dict, out: str | None, db: str) -> str:
    text = change_text(report)
    if out:
        folder = Path(out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "changes.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
        (folder / "changes.txt").write_text(text, encoding="utf-8")
    return text


def _nightly(a: argparse.Namespace, console: Console) -> int:
    out = a.out or str(Path("data") / "reports" / date.today().isoformat())
    a.out = out
    batch_id, _ = _batch(a, console)
    store = Store(a.db)
    previous = store.previous_batch(batch_id)
    if previous is None:
        console.print("first batch of this list: nothing to compare yet", markup=False)
        return EXIT_OK
    report = diff_batches(store, previous, batch_id)
    console.print(_write_changes(report, out, a.db), markup=False, end="")
    console.print(f"change report: {out}/changes.txt", markup=False)
    return EXIT_GAPS if report["worse"] else EXIT_OK


def _diff(a: argparse.Namespace, console: Console) -> int:
    if not Path(a.db).exists():
        raise StoreError(f"no database at {a.db}")
    store = Store(a.db)
    if a.runs:
        report = diff_runs(store, *a.runs)
    elif a.site:
        runs = store.site_runs(normalize_start(a.site))
        if len(runs) < 2:
            raise StoreError(f"{a.site}: fewer than two finished runs in {a.db}")
        report = diff_runs(store, runs[1], runs[0])
    else:
        new = a.batch or store.latest_batch()
        old = store.previous_batch(new) if new else None
        if old is None:
            raise StoreError(f"no earlier batch to compare with in {a.db}")
        report = diff_batches(store, old, new)
    if a.json_path:
        Path(a.json_path).write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    console.print(change_text(report), markup=False, end="")
    return EXIT_OK


def _report(a: argparse.Namespace) -> int:
    if not Path(a.db).exists():
        raise StoreError(f"no database at {a.db}")
    store = Store(a.db)
    batch_id, run_id = a.batch, a.run
    if a.latest:
        run_id = store.latest_run()
        batch_id = store.latest_batch() if run_id is None or (store.run(run_id) or {}).get("batch_id") else None
        run_id = None if batch_id else run_id
    if batch_id is not None:
        if store.batch(batch_id) is None:
            raise StoreError(f"no batch {batch_id} in {a.db}")
        summary = batch_summary(store, batch_id)
        docs = [store.result(s["run_id"]) for s in summary["sites"] if s["status"] == "done" and s["run_id"]]
        batch = {"id": batch_id, "name": summary["name"], "started_at": summary["started_at"],
                 "finished_at": summary["finished_at"], "sites": summary["sites"]}
    elif run_id is not None and store.run(run_id) is not None:
        docs, batch, summary = [store.result(run_id)], None, None
    else:
        raise StoreError(f"no such run or batch in {a.db}")
    fmt = a.format
    if fmt == "xlsx":
        if not a.output:
            raise StoreError("--format xlsx needs -o FILE.xlsx")
        Path(a.output).write_bytes(to_xlsx(docs, batch))
        return EXIT_OK
    if fmt == "html":
        text = html_batch(docs, batch) if batch else html_site(docs[0])
    elif fmt == "csv":
        text = to_csv(docs, batch, layout="items")
    elif fmt == "matrix-csv":
        text = to_csv(docs, batch, layout="matrix")
    elif fmt == "nacc":
        text = "\n\n".join(nacc_paste(d) for d in docs)
    else:
        text = json.dumps(summary, ensure_ascii=False, indent=2) if batch else to_json(docs[0])
    if a.output:
        Path(a.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return EXIT_OK


def _classify(a: argparse.Namespace, console: Console) -> int:
    """The crawler's own scoring of one link: each item it names and what the crawler makes of it."""
    checklist = load(a.checklist)
    link = Link(url=a.url, text=a.text, row=a.row)
    hits = score_link(checklist, link, a.context, a.list)
    if not hits:
        console.print("no item", markup=False)
    for h in hits:
        console.print(f"{h.item}\t{h.score:.2f}\t{decision(h)}\t{'; '.join(h.terms)}", markup=False)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    console = Console()
    try:
        if a.command == "scan":
            return _scan(a, console)
        if a.command == "export":
            return _export(a)
        if a.command in ("batch", "dispatch"):
            _batch(a, console)
            return EXIT_OK
        if a.command == "worker":
            from .workers import run_workers
            return run_workers(a.broker, max(1, a.processes), max(1, a.concurrency), a.heartbeat, a.documents)
        if a.command == "nightly":
            return _nightly(a, console)
        if a.command == "diff":
            return _diff(a, console)
        if a.command == "report":
            return _report(a)
        if a.command == "check-checklist":
            c = load(a.path)
            print(f"{a.path}: {c.name}, {len(c.items)} items, year {c.year}: OK")
            return EXIT_OK
        return _classify(a, console)
    except OitError as e:
        print(f"oit: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("oit: interrupted; the run is kept as 'interrupted'", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
