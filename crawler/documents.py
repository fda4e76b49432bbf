"""Text out of downloaded evidence documents: PDF (PDFium, pypdf where PDFium is not given the file), DOCX and XLSX.

`read_text` never raises and is capped in pages, characters, seconds and decompressed bytes, so a
hostile or broken file costs little. It runs in the calling process, though, where a parser stuck
inside one call cannot be interrupted: `read_text_isolated` runs it in a reader process killed at a
hard deadline, so no document holds up the event loop, the scan's time limit or Ctrl-C, and its
memory is bounded (RLIMIT_AS where the system has it). DOC/XLS (old OLE binaries) are recognised but
not read: the caller falls back on the file name and the link text. PDF text from Thai fonts is often
mangled (marks split off or reordered, spaces between letters, old-font private-use code points);
`fix_pdf_thai` repairs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import logging
import multiprocessing
import re
import signal
import struct
import sys
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, XMLPullParser

from .thai import cap_marks, clean

KINDS = ("pdf", "docx", "xlsx", "doc", "xls", "other")
MAX_MEMBER = 20 * 1024 * 1024  # uncompressed bytes read from one zip member
MAX_SHEETS = 5
OLD_OFFICE = "old Office format: text not read"
PARSE_RATE = 400_000  # content-stream bytes pypdf parses and extracts per second, conservatively
MAX_STREAM = 10 * 1024 * 1024  # decoded bytes of one PDF stream (pypdf's decompression limits)
MAX_INFLATE = 40 * 1024 * 1024  # decoded page content (content and form streams) read per PDF
MAX_PAGE_NODES = 200_000  # page-tree nodes walked per PDF
# the reader's own caps count the CPU time it spent, not the wall clock: a busy machine reads the same pages
# of a document as an idle one (the hard deadline below, on the wall clock, is only the safety net)
_clock = time.process_time
TIMEOUT = 10.0  # hard deadline of read_text_isolated, reader process start-up included
WORKER_MEMORY = 512 * 1024 * 1024  # address space of a reader process (RLIMIT_AS, where supported)
WORKER_RETIRE = 300 * 1024 * 1024  # a reader process whose peak RSS passed this is replaced
MAX_WORKERS = 2  # reader processes at once
TIMED_OUT = "อ่านเอกสารไม่ทันเวลา"  # the error of a document not read by the hard deadline

# pypdf reports every repaired xref or odd object as a logging warning; a crawler reading broken
# municipal PDFs by the hundred should not print them. Only quietened when nobody configured it.
_pypdf_log = logging.getLogger("pypdf")
if _pypdf_log.level == logging.NOTSET:
    _pypdf_log.setLevel(logging.ERROR)


@dataclass
class DocText:
    kind: str  # "pdf" | "docx" | "xlsx" | "doc" | "xls" | "other"
    text: str  # normalised text ("" when none)
    pages: int  # pages read (pdf), 0 otherwise
    scanned: bool  # a PDF with no text layer (images only)
    truncated: bool  # stopped by a cap (bytes, pages or seconds)
    error: str | None  # why it could not be read (encrypted, broken, unsupported)


# ---------------------------------------------------------------------------------------------- sniff

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TYPES = (
    ("pdf", "pdf"),
    ("wordprocessingml", "docx"),
    ("spreadsheetml", "xlsx"),
    ("msword", "doc"),
    ("ms-excel", "xls"),
    ("excel", "xls"),
)
_EXTENSIONS = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "doc": "doc", "xls": "xls"}
_LOCAL_HEADER = b"PK\x03\x04"


def _hint(content_type: str, url: str) -> str:
    ct = (content_type or "").split(";")[0].strip().lower()
    for needle, kind in _TYPES:
        if needle in ct:
            return kind
    path = (url or "").split("#")[0].split("?")[0].rstrip("/").lower()
    ext = path.rsplit("/", 1)[-1].rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return _EXTENSIONS.get(ext, "other")


def _zip_names(data: bytes) -> list[str]:
    """Member names from the central directory, or from local headers when the zip is cut short."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.namelist()
    except Exception:
        return [name for name, *_ in _local_members(data)]


def _ole_kind(data: bytes) -> str | None:
    head = data[: 1 << 20]
    if "WordDocument".encode("utf-16-le") in head:
        return "doc"
    if "Workbook".encode("utf-16-le") in head or "Book\x00".encode("utf-16-le") in head:
        return "xls"
    return None


def sniff(data: bytes, content_type: str = "", url: str = "") -> str:
    """The document kind: magic bytes first, then the content type, then the URL's extension."""
    hint = _hint(content_type, url)
    head = data[:1024] if data else b""
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(_LOCAL_HEADER):
        names = _zip_names(data)
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return hint if hint in ("docx", "xlsx") else "other"  # e.g. cut before word/ arrived
    if head.startswith(_OLE):
        kind = _ole_kind(data)
        if kind:
            return kind
        return hint if hint in ("doc", "xls") else "other"
    return hint


