"""Loopback HTTP server for fixture sites, with the habits of real municipal servers.

- `/?page_id=N` is served from `_q/page_id=N.html` (WordPress-like sites);
- `/calendar/?month=N` is an endless calendar, each month linking to the next (a crawler trap);
- query strings are otherwise ignored for static files (`list.html?page=3` is `list.html`);
- a missing file is a Thai 404 page; `robots.txt` comes from the site folder when present;
- it counts requests and the most it ever had in flight at once (the politeness test).
"""

from __future__ import annotations

import hashlib
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SITES = Path(__file__).parent / "sites"
TYPES = {".html": "text/html", ".htm": "text/html", ".pdf": "application/pdf", ".txt": "text/plain",
         ".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".php": "text/html"}


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.paths: Counter[str] = Counter()
        self.agents: set[str] = set()
        self.not_modified = 0
        self.starts: list[float] = []  # time.monotonic() of each request's arrival

    def enter(self, path: str, agent: str) -> None:
        with self.lock:
            self.starts.append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.paths[path] += 1
            self.agents.add(agent)

    def leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


class SiteServer:
    """Serve one folder on 127.0.0.1 at an ephemeral port until `close()`."""

    def __init__(self, root: Path, latency: float = 0.0, charset: str | None = None,
                 routes: dict[str, tuple[int, dict[str, str], bytes]] | None = None,
                 script: dict[str, list[tuple[int, dict[str, str], bytes]]] | None = None, etags: bool = True):
        self.root, self.latency, self.charset, self.etags = Path(root), latency, charset, etags
        self.routes = routes or {}
        self.script = script or {}  # path -> answers given once each, in order, before the file
        self.stats = Stats()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def send(self, code: int, body: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.served()  # its last bytes leave now: the client may start its next request as they arrive
                if self.command != "HEAD":
                    self.wfile.write(body)

            def served(self) -> None:
                """This request no longer counts as in flight (once), before the bytes that let the client on."""
                if not getattr(self, "_left", False):
                    self._left = True
                    server.stats.leave()

            def do_HEAD(self) -> None:
                self.do_GET()

            def do_GET(self) -> None:
                server.stats.enter(self.path, self.headers.get("User-Agent", ""))
                self._left = False
                try:
                    if server.latency:
                        time.sleep(server.latency)
                    self.route()
                finally:
                    self.served()

            def route(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                path, query = urllib.parse.unquote(url.path), url.query
                with server.stats.lock:
                    scripted = server.script[path].pop(0) if server.script.get(path) else None
                answer = scripted or server.routes.get(path)
                if answer:
                    code, headers, body = answer
                    return self.send(code, body, headers.get("Content-Type", "text/html"), headers)
                if path.startswith("/calendar"):
                    month = int(urllib.parse.parse_qs(query).get("month", ["1"])[0])
                    body = (f'<html><head><meta charset="utf-8"><title>ปฏิทินกิจกรรม เดือน {month}</title></head>'
                            f'<body><a href="/calendar/?month={month + 1}">เดือนถัดไป</a> '
                            f'<a href="/calendar/?month={month - 1}">เดือนก่อน</a></body></html>').encode()
                    return self.send(200, body, "text/html; charset=utf-8")
                if path == "/" and query.startswith("page_id="):
                    f = server.root / "_q" / f"{query.split('&')[0]}.html"
                else:
                    f = server.root / path.lstrip("/")
                    if path.endswith("/") or f.is_dir():
                        f = f / "index.html"
                try:
                    f.resolve().relative_to(server.root.resolve())
                except ValueError:
                    return self.send(403, b"forbidden", "text/plain")
                if not f.is_file() or f.name == "expected.json":
                    body = ("<html><head><meta charset='utf-8'><title>ไม่พบหน้าที่ต้องการ</title></head>"
                            "<body><h1>404 ไม่พบหน้าที่ต้องการ</h1></body></html>").encode()
                    return self.send(404, body, "text/html; charset=utf-8")
                ctype = TYPES.get(f.suffix.lower(), "application/octet-stream")
                if ctype == "text/html" and server.charset:
                    ctype += f"; charset={server.charset}"
                data = f.read_bytes()
                if not server.etags:  # a server that never answers 304
                    return self.send(200, data, ctype)
                etag = f'"{hashlib.md5(data).hexdigest()}"'
                if self.headers.get("If-None-Match") == etag:
                    server.stats.not_modified += 1
                    return self.send(304, b"", ctype, {"ETag": etag})
                return self.send(200, data, ctype, {"ETag": etag})

        return Handler


def serve(name: str, **kwargs: object) -> SiteServer:
    return SiteServer(SITES / name, **kwargs)  # type: ignore[arg-type]
