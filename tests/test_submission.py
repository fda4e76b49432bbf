"""From audit to submission: the ITA page written from a run (`oit ita-page`), and the evidence archive (WARC
copies of what the verdicts read, `oit archive`, `oit prune`, served by `oit serve` with no script running).

Real fixture sites on loopback, the real CLI, real SQLite files, warcio reading the WARC back, real Chromium.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import shutil
import sqlite3
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from test_web import ARTIFACTS, needs_chromium, web  # noqa: F401 (fixtures)
from test_web import browser as browser  # noqa: F401, PLC0414
from warcio.archiveiterator import ArchiveIterator

from conftest import FAST, run_oit, scan
from crawler.checklist import for_year, load, year_files
from crawler.outputs.itapage import build, group_of, rows, steps, to_html
from sitesrv import SITES, SiteServer

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "wbr", "source", "area", "base", "embed", "param",
        "track"}


class Strict(HTMLParser):
    """Tags must close in order (void elements excepted); collects tags and attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def well_formed(text: str) -> Strict:
    p = Strict()
    p.feed(text)
    p.close()
    assert not p.errors, p.errors[:5]
    assert not p.stack, f"unclosed: {p.stack}"
    return p


def ita_rows(text: str) -> dict[str, str]:
    """item id -> the text of its row in the ITA page HTML."""
    rows = re.findall(r'<tr data-item="([^"]+)" data-gap="(\d)">(.*?)</tr>', text, re.S)
    return {item: html.unescape(re.sub(r"<[^>]+>", " ", body)) for item, _, body in rows}


def gap_ids(text: str) -> set[str]:
    return {item for item, gap in re.findall(r'<tr data-item="([^"]+)" data-gap="(\d)">', text) if gap == "1"}


# ------------------------------------------------------------------------------------------------ steps


def test_steps_are_written_from_the_click_path_as_admins_write_them():
    assert steps(["หน้าแรก", "ข้อมูลหน่วยงาน", "โครงสร้างองค์กร"]) == [
        "หน้าหลักของเว็บไซต์ เลือกหัวข้อ ข้อมูลหน่วยงาน", "เลือก โครงสร้างองค์กร"]
    assert steps(["หน้าแรก", "ติดต่อเรา"]) == ["หน้าหลักของเว็บไซต์ เลือก ติดต่อเรา"]
    assert steps(["หน้าแรก", "ITA", "O23  สขร.1"], "http://x.go.th/f/skr.PDF") == [
        "หน้าหลักของเว็บไซต์ เลือกหัวข้อ ITA", "เลือก O23 สขร.1 (ไฟล์ PDF)"]
    assert steps(["หน้าแรก", "แผนงาน", "ดาวน์โหลดแผน (ไฟล์ PDF)"], "http://x.go.th/plan.pdf")[-1] == \
        "เลือก ดาวน์โหลดแผน (ไฟล์ PDF)"  # said once
    assert steps([]) == ["เปิดหน้าหลักของเว็บไซต์"]


# ------------------------------------------------------------------------------------------- the ITA page


@pytest.mark.parametrize("year", sorted(year_files()))
def test_every_shipped_year_gives_its_items_in_its_groups(year):
    """Whatever the year's list (43, 26, 28 items ...): every item once, in the checklist's order and groups."""
    checklist = load(for_year(year))
    items = []
    for n, it in enumerate(checklist.items):
        found = n % 2 == 0
        items.append({"id": it.id, "title": it.title, "status": "found" if found else "missing", "reason": "",
                      "evidence": [{"url": f"https://www.example.go.th/{it.id}.html", "found_on": "https://www.example.go.th/",
                                    "click_path": ["หน้าแรก", "ITA", f"{it.id} {it.title}"]}] if found else []})
    doc = {"run_id": 1, "site": {"url": "https://www.example.go.th/"}, "started_at": "2027-03-12T03:00:00+00:00",
           "checklist": {"name": checklist.name, "year": year, "file": str(for_year(year)), "status": checklist.status},
           "items": items[::-1]}  # any order in: the checklist's order out
    page = build(doc)
    assert [e.id for e in page.entries] == [i.id for i in checklist.items]
    assert [g for g, _ in page.groups] == list(dict.fromkeys(group_of(i) for i in checklist.items))
    assert page.gaps == len(checklist.items) // 2
    text = to_html(page)
    well_formed(text)
    assert f"ยังขาดลิงก์ {page.gaps} ข้อ จาก {len(checklist.items)} ข้อ" in re.sub(r"<[^>]+>", "", text)
    assert len(rows(page)) == len(checklist.items) + 1


