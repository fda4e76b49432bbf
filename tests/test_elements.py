"""Required elements: what each checked item must show, found and missing side by side."""

from datetime import date

from crawler.checklist import load
from crawler.dates import Mention
from crawler.elements import Evidence, missing, month_gaps, social_accounts
from crawler.parse import parse

ITEMS = {i.id: i for i in load().items}


def need(item: str, html: str, links: list[str] | None = None, ms: list[Mention] | None = None) -> list[str]:
    page = parse("http://h/x.html", html)
    text = " ".join([page.title, *page.headings, page.content])
    return missing(ITEMS[item].requires, Evidence(text, page, ms or [], links or []), 2565)


def test_contact_page_elements():
    full = ("<h1>ติดต่อเรา</h1><p>ที่อยู่ 99 หมู่ 4 ตำบลบ้านสวน อำเภอเมือง โทร. 0-3555-1234 โทรสาร 0-3555-1235 "
            "อีเมล saraban@bansuan.go.th</p><iframe src='https://www.google.com/maps/embed?pb=1'></iframe>")
    assert need("O5", full) == []
    assert need("O5", "<h1>ติดต่อเรา</h1><p>โทร. 0-3555-1234</p>") == ["ที่อยู่", "หมายเลขโทรสาร", "อีเมล", "แผนที่"]


def test_executives_need_photos_positions_and_contact():
    html = "<h1>คณะผู้บริหาร</h1><img src='/m.jpg'><p>นายสมชาย ใจดี นายกเทศมนตรี โทร 08-1234-5678</p>"
    assert need("O2", html) == []
    assert need("O2", "<h1>คณะผู้บริหาร</h1><p>นายสมชาย ใจดี นายกเทศมนตรี</p>") == \
        ["รูปถ่ายผู้บริหาร", "ช่องทางติดต่อผู้บริหาร"]


def test_channels_need_a_working_form_or_online_service():
    form = "<h1>แจ้งเรื่องร้องเรียนการทุจริต</h1><form><textarea name=m></textarea><button>ส่ง</button></form>"
    assert need("O30", form) == []
    assert need("O30", "<h1>ร้องเรียน</h1><form><textarea></textarea></form>") == \
        ["แยกจากช่องทางร้องเรียนทั่วไป (ระบุว่าเป็นเรื่องทุจริต)"]
    assert need("O32", "<h1>แสดงความคิดเห็น</h1><a href='https://forms.gle/abc'>แบบฟอร์ม</a>") == []
    assert need("O8", "<h1>ถาม-ตอบ</h1><p>โทรถามได้ที่ 0-3555-1234</p>") == [ITEMS["O8"].requires[0].name]


def test_social_accounts_not_share_buttons():
    assert social_accounts(["https://www.facebook.com/sharer/sharer.php?u=x", "https://line.me/R/ti/p/@abc",
                            "https://www.youtube.com/@abc"]) == ["LINE", "YouTube"]
    assert need("O9", "<p>x</p>", links=["https://www.facebook.com/sharer.php?u=1"]) == \
        ["ลิงก์บัญชีโซเชียลมีเดียของหน่วยงาน"]


def month(y: int, m: int) -> Mention:
    return Mention(date(y, m, 1), date(y, m, 28), "month", f"{m}/{y}", 0.8)


def test_monthly_procurement_lists_missing_months():
    ms = [month(2021, 10), month(2021, 11), month(2022, 1), month(2022, 2), month(2022, 3), month(2020, 5)]
    found, gaps = month_gaps(ms, 2565)
    assert found == 5 and gaps == ["ธ.ค. 2564"]
    assert need("O23", "<p>สขร.1</p>", ms=ms) == ["สรุปผลรายเดือนของปีงบประมาณ: ขาด ธ.ค. 2564"]
    assert need("O23", "<p>สขร.1</p>") == ["สรุปผลรายเดือนของปีงบประมาณ"]


def test_complaint_statistics_or_none_stated():
    assert need("O31", "<p>ปีงบประมาณ 2565 ไม่มีเรื่องร้องเรียนการทุจริต</p>") == []
    assert need("O31", "<p>จำนวนเรื่องร้องเรียน 3 เรื่อง ดำเนินการแล้ว 2 เรื่อง</p>") == []
    assert need("O31", "<p>สถิติเรื่องร้องเรียน</p>") != []


def test_risk_assessment_needs_events_levels_measures():
    full = "<p>เหตุการณ์ความเสี่ยง การรับสินบน ระดับความเสี่ยง สูง มาตรการควบคุม</p>"
    assert need("O36", full) == []
    assert need("O36", "<p>การประเมินความเสี่ยงการทุจริต</p>") == ["ระดับความเสี่ยง", "มาตรการจัดการความเสี่ยง"]
