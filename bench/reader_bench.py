"""Document reader benchmark (not a test): the reader process's CPU per document and its memory.

    python bench/reader_bench.py [--warc ...] [--rounds 2]

Every PDF of the recorded real sites (WARC), cut to the crawler's document cap (Settings.doc_bytes) as a scan
downloads it, is read by `read_text_isolated`, as a scan reads it: in one reader process, reused. Printed:
the CPU the reader process took to start (interpreter and imports, from /proc), its CPU per document (from
/proc, before and after each document: PDFium, the Thai repair), the parent's CPU per document (sending it,
waiting), the dates read from the text in the parent (`dates.mentions`) per document, and the reader's
memory: RSS and PSS idle, after the documents, and its peak RSS.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

EVAL = ROOT.parent / "shared" / "eval"
if not EVAL.exists():
    EVAL = Path("/work/shared/eval")
WARCS = str(EVAL / "realsites" / "warc" / "*.warc.gz")
TICK = os.sysconf("SC_CLK_TCK")


def real_pdfs(pattern: str, cap: int) -> list[tuple[str, bytes]]:
    """(url, body cut to `cap`) of every PDF answer recorded in the WARC files, each URL once."""
    sys.path.insert(0, str(EVAL / "realsites"))
    import replay  # the evaluation's WARC reader (standard library only)

    from crawler.documents import sniff

    out = []
    for path in sorted(glob.glob(pattern)):
        seen: set[str] = set()
        for uri, status, _headers, body in replay.records(path):
            if status == 200 and uri not in seen and sniff(body[:1024]) == "pdf":
                seen.add(uri)
                out.append((uri, body[:cap]))
    return out


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_memory(pid: int) -> dict[str, float]:
    """A process's RSS, PSS and peak RSS (VmHWM), in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Rss", "Pss"):
            out[key] = int(value.split()[0]) / 1024
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            out["peak"] = int(line.split()[1]) / 1024
    return out


def _idle_pid() -> int | None:
    """The pid of an idle reader process, None when there is none (the last one was replaced)."""
    from crawler.documents import reader

    return reader._idle[0].proc.pid if reader._idle else None  # noqa: SLF001 - a bench looks inside


def _mb(memory: dict[str, float]) -> str:
    return f"RSS {memory['Rss']:.1f} MB, PSS {memory['Pss']:.1f} MB"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


async def _started_reader() -> tuple[int, float]:
    """Start one reader process alone: (its pid, the CPU it took to start, from /proc)."""
    from crawler.documents import reader

    worker = reader._take()  # noqa: SLF001 - the reader started alone, its start measured apart
    pid = worker.proc.pid
    while True:  # started when it waits on its pipe: its CPU no longer grows
        await asyncio.sleep(0.3)
        before = proc_cpu(pid)
        await asyncio.sleep(0.3)
        if proc_cpu(pid) == before:
            break
    start = proc_cpu(pid)
    reader._give_back(worker, reuse=True)  # noqa: SLF001
    return pid, start


async def measure(pdfs: list[tuple[str, bytes]], rounds: int) -> dict:
    """Read every PDF `rounds` times as a scan does: reader CPU per document, its start, its memory."""
    from crawler.dates import mentions
    from crawler.documents import read_text_isolated, reader

    children = _children_cpu()
    pid, start_cpu = await _started_reader()
    idle = proc_memory(pid)
    pids, between = {pid}, []
    parent_cpu, dates_cpu, pages = 0.0, 0.0, 0
    for _ in range(rounds):
        for uri, body in pdfs:
            p0 = time.process_time()
            doc = await read_text_isolated(body, "application/pdf", uri)
            p1 = time.process_time()
            mentions(doc.text)
            dates_cpu += time.process_time() - p1
            parent_cpu += p1 - p0
            pages += doc.pages
            if (now := _idle_pid()) is not None:
                pids.add(now)
                between.append(proc_memory(now))
    reader.shutdown_readers()  # joined: their CPU is in RUSAGE_CHILDREN
    reader_cpu = _children_cpu() - children - start_cpu * len(pids)
    docs = len(pdfs) * rounds
    return {"docs": docs, "pages": pages, "start_cpu": start_cpu, "idle": idle, "readers": len(pids),
            "last": between[-1], "most": max(between, key=lambda m: m["Pss"]),
            "peak": max(m["peak"] for m in between), "reader_ms": reader_cpu * 1000 / docs,
            "parent_ms": parent_cpu * 1000 / docs, "dates_ms": dates_cpu * 1000 / docs}


def report(r: dict) -> None:
    """Print the figures of `measure`."""
    print(f"documents: {r['docs']} real PDFs ({r['pages']} pages read): reader CPU {r['reader_ms']:.1f} ms per "
          f"document, the parent's {r['parent_ms']:.1f} ms, its dates {r['dates_ms']:.1f} ms; a reader process "
          f"starts in {r['start_cpu'] * 1000:.0f} ms CPU ({r['readers']} started)")
    print(f"documents: reader process memory idle {_mb(r['idle'])}; between documents {_mb(r['last'])} "
          f"at the end, {_mb(r['most'])} at most; peak RSS {r['peak']:.1f} MB")


def documents_bench(pattern: str = WARCS, rounds: int = 1) -> dict | None:
    """The reader's per-document CPU and memory on the real sites' PDFs (printed; None when there are none)."""
    from crawler.config import Settings

    pdfs = real_pdfs(pattern, Settings().doc_bytes)
    if not pdfs:
        print(f"documents: no PDF in {pattern}, skipped")
        return None
    result = asyncio.run(measure(pdfs, rounds))
    report(result)
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--warc", default=WARCS)
    ap.add_argument("--rounds", type=int, default=1, help="times every PDF is read")
    args = ap.parse_args()
    documents_bench(args.warc, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
