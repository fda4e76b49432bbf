"""Script-built menus: the pure helpers, and Chromium through the real CLI over loopback fixture sites."""

from __future__ import annotations

import os
import shutil
import stat
import time
from pathlib import Path

import pytest

from conftest import SITES, expected, scan
from crawler.browsers import find_chromium
from crawler.decode import decode
from crawler.parse import parse
from crawler.render import needs_render, script_links
from sitesrv import SiteServer

CHROMIUM = Path(find_chromium())  # the headless shell where it is installed, as a scan takes it
JS_SITES = ["js_dreamweaver", "js_json_menu"]


def _have_browser() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.exists()


# in CI (`make test` installs chromium) these must run; on a developer's machine without it they are skipped
needs_chromium = pytest.mark.skipif(not _have_browser() and not os.environ.get("CI"),
                                    reason="/usr/bin/chromium or the playwright package is missing")


def page_of(name: str, path: str = "index.html", url: str = "http://127.0.0.1:8000/"):
    text, _ = decode((SITES / name / path).read_bytes(), None)
    return parse(url + ("" if path == "index.html" else path), text), text


def recall(name: str, doc: dict) -> tuple[int, int]:
    truth = {k: v for k, v in expected(name)["items"].items() if v["present"]}
    got = {it["id"]: it for it in doc["items"]}
    hit = sum(1 for k, v in truth.items() if got[k]["status"] != "missing" and got[k]["evidence"]
              and got[k]["evidence"][0]["url"].endswith(v["url"]))
    return hit, len(truth)


def logging_chromium(tmp_path: Path) -> tuple[Path, Path]:
    """A Chromium that notes each launch in a log file: how many browsers a scan started."""
    log, exe = tmp_path / "launches.log", tmp_path / "chromium"
    exe.write_text(f'#!/bin/sh\necho launch >> "{log}"\nexec {CHROMIUM} "$@"\n', encoding="utf-8")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe, log


def rendered_lines(doc: dict) -> list[str]:
    return [f for f in doc["findings"] if f.startswith("rendered ")]


# -- pure helpers -------------------------------------------------------------------------------------------

def test_script_links_read_dreamweaver_menus_without_a_browser():
    page, html = page_of("js_dreamweaver")
    assert not any("/about/structure.html" in link.url for link in page.links)  # no <a href> to the items
    links = {link.url.replace("http://127.0.0.1:8000", ""): link for link in script_links(page, html)}
    assert links["/about/structure.html"].text == "โครงสร้างส่วนราชการ"
    assert links["/plan/devplan.html"].text == "แผนพัฒนาท้องถิ่น (พ.ศ. 2561-2565)"  # &nbsp; read as space
    assert "/finance/budget-2565.html" in links  # location='...'
    assert len(links) == 11


def test_script_links_read_onclick_and_javascript_hrefs():
    html = """<ul class="menu"><li><a href="javascript:void(0)">ข้อมูลพื้นฐาน</a><ul>
      <li><a href="javascript:void(0)" onclick="location.href='/about/structure.html'">โครงสร้างส่วนราชการ</a></li>
      <li><a href="javascript:window.open('/about/executives.html')">คณะผู้บริหาร</a></li>
      <li onclick="window.location = &quot;/about/law.html&quot;">กฎหมายที่เกี่ยวข้อง</li>
      <li><a href="#" onclick="MM_openBrWindow('/ac/plan.html','','width=800')">แผนป้องกันการทุจริต</a></li>
      <li><a href="#" onclick="MM_goToURL('parent','/ac/nogift.html');return document.MM_returnValue">No Gift</a></li>
      <li><a href="/plain.html" onclick="window.open('/plain.html')">plain</a></li>
      <li><button onclick="window.print()">พิมพ์</button></li></ul></li></ul>"""
    page = parse("http://x.go.th/", html)
    links = {link.url: link for link in script_links(page, html)}
    assert set(links) == {f"http://x.go.th{p}" for p in ("/about/structure.html", "/about/executives.html",
                                                          "/about/law.html", "/ac/plan.html", "/ac/nogift.html")}
    org = links["http://x.go.th/about/structure.html"]
    assert org.text == "โครงสร้างส่วนราชการ" and org.menu[0] == "ข้อมูลพื้นฐาน" and org.chrome
    assert links["http://x.go.th/about/law.html"].text == "กฎหมายที่เกี่ยวข้อง"


