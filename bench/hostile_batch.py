"""Check (not a test: about a minute): one `oit batch` of four hostile sites ends well, within memory, and stops
on SIGTERM in seconds (issue 20, high).

    python bench/hostile_batch.py [--processes 1] [--render auto]

Sites, each on its own loopback server: malformed links everywhere (`http://[::1/x`, bad ports, an unspellable
IDNA host, in links, base, refresh, frames, areas, onclick and menu scripts); robots.txt and a page sent
`Content-Encoding: gzip, gzip` (200 MB from about 1 KB); a home page of 100,000 nested `<div>` (1.1 MB);
a home page whose script fires fetch() 50 times every 20 ms (rendered in Chromium). Run 1: the whole batch, the
process tree's memory (PSS, Chromium included) polled every 0.2 s. Run 2 (`--fresh`): SIGTERM after 2 s,
the seconds until it exits. Prints the figures and FAIL lines; exit 1 on any failure.
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from test_hostile_pages import BAD_HOSTS, DEEP_BODY, LOOPING, MALFORMED, STACKED, tree_rss_mb  # noqa: E402

from sitesrv import SiteServer  # noqa: E402

MEMORY_MB = 800
STOP_S = 10


def sites(root: Path) -> list[SiteServer]:
    def write(name: str, pages: dict[str, str]) -> Path:
        folder = root / name
        folder.mkdir(parents=True)
        for page, body in pages.items():
            (folder / page).write_text(f"<html><head><meta charset='utf-8'><title>เทศบาลตำบล{name}</title></head>"
                                       f"<body>{body}</body></html>", encoding="utf-8")
        return folder

    bad = "".join(f"<li><a href='{u}'>ข่าว {i}</a></li>" for i, u in enumerate([*MALFORMED, *BAD_HOSTS]))
    bad += "".join(f"<span onclick=\"location.href='{u}'\">เมนู</span>" for u in MALFORMED)
    bad += f"<map><area href='{MALFORMED[0]}'></map><iframe src='{MALFORMED[2]}'></iframe>"
    bad += "<script>" + "".join(f'addMenuItem("เมนู", "window.open(\'{u}\')");' for u in MALFORMED) + "</script>"
    malformed = write("malformed", {"index.html": f"<h1>ลิงก์เสีย</h1><ul>{bad}</ul><a href='a.html'>ก</a>",
                                    "a.html": f"<base href='{MALFORMED[0]}'><meta http-equiv='refresh' "
                                              f"content='0; url={MALFORMED[1]}'><h1>ก</h1><a href='x'>x</a>"})
    gzipped = write("gzip", {"index.html": "<h1>บีบอัดซ้อน</h1><a href='bomb.html'>ข่าว</a><a href='a.html'>ก</a>",
                             "a.html": "<h1>ก</h1>"})
    stacked = (200, {"Content-Encoding": "gzip, gzip", "Content-Type": "text/html"}, STACKED)
    deep = write("deep", {"index.html": DEEP_BODY, "a.html": "<h1>ก</h1>", "b.html": "<h1>ข่าว</h1>",
                          "c.html": "<h1>ท้าย</h1>"})
    looping = write("looping", {"index.html": LOOPING, "a.html": "<h1>ก</h1>"})
    return [SiteServer(malformed), SiteServer(gzipped, routes={"/bomb.html": stacked, "/robots.txt": stacked}),
            SiteServer(deep), SiteServer(looping)]


def run(args: list[str], stop_after: float | None = None) -> tuple[int, float, float, float | None]:
    """(exit code, seconds, peak MB of the process tree, seconds from SIGTERM to exit)."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "crawler", *args], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0, peak, termed = time.monotonic(), 0.0, None
    while proc.poll() is None:
        peak = max(peak, tree_rss_mb(proc.pid))
        if stop_after is not None and termed is None and time.monotonic() - t0 > stop_after:
            proc.send_signal(signal.SIGTERM)
            termed = time.monotonic()
        if time.monotonic() - t0 > 600:
            proc.kill()
        time.sleep(0.2)
    err = proc.stderr.read() if proc.stderr else ""
    if "Traceback" in err:
        print(err[-3000:])
    end = time.monotonic()
    return proc.returncode, end - t0, peak, (end - termed) if termed is not None else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", default="1")
    ap.add_argument("--render", default="auto")
    ap.add_argument("--stop-after", type=float, default=2.0, help="seconds before SIGTERM in run 2")
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="oit-hostile-"))
    servers = sites(work / "sites")
    db, csv_path = work / "oit.db", work / "sites.csv"
    csv_path.write_text("url,name\n" + "".join(f"{s.url},{s.root.name}\n" for s in servers), encoding="utf-8")
    args = ["batch", str(csv_path), "--db", str(db), "--allow-private", "--delay", "0.02", "--processes",
            a.processes, "--render", a.render, "--time-limit", "60"]
    failures = []
    try:
        rc, seconds, peak, _ = run(args)
        with sqlite3.connect(db) as con:
            rows = con.execute("select url, status, error from batch_sites order by id").fetchall()
            running = con.execute("select count(*) from runs where status = 'running'").fetchone()[0]
            runs = con.execute("select start_url, status, stop_reason, findings from runs order by id").fetchall()
        print(f"run 1: exit {rc}, {seconds:.1f} s, process tree peak {peak:.0f} MB")
        for url, status, error in rows:
            print(f"  {url} {status} {error or ''}")
        for url, status, reason, findings in runs:
            print(f"  run {url} {status}/{reason}: {[f[:90] for f in (json_list(findings))]}")
        if len(rows) != len(servers) or any(status not in ("done", "failed") for _, status, _ in rows):
            failures.append("a site has no finished row")
        if running:
            failures.append(f"{running} runs left running")
        if peak >= MEMORY_MB:
            failures.append(f"peak {peak:.0f} MB >= {MEMORY_MB} MB")
        rc2, seconds2, peak2, stop = run([*args, "--fresh"], stop_after=a.stop_after)
        print(f"run 2: SIGTERM after {a.stop_after:.0f} s: exit {rc2} {stop:.1f} s later, peak {peak2:.0f} MB"
              if stop is not None
              else f"run 2: ended before the signal ({seconds2:.1f} s)")
        if stop is not None and (stop >= STOP_S or rc2 != 128 + signal.SIGTERM):
            failures.append(f"SIGTERM: exit {rc2} after {stop:.1f} s")
    finally:
        for s in servers:
            s.close()
    for line in failures:
        print("FAIL", line)
    return 1 if failures else 0


def json_list(text: str | None) -> list[str]:
    import json
    return json.loads(text or "[]")


if __name__ == "__main__":
    sys.exit(main())
