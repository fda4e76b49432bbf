"""Matcher speed and identity: score every link and page of real and generated pages, per checklist year.

    python bench/match_identity.py --save FILE     # record every output (before a change)
    python bench/match_identity.py --check FILE    # compare with a recording, print the first differences

Pages are decoded and parsed first (not timed); then, per checklist, the matcher's caches are emptied and
the calls the crawler makes per page are timed in process time: is_list_page, link_label, score_link,
priority and index_year for every link, score_page. Prints ms per page, real and generated apart.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench  # noqa: E402
from crawler import match  # noqa: E402
from crawler.checklist import Checklist, for_year, load  # noqa: E402
from crawler.decode import decode  # noqa: E402
from crawler.parse import Page, parse  # noqa: E402

SITES = ROOT.parent / "shared/eval/sites"
YEARS = (2565, 2566, 2564)
MAX_SHOWN = 10


def pages() -> dict[str, list[Page]]:
    """The real recorded pages and the generated evaluation pages, parsed."""
    real = [parse(url, decode(body, ctype)[0]) for url, body, ctype in bench.real_pages()]
    files = sorted(SITES.rglob("*.html"))
    generated = [parse(f"http://127.0.0.1/{f.relative_to(SITES).as_posix()}", decode(f.read_bytes(), None)[0])
                 for f in files]
    return {"real": real, "generated": generated}


def clear() -> None:
    """Empty the matcher's caches: every run starts as a fresh process would."""
    if hasattr(match, "clear_caches"):
        match.clear_caches()
    else:
        match._SCORED.clear()


def outputs(checklist: Checklist, page: Page) -> list[str]:
    """Everything the matcher says about a page, as text."""
    listed = match.is_list_page(checklist, page)
    out = [f"list {listed}"]
    for link in page.links:
        hits = match.score_link(checklist, link, page.title, listed)
        out.append(repr((match.link_label(checklist, link), hits, match.priority(checklist, link, hits),
                         match.index_year(checklist, [link.card, *link.menu], checklist.year))))
    out.append(repr(match.score_page(checklist, page, "")))
    return out


def run(checklist: Checklist, group: list[Page]) -> tuple[float, list[list[str]]]:
    """(ms per page, outputs per page)."""
    clear()
    t0 = time.process_time()
    result = [outputs(checklist, p) for p in group]
    return (time.process_time() - t0) * 1000 / max(1, len(group)), result


def differences(old: list[list[str]], new: list[list[str]], group: list[Page]) -> list[str]:
    """The first lines that differ, with the page they are on."""
    shown = []
    for page, a, b in zip(group, old, new, strict=False):
        if a == b:
            continue
        for i in range(max(len(a), len(b))):
            x, y = (a[i] if i < len(a) else None), (b[i] if i < len(b) else None)
            if x != y:
                shown.append(f"  {page.url} [{i}]\n    was {x}\n    now {y}")
                if len(shown) >= MAX_SHOWN:
                    return shown
    if len(old) != len(new):
        shown.append(f"  {len(old)} pages recorded, {len(new)} now")
    return shown


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--save", type=Path)
    mode.add_argument("--check", type=Path)
    args = ap.parse_args()
    groups = pages()
    print(f"{len(groups['real'])} real pages, {len(groups['generated'])} generated pages")
    recorded = pickle.loads(args.check.read_bytes()) if args.check else {}
    saved, same = {}, True
    for year in YEARS:
        checklist = load(for_year(year))
        for name, group in groups.items():
            ms, result = run(checklist, group)
            saved[(year, name)] = result
            verdict = ""
            if args.check:
                diff = differences(recorded[(year, name)], result, group)
                same = same and not diff
                verdict = "identical" if not diff else "DIFFERENT\n" + "\n".join(diff)
            print(f"{year} {name:9} {ms:7.2f} ms/page  {verdict}")
    if args.save:
        args.save.write_bytes(pickle.dumps(saved))
    sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
