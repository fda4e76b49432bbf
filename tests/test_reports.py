"""Reports: HTML for one site and a batch (checked in a real headless Chromium), CSV, XLSX, NACC paste.

The documents are real: fixture sites are served on loopback and scanned with the real CLI.
"""

from __future__ import annotations

import copy
import csv
import io
import os
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import pytest

from conftest import scan
from crawler import outputs
from crawler.models import STATUS_TH
from sitesrv import serve

SITES = ("menu_cms", "ita_table", "decoys_only")
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
ARTIFACTS = Path(__file__).parent / "artifacts"
EVIL = "<script>alert(1)</script>"
ATTR = '" onmouseover=alert(1) x="'


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    """oit-result/1 documents of three fixture sites, scanned for real."""
    out = []
    for name in SITES:
        srv = serve(name)
        try:
            proc, doc = scan(srv.url, tmp_path_factory.mktemp(name), "-q")
        finally:
            srv.close()
        assert proc.returncode in (0, 2), proc.stderr
        assert doc["schema"] == "oit-result/1" and len(doc["items"]) == 43
        out.append(doc)
    return out


@pytest.fixture(scope="module")
def batch(docs: list[dict]) -> dict:
    names = ["เทศบาลตำบลบ้านเมนู", "เทศบาลเมืองตารางไอทีเอ", "องค์การบริหารส่วนตำบลหลอกตา"]
    sites = [{"url": d["site"]["url"], "name": n, "province": "ขอนแก่น", "district": "เมืองขอนแก่น",
              "type": "เทศบาลตำบล", "status": "finished", "error": None} for d, n in zip(docs, names, strict=True)]
    sites.insert(1, {"url": "http://ghost.example.go.th/", "name": "เทศบาลตำบลเว็บล่ม", "province": "ขอนแก่น",
                     "district": "พล", "type": "เทศบาลตำบล", "status": "failed",
                     "error": "เข้าเว็บไซต์ไม่ได้: connection refused <b>502</b>"})
    return {"id": 12, "name": "สถ.จ.ขอนแก่น ตรวจ ITA 2565", "started_at": "2022-03-01T02:00:00+00:00",
            "finished_at": "2022-03-01T03:30:00+00:00", "sites": sites}


@pytest.fixture
def evil(docs: list[dict]) -> dict:
    """A real document with hostile scraped text everywhere."""
    doc = copy.deepcopy(docs[0])
    doc["site"]["url"] = "javascript:alert(1)//"
    doc["findings"] = [EVIL]
    for i, it in enumerate(doc["items"]):
        it["title"] = EVIL + ATTR
        it["reason"] = ATTR + EVIL
        it["missing_elements"] = ["<img src=x onerror=alert(1)>"]
        it["period"]["found"] = EVIL
        it["status"] = ("found", "review", "stale", "broken", "missing")[i % 5]
        it["evidence"] = [
            {"url": "javascript:alert(1)", "found_on": "", "text": EVIL, "click_path": ["หน้าแรก", EVIL, ATTR],
             "score": 1.0, "matched_terms": [], "check": ATTR},
            {"url": " JaVaScRiPt:alert(2)", "click_path": [], "check": ""},
            {"url": "java\tscript:alert(3)", "click_path": []},
            {"url": 'https://ok.example.go.th/a"onmouseover="alert(4)', "click_path": [ATTR]},
            {"url": "data:text/html,<script>alert(5)</script>", "click_path": []},
        ]
    doc["items"][0]["status"] = "review"
    doc["items"][0]["reason"] = "=HYPERLINK(\"http://evil\",\"x\")"
    doc["items"][1]["title"] = "+cmd|' /C calc'!A0"
    doc["items"][2]["title"] = "-2+3"
    doc["items"][3]["title"] = "@SUM(A1)"
    return doc


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser would parse them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def parse(page: str) -> list[tuple[str, dict[str, str | None]]]:
    p = Tags()
    p.feed(page)
    return p.tags


