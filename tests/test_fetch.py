"""The fetcher against real loopback servers: politeness, robots.txt, retries, redirects, TLS."""

import asyncio
import ssl
import threading
import time
from http.server import ThreadingHTTPServer

import pytest
import trustme

from crawler.config import Settings
from crawler.fetch import Fetcher
from sitesrv import SiteServer


def fetch(url: str, settings: Settings | None = None, **kw):
    async def go():
        async with Fetcher(settings or Settings(allow_private=True, delay=0.0)) as f:
            return await f.request(url, **kw), f
    return asyncio.run(go())


def test_honest_user_agent_and_redirect_chain(tmp_path):
    (tmp_path / "new.html").write_text("<title>ใหม่</title>", encoding="utf-8")
    srv = SiteServer(tmp_path, routes={"/old": (301, {"Location": "/mid"}, b""),
                                       "/mid": (302, {"Location": "new.html"}, b"")})
    try:
        resp, _ = fetch(srv.url + "old")
        assert resp.status == 200 and resp.final_url == srv.url + "new.html"
        assert len(resp.redirects) == 2
        assert any("OITCrawler" in a and "+http" in a for a in srv.stats.agents)
    finally:
        srv.close()


def test_redirect_loop_and_file_scheme_are_refused(tmp_path):
    srv = SiteServer(tmp_path, routes={"/a": (302, {"Location": "/b"}, b""), "/b": (302, {"Location": "/a"}, b""),
                                       "/f": (302, {"Location": "file:///etc/passwd"}, b"")})
    try:
        loop, _ = fetch(srv.url + "a", Settings(allow_private=True, delay=0.0, max_redirects=5))
        assert loop.error == "too many redirects"
        bad, _ = fetch(srv.url + "f")
        assert bad.error and "refused" in bad.error
    finally:
        srv.close()


def test_retry_after_on_503_then_success(tmp_path):
    (tmp_path / "busy.html").write_text("ok", encoding="utf-8")
    srv = SiteServer(tmp_path, script={"/busy.html": [(503, {"Retry-After": "1"}, b"busy")]})
    try:
        t0 = time.monotonic()
        resp, _ = fetch(srv.url + "busy.html")
        assert resp.status == 200 and resp.content == b"ok"
        assert srv.stats.paths["/busy.html"] == 2
        assert time.monotonic() - t0 >= 0.9  # waited for Retry-After
    finally:
        srv.close()


def test_dead_host_is_an_error_not_an_exception():
    resp, _ = fetch("http://127.0.0.1:9/", Settings(allow_private=True, delay=0.0, retries=1, connect_timeout=2))
    assert resp.status == 0 and resp.error


def test_robots_txt_is_honoured(tmp_path):
    (tmp_path / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    srv = SiteServer(tmp_path)

    async def go(obey):
        async with Fetcher(Settings(allow_private=True, delay=0.0, obey_robots=obey)) as f:
            return await f.allowed(srv.url + "private/x.html"), await f.allowed(srv.url + "public.html")
    try:
        assert asyncio.run(go(True)) == (False, True)
        assert asyncio.run(go(False)) == (True, True)
    finally:
        srv.close()


def test_per_host_limit_is_never_exceeded(tmp_path):
    for i in range(12):
        (tmp_path / f"p{i}.html").write_text("x", encoding="utf-8")
    srv = SiteServer(tmp_path, latency=0.15)

    async def go():
        async with Fetcher(Settings(allow_private=True, delay=0.0, per_host=2)) as f:
            await asyncio.gather(*(f.request(f"{srv.url}p{i}.html") for i in range(12)))
    try:
        asyncio.run(go())
        assert srv.stats.max_in_flight == 2
    finally:
        srv.close()


def test_delay_is_counted_between_request_starts(tmp_path):
    """Slow answers do not stretch the delay: a server allowing 0.2 s gets a request every 0.2 s."""
    for i in range(11):
        (tmp_path / f"p{i}.html").write_text("x", encoding="utf-8")
    srv = SiteServer(tmp_path, latency=0.3)

    async def go():
        async with Fetcher(Settings(allow_private=True, delay=0.2, per_host=2, obey_robots=False)) as f:
            await asyncio.gather(*(f.request(f"{srv.url}p{i}.html") for i in range(11)))
    try:
        asyncio.run(go())
        starts = sorted(srv.stats.starts)
        gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
        assert len(starts) == 11 and min(gaps) >= 0.16  # never faster than allowed (the server's clock jitters)
        assert starts[-1] - starts[0] <= 10 * 0.2 * 1.15  # and not slower: the allowed rate
        assert srv.stats.max_in_flight <= 2
    finally:
        srv.close()


def test_size_cap_truncates(tmp_path):
    (tmp_path / "big.html").write_bytes(b"x" * 300_000)
    srv = SiteServer(tmp_path)
    try:
        resp, _ = fetch(srv.url + "big.html", Settings(allow_private=True, delay=0.0, max_bytes=50_000))
        assert resp.truncated and len(resp.content) == 50_000
    finally:
        srv.close()


@pytest.fixture
def tls_server(tmp_path):
    """HTTPS on 127.0.0.1 with a certificate from a CA nobody trusts."""
    (tmp_path / "index.html").write_text("<title>ปลอดภัย?</title>", encoding="utf-8")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    srv = SiteServer(tmp_path)
    srv.close()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), srv.httpd.RequestHandlerClass)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def test_untrusted_certificate_falls_back_and_is_a_finding(tls_server):
    resp, fetcher = fetch(tls_server)
    assert resp.status == 200 and resp.tls_insecure
    assert any(f.startswith("TLS:") for f in fetcher.findings)
