from datetime import date

import pytest

from crawler.dates import mentions, mentions_in_url
from crawler.period import expected_window, judge

Y = 2565


def page(text: str, url: str = "") -> list[tuple[str, list]]:
    sources = [("เนื้อหาหน้า", mentions(text))]
    if url:
        sources.append(("ชื่อไฟล์", mentions_in_url(url)))
    return sources


def status(period: str, text: str, url: str = "") -> str:
    return judge(period, Y, page(text, url)).status


def test_expected_windows():
    assert expected_window("current", Y) == (date(2020, 10, 1), date(2022, 9, 30))
    assert expected_window("in_year", Y) == (date(2021, 10, 1), date(2022, 9, 30))
    assert expected_window("covers_year", Y) == (date(2021, 10, 1), date(2022, 9, 30))
    assert expected_window("previous_year", Y) == (date(2020, 10, 1), date(2021, 9, 30))
    assert expected_window("first_half", Y) == (date(2021, 10, 1), date(2022, 3, 31))
    assert expected_window("exists", Y) is None
    with pytest.raises(ValueError):
        expected_window("someday", Y)


# --- exists and unknown ---------------------------------------------------------------------

def test_exists_is_always_current():
    for text in ("", "กระดานถาม-ตอบ ประจำปี 2560", "ปีงบประมาณ 2565"):
        v = judge("exists", Y, page(text))
        assert (v.status, v.expected, v.reason) == ("current", "ไม่กำหนดช่วงเวลา", "")


@pytest.mark.parametrize("period", ["current", "in_year", "previous_year", "first_half", "covers_year"])
def test_no_mentions_is_unknown_never_stale(period):
    v = judge(period, Y, [("ข้อความลิงก์", []), ("เนื้อหาหน้า", mentions("โครงสร้างส่วนราชการ โทร. 0-4400-0000"))])
    assert (v.status, v.found, v.found_year, v.where) == ("unknown", "", None, "")
    assert v.reason


def test_future_years_are_ignored_unless_plan_ranges():
    assert status("current", "เลขที่เอกสาร 2580") == "unknown"
    assert status("in_year", "ประจำปีงบประมาณ 2570") == "unknown"
    assert status("covers_year", "แผนพัฒนา (พ.ศ. 2571-2575)") == "stale"


# --- current ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("โครงสร้าง ประจำปีงบประมาณ พ.ศ. 2565", "current"),
    ("คณะผู้บริหาร ประจำปี 2564", "current"),  # last fiscal year is still current
    ("ข้อมูล ณ วันที่ 13 ก.ค. 2565", "current"),
    ("ประจำปี 2566", "current"),  # Y+1 is not in the future beyond Y+1
    ("นายก อบต. ประจำปี 2563 (ก.พ. ๖๓)", "stale"),
    ("ข้อมูล ณ วันที่ 30 ก.ย. 2563", "stale"),  # last day of FY 2563
    ("ข้อมูล ณ วันที่ 1 ต.ค. 2563", "current"),  # first day of FY 2564
    ("ติดต่อเรา โทร. 0-4400-0000", "unknown"),
])
def test_current(text, expected):
    assert status("current", text) == expected


def test_current_stale_verdict_explains():
    v = judge("current", Y, page("นายก อบต. ประจำปี 2563 (ก.พ. ๖๓)"))
    assert v.expected == "ข้อมูลปัจจุบัน (2564-2565)"
    assert (v.found, v.found_year, v.where) == ("ปีงบประมาณ 2563", 2563, "เนื้อหาหน้า")
    assert v.reason.startswith("พบข้อมูลปี 2563 ต้องเป็น")


def test_fiscal_phrase_outranks_an_equally_strong_date_stamp():
    # the data is of 2563; the stamp of Nov 2563 (FY 2564) is when it was posted
    v = judge("current", Y, page("ประจำปีงบประมาณ พ.ศ. ๒๕๖๓ ข้อมูล ณ วันที่ 12 พ.ย. ๒๕๖๓"))
    assert (v.status, v.found_year) == ("stale", 2563)


# --- prefer the current one, strength first, weak URLs last ----------------------------------

