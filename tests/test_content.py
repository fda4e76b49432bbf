"""Content names the item: cards, sections, page plugins, posts, and what a heading alone does not prove."""

from __future__ import annotations

from crawler.checklist import load
from crawler.content import doubt, openable, post_heading, section_hits
from crawler.match import FOUND, REVIEW, is_generic, link_label, score_label, score_link
from crawler.parse import parse

CHECKLIST = load()
ITEMS = {i.id: i for i in CHECKLIST.items}

CARDS = """<html><body><div class="row">
<div class="card"><h4>รายงานผลการดำเนินงานประจำปี 2564</h4><p>เผยแพร่ 15 ธ.ค. 2564</p>
 <a class="btn" href="/files/r64.pdf">เปิดอ่านเอกสาร</a></div>
<div class="card"><h4>ปฏิทินกิจกรรมประจำเดือน</h4><a href="/cal.html">อ่านต่อ</a></div>
</div>
<ul class="thumbnails"><li><div class="thumbnail"><a href="/news.php?id=9"><img src="/p/9.jpg" alt=""></a></div>
 <div class="caption"><h4>การประชุมประชาคมหมู่บ้าน ทบทวนแผนพัฒนาท้องถิ่น</h4><p>ประชาชนร่วมแสดงความคิดเห็น</p></div></li></ul>
<div class="well"><h3>ภาพข่าวกิจกรรม</h3><div class="list"><h4>ข่าว 1</h4><h4>ข่าว 2</h4></div>
 <div class="footer"><a href="/all_activity.php">ดูทั้งหมด...</a></div></div>
<nav class="pagination"><a href="/news.php?page=2">2</a></nav>
</body></html>"""


def by_url(page):
    return {lk.url: lk for lk in page.links}


def test_generic_anchor_takes_the_heading_of_its_card():
    links = by_url(parse("http://h/", CARDS))
    assert link_label(CHECKLIST, links["http://h/files/r64.pdf"]).startswith("รายงานผลการดำเนินงานประจำปี 2564")
    assert link_label(CHECKLIST, links["http://h/cal.html"]).startswith("ปฏิทินกิจกรรมประจำเดือน")
    # a picture linking to a post: the caption below it names the post
    assert link_label(CHECKLIST, links["http://h/news.php?id=9"]).startswith("การประชุมประชาคมหมู่บ้าน")
    # "ดูทั้งหมด" at the foot of a block: the block's heading, not a post title inside it
    assert link_label(CHECKLIST, links["http://h/all_activity.php"]) == "ภาพข่าวกิจกรรม"
    hits = score_link(CHECKLIST, links["http://h/files/r64.pdf"], "", False)
    assert hits[0].item == "O12" and hits[0].score >= FOUND


def test_page_numbers_are_not_read_as_their_list_title():
    link = by_url(parse("http://h/", CARDS))["http://h/news.php?page=2"]
    assert link_label(CHECKLIST, link) == "2"


def test_generic_anchor_words():
    for text in ("คลิกเพื่อเปิดไฟล์ PDF", "» Read More", "เปิดอ่านเอกสาร", "ดาวน์โหลดเอกสาร (PDF)", "อ่านต่อ..."):
        assert is_generic(CHECKLIST, text), text
    for text in ("ดาวน์โหลดแบบฟอร์ม", "ข้อมูลผู้บริหาร", "เปิดเผยข้อมูลสาธารณะ", "ITA"):
        assert not is_generic(CHECKLIST, text), text


