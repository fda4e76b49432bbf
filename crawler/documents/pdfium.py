"""PDF text by PDFium (pypdfium2), given only a file whose every stream it would decode was measured small."""

from __future__ import annotations

import re
import zlib

from .caps import MAX_INFLATE, MAX_OBJECTS, MAX_STREAMS, PDFIUM_STREAM, DocText, _cap, _clock
from .pdf import _looks_complete, _pdf_result
from .repair import fix_pdf_thai

# PDFium (pypdfium2) reads a page's text some 20 times faster than pypdf and opens cut-off files by
# itself, but it decodes natively and all at once: a decompression bomb would take the process down
# (it aborts when out of memory) instead of raising. So it is only given a file whose every stream it
# would decode for text is measured first (inflated and counted, nothing kept): no stream past
# PDFIUM_STREAM, MAX_INFLATE in all. Images are not measured (PDFium does not decode them for text).
# A file that cannot be measured (another filter, encrypted, broken data) or is too big goes to pypdf,
# which reads it page by page under its own caps. The reader process (RLIMIT_AS, hard deadline) stays
# the last line: a file PDFium still chokes on costs that process, not the crawler.

_STREAM_START = re.compile(rb">>\s{0,16}stream(?:\r\n|\n|\r)")
_IMAGE = re.compile(rb"/Subtype\s{0,8}/Image(?![\w])")
# a stream whose first filter is an image codec: PDFium hands such a stream on undecoded (its filter chain stops at
# the first image codec, and text extraction never decodes an image), so there is nothing to measure; real
# scanners write JPEG thumbnails and patterns without /Subtype /Image
_IMAGE_CODEC = re.compile(
    rb"/Filter\s{0,8}(?:\[\s{0,8})?/(?:DCTDecode|DCT|JPXDecode|JBIG2Decode|CCITTFaxDecode|CCF)(?![\w])")
_FILTER = re.compile(rb"/Filter(?![\w])")
# one filter, FlateDecode (a name, or an array of that name alone)
_FLATE_ONLY = re.compile(rb"/Filter\s{0,8}(?:/(?:FlateDecode|Fl)(?![\w])|\[\s{0,8}/(?:FlateDecode|Fl)\s{0,8}\])")


def _pdfium():
    """The pypdfium2 module, or None where it is not installed (pypdf then reads every PDF)."""
    try:
        import pypdfium2
    except ImportError:
        return None
    return pypdfium2


def _inflated_size(data: bytes, start: int, limit: int) -> tuple[int, int]:
    """(bytes the zlib stream at `start` inflates to, limit + 1 when more; where its compressed data ends)."""
    inflater = zlib.decompressobj()
    total = 0
    pos = start
    while pos < len(data):
        piece = data[pos : pos + 64 * 1024]
        pos += len(piece)
        while piece and not inflater.eof:  # at its end, zlib may leave the bytes after it in unconsumed_tail too
            total += len(inflater.decompress(piece, 1024 * 1024))
            if total > limit:
                return limit + 1, pos
            piece = inflater.unconsumed_tail
        if inflater.eof:
            return total, pos - len(inflater.unused_data)
    return total, pos


def _stream_dict(data: bytes, at: int) -> bytes:
    """The dictionary of the stream starting at `at` (from its "obj" header, 1 KB back at most)."""
    head = data[max(0, at - 1024) : at]
    return head[head.rfind(b"obj") + 1 :]


