"""Security holes closed: each case runs the real code path (CLI subprocess, real SQLite, loopback HTTP)."""

from __future__ import annotations

import time

import pytest

from conftest import ROOT, run_oit
from crawler.checklist import ChecklistError, load

MAX_DEPTH = 32  # crawler.checklist.MAX_DEPTH

# -- checklist files: aliases, anchors, nesting, size ---------------------------------------------------

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))


@pytest.mark.parametrize("name, text, line, words", [
    ("laughs", LAUGHS, 1, "anchor &a is not allowed"),
    ("self", "name: x\nitems: &loop\n  - *loop\n", 2, "anchor &loop is not allowed"),
    ("alias", "name: x\nitems:\n  - *nothing\n", 3, "alias *nothing is not allowed"),
    ("deep", "items: " + "[" * 5000 + "]" * 5000 + "\n", 1, f"nested more than {MAX_DEPTH} levels deep"),
    ("deep-block", "items:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), MAX_DEPTH + 1, "nested more"),
])
def test_hostile_checklist_is_refused_in_seconds(tmp_path, name, text, line, words):
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    t = time.monotonic()
    with pytest.raises(ChecklistError) as e:
        load(path)
    assert time.monotonic() - t < 5
    assert str(e.value).startswith(f"{path}:{line}: ") and words in str(e.value), str(e.value)
    proc = run_oit("check-checklist", str(path), timeout=30)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [f"oit: error: {e.value}"]


def test_huge_checklist_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"# " + b"x" * 50_000_000 + b"\n")
    t = time.monotonic()
    with pytest.raises(ChecklistError, match=rf"^{path}:1: file: larger than 2 MB"):
        load(path)
    assert time.monotonic() - t < 2


def test_shipped_checklist_uses_no_aliases():
    assert len(load(ROOT / "checklists" / "oit-2565.yaml").items) == 43
