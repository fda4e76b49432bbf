from datetime import date

import pytest

from crawler.dates import Mention, be, ce, fiscal_year, mentions, mentions_in_url

FY64 = (date(2020, 10, 1), date(2021, 9, 30))
FY65 = (date(2021, 10, 1), date(2022, 9, 30))
HALF65 = (date(2021, 10, 1), date(2022, 3, 31))


def test_year_conversions():
    assert be(2022) == 2565
    assert ce(2565) == 2022
    assert fiscal_year(2565) == FY65


def one(text: str) -> Mention:
    found = mentions(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text, kind, start, end, strength", [
    # fiscal phrases
    ("ประจำปีงบประมาณ พ.ศ. ๒๕๖๕", "fiscal_year", *FY65, 1.0),
    ("ปีงบประมาณ 2565", "fiscal_year", *FY65, 1.0),
    ("ประจำปี งบประมาณ พ.ศ. 2564", "fiscal_year", *FY64, 1.0),
    ("เทศบัญญัติงบประมาณ พ.ศ.2565", "fiscal_year", *FY65, 1.0),
    ("ปีงบ 65", "fiscal_year", *FY65, 1.0),
    ("fiscal year 2022", "fiscal_year", *FY65, 1.0),
    ("FY2022 budget", "fiscal_year", *FY65, 1.0),
    ("ประจำปี 2565", "fiscal_year", *FY65, 0.9),
    # bare and era years: the fiscal year window
    ("พ.ศ.2561", "year", date(2017, 10, 1), date(2018, 9, 30), 0.6),
    ("ข้อบัญญัติงบประมาณรายจ่าย ปี 2565 (รายละเอียด)", "year", *FY65, 0.6),
    ("ค.ศ. 2022", "year", *FY65, 0.6),
    ("year 2021 report", "year", *FY64, 0.6),
    ("ครั้งที่ 3/2565", "year", *FY65, 0.6),
    # months: abbreviations with and without dots, Thai digits, two-digit years, full names
    ("(มี.ค. ๖๕)", "month", date(2022, 3, 1), date(2022, 3, 31), 0.8),
    ("(ก.ค. 65)", "month", date(2022, 7, 1), date(2022, 7, 31), 0.8),
    ("ก.พ.65", "month", date(2022, 2, 1), date(2022, 2, 28), 0.8),
    ("มค 65", "month", date(2022, 1, 1), date(2022, 1, 31), 0.8),
    ("กพ 2565", "month", date(2022, 2, 1), date(2022, 2, 28), 0.8),
    ("มีค. 65", "month", date(2022, 3, 1), date(2022, 3, 31), 0.8),
    ("ต.ค. 64", "month", date(2021, 10, 1), date(2021, 10, 31), 0.8),
    ("มีนาคม 2565", "month", date(2022, 3, 1), date(2022, 3, 31), 0.8),
    ("ภายในเดือนเมษายน 2565", "month", date(2022, 4, 1), date(2022, 4, 30), 0.8),
    ("ธันวาคม พ.ศ. 2564", "month", date(2021, 12, 1), date(2021, 12, 31), 0.8),
    ("March 2022", "month", date(2022, 3, 1), date(2022, 3, 31), 0.8),
    ("มีนาคม 2022", "month", date(2022, 3, 1), date(2022, 3, 31), 0.8),
    ("โทร. 0-4400-0000 ประจำปี 2565", "fiscal_year", *FY65, 0.9),
    # dates
    ("ข้อมูล ณ วันที่ 13 ก.ค. 2565", "date", date(2022, 7, 13), date(2022, 7, 13), 1.0),
    ("วันที่ ๑ ตุลาคม ๒๕๖๔", "date", date(2021, 10, 1), date(2021, 10, 1), 1.0),
    ("ประกาศ 5 ม.ค. 65", "date", date(2022, 1, 5), date(2022, 1, 5), 1.0),
    ("15/03/2565", "date", date(2022, 3, 15), date(2022, 3, 15), 1.0),
    ("2022-03-15", "date", date(2022, 3, 15), date(2022, 3, 15), 1.0),
    # year ranges: FY start of the first to FY end of the last
    ("แผนพัฒนาท้องถิ่น (พ.ศ. 2566-2570)", "year_range", date(2022, 10, 1), date(2027, 9, 30), 0.8),
    ("2561 - 2565", "year_range", date(2017, 10, 1), date(2022, 9, 30), 0.8),
    ("(2561 - 2565)", "year_range", date(2017, 10, 1), date(2022, 9, 30), 0.8),
    ("พ.ศ. 2566 – 2570", "year_range", date(2022, 10, 1), date(2027, 9, 30), 0.8),
    ("ปีงบประมาณ 2564-2565", "year_range", date(2020, 10, 1), date(2022, 9, 30), 1.0),
    ("ค.ศ. 2018-2022", "year_range", date(2017, 10, 1), date(2022, 9, 30), 0.8),
    # date ranges
    ("ต.ค. 64 - มี.ค. 65", "date_range", *HALF65, 0.8),
    ("1 ตุลาคม 2564 ถึง 31 มีนาคม 2565", "date_range", *HALF65, 1.0),
    ("ตุลาคม 2564 - มีนาคม 2565", "date_range", *HALF65, 0.8),
    ("(เดือนตุลาคม 2564 - มีนาคม 2565)", "date_range", *HALF65, 0.8),
    ("ต.ค. - มี.ค. 65", "date_range", *HALF65, 0.8),
    ("1-31 มีนาคม 2565", "date_range", date(2022, 3, 1), date(2022, 3, 31), 1.0),
    # the first half of a fiscal year
    ("รายงานรอบ 6 เดือน ประจำปีงบประมาณ 2565", "half", *HALF65, 1.0),
    ("ประจำปีงบประมาณ พ.ศ. 2565 รอบ 6 เดือน", "half", *HALF65, 1.0),
    ("6 เดือนแรก ปีงบประมาณ 2565", "half", *HALF65, 1.0),
    ("ครึ่งปีแรก 2565", "half", *HALF65, 0.6),
])
def test_forms(text, kind, start, end, strength):
    m = one(text)
    assert (m.kind, m.start, m.end, m.strength) == (kind, start, end, strength)


