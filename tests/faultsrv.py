"""A loopback server that misbehaves on purpose, by path: the hostile side of the crawler's tests.

`FaultServer(links=[...], robots=..., tls=ctx)` listens on 127.0.0.1 (and, for off-site redirects, on
127.0.0.2 at the same port) at an ephemeral port, one thread per connection, until `close()`.
Nothing here ever connects anywhere; every loop is bounded in count and in time (`max_stream`
seconds, 120 by default) and stops at once when the client goes away or the server closes.

Paths:

- slow or broken transport: `/drip` (headers, then one byte a second), `/never-ends` (chunked,
  small chunks forever), `/reset` (Content-Length 100000, 1000 bytes, then a TCP RST),
  `/no-response` (reads the request, never answers);
- hostile bodies: `/gzip-bomb`, `/deflate-bomb` (256 MB of zeros in ~260 KB), `/big.html` (50 MB,
  generated while sent), `/binary` (random bytes as text/html), `/wrong-charset` (Thai UTF-8
  declared iso-8859-1), `/many-links.html` (100,000 links to `/n/N`);
- redirects: `/loop-a` <-> `/loop-b`, `/chain/N` (N hops to `/chain/0`), `/to-other-host`
  (127.0.0.2, off-site), `/to-file` (file:///etc/passwd), `/to-private` (http://10.0.0.1/);
- answers: `/soft-404.html` (200 with a Thai "page not found"), `/bots-403` (403 for OITCrawler),
  `/rate` (429 with Retry-After: 1 once), `/burst` (503 twice);
- endless link spaces: `/calendar?month=N`, `/grow?q=x&a1=1&a2=2...`, `/sid?s=<random>`, `/a/a/a/...`;
- Thai URLs: `/ข่าว ประกาศ.html` and `/ข่าว.html?id=221-ประกาศ ผล`, however percent-encoded;
- `robots`: None (404), "disallow-all", "huge" (5 MB), "html" (an HTML page), or the text itself.
"""

from __future__ import annotations

import functools
import random
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOMB_MB = 256
BIG_BYTES = 50_000_000
MANY_LINKS = 100_000
THAI_PAGE = "/ข่าว ประกาศ.html"
THAI_QUERY_PAGE = "/ข่าว.html"
THAI_QUERY_ID = "221-ประกาศ ผล"
NOT_FOUND_TH = "ไม่พบหน้าที่ต้องการ"
ROBOTS_PRESETS = {"disallow-all": "User-agent: *\nDisallow: /\n"}


def html(title: str, body: str = "") -> bytes:
    return (f'<!doctype html><html lang="th"><head><meta charset="utf-8"><title>{title}</title></head>'
            f"<body><h1>{title}</h1>{body}</body></html>").encode()