# ---------------------------------------------------------------------------------------------- read


def read_text(
    data: bytes,
    content_type: str = "",
    url: str = "",
    max_pages: int = 20,
    max_seconds: float = 5.0,
    max_chars: int = 200_000,
) -> DocText:
    """The document's normalised text, never raising; capped in pages, seconds and characters."""
    kind = "other"
    try:
        kind = sniff(data or b"", content_type, url)
        deadline = _clock() + max_seconds
        if kind == "pdf":
            return _read_pdf(data or b"", max_pages, deadline, max_chars)
        if kind in ("docx", "xlsx"):
            return _read_ooxml(kind, data or b"", deadline, max_chars)
        if kind in ("doc", "xls") or (data or b"").startswith(_OLE):
            return DocText(kind, "", 0, False, False, OLD_OFFICE)
        return DocText(kind, "", 0, False, False, "unsupported file type")
    except Exception as exc:  # a reader bug must not stop the crawl
        return DocText(kind, "", 0, False, False, f"unreadable: {type(exc).__name__}")


def _cap(text: str, max_chars: int) -> tuple[str, bool]:
    return (text[:max_chars], True) if len(text) > max_chars else (text, False)


# ---------------------------------------------------------------------------------------------- PDF


class _Timeout(Exception):
    pass


def _looks_complete(data: bytes) -> bool:
    return b"%%EOF" in data[-2048:]


def _has_images(page, depth: int = 0) -> bool:
    try:
        resources = page.get("/Resources") if depth == 0 else page
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None:
            return False
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            subtype = obj.get("/Subtype")
            if subtype == "/Image":
                return True
            if subtype == "/Form" and depth < 2 and _has_images(obj.get("/Resources"), depth + 1):
                return True
    except Exception:
        return False
    return False


class _Encrypted(Exception):
    pass


# pypdf's own decompression caps (75 MB a stream by default) are set to MAX_STREAM while reading.
_LIMITS = {
    "zlib_maximum_output_length": MAX_STREAM,
    "lzw_maximum_output_length": MAX_STREAM,
    "run_length_maximum_output_length": MAX_STREAM,
    "jbig2_maximum_output_length": MAX_STREAM,
    "brotli_maximum_output_length": MAX_STREAM,
    "array_based_stream_maximum_output_length": MAX_STREAM,
    "image_maximum_buffer_size": MAX_STREAM,
    "stream_decoding_work_maximum_length": 4 * MAX_STREAM,
    "xfa_decoding_work_maximum_length": 4 * MAX_STREAM,
    "xmp_maximum_input_length": 1024 * 1024,
}
_LEGACY_LIMITS = ("ZLIB_MAX_OUTPUT_LENGTH", "LZW_MAX_OUTPUT_LENGTH", "RUN_LENGTH_MAX_OUTPUT_LENGTH",
                  "JBIG2_MAX_OUTPUT_LENGTH", "MAX_ARRAY_BASED_STREAM_OUTPUT_LENGTH", "FLATE_MAX_BUFFER_SIZE")


@contextlib.contextmanager
def _pypdf_limits(pypdf) -> Iterator[None]:
    apply = getattr(pypdf, "apply_configuration", None)
    if apply is not None:  # pypdf >= 7: a context-local configuration
        fields = {f.name for f in dataclasses.fields(pypdf.Configuration)}
        with apply(**{k: v for k, v in _LIMITS.items() if k in fields}):
            yield
        return
    from pypdf import filters  # older pypdf: module constants, only ever lowered

    for name in _LEGACY_LIMITS:
        if getattr(filters, name, 0) > MAX_STREAM:
            setattr(filters, name, MAX_STREAM)
    yield


def _open_pdf(pypdf, data: bytes):
    reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            decrypted = reader.decrypt("")
        except Exception:
            decrypted = 0
        if not decrypted:
            raise _Encrypted
    return reader


# A cut-off PDF's catalog: "/Type /Catalog" found by plain search, then the object header just before
# it. One pattern spanning both from every "N G obj" scanned up to 800 bytes each time (and `\d+`
# re-scanned every digit run from each of its digits): quadratic on a file of digits.
_CATALOG_TYPE = re.compile(rb"/Type\s{0,32}/Catalog\b")
_OBJ_HEADER = re.compile(rb"(?<!\d)(\d{1,10}) (\d{1,5}) obj\s{0,32}<<")


