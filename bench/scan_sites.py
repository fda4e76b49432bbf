"""Scan a fixed set of sites into a folder of result JSON files, for `bench/same_results.py` (not a test).

    python bench/scan_sites.py OUT_DIR [--code DIR] [--base-port 26100] [--today 2565-12-01]

The sites: the evaluation's generated sites, every recorded real site (WARC, replayed) and the test sites
(tests/sites, the script-menu ones rendered by Chromium), each on its own fixed loopback port (base port +
its number: a file's name holds it, so two runs' files pair up), scanned with `oit batch --out` at no delay on
a fixed scan date. `--code` runs another copy of the crawler (a checkout of the code before a change): its
folder goes first on PYTHONPATH. Then `python bench/same_results.py BEFORE AFTER --notes`.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from bench import EVAL, REAL, _replay_handler  # noqa: E402


def site_handlers() -> list[tuple[str, type]]:
    """(name, request handler class) of every site scanned, in a fixed order."""
    sys.path.insert(0, str(EVAL))
    sys.path.insert(0, str(REAL))
    import replay
    from serve import handler_for

    out = []
    for root in sorted(p for p in (EVAL / "sites").iterdir() if (p / "truth.json").exists()):
        out.append((root.name, handler_for(root, json.loads((root / "truth.json").read_text())["encoding"])))
    for warc in sorted((REAL / "warc").glob("*.warc.gz")):
        index: dict = {}
        for uri, status, headers, body in replay.records(str(warc)):
            index.setdefault(replay.key(uri), (status, headers, body))
        out.append((warc.name.split(".")[0], _replay_handler(index)))
    for root in sorted(p for p in (ROOT / "tests" / "sites").iterdir() if p.is_dir()):
        out.append((root.name, handler_for(root, "utf-8")))
    return out


def scan_all(out_dir: Path, code: Path, base_port: int, today: str) -> int:
    """Serve every site and scan them in one `oit batch`; the batch's exit code."""
    servers = []
    for i, (_name, handler) in enumerate(site_handlers()):
        srv = ThreadingHTTPServer(("127.0.0.1", base_port + i), handler)
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        servers.append(srv)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sites = Path(tmp) / "sites.csv"
            sites.write_text("url,name\n" + "".join(f"http://127.0.0.1:{s.server_address[1]}/,site {i}\n"
                                                    for i, s in enumerate(servers)))
            env = {**os.environ, "PYTHONPATH": str(code), "OIT_TODAY": today}
            proc = subprocess.run([str(ROOT / ".venv/bin/oit"), "batch", str(sites), "--year", "2565", "--db",
                                   f"{tmp}/s.db", "--out", str(out_dir), "--delay", "0", "--allow-private", "-q",
                                   "--concurrency", "8", "--no-archive"], env=env, check=False)
            return proc.returncode
    finally:
        for s in servers:
            s.shutdown()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--code", default=str(ROOT), help="the crawler's folder (default: this checkout)")
    ap.add_argument("--base-port", type=int, default=26100)
    ap.add_argument("--today", default="2565-12-01", help="the scan date (OIT_TODAY)")
    a = ap.parse_args()
    Path(a.out_dir).mkdir(parents=True, exist_ok=True)
    code = scan_all(Path(a.out_dir), Path(a.code).resolve(), a.base_port, a.today)
    print(f"oit batch exit code {code}; results in {a.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