def assert_safe(page: str) -> None:
    tags = parse(page)
    assert not [t for t, _ in tags if t in ("script", "img", "iframe", "object", "embed", "link")]
    for tag, attrs in tags:
        assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
        href = attrs.get("href")
        if href is not None:
            assert href.startswith(("http://", "https://", "#")), href
        for value in attrs.values():
            assert "javascript:" not in (value or "").lower().replace("\t", "")
    assert "<script" not in page.lower()


def item_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="\w+-row" data-status="(\w+)"', page)


# ---------------------------------------------------------------- HTML, one site

def test_html_site_has_43_rows_and_thai_headers(docs: list[dict]) -> None:
    doc = docs[0]
    page = outputs.html_site(doc, name="เทศบาลตำบลบ้านเมนู")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="th">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    statuses = item_rows(page)
    assert sorted(statuses) == sorted(it["status"] for it in doc["items"])
    assert statuses == sorted(statuses, key=["broken", "stale", "review", "missing", "found"].index)  # fix first
    assert len(statuses) == 43
    for header in ("ข้อ", "ข้อมูล", "สถานะ", "ตำแหน่งข้อมูลบนเว็บไซต์", "ปีที่พบ", "สิ่งที่ต้องแก้ไข",
                   "ชื่อหน่วยงาน: เทศบาลตำบลบ้านเมนู", "วันที่ตรวจ"):
        assert header in page
    for status in ("พบ", "ควรตรวจ", "ไม่เป็นปัจจุบัน", "ลิงก์เสีย", "ไม่พบ"):
        assert f"{status} <b>" in page  # the counts in the header
    # self-contained: no external fonts, scripts, images or stylesheets
    assert not re.search(r"(<link|<script|<img|@import|url\(|src=)", page, re.IGNORECASE)
    # the click path as text and the evidence as a link
    o1 = next(it for it in doc["items"] if it["id"] == "O1")
    ev = o1["evidence"][0]
    assert " &gt; ".join(ev["click_path"]) in page
    assert f'href="{ev["url"]}"' in page
    assert_safe(page)


def test_html_site_stale_and_review_say_what_to_fix(docs: list[dict]) -> None:
    doc = docs[0]
    page = outputs.html_site(doc)
    stale = [it for it in doc["items"] if it["status"] == "stale"]
    review = [it for it in doc["items"] if it["status"] == "review" and it["missing_elements"]]
    assert stale and review
    assert f"ต้องเป็นข้อมูล {stale[0]['period']['expected']}" in page
    assert "ต้องเพิ่ม: " + review[0]["missing_elements"][0] in page