def _with_trailer(data: bytes) -> bytes | None:
    """A cut-off PDF (no xref, no trailer) given a trailer naming its catalog, so pypdf can scan it."""
    for found, m in enumerate(_CATALOG_TYPE.finditer(data)):
        if found >= 100:
            break
        window = data[max(0, m.start() - 840) : m.start()]
        window = window[window.rfind(b"endobj") + 6 :] if b"endobj" in window else window
        headers = list(_OBJ_HEADER.finditer(window))
        if headers:
            root = headers[-1].group(1) + b" " + headers[-1].group(2)
            return data + b"\nendstream\nendobj\ntrailer\n<< /Root " + root + b" R >>\nstartxref\n0\n%%EOF\n"
    return None


_INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


def _walk_pages(pypdf, reader, limit: int, deadline: float) -> list:
    """Up to `limit` pages in order, walking the page tree only that far.

    `reader.pages` flattens the whole tree first: seconds for 100,000 pages, whatever is read.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    root = reader.trailer["/Root"].get_object()
    pages: list = []
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Iterator, dict]] = [(iter([root["/Pages"]]), {})]
    nodes = 0
    while stack and len(pages) < limit:
        kids, inherit = stack[-1]
        ref = next(kids, None)
        if ref is None:
            stack.pop()
            continue
        nodes += 1
        if nodes > MAX_PAGE_NODES:
            break
        if nodes % 256 == 0 and _clock() > deadline:
            raise _Timeout
        indirect = ref if isinstance(ref, IndirectObject) else None
        if indirect is not None:
            if (indirect.idnum, indirect.generation) in seen:
                continue  # a loop in the tree
            seen.add((indirect.idnum, indirect.generation))
        node = ref.get_object()
        if not isinstance(node, DictionaryObject):
            continue
        if "/Kids" in node and node.get("/Type") != "/Page":
            children = node["/Kids"].get_object()
            if isinstance(children, ArrayObject) and len(stack) < 100:
                here = dict(inherit)
                here.update({k: node[k] for k in node if k in _INHERITED})
                stack.append((iter(children), here))
            continue
        page = pypdf.PageObject(reader, indirect)
        if indirect is None:
            page.update(node)
        for k, v in inherit.items():
            if k not in page:
                page[NameObject(k)] = v
        pages.append(page)
    return pages


def _streams(page, depth: int = 0) -> Iterator:
    """The page's content streams and the form XObjects it draws (two levels deep)."""
    from pypdf.generic import ArrayObject, StreamObject

    if depth == 0:
        contents = page.get("/Contents")
        contents = contents.get_object() if contents is not None else None
        for part in contents if isinstance(contents, ArrayObject) else [contents]:
            part = part.get_object() if part is not None else None
            if isinstance(part, StreamObject):
                yield part
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    xobjects = resources.get("/XObject") if hasattr(resources, "get") else None
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not hasattr(xobjects, "values"):
        return
    for ref in list(xobjects.values())[:100]:
        obj = ref.get_object()
        if isinstance(obj, StreamObject) and obj.get("/Subtype") == "/Form":
            yield obj
            if depth < 1:
                yield from _streams(obj, depth + 1)


def _decoded_size(stream, limit: int) -> int:
    """The bytes a stream decodes to, counted without keeping them; limit + 1 when more than `limit`.

    Flate streams (nearly all of them) are inflated a piece at a time and thrown away; others are
    decoded by pypdf under its MAX_STREAM cap and the decoded copy dropped.
    """
    raw = getattr(stream, "_data", b"") or b""
    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    names = [str(f) for f in filters] if isinstance(filters, list) else ([str(filters)] if filters else [])
    if not names:
        return len(raw)
    if names in (["/FlateDecode"], ["/Fl"]):
        inflater = zlib.decompressobj()
        total = 0
        try:
            for i in range(0, len(raw), 64 * 1024):
                piece = raw[i : i + 64 * 1024]
                while piece and not inflater.eof:  # at its end, bytes after it may stay in unconsumed_tail
                    total += len(inflater.decompress(piece, 1024 * 1024))
                    if total > limit:
                        return limit + 1
                    piece = inflater.unconsumed_tail
                if inflater.eof:
                    break
            return total
        except zlib.error:
            pass  # broken stream: pypdf's recovery decides, under its cap
    try:
        size = len(stream.get_data())
    except Exception:
        size = 0
    _drop_decoded(stream)
    return size if size <= limit else limit + 1


def _drop_decoded(stream) -> None:
    """Forget pypdf's cached decoded copy of a stream (it keeps one on every stream it decoded)."""
    if getattr(stream, "decoded_self", None) is not None:
        stream.decoded_self = None


def _read_pdf(data: bytes, max_pages: int, deadline: float, max_chars: int) -> DocText:
    """PDFium when it can open the file and every stream it would decode is measured small; pypdf otherwise."""
    if b"%PDF-" not in data[:1024]:
        return DocText("pdf", "", 0, False, False, "not a PDF file")
    pdfium = _pdfium()
    if pdfium is not None and _fits_pdfium(data, deadline):
        doc = _read_pdfium(pdfium, data, max_pages, deadline, max_chars)
        if doc is not None:
            return doc
    import pypdf  # imported here: the crawler runs without it when it never meets a PDF

    with _pypdf_limits(pypdf):
        return _read_pdf_limited(pypdf, data, max_pages, deadline, max_chars)


