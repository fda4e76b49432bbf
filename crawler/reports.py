"""Reports for people: HTML (one site, a batch of sites), CSV, XLSX and the NACC paste list.

Pure functions from `oit-result/1` documents (see README) to text or bytes; nothing here reads the
database or the network. Everything scraped (titles, link texts, reasons, URLs) is escaped: a
municipal page can contain anything, and a report is opened in a browser or in Excel.
"""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlsplit
from xml.sax.saxutils import escape as xml_escape

from .models import STATUS_TH, STATUSES, STOP_TH
from .report import safe_cell
from .urls import readable

# Short code of a status in the batch matrix: text as well as colour.
STATUS_CODE = {"found": "✓", "review": "?", "stale": "ปี", "broken": "เสีย", "missing": "✗"}
STATUS_CSS = {"found": "ok", "review": "rv", "stale": "st", "broken": "bk", "missing": "ms"}
BANGKOK = timezone(timedelta(hours=7))
MONTHS_TH = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน",
             "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_HTTP = re.compile(r"https?://[^/\s?#]", re.IGNORECASE)


# ---------------------------------------------------------------- shared helpers

def _e(value: object) -> str:
    """HTML-escape anything shown in a page or an attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _item_no(item_id: str) -> int:
    m = re.search(r"\d+", item_id or "")
    return int(m.group()) if m else 10_000


def _items(doc: dict) -> list[dict]:
    """The document's items in NACC order (O1..O43)."""
    return sorted(doc.get("items") or [], key=lambda it: (_item_no(it.get("id", "")), it.get("id", "")))


def _status(item: dict) -> str:
    s = item.get("status")
    return s if s in STATUS_TH else "missing"


def _counts(doc: dict) -> Counter:
    return Counter(_status(it) for it in doc.get("items") or [])


def _columns(docs: list[dict]) -> list[tuple[str, str]]:
    """Item ids and titles over all documents, in NACC order."""
    seen: dict[str, str] = {}
    for doc in docs:
        for it in doc.get("items") or []:
            seen.setdefault(it.get("id", ""), it.get("title", ""))
    return sorted(seen.items(), key=lambda kv: (_item_no(kv[0]), kv[0]))