def test_prefer_the_current_one_among_equal_strength():
    v = judge("in_year", Y, page("ประจำปีงบประมาณ 2563 ... ประจำปีงบประมาณ 2565 ... ประจำปีงบประมาณ 2564"))
    assert (v.status, v.found, v.found_year, v.reason) == ("current", "ปีงบประมาณ 2565", 2565, "")


def test_stronger_mention_beats_a_satisfying_weaker_one():
    # a month+year (0.8) says 2563; a bare 2565 (0.6) somewhere else does not rescue it
    assert status("current", "ผังองค์กร (ก.พ. 63) สงวนลิขสิทธิ์ 2565") == "stale"


def test_weak_url_year_decides_only_alone():
    url = "/files/organization_2565_7192.pdf"
    assert status("current", "โครงสร้างส่วนราชการ", url) == "current"
    assert status("current", "โครงสร้าง ประจำปี 2562", url) == "stale"
    stale_url = "/files/executive_2563_2166.pdf"
    assert status("current", "คณะผู้บริหาร", stale_url) == "stale"
    assert status("current", "คณะผู้บริหาร ประจำปี 2565", stale_url) == "current"
    v = judge("current", Y, page("คณะผู้บริหาร", stale_url))
    assert (v.where, v.found_year) == ("ชื่อไฟล์", 2563)


def test_best_mention_across_sources():
    sources = [
        ("ข้อความลิงก์", mentions("O2 ข้อมูลผู้บริหาร")),
        ("ชื่อหน้า", mentions("ผู้บริหาร ปี 2562")),
        ("เนื้อหาเอกสาร", mentions("ข้อมูล ณ วันที่ 4 ม.ค. 2565")),
        ("ชื่อไฟล์", mentions_in_url("/files/exec_2561.pdf")),
    ]
    v = judge("current", Y, sources)
    assert (v.status, v.where, v.found) == ("current", "เนื้อหาเอกสาร", "4 ม.ค. 2565")


# --- in_year ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("ข่าวประชาสัมพันธ์ ประจำปีงบประมาณ 2565", "current"),
    ("ประกาศ 15 ม.ค. 2565", "current"),
    ("ประกาศ 20 ธ.ค. 2564", "current"),  # Oct-Dec Y-1 is FY Y
    ("ประกาศ 30 ก.ย. 2564", "stale"),
    ("ประกาศ 20 ธ.ค. 2565", "stale"),  # FY Y+1 alone
    ("ประจำปีงบประมาณ 2564", "stale"),
    ("แผนดำเนินงาน ประจำปี 2563", "stale"),
    ("แผนดำเนินงาน", "unknown"),
])
def test_in_year(text, expected):
    assert status("in_year", text) == expected


def test_in_year_accepts_an_early_publication_date_backed_by_a_year_mention():
    v = judge("in_year", Y, page("แผนดำเนินงาน ประจำปี 2565 ข้อมูล ณ วันที่ 20 ธ.ค. 2565"))
    assert (v.status, v.found) == ("current", "ปีงบประมาณ 2565")  # the data's year outranks its posting date
    assert status("in_year", "แผนดำเนินงาน ประจำปี 2563 ข้อมูล ณ วันที่ 20 ธ.ค. 2565") == "stale"


def test_in_year_reason():
    v = judge("in_year", Y, page("ประจำปี 2563"))
    assert v.reason == "พบข้อมูลปี 2563 ต้องเป็นปีงบประมาณ 2565"
    assert v.expected == "ปีงบประมาณ 2565"


# --- previous_year ------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("รายงานผลการดำเนินงาน ประจำปีงบประมาณ 2564", "current"),  # Y-1
    ("รายงานผลการดำเนินงาน ประจำปีงบประมาณ 2565", "current"),  # Y: already covering the year
    ("รายงานผลการดำเนินงาน ประจำปีงบประมาณ 2563", "stale"),
    ("รายงานความพึงพอใจ ปี 2562", "stale"),
    ("รายงานผลการดำเนินงาน ประจำปีงบประมาณ 2566", "stale"),
    ("รายงานผลการดำเนินงาน", "unknown"),
])
def test_previous_year(text, expected):
    assert status("previous_year", text) == expected


