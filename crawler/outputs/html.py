"""Self-contained Thai HTML pages: one site, or a batch of sites; every scraped string escaped."""

from __future__ import annotations

import html
from collections import Counter

from ..explain import Explanation
from ..match import FOUND, REVIEW
from ..models import STATUS_TH, STATUSES, STOP_TH, UNCONFIRMED_TH
from ..nearest import NEAREST_TH
from ..urls import readable
from .common import (
    FILTER_TH,
    bases,
    basis,
    click_path,
    columns,
    counts,
    finding_th,
    fix_first,
    group_th,
    http_url,
    item_no,
    nacc_items,
    pair,
    site_error,
    site_name,
    status_of,
    thai_date,
    thai_menus,
    todo,
    year_found,
)

# Short code of a status in the batch matrix: text as well as colour.
STATUS_CODE = {"found": "✓", "review": "?", "stale": "ปี", "broken": "เสีย", "missing": "✗", "not_due": "รอ"}
STATUS_CSS = {"found": "ok", "review": "rv", "stale": "st", "broken": "bk", "missing": "ms", "not_due": "nd"}


def _e(value: object) -> str:
    """HTML-escape anything shown in a page or an attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _link(url: object, text: str | None = None) -> str:
    """`<a>` for http(s) URLs only; anything else is shown as escaped text."""
    shown = readable(url) if isinstance(url, str) else ""
    label = _e(text if text is not None else shown)
    u = http_url(url)
    if u is None:
        return f'<span class="url">{label}</span>' if label else ""
    return f'<a class="url" href="{_e(u)}" target="_blank" rel="noopener noreferrer">{label}</a>'


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
.nd{background:#e3f3f7;color:#17586b;border-color:#a9d7e3}
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
.bar i.ok{background:#2e9e55}.bar i.rv{background:#e0a800}.bar i.st{background:#8a55c9}.bar i.nd{background:#3a9bb5}
.bar i.bk{background:#e35d5d}.bar i.ms{background:#b42323}
section.site{margin-top:26px}
main>section.site:first-child{margin-top:0}
.top{font-size:.9rem}
nav.toc a{margin-right:12px;white-space:nowrap}
footer{margin:24px 0 8px;color:#6b7684;font-size:.85rem}
@media (max-width:640px){body{padding:10px;font-size:15px}h1{font-size:1.25rem}.card{padding:12px}
.items-wrap{overflow:visible;border:0;background:none}table.items{min-width:0}table.items thead{display:none}
table.items,table.items tbody,table.items tr,table.items td{display:block;width:auto;min-width:0}
table.items tr{background:#fff;border:1px solid #dde3ea;border-radius:8px;margin:0 0 10px;padding:6px 10px}
table.items td{border:0;padding:3px 0;overflow-wrap:anywhere}table.items td.title{min-width:0;font-weight:600}
table.items td.where,table.items td.fix{min-width:0}
table.items td[data-label]::before{content:attr(data-label) ": ";color:#5b6673;font-size:.85em}}
.req{border-top:1px solid #dde3ea;padding-top:6px}
tr.group-head th{background:#eef2f7;color:#1d2430;font-size:1rem;padding:9px;position:static}
.usual{margin-top:3px;font-size:.9rem}
.accepted{margin-top:4px;padding:3px 8px;border-left:3px solid #2f6fb0;background:#eaf2fb;font-size:.9rem}
.acc{background:#eaf2fb;color:#1f4e7a;border-color:#a8c6e6}
table.matrix td[data-accepted]{box-shadow:inset 0 0 0 2px #2f6fb0}
.filters{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 10px}
.filters input{position:absolute;opacity:0;width:1px;height:1px;margin:0}
.filters label{cursor:pointer;user-select:none}
.filters input:checked+label{outline:2px solid #1d2430;outline-offset:1px;font-weight:700}
.filters input:focus-visible+label{outline:3px solid #0b57d0}
@media (max-width:640px){table.items tr.group-head{border:0;background:none;padding:8px 0 2px;margin:0}
table.items tr.group-head th{display:block;background:none;padding:0;font-size:1.02rem}}
@media print{body{background:#fff;padding:0}.scroll{overflow:visible;border:0}thead th{position:static}
 table.matrix th.site{position:static}}
"""
# a chosen filter chip hides the other groups (no script: the report's policy allows none)
CSS += "".join(f'.fx:has(.filters input[value="{g}"]:checked) tbody:not([data-group="{g}"]){{display:none}}\n'
               for g in (*STATUSES, "accepted"))


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


