"""Batches of sites, resume after kill -9, run history, diff and nightly: real CLI, loopback, SQLite."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import FAST, ROOT, SITES, dated, run_oit
from sitesrv import SiteServer

NAMES = ["menu_cms", "ita_table", "frames_874", "deep_groups", "wp_calendar", "decoys_only"]


@pytest.fixture
def province(tmp_path):
    """A dozen municipalities on loopback (each fixture twice), one slow, plus a dead one and bad rows."""
    servers = [SiteServer(SITES / name) for name in NAMES]
    servers += [SiteServer(SITES / name, latency=0.05 if name == "menu_cms" else 0.0) for name in NAMES]
    rows = ["url,name,province,district,type,code"]
    for i, srv in enumerate(servers):
        rows.append(f"{srv.url},เทศบาลทดสอบ {i},สุพรรณบุรี,เมือง,ทต.,{1000 + i}")
    rows.append("http://127.0.0.1:9/,เว็บที่ปิดแล้ว,สุพรรณบุรี,ดอนเจดีย์,อบต.,2000")
    rows.append(",ไม่มีที่อยู่,สุพรรณบุรี,,,")
    rows.append("ftp://bad.example,ผิดรูปแบบ,,,,")
    rows.append(f"{servers[0].url},ซ้ำ,,,,")
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    yield csv_path, servers
    for srv in servers:
        srv.close()


def batch_args(csv_path: Path, tmp_path: Path, *extra: str) -> list[str]:
    return ["batch", str(csv_path), "--db", str(tmp_path / "oit.db"), "--max-pages", "60", "--allow-private", *FAST,
            "--year", "2565", *extra]


def test_batch_runs_every_site_and_reports_bad_rows(province, tmp_path):
    csv_path, servers = province
    proc = run_oit(*batch_args(csv_path, tmp_path, "--out", str(tmp_path / "out"), "--concurrency", "4"), timeout=600)
    assert proc.returncode == 2, proc.stderr[-2000:]  # a dead site and gaps: exit 2, not an error
    assert f"{csv_path}:15: ไม่มีที่อยู่เว็บไซต์" in proc.stderr
    assert f"{csv_path}:16: ที่อยู่เว็บไซต์ใช้ไม่ได้" in proc.stderr
    assert f"{csv_path}:17: {servers[0].url} ซ้ำกับแถวที่ 2" in proc.stderr
    db = sqlite3.connect(tmp_path / "oit.db")
    sites = db.execute("select status, error, run_id, extra from batch_sites order by id").fetchall()
    assert len(sites) == 13
    assert [s[0] for s in sites].count("done") == 12
    dead = sites[-1]
    assert dead[0] == "failed" and "home page could not be read" in dead[1]
    assert json.loads(sites[0][3]) == {"code": "1000"}
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["schema"] == "oit-batch/1" and len(summary["sites"]) == 13
    files = sorted((tmp_path / "out").glob("site-*.json"))
    assert len(files) == 12
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    assert doc["schema"] == "oit-result/1" and len(doc["items"]) == 43
    for srv in servers:  # sites sharing one server (127.0.0.1:port) never got more than the per-host limit
        assert srv.stats.max_in_flight <= 2
    db_arg = ["--db", str(tmp_path / "oit.db")]
    html = tmp_path / "batch.html"
    assert run_oit("report", "--latest", *db_arg, "--format", "html", "-o", str(html)).returncode == 0
    page = html.read_text(encoding="utf-8")
    assert "เทศบาลทดสอบ 0" in page and "เว็บที่ปิดแล้ว" in page
    xlsx = run_oit("report", "--batch", "1", *db_arg, "--format", "xlsx", "-o", str(tmp_path / "b.xlsx"))
    assert xlsx.returncode == 0, xlsx.stderr
    assert (tmp_path / "b.xlsx").read_bytes()[:2] == b"PK"
    matrix = run_oit("report", "--batch", "1", *db_arg, "--format", "matrix-csv").stdout
    assert matrix.startswith("\ufeff") and len(matrix.strip().splitlines()) >= 13
    nacc = run_oit("report", "--run", str(sites[0][2]), *db_arg, "--format", "nacc").stdout
    assert nacc.splitlines()[0].startswith("O1") and len(nacc.strip().splitlines()) == 43


def test_kill_9_then_resume_finishes_each_site_once(province, tmp_path):
    csv_path, _ = province
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    # two worker processes: killing the parent must not leave them crawling (a rerun would redo their sites)
    args = [sys.executable, "-m", "crawler", *batch_args(csv_path, tmp_path, "--concurrency", "2", "--processes", "2")]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    db_path = tmp_path / "oit.db"
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        if db_path.exists():
            try:
                with sqlite3.connect(db_path) as db:
                    done = db.execute("select count(*) from batch_sites where status = 'done'").fetchone()[0]
            except sqlite3.Error:
                continue
            if done >= 3:
                break
    assert proc.poll() is None, "the batch finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with sqlite3.connect(db_path) as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        before = dict(db.execute("select id, run_id from batch_sites where status = 'done'").fetchall())
    again = run_oit(*batch_args(csv_path, tmp_path, "--concurrency", "4"), timeout=600)
    assert again.returncode == 2, again.stderr[-2000:]
    with sqlite3.connect(db_path) as db:
        assert db.execute("select count(*) from batches").fetchone()[0] == 1  # the same batch, resumed
        rows = db.execute("select id, status, run_id from batch_sites").fetchall()
        assert all(status in ("done", "failed") for _, status, _ in rows)
        for site_id, run_id in before.items():  # nothing finished was redone
            assert dict((r[0], r[2]) for r in rows)[site_id] == run_id
        per_site = db.execute("select start_url, count(*) from runs where status = 'finished' group by start_url")
        assert all(n == 1 for _, n in per_site.fetchall())  # exactly one complete result per site
        assert db.execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0


def test_nightly_reports_what_got_worse(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITES / "menu_cms", site)
    srv = SiteServer(site)
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text(f"url,name\n{srv.url},เทศบาลตำบลหนองตะเคียนงาม\n", encoding="utf-8")
    db = str(tmp_path / "oit.db")
    try:
        night = ["nightly", str(csv_path), "--db", db, "--allow-private", *FAST]
        first = run_oit(*night, "--out", str(tmp_path / "n1"))
        assert first.returncode == 0 and "ยังไม่มีผลครั้งก่อนให้เทียบ" in first.stdout
        same = run_oit(*night, "--out", str(tmp_path / "n2"))
        assert same.returncode == 0, same.stdout + same.stderr
        expected = json.loads((site / "expected.json").read_text(encoding="utf-8"))["items"]
        gone = next(k for k, v in expected.items() if v["present"] and not v["url"].startswith("http"))
        (site / expected[gone]["url"].lstrip("/")).unlink()  # the page of one item disappears
        worse = run_oit(*night, "--out", str(tmp_path / "n3"))
        assert worse.returncode == 2, worse.stdout + worse.stderr
        changes = json.loads((tmp_path / "n3" / "changes.json").read_text(encoding="utf-8"))
        assert changes["worse"] and any(c["item"] == gone for c in changes["sites"][0]["changes"])
        assert gone in (tmp_path / "n3" / "changes.txt").read_text(encoding="utf-8")
        shown = run_oit("diff", "--site", srv.url, "--db", db)
        assert shown.returncode == 0 and gone in shown.stdout
        srv.close()  # the whole site goes away
        down = run_oit(*night, "--out", str(tmp_path / "n4"))
        assert down.returncode == 2 and "เข้าเว็บไม่ได้" in (tmp_path / "n4" / "changes.txt").read_text("utf-8")
    finally:
        srv.close()


def test_bad_sites_file_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("name,province\nเทศบาล,สุพรรณบุรี\n", encoding="utf-8")
    proc = run_oit("batch", str(bad), "--db", str(tmp_path / "x.db"))
    assert proc.returncode == 1 and f"{bad}:1: ไม่พบคอลัมน์ที่อยู่เว็บไซต์" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_batch_refuses_private_addresses_unless_allowed(tmp_path):
    srv = SiteServer(SITES / "menu_cms")
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text(f"url,name\n{srv.url},ในเครื่อง\n", encoding="utf-8")
    try:
        proc = run_oit("batch", str(csv_path), "--db", str(tmp_path / "x.db"))
        assert proc.returncode == 1  # every site failed: an error for a script
        with sqlite3.connect(tmp_path / "x.db") as db:
            status, error = db.execute("select status, error from batch_sites").fetchone()
        assert status == "failed" and "private address" in error
        assert srv.stats.paths == {}  # refused before any connection
    finally:
        srv.close()


@pytest.mark.parametrize("encoding, sep", [("cp874", ","), ("utf-16", "\t"), ("utf-8-sig", ",")])
def test_sites_files_as_thai_excel_saves_them(tmp_path, encoding, sep):
    from crawler.batch import read_sites
    rows = [["url", "name", "province"], ["http://a.go.th/", "เทศบาลตำบลหนึ่ง", "ขอนแก่น"],
            ["http://b.go.th/", "องค์การบริหารส่วนตำบลสอง", "แพร่"]]
    path = tmp_path / "sites.csv"
    path.write_bytes("\r\n".join(sep.join(r) for r in rows).encode(encoding))
    sites = read_sites(path)
    assert [s["name"] for s in sites.sites] == ["เทศบาลตำบลหนึ่ง", "องค์การบริหารส่วนตำบลสอง"]
    assert sites.sites[1]["province"] == "แพร่" and not sites.problems


def test_a_name_that_cannot_be_decoded_is_named_by_line(tmp_path):
    from crawler.batch import read_sites
    path = tmp_path / "sites.csv"
    path.write_bytes(b"url,name\nhttp://a.go.th/,\xe0\xb8\x81\nhttp://b.go.th/,\xdb\xdc\xfc\n")  # UTF-8, then junk
    sites = read_sites(path)
    assert len(sites.sites) == 2 and any(p.startswith(f"{path}:3: อ่านตัวอักษรบางตัวไม่ได้") for p in sites.problems)


# -- several processes, longest first ------------------------------------------------------------------------

QUICK = ["--allow-private", "--render", "never", "--max-pages", "40"]


def write_sites(path: Path, urls: list[str]) -> Path:
    path.write_text("url,name\n" + "".join(f"{url},site {i}\n" for i, url in enumerate(urls)), encoding="utf-8")
    return path


def item_results(db: Path) -> dict[str, dict[str, tuple]]:
    """Each site's items: status and evidence URL, from the finished runs of a database."""
    out: dict[str, dict[str, tuple]] = {}
    with sqlite3.connect(db) as con:
        rows = con.execute("select r.start_url, s.item, s.status, s.evidence_url from runs r "
                           "join results s on s.run_id = r.id where r.status = 'finished'").fetchall()
    for url, item, status, evidence in rows:
        out.setdefault(url, {})[item] = (status, evidence)
    return out