def ita_site(year: int, root: Path, skip: set[str]) -> None:
    """A municipality's site with an ITA page for `year`: a menu per group, a table of the items (numbered, with
    the year's titles) linking to a page each, dated in the year; the `skip` items are not published."""
    c = load(for_year(year))
    (root / "ita").mkdir(parents=True)
    groups: dict[str, list] = {}
    for it in c.items:
        groups.setdefault(group_of(it).split(" · ")[-1], []).append(it)
    doc = '<!DOCTYPE html><html lang="th"><head><meta charset="utf-8"><title>{}</title></head><body>{}</body></html>'
    (root / "index.html").write_text(doc.format(
        "เทศบาลตำบลทดลอง", '<nav><a href="/">หน้าแรก</a> <a href="/ita/index.html">ITA ' + str(year) + "</a></nav>"
        "<h1>เทศบาลตำบลทดลอง</h1><p>ยินดีต้อนรับสู่เว็บไซต์เทศบาลตำบลทดลอง อำเภอเมือง จังหวัดขอนแก่น</p>"),
        encoding="utf-8")
    menu = "".join(f'<li><a href="/ita/g{n}.html">{g}</a></li>' for n, g in enumerate(groups))
    (root / "ita" / "index.html").write_text(doc.format(
        f"การเปิดเผยข้อมูลสาธารณะ (OIT) ปี {year}", f"<h1>การประเมินคุณธรรมและความโปร่งใส ITA ปี {year}</h1>"
        f"<ul>{menu}</ul>"), encoding="utf-8")
    for n, (g, items) in enumerate(groups.items()):
        rows = []
        for it in items:
            if it.id in skip:
                continue
            rows.append(f'<tr><td>{it.id}</td><td><a href="/ita/{it.id.lower()}.html">{it.id} {it.title}</a></td></tr>')
            (root / "ita" / f"{it.id.lower()}.html").write_text(doc.format(
                it.title, f"<h1>{it.id} {it.title}</h1><p>{it.title} ประจำปีงบประมาณ พ.ศ. {year} ของเทศบาลตำบลทดลอง: "
                f"{' '.join(it.must_show) or it.title}</p><p>ข้อมูล ณ วันที่ 15 มีนาคม {year}</p>"), encoding="utf-8")
        (root / "ita" / f"g{n}.html").write_text(doc.format(
            f"ITA {year} {g}", f"<h1>OIT ปี {year}: {g}</h1><table>{''.join(rows)}</table>"), encoding="utf-8")


