"""What admins met in round 2: sites lists as Excel saves them (Thai headers, cp874, UTF-16 text), one name per
site (never "หน้าแรก"), what to fix first, an admin's decision on an item, Thai in every default output.

Real CLI, real loopback sites, real SQLite files, the real web app on uvicorn."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from test_web import Web

from conftest import FAST, run_oit
from crawler.batch import BatchError, read_sites
from crawler.columns import by_content, looks_like_web_address
from crawler.names import from_title, is_generic, pick
from sitesrv import SiteServer

THAI_HEADER = ["ชื่อหน่วยงาน", "เว็บไซต์", "จังหวัด", "อำเภอ", "ประเภท"]
HOME = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>'
        '<ul class="menu"><li><a href="/about.html">ข้อมูลพื้นฐาน</a></li>'
        '<li><a href="/structure.html">โครงสร้างองค์กร</a></li></ul></body></html>')
PAGE = '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{t}</title></head><body><h1>{t}</h1></body></html>'


def small_site(root: Path, title: str) -> SiteServer:
    root.mkdir(parents=True)
    (root / "index.html").write_text(HOME.format(title=title), encoding="utf-8")
    (root / "about.html").write_text(PAGE.format(t="ข้อมูลพื้นฐาน"), encoding="utf-8")
    (root / "structure.html").write_text(PAGE.format(t="โครงสร้างองค์กร"), encoding="utf-8")
    return SiteServer(root)


def thai_rows(urls: list[str]) -> list[list[str]]:
    return [THAI_HEADER] + [[f"เทศบาลตำบลทดสอบ {i}", u, "สุพรรณบุรี", "เมือง", "ทต."] for i, u in enumerate(urls)]


def cp874_csv(path: Path, rows: list[list[str]]) -> Path:
    path.write_bytes(("\r\n".join(",".join(r) for r in rows) + "\r\n").encode("cp874"))
    return path


def unicode_text(path: Path, rows: list[list[str]]) -> Path:
    """Excel's "Unicode Text (*.txt)": UTF-16 little-endian with a BOM, tab-separated, CRLF."""
    path.write_bytes(("\r\n".join("\t".join(r) for r in rows) + "\r\n").encode("utf-16"))
    return path


# ------------------------------------------------------------------------------------------- sites lists

@pytest.mark.parametrize("write", [cp874_csv, unicode_text])
def test_thai_column_names_are_read(tmp_path, write):
    path = write(tmp_path / "sites.txt", thai_rows(["www.bangpla.go.th", "https://thakham.go.th/"]))
    sites = read_sites(path)
    assert not sites.problems
    assert [(s["url"], s["name"], s["province"], s["district"], s["type"]) for s in sites.sites] == [
        ("http://www.bangpla.go.th/", "เทศบาลตำบลทดสอบ 0", "สุพรรณบุรี", "เมือง", "ทต."),
        ("https://thakham.go.th/", "เทศบาลตำบลทดสอบ 1", "สุพรรณบุรี", "เมือง", "ทต.")]


@pytest.mark.parametrize("header", ["ที่อยู่เว็บไซต์", "URL", "Website", "ลิงก์เว็บไซต์ (URL)"])
def test_other_names_of_the_address_column(tmp_path, header):
    path = tmp_path / "s.csv"
    path.write_text(f"หน่วยงาน,{header}\nอบต.ก,www.a.go.th\n", encoding="utf-8")
    assert [(s["name"], s["url"]) for s in read_sites(path).sites] == [("อบต.ก", "http://www.a.go.th/")]