def _http_url(url: object) -> str | None:
    """The URL when it may be a link (http/https with a host, no control characters), else None."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    if not u or any(ch < " " or ch == "\x7f" for ch in u) or not _HTTP.match(u):
        return None
    return u


def _link(url: object, text: str | None = None) -> str:
    """`<a>` for http(s) URLs only; anything else is shown as escaped text."""
    shown = readable(url) if isinstance(url, str) else ""
    label = _e(text if text is not None else shown)
    u = _http_url(url)
    if u is None:
        return f'<span class="url">{label}</span>' if label else ""
    return f'<a class="url" href="{_e(u)}" target="_blank" rel="noopener noreferrer">{label}</a>'


def _thai_date(iso: object) -> str:
    """'2026-11-21T06:46:42+00:00' -> '21 พฤศจิกายน 2569 เวลา 13:46 น.' (Bangkok time, B.E.)."""
    if not iso:
        return "-"
    try:
        dt = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if dt.tzinfo is not None:
        dt = dt.astimezone(BANGKOK)
    return f"{dt.day} {MONTHS_TH[dt.month - 1]} {dt.year + 543} เวลา {dt:%H:%M} น."


def _site_name(doc: dict | None, site: dict | None = None) -> str:
    site = site or {}
    doc_site = (doc or {}).get("site") or {}
    return (site.get("name") or doc_site.get("name") or doc_site.get("host") or site.get("url")
            or doc_site.get("url") or "-")


def _site_key(url: object) -> str:
    """Match a batch entry to its document: host without www, path without trailing slash."""
    if not isinstance(url, str) or not url.strip():
        return ""
    u = url.strip()
    if "://" not in u:
        u = "http://" + u
    parts = urlsplit(u)
    host = (parts.netloc or "").lower().removeprefix("www.")
    return host + parts.path.rstrip("/")


def _pair(docs: list[dict], batch: dict | None) -> list[tuple[dict, dict | None]]:
    """(batch site entry, its document or None) in batch order; documents without an entry at the end."""
    sites = list((batch or {}).get("sites") or [])
    by_key: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        by_key.setdefault(_site_key(((doc or {}).get("site") or {}).get("url")), []).append(i)
    used: set[int] = set()
    rows: list[tuple[dict, dict | None]] = []
    for site in sites:
        idx = next((i for i in by_key.get(_site_key(site.get("url")), []) if i not in used), None)
        if idx is not None:
            used.add(idx)
        rows.append((site, docs[idx] if idx is not None else None))
    for i, doc in enumerate(docs):
        if i not in used:
            rows.append(({"url": ((doc or {}).get("site") or {}).get("url", "")}, doc))
    return rows


def _site_error(site: dict, doc: dict | None) -> str:
    if doc is not None:
        return ""
    if site.get("error"):
        return str(site["error"])
    status = site.get("status")
    return f"ยังไม่มีผลการตรวจ (สถานะ: {status})" if status else "ยังไม่มีผลการตรวจ"


def _click_path(ev: dict) -> str:
    return " > ".join(str(p) for p in ev.get("click_path") or [])


def _year_found(item: dict) -> str:
    period = item.get("period") or {}
    if period.get("found"):
        return str(period["found"])
    return str(period["year"]) if period.get("year") else ""


def _todo(item: dict) -> tuple[str, str]:
    """(what to fix, the scanner's reason) for an item that is not `found`."""
    status = _status(item)
    reason = str(item.get("reason") or "")
    if status == "found":
        return "", ""
    period = item.get("period") or {}
    missing = [str(m) for m in item.get("missing_elements") or []]
    if status == "stale":
        need = f"ต้องเป็นข้อมูล {period.get('expected') or 'ปีปัจจุบัน'}"
        if period.get("found"):
            need += f" (ที่พบคือ {period['found']})"
        return need, reason
    if missing:
        return "ต้องเพิ่ม: " + "; ".join(missing), reason
    if status == "broken":
        return "แก้ลิงก์ให้เปิดได้และมีเนื้อหาจริง", reason
    if status == "missing":
        return "ยังไม่มีข้อมูลนี้บนเว็บไซต์ หรือหาจากหน้าแรกไม่พบ", reason
    return "ตรวจด้วยตนเองว่าตรงกับข้อนี้", reason


# ---------------------------------------------------------------- HTML

CSS = """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;padding:16px;font:16px/1.55 "Sarabun","Noto Sans Thai","Leelawadee UI","Thonburi","Loma","Waree",
 Tahoma,"DejaVu Sans",sans-serif;color:#1d2430;background:#f4f6f9}
main{max-width:1400px;margin:0 auto}
h1{font-size:1.45rem;margin:0 0 .3rem}
h2{font-size:1.2rem;margin:1.6rem 0 .6rem}
h3{font-size:1.05rem;margin:1.2rem 0 .5rem}
a{color:#0b57d0}
.card{background:#fff;border:1px solid #dde3ea;border-radius:10px;padding:14px 16px;margin:0 0 16px}
.meta{margin:.2rem 0;color:#4a5565;font-size:.95rem}
.meta b{color:#1d2430}
.url{word-break:break-all;overflow-wrap:anywhere}
.chips{display:flex;flex-wrap:wrap;gap:8px;margin:.7rem 0 0;padding:0;list-style:none}
.chip{border-radius:999px;padding:3px 12px;font-size:.95rem;border:1px solid transparent}
.chip b{font-size:1.05rem}
.ok{background:#e3f5e8;color:#135c2c;border-color:#a9dcb8}
.rv{background:#fff4d6;color:#7a5200;border-color:#f0d58a}
.st{background:#efe6fb;color:#5b2d91;border-color:#cdb5ee}
.bk,.ms{background:#fde7e7;color:#9d1c1c;border-color:#f3b3b3}
.fail{background:#eceff3;color:#39424e}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #dde3ea;border-radius:8px;background:#fff}
table{border-collapse:collapse;width:100%}
th,td{padding:7px 9px;border-bottom:1px solid #e6eaef;vertical-align:top;text-align:left}
thead th{background:#27364a;color:#fff;font-weight:600;position:sticky;top:0;z-index:2}
table.items{min-width:980px;font-size:.95rem}
table.items td.no{font-weight:700;white-space:nowrap}
table.items td.title{min-width:12em}
table.items td.where{min-width:18em}
table.items td.fix{min-width:16em}
.badge{display:inline-block;border-radius:6px;padding:1px 8px;font-weight:600;white-space:nowrap;border:1px solid}
.path{display:block;color:#2b3544}
.muted{color:#5f6b7a;font-size:.88rem}
details{margin-top:4px}
summary{cursor:pointer;color:#0b57d0;font-size:.9rem}
ul.more{margin:4px 0 0 1.1em;padding:0}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;font-size:.92rem;margin:.4rem 0 .6rem}
.legend span.c{display:inline-block;min-width:2.1em;text-align:center;border-radius:4px;border:1px solid;
 margin-right:4px;font-weight:700}
table.matrix{width:auto;font-size:.85rem}
table.matrix th,table.matrix td{padding:4px 3px;border:1px solid #e0e5eb;text-align:center}
table.matrix thead th{padding:6px 3px;font-size:.8rem}
table.matrix th.site{position:sticky;left:0;z-index:1;background:#fff;text-align:left;min-width:11em;
 max-width:16em;font-weight:600;padding:4px 8px}
table.matrix thead th.site{background:#27364a;z-index:3}
table.matrix td.cell{min-width:2.3em;font-weight:700;white-space:nowrap}
table.matrix td.n{font-variant-numeric:tabular-nums;min-width:2.4em}
table.matrix td.err{text-align:left;font-weight:400}
.small{font-size:.82rem;font-weight:400;color:#5f6b7a;display:block}
table.counts{font-size:.93rem;min-width:640px}
table.counts td.n,table.counts th.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.bar{display:flex;height:12px;min-width:120px;border-radius:3px;overflow:hidden;background:#eceff3}
.bar i{display:block;height:100%}
.bar i.ok{background:#2e9e55}.bar i.rv{background:#e0a800}.bar i.st{background:#8a55c9}
.bar i.bk{background:#e35d5d}.bar i.ms{background:#b42323}
section.site{margin-top:26px}
main>section.site:first-child{margin-top:0}
.top{font-size:.9rem}
nav.toc a{margin-right:12px;white-space:nowrap}
footer{margin:24px 0 8px;color:#6b7684;font-size:.85rem}
@media (max-width:640px){body{padding:10px;font-size:15px}h1{font-size:1.25rem}.card{padding:12px}}
@media print{body{background:#fff;padding:0}.scroll{overflow:visible;border:0}thead th{position:static}
 table.matrix th.site{position:static}}
"""


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"th\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">\n"
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n{body}\n"
        "<footer>สร้างโดย oit — ตรวจเว็บไซต์หน่วยงานตามแบบ OIT (ITA) ผลนี้ใช้ประกอบการตรวจด้วยตนเอง"
        "</footer>\n</main>\n</body>\n</html>\n"
    )


