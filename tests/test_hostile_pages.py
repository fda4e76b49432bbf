"""Hostile or broken pages never abort a site's audit nor take the machine (issue 20, high): malformed links,
stacked content encodings, deep nesting, scripts that fire requests in a loop. Real CLI, loopback HTTP, SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest

import crawler.parse
from conftest import ROOT, dated, run_oit, scan
from crawler import audit
from crawler.config import DEFAULT_CHROMIUM, Options, RenderOptions, Settings
from crawler.fetch import Fetcher
from crawler.parse import FLAT_NESTING, parse, shallow
from crawler.render import ROUTED_PER_PAGE
from sitesrv import SiteServer

MALFORMED = ["http://[::1/x", "http://h:abc/", "http://h:99999/", "http://[zz::1]/"]
BAD_HOSTS = ["http://xn--a.com/", "http://\ufffd/"]  # spelled by no IDNA: httpx raised IDNAError / InvalidURL


def _site(root, pages: dict[str, str]) -> SiteServer:
    root.mkdir(parents=True, exist_ok=True)
    for name, body in pages.items():
        (root / name).write_text(f"<html><head><meta charset='utf-8'><title>เทศบาลตำบลทดสอบ</title></head>"
                                 f"<body>{body}</body></html>", encoding="utf-8")
    return SiteServer(root)


# -- 1. one malformed link never aborts a site's audit ------------------------------------------------------

def test_malformed_links_are_skipped_and_counted_in_parse():
    for bad in [*MALFORMED, *BAD_HOSTS]:
        for html in (f'<a href="{bad}">x</a><a href="/ok">ok</a>', f'<iframe src="{bad}"></iframe><a href="/ok">ok</a>',
                     f'<map><area href="{bad}"></map><a href="/ok">ok</a>'):
            page = parse("http://s.go.th/a/", html)
            assert [lk.url for lk in page.links] == ["http://s.go.th/ok"] and page.malformed == 1, (bad, html)
        page = parse("http://s.go.th/a/", f'<base href="{bad}"><a href="ok">ok</a>')
        assert [lk.url for lk in page.links] == ["http://s.go.th/a/ok"]  # a broken base is ignored, as browsers do
        page = parse("http://s.go.th/", f'<meta http-equiv="refresh" content="0; url={bad}">')
        assert page.refresh is None and page.malformed == 1


def test_malformed_and_unspellable_urls_are_an_error_answer_not_an_exception():
    async def run() -> None:
        for private in (True, False):
            async with Fetcher(Settings(allow_private=private)) as fetcher:
                for bad in [*MALFORMED, *BAD_HOSTS]:
                    resp = await fetcher.request(bad, retries=0)
                    assert resp.status == 0 and "malformed URL" in (resp.error or ""), (bad, resp.error)
    asyncio.run(run())


def test_site_with_malformed_links_everywhere_is_audited(tmp_root, tmp_path):
    links = "".join(f'<li><a href="{u}">ข่าว {i}</a></li>' for i, u in enumerate(MALFORMED))
    onclick = "".join(f"<span onclick=\"location.href='{u}'\">เมนู {i}</span>" for i, u in enumerate(MALFORMED))
    menu = "".join(f'addMenuItem("เมนู {i}", "window.open(\'{u}\')");' for i, u in enumerate(MALFORMED))
    pages = {
        "index.html": f"<h1>เทศบาลตำบลทดสอบ</h1><ul class='menu'>{links}<li><a href='a.html'>หน้า ก</a></li>"
                      f"<li><a href='b.html'>หน้า ข</a></li><li><a href='c.html'>หน้า ค</a></li>"
                      f"<li><a href='{BAD_HOSTS[0]}'>ลิงก์นอก</a></li><li><a href='{BAD_HOSTS[1]}'>ลิงก์นอก 2</a></li>"
                      f"</ul>{onclick}<map><area href='{MALFORMED[0]}'></map><iframe src='{MALFORMED[2]}'></iframe>"
                      f"<script>{menu}</script><p>ยินดีต้อนรับ</p>",
        "a.html": f"<base href='{MALFORMED[0]}'><h1>หน้า ก</h1><a href='index.html'>หน้าแรก</a>",
        "b.html": f"<meta http-equiv='refresh' content='0; url={MALFORMED[1]}'><h1>หน้า ข</h1>",
        "c.html": f"<base href='{MALFORMED[3]}'><h1>หน้า ค</h1><a href='{MALFORMED[2]}'>x</a>",
    }
    srv = _site(tmp_root, pages)
    try:
        proc, doc = scan(srv.url, tmp_path, "--render", "never", "--check-offsite")
    finally:
        srv.close()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-3000:]
    con = sqlite3.connect(tmp_path / "oit.db")
    status, reason, findings = con.execute("select status, stop_reason, findings from runs").fetchone()
    assert (status, reason) == ("finished", "done")
    assert con.execute("select count(*) from pages").fetchone()[0] >= 4
    counted = [f for f in json.loads(findings) if "ข้ามลิงก์" in f]
    assert counted and "malformed links skipped" in counted[0], findings


def test_an_unexpected_error_in_a_sites_audit_closes_its_run(tmp_root, tmp_path):
    """Whatever escapes a site's audit (here the caller's own progress callback), its run ends failed, never
    left 'running'."""
    srv = _site(tmp_root, {"index.html": "<h1>เทศบาลตำบลทดสอบ</h1><a href='a.html'>ก</a>", "a.html": "<h1>ก</h1>"})

    def broken(record, links):
        raise ValueError("the caller's progress display failed")

    options = Options(db=tmp_path / "oit.db", settings=Settings(allow_private=True, delay=0.02),
                      render=RenderOptions(mode="never"))
    try:
        with pytest.raises(ValueError):
            audit(srv.url, options, on_page=broken)
    finally:
        srv.close()
    con = sqlite3.connect(tmp_path / "oit.db")
    status, reason, findings = con.execute("select status, stop_reason, findings from runs").fetchone()
    assert (status, reason) == ("failed", "error") and "ValueError" in findings


# -- 2. stacked content encodings and bombs stop at the cap, with a bound at every layer --------------------

def _gzip(chunks, wbits: int = 16 + zlib.MAX_WBITS) -> bytes:
    z = zlib.compressobj(9, zlib.DEFLATED, wbits)
    return b"".join([*(z.compress(c) for c in chunks), z.flush()])


def _zeros(megabytes: int):
    return (b"\0" * 1_000_000 for _ in range(megabytes))


BOMB = _gzip(_zeros(200))  # 200 MB of zeros in ~200 KB
STACKED = _gzip([BOMB])  # `gzip, gzip`: 200 MB from about 1 KB on the wire


def _fetch_peak(routes: dict, path: str, **kw) -> tuple[object, int]:
    """The fetcher's answer for `path` and the peak of Python memory while it was fetched."""
    srv = SiteServer(Path("/nonexistent"), routes=routes)

    async def run():
        async with Fetcher(Settings(allow_private=True)) as fetcher:
            resp = await fetcher.request(srv.url + path.lstrip("/"), retries=0, **kw)
            return resp, tracemalloc.get_traced_memory()[1]
    tracemalloc.start()
    try:
        resp, peak = asyncio.run(run())
    finally:
        tracemalloc.stop()
        srv.close()
    return resp, peak


