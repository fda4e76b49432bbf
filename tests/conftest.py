"""Shared fixtures: loopback site servers, the real CLI, temporary databases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
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


def run_oit(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    """The real command line, as a user runs it."""
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "crawler", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


def scan(url: str, tmp_path: Path, *extra: str) -> tuple[subprocess.CompletedProcess, dict]:
    db, out = tmp_path / "oit.db", tmp_path / "out.json"
    proc = run_oit("scan", url, "--db", str(db), "--json", str(out), *FAST, *extra)
    doc = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    return proc, doc


def expected(name: str) -> dict:
    return json.loads((SITES / name / "expected.json").read_text(encoding="utf-8"))
