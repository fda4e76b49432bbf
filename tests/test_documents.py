"""Document text: the committed fixtures in tests/data/docs (see make_docs.py there), caps and repairs."""

from __future__ import annotations

import io
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pypdf
import pytest

from crawler.dates import mentions
from crawler.documents import MAX_MEMBER, OLD_OFFICE, PDFIUM_STREAM, DocText, fix_pdf_thai, read_text, sniff
from crawler.thai import be_years, key

DOCS = Path(__file__).parent / "data" / "docs"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def load(name: str) -> bytes:
    return (DOCS / name).read_bytes()


def minimal_pdf(contents: list[bytes]) -> bytes:
    """A hand-made PDF (Helvetica, one content stream per page) with a correct xref table."""
    helvetica = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    objs: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", helvetica]
    kids = []
    for content in contents:
        objs.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>" % len(objs))
        kids.append(b"%d 0 R" % len(objs))
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def text_page(words: str) -> bytes:
    return b"BT /F1 12 Tf 72 700 Td (" + words.encode() + b") Tj ET"


def zipped(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def docx_with(body_xml: bytes) -> bytes:
    return zipped({
        "[Content_Types].xml": b"<Types/>",
        "word/document.xml": b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body>" + body_xml + b"</w:body></w:document>",
    })


# ---------------------------------------------------------------------------------------------- fixtures


def test_fixtures_are_small_real_files():
    for name in ("plan-2565.pdf", "risk-2563.pdf", "scanned.pdf", "broken.pdf", "skr1-2565.docx", "stats-2565.xlsx"):
        size = (DOCS / name).stat().st_size
        assert 500 < size < 60_000, name
    assert load("broken.pdf") == load("plan-2565.pdf")[: len(load("plan-2565.pdf")) * 60 // 100]


def test_plan_pdf_thai_text_two_pages():
    doc = read_text(load("plan-2565.pdf"), "application/pdf", "https://x.go.th/plan-2565.pdf")
    assert (doc.kind, doc.pages, doc.scanned, doc.truncated, doc.error) == ("pdf", 2, False, False, None)
    lines = doc.text.split("\n")
    assert lines[0] == "แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. 2565"  # Thai digits normalised
    assert "เทศบาลตำบลตัวอย่าง อำเภอเมือง จังหวัดสุพรรณบุรี" in lines
    assert "ข้อมูล ณ วันที่ 15 ตุลาคม 2564" in lines
    assert "ยุทธศาสตร์ที่ 1 การพัฒนาด้านโครงสร้างพื้นฐาน" in lines  # page 2
    assert 2565 in be_years(doc.text) and 2564 in be_years(doc.text)
    assert "\u0e4d" not in doc.text and "๒" not in doc.text


def test_risk_pdf_is_really_mangled_and_gets_repaired():
    raw = "\n".join(page.extract_text() for page in pypdf.PdfReader(DOCS / "risk-2563.pdf").pages)
    # what pypdf gives: letters pulled apart, old-font private-use marks, a decomposed sara am
    assert "ประจำปีงบประมาณ" not in raw and "ป ร ะ จ ำ ป ี" in raw
    assert "\uf70b" in raw and "\u0e4d\u0e32" in raw
    doc = read_text(load("risk-2563.pdf"), "application/pdf")
    assert (doc.kind, doc.pages, doc.scanned, doc.error) == ("pdf", 1, False, None)
    # PDFium puts one space between letters and between words alike: the words of a spaced-out line join
    first, second = doc.text.split("\n")[:2]
    assert first == "การประเมินความเสี่ยงการทุจริตและประพฤติมิชอบ"
    assert second.replace(" ", "") == "ประจำปีงบประมาณพ.ศ.2563"
    assert [(m.kind, m.start.year) for m in mentions(second)] == [("fiscal_year", 2019)]
    for words in ("เหตุการณ์ความเสี่ยง", "ระดับความเสี่ยง: สูง", "มาตรการ", "การใช้ทรัพย์สินของราชการ",
                  "ประโยชน์ส่วนตน", "จัดทำทะเบียน"):
        assert words in doc.text, words
    assert be_years(doc.text) == [2563]
    assert not any(0xF700 <= ord(ch) <= 0xF71F for ch in doc.text)
    assert key("การประเมินความเสี่ยงการทุจริตและประพฤติมิชอบ ประจำปีงบประมาณ") in key(doc.text)


def test_scanned_pdf_has_no_text_layer():
    doc = read_text(load("scanned.pdf"), "application/pdf")
    assert (doc.kind, doc.text, doc.pages, doc.scanned, doc.error) == ("pdf", "", 1, True, None)


def test_text_pdf_without_images_and_little_text_is_not_scanned():
    doc = read_text(minimal_pdf([text_page("2565")]))
    assert doc.text == "2565" and not doc.scanned


def test_empty_pages_without_images_count_as_scanned():
    doc = read_text(minimal_pdf([b"", b""]))
    assert (doc.pages, doc.scanned, doc.error) == (2, True, None)


def test_broken_pdf_is_an_incomplete_file_not_an_exception():
    doc = read_text(load("broken.pdf"), "application/pdf", "https://x.go.th/plan-2565.pdf")
    assert doc.kind == "pdf" and doc.truncated
    assert doc.error == "incomplete file" and doc.text == "" and not doc.scanned


def test_pdf_cut_before_its_xref_still_gives_its_text():
    data = load("plan-2565.pdf")
    cut = data[: data.rindex(b"endobj")]  # everything but the last object, the xref and the trailer
    doc = read_text(cut, "application/pdf")
    assert doc.truncated and doc.error is None and doc.pages == 2
    assert "ประจำปีงบประมาณ พ.ศ. 2565" in doc.text and "ยุทธศาสตร์ที่ 1" in doc.text


@pytest.mark.parametrize("percent", [1, 5, 20, 40, 60, 80, 90, 95, 99])
def test_any_cut_of_a_pdf_is_handled(percent):
    data = load("plan-2565.pdf")
    started = time.monotonic()
    doc = read_text(data[: len(data) * percent // 100], "application/pdf")
    assert time.monotonic() - started < 5
    assert doc.kind == "pdf" and doc.truncated
    assert doc.error or "ประจำปีงบประมาณ" in doc.text
    assert not doc.scanned


def test_docx_table_and_runs():
    doc = read_text(load("skr1-2565.docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    assert (doc.kind, doc.pages, doc.scanned, doc.truncated, doc.error) == ("docx", 0, False, False, None)
    lines = doc.text.split("\n")
    assert lines[0] == "สรุปผลการดำเนินการจัดซื้อจัดจ้าง (แบบ สขร.1) ประจำปีงบประมาณ พ.ศ. 2565"
    assert "เทศบาลตำบลตัวอย่าง" in lines  # one word written in two runs
    assert "ตุลาคม 2564 - - ไม่มีการจัดซื้อจัดจ้าง" in lines  # a table row is one line
    assert "ข้อมูล ณ วันที่ 5 มกราคม 2565" in lines
    assert doc.text.count("ไม่มีการจัดซื้อจัดจ้าง") == 2


def test_xlsx_shared_inline_and_numbers():
    doc = read_text(load("stats-2565.xlsx"), "application/octet-stream", "https://x.go.th/f?id=9")
    assert (doc.kind, doc.pages, doc.truncated, doc.error) == ("xlsx", 0, False, None)
    lines = doc.text.split("\n")
    assert lines[0] == "สถิติการให้บริการ ประจำปีงบประมาณ พ.ศ. 2565"
    assert "เดือน จำนวนผู้รับบริการ เรื่องร้องเรียน" in lines
    assert "ตุลาคม 2564 120 2" in lines
    assert "ธันวาคม 2564 143 1" in lines  # an inline string cell


@pytest.mark.parametrize("name", ["skr1-2565.docx", "stats-2565.xlsx"])
@pytest.mark.parametrize("percent", [10, 50, 70, 90])
def test_cut_office_files_are_read_as_far_as_they_go(name, percent):
    data = load(name)
    doc = read_text(data[: len(data) * percent // 100], "", "https://x.go.th/" + name)
    assert doc.kind == name.rsplit(".", 1)[1] and doc.truncated
    assert doc.error == "incomplete file" or "ประจำปีงบประมาณ พ.ศ. 2565" in doc.text


def test_cut_docx_keeps_what_arrived():
    data = load("skr1-2565.docx")
    doc = read_text(data[: len(data) * 90 // 100], "", "a.docx")
    assert doc.error is None and doc.truncated and "ไม่มีการจัดซื้อจัดจ้าง" in doc.text


@pytest.mark.parametrize(("stream", "kind"), [("WordDocument", "doc"), ("Workbook", "xls"), ("Book", "xls")])
def test_old_office_is_recognised_not_read(stream, kind):
    data = OLE + bytes(500) + stream.encode("utf-16-le") + bytes(100)
    doc = read_text(data, "application/octet-stream", "https://x.go.th/download.php?id=1")
    assert doc == DocText(kind, "", 0, False, False, OLD_OFFICE)
    assert OLD_OFFICE == "old Office format: text not read"


def test_unknown_ole_takes_its_kind_from_the_name():
    data = OLE + bytes(600)
    assert read_text(data, "", "https://x.go.th/report.xls").kind == "xls"
    doc = read_text(data, "", "https://x.go.th/report.bin")
    assert (doc.kind, doc.error) == ("other", OLD_OFFICE)


def test_sniff_trusts_magic_bytes_over_labels():
    assert sniff(load("plan-2565.pdf"), "text/html; charset=utf-8", "https://x.go.th/page.html") == "pdf"
    assert sniff(load("skr1-2565.docx"), "application/pdf", "https://x.go.th/a.pdf") == "docx"
    assert sniff(load("stats-2565.xlsx"), "application/msword", "https://x.go.th/a.doc") == "xlsx"
    assert sniff(OLE + bytes(100) + "WordDocument".encode("utf-16-le"), "application/pdf", "a.xlsx") == "doc"
    assert sniff(b"\r\n%PDF-1.7\n", "", "") == "pdf"  # junk before the header
    assert sniff(zipped({"ppt/slides/slide1.xml": b"<x/>"}), "application/pdf", "a.pdf") == "other"


def test_sniff_falls_back_on_content_type_then_extension():
    assert sniff(b"", "application/pdf") == "pdf"
    assert sniff(b"????", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet") == "xlsx"
    assert sniff(b"????", "application/vnd.ms-excel", "a.docx") == "xls"
    assert sniff(b"????", "application/octet-stream", "https://x.go.th/files/Plan.DOCX?dl=1#top") == "docx"
    assert sniff(b"????", "", "https://x.go.th/a.doc") == "doc"
    assert sniff(b"????", "", "https://x.go.th/pdf/") == "other"
    assert sniff(b"????", "", "https://x.go.th/a.rar") == "other"


def test_html_labelled_pdf_is_not_parsed_as_pdf():
    doc = read_text("<html><body>ไม่พบไฟล์</body></html>".encode(), "application/pdf", "https://x.go.th/a.pdf")
    assert (doc.kind, doc.text, doc.error) == ("pdf", "", "not a PDF file")


def test_zip_bomb_member_is_refused_quickly():
    payload = b"<w:p><w:r><w:t>" + b"\xe0\xb8\x81" * (MAX_MEMBER // 3 + 1000) + b"</w:t></w:r></w:p>"
    data = docx_with(payload)
    assert len(data) < 200_000 < MAX_MEMBER < len(payload)
    started = time.monotonic()
    doc = read_text(data, "", "bomb.docx")
    assert time.monotonic() - started < 2
    assert doc.kind == "docx" and doc.error == "zip member too large: word/document.xml"
    assert doc.text == "" and doc.truncated


def test_xml_entities_are_not_expanded():
    laughs = (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
              b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
              b"<w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>")
    doc = read_text(zipped({"word/document.xml": laughs}), "", "a.docx")
    assert doc.kind == "docx" and "aaaa" not in doc.text


def test_docx_without_document_part():
    doc = read_text(zipped({"word/styles.xml": b"<x/>"}), "", "a.docx")
    assert (doc.kind, doc.text, doc.error) == ("docx", "", "no word/document.xml")


def test_max_pages_cap():
    doc = read_text(load("plan-2565.pdf"), max_pages=1)
    assert doc.pages == 1 and doc.truncated and doc.error is None
    assert "ประจำปีงบประมาณ" in doc.text and "ยุทธศาสตร์" not in doc.text


@pytest.mark.parametrize("name", ["plan-2565.pdf", "skr1-2565.docx", "stats-2565.xlsx"])
def test_max_chars_cap(name):
    full = read_text(load(name), url=name)
    doc = read_text(load(name), url=name, max_chars=30)
    assert len(full.text) > 60 and not full.truncated
    assert doc.truncated and 0 < len(doc.text) <= 30
    assert full.text.startswith(doc.text[:20])


def test_max_chars_stops_reading_a_long_docx_early():
    para = "<w:p><w:r><w:t>ประจำปีงบประมาณ พ.ศ. 2565</w:t></w:r></w:p>".encode()
    doc = read_text(docx_with(para * 20_000), "", "long.docx", max_chars=1_000)
    assert doc.truncated and doc.error is None and len(doc.text) <= 1_000


def test_time_cap_between_pages():
    data = minimal_pdf([text_page(f"page {n} 2565") for n in range(30)])
    assert read_text(data, max_pages=100).pages == 30
    doc = read_text(data, max_seconds=0)
    assert doc.truncated and doc.pages == 0


@pytest.mark.parametrize("ops", [150_000, PDFIUM_STREAM // 14 + 10_000])
def test_time_cap_on_a_huge_page(ops):
    """2 MB of text operators: PDFium reads them within the deadline. Past PDFIUM_STREAM the file goes to
    pypdf, which skips a page too big to parse in the time left instead of starting it."""
    huge = b"BT /F1 12 Tf 72 700 Td " + b"(x) Tj 1 0 Td " * ops + b"ET"
    data = minimal_pdf([huge, text_page("small page 2565")])
    started = time.monotonic()
    doc = read_text(data, max_seconds=0.5)
    assert time.monotonic() - started < 1.5
    if len(huge) > PDFIUM_STREAM:
        assert doc.truncated and doc.pages == 1 and doc.text == "small page 2565"
    else:
        assert doc.pages == 2 and doc.text.endswith("small page 2565")


def _encrypted(user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(DOCS / "plan-2565.pdf"))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="RC4-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_encrypted_pdf():
    doc = read_text(_encrypted("secret"), "application/pdf")
    assert (doc.kind, doc.text, doc.pages, doc.error) == ("pdf", "", 0, "encrypted")


def test_pdf_encrypted_with_an_empty_password_is_read():
    doc = read_text(_encrypted(""), "application/pdf")
    assert doc.error is None and doc.pages == 2 and "ประจำปีงบประมาณ พ.ศ. 2565" in doc.text


@pytest.mark.parametrize("data", [b"", b"%PDF-1.4\n", b"%PDF-1.4\ngarbage\n%%EOF\n", b"PK\x03\x04", OLE, b"\x00" * 50])
def test_garbage_never_raises(data):
    doc = read_text(data, "application/pdf", "a.pdf")
    assert isinstance(doc, DocText) and doc.text == "" and doc.error


def test_corrupted_files_never_raise():
    rng = random.Random(2565)
    for name in ("plan-2565.pdf", "skr1-2565.docx", "stats-2565.xlsx"):
        original = load(name)
        for _ in range(15):
            data = bytearray(original)
            for _ in range(rng.randint(1, 30)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            doc = read_text(bytes(data), "", name, max_seconds=2)
            assert isinstance(doc, DocText) and isinstance(doc.text, str)


def test_doctext_fields_in_order():
    doc = DocText("pdf", "ข้อความ", 3, False, True, None)  # the store rebuilds it positionally
    fields = (doc.kind, doc.text, doc.pages, doc.scanned, doc.truncated, doc.error)
    assert fields == ("pdf", "ข้อความ", 3, False, True, None)


# ---------------------------------------------------------------------------------------------- fix_pdf_thai


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        # letters pulled apart: one space between letters, two between words
        ("ป ร ะ จ ำ ป ี ง บ ป ร ะ ม า ณ  พ . ศ .  2 5 6 5", "ประจำปีงบประมาณ พ.ศ. 2565"),
        ("ก า ร ป ร ะ เ ม ิ น ค ว า ม เ ส ี ่ ย ง", "การประเมินความเสี่ยง"),
        ("รายงาน ค ว า ม เ ส ี ่ ย ง ประจำปี", "รายงานความเสี่ยงประจำปี"),
        # spaces inside a word: before a mark or a following vowel, after a leading vowel
        ("ประจ ำปี งบประมาณ", "ประจำปี งบประมาณ"),
        ("ท ี่ดิน", "ที่ดิน"),
        ("เ ทศบาล ต ำบล", "เทศบาล ตำบล"),
        ("ก า ร ประชุม", "การ ประชุม"),
        # sara am written as nikhahit + sara aa, with or without a tone mark
        ("ประจําปี", "ประจำปี"),
        ("น\u0e4d\u0e49\u0e32", "น้ำ"),
        ("น\u0e49\u0e4d\u0e32", "น้ำ"),
        # old-font private-use marks
        ("การใช\uf70bทรัพย\uf70eสิน", "การใช้ทรัพย์สิน"),
        ("ส\uf70aวนตน", "ส่วนตน"),
        ("ป\uf705า ป\uf706าย", "ป่า ป้าย"),
        ("ก\uf710น ก\uf701น", "กัน กิน"),
        ("ค\uf718ณ ป\uf719", "คุณ ปู"),
        ("\uf700าน บุ\uf70fา", "ฐาน บุญา"),
        ("ป\uf702\uf713", "ปี่"),
        # order of marks: tone before the vowel above, leading vowel after its consonant
        ("ท\u0e48\u0e35", "ที่"),
        ("เส\u0e48\u0e35ยง", "เสี่ยง"),
        ("ส\u0e40\u0e35\u0e48ยง", "เสี่ยง"),
        # Thai digits, odd spaces and zero-width characters (thai.clean)
        ("พ.ศ.\u00a0๒๕๖๕\u200b", "พ.ศ. 2565"),
    ],
)
def test_fix_pdf_thai(broken, fixed):
    assert fix_pdf_thai(broken) == fixed


@pytest.mark.parametrize(
    "text",
    [
        "เทศบาลตำบลตัวอย่าง อำเภอเมือง จังหวัดสุพรรณบุรี",
        "ข้อมูล ณ วันที่ 15 ตุลาคม 2564",
        "ข้อ 1 2 3",
        "ไตรมาส 1 2 3 4",
        "O 1 2 3 A B C",
        "ที่ ทำการ ผู้ ใหญ่",  # a space after a mark is a real word break
    ],
)
def test_fix_pdf_thai_leaves_good_text_alone(text):
    assert fix_pdf_thai(text) == text


def test_fix_pdf_thai_maps_every_private_use_mark():
    text = "ก" + "ก".join(chr(cp) for cp in range(0xF700, 0xF720))
    fixed = fix_pdf_thai(text)
    assert fixed and not any(0xF700 <= ord(ch) <= 0xF71F for ch in fixed)


def test_fix_pdf_thai_keeps_lines_and_drops_blank_ones():
    assert fix_pdf_thai("  บรรทัด  แรก \r\n\n\t\nบรรทัดสอง  ") == "บรรทัด แรก\nบรรทัดสอง"
    assert fix_pdf_thai("") == ""


def test_fix_pdf_thai_is_idempotent_on_the_fixtures():
    for name in ("plan-2565.pdf", "risk-2563.pdf"):
        text = read_text(load(name)).text
        assert fix_pdf_thai(text) == text


# -- the reader process loads only what reading needs (issue 25) ------------------------------------------------

LIGHT = ("crawler", "crawler.documents", "crawler.thai")
HEAVY = ("httpx", "selectolax", "rich", "crawler.fetch", "crawler.parse", "crawler.audit", "crawler.cli")


def loaded_after(code: str) -> set[str]:
    """The top-level packages and crawler modules a fresh interpreter holds after running `code`."""
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sys.modules))"],
                         capture_output=True, text=True, check=True).stdout.split()
    return {m for m in out if m.startswith("crawler") or "." not in m}


def test_import_crawler_and_the_reader_side_load_nothing_of_the_pipeline():
    for code in ("import crawler", "import crawler.documents", "import crawler.documents.serve"):
        loaded = loaded_after(code)
        assert not loaded & set(HEAVY), code
        assert {m for m in loaded if m.startswith("crawler")} <= {"crawler", "crawler.thai"} | {
            m for m in loaded if m.startswith("crawler.documents")}, code
        assert "crawler.documents.reader" not in loaded and "asyncio" not in loaded, code


def test_the_public_names_still_resolve_lazily():
    import crawler
    from crawler.audit import audit as function

    assert crawler.audit is function  # the function, not the submodule of the same name
    assert crawler.Options.__name__ == "Options" and crawler.DEFAULT_CHECKLIST.name == "oit-2565.yaml"
    assert set(crawler.__all__) <= set(dir(crawler))
    with pytest.raises(AttributeError):
        crawler.no_such_name  # noqa: B018


def test_a_reader_process_does_not_run_the_parents_main_script():
    """Spawned processes re-run the parent's main script (oit's imports the whole crawler): not the reader's."""
    from multiprocessing import spawn

    from crawler.documents.reader import _bare_main

    with _bare_main():
        prepared = spawn.get_preparation_data("oit-document-reader")
    assert "init_main_from_path" not in prepared and "init_main_from_name" not in prepared


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="reads the reader's /proc maps")
def test_a_reader_started_by_oit_maps_no_html_parser(tmp_path):
    """End to end: a main script importing crawler.cli (as oit's does) starts a reader; it reads a PDF without them."""
    script = tmp_path / "main.py"
    script.write_text(
        "import asyncio, sys\n"
        "from crawler.cli import main  # noqa: F401  (what the oit console script does)\n"
        "if __name__ == '__main__':\n"
        "    from crawler.documents import read_text_isolated, reader\n"
        f"    doc = asyncio.run(read_text_isolated(open({str(DOCS / 'plan-2565.pdf')!r}, 'rb').read()))\n"
        "    maps = open(f'/proc/{reader._idle[0].proc.pid}/maps').read()\n"
        "    print(doc.pages, 'lexbor' in maps or 'selectolax' in maps)\n"
        "    reader.shutdown_readers()\n")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    pages, html_parser = out.stdout.split()
    assert int(pages) > 0 and html_parser == "False", out.stderr


def test_the_reader_side_loads_pythainlp_only_when_a_text_needs_its_normaliser():
    import pythainlp

    from crawler import thai

    for name in ("thai_above_vowels", "thai_below_vowels", "thai_follow_vowels", "thai_lead_vowels", "thai_tonemarks"):
        assert getattr(thai, name) == getattr(pythainlp, name), name  # written out as pythainlp has them
    assert "pythainlp" not in loaded_after("import crawler.documents.serve")
    assert "pythainlp" not in loaded_after("from crawler.documents import fix_pdf_thai; fix_pdf_thai('ข้อมูล ข่าวสาร')")
    assert "pythainlp" in loaded_after("from crawler.documents import fix_pdf_thai; fix_pdf_thai('นานาาา ดีีีี')")

