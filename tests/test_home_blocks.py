"""Evidence where municipalities really put it, and no false claims (issue 21): pure units first, then the real CLI
on two fixture sites of this project's own (tests/sites/home_blocks: found; tests/sites/wrong_content: not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_oit, scan
from crawler.checklist import load
from crawler.content import doubt, names_other, section_hits, sign_hits
from crawler.crawl import step, steps
from crawler.elements import person
from crawler.match import CONTEXTUAL, FOUND, REVIEW, score_link
from crawler.parse import parse

CHECKLIST = load()
ITEMS = {i.id: i for i in CHECKLIST.items}

BARE_HEADINGS = """<html><body><div class="container">
<div class="row"><div class="col-md-12"><hr><h2><strong>ข่าวประชาสัมพันธ์</strong></h2><hr></div></div>
<div class="row"><div class="card"><div class="lib-header">ประกาศรับสมัครเด็กเข้าเรียนศูนย์พัฒนาเด็กเล็ก</div>
 <div class="lib-desc">ด้วยเทศบาลจะรับสมัครเด็กเล็กอายุ 2-3 ปี เข้าเรียน ตั้งแต่วันที่ 1 มีนาคม 2565 ...อ่านต่อ</div></div></div>
<div class="row"><div class="col-md-12"><hr><h2><strong>จัดซื้อจัดจ้าง</strong></h2><hr></div></div>
<div class="row"><div class="card"><div class="lib-header">ประกวดราคาจ้างก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ 4</div>
 <div class="lib-desc">ด้วยวิธีประกวดราคาอิเล็กทรอนิกส์ (e-bidding) ... Download</div></div></div>
</div></body></html>"""

TABS = """<html><body><nav class="navbar"><button data-toggle="collapse" data-target="#nav">Toggle navigation</button>
<div class="collapse navbar-collapse" id="nav"><a href="/a.html">หน้าแรก</a><a href="/b.html">ติดต่อเรา</a></div></nav>
<ul class="nav nav-tabs"><li><a href="#duty" data-toggle="tab">อำนาจหน้าที่</a></li></ul>
<div class="tab-content"><div class="tab-pane" id="duty">เทศบาลมีอำนาจหน้าที่ตามพระราชบัญญัติเทศบาล พ.ศ. 2496 มาตรา 50
ดังนี้ รักษาความสงบเรียบร้อยของประชาชน ให้มีและบำรุงทางบกและทางน้ำ</div></div>
<a href="#" data-bs-target="#execs">คณะผู้บริหาร</a><div class="modal" id="execs"><p>นายสมหมาย ใจงาม นายกเทศมนตรี
โทร 081-234-5678</p><p>นางสาวกานดา ศรีสุข รองนายกเทศมนตรี โทร 081-234-5679</p></div>
<a href="#slides" data-slide="next">ถัดไปเรื่อยๆ</a>
<div id="slides">ภาพสไลด์ของเทศบาล ภาพสไลด์ของเทศบาล ภาพสไลด์ของเทศบาล ภาพสไลด์</div>
</body></html>"""


def test_a_bare_heading_takes_the_rows_after_it_as_its_content():
    page = parse("http://x.go.th/", BARE_HEADINGS)
    secs = {s.heading: s for s in page.sections}
    assert "ประกาศรับสมัครเด็ก" in secs["ข่าวประชาสัมพันธ์"].text
    assert "ประกวดราคา" in secs["จัดซื้อจัดจ้าง"].text and "ประกาศรับสมัคร" not in secs["จัดซื้อจัดจ้าง"].text
    hits = {h.item: h for _, _, hs in section_hits(CHECKLIST, page, set(), True) for h in hs}
    assert hits["O7"].score >= FOUND
    # "จัดซื้อจัดจ้าง" alone is a weak word; the notices under it (ประกวดราคา) confirm it: review, not found
    assert REVIEW <= hits["O22"].score < FOUND


def test_tabs_and_modals_are_sections_of_the_page_the_navigation_bar_and_slides_are_not():
    page = parse("http://x.go.th/", TABS)
    secs = {s.anchor: s for s in page.sections}
    assert secs["duty"].heading == "อำนาจหน้าที่" and "มาตรา 50" in secs["duty"].text
    assert secs["execs"].heading == "คณะผู้บริหาร" and "นายสมหมาย" in secs["execs"].text
    assert "nav" not in secs and "slides" not in secs
    found = {h.item: url for url, _, hs in section_hits(CHECKLIST, page, set(), True) for h in hs}
    assert found["O3"] == "http://x.go.th/#duty" and found["O2"] == "http://x.go.th/#execs"


MEGA = """<html><body><div id="menu"><ul>
<li class="dropdown"><span>อำนาจหน้าที่</span><ul><li><a href="/u/palad.html">สำนักปลัด</a></li>
 <li><a href="/u/decoy.html">วิสัยทัศน์</a></li></ul></li></ul></div>
