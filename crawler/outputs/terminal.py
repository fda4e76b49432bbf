"""The terminal: the 43-row table of a run and its one-line summary, scraped text made inert."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..models import STATUS_TH, STOP_TH, UNCONFIRMED_TH
from ..urls import readable
from .common import basis, finding_th

STATUS_STYLE = {"found": "green", "review": "yellow", "missing": "red", "stale": "magenta", "broken": "red",
                "not_due": "cyan"}


def plain(text: str) -> str:
    """Scraped text shown in the terminal: no markup, no control characters."""
    return "".join(ch for ch in text if ch == "\n" or (ch >= " " and not "\x7f" <= ch <= "\x9f"))


def summary_line(doc: dict) -> str:
    """One line per run: counts by status, pages, why the crawl stopped, run id."""
    s = doc["summary"]
    total = len(doc["items"])
    parts = [f"{STATUS_TH[k]} {s[k]}" for k in ("found", "review", "not_due", "stale", "broken", "missing")
             if s.get(k)]
    accepted = sum(1 for it in doc["items"] if it.get("accepted") and it.get("status") != "found")
    if accepted:
        parts.append(f"ผู้ดูแลยอมรับ {accepted}")
    stop = STOP_TH.get(doc.get("stop_reason") or "", doc.get("stop_reason") or "-")
    return (f"{doc['site']['url']}: {' · '.join(parts)} จาก {total} ข้อ | "
            f"อ่าน {doc['pages_fetched']} หน้า ({stop}) ผลการตรวจหมายเลข {doc['run_id']}")


def print_table(doc: dict, console: Console | None = None) -> None:
    """The 43-row table: item, Thai name, status, evidence URL and click path."""
    console = console or Console()
    name = doc["site"].get("name")
    heading = f"{doc['checklist']['name']} · {name + ' · ' if name else ''}{doc['site']['url']}"
    table = Table(title=escape(plain(heading)), caption=escape(basis(doc)), caption_justify="left", show_lines=False)
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
        title = escape(plain(it["title"]))
        if it.get("confirmed") is False:
            title += f"\n[dim]({UNCONFIRMED_TH})[/]"
        shown = f"[{STATUS_STYLE[status]}]{STATUS_TH[status]}[/]"
        if it.get("accepted"):  # the admin's decision beside the status, never instead of it
            shown += "\n[cyan]ผู้ดูแลยอมรับแล้ว[/]"
            where += "\nหมายเหตุผู้ดูแล: " + (it["accepted"].get("note") or "")
        table.add_row(it["id"], title, shown, escape(plain(where)))
    console.print(escape(basis(doc)))  # before the table too: the first thing read
    console.print(table)
    unconfirmed = sum(it.get("confirmed") is False for it in doc["items"])
    checklist = doc.get("checklist") or {}
    if unconfirmed or checklist.get("status") == "draft":
        console.print(f"[yellow]! เกณฑ์ {escape(plain(str(checklist.get('name') or '')))} "
                      f"(สถานะ: {escape(str(checklist.get('status') or '-'))}): "
                      f"{unconfirmed} ข้อ{UNCONFIRMED_TH.removeprefix('รายการนี้')}[/]")
    for finding in doc["findings"]:
        console.print(f"[yellow]! {escape(plain(finding_th(finding)))}[/]")
    console.print(summary_line(doc), markup=False)