def owners(db: Path) -> dict[str, str]:
    """The process (host:pid) that ran each site."""
    with sqlite3.connect(db) as con:
        return dict(con.execute("select start_url, owner from runs").fetchall())


def test_two_processes_give_the_results_of_one(tmp_path):
    servers = [SiteServer(SITES / name) for name in ("menu_cms", "ita_table", "js_plain", "decoys_only")]
    csv_path = write_sites(tmp_path / "sites.csv", [s.url for s in servers])
    try:
        for n in ("1", "2"):
            proc = run_oit("batch", str(csv_path), "--db", str(tmp_path / f"p{n}.db"), "--processes", n,
                           "--delay", "0", *QUICK, "--out", str(tmp_path / f"out{n}"))
            assert proc.returncode == 2, proc.stderr[-2000:]
    finally:
        for srv in servers:
            srv.close()
    one, two = item_results(tmp_path / "p1.db"), item_results(tmp_path / "p2.db")
    assert len(one) == 4 and all(len(items) == 43 for items in one.values())
    assert two == one
    assert len(set(owners(tmp_path / "p1.db").values())) == 1
    assert len(set(owners(tmp_path / "p2.db").values())) == 2  # really two processes
    assert len(list((tmp_path / "out2").glob("site-*.json"))) == 4
    summary = json.loads((tmp_path / "out2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "finished" and {s["status"] for s in summary["sites"]} == {"done"}


def test_sites_of_one_server_share_a_process_and_its_limit(tmp_path):
    shared = SiteServer(SITES / "menu_cms", latency=0.05)
    others = [SiteServer(SITES / name) for name in ("js_plain", "decoys_only")]
    port = shared.httpd.server_address[1]
    # two municipalities on one hosting server: two names, one address and port
    urls = [shared.url, others[0].url, f"http://localhost:{port}/", others[1].url]
    csv_path = write_sites(tmp_path / "sites.csv", urls)
    db = tmp_path / "oit.db"
    try:
        proc = run_oit("batch", str(csv_path), "--db", str(db), "--processes", "2", "--concurrency", "4",
                       "--delay", "0", "--per-host", "2", *QUICK)
    finally:
        for srv in (shared, *others):
            srv.close()
    assert proc.returncode == 2, proc.stderr[-2000:]
    by_site = owners(db)
    assert len(by_site) == 4 and len(set(by_site.values())) == 2
    assert by_site[shared.url] == by_site[f"http://localhost:{port}/"]  # one process for the server
    assert shared.stats.max_in_flight == 2  # both sites at once, never more than --per-host together
    assert sum(shared.stats.paths.values()) > 40


def test_shares_keep_each_server_whole_and_balance_sizes():
    from crawler.batch import server_groups, share_out
    sites = [{"id": i, "size": size} for i, size in enumerate([100, 10, 10, 60, None, 30])]
    keys = [{"10.0.0.1"}, {"10.0.0.2"}, {"10.0.0.1", "10.0.0.9"}, {"h.example"}, {"10.0.0.9"}, {"10.0.0.3"}]
    groups = server_groups(sites, keys)
    assert sorted(sorted(s["id"] for s in g) for g in groups) == [[0, 2, 4], [1], [3], [5]]
    shares = share_out(groups, 2)
    assert sorted(sorted(s["id"] for s in share) for share in shares) == [[0, 2, 4], [1, 3, 5]]
    assert len(share_out(groups, 8)) == 4  # never more processes than servers
    first = [{"id": i, "size": None, "look": look} for i, look in enumerate([90, 10, 40, 40, 5, 5])]
    shares = share_out([[s] for s in first], 2)  # a first night: balanced by the first look's links
    assert sorted(sorted(s["id"] for s in share) for share in shares) == [[0, 4], [1, 2, 3, 5]]


def test_longest_site_first_on_the_next_run(tmp_path):
    servers = [SiteServer(SITES / name) for name in ("js_plain", "decoys_only", "menu_cms", "ita_table")]
    csv_path = write_sites(tmp_path / "sites.csv", [s.url for s in servers[:3]])
    db = tmp_path / "oit.db"
    args = ["batch", str(csv_path), "--db", str(db), "--processes", "1", "--concurrency", "1", "--delay", "0",
            *QUICK]
    try:
        assert run_oit(*args).returncode == 2
        write_sites(csv_path, [s.url for s in servers])  # a new municipality joins the list
        assert run_oit(*args).returncode == 2  # the first batch finished: the next night's batch
    finally:
        for srv in servers:
            srv.close()
    with sqlite3.connect(db) as con:
        first = dict(con.execute("select start_url, requests from runs where batch_id = 1").fetchall())
        second = [u for (u,) in con.execute("select start_url from runs where batch_id = 2 order by id")]
    assert len(set(first.values())) == 3
    biggest_first = sorted(first, key=lambda url: -first[url])
    assert biggest_first != [s.url for s in servers[:3]]  # not merely the CSV order
    assert second == [servers[3].url, *biggest_first]  # never scanned first, then the biggest last time


def test_a_first_night_starts_the_most_linked_home_pages_first(tmp_path):
    closed = {"/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /\n")}
    servers = [SiteServer(SITES / "ita_table"), SiteServer(SITES / "menu_cms", routes=closed),
               SiteServer(SITES / "cms_posts"), SiteServer(SITES / "menu_cms"), SiteServer(SITES / "decoys_only")]
    csv_path = write_sites(tmp_path / "sites.csv", [s.url for s in servers])  # more new sites than at a time
    db = tmp_path / "oit.db"
    try:
        proc = run_oit("batch", str(csv_path), "--db", str(db), "--processes", "1", "--concurrency", "1",
                       "--delay", "0", *QUICK)
    finally:
        for srv in servers:
            srv.close()
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "first look at 5 new sites' home pages" in proc.stderr
    with sqlite3.connect(db) as con:
        order = [u for (u,) in con.execute("select start_url from runs order by id")]
    # home pages linking to 37, 31, 7 and 4 pages of their site; robots.txt shuts the other: nothing to count
    assert order == [servers[i].url for i in (3, 4, 2, 0, 1)]
    assert servers[1].stats.paths["/"] == 0  # its robots.txt is honoured by the first look too
    assert all(srv.stats.paths["/"] == 2 for srv in servers[::2])  # the look, then the scan: once more each


def test_ctrl_c_during_the_first_look_stops_cleanly_and_loses_nothing(tmp_path):
    servers = [SiteServer(SITES / name, latency=1.0) for name in ("ita_table", "cms_posts", "decoys_only")]
    csv_path = write_sites(tmp_path / "sites.csv", [s.url for s in servers])
    db = tmp_path / "oit.db"
    args = ["batch", str(csv_path), "--db", str(db), "--processes", "1", "--concurrency", "1", "--delay", "0",
            *QUICK]
    try:
        proc = start_batch(args)
        deadline = time.monotonic() + 30
        while not all(srv.stats.paths for srv in servers) and time.monotonic() < deadline:
            time.sleep(0.05)  # every site's robots.txt asked for: the look is under way
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
        assert proc.returncode == 130, err[-2000:]
        assert "first look at 3 new sites" in err
        lines = [line for line in err.strip().splitlines() if not line.startswith("[")]
        assert lines == ["oit: stopped by SIGINT: หยุดแล้ว การตรวจที่ค้างอยู่บันทึกว่าถูกหยุดกลางคัน; "
                         "สั่งคำสั่งเดิมอีกครั้งเพื่อตรวจต่อ"], err  # no traceback of the looks cut short
        with sqlite3.connect(db) as con:
            assert {s for (s,) in con.execute("select status from batch_sites")} == {"pending"}
        for srv in servers:
            srv.latency = 0.0
        assert_resumed_to_the_end(args, db, 3)
    finally:
        for srv in servers:
            srv.close()


def start_batch(args: list[str]) -> subprocess.Popen:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.Popen([sys.executable, "-m", "crawler", *dated(args)], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(db: Path, sql: str, proc: subprocess.Popen, seconds: float = 60):
    """The first row of `sql` once its first column is true, while `proc` runs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with sqlite3.connect(db) as con:
                row = con.execute(sql).fetchone()
            if row and row[0]:
                return row
        except sqlite3.Error:
            pass
        time.sleep(0.1)
    raise AssertionError(f"not seen while the batch ran: {sql}")


def assert_resumed_to_the_end(args: list[str], db: Path, sites: int) -> None:
    again = run_oit(*args, timeout=300)
    assert again.returncode == 2, again.stderr[-2000:]  # resumed to the end: gaps, no error
    with sqlite3.connect(db) as con:
        assert con.execute("select status from batches").fetchall() == [("finished",)]
        assert [s for (s,) in con.execute("select status from batch_sites")] == ["done"] * sites
        assert con.execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0
        per_site = con.execute("select start_url, count(*) from runs where status = 'finished' group by start_url")
        assert sorted(n for _, n in per_site.fetchall()) == [1] * sites  # each site finished exactly once


@pytest.fixture
def slow_four(tmp_path):
    servers = [SiteServer(SITES / name, latency=0.3) for name in ("menu_cms", "js_plain", "ita_table", "decoys_only")]
    csv_path = write_sites(tmp_path / "sites.csv", [s.url for s in servers])
    db = tmp_path / "oit.db"
    args = ["batch", str(csv_path), "--db", str(db), "--processes", "2", "--concurrency", "4", "--delay", "0.02",
            *QUICK]
    yield args, db, servers
    for srv in servers:
        srv.close()


def test_sigterm_stops_both_processes_then_resume_finishes_each_site_once(slow_four):
    args, db, servers = slow_four
    proc = start_batch(args)
    wait_for(db, "select count(distinct owner) = 2 and count(*) >= 6 from runs join pages on run_id = runs.id", proc)
    t = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - t < 10
    assert proc.returncode == 143, err[-2000:]
    lines = [line for line in err.strip().splitlines() if not line.startswith("[")]
    assert lines == ["oit: stopped by SIGTERM: หยุดแล้ว การตรวจที่ค้างอยู่บันทึกว่าถูกหยุดกลางคัน; "
                     "สั่งคำสั่งเดิมอีกครั้งเพื่อตรวจต่อ"], err
    with sqlite3.connect(db) as con:
        assert con.execute("select status from batches").fetchall() == [("running",)]
        assert con.execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0
        stopped = con.execute("select count(distinct owner) from runs where stop_reason = 'interrupted'")
        assert stopped.fetchone()[0] == 2  # each process stored its runs as interrupted
        assert "failed" not in {s for (s,) in con.execute("select status from batch_sites")}
    for srv in servers:
        srv.latency = 0.0
    assert_resumed_to_the_end(args, db, 4)


def test_a_killed_process_leaves_its_sites_to_do_and_the_batch_ends(slow_four):
    args, db, servers = slow_four
    proc = start_batch(args)
    owner = wait_for(db, "select count(*) >= 2, owner from runs join pages on run_id = runs.id "
                         "where runs.status = 'running' group by owner order by 1 desc", proc)[1]
    os.kill(int(owner.rsplit(":", 1)[1]), signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1 and "Traceback" not in err, err[-2000:]
    assert "ended early (killed by SIGKILL)" in err and "run the same batch again to finish them" in err
    with sqlite3.connect(db) as con:
        assert con.execute("select status from batches").fetchall() == [("running",)]
        assert con.execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0
        left = con.execute("select count(*) from batch_sites where status != 'done'").fetchone()[0]
        assert 1 <= left <= 3
    for srv in servers:
        srv.latency = 0.0
    assert_resumed_to_the_end(args, db, 4)


def test_the_one_batch_loop_calls_its_hooks_around_each_site(site_server, tmp_path):
    """`run_sites` (oit batch, its processes and the web app): the caller's slot is held around each site, whose
    start, pages and end it hears in order; a dead site fails without stopping the other."""
    import asyncio
    import contextlib

    from crawler.batch import Hooks, run_sites
    from crawler.checklist import load
    from crawler.config import Options, RenderOptions, Settings
    from crawler.store import Store

    srv = site_server("menu_cms")
    options = Options(db=tmp_path / "oit.db", settings=Settings(allow_private=True, delay=0.02),
                      render=RenderOptions(mode="never"))
    store = Store(options.db)
    sites = [{"line": 2, "url": srv.url, "name": "เทศบาลทดสอบ"}, {"line": 3, "url": "http://127.0.0.1:9/", "name": ""}]
    batch_id = store.start_batch("sites.csv", "sites", {}, sites)
    todo = store.batch_sites(batch_id)
    events: list[tuple] = []

    @contextlib.asynccontextmanager
    async def slot(url: str):
        events.append(("enter", url))
        yield
        events.append(("leave", url))

    def page(site_id: int, url: str):
        return lambda record, links: events.append(("page", url))

    hooks = Hooks(start=lambda i, url: events.append(("start", url)), page=page, slot=slot,
                  end=lambda i, url, pages, error: events.append(("end", url, pages, error)))

    async def run() -> None:
        await run_sites(store, batch_id, todo, load(None), options, hooks, slots=asyncio.Semaphore(1))

    asyncio.run(run())
    for site in sites:
        mine = [e for e in events if e[1] == site["url"]]
        assert [e[0] for e in mine[:2]] == ["enter", "start"] and [e[0] for e in mine[-2:]] == ["end", "leave"]
    done = [e for e in events if e[1] == srv.url]
    assert done[-2][2] == sum(e[0] == "page" for e in done) > 1  # the pages it says are the pages it heard
    assert [e[0] for e in events].index("leave") < [e[1] for e in events].index(sites[1]["url"])  # one at a time
    rows = store.batch_sites(batch_id)
    assert [r["status"] for r in rows] == ["done", "failed"] and all(r["run_id"] for r in rows)
    assert events[-2][3] == rows[1]["error"] and store.run(rows[0]["run_id"])["name"] == "เทศบาลทดสอบ"
