"""The agency's ITA page, written for it: the year's OIT items by group, each with its evidence link(s) and
the steps from the home page ("1. หน้าหลักของเว็บไซต์ เลือกหัวข้อ ข้อมูลหน่วยงาน 2. เลือก โครงสร้างองค์กร"),
as admins build by hand every year and type into the NACC's ITAS form.

Only `found` items (and items an admin accepted, when such a record is given) get a link; every other item is
listed as a gap with what must be published and the nearest candidate, and the header says how many gaps are
left, so the page is never published with a wrong link unnoticed. Pure: a result document (and its checklist)
in, HTML (no script, no external style: it pastes into a CMS editor), CSV (UTF-8 with BOM, or cp874) or XLSX
out.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from dataclasses import dataclass, field

from ..checklist import Checklist, ChecklistError, for_year, load
from ..explain import explain
from ..models import STATUS_TH
from ..urls import readable
from .common import http_url, item_no, site_name, status_of, thai_date, year_found
from .tables import safe_cell

HOME_WORDS = {"หน้าแรก", "หน้าหลัก", "home", "หน้าหลักของเว็บไซต์"}
CSV_HEADER = ["ข้อ", "ข้อมูล", "URL", "วิธีเข้าถึงจากหน้าหลัก", "หมายเหตุ"]
ENCODINGS = ("utf-8-sig", "cp874")


@dataclass
class Link:
    url: str
    copy: str = ""  # the archived copy on `oit serve`, "" when none
    copy_label: str = ""


@dataclass
class Entry:
    """One item of the ITA page."""

    id: str
    title: str
    status: str
    links: list[Link] = field(default_factory=list)  # only for found (or accepted) items
    steps: list[str] = field(default_factory=list)
    note: str = ""  # the period found, or for a gap: what is wrong
    need: str = ""  # for a gap: what must be published
    candidate: str = ""  # for a gap: the nearest candidate URL, "" when none
    accepted: bool = False

    @property
    def gap(self) -> bool:
        return not self.links


@dataclass
class ItaPage:
    name: str
    site: str
    year: int | None
    checked_at: str
    checklist: str
    draft: bool
    groups: list[tuple[str, list[Entry]]]

    @property
    def entries(self) -> list[Entry]:
        return [e for _, es in self.groups for e in es]

    @property
    def gaps(self) -> int:
        return sum(e.gap for e in self.entries)


def steps(path: list[str] | tuple[str, ...], url: str = "") -> list[str]:
    """The clicks from the home page in the words admins write: 'หน้าหลักของเว็บไซต์ เลือกหัวข้อ X', 'เลือก Y'."""
    parts = [re.sub(r"\s+", " ", str(p)).strip() for p in path or ()]
    parts = [p for p in parts if p]
    if parts and parts[0].lower() in HOME_WORDS:
        parts = parts[1:]
    if not parts:
        return ["เปิดหน้าหลักของเว็บไซต์"]
    kind = re.search(r"\.(pdf|docx?|xlsx?)(?:$|[?#])", url or "", re.IGNORECASE)
    last = f" (ไฟล์ {kind.group(1).upper()})" if kind and kind.group(1).lower() not in parts[-1].lower() else ""
    if len(parts) == 1:
        return [f"หน้าหลักของเว็บไซต์ เลือก {parts[0]}{last}"]
    out = [f"หน้าหลักของเว็บไซต์ เลือกหัวข้อ {parts[0]}"] + [f"เลือก {p}" for p in parts[1:]]
    out[-1] += last
    return out


def numbered(lines: list[str]) -> str:
    return " ".join(f"{i}. {s}" for i, s in enumerate(lines, 1))


def _checklist_of(doc: dict) -> Checklist | None:
    meta = doc.get("checklist") or {}
    for source in (meta.get("file"), meta.get("year")):
        if not source:
            continue
        try:
            return load(source) if isinstance(source, str) else load(for_year(int(source)))
        except (ChecklistError, OSError, ValueError):
            continue
    return None


def group_of(item) -> str:
    """The heading an item is listed under: indicator and sub-indicator (a sub-indicator the checklist says was
    not found is left out)."""
    sub = item.sub_indicator if item.sub_indicator and not item.sub_indicator.startswith("ไม่พบ") else ""
    return " · ".join(x for x in (item.indicator, sub) if x)


def build(doc: dict, checklist: Checklist | None = None, accepted: dict[str, str] | None = None) -> ItaPage:
    """The ITA page of one stored run. `accepted`: item id -> URL an admin accepted (its link is shown); by
    default the decisions the run's document carries."""
    checklist = checklist or _checklist_of(doc)
    meta = doc.get("checklist") or {}
    year = meta.get("year") or (checklist.year if checklist else None)
    by_id = {str(it.get("id")): it for it in doc.get("items") or []}
    if accepted is None:  # the admin's decisions the stored run carries (`oit accept`)
        accepted = {k: str(v["accepted"].get("evidence_url")) for k, v in by_id.items()
                    if isinstance(v.get("accepted"), dict) and v["accepted"].get("evidence_url")}
    if checklist is not None:
        order = [(i.id, i.title, group_of(i), i) for i in checklist.items]
    else:
        order = [(k, str(v.get("title") or ""), "", None) for k, v in sorted(
            by_id.items(), key=lambda kv: (item_no(kv[0]), kv[0]))]
    groups: dict[str, list[Entry]] = {}
    for item_id, title, group, item in order:
        it = by_id.get(item_id, {"id": item_id, "title": title, "status": "missing", "evidence": []})
        groups.setdefault(group, []).append(_entry(it, title, item, int(year) if year else None,
                                                   accepted.get(item_id)))
    return ItaPage(site_name(doc), str((doc.get("site") or {}).get("url") or ""), int(year) if year else None,
                   str(doc.get("started_at") or ""), str(meta.get("name") or (checklist.name if checklist else "")),
                   (meta.get("status") or (checklist.status if checklist else "")) == "draft", list(groups.items()))


