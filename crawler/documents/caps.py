"""The caps every reader keeps, the reader's clock, and the record a read document comes back as."""

from __future__ import annotations

import time
from dataclasses import dataclass

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

# PDFium is given only a file whose every stream it would decode for text was measured first (pdfium.py)
PDFIUM_STREAM = 4 * 1024 * 1024  # decoded bytes of one stream in a file given to PDFium (~0.4 s, 130 MB at worst)
MAX_STREAMS = 20_000  # streams measured in one file before it is left to pypdf
MAX_OBJECTS = 100_000  # page objects looked through for an image (the scanned judgement)


@dataclass
class DocText:
    kind: str  # "pdf" | "docx" | "xlsx" | "doc" | "xls" | "other"
    text: str  # normalised text ("" when none)
    pages: int  # pages read (pdf), 0 otherwise
    scanned: bool  # a PDF with no text layer (images only)
    truncated: bool  # stopped by a cap (bytes, pages or seconds)
    error: str | None  # why it could not be read (encrypted, broken, unsupported)


def _cap(text: str, max_chars: int) -> tuple[str, bool]:
    return (text[:max_chars], True) if len(text) > max_chars else (text, False)
