"""Benchmark (not a test): one batch on 1, 2 and 4 `oit worker` processes through a local redis-server.

    python bench/workers.py [--sites 24] [--latency 0.05] [--delay 0.2] [--max-pages 60] [--concurrency 4]

Fixture sites (tests/sites), each on its own loopback server answering after `latency` seconds; the same
CSV dispatched with `oit dispatch` to N worker processes of `concurrency` sites each. Prints per N: wall
time, speedup against one process, pages, CPU per page in the workers (user+system, everything a worker
does: HTTP, parsing, matching, checks, SQLite in memory, Redis) and in the dispatcher (storing), and each
worker's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from sitesrv import SITES, SiteServer  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(url: str, csv_path: Path, processes: int, a: argparse.Namespace, tmp: Path) -> dict:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    cmd = [sys.executable, "-m", "crawler", "worker", "--broker", url, "--concurrency", str(a.concurrency),
           "--allow-private",  # the sites are on loopback
           "--documents", str(tmp / f"documents-{processes}.db")]  # a cold cache each time: the same work
    workers = [subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for _ in range(processes)]
    time.sleep(2.0)  # started and waiting for jobs
    db = tmp / f"w{processes}.db"
    t0, children = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run([sys.executable, "-m", "crawler", "dispatch", str(csv_path), "--year", "2565", "--broker",
                           url, "--db", str(db), "--allow-private", "--delay", str(a.delay), "--max-pages",
                           str(a.max_pages), "--render", "never"], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=False)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # only the dispatcher was reaped since `children`
    dispatcher_cpu = after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime
    cpu = sum(cpu_seconds(w.pid) for w in workers)
    peaks = [peak_mb(w.pid) for w in workers]
    for w in workers:
        w.send_signal(signal.SIGTERM)
    for w in workers:
        w.wait(timeout=30)
    with sqlite3.connect(db) as conn:
        pages, requests, done = conn.execute("select sum(pages_fetched), sum(requests), count(*) from runs "
                                             "where status = 'finished'").fetchone()
    if proc.returncode != 0:
        print(proc.stderr[-2000:], file=sys.stderr)
    return {"wall": wall, "cpu": cpu, "peaks": peaks, "pages": pages or 0, "requests": requests or 0, "done": done,
            "dispatcher_cpu": dispatcher_cpu}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=24)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--delay", type=float, default=0.2)
    ap.add_argument("--max-pages", type=int, default=60)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--processes", default="1,2,4")
    a = ap.parse_args()
    redis_server = shutil.which("redis-server")
    if redis_server is None:
        sys.exit("workers bench: redis-server not installed (make redis)")
    port = free_port()
    redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    names = sorted(p.name for p in SITES.iterdir() if (p / "expected.json").exists() and not p.name.startswith("js"))
    servers = [SiteServer(SITES / names[i % len(names)], latency=a.latency) for i in range(a.sites)]
    base = None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            csv_path = Path(tmp) / "sites.csv"
            csv_path.write_text("url,name\n" + "".join(f"{s.url},site {i}\n" for i, s in enumerate(servers)))
            time.sleep(0.5)
            for n in (int(x) for x in a.processes.split(",")):
                r = one_run(url, csv_path, n, a, Path(tmp))
                dispatcher_cpu = r["dispatcher_cpu"]
                base = base or r["wall"]
                per_page = 1000 * r["cpu"] / max(1, r["pages"])
                # each server spaces its request starts by the delay (or latency / 2 requests in flight)
                floor = r["requests"] * max(a.delay, a.latency / 2) / (n * a.concurrency)
                print(f"workers: {n} process(es) x {a.concurrency} sites: {r['done']}/{a.sites} sites, "
                      f"{r['pages']} pages, {r['requests']} requests in {r['wall']:.1f}s "
                      f"(politeness floor {floor:.1f}s); "
                      f"speedup {base / r['wall']:.2f}x vs 1 process; worker CPU {per_page:.1f} ms/page; "
                      f"dispatcher CPU (with its start-up) {1000 * dispatcher_cpu / max(1, r['pages']):.1f} ms/page; "
                      f"peak memory per worker {', '.join(f'{p:.0f}' for p in r['peaks'])} MB", flush=True)
    finally:
        for s in servers:
            s.close()
        redis.terminate()
        redis.wait()
    print(f"(delay {a.delay}s and 2 requests at a time per server, {a.latency * 1000:.0f} ms latency, "
          f"{os.cpu_count()} CPUs on this machine, shared with whatever else runs)")


if __name__ == "__main__":
    main()