def _read_pdf_limited(pypdf, data: bytes, max_pages: int, deadline: float, max_chars: int) -> DocText:
    complete = _looks_complete(data)
    try:
        reader = _open_pdf(pypdf, data)
        pages_found = _walk_pages(pypdf, reader, max_pages + 1, deadline)
    except _Encrypted:
        return DocText("pdf", "", 0, False, False, "encrypted")
    except _Timeout:
        return DocText("pdf", "", 0, False, True, TIMED_OUT)
    except Exception as exc:
        patched = None if complete else _with_trailer(data)
        try:
            if patched is None or _clock() > deadline:
                raise
            reader = _open_pdf(pypdf, patched)
            pages_found = _walk_pages(pypdf, reader, max_pages + 1, deadline)
        except _Encrypted:
            return DocText("pdf", "", 0, False, True, "encrypted")
        except Exception:
            error = "incomplete file" if not complete else f"broken PDF: {type(exc).__name__}"
            return DocText("pdf", "", 0, False, not complete, error)
    if not pages_found:
        return DocText("pdf", "", 0, False, not complete, "incomplete file" if not complete else "no pages")

    def check(*_args: object) -> None:
        if _clock() > deadline:
            raise _Timeout

    parts: list[str] = []
    size = 0
    pages = 0
    inflated = 0
    images = False
    truncated = not complete
    failed: str | None = None
    for index, page in enumerate(pages_found):
        if index >= max_pages or size >= max_chars or _clock() > deadline:
            truncated = True
            break
        streams = []
        try:
            # pypdf parses a whole content stream before the first operator reaches `check`: a page
            # too big to parse in the time left is skipped, not started; its size is counted, not kept
            budget = int((deadline - _clock()) * PARSE_RATE)
            cost = 0
            for stream in _streams(page):
                streams.append(stream)
                cost += _decoded_size(stream, budget - cost)
                if cost > budget:
                    break
            if cost > budget or inflated + cost > MAX_INFLATE:
                truncated = True
                continue
            inflated += cost
            check()
            raw = page.extract_text(visitor_operand_before=check) or ""
        except _Timeout:
            truncated = True
            break
        except Exception as exc:
            failed = failed or type(exc).__name__
            truncated = truncated or not complete
            if not complete:
                break  # the rest of an incomplete file is missing, not just this page
            continue
        finally:
            for stream in streams:
                _drop_decoded(stream)
        pages += 1
        images = images or _has_images(page)
        # repaired page by page, so the repair's time counts against the deadline too
        fixed = fix_pdf_thai(raw[: max_chars - size + 1000])
        parts.append(fixed)
        size += len(fixed) + 1
    del reader, pages_found
    text = "\n".join(p for p in parts if p)
    text, cut = _cap(text, max_chars)
    return _pdf_result(text, pages, complete, truncated or cut, failed, lambda: images)


def _pdf_result(text: str, pages: int, complete: bool, truncated: bool, failed: str | None,
                has_images: Callable[[], bool]) -> DocText:
    """A read PDF's text judged: scanned (no text at all, or next to none over pictures; a cut file may just
    have lost its fonts) or broken. `has_images()` is asked only when the text is that thin."""
    dense = len("".join(text.split()))  # characters other than whitespace
    images = pages > 0 and dense < 20 * pages and has_images()
    scanned = pages > 0 and ((dense == 0 and (complete or images)) or (images and dense / pages < 20))
    error = None
    if not pages or (not complete and not dense):
        error = "incomplete file" if not complete else f"broken PDF: {failed or 'no readable page'}"
    return DocText("pdf", text, pages, scanned, truncated, error)


# ---------------------------------------------------------------------------------------------- PDF by PDFium

# PDFium (pypdfium2) reads a page's text some 20 times faster than pypdf and opens cut-off files by
# itself, but it decodes natively and all at once: a decompression bomb would take the process down
# (it aborts when out of memory) instead of raising. So it is only given a file whose every stream it
# would decode for text is measured first (inflated and counted, nothing kept): no stream past
# PDFIUM_STREAM, MAX_INFLATE in all. Images are not measured (PDFium does not decode them for text).
# A file that cannot be measured (another filter, encrypted, broken data) or is too big goes to pypdf,
# which reads it page by page under its own caps. The reader process (RLIMIT_AS, hard deadline) stays
# the last line: a file PDFium still chokes on costs that process, not the crawler.
PDFIUM_STREAM = 4 * 1024 * 1024  # decoded bytes of one stream in a file given to PDFium (~0.4 s, 130 MB at worst)
MAX_STREAMS = 20_000  # streams measured in one file before it is left to pypdf
MAX_OBJECTS = 100_000  # page objects looked through for an image (the scanned judgement)