@pytest.mark.parametrize("year, items", [(2565, 43), (2569, 26)])
def test_ita_page_of_a_fixture_site(year, items, site_server, tmp_path):
    if year == 2565:  # the fixture of a real LAO CMS ITA table
        srv = site_server("ita_table")
    else:  # a site built from the 2569 checklist (26 items, no sub-indicator names), O5 and O12 unpublished
        ita_site(year, tmp_path / "site", {"O5", "O12"})
        srv = SiteServer(tmp_path / "site")
    proc, doc = scan(srv.url, tmp_path, "--year", str(year), "-q")
    if year != 2565:
        srv.close()
    assert proc.returncode in (0, 2), proc.stderr
    out = tmp_path / "ita.html"
    proc = run_oit("ita-page", "--latest", "--db", str(tmp_path / "oit.db"), "-o", str(out))
    statuses = {it["id"]: it["status"] for it in doc["items"]}
    gaps = {i for i, s in statuses.items() if s != "found"}
    assert proc.returncode == (2 if gaps else 0), proc.stderr
    text = out.read_text(encoding="utf-8")
    parsed = well_formed(text)
    tags = {t for t, _ in parsed.tags}
    assert "script" not in tags and "link" not in tags and "style" not in tags and "iframe" not in tags
    assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")], "no event handler attributes"
    assert 'name="viewport"' in text and f"ประจำปีงบประมาณ พ.ศ. {year}" in text

    rows = ita_rows(text)
    checklist = load(for_year(year))
    assert list(rows) == [i.id for i in checklist.items]  # every item of the year, in its order
    assert len(rows) == items
    assert gap_ids(text) == gaps
    assert f"ยังขาดลิงก์ {len(gaps)} ข้อ จาก {items} ข้อ" in re.sub(r"<[^>]+>", "", text)
    # groups: the checklist's indicator and sub-indicator headings, each once, in order
    groups = list(dict.fromkeys(group_of(i) for i in checklist.items))
    assert len(groups) >= 2 and not [g for g in groups if "ไม่พบชื่อกลุ่ม" in g]
    headings = re.findall(r"<h3[^>]*>(.*?)</h3>", text)
    assert headings == [g for g in groups if g]

    by_id = {it["id"]: it for it in doc["items"]}
    for item_id, row in rows.items():
        it = by_id[item_id]
        hrefs = re.findall(r'<tr data-item="' + item_id + r'" [^>]*>.*?</tr>', text, re.S)[0]
        if it["status"] == "found":
            ev = it["evidence"][0]
            assert f'href="{ev["url"]}"' in hrefs
            want = steps(ev["click_path"], ev["url"])
            assert "1. " + want[0] in row.replace("\n", " ")
            assert all(part in row for part in want)
        else:  # a gap: no link to a candidate, what to publish, the nearest candidate as text only
            assert "ยังไม่มีลิงก์" in row and "ต้องเผยแพร่" in row
            for ev in it["evidence"]:
                assert f'href="{ev["url"]}"' not in hrefs
            if it["evidence"]:
                assert "ลิงก์ที่ใกล้เคียงที่สุด" in row
    found = [i for i, s in statuses.items() if s == "found"]
    assert len(found) >= 15  # the fixture's evidence is recognised in both years
    if year == 2569:
        assert {"O5", "O12"} <= gaps
        o1 = rows["O1"]
        assert "1. หน้าหลักของเว็บไซต์ เลือกหัวข้อ ITA 2569 2. เลือก การเปิดเผยข้อมูล 3. เลือก O1 " in o1
    # the archived copies of the found evidence are linked, dated
    assert "สำเนา ณ วันที่ตรวจ" in text and "/runs/1/archive?url=" in text