@pytest.mark.parametrize("text, written", [
    ("(มี.ค. ๖๕)", "มี.ค. ๖๕"),
    ("ข้อมูล ณ วันที่ 13 ก.ค. 2565 ", "วันที่ 13 ก.ค. 2565"),
    ("ประจำปีงบ\u200bประมาณ  พ.ศ. ๒๕๖๕", "ประจำปีงบ\u200bประมาณ  พ.ศ. ๒๕๖๕"),
    ("แผน (พ.ศ. 2566-2570)", "พ.ศ. 2566-2570"),
])
def test_text_is_as_written(text, written):
    assert one(text).text == written


@pytest.mark.parametrize("text", [
    "",
    "รอบ 6 เดือน",  # no year: the period module handles the phrase
    "โทร. 0-4400-0000",
    "โทร 02-123-4567",
    "081-256-5123",
    "0 2565 4321",
    "วงเงิน 1,250,000 บาท",
    "ราคา 2,565 บาท",
    "2565 บาท",
    "เวลา 10.30 น.",
    "?page_id=2563",
    "id 2563",
    "ที่ มท 0808.2/ว 2565",
    "2022",  # a C.E. number without context could be an id
    "2052 รายการ",
    "12565",
    "2565.50",
    "พยาบาล 65",  # "พย" inside a word is not พ.ย.
    "ก.พ.ร. 65",  # the commission, not February
    "งบประมาณ 50 ล้านบาท",
    "ปีงบ 65 ราย",
    "ม.ค. 12",  # 2512 is outside 2540-2599
    "1999",
])
def test_not_periods(text):
    assert mentions(text) == []


def test_text_order_and_no_nested_duplicates():
    found = mentions("นายก อบต. ประจำปี 2563 (ก.พ. ๖๓) ข้อมูล ณ วันที่ 5 มิ.ย. 2565 โทร. 0-4400-0000")
    assert [m.kind for m in found] == ["fiscal_year", "month", "date"]
    assert [m.text for m in found] == ["ประจำปี 2563", "ก.พ. ๖๓", "วันที่ 5 มิ.ย. 2565"]


def test_half_attaches_to_its_own_year_only():
    found = mentions("รอบ 6 เดือน   รายงานผลการใช้จ่ายงบประมาณรอบ 6 เดือน ประจำปี 2565")
    assert [(m.kind, m.text) for m in found] == [("half", "รอบ 6 เดือน ประจำปี 2565")]


def test_half_range_stays_a_date_range():
    found = mentions("รายงาน รอบ 6 เดือน (เดือนตุลาคม 2564 - มีนาคม 2565)")
    assert [(m.kind, m.start, m.end) for m in found] == [("date_range", *HALF65)]


@pytest.mark.parametrize("url, kind, start, end", [
    ("/files/executive_2563_2166.pdf", "year", date(2019, 10, 1), date(2020, 9, 30)),
    ("https://x.go.th/oit-2566-2/", "year", date(2022, 10, 1), date(2023, 9, 30)),
    ("https://x.go.th/files/report2564.pdf", "year", *FY64),
    ("https://x.go.th/files/HR_2021.pdf", "year", *FY64),
    ("/files/risk-assessment_2563_9362.pdf", "year", date(2019, 10, 1), date(2020, 9, 30)),
    ("/files/procure-report_2564_2052.pdf", "year", *FY64),  # 2052 after "_" is an id
    ("/files/tender_2565_2552.pdf", "year", *FY65),
    ("/files/%E0%B8%A3%E0%B8%B2%E0%B8%A2%E0%B8%87%E0%B8%B2%E0%B8%99%E0%B9%92%E0%B9%95%E0%B9%96%E0%B9%95.pdf",
     "year", *FY65),  # รายงาน๒๕๖๕.pdf
    ("/plan/แผนพัฒนา_2561-2565.pdf", "year_range", date(2017, 10, 1), date(2022, 9, 30)),
    ("/wp-content/uploads/2022/03/x.pdf", "month", date(2022, 3, 1), date(2022, 3, 31)),
    ("/doc?year=2565&id=2564", "year", *FY65),
    ("/files/%E0%B8%95.%E0%B8%84.64-%E0%B8%A1%E0%B8%B5.%E0%B8%84.65.pdf", "date_range", *HALF65),
])
def test_url_years_are_weak(url, kind, start, end):
    found = mentions_in_url(url)
    assert [(m.kind, m.start, m.end, m.strength) for m in found] == [(kind, start, end, 0.3)]


@pytest.mark.parametrize("url", [
    "/?page_id=2563",
    "/index.php?p=2565",
    "/files/doc_9362.pdf",
    "/files/id_12565.pdf",
    "tel:0-4400-0000",
    "/news/1234.html",
    "",
])
def test_url_numbers_that_are_not_years(url):
    assert mentions_in_url(url) == []


def test_letters_that_fold_to_a_month_only_under_unicode_case_rules_are_no_month_and_raise_nothing():
    # "ſ" (long s) and "K" (Kelvin sign) match "s" and "k" case-insensitively; no English month is spelled so
    assert mentions("ประกาศ 12 ſep 2023 และ 3 ſeptember 2022") == []
    assert [m.text for m in mentions("12 Sep 2023")] == ["12 Sep 2023"]
