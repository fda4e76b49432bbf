"""Compare two folders of oit-result/1 JSON files (the same sites scanned by two versions), item by item.

    python bench/same_results.py BEFORE_DIR AFTER_DIR [--notes]

Files are paired by name (e.g. the port a site was served on). Compared per item: status, score, reason,
period, missing elements, and each evidence's URL, score and matched terms (with --notes, its check note
too); run ids, times, findings and settings are not results. Exit 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ITEM_FIELDS = ("status", "score", "reason", "period", "missing_elements")
EVIDENCE_FIELDS = ("url", "found_on", "score", "matched_terms", "click_path")


def item_view(item: dict, notes: bool) -> dict:
    """What of an item is its result."""
    fields = EVIDENCE_FIELDS + (("check",) if notes else ())
    view = {k: item.get(k) for k in ITEM_FIELDS}
    if not notes:  # the reason ends with the first evidence's check note
        view["reason"] = (item.get("reason") or "").rsplit("; ", 1)[0]
    view["evidence"] = [{k: e.get(k) for k in fields} for e in item.get("evidence", [])]
    return view


def differences(before: dict, after: dict, notes: bool) -> list[str]:
    out = []
    a_items = {i["id"]: i for i in before.get("items", [])}
    b_items = {i["id"]: i for i in after.get("items", [])}
    for item_id in sorted(set(a_items) | set(b_items), key=lambda x: int(x[1:]) if x[1:].isdigit() else 999):
        a = item_view(a_items.get(item_id, {}), notes)
        b = item_view(b_items.get(item_id, {}), notes)
        for key in a:
            if a[key] != b[key]:
                out.append(f"{item_id} {key}: {json.dumps(a[key], ensure_ascii=False)[:300]} -> "
                           f"{json.dumps(b[key], ensure_ascii=False)[:300]}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--notes", action="store_true", help="compare the evidence check notes too")
    a = ap.parse_args()
    files = sorted(p.name for p in Path(a.before).glob("*.json"))
    changed = 0
    for name in files:
        other = Path(a.after) / name
        if not other.exists():
            print(f"{name}: missing in {a.after}")
            changed += 1
            continue
        diffs = differences(json.loads((Path(a.before) / name).read_text(encoding="utf-8")),
                            json.loads(other.read_text(encoding="utf-8")), a.notes)
        changed += bool(diffs)
        for d in diffs:
            print(f"{name}: {d}")
    print(f"{len(files) - changed}/{len(files)} result files identical")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
