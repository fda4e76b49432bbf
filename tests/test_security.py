"""Security holes closed: each case runs the real code path (CLI subprocess, real SQLite, loopback HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, dated, run_oit, scan
from crawler.checklist import ChecklistError, load
from sitesrv import SiteServer, serve

MAX_DEPTH = 32  # crawler.checklist.MAX_DEPTH

# -- checklist files: aliases, anchors, nesting, size ---------------------------------------------------

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


@pytest.mark.parametrize("name, text, line, words", [
    ("laughs", LAUGHS, 1, "anchor &a is not allowed"),
    ("self", "name: x\nitems: &loop\n  - *loop\n", 2, "anchor &loop is not allowed"),
    ("alias", "name: x\nitems:\n  - *nothing\n", 3, "alias *nothing is not allowed"),
    ("deep", "items: " + "[" * 5000 + "]" * 5000 + "\n", 1, f"nested more than {MAX_DEPTH} levels deep"),
    ("deep-block", "items:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), MAX_DEPTH + 1, "nested more"),
    ("bigint", "name: x\nassessment_year: " + "9" * 200_000 + "\n", 2, "assessment_year: a number of 200,000 digits"),
    ("bigint-item", "name: x\nitems:\n  - id: O1\n    number: " + "1" * 200_000 + "\n", 4,
     "items[0].number: a number of"),
])
def test_hostile_checklist_is_refused_in_seconds(tmp_path, name, text, line, words):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    t = time.monotonic()
    with pytest.raises(ChecklistError) as e:
        load(path)
    assert time.monotonic() - t < 5
    assert str(e.value).startswith(f"{path}:{line}: ") and words in str(e.value), str(e.value)
    proc = run_oit("check-checklist", str(path), timeout=30)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"oit: error: {e.value}"]


def test_huge_checklist_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * 50_000_000 + b"\n")
    t = time.monotonic()
    with pytest.raises(ChecklistError, match=rf"^{path}:1: file: larger than 2 MB"):
        load(path)
    assert time.monotonic() - t < 2


def test_shipped_checklist_uses_no_aliases():
    assert len(load(ROOT / "checklists" / "oit-2565.yaml").items) == 43


# -- links whose scheme hides tabs, newlines or control characters -------------------------------------

HIDDEN_SCRIPT = ["java&#x09;script:alert(1)", "jav&#x0A;ascript:alert(1)", "&#x01; java&#x0D;script:alert(1)",
                 "java\tscript:void(0)", "ja\nvascript:void(0)", "vbscript:msgbox(1)", "data&#x09;:text/html,x"]


def test_hidden_javascript_links_are_never_evidence(tmp_root, tmp_path):
    labels = ["โครงสร้างหน่วยงาน", "ข้อมูลผู้บริหาร", "อำนาจหน้าที่", "แผนพัฒนาท้องถิ่น", "กฎหมายที่เกี่ยวข้อง",
              "ข่าวประชาสัมพันธ์", "Q&amp;A ถาม-ตอบ"]
    links = "".join(f'<li><a href="{href}">{label}</a></li>' for href, label in zip(HIDDEN_SCRIPT, labels, strict=True))
    tmp_root.mkdir()
    (tmp_root / "index.html").write_text(
        f"<html><head><meta charset='utf-8'><title>เทศบาลตำบลทดสอบ</title></head><body><h1>เทศบาลตำบลทดสอบ</h1>"
        f"<ul class='menu'>{links}</ul><p>ยินดีต้อนรับ</p></body></html>", encoding="utf-8")
    srv = SiteServer(tmp_root)
    try:
        proc, doc = scan(srv.url, tmp_path, "--render", "never")
    finally:
        srv.close()
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    con = sqlite3.connect(tmp_path / "oit.db")
    urls = [u for (u,) in con.execute("select url from evidence union all select to_url from links "
                                      "union all select url from pages")]
    assert urls and all(u.startswith("http://127.0.0.1") for u in urls), urls
    assert all(not (e.get("url") or "http").lower().startswith(("java", "vb", "data"))
               for i in doc["items"] for e in i.get("evidence", []))


# -- a sites CSV with a field over the csv module's 128 KB limit ----------------------------------------

@pytest.mark.parametrize("where, line", [("header", 1), ("row", 3)])
def test_sites_csv_with_huge_field_is_one_clear_line(tmp_path, where, line):
    bad = tmp_path / "sites.csv"
    huge = "ก" * 200_000
    head = f"url,name,{huge}\n" if where == "header" else "url,name\n"
    bad.write_text(head + "http://a.example.go.th,เทศบาลหนึ่ง\n" +
                   (f'http://b.example.go.th,"{huge}"\n' if where == "row" else ""), encoding="utf-8")
    proc = run_oit("batch", str(bad), "--db", str(tmp_path / "x.db"), timeout=60)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"oit: error: {bad}:{line}: อ่านแถวนี้ไม่ได้: ข้อมูลในช่องหนึ่งยาวเกิน 131072 ตัวอักษร"], proc.stderr


# -- a new database opened by many processes at once -----------------------------------------------------

OPEN_AT = """
import sys, time
from crawler.store import Store
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
store = Store(sys.argv[1])
store.start_run("c", "1", 2565, "http://a.go.th/", {}, "t")
"""


@pytest.mark.parametrize("attempt", range(3))
def test_fresh_database_opened_by_many_processes_at_once(tmp_path, attempt):
    db = tmp_path / "new.db"
    start = time.time() + 1.5  # every process past its imports, then all at the same moment
    procs = [subprocess.Popen([sys.executable, "-c", OPEN_AT, str(db), str(start)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(12)]
    outs = [p.communicate(timeout=60) for p in procs]
    errors = [err for p, (_, err) in zip(procs, outs, strict=True) if p.returncode != 0]
    assert not errors, errors[0]
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from runs").fetchone()[0] == 12
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"


# -- SIGINT and SIGTERM mid-scan and mid-batch ------------------------------------------------------------

SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}
FAST_CLI = ["--delay", "0.02", "--render", "never", "--year", "2565"]


def _count(db: Path, sql: str) -> int:
    try:
        with sqlite3.connect(db) as con:
            return con.execute(sql).fetchone()[0]
    except sqlite3.Error:
        return 0


def _interrupt(args: list[str], db: Path, sig: int, ready: str, sigint_ignored: bool = False
               ) -> subprocess.CompletedProcess:
    """Start the real CLI, send `sig` once `ready` (a count query) is true, wait for it to end."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    # `oit ... &` ignores SIGINT; otherwise the default, whatever the test runner was started with
    disposition = signal.SIG_IGN if sigint_ignored else signal.SIG_DFL

    def ignore() -> None:
        signal.signal(signal.SIGINT, disposition)
    proc = subprocess.Popen([sys.executable, "-m", "crawler", *dated(args)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=ignore)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not _count(db, ready):
        time.sleep(0.1)
    assert proc.poll() is None, "finished before the signal"
    t = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - t < 10
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _clean_stop(proc: subprocess.CompletedProcess, sig: int) -> None:
    assert proc.returncode == SIGNAL_EXIT[sig], (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.strip().splitlines() if not line.startswith("[")]  # batch progress
    assert len(lines) == 1 and lines[0].startswith(f"oit: stopped by {signal.Signals(sig).name}: "), proc.stderr
    assert "Traceback" not in proc.stderr and "never retrieved" not in proc.stderr


@pytest.mark.parametrize("sig, sigint_ignored", [(signal.SIGINT, False), (signal.SIGTERM, False),
                                                  (signal.SIGTERM, True)],
                         ids=["SIGINT", "SIGTERM", "SIGTERM-in-background-job"])
def test_signal_mid_scan_marks_the_run_interrupted(tmp_path, sig, sigint_ignored):
    srv = serve("menu_cms", latency=0.4)
    db = tmp_path / "oit.db"
    try:
        proc = _interrupt(["scan", srv.url, "--db", str(db), "--delay", "0.02", "--render", "never"], db, sig,
                          "select count(*) >= 2 from pages", sigint_ignored)
    finally:
        srv.close()
    _clean_stop(proc, sig)
    with sqlite3.connect(db) as con:
        assert con.execute("select status, stop_reason, finished_at is not null from runs").fetchall() == [
            ("failed", "interrupted", 1)]


@pytest.mark.parametrize("sig, sigint_ignored", [(signal.SIGINT, False), (signal.SIGTERM, False),
                                                  (signal.SIGTERM, True)],
                         ids=["SIGINT", "SIGTERM", "SIGTERM-in-background-job"])
def test_signal_mid_batch_then_resume(tmp_path, sig, sigint_ignored):
    servers = [serve(name, latency=0.3) for name in ("menu_cms", "js_plain", "ita_table")]
    db, csv_path = tmp_path / "oit.db", tmp_path / "sites.csv"
    csv_path.write_text("url,name\n" + "".join(f"{s.url},site {i}\n" for i, s in enumerate(servers)), "utf-8")
    args = ["batch", str(csv_path), "--db", str(db), "--allow-private", "--concurrency", "2", "--delay", "0.02",
            "--render", "never"]
    try:
        proc = _interrupt(args, db, sig, "select count(*) >= 3 from pages", sigint_ignored)
        _clean_stop(proc, sig)
        assert "สั่งคำสั่งเดิมอีกครั้งเพื่อตรวจต่อ" in proc.stderr
        with sqlite3.connect(db) as con:
            assert con.execute("select status from batches").fetchall() == [("running",)]
            assert con.execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0
            stopped = con.execute("select count(*) from runs where stop_reason = 'interrupted'").fetchone()[0]
            assert stopped >= 1
            assert "failed" not in {s for (s,) in con.execute("select status from batch_sites")}
        for s in servers:
            s.latency = 0.0
        again = run_oit(*args, timeout=300)
    finally:
        for s in servers:
            s.close()
    assert again.returncode == 2, again.stderr[-2000:]  # resumed to the end: gaps, no error
    with sqlite3.connect(db) as con:
        assert con.execute("select status from batches").fetchall() == [("finished",)]
        assert {s for (s,) in con.execute("select status from batch_sites")} == {"done"}
        per_site = con.execute("select start_url, count(*) from runs where status = 'finished' group by start_url")
        assert sorted(n for _, n in per_site.fetchall()) == [1, 1, 1]


# -- the same batch started twice -------------------------------------------------------------------------

def test_same_batch_started_twice_is_refused(tmp_path):
    servers = [serve(name, latency=0.2) for name in ("menu_cms", "js_plain")]
    db, csv_path = tmp_path / "oit.db", tmp_path / "sites.csv"
    csv_path.write_text("url,name\n" + "".join(f"{s.url},site {i}\n" for i, s in enumerate(servers)), "utf-8")
    args = ["batch", str(csv_path), "--db", str(db), "--allow-private", "--concurrency", "2", "--delay", "0.02",
            "--render", "never"]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    try:
        first = subprocess.Popen([sys.executable, "-m", "crawler", *dated(args)], cwd=ROOT, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _count(db, "select count(*) >= 2 from pages"):
            time.sleep(0.1)
        assert first.poll() is None
        t = time.monotonic()
        second = run_oit(*args, timeout=60)
        assert time.monotonic() - t < 15
        assert first.poll() is None, "the first batch ended while the second ran"
        out, err = first.communicate(timeout=300)
    finally:
        for s in servers:
            s.close()
    assert second.returncode == 1 and "Traceback" not in second.stderr
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "this batch is already running (pid " in lines[0], second.stderr
    assert f"pid {first.pid} on " in lines[0]
    assert first.returncode == 2, err[-2000:]  # finished, with gaps
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from batches").fetchone()[0] == 1
        assert con.execute("select status, count(*) from runs group by status").fetchall() == [("finished", 2)]
        assert {s for (s,) in con.execute("select status from batch_sites")} == {"done"}
    again = run_oit(*args, timeout=120)  # the lock went with the process (its servers are gone now: exit 1)
    assert again.returncode == 1 and "already running" not in again.stderr, again.stderr[-2000:]


# -- the disk fills up mid-run ------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 64 MB tmpfs (root only, as CI runs): the database's disk, to fill up while a run goes on."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mnt)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def _fill(disk: Path) -> None:
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        for size in (1_048_576, 4096, 1):  # to the last byte
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * size):
                    pass
    finally:
        os.close(fd)


def test_disk_full_mid_scan_is_one_line_and_a_failed_run(small_disk, tmp_path):
    srv = serve("menu_cms", latency=0.3)
    db = small_disk / "oit.db"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "crawler", "scan", srv.url, "--db", str(db), *FAST_CLI],
                                cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _count(db, "select count(*) >= 2 from pages"):
            time.sleep(0.1)
        assert proc.poll() is None
        _fill(small_disk)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1 and "Traceback" not in err, err
        assert err.strip().splitlines() == [f"oit: error: บันทึกลงฐานข้อมูล {db} ไม่ได้: ดิสก์เต็ม"]
        (small_disk / "filler").unlink()
        with sqlite3.connect(db) as con:
            assert con.execute("pragma integrity_check").fetchone()[0] == "ok"
            assert con.execute("select status, stop_reason from runs").fetchall() in (
                [("failed", "database_error")], [("running", None)])  # the latter if not even that could be written
        srv.latency = 0.0
        again = run_oit("scan", srv.url, "--db", str(db), *FAST_CLI, timeout=120)  # the next start closes it
    finally:
        srv.close()
    assert again.returncode in (0, 2), again.stderr
    with sqlite3.connect(db) as con:
        assert con.execute("select status, stop_reason from runs order by id").fetchall() in (
            [("failed", "database_error"), ("finished", "done")], [("failed", "interrupted"), ("finished", "done")])