def test_the_address_column_is_found_by_its_cells(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("ลำดับ,หน่วย,ที่,เบอร์โทร\n1,อบต.ก,www.a.go.th,035 123 456\n2,อบต.ข,b.go.th/,035 999 999\n",
                    encoding="utf-8")
    sites = read_sites(path).sites
    assert [s["url"] for s in sites] == ["http://www.a.go.th/", "http://b.go.th/"]
    assert json.loads(sites[0]["extra"])["หน่วย"] == "อบต.ก"
    headerless = tmp_path / "h.csv"
    headerless.write_text("อบต.ก,www.a.go.th\nอบต.ข,b.go.th\n", encoding="utf-8")
    assert [(s["name"], s["url"]) for s in read_sites(headerless).sites] == [
        ("อบต.ก", "http://www.a.go.th/"), ("อบต.ข", "http://b.go.th/")]
    assert by_content([["1", "อบต.ก", "12.5"]]) is None
    assert looks_like_web_address("http://127.0.0.1:8080/") and not looks_like_web_address("เทศบาล ก.")


def test_no_address_column_is_a_thai_error_naming_what_was_found(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("ชื่อหน่วยงาน,จังหวัด\nเทศบาล,สุพรรณบุรี\n", encoding="utf-8")
    with pytest.raises(BatchError) as e:
        read_sites(path, shown="รายชื่อ.csv")
    assert str(e.value).startswith("รายชื่อ.csv:1: ไม่พบคอลัมน์ที่อยู่เว็บไซต์") and "ชื่อหน่วยงาน, จังหวัด" in str(e.value)
    assert str(tmp_path) not in str(e.value)


@pytest.mark.parametrize("write", [cp874_csv, unicode_text])
def test_oit_batch_takes_a_thai_header_list(tmp_path, write):
    srv = small_site(tmp_path / "site", "หน้าแรก")
    try:
        path = write(tmp_path / "รายชื่อ.txt", thai_rows([srv.url]))
        proc = run_oit("batch", str(path), "--db", str(tmp_path / "oit.db"), "--allow-private", "--max-pages", "10",
                       "-q", *FAST)
        assert proc.returncode in (0, 2), proc.stderr[-2000:]
        db = sqlite3.connect(tmp_path / "oit.db")
        assert db.execute("select name from runs").fetchall() == [("เทศบาลตำบลทดสอบ 0",)]
        assert db.execute("select name, province from batch_sites").fetchall() == [("เทศบาลตำบลทดสอบ 0", "สุพรรณบุรี")]
    finally:
        srv.close()


# ------------------------------------------------------------------------------------------- one name per site

def test_generic_titles_are_not_names():
    for title in ("หน้าแรก", "Home", "หน้าหลัก", "ยินดีต้อนรับ", "index.php", "  ", "Welcome"):
        assert is_generic(title) and from_title(title) == ""
    assert from_title("หน้าแรก - เทศบาลตำบลบางปลา") == "เทศบาลตำบลบางปลา"
    assert from_title("ยินดีต้อนรับสู่เว็บไซต์ อบต.ท่าข้าม") == "อบต.ท่าข้าม"
    assert from_title("เทศบาลเมืองสุพรรณบุรี | หน้าแรก") == "เทศบาลเมืองสุพรรณบุรี"
    assert pick("", "หน้าแรก", url="http://www.bangpla.go.th/") == "bangpla.go.th"
    assert pick(None, "เทศบาล ก", url="http://x.go.th/") == "เทศบาล ก"


def test_a_site_titled_home_is_named_by_its_host_then_keeps_a_given_name(tmp_path):
    srv = small_site(tmp_path / "site", "หน้าแรก")
    db = str(tmp_path / "oit.db")
    try:
        proc = run_oit("scan", srv.url, "--db", db, "--max-pages", "5", *FAST)
        assert proc.returncode in (0, 2), proc.stderr[-2000:]
        report = run_oit("report", "--latest", "--db", db)
        assert "ชื่อหน่วยงาน: หน้าแรก" not in report.stdout and "ชื่อหน่วยงาน: 127.0.0.1" in report.stdout
        proc = run_oit("scan", srv.url, "--db", db, "--max-pages", "5", "--name", "เทศบาลตำบลบางปลา", *FAST)
        again = run_oit("scan", srv.url, "--db", db, "--max-pages", "5", *FAST)  # no --name: the one given before
        assert again.returncode in (0, 2), again.stderr[-2000:]
        names = sqlite3.connect(db).execute("select name from runs order by id").fetchall()
        assert names == [("127.0.0.1",), ("เทศบาลตำบลบางปลา",), ("เทศบาลตำบลบางปลา",)]
        assert "ชื่อหน่วยงาน: เทศบาลตำบลบางปลา" in run_oit("report", "--latest", "--db", db).stdout
    finally:
        srv.close()


# ------------------------------------------------------------------------------------------- the web app

@pytest.fixture
def web(tmp_path):
    """The web app on uvicorn over loopback (private sites allowed: the fixture sites are on 127.0.0.1)."""
    servers: list[Web] = []

    def start(**kwargs: object) -> Web:
        w = Web(kwargs.pop("db", tmp_path / "oit.db"), allow_private=True, **kwargs)
        servers.append(w)
        return w

    yield start
    for w in servers:
        if w.thread.is_alive():
            w.close()


def csrf_of(c: httpx.Client, path: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', c.get(path).text).group(1)


def wait_batch(c: httpx.Client, location: str) -> str:
    deadline = time.monotonic() + 120
    while 'data-state="finished"' not in (text := c.get(location).text):
        assert time.monotonic() < deadline, "the batch did not finish"
        time.sleep(0.2)
    return text


@pytest.mark.parametrize("write,filename", [(cp874_csv, "รายชื่อ.csv"), (unicode_text, "รายชื่อ.txt")])
def test_web_upload_of_a_thai_header_list(web, tmp_path, write, filename):
    srv = small_site(tmp_path / "site", "หน้าแรก")
    try:
        w = web()
        with httpx.Client(base_url=w.url, timeout=60) as c:
            assert '.txt' in re.search(r'<input name="sites"[^>]*>', c.get("/batches").text).group(0)
            body = write(tmp_path / filename, thai_rows([srv.url])).read_bytes()
            r = c.post("/batches", data={"csrf": csrf_of(c, "/batches")},
                       files={"sites": (filename, body, "text/plain")})
            assert r.status_code == 303, r.text[-1500:]
            page = wait_batch(c, r.headers["location"])
            assert "ชื่อหน่วยงาน: เทศบาลตำบลทดสอบ 0" in page and "ชื่อหน่วยงาน: หน้าแรก" not in page
            home = c.get("/").text
            assert "เทศบาลตำบลทดสอบ 0" in home
    finally:
        srv.close()


def test_web_upload_without_an_address_column_says_why_in_thai(web, tmp_path):
    w = web()
    with httpx.Client(base_url=w.url, timeout=60) as c:
        body = "ชื่อหน่วยงาน,จังหวัด\nเทศบาล,สุพรรณบุรี\n".encode("cp874")
        r = c.post("/batches", data={"csrf": csrf_of(c, "/batches")}, files={"sites": ("รายชื่อ.csv", body, "text/csv")})
        assert r.status_code == 400
        alert = re.search(r'role="alert">([^<]*)<', r.text).group(1)
        assert "ไม่พบคอลัมน์ที่อยู่เว็บไซต์" in alert and "รายชื่อ.csv:1" in alert
        assert "uploads" not in alert and "header" not in alert and "no 'url'" not in alert


def test_web_names_a_home_titled_site_by_the_name_typed_or_its_host(web, tmp_path):
    srv = small_site(tmp_path / "site", "หน้าแรก")
    try:
        w = web()
        with httpx.Client(base_url=w.url, timeout=60) as c:
            for name in ("", "อบต.ท่าข้าม"):
                job = c.post("/scan", data={"url": srv.url, "name": name, "csrf": csrf_of(c, "/")}).headers["location"]
                deadline = time.monotonic() + 120
                while "/runs/" not in (r := c.get(job, follow_redirects=False)).headers.get("location", ""):
                    assert time.monotonic() < deadline
                    time.sleep(0.2)
                run = c.get(r.headers["location"]).text
                heading = re.search(r"<h1>([^<]*)</h1>", run).group(1)
                assert heading == ("ชื่อหน่วยงาน: 127.0.0.1" if not name else f"ชื่อหน่วยงาน: {name}")
            history = c.get("/history", params={"url": srv.url}).text
            assert "ประวัติการตรวจ: อบต.ท่าข้าม" in history
            assert "หน้าแรก</a>" not in c.get("/").text
    finally:
        srv.close()
