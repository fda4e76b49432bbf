"""Benchmarks (not tests): CPU per page, whole-scan CPU, database growth, a 100-site batch, and Scrapy beside us.

    python bench/bench.py [--only real|nights|parse|scrapy|batch] [--concurrency 16] [--batch-sites 100]

1. real: the shared recorded real site (../shared/eval/realsites): decode + parse + match CPU per page; `oit scan`
   of it replayed on loopback with no delay (CPU of the whole process tree per fetched page); database bytes per
   fetched page on a first run and on a repeated run of the same site into the same database.
2. nights: the shared real sites (every WARC) as a one-process `oit batch` with no delay, a first and a second
   night into one database (CPU of the whole process tree, document readers included, per fetched page), the same
   for the generated evaluation sites, and a plain Scrapy spider's CPU per response on the same replayed real
   sites in the same run.
3. parse: decode + parse + match CPU per page over every page of the generated evaluation sites.
4. scrapy: one evaluation site scanned by `oit scan` and by a plain Scrapy spider at the same politeness.
5. batch: `oit batch` of 100 sites (generated ones, and every tenth a replayed real site, the recorded ones in
   turn) on loopback, each answering after 200 ms: wall time against the politeness floor (requests x delay /
   sites at a time), CPU seconds, and the peak memory of the whole process tree (PSS, Chromium and the
   document readers included).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.archive import size_on_disk  # noqa: E402
from crawler.checklist import load  # noqa: E402
from crawler.decode import decode  # noqa: E402
from crawler.match import is_list_page, score_link, score_page  # noqa: E402
from crawler.parse import parse  # noqa: E402

SPIDER = textwrap.dedent('''
    import scrapy
    from urllib.parse import urlsplit

    class Site(scrapy.Spider):
        name = "site"
        def __init__(self, start=None, **kw):
            super().__init__(**kw)
            self.start_urls = [start]
            self.allowed = urlsplit(start).netloc
        def parse(self, response):
            if not hasattr(response, "text"):
                return
            for href in response.css("a::attr(href), frame::attr(src), iframe::attr(src)").getall():
                url = response.urljoin(href)
                if urlsplit(url).netloc == self.allowed and not url.lower().endswith(".pdf"):
                    yield scrapy.Request(url, callback=self.parse)
''')


def cpu_per_page(sites: Path) -> tuple[float, int]:
    checklist = load()
    files = sorted(p for p in sites.rglob("*.html"))
    t0 = time.process_time()
    for f in files:
        text, _ = decode(f.read_bytes(), None)
        page = parse(f"http://127.0.0.1/{f.relative_to(sites).as_posix()}", text)
        listed = is_list_page(checklist, page)
        for link in page.links:
            score_link(checklist, link, page.title, listed)
        score_page(checklist, page, "")
    return (time.process_time() - t0) * 1000 / max(1, len(files)), len(files)


REAL = ROOT.parent / "shared/eval/realsites"


def real_pages(limit: int = 400) -> list[tuple[str, bytes, str]]:
    """HTML pages of the recorded real municipal site (WARC), as (url, body, content type)."""
    sys.path.insert(0, str(REAL))
    import replay
    pages = []
    for warc in sorted((REAL / "warc").glob("*.warc.gz")):
        for uri, status, headers, body in replay.records(str(warc)):
            ctype = dict((k.lower(), v) for k, v in headers).get("content-type", "")
            if status == 200 and "html" in ctype and len(body) > 500:
                pages.append((uri, body, ctype))
    return pages[:limit]


def real_cpu_per_page() -> tuple[float, int]:
    """decode + parse + match CPU per real page (ms), every link scored as the crawler does."""
    checklist = load()
    pages = real_pages()
    t0 = time.process_time()
    for uri, body, ctype in pages:
        text, _ = decode(body, ctype)
        page = parse(uri, text)
        listed = is_list_page(checklist, page)
        for link in page.links:
            score_link(checklist, link, page.title, listed)
        score_page(checklist, page, "")
    return (time.process_time() - t0) * 1000 / max(1, len(pages)), len(pages)


def real_server():
    """The recorded real site served on a free loopback port: (server, its URL)."""
    sys.path.insert(0, str(REAL))
    import socket

    import replay
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return replay.serve(str(next((REAL / "warc").glob("*.warc.gz"))), port), f"http://127.0.0.1:{port}/"


def real_scan(url: str, db: Path) -> tuple[float, int, float]:
    """`oit scan` of the recorded real site on loopback, no delay: (CPU ms per fetched page, pages, wall s)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([str(ROOT / ".venv/bin/oit"), "scan", url, "--year", "2565", "--db", str(db),
                        "--json", f"{tmp}/o.json", "--delay", "0", "-q"], capture_output=True, check=False)
        pages = json.loads(Path(f"{tmp}/o.json").read_text())["pages_fetched"]
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return cpu * 1000 / max(1, pages), pages, wall