def test_page_plugin_iframe_gives_the_account_itself():
    html = ('<div class="box"><h3>ติดตามเรา</h3><iframe src="https://www.facebook.com/plugins/page.php?'
            'href=https%3A%2F%2Fwww.facebook.com%2Fnongbuadaeng.sao&amp;tabs=timeline"></iframe></div>'
            '<div class="post"><a href="https://www.facebook.com/someone.else">Facebook</a></div>')
    page = parse("http://h/", html)
    embed = next(lk for lk in page.links if lk.tag == "embed")
    assert embed.url == "https://www.facebook.com/nongbuadaeng.sao"
    plugin = next(lk for lk in page.links if lk.tag == "iframe")
    assert not [h for h in score_link(CHECKLIST, plugin, "", False) if h.item == "O9" and h.score >= REVIEW]
    own = score_link(CHECKLIST, embed, "", False)[0]
    other = score_link(CHECKLIST, next(lk for lk in page.links if lk.tag == "a"), "", False)[0]
    assert own.item == "O9" and own.strong and own.score > other.score
    share = parse("http://h/", '<iframe src="https://www.facebook.com/plugins/share_button.php?href=http%3A%2F%2Fh%2F">'
                               '</iframe>')
    shown = next(lk for lk in share.links if lk.tag == "embed")
    assert shown.url == "http://h/" and not [h for h in score_link(CHECKLIST, shown, "", False) if h.item == "O9"]


def test_review_labels_offer_a_page_for_review_never_as_found():
    hits = {h.item: h for h in score_label(CHECKLIST, "กระดานสนทนา", "")}
    assert hits["O8"].score >= FOUND
    assert REVIEW <= hits["O32"].score < FOUND
    assert "O32" not in {h.item for h in score_label(CHECKLIST, "กระดานถาม-ตอบ", "")}  # its decoy


HOME = """<html><head><title>อบต.ตัวอย่าง</title></head><body>
<div class="side"><div class="box"><h3>ผู้บริหาร</h3><p>นายสมชาย ใจดี นายก อบต.</p></div></div>
<div class="box" id="news"><h3>ข่าวประชาสัมพันธ์</h3><ul>
 <li><a href="/n/1.html">ประชาสัมพันธ์การชำระภาษีป้าย ประจำปี 2565</a></li>
 <li><a href="/n/2.html">ประกาศวันหยุดราชการ</a></li></ul></div>
<div class="box" id="procure"><h3>ประกาศจัดซื้อจัดจ้าง</h3>
 <p>ประกาศประกวดราคาจ้างก่อสร้างถนนคอนกรีตเสริมเหล็ก หมู่ที่ 7 ด้วยวิธีประกวดราคาอิเล็กทรอนิกส์ (e-bidding)</p></div>
<div class="box"><h3>ผลิตภัณฑ์ชุมชน</h3><p>ผ้าทอมือ ข้าวหอมมะลิ และเครื่องจักสานไม้ไผ่ของกลุ่มแม่บ้าน หมู่ที่ 3</p></div>
<footer><p>อบต.ตัวอย่าง เลขที่ 9 หมู่ 1 ตำบลตัวอย่าง อำเภอเมือง จังหวัดชัยภูมิ 36000</p>
<p>โทรศัพท์ 0-4481-1111 โทรสาร 0-4481-1112 อีเมล saraban@example.go.th</p></footer>
</body></html>"""


def test_sections_of_a_page_are_evidence_with_their_anchor():
    page = parse("http://h/", HOME)
    seen: set[str] = set()
    got = {h.item: (url, text, h) for url, text, hits in section_hits(CHECKLIST, page, seen, True) for h in hits}
    assert got["O7"][0] == "http://h/#news" and got["O7"][2].score >= FOUND
    assert got["O22"][0] == "http://h/#procure" and got["O22"][1] == "ประกาศจัดซื้อจัดจ้าง"
    url, text, hit = got["O5"]  # the contact footer: address, phone, e-mail, but no map
    assert text.startswith("ท้ายหน้า") and REVIEW <= hit.score < FOUND
    assert "O2" not in got  # a sidebar box with a name is not the executives' page
    # the same blocks repeated on another page are the site's sidebar: not evidence again
    inner = parse("http://h/n/1.html", HOME)
    assert not [h for _, _, hits in section_hits(CHECKLIST, inner, seen, False) for h in hits if h.item == "O7"]


