"""The command line as scripts and admins meet it: exit codes, usage errors, encodings."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from conftest import ROOT, run_oit, scan


@pytest.mark.parametrize("args, words", [
    (["scan", "http://x.go.th/", "--max-pages", "0"], "--max-pages must be at least 1"),
    (["scan", "http://x.go.th/", "--delay", "-1"], "--delay must be at least 0"),
    (["scan", "http://x.go.th/", "--time-limit", "abc"], "'abc' is not a number"),
    (["scan"], "required"),
    (["frobnicate"], "invalid choice"),
    (["batch", "sites.csv", "--concurrency", "0"], "--concurrency must be at least 1"),
])
def test_usage_errors_exit_1_with_one_line(args, words):
    proc = run_oit(*args)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("oit: error:") and words in lines[0]


def cp874_env() -> dict[str, str]:
    return {**os.environ, "PYTHONIOENCODING": "cp874", "COLUMNS": "200"}


def test_a_cp874_console_gets_the_table_and_csv_to_stdout_is_utf8(site_server, tmp_path):
    srv = site_server("menu_cms")
    db = tmp_path / "oit.db"
    proc = subprocess.run([sys.executable, "-m", "crawler", "scan", srv.url, "--db", str(db), "--delay", "0.02",
                           "--year", "2565"],
                          capture_output=True, cwd=ROOT, env=cp874_env(), timeout=300)
    assert proc.returncode in (0, 2), proc.stderr.decode("cp874", "replace")
    assert "Traceback" not in proc.stderr.decode("cp874", "replace")
    assert "โครงสร้าง".encode("cp874") in proc.stdout  # the table, in the console's own encoding
    csv = subprocess.run([sys.executable, "-m", "crawler", "export", "--latest", "--db", str(db), "--format", "csv"],
                         capture_output=True, cwd=ROOT, env=cp874_env(), timeout=60)
    assert csv.returncode == 0 and csv.stdout.startswith("\ufeff".encode()) and "โครงสร้าง" in csv.stdout.decode()


def test_quiet_scan_prints_one_line(site_server, tmp_path):
    srv = site_server("menu_cms")
    proc, doc = scan(srv.url, tmp_path, "-q")
    assert proc.returncode == 2 and len(proc.stdout.strip().splitlines()) == 1 and doc["items"]


def test_a_slow_home_page_is_said_within_seconds_and_progress_is_shown(tmp_path):
    from sitesrv import SiteServer
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text('<html><head><title>อบต.ช้า</title></head><body><a href="a.html">ข่าว</a>'
                                     '<a href="b.html">ติดต่อเรา</a></body></html>', encoding="utf-8")
    for name in ("a.html", "b.html"):
        (site / name).write_text("<html><body><p>หน้า</p></body></html>", encoding="utf-8")
    srv = SiteServer(site, latency=1.8)  # robots.txt and the home page: over 3 s before anything is read
    try:
        proc, doc = scan(srv.url, tmp_path)
    finally:
        srv.close()
    lines = proc.stderr.splitlines()
    assert lines and "รอหน้าแรก" in lines[0], proc.stderr
    assert doc["pages_fetched"] == 3


def test_the_report_is_headed_by_the_agency_name(site_server, tmp_path):
    srv = site_server("menu_cms")
    _, doc = scan(srv.url, tmp_path, "--name", "เทศบาลตำบลทดสอบ")
    assert doc["site"]["name"] == "เทศบาลตำบลทดสอบ"
    html = run_oit("report", "--db", str(tmp_path / "oit.db"), "--latest", "--format", "html")
    assert "ชื่อหน่วยงาน: เทศบาลตำบลทดสอบ" in html.stdout and "127.0.0.1" not in html.stdout.split("<h1>")[1][:80]
    _, untitled = scan(srv.url, tmp_path)  # no --name: the site's own title
    assert untitled["site"]["name"] and "127.0.0.1" not in untitled["site"]["name"]
