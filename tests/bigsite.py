"""A large generated site on 127.0.0.1: every page a Thai news page with a 60-link menu and 4 new pages."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WORDS = ["ประกาศ", "ข่าว", "กิจกรรม", "เทศบาล", "ตำบล", "ประชาชน", "โครงการ", "ก่อสร้าง", "ถนน", "ประจำปี",
         "งบประมาณ", "รายงาน", "ผล", "การ", "ดำเนินงาน"]


def name(i: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa: paths without digits, so no endless-series cap applies."""
    s, i = "", i + 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(97 + r) + s
    return s


def number(s: str) -> int:
    n = 0
    for c in s:
        n = n * 26 + ord(c) - 96
    return n - 1


def page(i: int, menu_links: int = 60, words: int = 1500) -> bytes:
    menu = "".join(f'<li><a href="/menu/{name(k)}.html">เมนู {WORDS[k % len(WORDS)]} {name(k)}</a></li>'
                   for k in range(menu_links))
    rows = "".join(f'<tr><td><a href="/p/{name(i * 4 + j)}.html">{WORDS[(i + j) % len(WORDS)]} เรื่อง '
                   f'{name(i * 4 + j)}</a></td><td>{" ".join(WORDS)}</td></tr>' for j in range(1, 5))
    text = " ".join(WORDS[(i * 7 + k) % len(WORDS)] for k in range(words))
    return (f"<html><head><meta charset='utf-8'><title>หน้า {name(i)} ข่าวสาร</title></head><body><nav><ul>"
            f"{menu}</ul></nav><h1>เรื่อง {name(i)}</h1><p>{text}</p><table>{rows}</table></body></html>").encode()


class BigSite:
    def __init__(self, menu_links: int = 60, words: int = 1500) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/robots.txt":
                    body, ctype = b"", "text/plain"
                else:
                    i = number(path[3:].split(".")[0]) if path.startswith("/p/") else 0
                    body, ctype = page(i, menu_links, words), "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