def test_disk_full_mid_batch_stops_it_and_resume_redoes_the_sites(small_disk, tmp_path):
    servers = [serve(name, latency=0.3) for name in ("menu_cms", "js_plain", "ita_table")]
    db, csv_path = small_disk / "oit.db", tmp_path / "sites.csv"
    csv_path.write_text("url,name\n" + "".join(f"{s.url},site {i}\n" for i, s in enumerate(servers)), "utf-8")
    args = ["batch", str(csv_path), "--db", str(db), "--allow-private", "--concurrency", "2", *FAST_CLI]
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    try:
        proc = subprocess.Popen([sys.executable, "-m", "crawler", *dated(args)], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _count(db, "select count(*) >= 3 from pages"):
            time.sleep(0.1)
        assert proc.poll() is None
        _fill(small_disk)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1 and "Traceback" not in err, err
        lines = [line for line in err.strip().splitlines() if not line.startswith("[")]
        assert lines == [f"oit: error: บันทึกลงฐานข้อมูล {db} ไม่ได้: ดิสก์เต็ม; "
                         "ชุดงานหยุดแล้ว: สั่งคำสั่งเดิมอีกครั้งเพื่อตรวจต่อ"], err
        (small_disk / "filler").unlink()
        with sqlite3.connect(db) as con:
            assert con.execute("select status from batches").fetchall() == [("running",)]
            assert "failed" not in {s for (s,) in con.execute("select status from batch_sites")}
        for s in servers:
            s.latency = 0.0
        again = run_oit(*args, timeout=300)
    finally:
        for s in servers:
            s.close()
    assert again.returncode == 2, again.stderr[-2000:]  # resumed to the end: gaps, no error
    with sqlite3.connect(db) as con:
        assert con.execute("select status from batches").fetchall() == [("finished",)]
        assert {s for (s,) in con.execute("select status from batch_sites")} == {"done"}
        assert con.execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0
        per_site = con.execute("select start_url, count(*) from runs where status = 'finished' group by start_url")
        assert sorted(n for _, n in per_site.fetchall()) == [1, 1, 1]


# -- memory kept per page over a long crawl -------------------------------------------------------------------

def _deep_size(root: object) -> int:
    """Bytes of every object reachable from `root` (strings shared between pages counted once)."""
    seen, stack, total = set(), [root], 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        if isinstance(obj, dict):
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack.extend(obj)
        elif hasattr(obj, "__dict__"):
            stack.append(obj.__dict__)
    return total


def test_memory_kept_per_page_of_a_long_crawl():
    """300 pages of a generated loopback site (20-link menu, 600 Thai words each): the state the crawler keeps
    until verification is 17 KB a page (35 KB before the parsed text and link context were dropped)."""
    from bigsite import BigSite

    from crawler.config import Budget, Settings
    from crawler.crawl import Crawler
    from crawler.fetch import Fetcher

    checklist = load()
    site = BigSite(menu_links=20, words=600)

    async def crawl():
        async with Fetcher(Settings(per_host=4, delay=0.0, allow_private=True)) as fetcher:
            crawler = Crawler(checklist, fetcher, Budget(max_pages=300, max_depth=50, time_limit=300), workers=4)
            return crawler, await crawler.run(site.url)

    try:
        crawler, result = asyncio.run(crawl())
    finally:
        site.close()
    assert result.pages_fetched == 300 and result.stop_reason == "max_pages"
    kept = _deep_size([result.pages, crawler._via, crawler._site_links]) / result.pages_fetched
    assert kept < 24 * 1024, f"{kept / 1024:.1f} KB a page"
    page = result.pages[site.url].page  # what verification reads is still there
    assert page is not None and page.title and page.content and len(page.links) == 24
    assert all(link.url.startswith(site.url) for link in page.links)
