"""PDF text by pypdf, page by page under its own caps; and the judgement of a read PDF (scanned, broken, cut)."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import re
import zlib
from collections.abc import Callable, Iterator

from .caps import MAX_INFLATE, MAX_PAGE_NODES, MAX_STREAM, PARSE_RATE, TIMED_OUT, DocText, _cap, _clock
from .repair import fix_pdf_thai

# pypdf reports every repaired xref or odd object as a logging warning; a crawler reading broken
# municipal PDFs by the hundred should not print them. Only quietened when nobody configured it.
_pypdf_log = logging.getLogger("pypdf")
if _pypdf_log.level == logging.NOTSET:
    _pypdf_log.setLevel(logging.ERROR)


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