def test_a_post_is_named_by_its_own_title_not_the_section_heading():
    html = ("<h2>ข่าวประชาสัมพันธ์</h2><h3>ประกาศใช้แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. 2565</h3>"
            "<p><a href='/images/p.jpg'><img src='/images/p.jpg'></a><a href='/f/plan.pdf'>ดาวน์โหลด</a></p>")
    page = parse("http://h/news/view-115.html", html)
    assert post_heading(page, "ประกาศใช้แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. 2565").startswith("ประกาศใช้แผน")
    assert post_heading(page, "ข่าวสาร") == "ข่าวประชาสัมพันธ์"
    assert not openable("http://h/images/p.jpg") and not openable("http://h/css/site.css")
    assert openable("http://h/f/plan.pdf") and openable("http://h/news/view-115.html")


def test_a_heading_is_not_the_content():
    o13, o23, o12 = ITEMS["O13"], ITEMS["O23"], ITEMS["O12"]
    nav = "<nav><a href='/'>หน้าแรก</a><a href='/a.html'>เกี่ยวกับเรา</a></nav>"
    only_heading = parse("http://h/m.html", f"<title>คู่มือ</title>{nav}<h1>คู่มือการปฏิบัติงาน</h1>")
    assert "เพียงหัวข้อ" in doubt(CHECKLIST, o13, "คู่มือการปฏิบัติงาน", only_heading)
    real = parse("http://h/m.html", f"{nav}<h1>คู่มือการปฏิบัติงาน</h1><p>ขั้นตอนการรับชำระภาษี 1. ตรวจเอกสาร</p>")
    assert doubt(CHECKLIST, o13, "คู่มือการปฏิบัติงาน", real) is None
    empty = parse("http://h/s.html", f"{nav}<h1>สรุปผลการจัดซื้อจัดจ้างรายเดือน</h1><table></table>"
                                     "<p>ทั้งหมด 0 รายการ</p>")
    assert "ไม่แสดงเอกสาร" in doubt(CHECKLIST, o23, "สรุปผลการจัดซื้อจัดจ้างรายเดือน", empty)
    assert "ทดสอบ" in doubt(CHECKLIST, ITEMS["O39"], "ทดสอบ แผนปฏิบัติการป้องกันการทุจริต", None)
    other = parse("http://h/r.html", f"{nav}<h1>ข่าวประชาสัมพันธ์</h1><ul><li>ประกาศวันหยุด</li>"
                                     "<li>ประชาสัมพันธ์ภาษีป้าย</li></ul>")
    assert "เรื่องอื่น" in doubt(CHECKLIST, o12, "รายงานผลการดำเนินงานประจำปี", other)


def test_a_category_page_of_other_items_is_not_the_item():
    nav = "<div class='header'><a href='/'>หน้าแรก</a> | เทศบาลตำบลวังน้ำ</div>"
    hub = parse("http://h/procure/", f"<title>ประกาศจัดซื้อจัดจ้าง - เทศบาลตำบลวังน้ำ</title>{nav}"
                                     "<h1>ประกาศจัดซื้อจัดจ้าง</h1><ul>"
                                     "<li><a href='/a'>สรุปผลการดำเนินการจัดซื้อจัดจ้างในรอบเดือน</a></li>"
                                     "<li><a href='/b'>รายงานผลการจัดซื้อจัดจ้างหรือการจัดหาพัสดุประจำปี</a></li>"
                                     "<li><a href='/c'>ประกาศเทศบาล</a></li></ul><a href='/p2'>หน้าถัดไป</a>"
                                     "<div class='footer'>เทศบาลตำบลวังน้ำ โทร. 0-4400-0000</div>")
    assert "ลิงก์ไปยังเรื่องอื่น" in doubt(CHECKLIST, ITEMS["O22"], "ประกาศจัดซื้อจัดจ้าง", hub)
    notices = parse("http://h/procure/", f"{nav}<h1>ประกาศจัดซื้อจัดจ้าง</h1><ul>"
                                         "<li><a href='/a'>ประกาศประกวดราคาจ้างก่อสร้างถนน หมู่ 7</a></li>"
                                         "<li><a href='/b'>สรุปผลการดำเนินการจัดซื้อจัดจ้างในรอบเดือน</a></li></ul>")
    assert doubt(CHECKLIST, ITEMS["O22"], "ประกาศจัดซื้อจัดจ้าง", notices) is None
    thin = parse("http://h/x.html", "<title>เจตจำนงสุจริตของผู้บริหาร - อบต.โคกสูง</title>"
                                    "<div class='header'><a href='/'>หน้าแรก</a> | อบต.โคกสูง</div>"
                                    "<h1>เจตจำนงสุจริตของผู้บริหาร</h1><p>เจตจำนงสุจริตของผู้บริหาร</p>"
                                    "<div class='footer'>อบต.โคกสูง โทร. 0-4400-0000</div>")
    assert "เพียงหัวข้อ" in doubt(CHECKLIST, ITEMS["O34"], "เจตจำนงสุจริตของผู้บริหาร", thin)