def _chips(tally: Counter, total: int) -> str:
    chips = "".join(f'<li class="chip {STATUS_CSS[s]}">{_e(STATUS_TH[s])} <b>{tally.get(s, 0)}</b></li>'
                    for s in STATUSES)
    return f'<ul class="chips" aria-label="สรุปผล">{chips}<li class="chip fail">รวม <b>{total}</b> ข้อ</li></ul>'


def _where(item: dict) -> str:
    evidence = [ev for ev in item.get("evidence") or [] if isinstance(ev, dict)]
    if not evidence:
        return '<span class="muted">-</span>'
    best, rest = evidence[0], evidence[1:]
    out = ""
    path = click_path(best)
    if path:
        out += f'<span class="path">{_e(path)}</span>'
    out += _link(best.get("url")) + _copy(best)
    if best.get("check"):
        out += f'<div class="muted">{_e(best["check"])}</div>'
    if rest:
        lis = "".join(f"<li>{_e(click_path(ev))}<br>{_link(ev.get('url'))}{_copy(ev)}</li>" for ev in rest)
        out += f"<details><summary>หลักฐานอื่นอีก {len(rest)} รายการ</summary><ul class=\"more\">{lis}</ul></details>"
    return out


def _copy(ev: dict) -> str:
    """The link to the evidence's archived copy on `oit serve` (crawler.archive.annotate), '' when none."""
    u = ev.get("archive")
    if not isinstance(u, str) or not (u.startswith("/") or http_url(u)):
        return ""
    return (f' <a class="copy" href="{_e(u)}" target="_blank" rel="noopener noreferrer">'
            f'{_e(ev.get("archive_label") or "สำเนา")}</a>')


def _item_row(item: dict, explained: frozenset[str] = frozenset(), menus: dict[str, tuple] | None = None) -> str:
    status = status_of(item)
    need, reason = todo(item)
    fix = '<span class="muted">-</span>'
    if need:
        fix = f"<div>{_e(need)}</div>" + (f'<div class="muted">{_e(reason)}</div>' if reason else "")
        usual = (menus or {}).get(str(item.get("id")))
        if status == "missing" and usual:
            fix += f'<div class="usual">เว็บไซต์ส่วนใหญ่วางไว้ใต้เมนู: {_e(", ".join(usual))}</div>'
        if item.get("nearest"):
            fix += _nearest(item["nearest"])
        if item.get("id") in explained:
            fix += f'<div><a href="#req-{_e(item.get("id"))}">ข้อนี้ต้องเผยแพร่อะไร</a></div>'
    data_item = f' data-item="{_e(item.get("id"))}"'
    year = year_found(item)
    year_html = _e(year) if year else '<span class="muted">-</span>'
    title = _e(item.get("title"))
    if item.get("confirmed") is False:
        title += f'<div class="muted unconfirmed">{_e(UNCONFIRMED_TH)}</div>'
    if item.get("accepted"):
        fix += _accepted(item["accepted"])
    return (f'<tr class="{STATUS_CSS[status]}-row" data-status="{status}"{data_item}>'
            f'<td class="no">{_e(item.get("id"))}</td><td class="title">{title}</td>'
            f'<td data-label="สถานะ">{_badge(status)}</td><td class="where" data-label="ตำแหน่งข้อมูล">{_where(item)}</td>'
            f'<td data-label="ปีที่พบ">{year_html}</td><td class="fix" data-label="สิ่งที่ต้องแก้ไข">{fix}</td></tr>')