def _badge(status: str) -> str:
    return f'<span class="badge {STATUS_CSS[status]}">{_e(STATUS_TH[status])}</span>'


def _chips(counts: Counter, total: int) -> str:
    chips = "".join(f'<li class="chip {STATUS_CSS[s]}">{_e(STATUS_TH[s])} <b>{counts.get(s, 0)}</b></li>'
                    for s in STATUSES)
    return f'<ul class="chips" aria-label="สรุปผล">{chips}<li class="chip fail">รวม <b>{total}</b> ข้อ</li></ul>'


def _where(item: dict) -> str:
    evidence = [ev for ev in item.get("evidence") or [] if isinstance(ev, dict)]
    if not evidence:
        return '<span class="muted">-</span>'
    best, rest = evidence[0], evidence[1:]
    out = ""
    path = _click_path(best)
    if path:
        out += f'<span class="path">{_e(path)}</span>'
    out += _link(best.get("url"))
    if best.get("check"):
        out += f'<div class="muted">{_e(best["check"])}</div>'
    if rest:
        lis = "".join(f"<li>{_e(_click_path(ev))}<br>{_link(ev.get('url'))}</li>" for ev in rest)
        out += f"<details><summary>หลักฐานอื่นอีก {len(rest)} รายการ</summary><ul class=\"more\">{lis}</ul></details>"
    return out


def _item_row(item: dict) -> str:
    status = _status(item)
    todo, reason = _todo(item)
    fix = '<span class="muted">-</span>'
    if todo:
        fix = f"<div>{_e(todo)}</div>" + (f'<div class="muted">{_e(reason)}</div>' if reason else "")
    year = _year_found(item)
    year_html = _e(year) if year else '<span class="muted">-</span>'
    return (f'<tr class="{STATUS_CSS[status]}-row" data-status="{status}">'
            f'<td class="no">{_e(item.get("id"))}</td><td class="title">{_e(item.get("title"))}</td>'
            f'<td>{_badge(status)}</td><td class="where">{_where(item)}</td>'
            f'<td>{year_html}</td><td class="fix">{fix}</td></tr>')