def _entry(it: dict, title: str, item, year: int | None, accepted_url: str | None) -> Entry:
    status = status_of(it)
    evidence = [ev for ev in it.get("evidence") or [] if isinstance(ev, dict) and http_url(ev.get("url"))]
    entry = Entry(str(it.get("id")), str(it.get("title") or title), status)
    if status == "found" or accepted_url:
        chosen = evidence if status == "found" else (
            [ev for ev in evidence if ev.get("url") == accepted_url] or [{"url": accepted_url}])
        entry.accepted = status != "found"
        for ev in chosen:
            if http_url(ev.get("url")):
                entry.links.append(Link(ev["url"], str(ev.get("archive") or ""), str(ev.get("archive_label") or "")))
        if entry.links:
            best = chosen[0]
            entry.steps = steps(best.get("click_path") or [], best.get("url", ""))
            found = year_found(it)
            entry.note = ("ผู้ดูแลตรวจแล้วยอมรับ" if entry.accepted else "") + (f"ข้อมูล {found}" if found else "")
            return entry
    entry.note = f"ยังไม่ผ่าน ({STATUS_TH[status]}): {it.get('reason') or ''}".strip()
    if item is not None and year:
        ex = explain(item, year)
        must = "; ".join(ex.must_show or (ex.title,))
        entry.need = f"ต้องเผยแพร่: {must} (ช่วงเวลา: {ex.period})"
    else:
        entry.need = f"ต้องเผยแพร่: {entry.title}"
    if evidence:
        entry.candidate = evidence[0]["url"]
        entry.steps = steps(evidence[0].get("click_path") or [], evidence[0]["url"])
    return entry


# ------------------------------------------------------------------------------------------------ HTML


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# inline styles only (a CMS editor keeps them, drops <style>), colours with text labels, one column on a phone
_TABLE = "width:100%;border-collapse:collapse;font-size:16px;line-height:1.5"
_TD = "border:1px solid #c9d1db;padding:6px 8px;vertical-align:top;word-break:break-word;overflow-wrap:anywhere"
_GAP = "background:#fdecea"


def to_html(page: ItaPage, full: bool = True) -> str:
    """The ITA page as HTML: with `full` a whole document (charset, viewport), else the fragment to paste."""
    year = page.year or ""
    total = len(page.entries)
    head = (f'<h2 style="font-size:1.3em">การเปิดเผยข้อมูลสาธารณะ (OIT) ประจำปีงบประมาณ พ.ศ. {_e(year)}</h2>\n'
            f"<p>{_e(page.name)}</p>\n")
    if page.gaps:
        head += (f'<p style="{_GAP};border:1px solid #e0a39b;padding:8px" data-gaps="{page.gaps}"><strong>ยังขาดลิงก์ '
                 f"{page.gaps} ข้อ จาก {total} ข้อ</strong>: ข้อที่ยังไม่มีลิงก์ต้องเผยแพร่ข้อมูลก่อน "
                 "แล้วตรวจอีกครั้ง (อย่าเผยแพร่หน้านี้ทั้งที่ยังมีช่องว่าง)</p>\n")
    else:
        head += f'<p data-gaps="0"><strong>มีลิงก์ครบทั้ง {total} ข้อ</strong></p>\n'
    meta = f"ตรวจเว็บไซต์ {page.site} เมื่อ {thai_date(page.checked_at)} ตามเกณฑ์ {page.checklist}"
    if page.draft:
        meta += " (ฉบับร่าง: รายการข้ออาจต่างจากคู่มือจริง)"
    head += f'<p style="color:#4a5565;font-size:.9em">{_e(meta)}</p>\n'
    parts = [head]
    for group, entries in page.groups:
        if group:
            parts.append(f'<h3 style="font-size:1.1em;margin-top:1.2em">{_e(group)}</h3>\n')
        rows = []
        for e in entries:
            style = _TD + (";" + _GAP if e.gap else "")
            rows.append(f'<tr data-item="{_e(e.id)}" data-gap="{int(e.gap)}">'
                        f'<td style="{_TD};white-space:nowrap;width:3.5em"><strong>{_e(e.id)}</strong></td>'
                        f'<td style="{style}">{_cell(e)}</td></tr>')
        parts.append(f'<table style="{_TABLE}">\n<tbody>\n' + "\n".join(rows) + "\n</tbody>\n</table>\n")
    body = "".join(parts)
    if not full:
        return body
    return ('<!DOCTYPE html>\n<html lang="th">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>ITA {_e(year)}: {_e(page.name)}</title>\n</head>\n"
            '<body style="margin:0;padding:12px;font-family:Sarabun,\'Noto Sans Thai\',Tahoma,sans-serif;'
            'color:#1d2430;max-width:960px">\n'
            f"{body}</body>\n</html>\n")


