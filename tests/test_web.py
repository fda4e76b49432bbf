"""`oit serve`: the web app in a real headless Chromium, on a real uvicorn server, over loopback.

Fixture sites are served by tests/sitesrv.py; every scan is the real `scan_site` into a temporary SQLite
file. Screenshots land in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import uvicorn

from conftest import ROOT
from crawler.browsers import find_chromium
from crawler.config import Options, RenderOptions, Settings
from crawler.web import create_app
from crawler.web.guard import LOOPBACK_NAMES
from sitesrv import SITES, SiteServer

CHROMIUM = Path(os.environ.get("OIT_CHROMIUM") or "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
FONTS = ROOT / ".fonts"  # optional Thai fonts for nicer screenshots (not needed by any assertion)
FAST = Options(settings=Settings(delay=0.02), today="2565-06-01")  # a date in FY2565: its own list, 2565

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover
    sync_playwright = None

needs_chromium = pytest.mark.skipif((sync_playwright is None or not CHROMIUM.exists()) and not os.environ.get("CI"),
                                    reason="/usr/bin/chromium or the playwright package is missing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Web:
    """create_app served by uvicorn in a thread on 127.0.0.1 (as `oit serve` runs it)."""

    def __init__(self, db: Path, **kwargs: object):
        kwargs.setdefault("options", FAST)
        self.app = create_app(db, **kwargs)
        self.port = free_port()
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                timeout_graceful_shutdown=3)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.02)
        self.url = f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)
        assert not self.thread.is_alive(), "server did not stop"


@pytest.fixture
def web(tmp_path):
    servers: list[Web] = []

    def start(**kwargs: object) -> Web:
        kwargs.setdefault("allow_private", True)
        w = Web(kwargs.pop("db", tmp_path / "oit.db"), **kwargs)
        servers.append(w)
        return w

    yield start
    for w in servers:
        if w.thread.is_alive():
            w.close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if sync_playwright is None or not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("chromium and playwright are required in CI")
        pytest.skip("/usr/bin/chromium or the playwright package is missing")
    env = dict(os.environ)
    if FONTS.is_dir():
        conf = tmp_path_factory.mktemp("fontconfig") / "fonts.conf"
        conf.write_text('<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
                        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
                        f"<dir>{FONTS}</dir><cachedir>{conf.parent / 'cache'}</cachedir></fontconfig>")
        env["FONTCONFIG_FILE"] = str(conf)
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, env=env,
                               args=["--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="th-TH")
    p = context.new_page()
    p.set_default_timeout(60_000)
    p.requests = []  # every URL the page asked for: the app's own, nothing from another host
    p.on("request", lambda r: p.requests.append(r.url))
    p.errors = []
    p.on("pageerror", lambda e: p.errors.append(str(e)))
    yield p
    context.close()


def shot(page, name: str, full: bool = True) -> None:
    if ARTIFACTS.is_dir():
        page.screenshot(path=str(ARTIFACTS / name), full_page=full)


def wait_until(page, expression: str, timeout: float = 60) -> None:
    """Poll a JS expression (the app's CSP forbids eval, so no page.wait_for_function)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out: {expression}"
        time.sleep(0.05)


def same_origin(page, web: Web) -> None:
    others = [u for u in page.requests if not u.startswith(web.url + "/")]
    assert not others, others


def start_scan(page, web: Web, url: str, name: str = "") -> None:
    page.goto(web.url + "/")
    page.fill("input[name=url]", url)
    if name:
        page.fill("input[name=name]", name)
    page.click("button[type=submit]")


def wait_for_run(page) -> int:
    page.wait_for_url(re.compile(r"/runs/\d+$"), timeout=120_000)
    page.wait_for_selector("tr[data-item]")
    return int(page.url.rsplit("/", 1)[1])


# ------------------------------------------------------------------------------------------- one site


@needs_chromium
def test_scan_from_the_form_shows_progress_then_the_43_items(web, site_server, page):
    site = site_server("menu_cms", latency=0.08)  # slow enough to watch
    w = web()
    start_scan(page, w, site.url, "เทศบาลตำบลหนองตะเคียนงาม")
    page.wait_for_url(re.compile(r"/scans/\d+$"))
    # progress pushed by the server (SSE): pages read, the section being read, items seen
    wait_until(page, "Number(document.querySelector('[data-field=pages]').textContent) >= 3")
    assert page.text_content("[data-field=budget]") == "300"
    wait_until(page, "document.querySelector('[data-field=section]').textContent.includes('หน้าแรก')")
    shot(page, "serve-progress.png", full=False)
    run_id = wait_for_run(page)

    rows = page.query_selector_all("tr[data-item]")
    order = [r.get_attribute("data-item") for r in rows]
    assert sorted(order, key=lambda i: int(i[1:])) == [f"O{n}" for n in range(1, 44)]
    statuses = {r.get_attribute("data-item"): r.get_attribute("data-status") for r in rows}
    shown = [statuses[i] for i in order]  # what to fix first, what is found last
    assert shown == sorted(shown, key=["broken", "stale", "review", "missing", "found"].index)
    page.click("label[for=f-run-missing]")  # a filter chip: only the items not found
    visible = [r.get_attribute("data-status") for r in rows if r.is_visible()]
    assert visible and set(visible) == {"missing"}
    page.click("label[for=f-run-all]")
    assert all(r.is_visible() for r in rows)
    assert set(statuses.values()) <= {"found", "review", "missing", "stale", "broken"}
    assert sum(s == "found" for s in statuses.values()) >= 25
    expected = json.loads((SITES / "menu_cms" / "expected.json").read_text(encoding="utf-8"))["items"]
    assert statuses["O1"] == "found" and statuses["O3"] != "found" and not expected["O3"]["present"]
    o1 = page.query_selector("tr[data-item=O1]")
    assert "/info/org.html" in o1.query_selector("a.url").get_attribute("href")
    assert "หน้าแรก" in o1.query_selector(".path").text_content()  # the click path
    assert page.text_content("h1") == "ชื่อหน่วยงาน: เทศบาลตำบลหนองตะเคียนงาม"
    shot(page, "serve-run.png")
    shot(page, "serve-run-top.png", full=False)  # docs/serve.png is this one

    # an item's explanation, one click from a gap
    page.click("tr[data-item=O3] a.explain")
    page.wait_for_url(re.compile(r"/items/O3\?"))
    assert "ต้องแสดงอะไร" in page.text_content("main") and "วิสัยทัศน์" not in page.text_content("h1")
    assert page.query_selector(".badge") is not None  # this run's result for the item
    shot(page, "serve-item.png")

    # downloads reuse crawler.outputs
    for fmt, check in (("csv", lambda b: b.startswith("\ufeff".encode()) and b"O43" in b),
                       ("xlsx", lambda b: b[:2] == b"PK"),
                       ("json", lambda b: len(json.loads(b)["items"]) == 43),
                       ("nacc", lambda b: b.decode().count("\n") == 43)):
        body = page.request.get(f"{w.url}/runs/{run_id}/download/{fmt}").body()
        assert check(body), fmt

    # the home page lists the run
    page.goto(w.url + "/")
    assert "เทศบาลตำบลหนองตะเคียนงาม" in page.text_content("table.runs")
    shot(page, "serve-home.png")
    same_origin(page, w)
    assert not page.errors


@needs_chromium
def test_phone_width_reads_without_sideways_scrolling(web, site_server, browser):
    site = site_server("ita_table")
    w = web()
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  device_scale_factor=1, locale="th-TH")
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        start_scan(page, w, site.url)
        wait_for_run(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.evaluate("getComputedStyle(document.querySelector('tr[data-item]')).display") == "block"
        shot(page, "serve-run-phone.png", full=False)
        for path in ("/", f"/history?url={site.url}", "/items/O23", "/batches"):
            page.goto(w.url + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        page.goto(w.url + "/")
        shot(page, "serve-home-phone.png", full=False)
    finally:
        context.close()


@needs_chromium
def test_history_shows_what_changed_between_two_runs(web, tmp_path, page):
    root = tmp_path / "site"
    shutil.copytree(SITES / "menu_cms", root)
    site = SiteServer(root)
    try:
        w = web()
        start_scan(page, w, site.url, "เทศบาลสำเนา")
        first = wait_for_run(page)
        assert page.get_attribute("tr[data-item=O1]", "data-status") == "found"
        (root / "info" / "org.html").unlink()  # the O1 evidence is gone
        page.click("form.inline button")  # ตรวจอีกครั้ง
        second = wait_for_run(page)
        assert second > first and page.get_attribute("tr[data-item=O1]", "data-status") != "found"
        page.click("a[href^='/history']")
        page.wait_for_url(re.compile(r"/history\?"))
        assert len(page.query_selector_all("tr[data-run]")) == 2
        change = page.query_selector("li.change[data-item=O1]")
        assert change is not None and "worse" in change.get_attribute("class")
        assert change.get_attribute("data-kind") in ("newly_missing", "now_broken", "worse")
        assert f"#{first} → #{second}" in page.text_content(".changes h2")
        shot(page, "serve-history.png")
        # any two runs: the same pair swapped shows the change the other way
        page.check(f"input[name=old][value='{second}']")
        page.check(f"input[name=new][value='{first}']")
        page.click("form.compare button")
        page.wait_for_selector("li.change[data-item=O1]")
        assert "better" in page.get_attribute("li.change[data-item=O1]", "class")
        same_origin(page, w)
    finally:
        site.close()


# ------------------------------------------------------------------------------------------- batches


def sites_csv(path: Path, servers: dict[str, SiteServer]) -> Path:
    buf = io.StringIO()
    out = csv.writer(buf)
    out.writerow(["url", "name", "province", "district", "type"])
    for name, srv in servers.items():
        out.writerow([srv.url, f"เทศบาล {name}", "ขอนแก่น", "เมือง", "เทศบาลตำบล"])
    out.writerow(["", "แถวว่าง", "", "", ""])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@needs_chromium
def test_batch_upload_of_three_sites_completes_with_the_matrix(web, site_server, page, tmp_path):
    servers = {n: site_server(n) for n in ("menu_cms", "ita_table", "decoys_only")}
    w = web(scans=3)
    page.goto(w.url + "/batches")
    page.set_input_files("input[name=sites]", str(sites_csv(tmp_path / "sites.csv", servers)))
    page.fill("input[name=name]", "สถ.จ.ขอนแก่น ทดสอบ")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/batches/\d+$"))
    assert len(page.query_selector_all("tr[data-site]")) == 3
    assert "แถวที่ข้ามไป 1 แถว" in page.text_content("main")
    page.wait_for_selector("[data-state=finished]", timeout=180_000)  # the page reloads when the batch ends
    statuses = [r.get_attribute("data-site-status") for r in page.query_selector_all("tr[data-site]")]
    assert statuses == ["done", "done", "done"]
    cells = page.query_selector_all("table.matrix td[data-item]")
    assert len(cells) == 3 * 43
    assert len(page.query_selector_all("table.matrix tbody tr")) == 3
    assert "สถ.จ.ขอนแก่น ทดสอบ" in page.text_content("h1")
    shot(page, "serve-batch.png", full=False)
    page.locator("#matrix").scroll_into_view_if_needed()
    shot(page, "serve-batch-matrix.png", full=False)
    page.set_viewport_size({"width": 390, "height": 844})  # the matrix scrolls inside its box, not the page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "serve-batch-phone.png", full=False)
    xlsx = page.request.get(page.url + "/download/xlsx").body()
    assert xlsx[:2] == b"PK"
    report = page.request.get(page.url + "/report")
    assert "script-src" not in report.headers["content-security-policy"] and "ตารางรวม" in report.text()
    same_origin(page, w)
    assert not page.errors


def test_a_batch_resumes_after_the_server_restarts(web, site_server, tmp_path):
    servers = {n: site_server(n, latency=0.05) for n in ("menu_cms", "ita_table", "decoys_only")}
    db = tmp_path / "oit.db"
    w = web(db=db, scans=2)  # batches take one site at a time
    with httpx.Client(base_url=w.url) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/batches").text).group(1)
        csv_file = sites_csv(tmp_path / "sites.csv", servers)
        r = c.post("/batches", data={"csrf": csrf, "name": "คืนนี้"},
                   files={"sites": ("sites.csv", csv_file.read_bytes(), "text/csv")})
        assert r.status_code == 303
        batch = r.headers["location"]
        deadline = time.monotonic() + 120
        while "เสร็จ</td>" not in c.get(batch).text:  # the first site is done
            assert time.monotonic() < deadline
            time.sleep(0.2)
    w.close()  # a restart in the middle of the batch
    con = sqlite3.connect(db)
    assert con.execute("select status from batches").fetchone()[0] == "running"
    left = con.execute("select count(*) from batch_sites where status != 'done'").fetchone()[0]
    assert left >= 1  # something for the next server to do
    con.close()
    with httpx.Client(base_url=w.url) as c, pytest.raises(httpx.ConnectError):
        c.get("/")
    w2 = web(db=db, scans=2)
    with httpx.Client(base_url=w2.url, timeout=180) as c:
        # the resumed batch's progress, pushed per site (SSE) until it ends
        with c.stream("GET", batch + "/events") as events:
            data = [json.loads(line[5:]) for line in events.iter_lines() if line.startswith("data:")]
        states = [d for d in data if "sites" in d]
        assert any(s.get("pages") for d in states for s in d["sites"] if s["status"] == "running")
        assert states[-1]["done"] == 3 and not states[-1]["running"] and data[-1] == {"next": batch}
        state = c.get(batch).text
        assert 'data-state="finished"' in state
        assert state.count('data-site-status="done"') == 3
        runs = re.findall(r'href="/runs/(\d+)"', state)
        assert len(set(runs)) >= 3
    con = sqlite3.connect(db)
    interrupted = con.execute("select count(*) from runs where stop_reason = 'interrupted'").fetchone()[0]
    finished = con.execute("select count(*) from runs where status = 'finished'").fetchone()[0]
    assert finished == 3 and interrupted <= 1  # the site in flight at the restart was redone


# ------------------------------------------------------------------------------------------- safety

HOSTILE_INDEX = """<!DOCTYPE html><html><head><meta charset="utf-8">
<title>เทศบาล<script>window.__pwned=1</script>"&gt;&lt;img src=x onerror=window.__pwned=2&gt;</title></head>
<body><h1>&lt;script&gt;window.__pwned=3&lt;/script&gt;</h1>
<ul class="menu">
<li><a href="/org.html">โครงสร้าง &lt;script&gt;window.__pwned=4&lt;/script&gt;</a></li>
<li><a href="javascript:window.__pwned=5">ข้อมูลผู้บริหาร</a></li>
<li><a href="JaVaScRiPt:window.__pwned=6">อำนาจหน้าที่</a></li>
<li><a href="/plan.html" onclick="window.__pwned=7">"&gt;&lt;img src=x onerror=window.__pwned=8&gt;แผนพัฒนาท้องถิ่น</a></li>
<li><a href="/news.html">ข่าวประชาสัมพันธ์ &lt;/td&gt;&lt;script src=/x.js&gt;&lt;/script&gt;</a></li>
</ul></body></html>"""
HOSTILE_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>ข้อมูล ปีงบประมาณ 2565 &lt;script&gt;window.__pwned=9&lt;/script&gt;</p>
<a href="javascript:window.__pwned=10">ดาวน์โหลด</a></body></html>"""


@needs_chromium
def test_hostile_site_text_renders_inert(web, tmp_path, page):
    root = tmp_path / "hostile"
    root.mkdir()
    (root / "index.html").write_text(HOSTILE_INDEX, encoding="utf-8")
    for name, title in (("org", "โครงสร้าง <script>window.__pwned=11</script>"), ("plan", "แผนพัฒนาท้องถิ่น"),
                        ("news", "ข่าว<img src=x onerror=window.__pwned=12>")):
        (root / f"{name}.html").write_text(HOSTILE_PAGE.format(title=title.replace("<", "&lt;")), encoding="utf-8")
    site = SiteServer(root, latency=0.4)  # slow enough to see the progress panel show scraped link texts
    try:
        w = web()
        start_scan(page, w, site.url)
        page.wait_for_url(re.compile(r"/scans/\d+$"))
        wait_until(page, "(document.querySelector('[data-field=section]') || {textContent: ''})"
                         ".textContent.includes('pwned') || location.pathname.startsWith('/runs/')")
        if "/scans/" in page.url:
            assert "pwned" in page.text_content("[data-field=section]")  # as text
            assert page.evaluate("typeof window.__pwned") == "undefined"
        run_id = wait_for_run(page)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        title = page.text_content("h1")  # no name given: the home page's title names the site, as text
        assert "<script>window.__pwned=1</script>" in title
        table = page.text_content("table.items")  # link texts in click paths, as text
        for text in ("<script>window.__pwned=4</script>", '"><img src=x onerror=window.__pwned=8>',
                     "</td><script src=/x.js></script>"):
            assert text in table
        assert page.evaluate("[...document.querySelectorAll('a[href]')].filter(a => !/^https?:$/.test(a.protocol))"
                             ".map(a => a.href)") == []
        assert page.query_selector("main script, main img") is None
        html = page.content()
        assert "<script>window.__pwned" not in html and "onerror=window" not in html.replace("onerror=window.__pwned",
                                                                                               "")
        # every page of the app that shows scraped text: the history, the item, the home page
        for path in (f"/history?url={site.url}", f"/items/O1?run={run_id}", "/"):
            page.goto(w.url + path)
            assert page.evaluate("typeof window.__pwned") == "undefined", path
            assert page.query_selector("main script, main img") is None, path
        same_origin(page, w)
        assert not [u for u in page.requests if "/x.js" in u]
    finally:
        site.close()


def test_token_is_required_when_the_server_is_bound_beyond_loopback(web):
    w = web(token="s3cret-token")  # as `oit serve --host 0.0.0.0` builds it; bound here to 127.0.0.1 only
    with httpx.Client(base_url=w.url) as c:
        for path in ("/", "/batches", "/runs/1", "/static/app.css", "/scans/1/events"):
            r = c.get(path)
            assert r.status_code == 403, path
            assert "token" in r.text and "csrf" not in r.text
        assert c.get("/?token=wrong").status_code == 403
        assert c.post("/scan", data={"url": "x"}).status_code == 403
        r = c.get("/?token=s3cret-token")
        assert r.status_code == 303 and r.headers["location"] == "/"
        assert "oit_token=s3cret-token" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
        assert c.get("/").status_code == 200  # the cookie now
    with httpx.Client(base_url=w.url, headers={"X-OIT-Token": "s3cret-token"}) as c:
        assert c.get("/").status_code == 200
    with httpx.Client(base_url=w.url, headers={"X-OIT-Token": "s3cret-tokeN"}) as c:
        assert c.get("/").status_code == 403


@needs_chromium
def test_the_printed_token_link_opens_the_app_in_a_browser(web, site_server, page):
    site = site_server("ita_table")
    w = web(token="t0ken-for-the-office")
    page.goto(w.url + "/")
    assert "token" in page.text_content("body") and page.query_selector("form") is None
    page.goto(w.url + "/?token=t0ken-for-the-office")
    assert page.url == w.url + "/"  # the token left the address bar; a cookie carries it
    start_scan(page, w, site.url)  # forms, the progress stream and the result, all with the cookie
    wait_for_run(page)
    assert len(page.query_selector_all("tr[data-item]")) == 43


def test_loopback_server_answers_only_to_loopback_names(web):
    w = web(allowed_hosts=LOOPBACK_NAMES)
    with httpx.Client(base_url=w.url) as c:
        assert c.get("/").status_code == 200
        assert c.get("/", headers={"Host": f"localhost:{w.port}"}).status_code == 200
        assert c.get("/", headers={"Host": "attacker.example:80"}).status_code == 421  # DNS rebinding


def test_forms_need_the_csrf_token_and_private_sites_are_refused(web, site_server):
    site = site_server("menu_cms", latency=0.05)
    w = web(allow_private=False)
    with httpx.Client(base_url=w.url) as c:
        home = c.get("/")
        assert home.status_code == 200
        csp = home.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert home.headers["x-frame-options"] == "DENY"
        csrf = re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)
        assert c.post("/scan", data={"url": site.url}).status_code == 403
        assert c.post("/scan", data={"url": site.url, "csrf": "forged" + csrf[6:]}).status_code == 403
        r = c.post("/scan", data={"url": site.url, "csrf": csrf}, headers={"Origin": "http://evil.example"})
        assert r.status_code == 403
        r = c.post("/scan", data={"url": site.url, "csrf": csrf})
        assert r.status_code == 400 and "--allow-private" in r.text and "เครือข่ายภายใน" in r.text
        r = c.post("/scan", data={"url": "javascript:alert(1)", "csrf": csrf})
        assert r.status_code == 400 and "ที่อยู่เว็บไซต์ไม่ถูกต้อง" in r.text


def test_one_running_scan_per_site(web, site_server):
    site = site_server("menu_cms", latency=0.05)
    w = web()
    with httpx.Client(base_url=w.url) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
        first = c.post("/scan", data={"url": site.url, "csrf": csrf}).headers["location"]
        again = c.post("/scan", data={"url": site.url.replace("127.0.0.1", "127.0.0.1").rstrip("/"),
                                      "csrf": csrf}).headers["location"]
        assert first == again  # the running scan, not a second one
        with c.stream("GET", first + "/events") as events:
            lines = [line for line in events.iter_lines() if line.startswith(("data:", "event:"))]
        assert lines[-2] == "event: done"
        assert json.loads(lines[-3][5:])["state"] == "finished"
        done = json.loads(lines[-1][5:])["next"]
        assert re.fullmatch(r"/runs/\d+", done)
        third = c.post("/scan", data={"url": site.url, "csrf": csrf}).headers["location"]
        assert third != first  # finished: a new scan may start


def test_scans_beyond_the_limit_wait_their_turn(web, site_server):
    a, b = site_server("menu_cms", latency=0.05), site_server("ita_table")
    w = web(scans=1)
    with httpx.Client(base_url=w.url) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
        first = c.post("/scan", data={"url": a.url, "csrf": csrf}).headers["location"]
        second = c.post("/scan", data={"url": b.url, "csrf": csrf}).headers["location"]
        assert "รอคิว" in c.get(second).text and "รอคิว" in c.get("/").text
        with c.stream("GET", second + "/events") as events:
            data = [json.loads(line[5:]) for line in events.iter_lines() if line.startswith("data:")]
        states = [d["state"] for d in data if "state" in d]
        assert states[0] == "queued" and states[-1] == "finished"
        assert c.get(first, follow_redirects=False).status_code == 303  # finished before the second began
    assert a.stats.paths and b.stats.paths


@needs_chromium
def test_script_built_menus_are_rendered_by_the_server(web, site_server):
    """The Renderer starts Chromium inside the server's own event loop, as `oit scan` does in its own."""
    site = site_server("js_json_menu")
    w = web()
    with httpx.Client(base_url=w.url, timeout=120) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
        job = c.post("/scan", data={"url": site.url, "csrf": csrf}).headers["location"]
        with c.stream("GET", job + "/events") as events:
            done = [json.loads(line[5:]) for line in events.iter_lines() if line.startswith("data:")][-1]
        doc = c.get(done["next"] + "/download/json").json()
    assert any(f.startswith("rendered 1 page with Chromium") for f in doc["findings"]), doc["findings"]
    assert "/menu.json" in site.stats.paths
    expected = json.loads((SITES / "js_json_menu" / "expected.json").read_text(encoding="utf-8"))["items"]
    present = {i for i, e in expected.items() if e.get("present")}
    found = {i["id"] for i in doc["items"] if i["status"] in ("found", "review", "stale")}
    assert present and present <= found


@needs_chromium
def test_scans_one_after_another_share_one_chromium(web, site_server, tmp_path):
    """The server keeps its browser between scans (closed once idle a while): one start, not one per scan."""
    log, exe = tmp_path / "launches.log", tmp_path / "chromium"
    exe.write_text(f'#!/bin/sh\necho launch >> "{log}"\nexec {find_chromium()} "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    site = site_server("js_json_menu")
    w = web(options=replace(FAST, render=RenderOptions(chromium=str(exe))))
    with httpx.Client(base_url=w.url, timeout=120) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
        for _ in range(2):
            job = c.post("/scan", data={"url": site.url, "csrf": csrf}).headers["location"]
            with c.stream("GET", job + "/events") as events:
                done = [json.loads(line[5:]) for line in events.iter_lines() if line.startswith("data:")][-1]
            doc = c.get(done["next"] + "/download/json").json()
            assert any(f.startswith("rendered 1 page with Chromium") for f in doc["findings"]), doc["findings"]
    assert log.read_text().count("launch") == 1


def test_an_unreachable_site_is_reported_not_hidden(web):
    w = web()
    dead = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    with httpx.Client(base_url=w.url) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
        job = c.post("/scan", data={"url": dead, "csrf": csrf}).headers["location"]
        with c.stream("GET", job + "/events") as events:
            lines = [line for line in events.iter_lines() if line.startswith(("data:", "event:"))]
        last = json.loads(lines[-3][5:])
        assert last["state"] == "failed" and "home page could not be read" in last["error"]
        page = c.get(json.loads(lines[-1][5:])["next"])
        assert page.status_code == 200 and "ตรวจไม่สำเร็จ" in page.text and "data-item" not in page.text
        assert c.get(page.url.path + "/download/csv").status_code == 409
        assert "ไม่สำเร็จ" in c.get("/").text
        assert c.get("/runs/999").status_code == 404 and c.get("/scans/1").status_code == 404


def test_oit_serve_prints_the_address_and_serves(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--port", str(port), "--db",
                             str(tmp_path / "x.db")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, env=env)
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"oit serve: เปิด http://127.0.0.1:{port}/ ในเบราว์เซอร์"
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert r.status_code == 200 and 'name="url"' in r.text and '<option value="2565"' in r.text
        assert httpx.get(f"http://127.0.0.1:{port}/static/progress.js").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)
    assert proc.returncode == 0, proc.stderr.read()[-2000:]


def test_templates_and_static_files_ship_in_the_package():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "crawler.web" in data["packages"]
    globs = data["package-data"]["crawler.web"]
    web_dir = ROOT / "crawler" / "web"
    files = [p for p in web_dir.rglob("*") if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert files
    for f in files:
        assert any(f.match(str(web_dir / g)) for g in globs), f


def test_ids_too_large_for_the_database_are_not_found_not_a_traceback(web):
    w = web()
    huge = "1" * 23
    with httpx.Client(base_url=w.url) as c:
        for path in (f"/runs/{huge}", f"/runs/{huge}/download/json", f"/batches/{huge}", f"/batches/{huge}/report"):
            r = c.get(path)
            assert r.status_code == 404, (path, r.status_code)
            assert "Traceback" not in r.text
        r = c.get(f"/items/O1?run={huge}")
        assert r.status_code == 400 and "Traceback" not in r.text
        assert c.get("/items/O1?run=" + "9" * 5_000).status_code == 200  # past int()'s digits: the item alone


def test_oit_serve_on_another_loopback_address_answers_to_it(tmp_path):
    port = free_port()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "crawler", "serve", "--host", "127.0.0.2", "--port", str(port),
                             "--db", str(tmp_path / "x.db")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)
    try:
        line = proc.stdout.readline()
        address = next((w for w in line.split() if w.startswith("http://")), line)
        assert address == f"http://127.0.0.2:{port}/", line
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(address)
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.1)
        assert r.status_code == 200, r.text  # the address it printed, not 421
        assert httpx.get(address, headers={"Host": "attacker.example"}).status_code == 421
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(20)


def test_queued_scans_run_after_the_server_restarts(web, site_server, tmp_path):
    slow, waiting = site_server("menu_cms", latency=0.3), site_server("ita_table")
    db = tmp_path / "oit.db"
    w = web(db=db, scans=1)
    with httpx.Client(base_url=w.url) as c:
        csrf = re.search(r'name="csrf" value="([^"]+)"', c.get("/").text).group(1)
        c.post("/scan", data={"url": slow.url, "csrf": csrf})
        second = c.post("/scan", data={"url": waiting.url, "csrf": csrf}).headers["location"]
        assert "รอคิว" in c.get(second).text
    w.close()  # stopped while the second scan waits for its turn
    assert not waiting.stats.paths
    w2 = web(db=db, scans=1)
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=w2.url) as c:
        while True:
            con = sqlite3.connect(db)
            runs = con.execute("select status from runs where start_url = ?", [waiting.url]).fetchall()
            con.close()
            if runs and runs[-1][0] == "finished":
                break
            assert time.monotonic() < deadline, "the queued scan was lost at the restart"
            time.sleep(0.2)
        assert c.get("/").status_code == 200
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from web_queue").fetchone()[0] == 0
    con.close()
