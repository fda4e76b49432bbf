"""`read_text_isolated`: `read_text` in a reader process (serve.py) killed at a hard deadline, at most MAX_WORKERS.

The process imports only what reading needs (this package's readers and `crawler.thai`): not the
crawler's pipeline, HTTP or HTML modules, nor the parent's main script.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import sys
import threading
import types
from collections.abc import Iterator

from .caps import MAX_WORKERS, TIMED_OUT, TIMEOUT, WORKER_MEMORY, DocText
from .office import _LOCAL_HEADER
from .serve import _serve
from .sniff import sniff

_main_lock = threading.Lock()


@contextlib.contextmanager
def _bare_main() -> Iterator[None]:
    """Start a process without the parent's main script or module.

    A spawned process runs the parent's main script again first (as `__mp_main__`): for `oit`, its
    console script, which imports `crawler.cli` and with it the whole crawler (HTTP, HTML, rich,
    the pipeline), some 40 MB a reader never uses. `_serve` needs nothing of it: while the process
    starts, `__main__` is a bare module, so the child loads only this package.
    """
    with _main_lock:
        main = sys.modules.get("__main__")
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is None:
                sys.modules.pop("__main__", None)
            else:
                sys.modules["__main__"] = main


class _Worker:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")  # no copy of the crawler's memory, threads or loop
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_serve, args=(child, WORKER_MEMORY), name="oit-document-reader", daemon=True)
        with _bare_main():
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
