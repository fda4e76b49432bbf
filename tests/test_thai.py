import pytest

from crawler.thai import be_years, clean, item_number, key, strip_marks


@pytest.mark.parametrize("label, number", [
    ("O1 โครงสร้าง", 1), ("o1", 1), ("O 1", 1), ("O-1", 1), ("O.1", 1), ("O๑", 1), ("๐๑ โครงสร้าง", 1),
    ("01 โครงสร้าง", 1), ("[O1] โครงสร้าง", 1), ("OIT 1", 1), ("OIT1 โครงสร้าง", 1), ("ข้อ 1 โครงสร้าง", 1),
    ("O1โครงสร้าง", 1), ("4O4", 4), ("010 - แผนดำเนินงาน", 10), ("043 การดำเนินการ", 43), ("O 6 ::", 6),
    ("o20. รายงาน", 20), ("O๓๔ ประกาศ", 34), ("o_16_รายงาน", 16), ("oit-3-อำนาจหนาท", 3),
])
def test_item_number_spellings(label, number):
    assert item_number(label) == number


@pytest.mark.parametrize("label", [
    "105 ปี เทศบาล", "0-4400-0000", "2565", "Online service", "1.3. โครงสร้างหน่วยงาน", "20 มี.ค. 65",
    "โครงสร้าง O1", "",
])
def test_not_item_numbers(label):
    assert item_number(label) is None


def test_clean_keeps_text_readable():
    assert clean("เเผน\u200bงาน  ประจำปี ๒๕๖๕") == "แผนงาน ประจำปี 2565"
    assert clean("ทํา กฏหมาย\u00a0 x") == "ทำ กฎหมาย x"


def test_key_ignores_spacing_and_punctuation():
    assert key("E-Service") == key("e service") == "eservice"
    assert key("ติดตาม การดำเนินงาน") == key("ติดตามการดำเนินงาน")
    assert key("[O22] ข่าว/ประกาศ") == "o22ข่าวประกาศ"


def test_strip_marks_matches_google_sites_slugs():
    assert strip_marks("อำนาจหน้าที่") == "อำนาจหนาท"
    assert strip_marks("โครงสร้าง") == "โครงสราง"


def test_be_years():
    assert be_years("ประจำปีงบประมาณ พ.ศ. ๒๕๖๕ และ 2564") == [2565, 2564]
    assert be_years("โทร 025651234") == []


PADDING = "ข้อมูลข่าวสาร ประกาศเทศบาล " * 12  # long enough for clean's word-by-word path
TRICKY = [
    "พ ุ่มดอกไม้", "คำ ่ที่สอง", "่ที่สอง นำหน้า", "ไป เเละ เ เ", "ใ ใ แ แ", "นานาาา ดีีีี", "ก้ำ ก่ำ", "กๅ ฤๅษี ๅ",
    "ก\u0e4d\u0e48\u0e32", "กา่ กะ่", "ก่่่ ก้่", "กิิิิิิิิิิ", "ข้อมูล\n ่ข่าว", "ก\u00a0่ ข\tุ", "ภาพ ุ่ ะ ำ า",
]


@pytest.mark.parametrize("tricky", TRICKY)
def test_long_text_is_normalised_as_a_whole(tricky):
    from pythainlp.util import normalize

    from crawler.thai import cap_marks
    for text in (PADDING + tricky, tricky + " " + PADDING, PADDING + tricky + " " + PADDING):
        assert len(text) > 300
        assert clean(text) == " ".join(normalize(cap_marks(text)).split())



SHORT_TRICKY = [*TRICKY, "ก่ำ", "ฤๅ", "ๅ", " ่ก", "\n่ก", "ก\n ่", "ก \n่", "เ\nเ", "า\tา", "ก  ุ", "แแ", "ใ  ใ"]


@pytest.mark.parametrize("tricky", SHORT_TRICKY)
def test_short_text_is_normalised_when_it_needs_it(tricky):
    from pythainlp.util import normalize

    from crawler.thai import cap_marks
    for text in (tricky, f"ข้อมูล {tricky}", f"{tricky} ข่าว", f"ก{tricky}ข"):
        assert clean(text) == " ".join(normalize(cap_marks(text)).split())


@pytest.mark.parametrize("text", ["ข้อมูลข่าวสาร ประกาศเทศบาล", "กี่ ก้ำ ก๋วยเตี๋ยวเรือ", "ระเบียบ  กฎหมายท้องถิ่น\n",
                                  "E-Service ระบบ", "\u00a0ใบอนุญาต\tก่อสร้าง อาคาร "])
def test_short_clean_text_needs_no_normaliser(text, monkeypatch):
    from crawler import thai

    monkeypatch.setattr(thai, "_thai_normalize", lambda _: pytest.fail("normalised"))
    assert clean(text) == " ".join(text.split())


def test_key_is_the_same_whichever_is_asked_first():
    texts = ["O1 โครงสร้าง เเผนงาน ๒๕๖๕", "ข้อมูล\n ่ข่าว", "ก\u0e4d\u0e48\u0e32 ทํา"]
    keys = [key(t) for t in texts]
    assert [item_number(t) for t in texts] == [1, None, None]
    assert [key(t) for t in texts] == keys == ["o1โครงสร้างแผนงาน2565", "ข้อมูล่ข่าว", "ก่ำทำ"]