def real_bench() -> None:
    """Real pages: parse+match CPU, whole-scan CPU per page, database bytes per page (first and repeated run)."""
    if not (REAL / "warc").is_dir():
        print("real site: ../shared/eval/realsites not found, skipped")
        return
    ms, n = real_cpu_per_page()
    print(f"real pages: decode+parse+match CPU {ms:.2f} ms per page over {n} pages")
    server, url = real_server()  # one address for both runs: a repeated nightly run of the same site
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "real.db"
        sizes = []
        for run in (1, 2):
            cpu_ms, pages, wall = real_scan(url, db)
            import sqlite3
            with sqlite3.connect(db) as con:  # the write-ahead log folded in: the database's own size
                con.execute("pragma wal_checkpoint(truncate)")
            sizes.append((db.stat().st_size, pages, size_on_disk(db)))
            grown = sizes[-1][0] - (sizes[-2][0] if run == 2 else 0)
            archived = sizes[-1][2] - (sizes[-2][2] if run == 2 else 0)
            print(f"real site scan {run}: {pages} pages, whole-scan CPU {cpu_ms:.1f} ms per fetched page, "
                  f"{wall:.1f}s wall; database +{grown / max(1, pages) / 1000:.1f} KB per fetched page; "
                  f"evidence archive +{archived:,} bytes")
    server.shutdown()


def serve(eval_dir: Path, sites_dir: Path, port: int) -> subprocess.Popen:
    """The evaluation's own server (serve.py) for the sites in `sites_dir`, in a child process."""
    code = (f"import sys, threading, pathlib; sys.path.insert(0, {str(eval_dir)!r}); from serve import serve; "
            f"serve(pathlib.Path({str(sites_dir)!r}), {port}); threading.Event().wait()")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def time_oit(url: str, delay: float) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.monotonic()
        subprocess.run([str(ROOT / ".venv/bin/oit"), "scan", url, "--year", "2565", "--db", f"{tmp}/b.db",
                        "--json", f"{tmp}/o.json", "--delay", str(delay), "-q"], capture_output=True, check=False)
        dt = time.monotonic() - t0
        pages = json.loads(Path(f"{tmp}/o.json").read_text())["pages_fetched"]
    return dt, pages


def scrapy_pages(url: str, delay: float) -> tuple[float, int]:
    """Run the spider and count responses from its log."""
    with tempfile.TemporaryDirectory() as tmp:
        spider = Path(tmp) / "spider.py"
        spider.write_text(SPIDER)
        t0 = time.monotonic()
        proc = subprocess.run([str(ROOT / ".venv/bin/scrapy"), "runspider", str(spider), "-a", f"start={url}",
                               "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2", "-s", f"DOWNLOAD_DELAY={delay}",
                               "-s", "RANDOMIZE_DOWNLOAD_DELAY=False", "-s", "DEPTH_LIMIT=5",
                               "-s", "CLOSESPIDER_PAGECOUNT=300", "-s", "ROBOTSTXT_OBEY=True",
                               "-s", "TELNETCONSOLE_ENABLED=False"],
                              capture_output=True, text=True, check=False)
        dt = time.monotonic() - t0
    count = 0
    for line in proc.stderr.splitlines():
        if "'response_received_count':" in line:
            count = int(line.split(":")[-1].strip(" ,}"))
    return dt, count


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of a process and all its descendants (Chromium included), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total / 1024