def _site_section(doc: dict, name: str, anchor: str = "", site: dict | None = None, heading: str = "h1",
                  back: bool = False) -> str:
    """Header card and the 43-row table of one site."""
    site = site or {}
    items = _items(doc)
    counts = _counts(doc)
    url = (doc.get("site") or {}).get("url") or site.get("url")
    checklist = doc.get("checklist") or {}
    place = " ".join(p for p in (site.get("type"), site.get("district") and f"อ.{site['district']}",
                                 site.get("province") and f"จ.{site['province']}") if p)
    meta = [f"<p class=\"meta\"><b>เว็บไซต์:</b> {_link(url)}</p>",
            f"<p class=\"meta\"><b>วันที่ตรวจ:</b> {_e(_thai_date(doc.get('started_at')))}</p>"]
    if place:
        meta.insert(0, f"<p class=\"meta\"><b>ที่ตั้ง:</b> {_e(place)}</p>")
    if checklist.get("name") or checklist.get("year"):
        meta.append(f"<p class=\"meta\"><b>เกณฑ์:</b> {_e(checklist.get('name') or '')} "
                    f"ปีงบประมาณ {_e(checklist.get('year') or '-')}</p>")
    meta.append(f"<p class=\"meta\"><b>หน้าที่ตรวจ:</b> {_e(doc.get('pages_fetched', '-'))} หน้า"
                f" ({_e(STOP_TH.get(doc.get('stop_reason') or '', doc.get('stop_reason') or '-'))})</p>")
    findings = "".join(f"<li>{_e(f)}</li>" for f in doc.get("findings") or [])
    if findings:
        meta.append(f'<div class="meta"><b>ข้อสังเกต:</b><ul>{findings}</ul></div>')
    id_attr = f' id="{_e(anchor)}"' if anchor else ""
    top = '<p class="top"><a href="#top">↑ กลับไปตารางสรุป</a></p>' if back else ""
    rows = "\n".join(_item_row(it) for it in items)
    return (
        f'<section class="site"{id_attr}>\n<div class="card">\n<{heading}>ชื่อหน่วยงาน: {_e(name)}</{heading}>\n'
        + "\n".join(meta) + "\n" + _chips(counts, len(items)) + "\n</div>\n"
        + '<div class="scroll"><table class="items">\n<thead><tr><th>ข้อ</th><th>ข้อมูล</th><th>สถานะ</th>'
        "<th>ตำแหน่งข้อมูลบนเว็บไซต์</th><th>ปีที่พบ</th><th>สิ่งที่ต้องแก้ไข</th></tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody></table></div>\n{top}</section>"
    )


def html_site(doc: dict, name: str | None = None) -> str:
    """One self-contained HTML page for one site: header, counts, the 43 items."""
    shown = name or _site_name(doc)
    return _page(f"ผลตรวจ OIT: {shown}", _site_section(doc, shown))


def _legend() -> str:
    parts = "".join(f'<span><span class="c {STATUS_CSS[s]}">{_e(STATUS_CODE[s])}</span>{_e(STATUS_TH[s])}</span>'
                    for s in STATUSES)
    return f'<div class="legend" aria-label="ความหมายของสัญลักษณ์">{parts}</div>'


def _bar(counts: Counter, total: int) -> str:
    if not total:
        return ""
    parts = "".join(f'<i class="{STATUS_CSS[s]}" style="width:{100 * counts.get(s, 0) / total:.1f}%"></i>'
                    for s in STATUSES if counts.get(s))
    return f'<div class="bar" role="img" aria-label="สัดส่วนสถานะ">{parts}</div>'