@pytest.mark.parametrize("encoding, body", [("gzip, gzip", STACKED), ("gzip", BOMB), ("x-gzip,gzip", STACKED),
                                            ("deflate, gzip", _gzip([_gzip(_zeros(200), zlib.MAX_WBITS)]))],
                         ids=["gzip-gzip", "gzip-bomb", "x-gzip-gzip", "deflate-gzip"])
def test_compression_bombs_stop_at_the_cap_with_bounded_memory(encoding, body):
    resp, peak = _fetch_peak({"/b.html": (200, {"Content-Encoding": encoding}, body)}, "/b.html")
    cap = Settings().max_bytes
    assert resp.status == 200 and resp.truncated and len(resp.content) == cap, (resp.status, resp.error)
    assert peak < 3 * cap, f"peak {peak / 1e6:.0f} MB"  # the page itself and one step of each layer


def test_more_stacked_encodings_than_two_are_refused_and_normal_ones_decode():
    text = "<html><body>หน้าแรก</body></html>".encode() * 50
    routes = {"/3.html": (200, {"Content-Encoding": "gzip, gzip, gzip"}, _gzip([_gzip([_gzip([text])])])),
              "/g.html": (200, {"Content-Encoding": "gzip"}, _gzip([text])),
              "/gg.html": (200, {"Content-Encoding": "gzip, gzip"}, _gzip([_gzip([text])])),
              "/z.html": (200, {"Content-Encoding": "deflate"}, _gzip([text], zlib.MAX_WBITS)),
              "/raw.html": (200, {"Content-Encoding": "deflate"}, _gzip([text], -zlib.MAX_WBITS)),
              "/id.html": (200, {"Content-Encoding": "identity"}, text),
              "/bad.html": (200, {"Content-Encoding": "gzip"}, b"not gzip at all")}
    resp, _ = _fetch_peak(routes, "/3.html")
    assert resp.status == 0 and "3 stacked content encodings" in resp.error
    for path in ("/g.html", "/gg.html", "/z.html", "/raw.html", "/id.html"):
        resp, _ = _fetch_peak(routes, path)
        assert resp.ok and resp.content == text and not resp.truncated, (path, resp.error)
    resp, _ = _fetch_peak(routes, "/bad.html")
    assert resp.status == 0 and "DecodingError" in resp.error


