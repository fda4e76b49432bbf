"""The reader process's side: documents in, DocTexts out, its memory capped.

Its process imports this module first: only the format readers, the caps and `crawler.thai`, not the
parent's side (asyncio, the pool) nor anything of the crawler's pipeline.
"""

from __future__ import annotations

import contextlib
import signal
import sys

from .caps import WORKER_RETIRE
from .read import read_text

_malloc_trim = None  # libc's malloc_trim once looked up; False where there is none


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


def _trim_heap() -> None:
    """Give the heap's free memory back to the system (glibc's malloc_trim; elsewhere nothing)."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL(None).malloc_trim
        except (ImportError, OSError, AttributeError, TypeError):  # not glibc; Windows has no CDLL(None)
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


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
        # loaded once, not in the first document's time; pypdf (some 25 MB with the cryptography it loads) only
        # when a PDF needs it, its import not counted in that document's time either (see read._read_pdf)
        import pypdfium2  # noqa: F401
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if job is None:
            return
        content, content_type, url, caps = job
        del job
        doc = read_text(content, content_type, url, **caps)
        del content
        retire = _peak_rss() > WORKER_RETIRE
        try:
            conn.send((doc, retire))
        except (OSError, ValueError):
            return
        if retire:
            return
        del doc
        _trim_heap()  # the document's bytes and PDFium's pages are freed: their memory goes back to the system