_STREAM_START = re.compile(rb">>\s{0,16}stream(?:\r\n|\n|\r)")
_IMAGE = re.compile(rb"/Subtype\s{0,8}/Image(?![\w])")
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
        if _IMAGE.search(head):
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


# ---------------------------------------------------------------------------------------------- Thai repair

_THAI = "\u0e01-\u0e5b"
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"  # combining: vowels above/below, tone marks, thanthakhat...
_TONES = "\u0e48-\u0e4b"
_ABOVE_BELOW = "\u0e31\u0e34-\u0e3a\u0e47"  # vowels above and below, maitaikhu: written before a tone mark
_LEADING = "\u0e40-\u0e44"  # เ แ โ ใ ไ: written before their consonant, never end a word
_FOLLOWING = "\u0e30\u0e32\u0e33\u0e45"  # ะ า ำ ๅ: never start a word
_CONSONANTS = "\u0e01-\u0e2e"

# Old Thai fonts (Windows/Mac "shifted" glyphs) map their repositioned marks to U+F700-U+F71F.
_PUA = {
    0xF700: "\u0e10", 0xF701: "\u0e34", 0xF702: "\u0e35", 0xF703: "\u0e36", 0xF704: "\u0e37",
    0xF705: "\u0e48", 0xF706: "\u0e49", 0xF707: "\u0e4a", 0xF708: "\u0e4b", 0xF709: "\u0e4c",
    0xF70A: "\u0e48", 0xF70B: "\u0e49", 0xF70C: "\u0e4a", 0xF70D: "\u0e4b", 0xF70E: "\u0e4c",
    0xF70F: "\u0e0d", 0xF710: "\u0e31", 0xF711: "\u0e4d", 0xF712: "\u0e47", 0xF713: "\u0e48",
    0xF714: "\u0e49", 0xF715: "\u0e4a", 0xF716: "\u0e4b", 0xF717: "\u0e4c", 0xF718: "\u0e38",
    0xF719: "\u0e39", 0xF71A: "\u0e3a", 0xF71B: None, 0xF71C: None, 0xF71D: None,
    0xF71E: "\u0e4d", 0xF71F: "\u0e47",
}

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_SARA_AM = re.compile(f"\u0e4d([{_TONES}]?)\u0e32")  # ํ(tone)า -> (tone)ำ
_TONE_SARA_AM = re.compile(f"([{_TONES}])\u0e4d\u0e32")
_SPACE_BEFORE_MARK = re.compile(f"(?<=[{_THAI}]) +(?=[{_MARKS}{_FOLLOWING}])")
_SPACE_AFTER_LEADING = re.compile(f"(?<=[{_LEADING}]) +(?=[{_CONSONANTS}])")
# anchored at the start of a run of tone marks: from every mark of a long run, `+` scanned to its end
_TONE_FIRST = re.compile(f"(?<![{_TONES}\u0e4c])([{_TONES}\u0e4c]+)([{_ABOVE_BELOW}]+)")
_LEADING_AFTER = re.compile(f"([{_CONSONANTS}])([{_LEADING}])(?=[{_MARKS}])")  # สเี่ยง -> เสี่ยง
_CLUSTER = f"(?:[{_CONSONANTS}{_LEADING}{_FOLLOWING}\u0e2f\u0e46][{_MARKS}]*|[{_MARKS}]+)"
_THAI_RUN = re.compile(f"(?<!\\S){_CLUSTER}(?: {_CLUSTER}){{2,}}(?!\\S)")
_ONE = re.compile(f"^(?:.|{_CLUSTER})$")


def _spaced_out(line: str) -> bool:
    """A line whose characters were all pulled apart ("ก า ร ป ร ะ เ มิ น  2 5 6 3")."""
    tokens = [t for t in line.split(" ") if t]
    singles = [t for t in tokens if _ONE.match(t)]
    thai = sum(1 for t in singles if re.match(f"[{_THAI}]", t))
    return thai >= 4 and len(singles) >= 0.7 * len(tokens)


def _fix_line(line: str) -> str:
    line = _SPACES.sub(lambda m: "  " if len(m.group()) > 1 else " ", line).strip()
    if _spaced_out(line):
        # letters one space apart, words two or more apart
        line = " ".join(word.replace(" ", "") for word in re.split(r" {2,}", line))
    else:
        line = _THAI_RUN.sub(lambda m: m.group().replace(" ", ""), line)
    line = _SPACE_BEFORE_MARK.sub("", line)
    return _SPACE_AFTER_LEADING.sub("", line)


