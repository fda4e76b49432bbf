"""Results to people and programs: the oit-result/1 JSON, CSV and the terminal table."""

from __future__ import annotations

import csv
import io
import json

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .models import STATUS_TH
from .urls import readable

STATUS_STYLE = {"found": "green", "review": "yellow", "missing": "red", "stale": "magenta", "broken": "red"}


def to_json(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)


def to_csv(doc: dict) -> str:
    """One row per item; UTF-8 with BOM so Excel shows Thai."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["item", "title", "status", "score", "evidence_url", "click_path", "year_found", "period_expected",
                "missing_elements", "reason"])
    for it in doc["items"]:
        ev = it["evidence"][0] if it["evidence"] else {}
        w.writerow([safe_cell(str(c)) for c in (
            it["id"], it["title"], it["status"], it["score"], readable(ev.get("url", "")),
            " > ".join(ev.get("click_path", [])), it["period"]["found"] or "", it["period"]["expected"] or "",
            "; ".join(it["missing_elements"]), it["reason"])])
    return "\ufeff" + out.getvalue()


def safe_cell(text: str) -> str:
    """Keep spreadsheets from running scraped text as a formula."""
    text = "".join(ch for ch in text if ch >= " " or ch in "\t\n")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


def summary_line(doc: dict) -> str:
    s = doc["summary"]
    total = len(doc["items"])
    parts = [f"{STATUS_TH[k]} {s[k]}" for k in ("found", "review", "stale", "broken", "missing") if s.get(k)]
    return (f"{doc['site']['url']}: {' · '.join(parts)} จาก {total} ข้อ | "
            f"pages {doc['pages_fetched']}, stop: {doc['stop_reason']}, run {doc['run_id']}")


def print_table(doc: dict, console: Console | None = None) -> None:
    """The 43-row table: item, Thai name, status, evidence URL and click path."""
    console = console or Console()
    table = Table(title=f"{doc['checklist']['name']} · {doc['site']['url']}", show_lines=False)
    table.add_column("ข้อ", no_wrap=True)
    table.add_column("ข้อมูล", max_width=38)
    table.add_column("สถานะ", no_wrap=True)
    table.add_column("หลักฐาน / เหตุผล", overflow="fold")
    for it in doc["items"]:
        status = it["status"]
        if it["evidence"]:
            ev = it["evidence"][0]
            where = readable(ev["url"]) + "\n" + " > ".join(ev["click_path"])
            if status != "found":
                where += "\n" + it["reason"]
        else:
            where = it["reason"]
        table.add_row(it["id"], escape(plain(it["title"])), f"[{STATUS_STYLE[status]}]{STATUS_TH[status]}[/]",
                      escape(plain(where)))
    console.print(table)
    for finding in doc["findings"]:
        console.print(f"[yellow]! {escape(plain(finding))}[/]")
    console.print(summary_line(doc), markup=False)


def plain(text: str) -> str:
    """Scraped text shown in the terminal: no markup, no control characters."""
    return "".join(ch for ch in text if ch == "\n" or (ch >= " " and not "\x7f" <= ch <= "\x9f"))