def _requirements(requirements: dict[str, Explanation], wanted: set[str]) -> str:
    """What each item with a gap must show: the note each gap row links to."""
    parts = []
    for item_id, ex in requirements.items():
        if item_id not in wanted:
            continue
        must = "".join(f"<li>{_e(m)}</li>" for m in (ex.must_show or (ex.title,)))
        where = f"<p>มักอยู่ใต้เมนู: {_e(', '.join(ex.menus))}</p>" if ex.menus else ""
        parts.append(f'<div class="req" id="req-{_e(item_id)}"><h3>{_e(item_id)} {_e(ex.title)}</h3>'
                     f"<p>ต้องแสดง:</p><ul>{must}</ul><p>ช่วงเวลาของข้อมูล: {_e(ex.period)}</p>{where}"
                     f"<p>ชื่อลิงก์ที่ใช้กันบ่อย: {_e(', '.join(ex.labels))}</p></div>")
    if not parts:
        return ""
    return ('<section class="card reqs"><h2>ข้อที่ยังไม่ผ่าน: ต้องเผยแพร่อะไร</h2>'
            + "\n".join(parts) + "</section>")


def _site_section(doc: dict, name: str, anchor: str = "", site: dict | None = None, heading: str = "h1",
                  back: bool = False, explained: frozenset[str] = frozenset(),
                  menus: dict[str, tuple] | None = None) -> str:
    """Header card and the 43-row table of one site."""
    site = site or {}
    items = nacc_items(doc)
    tally = counts(doc)
    url = (doc.get("site") or {}).get("url") or site.get("url")
    checklist = doc.get("checklist") or {}
    place = " ".join(p for p in (site.get("type"), site.get("district") and f"อ.{site['district']}",
                                 site.get("province") and f"จ.{site['province']}") if p)
    meta = [f"<p class=\"meta\"><b>เว็บไซต์:</b> {_link(url)}</p>",
            f"<p class=\"meta\"><b>วันที่ตรวจ:</b> {_e(thai_date(doc.get('started_at')))}</p>"]
    if place:
        meta.insert(0, f"<p class=\"meta\"><b>ที่ตั้ง:</b> {_e(place)}</p>")
    if checklist.get("name") or checklist.get("year"):
        draft = " (ฉบับร่าง: ยังไม่ยืนยันจากคู่มือ ป.ป.ช.)" if checklist.get("status") == "draft" else ""
        version = f" ฉบับ {checklist['version']}" if checklist.get("version") else ""
        meta.append(f"<p class=\"meta\"><b>เกณฑ์:</b> {_e(checklist.get('name') or '')}{_e(version)} "
                    f"ปีงบประมาณ {_e(doc.get('assessment_year') or checklist.get('year') or '-')}{_e(draft)}</p>")
        meta.append(f'<p class="meta basis">{_e(basis(doc))}</p>')
    unconfirmed = sum(it.get("confirmed") is False for it in items)
    if unconfirmed:
        meta.append(f'<p class="meta"><b>ข้อที่ยังไม่ยืนยัน:</b> {unconfirmed} ข้อ '
                    f'({_e(UNCONFIRMED_TH)}: ชื่อและลำดับข้ออาจต่างจากคู่มือจริง)</p>')
    meta.append(f"<p class=\"meta\"><b>หน้าที่ตรวจ:</b> {_e(doc.get('pages_fetched', '-'))} หน้า"
                f" ({_e(STOP_TH.get(doc.get('stop_reason') or '', doc.get('stop_reason') or '-'))})</p>")
    findings = "".join(f"<li>{_e(finding_th(f))}</li>" for f in doc.get("findings") or [])
    if findings:
        meta.append(f'<div class="meta"><b>ข้อสังเกต:</b><ul>{findings}</ul></div>')
    id_attr = f' id="{_e(anchor)}"' if anchor else ""
    top = '<p class="top"><a href="#top">↑ กลับไปตารางสรุป</a></p>' if back else ""
    groups = fix_first(items)
    bodies = []
    for n, (group, members) in enumerate(groups, 1):
        numbered = f"{n}. " if group != "found" else ""
        rows = "\n".join(_item_row(it, explained, menus) for it in members)
        bodies.append(f'<tbody data-group="{_e(group)}"><tr class="group-head"><th colspan="6">{numbered}'
                      f"{_e(group_th(group))} ({len(members)} ข้อ)</th></tr>\n{rows}\n</tbody>")
    return (
        f'<section class="site"{id_attr}>\n<div class="card">\n<{heading}>ชื่อหน่วยงาน: {_e(name)}</{heading}>\n'
        + "\n".join(meta) + "\n" + _chips(tally, len(items)) + "\n</div>\n"
        + '<div class="fx">' + _filters(anchor or "site", groups) + "\n"
        + '<div class="scroll items-wrap"><table class="items">\n<thead><tr><th>ข้อ</th><th>ข้อมูล</th><th>สถานะ</th>'
        "<th>ตำแหน่งข้อมูลบนเว็บไซต์</th><th>ปีที่พบ</th><th>สิ่งที่ต้องแก้ไข</th></tr></thead>\n"
        + "\n".join(bodies) + f"</table></div></div>\n{top}</section>"
    )


