"""Start-up benchmark (not a test): what an `oit scan` costs before and around its work.

    python bench/startup_bench.py [--port 26710] [--repeat 5]

Printed, as the median of `--repeat` runs: the CPU of importing `crawler.cli` in a fresh interpreter (what
every `oit` command pays), the wall time from starting `oit scan` to the site's first request, and the
CPU of the whole process tree (oit and its document readers) of a scan of the demo site
(data/demo-site: 58 files, 4 PDFs) served on loopback with no delay.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OIT = ROOT / ".venv" / "bin" / "oit"
PYTHON = ROOT / ".venv" / "bin" / "python"
SITE = ROOT / "data" / "demo-site"


def import_cpu() -> float:
    """CPU seconds of `import crawler.cli` in a fresh interpreter, the interpreter's own start taken off."""
    code = ("import resource, sys\nr0 = resource.getrusage(resource.RUSAGE_SELF)\nimport crawler.cli\n"
            "r1 = resource.getrusage(resource.RUSAGE_SELF)\n"
            "print(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)")
    out = subprocess.run([str(PYTHON), "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout)


class _Site(ThreadingHTTPServer):
    """The demo site on loopback, noting when its first request came."""

    first: float | None = None


def _handler(server_ref: list) -> type:
    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            server = server_ref[0]
            if server.first is None:
                server.first = time.monotonic()
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass
    return Handler


def scan_once(port: int) -> tuple[float, float, float]:
    """One `oit scan` of the demo site: (s to the first request, s wall, CPU s of oit and its readers)."""
    ref: list = []
    server = _Site(("127.0.0.1", port), partial(_handler(ref), directory=str(SITE)))
    ref.append(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.monotonic()
            subprocess.run([str(OIT), "scan", f"http://127.0.0.1:{port}/", "--year", "2565", "--db", f"{tmp}/s.db",
                            "--json", f"{tmp}/o.json", "--delay", "0", "-q", "--no-archive"],
                           capture_output=True, check=False)
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            json.loads(Path(f"{tmp}/o.json").read_text())  # the scan finished
    finally:
        server.shutdown()
        server.server_close()
    first = (server.first - t0) if server.first else float("nan")
    return first, wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def startup_bench(port: int = 26710, repeat: int = 5) -> dict:
    """Median import CPU, time to first request, scan wall and tree CPU (printed)."""
    imports = statistics.median(import_cpu() for _ in range(repeat))
    runs = [scan_once(port) for _ in range(repeat)]
    first, wall, cpu = (statistics.median(r[i] for r in runs) for i in range(3))
    print(f"start-up: import crawler.cli {imports * 1000:.0f} ms CPU; oit scan of the demo site: first request "
          f"{first * 1000:.0f} ms after start, {wall:.2f} s wall, {cpu:.2f} s CPU with its readers "
          f"(median of {repeat})")
    return {"import": imports, "first": first, "wall": wall, "cpu": cpu}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=26710)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    startup_bench(args.port, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
