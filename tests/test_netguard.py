"""The private-address guard holds for every connection: DNS rebinding, and the browser's own requests.

Servers bind to loopback; the fetcher's resolver hook (`Settings.resolver`) makes a loopback server look
public (or private) to the guard, and `no_egress` (conftest.py) routes the fake public address back to
loopback and refuses any other connection, so nothing ever leaves 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import ssl
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from crawler.audit import audit
from crawler.config import Budget, Options, RenderOptions, Settings
from crawler.fetch import Fetcher
from crawler.render import unavailable
from sitesrv import SiteServer

PUBLIC = "93.184.216.34"  # what the resolver hook answers for a "public" host; routed to loopback
METADATA = "169.254.169.254"

needs_chromium = pytest.mark.skipif(unavailable(RenderOptions()) is not None,
                                    reason="/usr/bin/chromium or the playwright package is missing")


class Secret:
    """A 'private' server (cloud metadata, an intranet host): records every request, answers a secret."""

    TOKEN = "SECRET-TOKEN-4f1a"

    def __init__(self, host: str = "127.0.0.1"):
        self.paths: Counter[str] = Counter()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner.paths[self.path] += 1
                body = Secret.TOKEN.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.host, self.port = host, self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def fetch(url: str, settings: Settings):
    async def go():
        async with Fetcher(settings) as f:
            return await f.request(url), f
    return asyncio.run(go())


# -- DNS rebinding: the connection goes to the address that was checked ---------------------------------------

def test_dns_rebinding_cannot_reach_the_private_address(tmp_path, no_egress):
    (tmp_path / "index.html").write_text("<title>เทศบาล</title>", encoding="utf-8")
    public = SiteServer(tmp_path)
    private = Secret()
    answers: list[str] = []

    def rebinding(host: str) -> list[str]:
        """Public the first time (the guard's check), private after (a short TTL, then the attacker's)."""
        answers.append(PUBLIC if not answers else "10.0.0.5")
        return [answers[-1]]

    port = public.httpd.server_address[1]
    no_egress.routes[(PUBLIC, port)] = ("127.0.0.1", port)
    no_egress.routes[("10.0.0.5", port)] = ("127.0.0.1", private.port)  # the "intranet host"
    no_egress.names["rebind.test"] = lambda: rebinding("rebind.test")[0]  # the system's lookups rebind too
    try:
        resp, _ = fetch(f"http://rebind.test:{port}/",
                        Settings(delay=0.0, retries=0, connect_timeout=2, allow_private=False,
                                 resolver=rebinding))
    finally:
        public.close()
        private.close()
    assert not private.paths, f"the rebound (private) address was reached: {dict(private.paths)}"
    assert resp.status == 200 and public.stats.paths["/"] == 1, resp
    assert answers == [PUBLIC], answers  # one lookup, by the guard; the connection used its answer
    assert [a[:2] for a in no_egress.connects] == [(PUBLIC, port)], no_egress.connects


def test_pinned_https_keeps_the_host_name_for_sni_and_verification(tmp_path, no_egress, monkeypatch):
    ca = trustme.CA()
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))  # the fetcher trusts this CA (httpx reads it)
    (tmp_path / "index.html").write_text("<title>ปลอดภัย</title>", encoding="utf-8")
    srv = SiteServer(tmp_path)
    srv.close()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), srv.httpd.RequestHandlerClass)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("secure.test").configure_cert(ctx)
    sni: list[str | None] = []
    ctx.sni_callback = lambda sock, name, context: sni.append(name)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    no_egress.routes[(PUBLIC, port)] = ("127.0.0.1", port)
    try:
        resp, fetcher = fetch(f"https://secure.test:{port}/",
                              Settings(delay=0.0, retries=0, connect_timeout=2, allow_private=False,
                                       resolver=lambda host: [PUBLIC] if host == "secure.test" else []))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert resp.status == 200 and not resp.tls_insecure, (resp.error, fetcher.findings)
    assert not fetcher.findings  # verified against the name, no fallback
    assert sni == ["secure.test"], sni
    assert [a[:2] for a in no_egress.connects] == [(PUBLIC, port)], no_egress.connects


# -- the browser: every request through the fetcher, nothing of its own --------------------------------------

RENDERED_HOME = """<!doctype html><html lang="th"><head><meta charset="utf-8"><title>เทศบาลตำบลทดสอบ</title></head>
<body><h1>เทศบาลตำบลทดสอบ</h1><ul id="menu" class="menu"></ul>
<script>
var menu = document.getElementById('menu');
function add(href, text) {
  var li = document.createElement('li'), a = document.createElement('a');
  a.href = href; a.textContent = text; li.appendChild(a); menu.appendChild(li);
}
add('/about.html', 'ข้อมูลพื้นฐาน');  // proves the script ran in a browser
%s
</script></body></html>
"""

REDIRECT_LEAK = """fetch('/go').then(function (r) { return r.text(); }).then(function (t) {
  add('/leak/' + encodeURIComponent(t.trim()), 'ข้อมูล ' + t);
}).catch(function () {});"""

OTHER_CHANNELS = """try {
  var ws = new WebSocket('ws://%(private)s/ws');
  ws.onmessage = function (e) { add('/leak/ws-' + encodeURIComponent(e.data), 'ws'); };
} catch (e) {}
try { navigator.sendBeacon('http://%(private)s/beacon', 'x'); } catch (e) {}
try { new EventSource('http://%(private)s/events'); } catch (e) {}
try { window.open('http://%(private)s/popup'); } catch (e) {}
var f = document.createElement('iframe'); f.src = '/go-frame'; document.body.appendChild(f);"""


def _rendered_scan(tmp_path: Path, no_egress, script: str, private: Secret) -> tuple[SiteServer, dict, list]:
    """Scan a site on 127.0.0.1 that the guard sees as public, whose home page needs a browser."""
    root = tmp_path / "site"
    root.mkdir()
    (root / "index.html").write_text(RENDERED_HOME % script, encoding="utf-8")
    (root / "about.html").write_text("<title>ข้อมูลพื้นฐาน</title><p>ที่ตั้ง</p>", encoding="utf-8")
    target = f"http://127.0.0.2:{private.port}/latest/meta-data/"
    site = SiteServer(root, routes={"/go": (302, {"Location": target}, b""),
                                    "/go-frame": (302, {"Location": target}, b"")})
    port = site.httpd.server_address[1]
    no_egress.routes[(PUBLIC, port)] = ("127.0.0.1", port)

    def resolver(host: str) -> list[str]:
        # the site (127.0.0.1) looks public; the other loopback address is the metadata service
        return {"127.0.0.1": [PUBLIC], "127.0.0.2": [METADATA]}.get(host, ["10.0.0.5"])

    db = tmp_path / "oit.db"
    try:
        doc = audit(site.url, Options(
            db=db, budget=Budget(max_pages=10, max_depth=2, time_limit=60), check_offsite=False,
            settings=Settings(delay=0.0, retries=0, connect_timeout=2, allow_private=False, resolver=resolver),
            render=RenderOptions(mode="always", budget=3, nav_timeout=8, deadline=15)))
    finally:
        site.close()
    con = sqlite3.connect(db)
    stored = [str(v) for row in con.execute("select to_url, text from links union all select url, final_url "
                                            "from pages") for v in row]
    con.close()
    return site, doc, stored


@needs_chromium
def test_browser_cannot_follow_a_redirect_to_a_private_address(tmp_path, no_egress):
    private = Secret("127.0.0.2")
    try:
        site, doc, stored = _rendered_scan(tmp_path, no_egress, REDIRECT_LEAK, private)
    finally:
        private.close()
    assert any(f.startswith("rendered ") for f in doc["findings"]), doc["findings"]
    assert any(u.endswith("/about.html") for u in stored), "the page's script did not run"
    assert not private.paths, f"the browser reached the private address: {dict(private.paths)}"
    assert site.stats.paths["/go"] >= 1  # the script's request went out (through the fetcher) and stopped there
    assert not [u for u in stored if "SECRET" in u or "/leak/" in u], stored
    assert not [p for p in site.stats.paths if "leak" in p], site.stats.paths
    assert not no_egress.blocked, no_egress.blocked  # the fetcher never even tried the metadata address


@needs_chromium
def test_browser_has_no_network_of_its_own(tmp_path, no_egress):
    """WebSockets, beacons, event streams, popups, frames: nothing reaches the private server."""
    private = Secret("127.0.0.2")
    try:
        site, doc, stored = _rendered_scan(tmp_path, no_egress,
                                           OTHER_CHANNELS % {"private": f"127.0.0.2:{private.port}"}, private)
    finally:
        private.close()
    assert any(u.endswith("/about.html") for u in stored), "the page's script did not run"
    assert not private.paths, f"the browser reached the private address: {dict(private.paths)}"
    assert not [u for u in stored if "SECRET" in u or "/leak/" in u], stored
    assert not no_egress.blocked, no_egress.blocked


def test_unresolvable_host_is_refused_when_private_addresses_are(no_egress):
    resp, _ = fetch("http://nowhere.test/", Settings(delay=0.0, retries=0, allow_private=False,
                                                     resolver=lambda host: []))
    assert resp.status == 0 and resp.error and "cannot resolve" in resp.error, resp
    assert no_egress.connects == [], no_egress.connects


def test_getaddrinfo_is_patched_for_the_guard(no_egress):
    """The guard's own lookup (no resolver hook) goes through the system resolver, here the test's names."""
    no_egress.names["intranet.test"] = "10.9.8.7"
    resp, _ = fetch("http://intranet.test/", Settings(delay=0.0, retries=0, allow_private=False))
    assert resp.error and "private" in resp.error and "10.9.8.7" in resp.error, resp
    assert no_egress.connects == [], no_egress.connects
    assert socket.getaddrinfo("intranet.test", 80)[0][4][0] == "10.9.8.7"


@needs_chromium
def test_chromium_launched_as_the_renderer_does_reaches_nothing_by_itself():
    """Defence in depth: without any route, the browser's own connections go to a dead proxy."""
    from playwright.async_api import async_playwright

    from crawler.render import CHROMIUM_ARGS

    private = Secret()
    url = f"http://127.0.0.1:{private.port}/latest/meta-data/"

    async def go() -> list[str]:
        errors = []
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=RenderOptions().chromium, args=CHROMIUM_ARGS)
            try:
                page = await browser.new_page()
                for target in (url, url.replace("127.0.0.1", "localhost")):
                    try:
                        await page.goto(target, timeout=5000)
                    except Exception as exc:  # noqa: BLE001 - the expected outcome
                        errors.append(str(exc).splitlines()[0])
            finally:
                await browser.close()
        return errors

    try:
        errors = asyncio.run(go())
    finally:
        private.close()
    assert not private.paths, dict(private.paths)
    assert len(errors) == 2, errors


@pytest.mark.parametrize("address", [
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "192.0.0.8",  # IETF protocol assignments
    "198.18.0.1",  # benchmarking
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of the metadata address 169.254.169.254
    "64:ff9b::a00:5",  # NAT64 of 10.0.0.5
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo
    "::ffff:10.0.0.5",  # IPv4-mapped
    "::127.0.0.1",  # IPv4-compatible (deprecated)
])
def test_every_address_that_is_not_global_is_refused(no_egress, address):
    """Every form of a non-public address is refused before connecting: only globally routable ones pass."""
    resp, _ = fetch("http://intranet.test/", Settings(delay=0.0, retries=0, allow_private=False,
                                                       resolver=lambda host: [address]))
    assert resp.status == 0 and resp.error and "private" in resp.error, resp
    assert no_egress.connects == [], no_egress.connects


@pytest.mark.parametrize("address", ["93.184.216.34", "2002:5db8:d822::1", "64:ff9b::5db8:d822", "2606:4700::1"])
def test_public_addresses_and_their_ipv6_forms_pass_the_guard(address):
    from crawler.fetch import not_public
    assert not not_public(address)