def _filters(anchor: str, groups: list[tuple[str, list[dict]]]) -> str:
    """Status filter chips that work without script (radio buttons; the CSS hides the other groups)."""
    name = f"f-{anchor}"
    parts = [f'<input type="radio" name="{_e(name)}" id="{_e(name)}-all" value="all" checked>'
             f'<label for="{_e(name)}-all" class="chip fail">ทั้งหมด</label>']
    for group, members in groups:
        css = "acc" if group == "accepted" else STATUS_CSS.get(group, "fail")
        parts.append(f'<input type="radio" name="{_e(name)}" id="{_e(name)}-{_e(group)}" value="{_e(group)}">'
                     f'<label for="{_e(name)}-{_e(group)}" class="chip {css}">'
                     f"{_e(FILTER_TH.get(group) or STATUS_TH.get(group, group))} <b>{len(members)}</b></label>")
    return '<div class="filters" role="group" aria-label="แสดงเฉพาะ">' + "".join(parts) + "</div>"


def _nearest(candidates: list[dict]) -> str:
    """Why an item was not found: the links that came nearest, with their scores."""
    lis = "".join(f'<li>{_e(c.get("text"))} — คะแนน {float(c.get("score") or 0):.2f} '
                  f'({_e(NEAREST_TH.get(c.get("decision"), ""))})<br>{_link(c.get("url"))}</li>'
                  for c in candidates if isinstance(c, dict))
    return (f'<details class="why"><summary>ทำไมไม่พบ: ลิงก์ที่ใกล้เคียงที่สุด</summary><ol class="more">{lis}</ol>'
            '<div class="muted">คะแนนไม่ถึงเกณฑ์ (ควรตรวจ {REVIEW:.2f}, พบ {FOUND:.2f}): ตั้งชื่อลิงก์ให้ตรงกับชื่อข้อ'
            '</div></details>').format(REVIEW=REVIEW, FOUND=FOUND)


def _accepted(decision: dict) -> str:
    """The admin's decision on an item: accepted, with the note and when."""
    when = thai_date(decision.get("at")) if decision.get("at") else ""
    note = f": {_e(decision.get('note'))}" if decision.get("note") else ""
    return (f'<div class="accepted"><b>ผู้ดูแลยอมรับแล้ว</b>{note}'
            + (f' <span class="muted">({_e(when)})</span>' if when else "") + "</div>")


def _menus(requirements: dict[str, Explanation] | None) -> dict[str, tuple]:
    """Where sites usually put each item (the menus of `oit explain`)."""
    return {i: thai_menus(ex.menus) for i, ex in (requirements or {}).items() if ex.menus}


def _gaps(docs: list[dict]) -> set[str]:
    return {str(it.get("id")) for d in docs for it in nacc_items(d) if status_of(it) != "found"}


