"""Command line `oit`: argument parsing and exit codes only (0 all found, 2 some gap, 1 error)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from . import __version__
from .audit import DEFAULT_DB, Options, SiteUnreachable, audit
from .checklist import DEFAULT_CHECKLIST, ChecklistError, load
from .crawl import Budget
from .fetch import Settings
from .match import link_label, score_label
from .parse import Link
from .render import DEFAULT_CHROMIUM, MODES, RenderOptions, RenderUnavailable
from .report import print_table, result, to_csv, to_json
from .store import Store, StoreError
from .urls import BadURL

EXIT_OK, EXIT_ERROR, EXIT_GAPS = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="oit", description="Check a Thai agency website against the ITA OIT checklist.")
    p.add_argument("--version", action="version", version=f"oit {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    scan = sub.add_parser("scan", help="audit one website and print the 43-item table")
    scan.add_argument("url")
    scan.add_argument("--db", default=str(DEFAULT_DB), help="SQLite file (default data/oit.db)")
    scan.add_argument("--checklist", default=str(DEFAULT_CHECKLIST), help="checklist YAML")
    scan.add_argument("--year", type=int, help="assessment year B.E. (default: the checklist's)")
    scan.add_argument("--max-pages", type=int, default=300)
    scan.add_argument("--max-depth", type=int, default=5)
    scan.add_argument("--time-limit", type=float, default=600.0, help="seconds for the whole site")
    scan.add_argument("--delay", type=float, default=0.2, help="seconds between requests to one host")
    scan.add_argument("--per-host", type=int, default=2, help="requests at a time to one host")
    scan.add_argument("--ignore-robots", action="store_true", help="for an admin scanning their own site")
    scan.add_argument("--check-offsite", dest="check_offsite", action="store_true", default=None,
                      help="check off-site evidence links (default: unless the site is local)")
    scan.add_argument("--no-check-offsite", dest="check_offsite", action="store_false")
    scan.add_argument("--render", choices=MODES, default="auto",
                      help="run pages built by scripts in Chromium: auto (only pages that need it), never, always")
    scan.add_argument("--chromium", default=os.environ.get("OIT_CHROMIUM") or DEFAULT_CHROMIUM,
                      help="Chromium executable (default /usr/bin/chromium, env OIT_CHROMIUM)")
    scan.add_argument("--render-pages", type=int, default=10, help="pages rendered per site at most")
    scan.add_argument("--render-timeout", type=float, default=15.0, help="seconds to load one rendered page")
    scan.add_argument("--json", dest="json_path", help="write the oit-result/1 JSON here")
    scan.add_argument("-q", "--quiet", action="store_true", help="print only the summary line")

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
    options = Options(
        checklist=a.checklist, db=a.db, year=a.year,
        budget=Budget(max_pages=a.max_pages, max_depth=a.max_depth, time_limit=a.time_limit),
        settings=Settings(per_host=max(1, a.per_host), delay=max(0.0, a.delay), obey_robots=not a.ignore_robots),
        check_offsite=a.check_offsite, workers=max(1, a.per_host),
        render=RenderOptions(mode=a.render, chromium=a.chromium, budget=max(0, a.render_pages),
                             nav_timeout=max(1.0, a.render_timeout), deadline=max(1.0, a.render_timeout) + 10),
    )
    doc = audit(a.url, options)
    if a.json_path:
        Path(a.json_path).write_text(to_json(doc), encoding="utf-8")
    if a.quiet:
        from .report import summary_line
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
    doc = result(store, run_id)
    text = to_json(doc) if a.format == "json" else to_csv(doc)
    if a.output:
        Path(a.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text + ("\n" if a.format == "json" else ""))
    return EXIT_OK


def _classify(a: argparse.Namespace, console: Console) -> int:
    checklist = load(a.checklist)
    link = Link(url=a.url, text=a.text, row=a.row)
    from .thai import item_number
    number = (item_number(link_label(checklist, link)) or item_number(a.row)) if a.list else None
    hits = score_label(checklist, link_label(checklist, link), a.context, a.url, number)
    if not hits:
        console.print("no item", markup=False)
    for h in hits:
        console.print(f"{h.item}\t{h.score:.2f}\t{'; '.join(h.terms)}", markup=False)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    a = _parser().parse_args(argv)
    console = Console()
    try:
        if a.command == "scan":
            return _scan(a, console)
        if a.command == "export":
            return _export(a)
        if a.command == "check-checklist":
            c = load(a.path)
            print(f"{a.path}: {c.name}, {len(c.items)} items, year {c.year}: OK")
            return EXIT_OK
        return _classify(a, console)
    except (ChecklistError, BadURL, SiteUnreachable, StoreError, RenderUnavailable) as e:
        print(f"oit: error: {e}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("oit: interrupted; the run is kept as 'interrupted'", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
