from crawler.parse import parse

DROPDOWN = """<html><head><title>หน้าแรก - เทศบาล</title></head><body>
<ul class="nav"><li class="dropdown"><a href="#">ข้อมูลพื้นฐาน</a>
  <ul class="dropdown-menu"><li><a href="/about/structure.html">โครงสร้างส่วนราชการ</a></li></ul></li>
<li><span>บริการประชาชน</span><ul><li><a href="service/e.html" title="บริการออนไลน์">E-Service</a></li></ul></li></ul>
<div class="dropdown"><button>ป้องกันการทุจริต</button><div class="menu"><a href="/ac/plan.html">แผนปฏิบัติการ</a></div></div>
<a href="javascript:void(0)">เมนู</a><a href="mailto:a@b.go.th">อีเมล</a><a href="data:text/html,x">d</a>
<a href="/x.html"><img src="/b.png" alt="แจ้งเรื่องร้องเรียนการทุจริต"></a>
</body></html>"""


def test_dropdown_parents_become_menu_labels():
    page = parse("http://h/", DROPDOWN)
    by_url = {lk.url: lk for lk in page.links}
    assert by_url["http://h/about/structure.html"].menu[0] == "ข้อมูลพื้นฐาน"
    assert by_url["http://h/service/e.html"].menu[0] == "บริการประชาชน"
    assert by_url["http://h/service/e.html"].title == "บริการออนไลน์"
    assert by_url["http://h/ac/plan.html"].menu[0] == "ป้องกันการทุจริต"


def test_unfollowable_links_are_dropped_and_images_use_alt():
    page = parse("http://h/", DROPDOWN)
    urls = [lk.url for lk in page.links]
    assert not any(u.startswith(("javascript", "mailto", "data")) for u in urls)
    assert any(lk.text == "แจ้งเรื่องร้องเรียนการทุจริต" for lk in page.links)


def test_table_row_gives_generic_anchor_its_meaning():
    html = ("<table><tr><th>ข้อ</th><th>ข้อมูล</th></tr><tr><td>O1</td><td>โครงสร้าง</td>"
            "<td><a href='/s.pdf'>คลิก</a></td></tr></table>")
    link = parse("http://h/ita/", html).links[0]
    assert link.text == "คลิก" and "O1" in link.row and "โครงสร้าง" in link.row


def test_section_heading_before_inline_links():
    html = "<h4>การจัดซื้อจัดจ้าง</h4><a href='/a.html'>ผลประจำเดือน</a><br><a href='/b.html'>แผน</a><hr><a href='/c'>x</a>"
    links = parse("http://h/", html).links
    assert links[0].menu == ["การจัดซื้อจัดจ้าง"] and links[1].menu == ["การจัดซื้อจัดจ้าง"]
    assert links[2].menu == []


def test_frames_iframes_refresh_and_base():
    html = ('<html><head><base href="http://h/sub/"><meta http-equiv="refresh" content="0; url=main.html">'
            '</head><frameset><frame src="menu.html" name="left"><frame src="main.html"></frameset></html>')
    page = parse("http://h/", html)
    assert [lk.url for lk in page.links] == ["http://h/sub/menu.html", "http://h/sub/main.html"]
    assert page.refresh == "http://h/sub/main.html"
    iframe = parse("http://h/", '<body><iframe src="/doc/viewer.html"></iframe></body>')
    assert iframe.links[0].url == "http://h/doc/viewer.html" and iframe.links[0].tag == "iframe"


def test_title_headings_text_and_content_without_navigation():
    html = "<title>T</title><nav><a href='/'>หน้าแรก</a></nav><h1>โครงสร้าง</h1><p>สำนักปลัด กองคลัง</p>"
    page = parse("http://h/", html)
    assert page.title == "T" and page.headings == ["โครงสร้าง"]
    assert "หน้าแรก" in page.text and "หน้าแรก" not in page.content and "กองคลัง" in page.content


def test_inline_links_take_the_heading_within_sixty_siblings():
    html = "<div><h4>การจัดซื้อจัดจ้าง</h4>" + "".join(f"<a href='/n{i}'>x</a>" for i in range(70)) + "</div>"
    menus = [lk.menu for lk in parse("http://h/", html).links]
    assert menus[:60] == [["การจัดซื้อจัดจ้าง"]] * 60 and menus[60:] == [[]] * 10


def test_hidden_rows_cards_and_chrome_from_one_climb():
    html = """<body><nav><ul><li><a href='/n'>หน้าแรก</a></li></ul></nav>
<table><tr style='display: none'><td>O1</td><td><a href='/h.pdf'>ดาวน์โหลด</a></td></tr>
<tr><td>O2</td><td><a href='/v.pdf' style='visibility:hidden'>ดาวน์โหลด</a></td></tr></table>
<div style='display:none'><p><a href='/d'>แท็บ</a></p></div>
<ul><li hidden><a href='/l'>ซ่อน</a></li></ul>
<div class='card'><h3>ข่าวประชาสัมพันธ์ล่าสุด</h3><a href='/news/1'>อ่านต่อ</a></div></body>"""
    by_url = {lk.url.rsplit("/", 1)[1]: lk for lk in parse("http://h/", html).links}
    assert by_url["n"].chrome and not by_url["h.pdf"].chrome
    assert by_url["h.pdf"].hidden and "O1" in by_url["h.pdf"].row
    assert by_url["v.pdf"].hidden and "O2" in by_url["v.pdf"].row
    assert not by_url["d"].hidden and by_url["l"].hidden
    assert by_url["1"].card == "ข่าวประชาสัมพันธ์ล่าสุด" and not by_url["1"].hidden


def test_menus_repeated_across_pages_give_what_a_fresh_parse_gives():
    from crawler import parse as parse_module  # pages 2 and 6 meet a block of pages 1 and 5

    menu = ("<nav id='m'><ul><li><b>ข้อมูล</b><a href='a.html'>ก</a></li>"
            "<li style='display:none'><a href='/b.html'>ข</a></li></ul></nav>")
    pages = [
        ("http://h/x/1.html", f"<h2>หัวข้อ</h2>{menu}<p><a href='c.html'>ค</a></p>"),
        ("http://h/x/4.html", f"<h2>หัวข้อ</h2>{menu}<p><a href='c.html'>ค</a></p>"),
        ("http://h/y/2.html", f"<table><tr><td>แถว {menu}</td></tr></table>"),
        ("http://h/y/3.html", f"<ul><li>รายการ<div>{menu}</div></li></ul><a href='?q=1'>ง</a>"),
        ("http://h/5.html", "<table><tr><td>แถวหนึ่ง <nav><a href='d.html'>จ</a></nav></td></tr></table>"),
        ("http://h/6.html", "<table><tr class='x'><td>แถวสอง <nav><a href='d.html'>จ</a></nav></td></tr></table>"),
    ]
    parse_module.clear_caches()
    warm = [parse(url, html) for url, html in pages]
    fresh = []
    for url, html in pages:
        parse_module.clear_caches()
        fresh.append(parse(url, html))
    assert warm == fresh
    assert (warm[4].links[0].row, warm[5].links[0].row) == ("แถวหนึ่ง จ", "แถวสอง จ")
    assert [lk.url for lk in warm[2].links] == ["http://h/y/a.html", "http://h/b.html"]
