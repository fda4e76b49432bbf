"""Start the web app with uvicorn: loopback by default; any other address needs the printed token."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import sys
from pathlib import Path

from ..config import Budget, Options, Settings
from ..models import OitError
from ..store import Store, StoreError
from .app import create_app
from .guard import LOOPBACK_NAMES


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class PortBusy(OitError):
    """The port is taken (most often by an `oit serve` already running)."""


def port_free(host: str, port: int) -> None:
    """PortBusy, in Thai, when something already listens on the port: said before any address is printed."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no obstacle
        try:
            probe.bind((host.strip("[]") or "0.0.0.0", port))
        except OSError:
            shown = "127.0.0.1" if is_loopback(host) else host
            raise PortBusy(f"พอร์ต {port} ถูกใช้อยู่: oit serve อาจเปิดอยู่แล้ว (ลองเปิด http://{shown}:{port}/ "
                           f"ในเบราว์เซอร์) หรือเลือกพอร์ตอื่นด้วย --port {port + 1}") from None


def serve(host: str = "127.0.0.1", port: int = 8700, db: str | Path = "data/oit.db", allow_private: bool = False,
          scans: int = 2, max_pages: int = 300, delay: float = 0.2, today: str | None = None) -> None:
    """Run `oit serve` until Ctrl-C; prints the address to open (with the token beyond loopback)."""
    import uvicorn

    try:  # an unusable database is one line of error now, not a traceback from the server's start
        Store(db)
    except StoreError:
        if not Path(db).is_file():
            raise
        Store(db, readonly=True)  # one this user may only read: results and history are shown, scans refused
        print("oit serve: ฐานข้อมูลนี้เปิดได้อย่างเดียว ดูผลและประวัติได้ แต่เริ่มตรวจใหม่ไม่ได้", flush=True)
    local = is_loopback(host)
    token = None if local else secrets.token_urlsafe(24)
    options = Options(budget=Budget(max_pages=max(1, max_pages)), settings=Settings(delay=max(0.0, delay)),
                      today=today)  # None: each scan's own date (env OIT_TODAY, else today)
    own = host.strip().strip("[]").lower()  # `--host 127.0.0.2`: the address it prints is one it answers to
    allowed = (*LOOPBACK_NAMES, *([own] if own not in LOOPBACK_NAMES else [])) if local else None
    app = create_app(db, allow_private, token, allowed_hosts=allowed, options=options, scans=scans)
    shown = host
    if host in ("0.0.0.0", "::", ""):  # every address of this computer: name one people can open
        shown = socket.gethostname()
    shown = f"[{shown}]" if ":" in shown else shown
    address = f"http://{shown}:{port}/" + (f"?token={token}" if token else "")
    port_free(host, port)
    print(f"oit serve: เปิด {address} ในเบราว์เซอร์", flush=True)
    if token:
        print("oit serve: เปิดให้เครื่องอื่นเข้าได้ ที่อยู่ด้านบนมีรหัสเข้าใช้ ส่งให้เฉพาะผู้ที่ควรใช้เท่านั้น", flush=True)
    print(f"oit serve: ฐานข้อมูล {Path(db).resolve()} กด Ctrl-C เพื่อหยุด (ชุดงานที่ค้างจะตรวจต่อเมื่อเริ่มใหม่)",
          flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3,
                            proxy_headers=False, server_header=False)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        print("oit serve: หยุดแล้ว", file=sys.stderr)