@functools.cache
def _deflate_zeros() -> tuple[bytes, int, int]:
    """Raw deflate of BOMB_MB of zeros, its CRC-32 and Adler-32 (one compression for both bombs)."""
    block = bytes(1 << 22)
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    parts, crc, adler = [], 0, 1
    for _ in range(BOMB_MB // 4):
        parts.append(comp.compress(block))
        crc, adler = zlib.crc32(block, crc), zlib.adler32(block, adler)
    parts.append(comp.flush())
    return b"".join(parts), crc, adler


@functools.cache
def gzip_bomb() -> bytes:
    raw, crc, _ = _deflate_zeros()
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + raw + struct.pack("<II", crc, (BOMB_MB << 20) & 0xFFFFFFFF)


@functools.cache
def deflate_bomb() -> bytes:
    raw, _, adler = _deflate_zeros()
    return b"\x78\x9c" + raw + struct.pack(">I", adler)  # zlib-wrapped, as HTTP "deflate" means


@functools.cache
def many_links() -> bytes:
    links = "\n".join(f"<a href=/n/{i}>ข่าว {i}</a>" for i in range(MANY_LINKS))
    return html("ลิงก์จำนวนมาก", links)


@functools.cache
def huge_robots() -> bytes:
    lines = ["User-agent: *", "Allow: /"] + [f"Disallow: /private-{i:07d}/*.php$" for i in range(200_000)]
    text = "\n".join(lines) + "\n"
    return (text * (5_000_000 // len(text) + 1)).encode()[:5_000_000]


@functools.cache
def binary_body() -> bytes:
    return random.Random(20240601).randbytes(2_000_000)


class Stats:
    """What the server saw: requests by path (decoded, with the query), connections, user agents."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paths: Counter[str] = Counter()
        self.hosts: Counter[str] = Counter()  # "127.0.0.2 /offsite.html"
        self.agents: set[str] = set()
        self.connections = 0

    def hit(self, local_ip: str, path: str, agent: str) -> None:
        with self.lock:
            self.paths[path] += 1
            self.hosts[f"{local_ip} {path}"] += 1
            self.agents.add(agent)

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.paths.values())

    def count(self, prefix: str) -> int:
        """Requests whose path starts with `prefix`."""
        with self.lock:
            return sum(n for p, n in self.paths.items() if p.startswith(prefix))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], owner: FaultServer):
        self.owner = owner
        super().__init__(address, handler)

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client that hangs up is what these tests do
            super().handle_error(request, client_address)

    def get_request(self) -> tuple[socket.socket, object]:
        sock, addr = super().get_request()
        with self.owner.stats.lock:
            self.owner.stats.connections += 1
        return sock, addr


class FaultServer:
    """The hostile server; `links` (hrefs, or (href, text) pairs) make its home page."""

    def __init__(self, links: list[str | tuple[str, str]] | None = None, home_html: bytes | str | None = None,
                 robots: str | None = None, other_host: bool = True, max_stream: float = 120.0,
                 tls: ssl.SSLContext | None = None):
        self.links = links or []
        self.home_html = home_html.encode() if isinstance(home_html, str) else home_html
        self.robots = robots
        self.max_stream = max_stream
        self.stats = Stats()
        self.stopping = threading.Event()
        self._counters: Counter[str] = Counter()
        for attempt in range(20):  # the same port on 127.0.0.2: another test process may hold it, then try again
            self._servers: list[_Server] = [_Server(("127.0.0.1", 0), self._handler(), self)]
            self.port = self._servers[0].server_address[1]
            if not other_host:
                break
            try:
                self._servers.append(_Server(("127.0.0.2", self.port), self._handler(), self))
                break
            except OSError:
                self._servers[0].server_close()
                if attempt == 19:
                    raise
        self.scheme = "https" if tls else "http"
        for srv in self._servers if tls else []:
            srv.socket = tls.wrap_socket(srv.socket, server_side=True)  # handshake on accept
        self._threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
                         for s in self._servers]
        for t in self._threads:
            t.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/"

    @property
    def other_url(self) -> str:
        return f"{self.scheme}://127.0.0.2:{self.port}/"

    def close(self) -> None:
        self.stopping.set()  # every streaming loop waits on this event
        for s in self._servers:
            s.shutdown()
            s.server_close()
        for t in self._threads:
            t.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def once(self, name: str) -> int:
        """How many times `name` was asked before (for /rate and /burst)."""
        with self.stats.lock:
            n = self._counters[name]
            self._counters[name] += 1
            return n

    def home(self) -> bytes:
        if self.home_html is not None:
            return self.home_html
        items = []
        for link in self.links:
            href, text = (link, f"ลิงก์ {link}") if isinstance(link, str) else link
            items.append(f'<li><a href="{href}">{text}</a></li>')
        body = ("<p>เทศบาลตำบลทดสอบ อำเภอเมือง จังหวัดทดสอบ เว็บไซต์นี้ใช้ทดสอบเครื่องมือตรวจเว็บไซต์</p>"
                f"<ul>{''.join(items)}</ul>")
        return html("เทศบาลตำบลทดสอบ", body)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 130  # a client that connects and sends nothing is not kept forever

            def log_message(self, *args: object) -> None:
                pass

            # -- plumbing ---------------------------------------------------------------------
            def head(self, code: int, headers: dict[str, str]) -> None:
                self.send_response(code)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()

            def send(self, code: int, body: bytes, ctype: str = "text/html; charset=utf-8",
                     headers: dict[str, str] | None = None) -> None:
                self.head(code, {"Content-Type": ctype, "Content-Length": str(len(body)), **(headers or {})})
                if self.command != "HEAD":
                    self.wfile.write(body)

            def redirect(self, location: str, code: int = 302) -> None:
                self.send(code, b"", headers={"Location": location})

            def stream(self, parts, headers: dict[str, str]) -> None:
                """Send headers then the parts, stopping when the client leaves, the server closes,
                or max_stream seconds have passed."""
                self.close_connection = True
                self.head(200, {"Connection": "close", **headers})
                if self.command == "HEAD":
                    return
                deadline = time.monotonic() + owner.max_stream
                try:
                    for data, pause in parts:
                        if owner.stopping.is_set() or time.monotonic() > deadline:
                            return
                        self.wfile.write(data)
                        if pause and owner.stopping.wait(pause):
                            return
                except OSError:  # the client went away: that is the point
                    return

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_POST(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                path = urllib.parse.unquote(url.path)
                query = urllib.parse.unquote_plus(url.query)
                local_ip = self.connection.getsockname()[0]
                owner.stats.hit(local_ip, path + ("?" + query if query else ""), self.headers.get("User-Agent", ""))
                try:
                    if local_ip != "127.0.0.1":
                        self.other_host(path)
                    else:
                        self.route(path, url.query)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

            def other_host(self, path: str) -> None:
                if path == "/robots.txt":
                    return self.send(404, html(NOT_FOUND_TH))
                body = '<p>เว็บไซต์อื่น</p><a href="/offsite-secret.html">ลับ</a>'
                self.send(200, html("เว็บไซต์อื่น", body))

            # -- the faults ---------------------------------------------------------------------
            def route(self, path: str, raw_query: str) -> None:
                agent = self.headers.get("User-Agent", "")
                params = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
                if path == "/":
                    return self.send(200, owner.home())
                if path == "/robots.txt":
                    return self.robots()
                if path == "/drip":
                    parts = [(b"<html><head><title>", 1.0)] + [(b"x", 1.0)] * int(owner.max_stream + 1)
                    return self.stream(parts, {"Content-Type": "text/html; charset=utf-8"})
                if path == "/never-ends":
                    chunk = "<p>ข่าวประชาสัมพันธ์</p>\n".encode()
                    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
                    n = int(owner.max_stream / 0.05) + 1
                    parts = [(f"{len(b'<html><body>'):x}\r\n<html><body>\r\n".encode(), 0.05)]
                    parts += [(frame, 0.05)] * n
                    return self.stream(parts, {"Content-Type": "text/html; charset=utf-8",
                                               "Transfer-Encoding": "chunked"})
                if path == "/reset":
                    return self.reset()
                if path == "/no-response":
                    self.close_connection = True
                    owner.stopping.wait(owner.max_stream)
                    return None
                if path in ("/gzip-bomb", "/deflate-bomb"):
                    gz = path == "/gzip-bomb"
                    body = gzip_bomb() if gz else deflate_bomb()
                    return self.send(200, body, headers={"Content-Encoding": "gzip" if gz else "deflate"})
                if path == "/big.html":
                    return self.big()
                if path == "/binary":
                    return self.send(200, binary_body(), "text/html")
                if path == "/wrong-charset":
                    body = html("ประกาศเทศบาลตำบลทดสอบ", "<p>ภาษาไทยเข้ารหัส UTF-8 แต่หัวข้อบอก latin-1</p>")
                    return self.send(200, body.replace(b'<meta charset="utf-8">', b""),
                                     "text/html; charset=iso-8859-1")
                if path == "/many-links.html":
                    return self.send(200, many_links())
                if path.startswith("/n/"):
                    return self.send(200, html(f"ข่าว {path[3:]}", "<p>รายละเอียดข่าว</p>"))
                if path == "/soft-404.html":
                    return self.send(200, html(NOT_FOUND_TH, "<p>ขออภัย ไม่พบหน้าที่คุณต้องการ กรุณากลับไปหน้าแรก</p>"))
                if path == "/bots-403":
                    if "OITCrawler" in agent:
                        return self.send(403, html("Forbidden", "<p>bots are not welcome</p>"))
                    return self.send(200, html("ยินดีต้อนรับ", "<p>สำหรับมนุษย์</p>"))
                if path == "/rate":
                    if owner.once("rate") == 0:
                        return self.send(429, html("ช้าลงหน่อย"), headers={"Retry-After": "1"})
                    return self.send(200, html("ข่าวประชาสัมพันธ์", "<p>ผ่านการจำกัดอัตราแล้ว</p>"))
                if path == "/burst":
                    if owner.once("burst") < 2:
                        return self.send(503, html("Service Unavailable"))
                    return self.send(200, html("กิจกรรม", "<p>เซิร์ฟเวอร์ว่างแล้ว</p>"))
                if path == "/loop-a":
                    return self.redirect("/loop-b")
                if path == "/loop-b":
                    return self.redirect("/loop-a")
                if path.startswith("/chain/"):
                    n = int(path[7:] or 0) if path[7:].isdigit() else 0
                    if n > 0:
                        return self.redirect(f"/chain/{n - 1}", 301 if n % 2 else 302)
                    return self.send(200, html("ปลายทางของการเปลี่ยนเส้นทาง", "<p>ถึงแล้ว</p>"))
                if path == "/to-other-host":
                    return self.redirect(owner.other_url + "offsite.html")
                if path == "/to-file":
                    return self.redirect("file:///etc/passwd")
                if path == "/to-private":
                    return self.redirect("http://10.0.0.1/")
                if path == "/calendar":
                    month = int(params.get("month", ["1"])[0] or 1)
                    return self.send(200, html(f"ปฏิทินกิจกรรม เดือน {month}",
                                               f'<a href="/calendar?month={month + 1}">เดือนถัดไป</a>'))
                if path == "/grow":
                    k = len([key for key in params if key.startswith("a")]) + 1
                    nxt = f"/grow?{raw_query}&a{k}={k}" if raw_query else "/grow?q=x"
                    return self.send(200, html(f"ค้นหา {k}", f'<a href="{nxt}">ค้นหาเพิ่มเติม</a>'))
                if path == "/sid":
                    sid = "".join(random.choices("0123456789abcdef", k=16))
                    return self.send(200, html("เข้าสู่ระบบสมาชิก", f'<a href="/sid?s={sid}">หน้าถัดไป</a>'))
                if path.startswith("/a/") and set(path.strip("/").split("/")) == {"a"}:
                    depth = path.count("a/")
                    return self.send(200, html(f"หมวด ชั้น {depth}", f'<a href="{path}a/">หมวดย่อย</a>'))
                if path == THAI_PAGE:
                    return self.send(200, html("ข่าวประกาศ", "<p>ประกาศเทศบาล เรื่อง การรับสมัครงาน</p>"))
                if path == THAI_QUERY_PAGE and params.get("id") == [THAI_QUERY_ID]:
                    return self.send(200, html("ประกาศผล", "<p>ประกาศผลการสอบคัดเลือก</p>"))
                return self.send(404, html(NOT_FOUND_TH, "<p>404</p>"))

            def robots(self) -> None:
                robots = owner.robots
                if robots is None:
                    return self.send(404, html(NOT_FOUND_TH))
                if robots == "huge":
                    return self.send(200, huge_robots(), "text/plain")
                if robots == "html":
                    body = html("ยินดีต้อนรับสู่เว็บไซต์", "<p>User-agent: *</p><p>Disallow: /</p>")
                    return self.send(200, body)
                return self.send(200, ROBOTS_PRESETS.get(robots, robots).encode(), "text/plain")

            def reset(self) -> None:
                self.head(200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": "100000"})
                if self.command == "HEAD":
                    return
                self.wfile.write(b"<html><body>" + b"x" * 988)
                self.close_connection = True
                time.sleep(0.05)  # let the client read the first bytes, then reset
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()  # RST, not FIN

            def big(self) -> None:
                block = ("<p>" + "ข้อมูลข่าวสารของเทศบาล " * 40 + "</p>\n").encode()
                block = block * (65_536 // len(block) + 1)
                count, rest = divmod(BIG_BYTES, len(block))
                parts = [(block, 0.0)] * count + [(block[:rest], 0.0)]
                self.stream(parts, {"Content-Type": "text/html; charset=utf-8",
                                    "Content-Length": str(BIG_BYTES)})

        return Handler

