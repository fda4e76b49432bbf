"""Regenerate the document fixtures in this folder (the tests read the committed files, they never run this).

Needs, for generation only (not runtime dependencies of the crawler):

    apt-get install -y fonts-thai-tlwg          # Thai TrueType fonts (Garuda.ttf)
    .venv/bin/pip install fpdf2                  # PDF writer (subsets the font)

Then, from the repository root:

    .venv/bin/python tests/data/docs/make_docs.py

Writes plan-2565.pdf, risk-2563.pdf, scanned.pdf, broken.pdf (first 60% of plan-2565.pdf),
skr1-2565.docx and stats-2565.xlsx. DOCX/XLSX are minimal OOXML written with zipfile only.
Output is deterministic (fixed creation dates and zip timestamps) so re-running gives the same bytes
as long as the fpdf2 and font versions are the same.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import sys
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
FONT_DIRS = ("/usr/share/fonts/truetype/tlwg", "/usr/share/fonts/opentype/tlwg")
FONT_NAMES = ("Garuda.ttf", "Loma.ttf", "Garuda.otf", "Loma.otf")
FIXED_DATE = dt.datetime(2022, 1, 1, tzinfo=dt.UTC)
ZIP_DATE = (2022, 1, 1, 0, 0, 0)


def thai_font() -> str:
    override = os.environ.get("THAI_FONT")
    if override:
        return override
    for d in FONT_DIRS:
        for name in FONT_NAMES:
            path = Path(d) / name
            if path.exists():
                return str(path)
    sys.exit("no Thai font found: apt-get install -y fonts-thai-tlwg (or set THAI_FONT=/path/to/font.ttf)")


def _pdf():
    from fpdf import FPDF  # generation-only dependency

    pdf = FPDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_compression(True)
    return pdf


def thai_pdf(path: Path, pages: list[list[str]]) -> None:
    pdf = _pdf()
    pdf.add_font("thai", "", thai_font())
    pdf.set_font("thai", size=16)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


PLAN = [
    [
        "แผนการดำเนินงาน ประจำปีงบประมาณ พ.ศ. ๒๕๖๕",
        "เทศบาลตำบลตัวอย่าง อำเภอเมือง จังหวัดสุพรรณบุรี",
        "ข้อมูล ณ วันที่ 15 ตุลาคม 2564",
    ],
    [
        "บัญชีโครงการ/กิจกรรม ประจำปีงบประมาณ พ.ศ. ๒๕๖๕",
        "ยุทธศาสตร์ที่ ๑ การพัฒนาด้านโครงสร้างพื้นฐาน",
        "โครงการก่อสร้างถนนคอนกรีตเสริมเหล็ก งบประมาณ 500,000 บาท",
    ],
]

# risk-2563.pdf imitates what old producers leave in the text layer, so the reader's repair is tested on a
# real PDF: the title is laid out one glyph at a time with gaps (pypdf then extracts "ป ร ะ จ ำ ป ี ..."),
# body lines use the old-font private-use marks U+F70A..U+F70E (shifted tone marks / thanthakhat), a
# decomposed sara am (U+0E4D U+0E32) and a tone mark stored before its vowel.
RISK_TITLE = ["การประเมินความเสี่ยงการทุจริตและประพฤติมิชอบ", "ประจำปีงบประมาณ พ.ศ. 2563"]
RISK_BODY = [
    "เหตุการณ\uf70eความเสี่ยง: การใช\uf70bทรัพย\uf70eสินของราชการเพื่อประโยชน\uf70eส\uf70aวนตน",
    "ระดับความเส\u0e48\u0e35ยง: สูง",
    "มาตรการ: จัดท\u0e4d\u0e32ทะเบียนคุมการยืมพัสดุและตรวจสอบทุกเดือน",
]


def risk_pdf(path: Path) -> None:
    pdf = _pdf()
    pdf.add_font("thai", "", thai_font())
    pdf.add_page()
    pdf.set_font("thai", size=14)
    y = 20.0
    for line in RISK_TITLE:
        x = 10.0
        for ch in line:  # one text object per glyph, 1 mm apart: no word structure left in the PDF
            pdf.text(x, y, ch)
            x += pdf.get_string_width(ch) + 1.0
        y += 9
    pdf.set_font("thai", size=16)
    pdf.set_xy(10, y)
    for line in RISK_BODY:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def scanned_pdf(path: Path) -> None:
    """One page holding only a picture of text (no text layer)."""
    from PIL import Image, ImageDraw  # installed with fpdf2

    img = Image.new("L", (400, 120), 255)
    draw = ImageDraw.Draw(img)
    for i in range(6):
        draw.rectangle((20, 15 + i * 16, 380 - i * 30, 23 + i * 16), fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    pdf = _pdf()
    pdf.add_page()
    pdf.image(buf, x=10, y=10, w=190)
    pdf.output(str(path))


def _zip(path: Path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, text.encode("utf-8"))


CT_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
S_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

SKR1_ROWS = [
    ("เดือน", "งานที่จัดซื้อจัดจ้าง", "วิธีซื้อหรือจ้าง", "หมายเหตุ"),
    ("ตุลาคม 2564", "-", "-", "ไม่มีการจัดซื้อจัดจ้าง"),
    ("พฤศจิกายน 2564", "จัดซื้อวัสดุสำนักงาน", "เฉพาะเจาะจง", "12,500 บาท"),
    ("ธันวาคม 2564", "-", "-", "ไม่มีการจัดซื้อจัดจ้าง"),
]


def _w_par(text: str) -> str:
    return f'<w:p><w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p>'


def docx(path: Path) -> None:
    rows = "".join(
        "<w:tr>" + "".join(f"<w:tc>{_w_par(cell)}</w:tc>" for cell in row) + "</w:tr>" for row in SKR1_ROWS
    )
    body = (
        _w_par("สรุปผลการดำเนินการจัดซื้อจัดจ้าง (แบบ สขร.1) ประจำปีงบประมาณ พ.ศ. 2565")
        # a word split over two runs, as Word often writes it
        + '<w:p><w:r><w:t>เทศบาลตำบล</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>ตัวอย่าง</w:t></w:r></w:p>'
        + f"<w:tbl>{rows}</w:tbl>"
        + _w_par("ข้อมูล ณ วันที่ ๕ มกราคม ๒๕๖๕")
        + "<w:sectPr/>"
    )
    _zip(
        path,
        {
            "[Content_Types].xml": CT_HEAD
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
            "_rels/.rels": CT_HEAD
            + f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" Type="{DOC_REL}" '
            'Target="word/document.xml"/></Relationships>',
            "word/document.xml": CT_HEAD + f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>',
        },
    )


STATS_ROWS = [
    ["สถิติการให้บริการ ประจำปีงบประมาณ พ.ศ. 2565"],
    ["เดือน", "จำนวนผู้รับบริการ", "เรื่องร้องเรียน"],
    ["ตุลาคม 2564", 120, 2],
    ["พฤศจิกายน 2564", 98, 0],
    ["ธันวาคม 2564", 143, 1],
]


def _col(i: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[i]


def xlsx(path: Path) -> None:
    shared: list[str] = []
    rows = []
    for r, row in enumerate(STATS_ROWS, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_col(c)}{r}"
            if isinstance(value, str) and r == 5:
                # one inline string, as some generators write them
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
            elif isinstance(value, str):
                if value not in shared:
                    shared.append(value)
                cells.append(f'<c r="{ref}" t="s"><v>{shared.index(value)}</v></c>')
            else:
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
        rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in shared)
    _zip(
        path,
        {
            "[Content_Types].xml": CT_HEAD
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            "</Types>",
            "_rels/.rels": CT_HEAD
            + f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" Type="{DOC_REL}" '
            'Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": CT_HEAD
            + f'<workbook xmlns="{S_NS}" xmlns:r="{R_NS}"><sheets>'
            '<sheet name="สถิติ" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": CT_HEAD
            + f'<Relationships xmlns="{RELS_NS}">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'sharedStrings" Target="sharedStrings.xml"/></Relationships>',
            "xl/sharedStrings.xml": CT_HEAD
            + f'<sst xmlns="{S_NS}" count="{len(shared)}" uniqueCount="{len(shared)}">{sst}</sst>',
            "xl/worksheets/sheet1.xml": CT_HEAD
            + f'<worksheet xmlns="{S_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>',
        },
    )


def main() -> None:
    thai_pdf(HERE / "plan-2565.pdf", PLAN)
    risk_pdf(HERE / "risk-2563.pdf")
    scanned_pdf(HERE / "scanned.pdf")
    data = (HERE / "plan-2565.pdf").read_bytes()
    (HERE / "broken.pdf").write_bytes(data[: len(data) * 60 // 100])
    docx(HERE / "skr1-2565.docx")
    xlsx(HERE / "stats-2565.xlsx")
    for name in sorted(p.name for p in HERE.iterdir() if p.suffix in {".pdf", ".docx", ".xlsx"}):
        print(f"{name:20} {(HERE / name).stat().st_size:7} bytes")


if __name__ == "__main__":
    main()
