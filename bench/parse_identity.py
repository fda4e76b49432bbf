"""Parser identity and speed: every Page field before and after a change to crawler/parse.py.

    python bench/parse_identity.py --save .baseline-parse.pkl   # with the code to compare against
    python bench/parse_identity.py --check .baseline-parse.pkl  # after the change

Pages: the recorded real municipal pages (bench.real_pages) and every *.html of the shared
evaluation sites and of tests/sites. `--check` shows the first differences and the parse CPU
ms per page (process time) for real and generated pages apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench  # noqa: E402
from crawler.decode import decode  # noqa: E402
from crawler.parse import parse  # noqa: E402

SITES = (ROOT.parent / "shared/eval/sites", ROOT / "tests/sites")
SHOWN = 5


def pages() -> dict[str, list[tuple[str, str, str]]]:
    """Decoded pages by kind: (key, url, text) for "real" and "generated"."""
    real = [(f"real:{i}:{uri}", uri, decode(body, ctype)[0]) for i, (uri, body, ctype) in enumerate(bench.real_pages())]
    generated = []
    for root in SITES:
        for f in sorted(root.rglob("*.html")):
            rel = f.relative_to(root).as_posix()
            generated.append((f"{root.name}:{rel}", f"http://127.0.0.1/{rel}", decode(f.read_bytes(), None)[0]))
    return {"real": real, "generated": generated}


def parse_all(kinds: dict[str, list[tuple[str, str, str]]]) -> tuple[dict[str, dict], dict[str, float]]:
    """Every page parsed as a dict, and the parse CPU ms per page of each kind."""
    out: dict[str, dict] = {}
    ms: dict[str, float] = {}
    for kind, items in kinds.items():
        t0 = time.process_time()
        parsed = [(key, parse(url, text)) for key, url, text in items]
        ms[kind] = (time.process_time() - t0) * 1000 / max(1, len(items))
        out.update((key, dataclasses.asdict(page)) for key, page in parsed)
    return out, ms


def diffs(before: dict, after: dict, path: str = "") -> list[str]:
    """Where two parsed values differ, as readable paths."""
    if type(before) is not type(after):
        return [f"{path}: {before!r} != {after!r}"]
    if isinstance(before, dict):
        out = [f"{path}.{k}: missing" for k in before.keys() ^ after.keys()]
        for k in before.keys() & after.keys():
            out += diffs(before[k], after[k], f"{path}.{k}")
        return out
    if isinstance(before, list):
        out = [f"{path}: {len(before)} items != {len(after)}"] if len(before) != len(after) else []
        for i, (b, a) in enumerate(zip(before, after, strict=False)):
            out += diffs(b, a, f"{path}[{i}]")
        return out
    return [] if before == after else [f"{path}: {before!r} != {after!r}"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    group = ap.add_mutually_exclusive_group(required=True)
    group.add_argument("--save", type=Path, help="parse every page and keep the result here")
    group.add_argument("--check", type=Path, help="parse every page and compare with a saved result")
    args = ap.parse_args()
    kinds = pages()
    parsed, ms = parse_all(kinds)
    for kind, items in kinds.items():
        print(f"{kind}: {len(items)} pages, {ms[kind]:.2f} ms CPU per page")
    if args.save:
        args.save.write_bytes(pickle.dumps(parsed))
        print(f"saved {len(parsed)} pages to {args.save}")
        return 0
    saved = pickle.loads(args.check.read_bytes())
    bad = 0
    for key in sorted(saved.keys() | parsed.keys()):
        found = diffs(saved.get(key), parsed.get(key))
        if found:
            bad += 1
            if bad <= SHOWN:
                print(f"DIFF {key}:\n  " + "\n  ".join(d[:300] for d in found[:SHOWN]))
    print(f"{bad} of {len(saved)} pages differ" if bad else f"identical: all {len(saved)} pages")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