def test_previous_year_reason():
    v = judge("previous_year", Y, page("รายงาน ประจำปีงบประมาณ 2562"))
    assert v.expected == "ปีงบประมาณ 2564 (ปีที่แล้ว)"
    assert v.reason == "พบรายงานปี 2562 ต้องเป็นรายงานปีงบประมาณ 2564"


def test_previous_year_prefers_y_minus_1():
    v = judge("previous_year", Y, page("ประจำปีงบประมาณ 2565 ประจำปีงบประมาณ 2564 ประจำปีงบประมาณ 2563"))
    assert (v.status, v.found_year) == ("current", 2564)


# --- first_half ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("รายงานรอบ 6 เดือน (ต.ค. 64 - มี.ค. 65)", "current"),
    ("1 ตุลาคม 2564 ถึง 31 มีนาคม 2565", "current"),
    ("ข้อมูล ณ วันที่ 31 มี.ค. 65", "current"),  # last day in
    ("ข้อมูล ณ วันที่ 1 ต.ค. 64", "current"),  # first day in
    ("ข้อมูล ณ วันที่ 1 เม.ย. 65", "stale"),  # a day after
    ("ข้อมูล ณ วันที่ 30 ก.ย. 64", "stale"),  # a day before
    ("สถิติ ประจำปีงบประมาณ 2565", "current"),  # FY Y phrase alone counts
    ("รอบ 6 เดือน ประจำปีงบประมาณ 2565", "current"),
    ("รอบ 6 เดือน ประจำปีงบประมาณ 2564", "stale"),
    ("ต.ค. 63 - มี.ค. 64", "stale"),
    ("รอบ 6 เดือน", "unknown"),
])
def test_first_half(text, expected):
    assert status("first_half", text) == expected


def test_first_half_texts():
    v = judge("first_half", Y, page("ต.ค. 63 - มี.ค. 64"))
    assert v.expected == "6 เดือนแรกของปีงบประมาณ 2565 (ต.ค. 2564 - มี.ค. 2565)"
    assert (v.found, v.found_year) == ("ต.ค. 2563 - มี.ค. 2564", 2564)
    assert v.reason.startswith("พบข้อมูล ต.ค. 2563 - มี.ค. 2564 ต้องเป็น")


# --- covers_year --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("แผนพัฒนาท้องถิ่น (พ.ศ. 2561 - 2565)", "current"),
    ("แผนพัฒนาท้องถิ่น (พ.ศ. 2565-2569)", "current"),
    ("แผนพัฒนาท้องถิ่น (พ.ศ. 2561-2564)", "stale"),
    ("แผนพัฒนาท้องถิ่น (พ.ศ. 2566-2570)", "stale"),  # starts after Y
    ("ข้อบัญญัติงบประมาณรายจ่าย ประจำปีงบประมาณ 2565", "current"),  # annual plan of Y
    ("ข้อบัญญัติงบประมาณรายจ่าย ประจำปีงบประมาณ 2563", "stale"),
    ("แผนพัฒนาท้องถิ่น", "unknown"),
])
def test_covers_year(text, expected):
    assert status("covers_year", text) == expected


def test_covers_year_reasons():
    v = judge("covers_year", Y, page("แผนพัฒนาท้องถิ่น (พ.ศ. 2561-2564)"))
    assert v.expected == "แผนที่ครอบคลุมปี 2565"
    assert v.found == "พ.ศ. 2561-2564"
    assert v.reason == "พบแผน พ.ศ. 2561-2564 ไม่ครอบคลุมปี 2565"
    v = judge("covers_year", Y, page("แผนพัฒนาท้องถิ่น (พ.ศ. 2566-2570)"))
    assert v.reason == "พบแผน พ.ศ. 2566-2570 ยังไม่ครอบคลุมปี 2565"


def test_covering_plan_wins_over_an_older_plan():
    v = judge("covers_year", Y, page("แผนพัฒนา (พ.ศ. 2557-2560) และแผนพัฒนา (พ.ศ. 2561-2565)"))
    assert (v.status, v.found, v.found_year) == ("current", "พ.ศ. 2561-2565", 2565)