def test_needs_render_only_for_pages_built_by_scripts():
    assert needs_render(*page_of("js_dreamweaver"), home=True)
    assert "menu" in needs_render(*page_of("js_json_menu"), home=True)
    for name in ("js_plain", "menu_cms", "deep_groups", "ita_table", "wp_calendar", "decoys_only", "frames_874"):
        assert needs_render(*page_of(name), home=True) is None, name
    for path in ("about/structure.html", "news/index.html", "procure/skr1.html"):
        assert needs_render(*page_of("js_json_menu", path)) is None
    url = "http://x.go.th/"
    js = "".join(f'<li><a href="javascript:void(0)" onclick="go({i})">เมนู {i}</a></li>' for i in range(8))
    html = f'<ul>{js}</ul><a href="/a.html">a</a>'
    assert "javascript" in needs_render(parse(url, html), html)
    html = "<p>ข่าว</p><noscript>เว็บไซต์นี้ต้องเปิดใช้งาน JavaScript</noscript>" + '<a href="/a">a</a>' * 9
    assert "noscript" in needs_render(parse(url, html), html)
    html = '<p>ยินดีต้อนรับ</p><a href="/a.html">เข้าสู่เว็บไซต์</a>'
    assert needs_render(parse(url, html), html, home=True) and needs_render(parse(url, html), html) is None


# -- Chromium through the CLI ---------------------------------------------------------------------------------

@needs_chromium
@pytest.mark.parametrize("name", JS_SITES)
def test_js_menus_are_found_as_on_the_plain_site(name, site_server, tmp_path):
    plain = site_server("js_plain")
    _, plain_doc = scan(plain.url, tmp_path / "p")
    srv = site_server(name)
    exe, log = logging_chromium(tmp_path)
    proc, doc = scan(srv.url, tmp_path / "a", "--chromium", str(exe))
    assert proc.returncode in (0, 2), proc.stderr
    assert recall(name, doc) == recall("js_plain", plain_doc) == (12, 12)
    assert rendered_lines(doc) and rendered_lines(doc)[0].startswith("rendered 1 page with Chromium (avg ")
    assert log.read_text().count("launch") == 1  # one browser for the scan
    assert not rendered_lines(plain_doc)


@needs_chromium
def test_render_never_misses_the_script_only_menu(site_server, tmp_path):
    srv = site_server("js_json_menu")
    _, doc = scan(srv.url, tmp_path, "--render", "never")
    assert recall("js_json_menu", doc) == (0, 12) and not rendered_lines(doc)
    assert "/menu.json" not in srv.stats.paths
    # the Dreamweaver menu's URLs are strings in the HTML: found without a browser
    dw = site_server("js_dreamweaver")
    _, doc = scan(dw.url, tmp_path / "dw", "--render", "never")
    assert recall("js_dreamweaver", doc) == (12, 12) and not rendered_lines(doc)


def test_plain_site_starts_no_browser(site_server, tmp_path):
    srv = site_server("js_plain")
    exe, log = logging_chromium(tmp_path)
    proc, doc = scan(srv.url, tmp_path, "--chromium", str(exe))
    assert proc.returncode in (0, 2), proc.stderr
    assert not log.exists() and not rendered_lines(doc) and not [f for f in doc["findings"] if "render" in f]
    assert recall("js_plain", doc) == (12, 12)


@needs_chromium
def test_browser_requests_are_polite_and_counted(site_server, tmp_path):
    srv = site_server("js_json_menu", latency=0.05)
    proc, doc = scan(srv.url, tmp_path, "--per-host", "2", "--render", "always", "--render-pages", "3")
    assert proc.returncode in (0, 2), proc.stderr
    assert "/menu.json" in srv.stats.paths  # fetched by the browser
    assert srv.stats.max_in_flight <= 2
    assert doc["requests"] == sum(srv.stats.paths.values())  # every request the site saw is counted
    assert rendered_lines(doc)[0].startswith("rendered 3 pages")
    assert doc["pages_fetched"] == 13  # the rendered pages are the crawled pages, not extra ones


def _hanging_site(root: Path) -> None:
    shutil.copytree(SITES / "js_json_menu", root)
    index = (root / "index.html").read_text(encoding="utf-8")
    (root / "loop.html").write_text(index.replace("<script>", "<script>while (true) {}</script><script>", 1),
                                    encoding="utf-8")
    (root / "slow.html").write_text(index.replace("<script>", '<script src="/slow.js"></script><script>', 1),
                                    encoding="utf-8")
    (root / "index.html").write_text(index.replace('<div id="main">', '<div id="main"><a href="/loop.html">'
                                                   'ประกาศ</a> <a href="/slow.html">ประกาศล่าสุด</a>'),
                                     encoding="utf-8")