# -- 3. deep nesting: flattened before any tree is built ----------------------------------------------------

DEEP = 100_000
DEEP_BODY = ("<h1>เทศบาลตำบลทดสอบ</h1><a href='a.html'>หน้า ก</a>" + "<div>" * DEEP
             + "<h2>ข่าวประชาสัมพันธ์</h2><a href='b.html'>ข่าว</a>" + "</div>" * DEEP + "<a href='c.html'>ท้าย</a>")


def test_deep_nesting_is_flattened_and_parsed_in_a_second():
    html = f"<html><body>{DEEP_BODY}</body></html>"  # 1.1 MB: lexbor alone took 23 s, parse 53 s
    t0 = time.monotonic()
    page = parse("http://s.go.th/", html)
    assert time.monotonic() - t0 < 5
    assert [lk.url for lk in page.links] == ["http://s.go.th/a.html", "http://s.go.th/b.html", "http://s.go.th/c.html"]
    assert "ข่าวประชาสัมพันธ์" in page.headings
    normal = "<html><body>" + "<div><ul><li><a href='/x'>x</a></li></ul>" * 100 + "</div>" * 100 + "</body></html>"
    assert shallow(normal) is normal  # a page nested less than MAX_NESTING is read as it is


def test_a_small_deep_page_is_flattened_as_a_big_one_and_a_small_shallow_one_parsed_once():
    from crawler.parse import nesting
    deep = ("<html><body><a href='a.html'>ก</a>" + "<div>" * 300 + "<h2>ข่าว</h2><a href='b.html'>ข</a>"
            + "</div>" * 300 + "</body></html>")  # 600 tags: parsed at once, its tree found deep, then counted
    assert deep.count("<") <= nesting.QUICK_TAGS
    flat = shallow(deep)
    assert flat is not deep and flat.count("<div>") == FLAT_NESTING
    page = parse("http://s.go.th/", deep)
    assert [lk.url for lk in page.links] == ["http://s.go.th/a.html", "http://s.go.th/b.html"]
    assert "ข่าว" in page.headings
    shallow_page = "<html><body>" + "<div><p><a href='/x'>x</a></p></div>" * 300 + "</body></html>"
    assert shallow(shallow_page) is shallow_page
    tree = nesting.parsed(shallow_page)  # the tree `shallow` built, handed out once
    assert nesting.parsed(shallow_page) is not tree
    assert len(tree.css("a")) == 300


def test_a_page_not_parsed_in_time_is_read_in_part_and_said(monkeypatch):
    html = "<html><body>" + "".join(f"<p><a href='/n{i}'>ข่าว {i}</a></p>" for i in range(1000)) + "</body></html>"
    assert len(parse("http://s.go.th/", html).links) == 1000
    monkeypatch.setattr(crawler.parse, "PARSE_SECONDS", 0.0)  # the cap reached at once
    page = parse("http://s.go.th/", html)
    assert page.timed_out and 0 < len(page.links) < 1000