def _a(url: str, label: str | None = None) -> str:
    u = http_url(url)
    shown = _e(label if label is not None else readable(url))
    return f'<a href="{_e(u)}">{shown}</a>' if u else shown


def _cell(e: Entry) -> str:
    out = f"<div><strong>{_e(e.title)}</strong></div>"
    if not e.gap:
        for link in e.links:
            out += f'<div style="margin-top:4px">ลิงก์: {_a(link.url)}'
            if link.copy:
                out += f' <span style="font-size:.85em">(<a href="{_e(link.copy)}">{_e(link.copy_label)}</a>)</span>'
            out += "</div>"
        out += f'<div style="margin-top:4px">วิธีเข้าถึง: {_e(numbered(e.steps))}</div>'
        if e.note:
            out += f'<div style="color:#4a5565;font-size:.9em">{_e(e.note)}</div>'
        return out
    out += f'<div style="margin-top:4px"><strong>ยังไม่มีลิงก์</strong> ({_e(STATUS_TH[e.status])})</div>'
    out += f"<div>{_e(e.need)}</div>"
    if e.candidate:
        out += (f'<div style="font-size:.9em">ลิงก์ที่ใกล้เคียงที่สุด (ยังใช้ไม่ได้ ต้องตรวจ/แก้ก่อน): '
                f"{_e(readable(e.candidate))}</div>")
    else:
        out += '<div style="font-size:.9em">ยังไม่พบลิงก์ที่ใกล้เคียงบนเว็บไซต์</div>'
    out += f'<div style="color:#4a5565;font-size:.9em">{_e(e.note)}</div>'
    return out


# ----------------------------------------------------------------------------------------- CSV and XLSX


def rows(page: ItaPage) -> list[list[str]]:
    """One row per item in the order of the ITAS form (a found item with several links: one per line)."""
    out = [CSV_HEADER]
    for e in page.entries:
        if e.gap:
            note = e.need + (f"; ลิงก์ที่ใกล้เคียง (ยังใช้ไม่ได้): {e.candidate}" if e.candidate else "")
            out.append([e.id, e.title, "", "", f"ยังไม่มีลิงก์ ({STATUS_TH[e.status]}): {note}"])
        else:
            out.append([e.id, e.title, "\n".join(link.url for link in e.links), numbered(e.steps), e.note])
    return out


def to_csv(page: ItaPage, encoding: str = "utf-8-sig") -> bytes:
    """CSV bytes for Excel: UTF-8 with BOM (default) or cp874 (Thai Windows); cells guarded against formulas.
    In cp874 a character it lacks becomes '?'."""
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for r in rows(page):
        w.writerow([safe_cell(str(c)) for c in r])
    return buf.getvalue().encode(encoding, errors="replace")


def to_xlsx(page: ItaPage) -> bytes:
    """One sheet "ITA" with the CSV's rows (standard library only)."""
    from .xlsx import _sheet, _styles  # the report workbook's sheet and styles writer

    table = rows(page)
    sheet = _sheet(table, [6, 44, 50, 60, 50], (1, 1))
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    files = {
        "[Content_Types].xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{pkg}/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
        '+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}/'
        f'relationships"><Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{ns}" '
        f'xmlns:r="{rel}"><sheets><sheet name="ITA" sheetId="1" r:id="rId1"/></sheets><definedNames>'
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">\'ITA\'!$A$1:$E${len(table)}'
        "</definedName></definedNames></workbook>",
        "xl/_rels/workbook.xml.rels": f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
        f'xmlns="{pkg}/relationships"><Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": _styles(),
        "xl/worksheets/sheet1.xml": sheet,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()