def fix_pdf_thai(text: str) -> str:
    """Repair Thai text extracted from a PDF, then `thai.clean` each line (line breaks kept).

    Old-font private-use marks (U+F700-U+F71F) become normal marks, ``ํ`` + ``า`` becomes ``ำ``,
    spaces before a combining mark or following vowel, after a leading vowel, and between the letters
    of a spaced-out run are removed, a tone mark before a vowel above/below is put after it, and a
    leading vowel extracted after its consonant is put back in front.
    """
    if not text:
        return ""
    text = cap_marks(text.translate(_PUA))
    text = _SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    text = _TONE_SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _fix_line(raw)
        line = _TONE_FIRST.sub(lambda m: m.group(2) + m.group(1), line)
        line = _LEADING_AFTER.sub(r"\2\1", line)
        line = clean(line)
        if line:
            lines.append(line)
    return "\n".join(lines)


def _clean_lines(text: str) -> str:
    return "\n".join(line for line in (clean(raw) for raw in text.split("\n")) if line)


# ---------------------------------------------------------------------------------------------- DOCX / XLSX


class _TooLarge(Exception):
    pass


def _local_members(data: bytes) -> Iterator[tuple[str, int, int, int, int]]:
    """(name, method, compressed size, uncompressed size, data offset) from local file headers.

    Used when the central directory at the end of the zip is missing (a capped download).
    """
    pos = data.find(_LOCAL_HEADER)
    seen = 0
    while pos >= 0 and pos + 30 <= len(data) and seen < 10_000:
        seen += 1
        (_, _, flags, method, _, _, _, csize, usize, nlen, xlen) = struct.unpack("<IHHHHHIIIHH", data[pos : pos + 30])
        start = pos + 30 + nlen + xlen
        name = data[pos + 30 : pos + 30 + nlen].decode("utf-8" if flags & 0x800 else "cp437", "replace")
        yield name, method, csize, usize, start
        # sizes in a trailing data descriptor (flag 0x08): look for the next header
        pos = data.find(_LOCAL_HEADER, start + csize if csize and not flags & 0x08 else start)


class _Zip:
    """Reads members of a zip (or of what arrived of it) with an uncompressed size cap."""

    def __init__(self, data: bytes):
        self.data = data
        self.partial = False
        self.zf: zipfile.ZipFile | None = None
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            self.names = self.zf.namelist()
        except Exception:
            self.partial = True
            self.local = {name: rest for name, *rest in _local_members(data)}
            self.names = list(self.local)

    def chunks(self, name: str) -> Iterator[bytes]:
        """The member's bytes in pieces; _TooLarge past MAX_MEMBER; stops quietly where a cut file ends."""
        if self.zf is not None:
            info = self.zf.getinfo(name)
            if info.file_size > MAX_MEMBER:
                raise _TooLarge(name)
            total = 0
            with self.zf.open(info) as fh:
                while chunk := fh.read(256 * 1024):
                    total += len(chunk)
                    if total > MAX_MEMBER:
                        raise _TooLarge(name)
                    yield chunk
            return
        method, csize, usize, start = self.local[name]
        if usize > MAX_MEMBER:
            raise _TooLarge(name)
        end = start + csize if csize else len(self.data)
        raw = self.data[start:end]
        if method == 0:
            yield raw[:MAX_MEMBER]
            return
        if method != 8:
            return
        inflater = zlib.decompressobj(-15)
        total = 0
        for i in range(0, len(raw), 64 * 1024):
            try:
                chunk = inflater.decompress(raw[i : i + 64 * 1024], MAX_MEMBER + 1 - total)
            except zlib.error:
                return
            total += len(chunk)
            if total > MAX_MEMBER:
                raise _TooLarge(name)
            yield chunk
            if inflater.eof:
                return


def _events(chunks: Iterator[bytes], deadline: float) -> Iterator[tuple[str, object]]:
    """(event, element) pairs of an XML stream; ends quietly at broken or cut-off XML."""
    parser = XMLPullParser(events=("start", "end"))
    head = b""
    for chunk in chunks:
        if len(head) < 65536:  # a DTD can only come before the root element
            head += chunk[:65536]
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                return  # OOXML never declares entities: refuse rather than expand them
        try:
            parser.feed(chunk)
            yield from parser.read_events()
        except ParseError:
            return
        if _clock() > deadline:
            raise TimeoutError
    try:
        parser.close()
        yield from parser.read_events()
    except ParseError:
        return


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _docx_text(zipped: _Zip, out: Callable[[str], bool], deadline: float) -> None:
    depth_cell = 0
    for event, elem in _events(zipped.chunks("word/document.xml"), deadline):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "tc":
                depth_cell += 1
            continue
        if tag == "t" and elem.text and out(elem.text):
            return
        if tag == "tab":
            out("\t")
        elif tag in ("br", "cr"):
            out("\n")
        elif tag == "p":
            out(" " if depth_cell else "\n")
        elif tag == "tc":
            depth_cell -= 1
            out("\t")
        elif tag == "tr":
            out("\n")
        if tag in ("p", "tbl"):
            elem.clear()  # keep memory flat on long documents