def html_site(doc: dict, name: str | None = None, requirements: dict[str, Explanation] | None = None) -> str:
    """One self-contained HTML page for one site: header, counts, the 43 items, what each gap must show."""
    shown = name or site_name(doc)
    explained = frozenset(requirements or {})
    return _page(f"ผลตรวจ OIT: {shown}", _site_section(doc, shown, explained=explained, menus=_menus(requirements))
                 + _requirements(requirements or {}, _gaps([doc])))


def _legend() -> str:
    parts = "".join(f'<span><span class="c {STATUS_CSS[s]}">{_e(STATUS_CODE[s])}</span>{_e(STATUS_TH[s])}</span>'
                    for s in STATUSES) + '<span><span class="c acc">*</span>ผู้ดูแลยอมรับแล้ว</span>'
    return f'<div class="legend" aria-label="ความหมายของสัญลักษณ์">{parts}</div>'


def _bar(tally: Counter, total: int) -> str:
    if not total:
        return ""
    parts = "".join(f'<i class="{STATUS_CSS[s]}" style="width:{100 * tally.get(s, 0) / total:.1f}%"></i>'
                    for s in STATUSES if tally.get(s))
    return f'<div class="bar" role="img" aria-label="สัดส่วนสถานะ">{parts}</div>'


def html_batch(docs: list[dict], batch: dict, requirements: dict[str, Explanation] | None = None) -> str:
    """One self-contained HTML page for a batch: sites x items matrix, counts per item and site, every site."""
    batch = batch or {}
    rows = pair(docs, batch)
    cols = columns([d for _, d in rows if d])
    ok = [(s, d) for s, d in rows if d is not None]
    failed = [(s, d) for s, d in rows if d is None]
    anchors = [f"site-{i + 1}" for i in range(len(rows))]
    title = batch.get("name") or "ผลตรวจเว็บไซต์หลายหน่วยงาน"

    # header
    all_counts: Counter = Counter()
    for _, d in ok:
        all_counts.update(counts(d))
    head = [f'<div class="card" id="top">\n<h1>{_e(title)}</h1>']
    if batch.get("id") is not None:
        head.append(f'<p class="meta"><b>รหัสชุดงาน:</b> {_e(batch.get("id"))}</p>')
    head.append(f'<p class="meta"><b>เริ่มตรวจ:</b> {_e(thai_date(batch.get("started_at")))}'
                f' &nbsp; <b>เสร็จ:</b> {_e(thai_date(batch.get("finished_at")))}</p>')
    if bases([d for _, d in ok]):
        head.append(f'<p class="meta basis">{_e(bases([d for _, d in ok]))}</p>')
    head.append(f'<p class="meta"><b>หน่วยงาน:</b> {len(rows)} แห่ง — ตรวจได้ {len(ok)} แห่ง'
                f", ตรวจไม่ได้ {len(failed)} แห่ง</p>")
    head.append(_chips(all_counts, sum(all_counts.values())).replace("ข้อ</li>", "ข้อ (ทุกหน่วยงาน)</li>"))
    head.append('<nav class="toc meta"><a href="#matrix">ตารางรวม</a><a href="#by-item">รายข้อ</a>'
                '<a href="#by-site">รายหน่วยงาน</a></nav>\n</div>')

    # matrix
    th = "".join(f'<th title="{_e(cid)} {_e(ctitle)}">{_e(cid)}</th>' for cid, ctitle in cols)
    th += "".join(f'<th title="{_e(STATUS_TH[s])}">{_e(STATUS_CODE[s])}</th>' for s in STATUSES)
    body = []
    for (site, doc), anchor in zip(rows, anchors, strict=True):
        name = site_name(doc, site)
        sub = " ".join(p for p in (site.get("district"), site.get("province")) if p)
        label = (f'<th class="site" scope="row"><a href="#{anchor}">{_e(name)}</a>'
                 + (f'<span class="small">{_e(sub)}</span>' if sub else "") + "</th>")
        if doc is None:
            err = site_error(site, doc)
            body.append(f'<tr class="failed">{label}<td class="err fail" colspan="{len(cols) + len(STATUSES)}">'
                        f"ตรวจไม่ได้: {_e(err)}</td></tr>")
            continue
        by_id = {it.get("id"): it for it in doc.get("items") or []}
        cells = []
        for cid, ctitle in cols:
            it = by_id.get(cid)
            if it is None:
                cells.append(f'<td class="cell fail" data-item="{_e(cid)}" title="{_e(cid)}: ไม่มีในเกณฑ์">-</td>')
                continue
            s = status_of(it)
            tip = f"{name} · {cid} {ctitle}: {STATUS_TH[s]}"
            need, _reason = todo(it)
            if need:
                tip += f" — {need}"
            accepted = ""
            if it.get("accepted"):  # the admin's decision: the status stays, marked
                tip += " — ผู้ดูแลยอมรับแล้ว"
                accepted = ' data-accepted="1"'
            cells.append(f'<td class="cell {STATUS_CSS[s]}" data-item="{_e(cid)}" data-status="{s}"{accepted} '
                         f'title="{_e(tip)}">{_e(STATUS_CODE[s])}{"*" if accepted else ""}</td>')
        c = counts(doc)
        cells += [f'<td class="n {STATUS_CSS[s]}">{c.get(s, 0)}</td>' for s in STATUSES]
        body.append(f"<tr>{label}{''.join(cells)}</tr>")
    matrix = (f'<h2 id="matrix">ตารางรวม: หน่วยงาน × ข้อ O1–O{len(cols)}</h2>\n{_legend()}\n'
              '<div class="scroll"><table class="matrix">\n'
              f'<thead><tr><th class="site">หน่วยงาน</th>{th}</tr></thead>\n<tbody>\n'
              + "\n".join(body) + "\n</tbody></table></div>")

    # counts per item, most missed first
    per_item = []
    for cid, ctitle in cols:
        c: Counter = Counter()
        for _, d in ok:
            it = next((i for i in d.get("items") or [] if i.get("id") == cid), None)
            if it is not None:
                c[status_of(it)] += 1
        per_item.append((cid, ctitle, c))
    per_item.sort(key=lambda t: (-(sum(t[2].values()) - t[2].get("found", 0) - t[2].get("not_due", 0)),
                                 -t[2].get("missing", 0),
                                 item_no(t[0])))
    item_rows = []
    for cid, ctitle, c in per_item:
        n = sum(c.values())
        not_ok = n - c.get("found", 0) - c.get("not_due", 0)  # an item not due yet is no gap
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
                                                    counts(rows[i][1]).get("found", 0) if rows[i][1] else 0, i))
    for i in order:
        site, doc = rows[i]
        name = site_name(doc, site)
        place = " ".join(p for p in (site.get("type"), site.get("district"), site.get("province")) if p)
        cell = f'<td><a href="#{anchors[i]}">{_e(name)}</a><span class="small">{_e(place)}</span></td>'
        if doc is None:
            site_rows.append(f'<tr class="failed">{cell}<td colspan="{len(STATUSES) + 2}" class="fail">'
                             f"ตรวจไม่ได้: {_e(site_error(site, doc))}</td></tr>")
            continue
        c = counts(doc)
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
        name = site_name(doc, site)
        if doc is None:
            sections.append(f'<section class="site" id="{anchor}"><div class="card">'
                            f"<h2>ชื่อหน่วยงาน: {_e(name)}</h2>"
                            f'<p class="meta"><b>เว็บไซต์:</b> {_link(site.get("url"))}</p>'
                            f'<p class="meta fail"><b>ตรวจไม่ได้:</b> {_e(site_error(site, doc))}</p></div>'
                            '<p class="top"><a href="#top">↑ กลับไปตารางสรุป</a></p></section>')
        else:
            sections.append(_site_section(doc, name, anchor, site, heading="h2", back=True,
                                          explained=frozenset(requirements or {}), menus=_menus(requirements)))
    notes = _requirements(requirements or {}, _gaps([d for _, d in ok]))
    return _page(str(title), "\n".join([*head, matrix, by_item, by_site, '<h2>ผลรายหน่วยงาน</h2>', *sections, notes]))