def html_batch(docs: list[dict], batch: dict) -> str:
    """One self-contained HTML page for a batch: sites x items matrix, counts per item and site, every site."""
    batch = batch or {}
    rows = _pair(docs, batch)
    columns = _columns([d for _, d in rows if d])
    ok = [(s, d) for s, d in rows if d is not None]
    failed = [(s, d) for s, d in rows if d is None]
    anchors = [f"site-{i + 1}" for i in range(len(rows))]
    title = batch.get("name") or "ผลตรวจเว็บไซต์หลายหน่วยงาน"

    # header
    all_counts: Counter = Counter()
    for _, d in ok:
        all_counts.update(_counts(d))
    head = [f'<div class="card" id="top">\n<h1>{_e(title)}</h1>']
    if batch.get("id") is not None:
        head.append(f'<p class="meta"><b>รหัสชุดงาน:</b> {_e(batch.get("id"))}</p>')
    head.append(f'<p class="meta"><b>เริ่มตรวจ:</b> {_e(_thai_date(batch.get("started_at")))}'
                f' &nbsp; <b>เสร็จ:</b> {_e(_thai_date(batch.get("finished_at")))}</p>')
    head.append(f'<p class="meta"><b>หน่วยงาน:</b> {len(rows)} แห่ง — ตรวจได้ {len(ok)} แห่ง'
                f", ตรวจไม่ได้ {len(failed)} แห่ง</p>")
    head.append(_chips(all_counts, sum(all_counts.values())).replace("ข้อ</li>", "ข้อ (ทุกหน่วยงาน)</li>"))
    head.append('<nav class="toc meta"><a href="#matrix">ตารางรวม</a><a href="#by-item">รายข้อ</a>'
                '<a href="#by-site">รายหน่วยงาน</a></nav>\n</div>')

    # matrix
    th = "".join(f'<th title="{_e(cid)} {_e(ctitle)}">{_e(cid)}</th>' for cid, ctitle in columns)
    th += "".join(f'<th title="{_e(STATUS_TH[s])}">{_e(STATUS_CODE[s])}</th>' for s in STATUSES)
    body = []
    for (site, doc), anchor in zip(rows, anchors, strict=True):
        name = _site_name(doc, site)
        sub = " ".join(p for p in (site.get("district"), site.get("province")) if p)
        label = (f'<th class="site" scope="row"><a href="#{anchor}">{_e(name)}</a>'
                 + (f'<span class="small">{_e(sub)}</span>' if sub else "") + "</th>")
        if doc is None:
            err = _site_error(site, doc)
            body.append(f'<tr class="failed">{label}<td class="err fail" colspan="{len(columns) + len(STATUSES)}">'
                        f"ตรวจไม่ได้: {_e(err)}</td></tr>")
            continue
        by_id = {it.get("id"): it for it in doc.get("items") or []}
        cells = []
        for cid, ctitle in columns:
            it = by_id.get(cid)
            if it is None:
                cells.append(f'<td class="cell fail" data-item="{_e(cid)}" title="{_e(cid)}: ไม่มีในเกณฑ์">-</td>')
                continue
            s = _status(it)
            tip = f"{name} · {cid} {ctitle}: {STATUS_TH[s]}"
            todo, _reason = _todo(it)
            if todo:
                tip += f" — {todo}"
            cells.append(f'<td class="cell {STATUS_CSS[s]}" data-item="{_e(cid)}" data-status="{s}" '
                         f'title="{_e(tip)}">{_e(STATUS_CODE[s])}</td>')
        c = _counts(doc)
        cells += [f'<td class="n {STATUS_CSS[s]}">{c.get(s, 0)}</td>' for s in STATUSES]
        body.append(f"<tr>{label}{''.join(cells)}</tr>")
    matrix = (f'<h2 id="matrix">ตารางรวม: หน่วยงาน × ข้อ O1–O{len(columns)}</h2>\n{_legend()}\n'
              '<div class="scroll"><table class="matrix">\n'
              f'<thead><tr><th class="site">หน่วยงาน</th>{th}</tr></thead>\n<tbody>\n'
              + "\n".join(body) + "\n</tbody></table></div>")

    # counts per item, most missed first
    per_item = []
    for cid, ctitle in columns:
        c: Counter = Counter()
        for _, d in ok:
            it = next((i for i in d.get("items") or [] if i.get("id") == cid), None)
            if it is not None:
                c[_status(it)] += 1
        per_item.append((cid, ctitle, c))
    per_item.sort(key=lambda t: (-(sum(t[2].values()) - t[2].get("found", 0)), -t[2].get("missing", 0),
                                 _item_no(t[0])))
    item_rows = []
    for cid, ctitle, c in per_item:
        n = sum(c.values())
        not_ok = n - c.get("found", 0)
        pct = f"{100 * not_ok / n:.0f}%" if n else "-"
        item_rows.append(f"<tr><td class=\"no\"><b>{_e(cid)}</b></td><td>{_e(ctitle)}</td>"
                         + "".join(f'<td class="n">{c.get(s, 0)}</td>' for s in STATUSES)
                         + f'<td class="n"><b>{not_ok}</b> ({pct})</td><td>{_bar(c, n)}</td></tr>')
    by_item = ('<h2 id="by-item">รายข้อ: ข้อที่หน่วยงานยังไม่ผ่านมากที่สุด</h2>\n'
               f'<p class="meta">นับจาก {len(ok)} หน่วยงานที่ตรวจได้ เรียงจากข้อที่ยังไม่ผ่าน (ไม่ใช่ "พบ") มากที่สุด</p>\n'
               '<div class="scroll"><table class="counts">\n<thead><tr><th>ข้อ</th><th>ข้อมูล</th>'
               + "".join(f'<th class="n">{_e(STATUS_TH[s])}</th>' for s in STATUSES)
               + '<th class="n">ยังไม่ผ่าน</th><th>สัดส่วน</th></tr></thead>\n<tbody>\n'
               + "\n".join(item_rows) + "\n</tbody></table></div>")

    # counts per site, fewest found first
    site_rows = []
    order = sorted(range(len(rows)), key=lambda i: (rows[i][1] is not None,
                                                    _counts(rows[i][1]).get("found", 0) if rows[i][1] else 0, i))
    for i in order:
        site, doc = rows[i]
        name = _site_name(doc, site)
        place = " ".join(p for p in (site.get("type"), site.get("district"), site.get("province")) if p)
        cell = f'<td><a href="#{anchors[i]}">{_e(name)}</a><span class="small">{_e(place)}</span></td>'
        if doc is None:
            site_rows.append(f'<tr class="failed">{cell}<td colspan="{len(STATUSES) + 2}" class="fail">'
                             f"ตรวจไม่ได้: {_e(_site_error(site, doc))}</td></tr>")
            continue
        c = _counts(doc)
        n = sum(c.values())
        site_rows.append(f"<tr>{cell}" + "".join(f'<td class="n">{c.get(s, 0)}</td>' for s in STATUSES)
                         + f'<td class="n"><b>{100 * c.get("found", 0) / n if n else 0:.0f}%</b></td>'
                         f"<td>{_bar(c, n)}</td></tr>")
    by_site = ('<h2 id="by-site">รายหน่วยงาน</h2>\n<p class="meta">เรียงจากหน่วยงานที่พบข้อมูลน้อยที่สุด'
               ' คลิกชื่อเพื่อดูรายละเอียด 43 ข้อ</p>\n<div class="scroll"><table class="counts">\n'
               "<thead><tr><th>หน่วยงาน</th>" + "".join(f'<th class="n">{_e(STATUS_TH[s])}</th>' for s in STATUSES)
               + '<th class="n">พบ (%)</th><th>สัดส่วน</th></tr></thead>\n<tbody>\n'
               + "\n".join(site_rows) + "\n</tbody></table></div>")

    # every site
    sections = []
    for (site, doc), anchor in zip(rows, anchors, strict=True):
        name = _site_name(doc, site)
        if doc is None:
            sections.append(f'<section class="site" id="{anchor}"><div class="card">'
                            f"<h2>ชื่อหน่วยงาน: {_e(name)}</h2>"
                            f'<p class="meta"><b>เว็บไซต์:</b> {_link(site.get("url"))}</p>'
                            f'<p class="meta fail"><b>ตรวจไม่ได้:</b> {_e(_site_error(site, doc))}</p></div>'
                            '<p class="top"><a href="#top">↑ กลับไปตารางสรุป</a></p></section>')
        else:
            sections.append(_site_section(doc, name, anchor, site, heading="h2", back=True))
    return _page(str(title), "\n".join([*head, matrix, by_item, by_site, '<h2>ผลรายหน่วยงาน</h2>', *sections]))


