"""Text out of downloaded evidence documents: PDF (PDFium, pypdf where PDFium is not given the file), DOCX and XLSX.

`read_text` never raises and is capped in pages, characters, seconds and decompressed bytes, so a
hostile or broken file costs little. It runs in the calling process, though, where a parser stuck
inside one call cannot be interrupted: `read_text_isolated` runs it in a reader process killed at a
hard deadline, so no document holds up the event loop, the scan's time limit or Ctrl-C, and its
memory is bounded (RLIMIT_AS where the system has it). DOC/XLS (old OLE binaries) are recognised but
not read: the caller falls back on the file name and the link text. PDF text from Thai fonts is often
mangled (marks split off or reordered, spaces between letters, old-font private-use code points);
`fix_pdf_thai` repairs it.

One module per concern: `caps` (the limits and `DocText`), `sniff` (the kind), `read` (`read_text`),
`pdfium` and `pdf` (PDF by PDFium, by pypdf), `office` (DOCX, XLSX), `repair` (Thai PDF text) and
`reader` and `serve` (the reader process, the parent's side and its own). None of them imports the
crawler's pipeline; the reader process loads only the readers and `crawler.thai` (not asyncio: `reader`
is loaded on first use of its names).
"""

from typing import TYPE_CHECKING

from .caps import (
    KINDS,
    MAX_INFLATE,
    MAX_MEMBER,
    MAX_OBJECTS,
    MAX_PAGE_NODES,
    MAX_SHEETS,
    MAX_STREAM,
    MAX_STREAMS,
    MAX_WORKERS,
    OLD_OFFICE,
    PARSE_RATE,
    PDFIUM_STREAM,
    TIMED_OUT,
    TIMEOUT,
    WORKER_MEMORY,
    WORKER_RETIRE,
    DocText,
)
from .read import read_text
from .repair import fix_pdf_thai
from .sniff import sniff

__all__ = [
    "KINDS", "MAX_INFLATE", "MAX_MEMBER", "MAX_OBJECTS", "MAX_PAGE_NODES", "MAX_SHEETS", "MAX_STREAM", "MAX_STREAMS",
    "MAX_WORKERS", "OLD_OFFICE", "PARSE_RATE", "PDFIUM_STREAM", "TIMED_OUT", "TIMEOUT", "WORKER_MEMORY",
    "WORKER_RETIRE", "DocText", "fix_pdf_thai", "read_text", "read_text_isolated",
    "shutdown_readers", "sniff",
]

if TYPE_CHECKING:
    from .reader import read_text_isolated, shutdown_readers


def __getattr__(name: str) -> object:
    """`read_text_isolated` and `shutdown_readers`, loaded on first use (the reader process never needs them)."""
    if name in ("read_text_isolated", "shutdown_readers"):
        from . import reader

        return getattr(reader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
