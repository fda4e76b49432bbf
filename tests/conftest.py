"""Shared fixtures: loopback site servers, the real CLI, temporary databases."""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from sitesrv import SITES, SiteServer, serve  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--delay", "0.02"]


@pytest.fixture
def site_server() -> Iterator:
    """Factory: `site_server("menu_cms")` serves tests/sites/menu_cms on 127.0.0.1."""
    servers: list[SiteServer] = []

    def start(name: str, **kwargs: object) -> SiteServer:
        srv = serve(name, **kwargs)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.close()


@pytest.fixture
def tmp_root(tmp_path: Path) -> Iterator[Path]:
    """A site folder of the test's own, served by `SiteServer(tmp_root)`."""
    yield tmp_path / "site"


# commands whose list and fiscal year default to the scan date's: a test names the year or fixes the date
_DATED = {"scan", "batch", "nightly", "dispatch", "explain", "classify"}
OLD_DEFAULT = ("--year", "2565")  # what the tests written before today's default was introduced assume


def run_oit(*args: str, timeout: float = 180, env: dict | None = None) -> subprocess.CompletedProcess:
    """The real command line, as a user runs it. A scan (batch, explain ...) that names neither --year,
    --checklist nor --today (nor OIT_TODAY in `env`) is given --year 2565, so no test depends on today's date."""
    outer = {k: v for k, v in os.environ.items() if k != "OIT_TODAY"}  # only a test's own date counts
    env = {**outer, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200", **(env or {})}
    return subprocess.run([sys.executable, "-m", "crawler", *dated(list(args), env)],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env)


def dated(args: list[str], env: dict | None = None) -> list[str]:
    """`args` of an `oit` command, with --year 2565 when it would otherwise judge by today's date."""
    free = bool(args) and args[0] in _DATED and not {"--year", "--checklist", "--today"} & set(args)
    return [*args, *OLD_DEFAULT] if free and "OIT_TODAY" not in (env or {}) else list(args)


def scan(url: str, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    db, out = tmp_path / "oit.db", tmp_path / "out.json"
    proc = run_oit("scan", url, "--db", str(db), "--json", str(out), *FAST, *extra)
    doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return proc, doc


def expected(name: str) -> dict:
    return json.loads((SITES / name / "expected.json").read_text(encoding="utf-8"))


# -- no connection leaves 127.0.0.0/8 (in-process tests) ------------------------------------------------------

@dataclass
class Egress:
    connects: list = field(default_factory=list)  # every address a socket tried to connect to
    blocked: list = field(default_factory=list)  # those outside 127.0.0.0/8 (refused here)
    routes: dict = field(default_factory=dict)  # (fake public ip, port) -> loopback address
    names: dict = field(default_factory=dict)  # host name -> fake ip (or a function giving it), for getaddrinfo


@pytest.fixture
def no_egress(monkeypatch):
    """In this process, a socket may connect only to 127.0.0.0/8 (or through `routes` to it)."""
    egress = Egress()
    real_connect, real_connect_ex, real_gai = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def target(address):
        if not isinstance(address, tuple):
            return address
        egress.connects.append(address)
        if address[:2] in egress.routes:
            return egress.routes[address[:2]]
        try:
            loopback = ipaddress.ip_address(address[0]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            egress.blocked.append(address)
            raise ConnectionRefusedError(f"test: no connection outside 127.0.0.0/8 ({address[0]})")
        return address

    def getaddrinfo(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name in egress.names:
            ip = egress.names[name]
            return real_gai(ip() if callable(ip) else ip, *args, **kwargs)
        if isinstance(name, str) and name.endswith(".test"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real_gai(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", lambda self, a: real_connect(self, target(a)))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, a: real_connect_ex(self, target(a)))
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return egress