# ---------------------------------------------------------------- CSV

def _cell(value: object) -> str:
    """A spreadsheet-safe cell: no formula, no control characters."""
    if value is None:
        return ""
    text = _CONTROL.sub("", str(value))
    if text[:1] in ("\t", "\r"):
        return "'" + text
    return safe_cell(text)


def _csv(rows: list[list[object]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return "\ufeff" + out.getvalue()


ITEM_HEADER = ["หน่วยงาน", "จังหวัด", "อำเภอ", "เว็บไซต์", "วันที่ตรวจ", "ข้อ", "ข้อมูล", "สถานะ", "status", "คะแนน",
               "ตำแหน่งข้อมูลบนเว็บไซต์", "URL หลักฐาน", "หลักฐานอื่น", "ปีที่พบ", "ช่วงเวลาที่ต้องการ", "สิ่งที่ต้องแก้ไข",
               "เหตุผล"]


def _item_rows(docs: list[dict], batch: dict | None = None) -> list[list[object]]:
    rows: list[list[object]] = []
    for site, doc in _pair(docs, batch):
        if doc is None:
            continue
        name = _site_name(doc, site)
        url = readable((doc.get("site") or {}).get("url") or "")
        when = _thai_date(doc.get("started_at"))
        for it in _items(doc):
            evidence = [ev for ev in it.get("evidence") or [] if isinstance(ev, dict)]
            best = evidence[0] if evidence else {}
            todo, reason = _todo(it)
            s = _status(it)
            rows.append([name, site.get("province") or "", site.get("district") or "", url, when, it.get("id"),
                         it.get("title"), STATUS_TH[s], s, it.get("score"), _click_path(best),
                         readable(best.get("url") or ""),
                         " ".join(readable(ev.get("url") or "") for ev in evidence[1:]),
                         _year_found(it), (it.get("period") or {}).get("expected") or "", todo,
                         reason if s != "found" else ""])
    return rows


def csv_items(docs: list[dict], batch: dict | None = None) -> str:
    """One row per site x item; UTF-8 with BOM, formula-safe."""
    return _csv([ITEM_HEADER, *_item_rows(docs, batch)])


def _matrix_rows(docs: list[dict], batch: dict | None = None) -> list[list[object]]:
    rows_in = _pair(docs, batch)
    columns = _columns([d for _, d in rows_in if d])
    header: list[object] = ["หน่วยงาน", "ประเภท", "อำเภอ", "จังหวัด", "เว็บไซต์", "วันที่ตรวจ",
                            *[cid for cid, _ in columns], *[STATUS_TH[s] for s in STATUSES], "หมายเหตุ"]
    rows: list[list[object]] = [header]
    for site, doc in rows_in:
        base = [_site_name(doc, site), site.get("type") or "", site.get("district") or "", site.get("province") or "",
                readable((doc or {}).get("site", {}).get("url") or site.get("url") or "")]
        if doc is None:
            rows.append([*base, "", *[""] * len(columns), *[""] * len(STATUSES), "ตรวจไม่ได้: " + _site_error(site, doc)])
            continue
        by_id = {it.get("id"): it for it in doc.get("items") or []}
        c = _counts(doc)
        rows.append([*base, _thai_date(doc.get("started_at")),
                     *[STATUS_TH[_status(by_id[cid])] if cid in by_id else "" for cid, _ in columns],
                     *[c.get(s, 0) for s in STATUSES], ""])
    return rows


def csv_matrix(docs: list[dict], batch: dict | None = None) -> str:
    """One row per site, one column per item (status in Thai), then the counts; UTF-8 with BOM."""
    return _csv(_matrix_rows(docs, batch))


def _per_item_rows(docs: list[dict], batch: dict | None = None) -> list[list[object]]:
    ok = [d for _, d in _pair(docs, batch) if d]
    rows: list[list[object]] = [["ข้อ", "ข้อมูล", *[STATUS_TH[s] for s in STATUSES], "ยังไม่ผ่าน", "จำนวนหน่วยงาน"]]
    for cid, ctitle in _columns(ok):
        c = Counter(_status(it) for d in ok for it in d.get("items") or [] if it.get("id") == cid)
        n = sum(c.values())
        rows.append([cid, ctitle, *[c.get(s, 0) for s in STATUSES], n - c.get("found", 0), n])
    return rows


# ---------------------------------------------------------------- XLSX (standard library only)

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# style ids in styles.xml: 0 normal, 1 header, 2..6 the statuses, 7 wrapped text
_STYLE = {"header": 1, **{s: 2 + i for i, s in enumerate(STATUSES)}, "wrap": 7}
_FILLS = {"found": "FFE3F5E8", "review": "FFFFF4D6", "stale": "FFEFE6FB", "broken": "FFFDE7E7", "missing": "FFFDE7E7"}
_TH_STATUS = {v: k for k, v in STATUS_TH.items()}


def _col(n: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _x(text: object) -> str:
    return xml_escape(_CONTROL.sub("", str(text))[:32767], {'"': "&quot;"})


def _sheet(rows: list[list[object]], widths: list[float], freeze: tuple[int, int] = (1, 1),
           status_cols: range | None = None) -> str:
    """A worksheet: header row styled, frozen panes, autofilter, status cells coloured."""
    out = []
    for r, row in enumerate(rows):
        cells = []
        for c, v in enumerate(row):
            ref = f"{_col(c)}{r + 1}"
            if r == 0:
                style = _STYLE["header"]
            elif status_cols is not None and c in status_cols and v in _TH_STATUS:
                style = _STYLE[_TH_STATUS[v]]
            else:
                style = 0
            s = f' s="{style}"' if style else ""
            if v is None or v == "":
                if style:
                    cells.append(f'<c r="{ref}"{s}/>')
                continue
            if isinstance(v, bool):
                v = str(v)
            if isinstance(v, int | float):
                cells.append(f'<c r="{ref}"{s}><v>{v}</v></c>')
            else:
                cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_x(v)}</t></is></c>')
        out.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    ncols = max((len(r) for r in rows), default=1)
    fr, fc = freeze
    top_left = f"{_col(fc)}{fr + 1}"
    pane_attrs = []
    if fc:
        pane_attrs.append(f'xSplit="{fc}"')
    if fr:
        pane_attrs.append(f'ySplit="{fr}"')
    active = "bottomRight" if fr and fc else ("bottomLeft" if fr else "topRight")
    pane = (f'<pane {" ".join(pane_attrs)} topLeftCell="{top_left}" activePane="{active}" state="frozen"/>'
            f'<selection pane="{active}" activeCell="{top_left}" sqref="{top_left}"/>') if (fr or fc) else ""
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths))
    last = f"{_col(ncols - 1)}{max(len(rows), 1)}"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" xmlns:r="{_REL}">'
            f'<dimension ref="A1:{last}"/><sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + f'<sheetData>{"".join(out)}</sheetData>'
            + (f'<autoFilter ref="A1:{last}"/>' if len(rows) > 1 else "") + "</worksheet>")


