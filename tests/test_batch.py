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

from conftest import FAST, ROOT, SITES, run_oit
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
            *extra]


def test_batch_runs_every_site_and_reports_bad_rows(province, tmp_path):
    csv_path, servers = province
    proc = run_oit(*batch_args(csv_path, tmp_path, "--out", str(tmp_path / "out"), "--concurrency", "4"), timeout=600)
    assert proc.returncode == 2, proc.stderr[-2000:]  # a dead site and gaps: exit 2, not an error
    assert f"{csv_path}:15: url: empty" in proc.stderr and f"{csv_path}:16: url:" in proc.stderr
    assert f"{csv_path}:17: url: {servers[0].url} repeats line 2" in proc.stderr
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
    args = [sys.executable, "-m", "crawler", *batch_args(csv_path, tmp_path, "--concurrency", "2")]
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
        assert first.returncode == 0 and "nothing to compare" in first.stdout
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
    assert proc.returncode == 1 and f"{bad}:1: header: no 'url' column" in proc.stderr
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
    assert len(sites.sites) == 2 and any(p.startswith(f"{path}:3: text:") for p in sites.problems)
