"""From audit to submission: `oit ita-page` (the agency's ITA page written from a run) and `oit archive` (a
run's evidence as one WARC file). The commands' arguments and their work; `cli` only routes to them."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import archive
from .outputs.itapage import ENCODINGS, build, to_csv, to_html, to_xlsx
from .store import Store, StoreError

COMMANDS = ("ita-page", "archive")
SERVE_URL = "http://127.0.0.1:8700"  # where `oit serve` answers by default: the archived copies' links


def add_commands(sub: argparse._SubParsersAction, default_db: str) -> None:
    ita = sub.add_parser("ita-page", help="the agency's ITA page for its CMS: each item's link and the steps from "
                                          "the home page (HTML, CSV or XLSX)")
    pick = ita.add_mutually_exclusive_group(required=True)
    pick.add_argument("--run", type=int)
    pick.add_argument("--latest", action="store_true", help="the latest finished run")
    ita.add_argument("--db", default=default_db)
    ita.add_argument("--format", choices=("html", "csv", "xlsx"), default="html")
    ita.add_argument("--encoding", choices=ENCODINGS, default="utf-8-sig",
                     help="CSV encoding: utf-8-sig (UTF-8 with BOM, default) or cp874 (Thai Windows Excel)")
    ita.add_argument("--fragment", action="store_true", help="HTML: only the part to paste, without <html>/<head>")
    ita.add_argument("--serve-url", default=SERVE_URL,
                     help=f"address of `oit serve` for the links to archived copies (default {SERVE_URL}; '' none)")
    ita.add_argument("-o", "--output", help="file to write (default: standard output; required for xlsx)")

    arc = sub.add_parser("archive", help="a run's archived evidence as one WARC file (any WARC reader opens it)")
    which = arc.add_mutually_exclusive_group(required=True)
    which.add_argument("--run", type=int)
    which.add_argument("--latest", action="store_true", help="the latest finished run")
    arc.add_argument("--db", default=default_db)
    arc.add_argument("-o", "--output", required=True, help="FILE.warc.gz")


def _run(store: Store, a: argparse.Namespace) -> int:
    if a.latest:
        latest = store.latest_run()
        if latest is None:
            raise StoreError(f"no finished run in {a.db}")
        return latest
    run = store.run(a.run)
    if run is None:
        raise StoreError(f"no run {a.run} in {a.db}")
    if run["status"] != "finished":
        raise StoreError(f"run {a.run} did not finish ({run['status']}): it has no results")
    return a.run


def run_command(a: argparse.Namespace, write_out) -> int:
    if not Path(a.db).exists():
        raise StoreError(f"no database at {a.db}")
    store = Store(a.db)
    run_id = _run(store, a)
    if a.command == "archive":
        records = len(archive.run_records(store, run_id))
        if not records:
            raise StoreError(f"run {run_id} has no archived evidence (scanned with --no-archive, by a worker, or "
                             "before the archive existed, or pruned)")
        data = archive.export(store, run_id)
        Path(a.output).write_bytes(data)
        print(f"run {run_id}: {records} archived responses, {len(data):,} bytes -> {a.output}")
        return 0
    doc = store.result(run_id)
    if a.serve_url:
        archive.annotate(doc, store, a.serve_url)
    page = build(doc)
    if a.format == "xlsx":
        if not a.output:
            raise StoreError("--format xlsx needs -o FILE.xlsx")
        Path(a.output).write_bytes(to_xlsx(page))
    elif a.format == "csv":
        data = to_csv(page, a.encoding)
        if a.output:
            Path(a.output).write_bytes(data)
        else:
            write_out(data.decode(a.encoding))
    else:
        text = to_html(page, full=not a.fragment)
        if a.output:
            Path(a.output).write_text(text, encoding="utf-8")
        else:
            write_out(text)
    return 2 if page.gaps else 0