def test_a_general_complaints_or_contact_page_may_serve_the_qa_item():
    hits = {h.item: h for h in score_label(CHECKLIST, "ร้องเรียนร้องทุกข์", "")}
    assert REVIEW <= hits["O8"].score < FOUND
    assert "O8" not in {h.item for h in score_label(CHECKLIST, "แจ้งเรื่องร้องเรียนการทุจริต", "")}
    contact = {h.item: h for h in score_label(CHECKLIST, "ติดต่อเรา", "")}
    assert contact["O5"].score >= FOUND and contact["O8"].score < FOUND and contact["O32"].score < FOUND


def test_a_post_title_outside_heading_tags_is_read_from_the_top_of_the_content():
    html = ("<div class='menu'><a href='/'>หน้าแรก</a></div><div class='topic'><b>ประกาศใช้ข้อบัญญัติงบประมาณรายจ่าย"
            " ประจำปีงบประมาณ พ.ศ. 2565</b></div><p>รายละเอียดตามเอกสารแนบ</p>")
    page = parse("http://h/news.php?id=7", html)
    label = post_heading(page, "ประกาศใช้ข้อบัญญัติงบประมาณรายจ่าย ประจำปีงบประมาณ พ.ศ. 2565")
    assert label.startswith("ประกาศใช้ข้อบัญญัติ")
    assert post_heading(page, "ข่าวประชาสัมพันธ์ทั้งหมด") == ""  # no heading, and not at the top


def test_a_post_under_a_cms_news_heading_still_shows_its_own_title():
    html = ("<nav><a href='/'>หน้าแรก</a></nav><h2>ข่าวประชาสัมพันธ์</h2><div class='topic'><b>ประกาศใช้แผนการดำเนินงาน"
            " ประจำปีงบประมาณ พ.ศ. 2565</b></div><p>รายละเอียดตามเอกสารแนบ</p><a href='/f/p.pdf'>ดาวน์โหลด</a>")
    page = parse("http://h/news.php?id=8", html)
    assert doubt(CHECKLIST, ITEMS["O10"], "ประกาศใช้แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. 2565", page) is None


def test_a_hidden_row_is_not_evidence_but_a_dropdown_is():
    html = ("<table><tr style='display:none'><td>ทดสอบ</td><td><a href='/t.pdf'>แผนปฏิบัติการป้องกันการทุจริต</a></td></tr>"
            "<tr><td><a href='/p.pdf'>แผนปฏิบัติการป้องกันการทุจริต 2565</a></td></tr></table>"
            "<ul class='menu'><li>ป้องกันการทุจริต<ul style='display:none'><li><a href='/m.html'>แผนป้องกันการทุจริต</a>"
            "</li></ul></li></ul>")
    links = by_url(parse("http://h/", html))
    assert links["http://h/t.pdf"].hidden and not score_link(CHECKLIST, links["http://h/t.pdf"], "", False)
    assert score_link(CHECKLIST, links["http://h/p.pdf"], "", False)[0].item == "O39"
    assert not links["http://h/m.html"].hidden and score_link(CHECKLIST, links["http://h/m.html"], "", False)