def test_ita_page_csv_round_trips_through_excel_encodings_and_xlsx(site_server, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    srv = site_server("ita_table")
    proc, doc = scan(srv.url, tmp_path, "-q", "--no-archive")
    db = str(tmp_path / "oit.db")
    got = {}
    for enc in ("utf-8-sig", "cp874"):
        out = tmp_path / f"ita-{enc}.csv"
        proc = run_oit("ita-page", "--run", "1", "--db", db, "--format", "csv", "--encoding", enc, "-o", str(out))
        assert proc.returncode == 2, proc.stderr
        raw = out.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") == (enc == "utf-8-sig")
        got[enc] = list(csv.reader(io.StringIO(raw.decode(enc), newline="")))
    assert got["utf-8-sig"] == got["cp874"]  # every Thai character survives Thai Windows' code page
    rows = got["utf-8-sig"]
    assert rows[0] == ["ข้อ", "ข้อมูล", "URL", "วิธีเข้าถึงจากหน้าหลัก", "หมายเหตุ"]
    assert [r[0] for r in rows[1:]] == [it["id"] for it in doc["items"]]  # the ITAS form's order, one row each
    by_id = {it["id"]: it for it in doc["items"]}
    for r in rows[1:]:
        it = by_id[r[0]]
        if it["status"] == "found":
            assert r[2].split("\n")[0] == it["evidence"][0]["url"] and r[3].startswith("1. หน้าหลักของเว็บไซต์")
        else:
            assert r[2] == "" and r[4].startswith("ยังไม่มีลิงก์")
    out = tmp_path / "ita.xlsx"
    assert run_oit("ita-page", "--latest", "--db", db, "--format", "xlsx", "-o", str(out)).returncode == 2
    sheet = openpyxl.load_workbook(out).active
    cells = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert [r[0] for r in cells] == [r[0] for r in rows]
    assert [r[3] for r in cells] == [r[3] for r in rows]


# ------------------------------------------------------------------------------------------- the archive


def warc_responses(data: bytes) -> dict[str, bytes]:
    out = {}
    for record in ArchiveIterator(io.BytesIO(data)):
        if record.rec_type == "response":
            out[record.rec_headers.get_header("WARC-Target-URI")] = record.content_stream().read()
    return out


def archive_size(tmp_path: Path) -> int:
    return sum(p.stat().st_size for p in (tmp_path / "archive").rglob("*.warc.gz"))


def read_urls(doc: dict, srv_url: str) -> set[str]:
    """The evidence URLs and the pages listing them that the scan itself fetched (on the site)."""
    return {u for it in doc["items"] for ev in it["evidence"] for u in (ev["url"], ev["found_on"])
            if u.startswith(srv_url)}


def test_a_scan_archives_its_evidence_and_a_second_scan_adds_almost_nothing(site_server, tmp_path):
    srv = site_server("ita_table")
    proc, doc = scan(srv.url, tmp_path, "-q")
    assert proc.returncode == 2, proc.stderr
    files = list((tmp_path / "archive").rglob("*.warc.gz"))
    assert len(files) == 1 and files[0].name == "run-1.warc.gz"
    first = archive_size(tmp_path)
    stored = warc_responses(files[0].read_bytes())
    wanted = read_urls(doc, srv.url)
    assert wanted and wanted <= set(stored)  # every evidence URL (and its listing page) has its copy
    assert any(u.endswith(".pdf") for u in stored)  # the documents too
    assert stored[srv.url + "oit/o1.html"] == (SITES / "ita_table/oit/o1.html").read_bytes()

    exported = tmp_path / "run1.warc.gz"
    proc = run_oit("archive", "--run", "1", "--db", str(tmp_path / "oit.db"), "-o", str(exported))
    assert proc.returncode == 0, proc.stderr
    assert warc_responses(exported.read_bytes()) == stored
    report = tmp_path / "report.html"  # the HTML report links each piece of evidence to its copy on `oit serve`
    assert run_oit("report", "--latest", "--db", str(tmp_path / "oit.db"), "-o", str(report)).returncode == 0
    copy = f"http://127.0.0.1:8700/runs/1/archive?url={quote(srv.url + 'oit/o1.html', safe='')}"
    assert f'href="{copy}"' in report.read_text(encoding="utf-8")

    proc, doc2 = scan(srv.url, tmp_path, "-q")  # the unchanged site, the next night
    second = archive_size(tmp_path) - first
    conn = sqlite3.connect(tmp_path / "oit.db")
    rows = dict(conn.execute("select run_id, new_bytes from archive_runs").fetchall())
    sets = conn.execute("select count(*) from archive_sets").fetchone()[0]
    added_rows = len(json.dumps(conn.execute("select * from archive_runs where run_id = 2").fetchone()))
    print(f"archive: first scan {first:,} bytes, second scan {second:,} bytes on disk + {added_rows} bytes of rows")
    assert second + added_rows < 0.05 * first
    assert rows[2] == 0 and sets == 1
    exported2 = tmp_path / "run2.warc.gz"
    assert run_oit("archive", "--latest", "--db", str(tmp_path / "oit.db"), "-o", str(exported2)).returncode == 0
    assert set(warc_responses(exported2.read_bytes())) >= read_urls(doc2, srv.url)


def test_no_archive_and_prune_by_the_rules_of_runs(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITES / "ita_table", site)
    srv = SiteServer(site)
    try:
        (tmp_path / "off").mkdir()
        proc, _ = scan(srv.url, tmp_path / "off", "-q", "--no-archive")
        assert proc.returncode == 2 and not (tmp_path / "off" / "archive").exists()
        assert not sqlite3.connect(tmp_path / "off" / "oit.db").execute(
            "select name from sqlite_master where name = 'archive_runs'").fetchall()
        proc = run_oit("archive", "--run", "1", "--db", str(tmp_path / "off" / "oit.db"), "-o", str(tmp_path / "x"))
        assert proc.returncode == 1 and "no archived evidence" in proc.stderr and not (tmp_path / "x").exists()

        scan(srv.url, tmp_path, "-q")
        page = site / "oit" / "o1.html"
        page.write_text(page.read_text(encoding="utf-8").replace("1 ต.ค. 2564", "15 ต.ค. 2564"), encoding="utf-8")
        scan(srv.url, tmp_path, "-q")  # one page changed: its new copy only
        run2 = next((tmp_path / "archive").glob("*/run-2.warc.gz"))
        assert set(warc_responses(run2.read_bytes())) == {srv.url + "oit/o1.html"}
        run1 = run2.with_name("run-1.warc.gz")
        before = run1.stat().st_size
        proc = run_oit("prune", "--db", str(tmp_path / "oit.db"), "--keep-runs", "1")
        assert proc.returncode == 0, proc.stderr
        assert "สำเนาหลักฐาน: ลบ 1 รายการ" in proc.stdout  # run 1's old o1.html, read by no kept run
        conn = sqlite3.connect(tmp_path / "oit.db")
        assert [r[0] for r in conn.execute("select run_id from archive_runs")] == [2]
        assert run1.stat().st_size < before  # rewritten without it
        out = tmp_path / "kept.warc.gz"
        assert run_oit("archive", "--run", "2", "--db", str(tmp_path / "oit.db"), "-o", str(out)).returncode == 0
        kept = warc_responses(out.read_bytes())
        assert b"15 \xe0\xb8\x95.\xe0\xb8\x84. 2564" in kept[srv.url + "oit/o1.html"]
        assert len(kept) == len(conn.execute("select * from archive_records").fetchall())
    finally:
        srv.close()


def test_batch_archives_each_site_and_no_archive_turns_it_off(site_server, tmp_path):
    servers = [site_server("ita_table"), site_server("menu_cms")]
    sites = tmp_path / "sites.csv"
    sites.write_text("url,name\n" + "".join(f"{s.url},site {i}\n" for i, s in enumerate(servers)), encoding="utf-8")
    db = tmp_path / "oit.db"
    proc = run_oit("batch", str(sites), "--db", str(db), "--allow-private", *FAST, "-q")
    assert proc.returncode in (0, 2), proc.stderr
    conn = sqlite3.connect(db)
    runs = [r[0] for r in conn.execute("select id from runs order by id")]
    assert [r[0] for r in conn.execute("select run_id from archive_runs order by run_id")] == runs
    assert len(list((tmp_path / "archive").glob("*/run-*.warc.gz"))) == 2
    proc = run_oit("batch", str(sites), "--db", str(db), "--allow-private", *FAST, "-q", "--fresh", "--no-archive")
    assert proc.returncode in (0, 2), proc.stderr
    assert conn.execute("select count(*) from runs").fetchone()[0] == 4
    assert conn.execute("select count(*) from archive_runs").fetchone()[0] == 2


# ------------------------------------------------------------------------------------- served, no script


SCRIPTED = ("<script>document.title='SCRIPT RAN';document.body.insertAdjacentHTML('beforeend',"
            "'<p id=ran>SCRIPT RAN</p>');new Image().src='/ran.gif?inline'</script>"
            '<img src="/nothing.gif" onerror="new Image().src=\'/ran.gif?onerror\'">')


@needs_chromium
def test_archived_copy_is_served_read_only_and_its_script_never_runs(web, tmp_path, browser):  # noqa: F811
    site = tmp_path / "site"
    shutil.copytree(SITES / "ita_table", site)
    o1 = site / "oit" / "o1.html"
    o1.write_text(o1.read_text(encoding="utf-8").replace("</body>", SCRIPTED + "</body>"), encoding="utf-8")
    srv = SiteServer(site)
    try:
        db = tmp_path / "oit.db"
        proc = run_oit("scan", srv.url, "--db", str(db), *FAST, "-q")
        assert proc.returncode == 2, proc.stderr
        w = web(db=db)
        evidence = srv.url + "oit/o1.html"
        copy = f"/runs/1/archive?url={quote(evidence, safe='')}"
        with httpx.Client(base_url=w.url) as c:
            r = c.get(copy)
            assert r.status_code == 200 and "SCRIPT RAN" in r.text  # the bytes as they stood, script included
            csp = r.headers["content-security-policy"]
            assert csp.startswith("sandbox;") and "script-src 'none'" in csp and "allow-scripts" not in csp
            run = c.get("/runs/1").text
            assert f'href="{copy.replace("&", "&amp;")}"' in run and "สำเนา ณ วันที่ตรวจ" in run
            assert 'href="/runs/1/ita-page"' in run
            ita = c.get("/runs/1/ita-page")
            assert ita.status_code == 200 and "<script" not in ita.text and copy.replace("&", "&amp;") in ita.text
            assert c.get("/runs/1/ita-page?format=csv").content.startswith(b"\xef\xbb\xbf\xe0\xb8\x82\xe0\xb9\x89")
            assert "ข้อ".encode("cp874") in c.get("/runs/1/ita-page?format=csv&encoding=cp874").content[:10]
            assert c.get("/runs/1/ita-page?format=xlsx").content.startswith(b"PK")
            pdf = next(u for u in re.findall(r'href="(/runs/1/archive\?url=[^"]+)"', run) if "pdf" in u)
            r = c.get(pdf.replace("&amp;", "&"))
            assert r.content.startswith(b"%PDF") and r.headers["content-disposition"].startswith("attachment")
            assert warc_responses(c.get("/runs/1/archive.warc.gz").content) == \
                warc_responses(run_oit_export(db, tmp_path))
            assert c.get("/runs/1/archive?url=" + quote("http://elsewhere.example/", safe="")).status_code == 404
        srv.stats.paths.clear()

        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="th-TH")
        page = context.new_page()
        asked: list[str] = []
        page.on("request", lambda req: asked.append(req.url))
        page.goto(w.url + "/runs/1")
        with context.expect_page() as opened:
            page.locator(f'a.copy[href="{copy}"]:visible').first.click()
        archived = opened.value
        archived.on("request", lambda req: asked.append(req.url))
        archived.wait_for_load_state("load")
        archived.wait_for_timeout(500)
        shown = archived.content()
        assert "โครงสร้างส่วนราชการ" in shown  # the archived page is shown
        assert 'id="ran"' not in shown and archived.title() != "SCRIPT RAN"  # its script did not run
        assert not [u for u in asked if "ran.gif" in u]
        assert not srv.stats.paths  # and nothing reached the live site
        if ARTIFACTS.is_dir():
            archived.screenshot(path=str(ARTIFACTS / "archived-copy.png"))
        page.goto(w.url + "/runs/1/ita-page")  # the ITA page reads on a phone: no sideways scrolling
        assert page.locator("tr[data-item]").count() == 43
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        context.close()

        tokened = web(db=db, token="t0ken")
        with httpx.Client(base_url=tokened.url) as c:
            assert c.get(copy).status_code == 403 and c.get("/runs/1/ita-page").status_code == 403
            assert c.get(copy, headers={"X-OIT-Token": "t0ken"}).status_code == 200
    finally:
        srv.close()


def run_oit_export(db: Path, tmp_path: Path) -> bytes:
    out = tmp_path / "export.warc.gz"
    assert run_oit("archive", "--run", "1", "--db", str(db), "-o", str(out)).returncode == 0
    return out.read_bytes()


def test_an_item_the_admin_accepted_gets_its_link_on_the_ita_page(site_server, tmp_path):
    srv = site_server("home_blocks")
    proc, doc = scan(srv.url, tmp_path, "--year", "2565")
    assert proc.returncode == 2, proc.stderr
    db = str(tmp_path / "oit.db")
    assert {it["id"]: it["status"] for it in doc["items"]}["O5"] != "found"
    accepted = run_oit("accept", "O5", "--url", srv.url + "contact.html", "--note", "ที่อยู่และโทรศัพท์ครบ",
                       "--db", db, "--site", srv.url)
    assert accepted.returncode == 0, accepted.stderr
    out = tmp_path / "ita.csv"
    assert run_oit("ita-page", "--latest", "--db", db, "--format", "csv", "-o", str(out)).returncode == 2
    rows_ = {r[0]: r for r in csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")))}
    o5 = next(r for k, r in rows_.items() if k.startswith("O5"))
    assert any("contact.html" in cell for cell in o5)