def _styles() -> str:
    fills = "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="{_FILLS[s]}"/><bgColor indexed="64"/>'
                    "</patternFill></fill>" for s in STATUSES)
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
           '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>']
    xfs += [f'<xf numFmtId="0" fontId="0" fillId="{3 + i}" borderId="0" xfId="0" applyFill="1"/>'
            for i in range(len(STATUSES))]
    xfs.append('<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
               '<alignment wrapText="1" vertical="top"/></xf>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
            '<fonts count="2"><font><sz val="11"/><name val="Tahoma"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Tahoma"/><family val="2"/></font></fonts>'
            f'<fills count="{3 + len(STATUSES)}"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FF27364A"/><bgColor indexed="64"/>'
            "</patternFill></fill>"
            f"{fills}</fills>"
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>")


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Sheet"


def xlsx(docs: list[dict], batch: dict | None = None) -> bytes:
    """An Excel workbook (no dependency): สรุป (matrix), รายการ (site x item), รายข้อ (counts per item)."""
    matrix = _matrix_rows(docs, batch)
    n_items = len(matrix[0]) - 6 - len(STATUSES) - 1
    items = [ITEM_HEADER, *_item_rows(docs, batch)]
    per_item = _per_item_rows(docs, batch)
    sheets = [
        ("สรุป", _sheet(matrix, [28, 14, 14, 14, 30, 24, *[9] * n_items, *[10] * len(STATUSES), 40], (1, 1),
                       range(6, 6 + n_items))),
        ("รายการ", _sheet(items, [28, 12, 12, 30, 24, 6, 36, 12, 9, 7, 40, 50, 30, 18, 24, 36, 60], (1, 6),
                         range(7, 8))),
        ("รายข้อ", _sheet(per_item, [6, 44, *[10] * len(STATUSES), 11, 14], (1, 2))),
    ]
    names = [_sheet_name(n) for n, _ in sheets]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                  for i in range(len(sheets)))
        + "</Types>")
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
        + "".join(f'<sheet name="{_x(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
        + "</sheets>"
        + "<definedNames>"
        + "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                  f"'{_x(n)}'!$A$1:${_col(len(rows[0]) - 1)}${len(rows)}</definedName>"
                  for i, (n, rows) in enumerate(zip(names, (matrix, items, per_item), strict=True)) if len(rows) > 1)
        + "</definedNames></workbook>")
    workbook = workbook.replace("<definedNames></definedNames>", "")
    wb_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                  for i in range(len(sheets)))
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        z.writestr("xl/styles.xml", _styles())
        for i, (_, xml) in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
    return buf.getvalue()


# ---------------------------------------------------------------- NACC paste

def _paste_url(url: str) -> str:
    """A URL as one token: whitespace and non-ASCII percent-encoded, as browsers send it."""
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def nacc_paste(doc: dict) -> str:
    """'O1<TAB>url url ...' per item in NACC order, evidence best first; '-' when an item has none."""
    lines = []
    for it in _items(doc):
        urls: list[str] = []
        for ev in it.get("evidence") or []:
            u = _http_url(ev.get("url")) if isinstance(ev, dict) else None
            if u and _paste_url(u) not in urls:
                urls.append(_paste_url(u))
        lines.append(f"{_cell(it.get('id', ''))}\t{' '.join(urls) if urls else '-'}")
    return "\n".join(lines) + "\n"
