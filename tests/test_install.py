"""A normal (non-editable) install into a fresh venv scans from any folder: the checklist travels with it."""

from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.skipif(os.name != "posix", reason="venv layout of POSIX (bin/)")


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with `pip install <repo>` (a built wheel, not a link to the source tree)."""
    env_dir = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    proc = subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return env_dir


def test_installed_package_is_not_the_source_tree(installed):
    out = subprocess.run([str(installed / "bin" / "python"), "-c",
                          "import crawler; print(crawler.__file__); print(crawler.DEFAULT_CHECKLIST)"],
                         capture_output=True, text=True, cwd=installed, timeout=60)
    module, checklist = out.stdout.split()
    assert str(installed) in module and str(installed) in checklist
    assert Path(checklist).is_file()


def test_installed_oit_scans_from_another_folder(installed, site_server, tmp_path):
    srv = site_server("menu_cms")
    elsewhere = tmp_path / "somewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    check = subprocess.run([str(installed / "bin" / "oit"), "check-checklist"], capture_output=True, text=True,
                           cwd=elsewhere, env=env, timeout=60)
    assert check.returncode == 0 and "43 items" in check.stdout
    proc = subprocess.run([str(installed / "bin" / "oit"), "scan", srv.url, "--year", "2565", "--db", "x.db",
                           "--json", "out.json", "--delay", "0.02", "-q"], capture_output=True, text=True,
                          cwd=elsewhere, env=env, timeout=300)
    assert proc.returncode in (0, 2), proc.stderr
    doc = json.loads((elsewhere / "out.json").read_text(encoding="utf-8"))
    assert len(doc["items"]) == 43 and doc["summary"].get("found", 0) > 10
    assert (elsewhere / "x.db").exists() and str(installed) in doc["checklist"]["file"]
