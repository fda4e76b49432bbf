"""`read_text`: one document's text in this process, whatever its kind, never raising."""

from __future__ import annotations

from .caps import OLD_OFFICE, DocText, _clock
from .office import _read_ooxml
from .pdf import _pypdf_limits, _read_pdf_limited
from .pdfium import _fits_pdfium, _pdfium, _read_pdfium
from .sniff import _OLE, sniff


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


def _read_pdf(data: bytes, max_pages: int, deadline: float, max_chars: int) -> DocText:
    """PDFium when it can open the file and every stream it would decode is measured small; pypdf otherwise."""
    if b"%PDF-" not in data[:1024]:
        return DocText("pdf", "", 0, False, False, "not a PDF file")
    pdfium = _pdfium()
    if pdfium is not None and _fits_pdfium(data, deadline):
        doc = _read_pdfium(pdfium, data, max_pages, deadline, max_chars)
        if doc is not None:
            return doc
    loading = _clock()
    import pypdf  # imported here: the crawler runs without it when it never meets a PDF, the reader process until then

    deadline += _clock() - loading  # its first import (some 0.3 s) is not this document's time
    with _pypdf_limits(pypdf):
        return _read_pdf_limited(pypdf, data, max_pages, deadline, max_chars)