def test_site_with_a_deep_page_is_audited_within_its_time(tmp_root, tmp_path):
    srv = _site(tmp_root, {"index.html": DEEP_BODY, "a.html": "<h1>หน้า ก</h1>", "b.html": "<h1>ข่าว</h1>",
                           "c.html": "<h1>ท้าย</h1>"})
    t0 = time.monotonic()
    try:
        proc, doc = scan(srv.url, tmp_path, "--render", "never", "--time-limit", "20")
    finally:
        srv.close()
    assert time.monotonic() - t0 < 40 and proc.returncode == 2, proc.stderr[-2000:]
    con = sqlite3.connect(tmp_path / "oit.db")
    status, findings = con.execute("select status, findings from runs").fetchone()
    assert status == "finished" and "1 pages nested more than" in findings
    assert {u.rsplit("/", 1)[1] for (u,) in con.execute("select url from pages")} >= {"a.html", "b.html", "c.html"}


# -- 4. a page whose script fires requests in a loop ---------------------------------------------------------

LOOPING = ("<h1>เทศบาลตำบลทดสอบ</h1><a href='a.html'>หน้า ก</a><div id='menu' class='menu'></div>"
           "<script>setInterval(function () { for (var i = 0; i < 50; i++) "
           "fetch('/api/x?' + Math.random()).catch(function () {}); }, 20);</script>")


def tree_rss_mb(root: int) -> float:
    """Memory of a process and all its descendants (Chromium's included), from /proc (PSS)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    total = 0  # proportional set size: a page shared by Chromium's processes counted once in all
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:")) * 1024
        except (OSError, ValueError, IndexError, StopIteration):
            continue
    return total / 1e6


def run_polled(args: list[str], bound: float) -> tuple[subprocess.CompletedProcess, float]:
    """The real CLI, its process tree's resident memory polled every 0.2 s; killed past `bound` seconds."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "crawler", *dated(args)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak, t0 = 0.0, time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < bound:
        peak = max(peak, tree_rss_mb(proc.pid))
        time.sleep(0.2)
    if proc.poll() is None:
        proc.kill()
    out, err = proc.communicate()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err), peak


@pytest.mark.skipif(not Path(DEFAULT_CHROMIUM).exists(), reason="needs Chromium")
def test_page_firing_requests_in_a_loop_is_rendered_with_bounded_requests(tmp_root, tmp_path):
    srv = _site(tmp_root, {"index.html": LOOPING, "a.html": "<h1>หน้า ก</h1>"})
    db = tmp_path / "oit.db"
    try:
        proc, peak = run_polled(["scan", srv.url, "--db", str(db), "--delay", "0.02", "--render", "always",
                                 "--render-timeout", "8", "--render-pages", "1"], bound=120)
        api = sum(n for path, n in srv.stats.paths.items() if path.startswith("/api/"))
    finally:
        srv.close()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert peak < 800, f"process tree peak {peak:.0f} MB"
    assert api <= ROUTED_PER_PAGE, api
    (status,) = sqlite3.connect(db).execute("select status from runs").fetchone()
    assert status == "finished"


# -- a batch site whose process dies under it (OOM killer, kill -9) is given up after three deaths -----------