EVAL = ROOT.parent / "shared/eval"


def _slowed(handler: type, latency: float) -> type:
    """A request handler class answering every request `latency` seconds late (a small, distant server)."""
    class Slow(handler):
        def do_GET(self):
            time.sleep(latency)
            super().do_GET()

        def do_HEAD(self):
            time.sleep(latency)
            super().do_HEAD()
    return Slow


def _replay_handler(index: dict) -> type:
    """Answers from one recorded site (WARC records indexed by replay.key), as replay.py does."""
    sys.path.insert(0, str(REAL))
    from http.server import BaseHTTPRequestHandler

    import replay

    class Handler(BaseHTTPRequestHandler):
        def answer(self, with_body: bool) -> None:
            status, headers, body = index.get(replay.key(self.path), (404, [("Content-Type", "text/html")], b"-"))
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in replay.SKIP:
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if with_body:
                self.wfile.write(body)

        def do_GET(self):
            self.answer(True)

        def do_HEAD(self):
            self.answer(False)

        def log_message(self, *a):
            pass
    return Handler


JS_SITES = ("js_plain", "js_json_menu", "js_dreamweaver")


def batch_servers(sites: int, latency: float, real_every: int = 10, js_every: int = 0) -> list:
    """`sites` loopback servers, each answering after `latency` s: every `real_every`-th one replays a recorded
    real site, every `js_every`-th one (if any) serves a test site whose menus scripts build (Chromium renders
    it), the others serve the generated evaluation sites in turn."""
    sys.path.insert(0, str(EVAL))
    from serve import handler_for
    generated = sorted(p for p in (EVAL / "sites").iterdir() if (p / "truth.json").exists())
    indexes = real_indexes()  # taken in turn
    servers = []
    for i in range(sites):
        if js_every and i % js_every == js_every // 2:
            root = ROOT / "tests/sites" / JS_SITES[(i // js_every) % len(JS_SITES)]
            handler = handler_for(root, "utf-8")
        elif indexes and i % real_every == real_every - 1:
            handler = _replay_handler(indexes[(i // real_every) % len(indexes)])
        else:
            root = generated[i % len(generated)]
            handler = handler_for(root, json.loads((root / "truth.json").read_text())["encoding"])
        servers.append(_serve_forever(_slowed(handler, latency)))
    return servers


def batch_bench(sites: int = 100, latency: float = 0.2, concurrency: int = 16, delay: float = 0.2,
                js_every: int = 0, processes: int | None = None, nights: int = 1) -> None:
    """`oit batch` over generated and replayed real sites on loopback, each server answering after `latency` s."""
    servers = batch_servers(sites, latency, js_every=js_every)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            csv_path = Path(tmp) / "sites.csv"
            csv_path.write_text("url,name\n" + "".join(f"http://127.0.0.1:{s.server_address[1]}/,site {i}\n"
                                                        for i, s in enumerate(servers)))
            args = [str(ROOT / ".venv/bin/oit"), "batch", str(csv_path), "--year", "2565", "--db", f"{tmp}/b.db",
                    "--concurrency", str(concurrency), "--delay", str(delay), "--allow-private", "-q",
                    *(["--processes", str(processes)] if processes else [])]
            for _ in range(nights - 1):  # earlier nights: the sizes the next night orders its sites by
                subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
            night = f"{tmp}/b.db"
            first_run = 0
            if nights > 1:
                import sqlite3
                with sqlite3.connect(night) as db:
                    first_run = db.execute("select max(id) from runs").fetchone()[0] or 0
            t0 = time.monotonic()
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            peak_mb = 0.0
            while proc.poll() is None:
                peak_mb = max(peak_mb, tree_pss_mb(proc.pid))
                time.sleep(0.5)
            wall = time.monotonic() - t0
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
            import sqlite3
            with sqlite3.connect(f"{tmp}/b.db") as db:
                requests, pages, done = db.execute(
                    "select sum(requests), sum(pages_fetched), count(*) from runs where status = 'finished' "
                    "and id > ?", [first_run]).fetchone()
                gave_up = db.execute("select count(*) from runs where findings like '%gave up on%' and id > ?",
                                     [first_run]).fetchone()[0]
                rendered = db.execute("select count(*) from runs where findings like '%rendered %' and id > ?",
                                      [first_run]).fetchone()[0]
                longest = db.execute("select max(julianday(finished_at) - julianday(started_at)) * 86400 "
                                     "from runs where id > ?", [first_run]).fetchone()[0] or 0.0
        # each site is its own server: at most 2 requests at a time, one start per `delay`, each taking `latency`
        per_request = max(delay, latency / 2)
        floor = (requests or 0) * per_request / concurrency
        js = f", {sites // js_every} with script menus" if js_every else ""
        js += f"; night {nights}, sites ordered by the last night's sizes" if nights > 1 else "; first night"
        js += f"; --processes {processes}" if processes else "; default processes"
        print(f"batch: {done}/{sites} sites ({sites // 10} replayed real{js}), {pages} pages, {requests} requests in "
              f"{wall:.1f}s wall (concurrency {concurrency}, {latency * 1000:.0f} ms latency, delay {delay}s); "
              f"politeness floor {floor:.1f}s, ratio {wall / floor if floor else float('nan'):.2f} "
              f"(the longest site alone {longest:.1f}s); "
              f"CPU {cpu:.0f}s ({cpu * 1000 / max(1, pages or 0):.1f} ms per page); "
              f"peak memory of the process tree {peak_mb:.0f} MB (PSS); {rendered} sites rendered pages, "
              f"{gave_up} gave up on a render")
    finally:
        for s in servers:
            s.shutdown()


def _serve_forever(handler: type):
    """A threading loopback server for `handler` on a free port, running in a daemon thread."""
    import threading
    from http.server import ThreadingHTTPServer
    srv = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def real_indexes() -> list[dict]:
    """Each recorded real site (every WARC of ../shared/eval/realsites) as its answers by `replay.key`."""
    sys.path.insert(0, str(REAL))
    import replay
    indexes = []
    for warc in sorted((REAL / "warc").glob("*.warc.gz")):
        index: dict = {}
        for uri, status, headers, body in replay.records(str(warc)):
            index.setdefault(replay.key(uri), (status, headers, body))
        indexes.append(index)
    return indexes


def real_site_servers() -> list:
    """One loopback server per recorded real site, no latency."""
    return [_serve_forever(_replay_handler(index)) for index in real_indexes()]


def generated_site_servers() -> list:
    """One loopback server per generated evaluation site, no latency."""
    sys.path.insert(0, str(EVAL))
    from serve import handler_for
    roots = sorted(p for p in (EVAL / "sites").iterdir() if (p / "truth.json").exists())
    return [_serve_forever(handler_for(r, json.loads((r / "truth.json").read_text())["encoding"])) for r in roots]


def batch_nights(servers: list, tmp: Path, name: str, nights: int = 2) -> list[tuple[float, int]]:
    """`oit batch` of `servers`, one process, no delay, `nights` times into one database: per night
    (CPU ms of the whole process tree per fetched page, pages fetched)."""
    import sqlite3
    csv_path = tmp / f"{name}.csv"
    csv_path.write_text("url,name\n" + "".join(f"http://127.0.0.1:{s.server_address[1]}/,{name} {i}\n"
                                               for i, s in enumerate(servers)))
    db = tmp / f"{name}.db"
    args = [str(ROOT / ".venv/bin/oit"), "batch", str(csv_path), "--year", "2565", "--db", str(db),
            "--concurrency", "4", "--processes", "1", "--delay", "0", "--allow-private", "-q"]
    out = []
    last = 0  # the last run of the nights before
    for _ in range(nights):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        with sqlite3.connect(db) as con:
            pages, newest = con.execute("select sum(pages_fetched), max(id) from runs where id > ?", [last]).fetchone()
        last = newest or last
        out.append((cpu * 1000 / max(1, pages or 0), pages or 0))
    return out


def scrapy_cpu(urls: list[str]) -> tuple[float, int]:
    """A plain Scrapy spider (links only) over `urls`, no delay: (CPU ms per response, responses)."""
    ms = pages = 0
    for url in urls:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        _, count = scrapy_pages(url, 0.0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        ms += ((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)) * 1000
        pages += count
    return ms / max(1, pages), pages


def nights_bench() -> None:
    """Issue 25's yardstick: the shared real sites and the generated sites as one-process batches with no
    delay, a first and a second night, beside a Scrapy spider's CPU per page on the same replayed sites."""
    if not (REAL / "warc").is_dir():
        print("nights: ../shared/eval/realsites not found, skipped")
        return
    real, generated = real_site_servers(), generated_site_servers()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            r = batch_nights(real, Path(tmp), "real")
            g = batch_nights(generated, Path(tmp), "generated")
        s_ms, s_pages = scrapy_cpu([f"http://127.0.0.1:{s.server_address[1]}/" for s in real])
        print(f"nights, one process, no delay: real sites ({len(real)}) first night {r[0][0]:.1f} ms CPU per fetched "
              f"page ({r[0][1]} pages), second night {r[1][0]:.1f} ms ({r[1][1]} pages); generated sites "
              f"({len(generated)}) {g[0][0]:.1f} / {g[1][0]:.1f} ms ({g[0][1]} pages); scrapy spider on the same "
              f"real sites {s_ms:.1f} ms per response ({s_pages} responses)")
    finally:
        for s in real + generated:
            s.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", default=str(ROOT.parent / "shared/eval/sites"))
    ap.add_argument("--site", default="site03", help="the site scanned by both crawlers")
    ap.add_argument("--port", type=int, default=18990)
    ap.add_argument("--only", choices=["real", "nights", "parse", "scrapy", "batch"], help="one part of the bench")
    ap.add_argument("--concurrency", type=int, default=16, help="sites at a time in the batch part")
    ap.add_argument("--batch-sites", type=int, default=100)
    ap.add_argument("--processes", type=int, help="oit batch --processes (default: its own default)")
    a = ap.parse_args()
    sites = Path(a.sites)
    if a.only in (None, "real"):
        real_bench()
    if a.only in (None, "nights"):
        nights_bench()
    if a.only in (None, "parse"):
        ms, n = cpu_per_page(sites)
        print(f"generated pages: decode+parse+match CPU {ms:.2f} ms per page over {n} pages")
    if a.only in (None, "scrapy"):
        scrapy_bench(sites, a.site, a.port)
    if a.only in (None, "batch"):
        for nights in (1, 2):  # a first night, then a night ordered by the first one's sizes
            batch_bench(a.batch_sites, concurrency=a.concurrency, processes=a.processes, nights=nights)
        batch_bench(a.batch_sites, concurrency=a.concurrency, processes=a.processes, js_every=20)  # Chromium too
        lean_bench()


def lean_bench() -> None:
    """What a scan costs around its pages: the document reader (CPU per real PDF, its memory) and start-up."""
    from reader_bench import documents_bench
    from startup_bench import startup_bench

    documents_bench()
    startup_bench()


def scrapy_bench(sites: Path, site: str, port: int) -> None:
    """One evaluation site scanned by `oit scan` and by a plain Scrapy spider, at the same politeness."""
    one = Path(tempfile.mkdtemp()) / "one"
    one.mkdir()
    (one / site).symlink_to(sites / site)
    server = serve(sites.parent, one, port)
    time.sleep(1.0)
    url = f"http://127.0.0.1:{port}/"
    try:
        for delay in (0.2, 0.0):
            odt, opages = time_oit(url, delay)
            sdt, spages = scrapy_pages(url, delay)
            ops, sps = opages / odt, spages / sdt if sdt else 0.0
            ratio = ops / sps if sps else float("nan")
            print(f"delay {delay}s, 2 per host: oit {opages} pages in {odt:.1f}s = {ops:.1f} p/s (whole audit); "
                  f"scrapy {spages} pages in {sdt:.1f}s = {sps:.1f} p/s; ratio oit/scrapy {ratio:.2f}")
    finally:
        server.terminate()


if __name__ == "__main__":
    main()
