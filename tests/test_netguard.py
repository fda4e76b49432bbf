"""The private-address guard holds for every connection: DNS rebinding.

Servers bind to loopback; the fetcher's resolver hook (`Settings.resolver`) makes a loopback server look
public (or private) to the guard, and `no_egress` (conftest.py) routes the fake public address back to
loopback and refuses any other connection, so nothing ever leaves 127.0.0.0/8.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import trustme

from crawler.fetch import Fetcher, Settings
from sitesrv import SiteServer

PUBLIC = "93.184.216.34"  # what the resolver hook answers for a "public" host; routed to loopback



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