def _fits_pdfium(data: bytes, deadline: float) -> bool:
    """Whether every stream PDFium would decode for text was measured within PDFIUM_STREAM and MAX_INFLATE."""
    total = 0
    end = 0
    for count, m in enumerate(_STREAM_START.finditer(data)):
        if m.start() < end:  # inside the data of the stream before
            continue
        if count >= MAX_STREAMS or (count % 256 == 255 and _clock() > deadline):
            return False
        head = _stream_dict(data, m.start())
        if _IMAGE.search(head) or _IMAGE_CODEC.search(head):
            continue
        filtered = _FILTER.search(head)
        if filtered and not _FLATE_ONLY.search(head):
            return False
        try:  # a stream that looks unfiltered is inflated too when it can be: its dictionary may have been misread
            size, end = _inflated_size(data, m.end(), PDFIUM_STREAM)
        except zlib.error:
            if filtered:
                return False
            stop = data.find(b"endstream", m.end())
            end = len(data) if stop < 0 else stop
            size = end - m.end()
        total += size
        if size > PDFIUM_STREAM or total > MAX_INFLATE:
            return False
    return True


def _page_text(pdf, index: int) -> str:
    """The text of one page, its PDFium page and text page closed before returning."""
    page = pdf[index]
    try:
        textpage = page.get_textpage()
        try:
            return textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()


def _draws_image(raw, parent, form: bool, depth: int, budget: list[int]) -> bool:
    """Whether a page (or form XObject, two levels deep) draws an image; `budget` counts objects looked at."""
    count = raw.FPDFFormObj_CountObjects(parent) if form else raw.FPDFPage_CountObjects(parent)
    for i in range(max(0, count)):
        budget[0] -= 1
        if budget[0] < 0:
            return False
        obj = raw.FPDFFormObj_GetObject(parent, i) if form else raw.FPDFPage_GetObject(parent, i)
        kind = raw.FPDFPageObj_GetType(obj) if obj else None
        if kind == raw.FPDF_PAGEOBJ_IMAGE:
            return True
        if kind == raw.FPDF_PAGEOBJ_FORM and depth < 2 and _draws_image(raw, obj, True, depth + 1, budget):
            return True
    return False


def _any_image(pdfium, pdf, indexes: list[int], deadline: float) -> bool:
    """Whether one of these pages draws an image (looked at within the deadline and MAX_OBJECTS)."""
    budget = [MAX_OBJECTS]
    for index in indexes:
        if _clock() > deadline or budget[0] <= 0:
            return False
        try:
            page = pdf[index]
        except Exception:
            continue
        try:
            if _draws_image(pdfium.raw, page.raw, False, 0, budget):
                return True
        finally:
            page.close()
    return False


def _read_pdfium(pdfium, data: bytes, max_pages: int, deadline: float, max_chars: int) -> DocText | None:
    """The PDF's text by PDFium; None when PDFium cannot open it or finds no page (pypdf then tries)."""
    complete = _looks_complete(data)
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == pdfium.raw.FPDF_ERR_PASSWORD:
            return DocText("pdf", "", 0, False, False, "encrypted")
        return None
    try:
        count = len(pdf)
        if count <= 0:
            return None
        return _pdfium_text(pdfium, pdf, count, complete, max_pages, deadline, max_chars)
    finally:
        pdf.close()


def _pdfium_text(pdfium, pdf, count: int, complete: bool, max_pages: int, deadline: float,
                 max_chars: int) -> DocText:
    """Read up to max_pages pages (the deadline checked between pages), as the pypdf reader does."""
    parts: list[str] = []
    read: list[int] = []
    size = 0
    truncated = not complete
    failed: str | None = None
    for index in range(count):
        if index >= max_pages or size >= max_chars or _clock() > deadline:
            truncated = True
            break
        try:
            raw = _page_text(pdf, index)
        except Exception as exc:
            failed = failed or type(exc).__name__
            truncated = truncated or not complete
            if not complete:
                break  # the rest of an incomplete file is missing, not just this page
            continue
        read.append(index)
        fixed = fix_pdf_thai(raw[: max_chars - size + 1000])
        parts.append(fixed)
        size += len(fixed) + 1
    text, cut = _cap("\n".join(p for p in parts if p), max_chars)
    # images only matter to a PDF with next to no text: only then are its pages looked through
    return _pdf_result(text, len(read), complete, truncated or cut, failed,
                       lambda: _any_image(pdfium, pdf, read, deadline))