def _shared_strings(zipped: _Zip, deadline: float, max_chars: int) -> list[str]:
    strings: list[str] = []
    if "xl/sharedStrings.xml" not in zipped.names:
        return strings
    size = 0
    parts: list[str] = []
    for event, elem in _events(zipped.chunks("xl/sharedStrings.xml"), deadline):
        tag = _local(elem.tag)
        if event != "end":
            continue
        if tag == "t" and elem.text:
            parts.append(elem.text)
        elif tag == "si":
            strings.append("".join(parts))
            size += len(strings[-1])
            parts = []
            elem.clear()
            if size > max_chars:
                break
    return strings


def _sheet_names(names: list[str]) -> list[str]:
    sheets = [n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
    return sorted(sheets, key=lambda n: int(re.sub(r"\D", "", n.rsplit("/", 1)[-1])))[:MAX_SHEETS]


def _xlsx_text(zipped: _Zip, out: Callable[[str], bool], deadline: float, max_chars: int) -> None:
    strings = _shared_strings(zipped, deadline, max_chars)
    sheets = _sheet_names(zipped.names)
    wrote = False
    for sheet in sheets:
        cell_type, value, inline = "", "", []
        for event, elem in _events(zipped.chunks(sheet), deadline):
            tag = _local(elem.tag)
            if event == "start":
                if tag == "c":
                    cell_type, value, inline = elem.get("t", ""), "", []
                continue
            if tag == "v":
                value = elem.text or ""
            elif tag == "t":
                inline.append(elem.text or "")
            elif tag == "c":
                text = value
                if cell_type == "s":
                    try:
                        text = strings[int(value)]
                    except (ValueError, IndexError):
                        text = ""
                elif cell_type == "inlineStr":
                    text = "".join(inline)
                if text:
                    wrote = True
                    if out(text) or out("\t"):
                        return
            elif tag == "row":
                out("\n")
                elem.clear()
        out("\n")
    if not wrote:  # no readable sheet (or none arrived): the shared strings alone still carry the words
        for s in strings:
            if out(s) or out("\n"):
                return


def _read_ooxml(kind: str, data: bytes, deadline: float, max_chars: int) -> DocText:
    zipped = _Zip(data)
    if not zipped.names:
        return DocText(kind, "", 0, False, zipped.partial, "incomplete file" if zipped.partial else "broken zip")
    parts: list[str] = []
    size = 0

    def out(piece: str) -> bool:
        """Collect text; True once max_chars is reached (the reader stops)."""
        nonlocal size
        parts.append(piece)
        size += len(piece)
        return size >= max_chars

    error = None
    truncated = zipped.partial
    try:
        if kind == "docx":
            if "word/document.xml" not in zipped.names:
                error = "incomplete file" if zipped.partial else "no word/document.xml"
            else:
                _docx_text(zipped, out, deadline)
        else:
            _xlsx_text(zipped, out, deadline, max_chars)
    except _TooLarge as exc:
        error = f"zip member too large: {exc.args[0]}"
        truncated = True
    except TimeoutError:
        truncated = True
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        error = f"broken zip: {type(exc).__name__}"
    raw = "".join(parts)
    if size >= max_chars:
        truncated = True
    text, cut = _cap(_clean_lines(raw[: max_chars + 1000]), max_chars)
    if zipped.partial and not text and not error:
        error = "incomplete file"
    return DocText(kind, text, 0, False, truncated or cut, error)


# ---------------------------------------------------------------------------------------------- reader process


def _limit_memory(limit: int | None) -> None:
    """Cap this process's address space (Linux; elsewhere RLIMIT_AS is missing or ignored)."""
    if not limit:
        return
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError, AttributeError):
        pass


def _peak_rss() -> int:
    """Bytes of this process's peak resident memory (0 where unknown)."""
    try:
        import resource
    except ImportError:
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _serve(conn, memory: int | None) -> None:
    """A reader process: documents in, DocTexts out, until the pipe closes or it has grown too big."""
    _limit_memory(memory)
    with contextlib.suppress(ValueError, OSError, AttributeError):
        # Ctrl-C in a terminal reaches the whole process group: the crawler decides, and kills us
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    with contextlib.suppress(ImportError):
        import pypdf  # noqa: F401  (loaded once, not in the first document's time)
        import pypdfium2  # noqa: F401
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        content, content_type, url, caps = job
        doc = read_text(content, content_type, url, **caps)
        retire = _peak_rss() > WORKER_RETIRE
        try:
            conn.send((doc, retire))
        except (OSError, ValueError):
            return
        if retire:
            return