<div class="content"><p class="count">จำนวนทั้งหมด 2</p><h3>เทศบัญญัติงบประมาณรายจ่ายประจำปี</h3>
<ul><li><a href="/d/b65.pdf">2565</a></li><li><a href="/news.php?page=2">2</a></li></ul></div></body></html>"""


def test_a_year_or_a_unit_takes_the_item_its_heading_or_menu_group_names():
    page = parse("http://x.go.th/", MEGA)
    links = {lk.url.rsplit("/", 1)[-1]: lk for lk in page.links}
    unit = score_link(CHECKLIST, links["palad.html"], "", False)
    assert [(h.item, h.score) for h in unit] == [("O3", CONTEXTUAL)]
    assert not any(h.item == "O3" for h in score_link(CHECKLIST, links["decoy.html"], "", False))  # a decoy of O3
    year = score_link(CHECKLIST, links["b65.pdf"], "", False)
    assert year and year[0].item == "O18" and year[0].score >= FOUND
    assert not any(h.item == "O18" for h in score_link(CHECKLIST, links["news.php?page=2"], "", False))
    assert links["palad.html"].menu[:1] == ["อำนาจหน้าที่"]
    assert all("สำนักปลัด" not in m for lk in page.links for m in lk.menu if lk.url.endswith("b65.pdf"))


def test_click_path_steps_are_navigation_only():
    assert step("จำนวนทั้งหมด 20") is None and step("ทั้งหมด 33 รายการ") is None
    assert step("6 ต.ค. 55") is None and step("10 มิถุนายน 2558") is None and step("2561") is None
    assert step("http://www.example.go.th/contact_form.php") is None
    assert step("Toggle navigation เทศบาลตำบลธาตุ", "เทศบาลตำบลธาตุ") is None
    assert step("ข่าวประชาสัมพันธ์") == "ข่าวประชาสัมพันธ์"
    card, cut = "โครงการอบรมให้ความรู้เรื่อง ขยะเป็นปุ๋ย", "โครงการอบรมให้ความรู้เรื่อง"
    assert steps(["หน้าแรก", "ข่าว", "ข่าว", card, cut]) == ["หน้าแรก", "ข่าว", card]
    assert steps(["หน้าแรก", "รายงาน", "รายงานผลการดำเนินการป้องกันการทุจริต"]) == \
        ["หน้าแรก", "รายงาน", "รายงานผลการดำเนินการป้องกันการทุจริต"]


def test_a_person_is_a_title_a_name_and_a_family_name_not_the_word_mayor():
    assert person("นายสมเกียรติ วงษ์ลา นายกองค์การบริหารส่วนตำบลธาตุ") == "นายสมเกียรติ วงษ์ลา"
    assert person("นายกเทศมนตรีตำบลธาตุ นางสาวอรุณี แสงทอง") == "นางสาวอรุณี แสงทอง"
    assert person("นายกองค์การบริหารส่วนตำบลธาตุ อำเภอเชียงคาน") is None


VISION = """<html><head><title>ทต.ตัวอย่าง</title></head><body><h2>วิสัยทัศน์</h2>
<p>บ้านน่าอยู่ เศรษฐกิจพอเพียง</p><p>นายสมหมาย ใจงาม</p><p>นายกเทศมนตรีตำบลตัวอย่าง</p></body></html>"""


def test_an_executives_name_and_title_make_a_page_a_review_candidate_unless_every_page_shows_them():
    page = parse("http://x.go.th/vision.html", VISION)
    assert [(h.item, h.score) for h in sign_hits(CHECKLIST, page, "")] == [("O2", REVIEW)]
    assert sign_hits(CHECKLIST, page, "ผู้บริหาร นายสมหมาย ใจงาม นายกเทศมนตรี") == []  # a sidebar on every page
    news = parse("http://x.go.th/n.html", "<html><body><h2>ประกาศ</h2><p>ประชาสัมพันธ์ภาษี</p></body></html>")
    assert sign_hits(CHECKLIST, news, "") == []


def page_of(heading: str, docs: list[tuple[str, str]]) -> object:
    links = "".join(f'<div class="feature"><a href="{u}"><strong>{t}</strong></a></div>' for u, t in docs)
    return parse("http://x.go.th/p.php", f"<html><head><title>เทศบาลตำบลหางดอน</title></head><body>"
                 f"<div class='top'><h2>เทศบาลตำบลหางดอน</h2></div><div class='content'><h2>{heading}</h2>"
                 f"<h2>เอกสาร</h2>{links}</div></body></html>")


def test_right_heading_over_documents_of_something_else_is_doubted():
    o24 = ITEMS["O24"]
    label = "รายงานผลการจัดซื้อจัดจ้างหรือการจัดหาพัสดุประจำปี"
    wrong = page_of(label, [("/myfile/projects.pdf", "บัญชีโครงการพัฒนา")])
    assert "บัญชีโครงการพัฒนา" in doubt(CHECKLIST, o24, label, wrong)
    right = page_of(label, [("/myfile/r64.pdf", "รายงานผลการจัดซื้อจัดจ้าง ประจำปีงบประมาณ 2564")])
    assert doubt(CHECKLIST, o24, label, right) is None
    generic = page_of(label, [("/myfile/r64.pdf", "ดาวน์โหลด")])
    assert doubt(CHECKLIST, o24, label, generic) is None


def test_a_page_of_documents_of_something_else_under_another_heading_is_doubted():
    label = "แนวปฏิบัติการจัดการเรื่องร้องเรียนการทุจริต"
    ordinance = page_of("เทศบัญญัติฯ", [("/myfile/o1.pdf", "เทศบัญญัติฯ 1"), ("/myfile/o2.pdf", "เทศบัญญัติฯ 2")])
    assert "เทศบัญญัติ" in doubt(CHECKLIST, ITEMS["O29"], label, ordinance)
    guide = page_of("เทศบัญญัติฯ", [("/myfile/g.pdf", "คู่มือการจัดการเรื่องร้องเรียนการทุจริต")])
    assert doubt(CHECKLIST, ITEMS["O29"], label, guide) is None


def test_a_label_that_fully_names_another_item_doubts_a_short_word_match():
    assert "O18" in names_other(CHECKLIST, ITEMS["O7"], "ประชาสัมพันธ์งบประมาณรายจ่าย")
    assert names_other(CHECKLIST, ITEMS["O7"], "ข่าวประชาสัมพันธ์") is None
    assert names_other(CHECKLIST, ITEMS["O18"], "ประชาสัมพันธ์งบประมาณรายจ่าย") is None


# -- the real CLI on fixture sites -----------------------------------------------------------------------------

def _items(doc: dict, base: str) -> dict:
    out = {}
    for it in doc["items"]:
        ev = it["evidence"][0] if it["evidence"] else {}
        out[it["id"]] = (it["status"], ev.get("url", "").replace(base.rstrip("/"), ""), ev, it["reason"])
    return out


def test_home_page_blocks_tabs_modals_partial_items_and_broken_links(site_server, tmp_path: Path):
    srv = site_server("home_blocks")
    proc, doc = scan(srv.url, tmp_path, "--year", "2565")
    assert proc.returncode == 2, proc.stderr
    got = _items(doc, srv.url)
    assert got["O7"][:2] == ("found", "/") and got["O7"][2]["click_path"] == ["หน้าแรก", "ข่าวประชาสัมพันธ์"]
    assert got["O22"][:2] == ("review", "/")
    assert got["O3"][:2] == ("found", "/#duty")
    assert got["O2"][0] == "review" and got["O2"][1] in ("/#execs", "/about/vision.html")
    assert got["O4"][:2] == ("review", "/policy.html")
    assert got["O30"][:2] == ("review", "/appeal.html") and "ทุจริต" in got["O30"][3]  # says what is missing
    assert got["O32"][:2] == ("review", "/appeal.html")
    assert got["O18"][0] == "found" and got["O18"][1] == "/docs/budget-2565.pdf"
    status, url, ev, reason = got["O14"]
    assert status == "broken" and url == "/service-standard.html" and "404" in ev["check"]
    assert ev["click_path"] == ["หน้าแรก", "มาตรฐานการให้บริการ"]
    report = tmp_path / "report.html"  # the report shows the link to fix and what opening it gave
    assert run_oit("report", "--db", str(tmp_path / "oit.db"), "--latest", "-o", str(report)).returncode == 0
    html = report.read_text(encoding="utf-8")
    row = html[html.index('data-item="O14"'):]
    row = row[: row.index("</tr>")]
    assert "service-standard.html" in row and "HTTP 404" in row
    assert not any(s == "found" for i, (s, *_) in got.items() if i not in ("O3", "O7", "O18"))


@pytest.mark.parametrize("item", ["O24", "O29", "O11", "O26", "O7", "O3"])
def test_right_headings_over_wrong_content_and_old_posts_are_no_claims(item, site_server, tmp_path: Path):
    srv = site_server("wrong_content")
    proc, doc = scan(srv.url, tmp_path, "--year", "2565")
    got = _items(doc, srv.url)
    status, url, ev, reason = got[item]
    if item in ("O24", "O29"):  # the heading is the item's, the documents are not
        assert status == "review" and "เอกสารในหน้านี้" in reason
    elif item in ("O11", "O26"):  # a news post with an old date is not the item out of date
        assert status in ("review", "missing")
    elif item == "O7":  # the news list, never through the budget page that only says ประชาสัมพันธ์
        assert url != "/prbudget.html"
    else:  # a division under the menu group "อำนาจหน้าที่"
        assert status != "missing" and url.startswith("/unit/")
        assert ev["click_path"][:2] == ["หน้าแรก", "อำนาจหน้าที่"]
    for it in doc["items"]:
        for e in it["evidence"]:
            assert not any("จำนวนทั้งหมด" in s or s.startswith("http") for s in e["click_path"]), e["click_path"]
    assert got["O24"][0] != "stale" and got["O24"][1] != "/news/n2.html"


def test_a_footer_by_any_usual_name_is_read_once_for_contact_details():
    html = ('<html><body><div class="main-footer"><div class="footer-widget"><p>เทศบาลตำบลหนองบัว ที่อยู่ 99 หมู่ 1'
            ' ตำบลหนองบัว อำเภอเมือง จังหวัดขอนแก่น 40000</p><p>โทรศัพท์ 043-123456 โทรสาร 043-123457 อีเมล'
            ' saraban@nongbua.go.th</p></div></div></body></html>')
    page = parse("http://x.go.th/", html)
    assert [s.footer for s in page.sections] == [True]
    hits = [(h.item, h.score) for _, _, hs in section_hits(CHECKLIST, page, set(), True) for h in hs]
    assert hits == [("O5", REVIEW)]