def _kill_when_scanning(args: list[str], db: Path) -> None:
    """Start `oit batch`, kill -9 it once the slow site's run is scanning."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    last = 0
    with contextlib.suppress(sqlite3.Error), sqlite3.connect(db) as con:
        last = con.execute("select coalesce(max(id), 0) from runs").fetchone()[0]
    proc = subprocess.Popen([sys.executable, "-m", "crawler", *dated(args)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    ready = f"select count(*) from runs r join pages p on p.run_id = r.id where r.status = 'running' and r.id > {last}"
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(sqlite3.Error), sqlite3.connect(db) as con:
            if con.execute(ready).fetchone()[0]:
                break
        time.sleep(0.1)
    assert proc.poll() is None, "the batch ended before it was killed"
    proc.kill()
    proc.wait()


def test_batch_site_whose_process_dies_three_times_is_given_up(tmp_root, tmp_path):
    pages = {f"p{i}.html": f"<h1>หน้า {i}</h1>" for i in range(10)}
    slow = _site(tmp_root, {"index.html": "<h1>เทศบาลตำบลช้า</h1>" + "".join(f"<a href='{p}'>{p}</a>" for p in pages),
                            **pages})
    slow.latency = 0.5
    db, csv_path = tmp_path / "oit.db", tmp_path / "sites.csv"
    csv_path.write_text(f"url,name\n{slow.url},ช้า\n", "utf-8")
    args = ["batch", str(csv_path), "--db", str(db), "--allow-private", "--processes", "1", "--delay", "0.02",
            "--render", "never"]
    try:
        for _ in range(3):
            _kill_when_scanning(args, db)
        time.sleep(1.5)  # a request the killed process sent is still counted before
        before = sum(slow.stats.paths.values())
        again = run_oit(*args, timeout=120)
        after = sum(slow.stats.paths.values())
    finally:
        slow.close()
    assert "Traceback" not in again.stderr, again.stderr[-2000:]
    assert after == before  # not scanned a fourth time
    with sqlite3.connect(db) as con:
        status, error, deaths = con.execute("select status, error, deaths from batch_sites").fetchone()
        assert (status, deaths) == ("failed", 3) and "died 3 times" in error
        assert con.execute("select status from batches").fetchone() == ("finished",)
        assert con.execute("select count(*) from runs where status = 'running'").fetchone() == (0,)


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, ValueError, IndexError), open(f"/proc/{entry}/stat") as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(entry))
    return out


def test_batch_sites_whose_worker_processes_die_three_times_are_given_up(tmp_root, tmp_path):
    """Two worker processes, both killed (-9) mid-scan three times: each site counts one death a time (the parent
    counts them, the resume does not count them again) and is given up after the third."""
    pages = {f"p{i}.html": f"<h1>หน้า {i}</h1>" for i in range(10)}
    index = "<h1>เทศบาลตำบลช้า</h1>" + "".join(f"<a href='{p}'>{p}</a>" for p in pages)
    servers = [_site(tmp_root / name, {"index.html": index, **pages}) for name in ("a", "b")]
    for srv in servers:
        srv.latency = 0.5
    db, csv_path = tmp_path / "oit.db", tmp_path / "sites.csv"
    csv_path.write_text("url,name\n" + "".join(f"{s.url},{i}\n" for i, s in enumerate(servers)), "utf-8")
    args = ["batch", str(csv_path), "--db", str(db), "--allow-private", "--processes", "2", "--concurrency", "2",
            "--delay", "0.02", "--render", "never"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    try:
        for _ in range(3):
            last = 0
            if db.exists():
                with sqlite3.connect(db) as con:
                    last = con.execute("select coalesce(max(id), 0) from runs").fetchone()[0]
            proc = subprocess.Popen([sys.executable, "-m", "crawler", *dated(args)], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with contextlib.suppress(sqlite3.Error), sqlite3.connect(db) as con:
                    if con.execute(f"select count(distinct r.id) from runs r join pages p on p.run_id = r.id "
                                   f"where r.status = 'running' and r.id > {last}").fetchone()[0] == 2:
                        break
                time.sleep(0.1)
            workers = _children(proc.pid)
            assert len(workers) >= 2, workers
            for pid in workers:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _, err = proc.communicate(timeout=60)
            assert proc.returncode == 1 and "killed by SIGKILL" in err, err[-2000:]
        time.sleep(1.5)
        before = [sum(s.stats.paths.values()) for s in servers]
        again = run_oit(*args, timeout=120)
        after = [sum(s.stats.paths.values()) for s in servers]
    finally:
        for srv in servers:
            srv.close()
    assert "Traceback" not in again.stderr and after == before, again.stderr[-2000:]
    with sqlite3.connect(db) as con:
        assert con.execute("select status, deaths from batch_sites").fetchall() == [("failed", 3), ("failed", 3)]
        assert con.execute("select status from batches").fetchone() == ("finished",)
