"""Start the web app with uvicorn: loopback by default; any other address needs the printed token."""

from __future__ import annotations

import ipaddress
import secrets
import socket
import sys
from pathlib import Path

from ..config import Budget, Options, Settings
from ..store import Store
from .app import create_app
from .guard import LOOPBACK_NAMES


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(host: str = "127.0.0.1", port: int = 8700, db: str | Path = "data/oit.db", allow_private: bool = False,
          scans: int = 2, max_pages: int = 300, delay: float = 0.2, today: str | None = None) -> None:
    """Run `oit serve` until Ctrl-C; prints the address to open (with the token beyond loopback)."""
    import uvicorn

    Store(db)  # an unusable database is one line of error now, not a traceback from the server's start
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
    print(f"oit serve: open {address}", flush=True)
    if token:
        print("oit serve: listening beyond this computer: the address above carries the access token; "
              "share it only with the people who should use this server", flush=True)
    print(f"oit serve: database {Path(db).resolve()}; Ctrl-C stops (batches resume at the next start)", flush=True)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3,
                            proxy_headers=False, server_header=False)
    try:
        uvicorn.Server(config).run()
    except KeyboardInterrupt:
        print("oit serve: stopped", file=sys.stderr)