@needs_chromium
def test_a_hanging_page_is_given_up_in_time(tmp_path):
    root = tmp_path / "site"
    _hanging_site(root)
    srv = SiteServer(root)
    base = srv.httpd.RequestHandlerClass

    class Slow(base):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:
            if self.path.startswith("/slow.js"):
                time.sleep(12)
            super().do_GET()

    srv.httpd.RequestHandlerClass = Slow
    try:
        start = time.monotonic()
        proc, doc = scan(srv.url, tmp_path, "--render-timeout", "2")
        wall = time.monotonic() - start
    finally:
        srv.close()
    assert proc.returncode in (0, 2), proc.stderr
    assert wall < 45, wall
    assert "/loop.html" in srv.stats.paths and "/slow.html" in srv.stats.paths
    assert any("gave up on" in f and "loop.html" in f for f in doc["findings"]), doc["findings"]
    assert recall("js_json_menu", doc) == (12, 12)  # the home page rendered; the rest of the scan went on


def test_missing_chromium_degrades_with_one_warning(site_server, tmp_path):
    srv = site_server("js_json_menu")
    proc, doc = scan(srv.url, tmp_path, "--chromium", "/nonexistent/chromium")
    assert proc.returncode == 2, proc.stderr
    warnings = [f for f in doc["findings"] if f.startswith("render:")]
    assert len(warnings) == 1 and "/nonexistent/chromium" in warnings[0]
    assert not rendered_lines(doc) and recall("js_json_menu", doc) == (0, 12)


def test_render_always_without_chromium_is_an_error(site_server, tmp_path):
    srv = site_server("js_plain")
    proc, doc = scan(srv.url, tmp_path, "--render", "always", "--chromium", "/nonexistent/chromium")
    assert proc.returncode == 1 and not doc
    assert proc.stderr.startswith("oit: error:") and len(proc.stderr.strip().splitlines()) == 1
    assert "Chromium not found at /nonexistent/chromium" in proc.stderr and "Traceback" not in proc.stderr
    assert not srv.stats.paths  # nothing was requested


@needs_chromium
def test_sites_of_one_process_share_one_browser(site_server):
    """Two sites rendered at once in one batch: one Chromium, a context each, closed after the batch."""
    import asyncio

    from crawler.config import RenderOptions, Settings
    from crawler.fetch import Fetcher
    from crawler.render import Renderer, keep_browser, shared_chromium

    sites = [site_server("js_json_menu"), site_server("js_json_menu")]

    async def go():
        async with keep_browser() as chromium:
            browsers = []

            async def one(srv):
                async with Fetcher(Settings(allow_private=True, delay=0.0)) as fetcher:
                    renderer = Renderer(fetcher, RenderOptions(mode="always"))
                    try:
                        assert await renderer.render(srv.url) is not None
                        browsers.append(renderer._context.browser)
                    finally:
                        await renderer.close()
            await asyncio.gather(*(one(s) for s in sites))
            assert chromium is shared_chromium()
            alive = chromium._browser is not None and chromium._browser.is_connected()
        return browsers, alive, chromium._browser

    browsers, alive_between, after = asyncio.run(go())
    assert len(browsers) == 2 and browsers[0] is browsers[1]  # one browser, two contexts
    assert alive_between and after is None  # kept while the batch runs, closed when it ends


@needs_chromium
def test_a_batch_closes_the_browser_no_site_has_used_for_a_while(site_server, monkeypatch):
    """Kept between sites, the browser closes IDLE_CLOSE seconds after the last site that used it left; the next
    site that needs it starts it again. One renderer process serves the pages, no omnibox popup beside them."""
    import asyncio

    from crawler import render
    from crawler.config import RenderOptions, Settings
    from crawler.fetch import Fetcher

    monkeypatch.setattr(render, "IDLE_CLOSE", 0.5)
    srv = site_server("js_json_menu")

    async def one() -> int:
        async with Fetcher(Settings(allow_private=True, delay=0.0)) as fetcher:
            renderer = render.Renderer(fetcher, RenderOptions(mode="always"))
            try:
                assert await renderer.render(srv.url) is not None
                cdp = await renderer._context.browser.new_browser_cdp_session()
                targets = (await cdp.send("Target.getTargets"))["targetInfos"]
                return sum(1 for t in targets if t["type"] != "page")
            finally:
                await renderer.close()

    async def go():
        async with render.keep_browser() as chromium:
            others = await one()
            kept = chromium._browser is not None
            await asyncio.sleep(1.5)
            idle_closed = chromium._browser is None
            await one()
            again = chromium._browser is not None
        return others, kept, idle_closed, again, chromium._browser

    others, kept, idle_closed, again, after = asyncio.run(go())
    assert others == 0  # no browser UI target (the omnibox popup had a renderer of its own)
    assert kept and idle_closed and again and after is None