def test_html_escapes_a_hostile_document(evil: dict, batch: dict) -> None:
    page = outputs.html_site(evil, name=EVIL)
    assert_safe(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot; onmouseover=alert(1) x=&quot;" in page
    assert len(item_rows(page)) == 43
    hostile_batch = copy.deepcopy(batch)
    hostile_batch["name"] = EVIL
    hostile_batch["sites"][0]["name"] = ATTR + EVIL
    hostile_batch["sites"][0]["url"] = evil["site"]["url"]
    hostile_batch["sites"][1]["error"] = EVIL
    assert_safe(outputs.html_batch([evil], hostile_batch))


# ---------------------------------------------------------------- HTML, a batch, in Chromium

def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    exe = chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def test_html_batch_in_headless_chromium(docs: list[dict], batch: dict, tmp_path: Path) -> None:
    page = outputs.html_batch(docs, batch)
    report = tmp_path / "batch.html"
    report.write_text(page, encoding="utf-8")
    proc = run_chromium(tmp_path, "--dump-dom", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert "</table>" in dom and "ตารางรวม" in dom
    # the matrix as the browser built it: one cell per scanned site and item, the failed site on one row
    cells = re.findall(r'<td class="cell (\w+)" data-item="(O\d+)"', dom)
    assert len(cells) == len(docs) * 43
    assert [i for _, i in cells[:43]] == [f"O{n}" for n in range(1, 44)]
    assert "ตรวจไม่ได้: เข้าเว็บไซต์ไม่ได้: connection refused &lt;b&gt;502&lt;/b&gt;" in dom
    assert dom.count('<tr class="failed">') == 2  # the matrix and the per-site table
    # each site's own section, reachable from the matrix
    tags = parse(dom)
    ids = {a["id"] for _, a in tags if a.get("id")}
    anchors = [a["href"][1:] for t, a in tags if t == "a" and (a.get("href") or "").startswith("#")]
    assert {f"site-{n}" for n in range(1, 5)} <= set(anchors)
    assert set(anchors) <= ids
    assert len(item_rows(dom)) == len(docs) * 43
    for s in batch["sites"]:
        assert s["name"] in dom
    assert_safe(dom)

    shot = tmp_path / "batch.png"
    proc = run_chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,900", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if ARTIFACTS.is_dir():
        shutil.copy(shot, ARTIFACTS / "batch.png")
        shutil.copy(report, ARTIFACTS / "batch.html")
        shot = ARTIFACTS / "batch.png"
    print(f"batch report screenshot: {shot}")


def test_html_batch_counts_per_item_most_missed_first(docs: list[dict], batch: dict) -> None:
    page = outputs.html_batch(docs, batch)
    section = page.split('id="by-item"')[1].split('id="by-site"')[0]
    rows = re.findall(r'<td class="no"><b>(O\d+)</b></td>.*?<td class="n"><b>(\d+)</b>', section)
    assert len(rows) == 43
    not_ok = [int(n) for _, n in rows]
    assert not_ok == sorted(not_ok, reverse=True)
    o = {it["id"]: [d_it["status"] for d in docs for d_it in d["items"] if d_it["id"] == it["id"]]
         for it in docs[0]["items"]}
    first = rows[0][0]
    assert int(rows[0][1]) == sum(s != "found" for s in o[first])


# ---------------------------------------------------------------- CSV

def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    data = text.encode("utf-8")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_csv_items_round_trip_keeps_thai(docs: list[dict], batch: dict) -> None:
    rows = read_csv(outputs.to_csv(docs, batch, layout="items"))
    header, body = rows[0], rows[1:]
    assert header[:8] == ["หน่วยงาน", "จังหวัด", "อำเภอ", "เว็บไซต์", "วันที่ตรวจ", "ข้อ", "ข้อมูล", "สถานะ"]
    assert len(body) == len(docs) * 43
    assert {r[0] for r in body} == {"เทศบาลตำบลบ้านเมนู", "เทศบาลเมืองตารางไอทีเอ", "องค์การบริหารส่วนตำบลหลอกตา"}
    o1 = body[0]
    assert o1[5] == "O1" and o1[6] == docs[0]["items"][0]["title"] and o1[7] == "พบ"
    col = header.index("ตำแหน่งข้อมูลบนเว็บไซต์")
    assert o1[col] == " > ".join(docs[0]["items"][0]["evidence"][0]["click_path"])
    assert {r[7] for r in body} <= {"พบ", "ควรตรวจ", "ไม่เป็นปัจจุบัน", "ลิงก์เสีย", "ไม่พบ"}
    # without a batch the site's own name (its title, or --name) names it, else its host
    rows = read_csv(outputs.to_csv(docs[:1], layout="items"))
    assert len(rows) == 44 and rows[1][0] == (docs[0]["site"]["name"] or docs[0]["site"]["host"])


def test_csv_guards_formulas(evil: dict) -> None:
    rows = read_csv(outputs.to_csv([evil], layout="items"))
    body = rows[1:]
    assert body[1][6] == "'+cmd|' /C calc'!A0"
    assert body[2][6] == "'-2+3"
    assert body[3][6] == "'@SUM(A1)"
    assert body[0][-1] == "'=HYPERLINK(\"http://evil\",\"x\")"
    for row in read_csv(outputs.to_csv([evil], layout="items")) + read_csv(outputs.to_csv([evil], layout="matrix")):
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell


def test_csv_matrix_one_row_per_site(docs: list[dict], batch: dict) -> None:
    rows = read_csv(outputs.to_csv(docs, batch, layout="matrix"))
    header, body = rows[0], rows[1:]
    first = header.index("O1")
    assert header[first:first + 43] == [f"O{n}" for n in range(1, 44)]
    assert header[first + 43:first + 48] == ["พบ", "ควรตรวจ", "ไม่เป็นปัจจุบัน", "ลิงก์เสีย", "ไม่พบ"]
    assert len(body) == 4 and [r[0] for r in body] == [s["name"] for s in batch["sites"]]
    failed = body[1]
    assert failed[-1].startswith("ตรวจไม่ได้: เข้าเว็บไซต์ไม่ได้")
    for row, doc in zip([body[0], *body[2:]], docs, strict=True):
        assert row[first:first + 43] == [STATUS_TH[it["status"]] for it in doc["items"]]
        assert sum(int(n) for n in row[first + 43:first + 48]) == 43
        assert int(row[first + 43]) == doc["summary"].get("found", 0)


# ---------------------------------------------------------------- XLSX

def sheet_cells(z: zipfile.ZipFile, n: int) -> list[list[str]]:
    root = ElementTree.fromstring(z.read(f"xl/worksheets/sheet{n}.xml"))
    rows = []
    for row in root.iterfind("m:sheetData/m:row", NS):
        values: list[str] = []
        for c in row.iterfind("m:c", NS):
            col = 0
            for ch in re.match(r"[A-Z]+", c.get("r", "")).group():
                col = col * 26 + ord(ch) - 64
            values += [""] * (col - 1 - len(values))
            t = c.find("m:is/m:t", NS)
            v = c.find("m:v", NS)
            values.append(t.text if t is not None else (v.text if v is not None else ""))
        rows.append(values)
    return rows


def test_xlsx_structure(docs: list[dict], batch: dict, tmp_path: Path) -> None:
    data = outputs.to_xlsx(docs, batch)
    path = tmp_path / "oit.xlsx"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        assert {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                "xl/styles.xml", "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml",
                "xl/worksheets/sheet3.xml"} <= names
        for name in names:
            ElementTree.fromstring(z.read(name))  # well-formed
        wb = ElementTree.fromstring(z.read("xl/workbook.xml"))
        assert [s.get("name") for s in wb.iterfind("m:sheets/m:sheet", NS)] == ["สรุป", "รายการ", "รายข้อ"]
        matrix, items, per_item = sheet_cells(z, 1), sheet_cells(z, 2), sheet_cells(z, 3)
    assert len(matrix) == 1 + 4 and matrix[0][0] == "หน่วยงาน" and matrix[1][0] == "เทศบาลตำบลบ้านเมนู"
    first = matrix[0].index("O1")
    assert matrix[1][first:first + 43] == [STATUS_TH[it["status"]] for it in docs[0]["items"]]
    assert len(items) == 1 + 3 * 43
    assert sum(len(r) for r in items[1:]) >= 3 * 43 * 8  # site, URL, date, item, title, status... per row
    assert items[1][5] == "O1" and items[1][7] == "พบ"
    assert len(per_item) == 44 and per_item[0][:3] == ["ข้อ", "ข้อมูล", "พบ"]
    assert all(int(r[-1]) == 3 for r in per_item[1:])

    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["สรุป", "รายการ", "รายข้อ"]
    ws = wb["สรุป"]
    assert ws.max_row == 5 and ws.max_column == len(matrix[0])
    assert ws.cell(2, 1).value == "เทศบาลตำบลบ้านเมนู"
    assert ws.cell(3, len(matrix[0])).value.startswith("ตรวจไม่ได้")
    assert ws.freeze_panes == "B2"
    assert wb["รายการ"].max_row == 1 + 3 * 43
    assert wb["รายข้อ"].cell(2, 1).value == "O1"
    links = [c.value for row in wb["รายการ"].iter_rows(min_row=2) for c in row
             if isinstance(c.value, str) and c.value.startswith("=HYPERLINK(")]
    assert links and all('"http' in v for v in links)  # evidence URLs open with a click


def test_xlsx_keeps_hostile_text_as_text(evil: dict, tmp_path: Path) -> None:
    evil = copy.deepcopy(evil)
    evil["items"][6]["reason"] = "bad\x00\x07control\x1b chars"
    data = outputs.to_xlsx([evil])
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        items = sheet_cells(z, 2)
        assert b"<f>" not in z.read("xl/worksheets/sheet2.xml")  # no formula cells, ever
    assert items[1][-1] == "=HYPERLINK(\"http://evil\",\"x\")"  # an inline string, never run
    assert items[2][6] == "+cmd|' /C calc'!A0"
    assert items[7][-1] == "badcontrol chars"
    assert EVIL in items[1][6]


# ---------------------------------------------------------------- NACC paste

def test_nacc_paste_43_lines_in_order(docs: list[dict]) -> None:
    for doc in docs:
        text = outputs.nacc_paste(doc)
        lines = text.splitlines()
        assert len(lines) == 43
        assert [ln.split("\t")[0] for ln in lines] == [f"O{n}" for n in range(1, 44)]
        for line, it in zip(lines, doc["items"], strict=True):
            cols = line.split("\t")
            if not it["evidence"]:
                assert cols[1:] == ["-"]
            elif it["status"] == "found":  # only found evidence is there to paste
                urls = cols[1]
                assert len(cols) == 2 and urls.split(" ")[0] == it["evidence"][0]["url"]
                assert len(urls.split(" ")) == len({e["url"] for e in it["evidence"]})
            else:  # the others are marked, their candidates shown apart
                assert cols[1] == "-" and cols[2].startswith("[") and it["evidence"][0]["url"] in cols[2]
    assert any(ln.endswith("\t-") for ln in outputs.nacc_paste(docs[2]).splitlines())
    headed = outputs.nacc_paste(docs[0], heading=True).splitlines()
    assert headed[0].startswith("# ") and len(headed) == 44


def test_nacc_paste_only_web_links(evil: dict) -> None:
    lines = outputs.nacc_paste(evil).splitlines()
    assert len(lines) == 43
    for line in lines:
        assert "javascript" not in line.lower() and "data:" not in line
        urls = line.split("\t")[-1].split("] ")[-1]
        assert urls.startswith("https://ok.example.go.th/")
        assert " " not in urls and '"' not in urls


def test_html_site_reads_on_a_phone_and_each_gap_links_to_what_to_publish(docs: list[dict], tmp_path: Path) -> None:
    """390 px wide, no sideways scrolling; every gap row links to the note on what the item must show."""
    import asyncio

    from crawler.config import RenderOptions
    from crawler.explain import for_result
    from crawler.render import unavailable

    doc = docs[0]
    notes = for_result(doc)
    assert len(notes) == 43
    page = outputs.html_site(doc, requirements=notes)
    gaps = [it["id"] for it in doc["items"] if it["status"] != "found"]
    assert gaps and all(f'href="#req-{g}"' in page and f'id="req-{g}"' in page for g in gaps)
    assert 'id="req-' not in outputs.html_site(doc)  # without notes: no dangling links
    report = tmp_path / "site.html"
    report.write_text(page, encoding="utf-8")
    if unavailable(RenderOptions()) is not None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI")
        pytest.skip("chromium is not installed")

    async def measure() -> tuple[int, int]:
        from playwright.async_api import async_playwright
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=RenderOptions().chromium, args=["--no-sandbox"])
            try:
                view = await browser.new_page(viewport={"width": 390, "height": 844})
                await view.goto(report.as_uri())
                widths = await view.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
                artifacts = Path(__file__).parent / "artifacts"
                artifacts.mkdir(exist_ok=True)
                await view.screenshot(path=str(artifacts / "report-phone.png"))
                return widths[0], widths[1]
            finally:
                await browser.close()

    scroll, inner = asyncio.run(measure())
    assert inner == 390 and scroll <= inner, f"page is {scroll}px wide on a 390px screen"
