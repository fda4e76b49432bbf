"""An Excel workbook of runs and batches, written with the standard library only."""

from __future__ import annotations

import io
import re
import zipfile
from xml.sax.saxutils import escape as xml_escape

from ..models import STATUS_TH, STATUSES
from .common import CONTROL, http_url
from .tables import table

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# style ids in styles.xml: 0 normal, 1 header, 2.. the statuses, then wrapped text
_STYLE = {"header": 1, **{s: 2 + i for i, s in enumerate(STATUSES)}, "wrap": 2 + len(STATUSES)}
_FILLS = {"found": "FFE3F5E8", "review": "FFFFF4D6", "stale": "FFEFE6FB", "broken": "FFFDE7E7", "missing": "FFFDE7E7",
          "not_due": "FFE3F3F7"}
_TH_STATUS = {v: k for k, v in STATUS_TH.items()}


def _col(n: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _x(text: object) -> str:
    return xml_escape(CONTROL.sub("", str(text))[:32767], {'"': "&quot;"})


def _sheet(rows: list[list[object]], widths: list[float], freeze: tuple[int, int] = (1, 1),
           status_cols: range | None = None) -> str:
    """A worksheet: header row styled, frozen panes, autofilter, status cells coloured."""
    out = []
    for r, row in enumerate(rows):
        cells = []
        for c, v in enumerate(row):
            ref = f"{_col(c)}{r + 1}"
            if r == 0:
                style = _STYLE["header"]
            elif status_cols is not None and c in status_cols and v in _TH_STATUS:
                style = _STYLE[_TH_STATUS[v]]
            else:
                style = 0
            s = f' s="{style}"' if style else ""
            if v is None or v == "":
                if style:
                    cells.append(f'<c r="{ref}"{s}/>')
                continue
            if isinstance(v, bool):
                v = str(v)
            if isinstance(v, int | float):
                cells.append(f'<c r="{ref}"{s}><v>{v}</v></c>')
            elif r and (link := _linkable(v)):  # a clickable link: Excel's HYPERLINK of a checked http(s) URL
                formula = 'HYPERLINK("' + link.replace('"', '""') + '")'
                cells.append(f'<c r="{ref}"{s} t="str"><f>{_x(formula)}</f><v>{_x(link)}</v></c>')
            else:
                cells.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_x(v)}</t></is></c>')
        out.append(f'<row r="{r + 1}">{"".join(cells)}</row>')
    ncols = max((len(r) for r in rows), default=1)
    fr, fc = freeze
    top_left = f"{_col(fc)}{fr + 1}"
    pane_attrs = []
    if fc:
        pane_attrs.append(f'xSplit="{fc}"')
    if fr:
        pane_attrs.append(f'ySplit="{fr}"')
    active = "bottomRight" if fr and fc else ("bottomLeft" if fr else "topRight")
    pane = (f'<pane {" ".join(pane_attrs)} topLeftCell="{top_left}" activePane="{active}" state="frozen"/>'
            f'<selection pane="{active}" activeCell="{top_left}" sqref="{top_left}"/>') if (fr or fc) else ""
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths))
    last = f"{_col(ncols - 1)}{max(len(rows), 1)}"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}" xmlns:r="{_REL}">'
            f'<dimension ref="A1:{last}"/><sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/>'
            + (f"<cols>{cols}</cols>" if cols else "")
            + f'<sheetData>{"".join(out)}</sheetData>'
            + (f'<autoFilter ref="A1:{last}"/>' if len(rows) > 1 else "") + "</worksheet>")


def _styles() -> str:
    fills = "".join(f'<fill><patternFill patternType="solid"><fgColor rgb="{_FILLS[s]}"/><bgColor indexed="64"/>'
                    "</patternFill></fill>" for s in STATUSES)
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>',
           '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1"/>']
    xfs += [f'<xf numFmtId="0" fontId="0" fillId="{3 + i}" borderId="0" xfId="0" applyFill="1"/>'
            for i in range(len(STATUSES))]
    xfs.append('<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
               '<alignment wrapText="1" vertical="top"/></xf>')
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
            '<fonts count="2"><font><sz val="11"/><name val="Tahoma"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Tahoma"/><family val="2"/></font></fonts>'
            f'<fills count="{3 + len(STATUSES)}"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FF27364A"/><bgColor indexed="64"/>'
            "</patternFill></fill>"
            f"{fills}</fills>"
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>")


def _linkable(value: object) -> str | None:
    """The cell's text when it is one http(s) URL short enough for HYPERLINK (255 characters), else None."""
    url = http_url(value) if isinstance(value, str) else None
    return url if url and url == value and len(url) <= 255 and " " not in url else None


def _sheet_name(name: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", name)[:31] or "Sheet"


def to_xlsx(docs: list[dict], batch: dict | None = None) -> bytes:
    """An Excel workbook (no dependency): สรุป (matrix), รายการ (site x item), รายข้อ (counts per item)."""
    matrix = table(docs, batch, layout="matrix")
    n_items = len(matrix[0]) - 6 - len(STATUSES) - 2
    items = table(docs, batch, layout="items")
    per_item = table(docs, batch, layout="per-item")
    sheets = [
        ("สรุป", _sheet(matrix, [28, 14, 14, 14, 30, 24, *[9] * n_items, *[10] * len(STATUSES), 50, 40], (1, 1),
                       range(6, 6 + n_items))),
        ("รายการ", _sheet(items, [28, 12, 12, 30, 24, 6, 36, 12, 9, 7, 40, 50, 30, 18, 24, 36, 50, 60], (1, 6),
                         range(7, 8))),
        ("รายข้อ", _sheet(per_item, [6, 44, *[10] * len(STATUSES), 11, 14], (1, 2))),
    ]
    names = [_sheet_name(n) for n, _ in sheets]
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                  'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                  for i in range(len(sheets)))
        + "</Types>")
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        '<bookViews><workbookView activeTab="0"/></bookViews><sheets>'
        + "".join(f'<sheet name="{_x(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>' for i, n in enumerate(names))
        + "</sheets>"
        + "<definedNames>"
        + "".join(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                  f"'{_x(n)}'!$A$1:${_col(len(rows[0]) - 1)}${len(rows)}</definedName>"
                  for i, (n, rows) in enumerate(zip(names, (matrix, items, per_item), strict=True)) if len(rows) > 1)
        + "</definedNames></workbook>")
    workbook = workbook.replace("<definedNames></definedNames>", "")
    wb_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(f'<Relationship Id="rId{i + 1}" Type="{_REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                  for i in range(len(sheets)))
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", content_types)
        z.writestr("_rels/.rels", root_rels)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", wb_rels)
        z.writestr("xl/styles.xml", _styles())
        for i, (_, xml) in enumerate(sheets):
            z.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
    return buf.getvalue()
