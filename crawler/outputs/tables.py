"""Tables of results in named layouts (header row, then rows) and the one CSV writer with its formula guard."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable

from ..models import STATUS_TH, STATUSES
from ..urls import readable
from .common import (
    CONTROL,
    basis,
    click_path,
    columns,
    counts,
    nacc_items,
    pair,
    site_error,
    site_name,
    status_of,
    thai_date,
    todo,
    year_found,
)

EXPORT_HEADER = ["item", "title", "status", "score", "evidence_url", "click_path", "year_found", "period_expected",
                 "missing_elements", "basis", "reason"]
ITEM_HEADER = ["หน่วยงาน", "จังหวัด", "อำเภอ", "เว็บไซต์", "วันที่ตรวจ", "ข้อ", "ข้อมูล", "สถานะ", "status", "คะแนน",
               "ตำแหน่งข้อมูลบนเว็บไซต์", "URL หลักฐาน", "หลักฐานอื่น", "ปีที่พบ", "ช่วงเวลาที่ต้องการ", "สิ่งที่ต้องแก้ไข",
               "เกณฑ์ที่ใช้", "เหตุผล"]


def safe_cell(text: str) -> str:
    """Keep spreadsheets from running scraped text as a formula."""
    text = "".join(ch for ch in text if ch >= " " or ch in "\t\n")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t") else text


def cell(value: object) -> str:
    """A spreadsheet-safe cell: no formula, no control characters."""
    if value is None:
        return ""
    text = CONTROL.sub("", str(value))
    if text[:1] in ("\t", "\r"):
        return "'" + text
    return safe_cell(text)


def _export_cell(value: object) -> str:
    return safe_cell(str(value))


def _export_rows(docs: list[dict], batch: dict | None = None) -> list[list[object]]:
    """One row per item of each run, in the document's order."""
    rows: list[list[object]] = [list(EXPORT_HEADER)]
    for doc in docs:
        for it in doc["items"]:
            ev = it["evidence"][0] if it["evidence"] else {}
            rows.append([it["id"], it["title"], it["status"], it["score"], readable(ev.get("url", "")),
                         " > ".join(ev.get("click_path", [])), it["period"]["found"] or "",
                         it["period"]["expected"] or "", "; ".join(it["missing_elements"]), basis(doc),
                         it["reason"]])
    return rows


def _item_rows(docs: list[dict], batch: dict | None = None) -> list[list[object]]:
    """One row per site and item, sites in batch order, items in NACC order."""
    rows: list[list[object]] = [list(ITEM_HEADER)]
    for site, doc in pair(docs, batch):
        if doc is None:
            continue
        name = site_name(doc, site)
        url = readable((doc.get("site") or {}).get("url") or "")
        when = thai_date(doc.get("started_at"))
        for it in nacc_items(doc):
            evidence = [ev for ev in it.get("evidence") or [] if isinstance(ev, dict)]
            best = evidence[0] if evidence else {}
            fix, reason = todo(it)
            s = status_of(it)
            if isinstance(it.get("accepted"), dict):  # the admin's decision, beside what the scanner says
                fix = f"ผู้ดูแลยอมรับแล้ว: {it['accepted'].get('note') or ''}" + (f" ({fix})" if fix else "")
            rows.append([name, site.get("province") or "", site.get("district") or "", url, when, it.get("id"),
                         it.get("title"), STATUS_TH[s], s, it.get("score"), click_path(best),
                         readable(best.get("url") or ""),
                         " ".join(readable(ev.get("url") or "") for ev in evidence[1:]),
                         year_found(it), (it.get("period") or {}).get("expected") or "", fix, basis(doc),
                         reason if s != "found" else ""])
    return rows


def _matrix_rows(docs: list[dict], batch: dict | None = None) -> list[list[object]]:
    """One row per site: place, date, the Thai status of every item, the counts, a note."""
    rows_in = pair(docs, batch)
    cols = columns([d for _, d in rows_in if d])
    header: list[object] = ["หน่วยงาน", "ประเภท", "อำเภอ", "จังหวัด", "เว็บไซต์", "วันที่ตรวจ",
                            *[cid for cid, _ in cols], *[STATUS_TH[s] for s in STATUSES], "เกณฑ์ที่ใช้", "หมายเหตุ"]
    rows: list[list[object]] = [header]
    for site, doc in rows_in:
        base = [site_name(doc, site), site.get("type") or "", site.get("district") or "", site.get("province") or "",
                readable((doc or {}).get("site", {}).get("url") or site.get("url") or "")]
        if doc is None:
            rows.append([*base, "", *[""] * len(cols), *[""] * len(STATUSES), "",
                         "ตรวจไม่ได้: " + site_error(site, doc)])
            continue
        by_id = {it.get("id"): it for it in doc.get("items") or []}
        c = counts(doc)
        rows.append([*base, thai_date(doc.get("started_at")),
                     *[STATUS_TH[status_of(by_id[cid])] if cid in by_id else "" for cid, _ in cols],
                     *[c.get(s, 0) for s in STATUSES], basis(doc), ""])
    return rows


def _per_item_rows(docs: list[dict], batch: dict | None = None) -> list[list[object]]:
    """One row per item: how many sites have each status, how many do not pass."""
    ok = [d for _, d in pair(docs, batch) if d]
    rows: list[list[object]] = [["ข้อ", "ข้อมูล", *[STATUS_TH[s] for s in STATUSES], "ยังไม่ผ่าน", "จำนวนหน่วยงาน"]]
    for cid, ctitle in columns(ok):
        c = Counter(status_of(it) for d in ok for it in d.get("items") or [] if it.get("id") == cid)
        n = sum(c.values())
        rows.append([cid, ctitle, *[c.get(s, 0) for s in STATUSES], n - c.get("found", 0) - c.get("not_due", 0), n])
    return rows


# export: English header, one row per item of a run (`oit export --format csv`); items: Thai header, one row per
# site and item (`oit report --format csv`); matrix: one row per site, one column per item (`--format matrix-csv`);
# per-item: counts per item (a sheet of the workbook).
_LAYOUTS: dict[str, tuple[Callable[[list[dict], dict | None], list[list[object]]], Callable[[object], str]]] = {
    "export": (_export_rows, _export_cell),
    "items": (_item_rows, cell),
    "matrix": (_matrix_rows, cell),
    "per-item": (_per_item_rows, cell),
}
LAYOUTS = tuple(_LAYOUTS)


def _layout(layout: str) -> tuple[Callable[[list[dict], dict | None], list[list[object]]], Callable[[object], str]]:
    try:
        return _LAYOUTS[layout]
    except KeyError:
        raise ValueError(f"unknown table layout {layout!r}; one of {', '.join(LAYOUTS)}") from None


def table(docs: list[dict], batch: dict | None = None, *, layout: str) -> list[list[object]]:
    """The header row then the rows of a layout (values as they are, not yet guarded)."""
    rows, _guard = _layout(layout)
    return rows(docs, batch)


def to_csv(docs: list[dict], batch: dict | None = None, *, layout: str) -> str:
    """A layout as CSV: UTF-8 with BOM so Excel shows Thai, CRLF line ends, formula-safe cells."""
    rows, guard = _layout(layout)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for row in rows(docs, batch):
        w.writerow([guard(v) for v in row])
    return "\ufeff" + out.getvalue()