class _Worker:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # no copy of the crawler's memory, threads or loop
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, WORKER_MEMORY), name="oit-document-reader", daemon=True)
        self.proc.start()
        child.close()

    def close(self, kill: bool = False) -> None:
        with contextlib.suppress(Exception):
            if kill:
                self.proc.kill()
            else:
                self.conn.send(None)
        with contextlib.suppress(Exception):
            self.proc.join(1.0)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(1.0)
        with contextlib.suppress(Exception):
            self.conn.close()


_idle: list[_Worker] = []
_busy = 0
_pool_lock = threading.Lock()


def _take() -> _Worker | None:
    global _busy
    with _pool_lock:
        while _idle:
            worker = _idle.pop()
            if worker.proc.is_alive():
                _busy += 1
                return worker
            worker.close(kill=True)
        if _busy >= MAX_WORKERS:
            return None
        _busy += 1
    try:
        return _Worker()
    except BaseException:
        with _pool_lock:
            _busy -= 1
        raise


def _give_back(worker: _Worker, reuse: bool) -> None:
    global _busy
    with _pool_lock:
        _busy -= 1
        if reuse and worker.proc.is_alive() and len(_idle) < MAX_WORKERS:
            _idle.append(worker)
            return
    worker.close(kill=not reuse)


def shutdown_readers() -> None:
    """Stop the idle reader processes (they also end with the crawler: daemonic, and on a closed pipe)."""
    with _pool_lock:
        workers, _idle[:] = list(_idle), []
    for worker in workers:
        worker.close()


async def _readable(conn, timeout: float) -> bool:
    """Wait, without blocking the event loop, until the pipe has data (or was closed); False at timeout."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    try:
        fd = conn.fileno()
        loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    except (NotImplementedError, AttributeError, ValueError, OSError):  # e.g. Windows' proactor loop: poll
        end = loop.time() + timeout
        while not conn.poll():
            if loop.time() >= end:
                return False
            await asyncio.sleep(0.02)
        return True
    try:
        await asyncio.wait_for(ready, timeout)
        return True
    except TimeoutError:
        return False
    finally:
        loop.remove_reader(fd)


async def read_text_isolated(
    content: bytes,
    content_type: str = "",
    url: str = "",
    timeout: float = TIMEOUT,
    **caps,
) -> DocText:
    """`read_text` in a reader process, killed when it has not answered within `timeout` seconds.

    Never raises (except CancelledError, after killing the reader) and never blocks the event loop:
    a document that hangs the parser or eats memory costs one killed process, replaced on the next
    call, and comes back as an error DocText (TIMED_OUT, or "reader process ended" when it died).
    At most MAX_WORKERS reader processes run; idle ones are reused. `caps` go to `read_text`
    (max_pages, max_seconds, max_chars), whose own deadline should be well inside `timeout`.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    kind = "other"
    with contextlib.suppress(Exception):
        kind = sniff(content[: 1 << 20] if content[:4] != _LOCAL_HEADER else content, content_type, url)
    worker = None
    try:
        while (worker := _take()) is None:
            if loop.time() >= end:
                return DocText(kind, "", 0, False, True, TIMED_OUT)
            await asyncio.sleep(0.05)
        # a big document fills the pipe until the reader takes it: sent from a thread, the event loop (every other
        # site of a batch) goes on meanwhile; a reader that does not take it in time is killed, which ends the send
        sending = asyncio.ensure_future(asyncio.to_thread(worker.conn.send, (content, content_type, url, caps)))
        sending.add_done_callback(lambda f: f.cancelled() or f.exception())  # a killed reader's broken pipe: seen
        try:
            await asyncio.wait_for(asyncio.shield(sending), max(0.0, end - loop.time()))
        except TimeoutError:
            _give_back(worker, reuse=False)
            worker = None
            await asyncio.wait([sending], timeout=5)
            return DocText(kind, "", 0, False, True, TIMED_OUT)
        if not await _readable(worker.conn, max(0.0, end - loop.time())):
            _give_back(worker, reuse=False)
            worker = None
            return DocText(kind, "", 0, False, True, TIMED_OUT)
        try:
            doc, retire = worker.conn.recv()
        except (EOFError, OSError):
            _give_back(worker, reuse=False)
            worker = None
            return DocText(kind, "", 0, False, True, "unreadable: reader process ended")
        _give_back(worker, reuse=not retire)
        worker = None
        return doc
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the pipe or the process failed: never the caller's problem
        return DocText(kind, "", 0, False, False, f"unreadable: {type(exc).__name__}")
    finally:
        if worker is not None:  # cancelled (Ctrl-C) or failed mid-read: the reader may be busy for long
            _give_back(worker, reuse=False)
