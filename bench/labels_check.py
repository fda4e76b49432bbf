"""Real labels through the matcher (not a test): which labels miss their item, which look-alikes pass as it.

    python bench/labels_check.py [--labels ../shared/reference/real-labels-dev.json] [--checklist FILE]
                                 [--tune A,B] [--show tune|all|none] [--folds-only]

Every `real_labels` text of every item of real-labels-dev.json is scored as `oit classify` scores it
(match.score_label on match.link_label; item numbers untrusted: not on an ITA list), with the menu or
parent context the entry gives, if any: the part before " > " of a "parent > child" text, or the
quoted parent of a note ("under 'การแจ้งเรื่องร้องเรียน'", "nested under '...'"). Printed:

    label  the right item is below REVIEW (0.5) or below FOUND (0.8), or another item is above it
    alike  a look-alike (`confusables`, NOT the item) reaches FOUND for the item it imitates

Folds: the labels are split into 3 folds A, B, C by a hash (md5) of their source's site: the GitHub
owner, the GitHub file id or the web host of the `source` string (bench/folds.py group_of), so that
one site's (or one CMS vendor's) labels never sit on both sides. Patterns are tuned on the --tune folds
(default A,B); the failures of the other folds are not printed with --show tune, only counted.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from folds import DEFAULT_LABELS, group_of, label_parts  # noqa: E402

from crawler.checklist import Checklist, load  # noqa: E402
from crawler.match import FOUND, REVIEW, is_decoy, link_label, score_label  # noqa: E402
from crawler.parse import Link  # noqa: E402
from crawler.thai import item_number  # noqa: E402

FOLDS = "ABC"
_UNDER = re.compile(r"\bunder\s+'([^']+)'")
_ITEM = re.compile(r"\bO(\d{1,2})\b")


def fold_of(source: str) -> str:
    g = group_of(source or "other")
    return FOLDS[int(hashlib.md5(g.encode("utf-8")).hexdigest(), 16) % len(FOLDS)]


def text_context(entry: dict) -> tuple[str, str, str]:
    """Label, context and URL of one entry."""
    text, url = label_parts(entry)
    context = ""
    if " > " in text:
        context, text = text.split(" > ", 1)
        context = re.sub(r"\((group|menu)\)", "", context).strip()
    m = _UNDER.search(entry.get("note", ""))
    if m:
        context = (context + " " + m.group(1)).strip()
    return text.strip(), context, url


def hits_of(checklist: Checklist, text: str, context: str, url: str) -> list:
    label = link_label(checklist, Link(url=url, text=text))
    return score_label(checklist, label, context, url, item_number(label), trusted=False)


def judge_label(checklist: Checklist, item: str, text: str, context: str, url: str) -> tuple[str, str]:
    """found | review | wrong (another item above it, >= REVIEW) | missed; and what scored."""
    hits = [h for h in hits_of(checklist, text, context, url) if not is_decoy(h)]
    top = hits[0] if hits else None
    mine = next((h for h in hits if h.item == item), None)
    if top is not None and top.item != item and top.score > (mine.score if mine else 0) + 1e-9 \
            and top.score >= REVIEW:
        return "wrong", f"{top.item} {top.score:.2f}"
    if mine is not None and mine.score >= FOUND:
        return "found", f"{mine.score:.2f}"
    if mine is not None and mine.score >= REVIEW:
        return "review", f"{mine.score:.2f}"
    return "missed", f"{top.item} {top.score:.2f}" if top else "no item"


def judge_alike(checklist: Checklist, looks_like: str, text: str, context: str, url: str) -> tuple[str, str]:
    hits = hits_of(checklist, text, context, url)
    mine = next((h for h in hits if h.item == looks_like and not is_decoy(h)), None)
    if mine is not None and mine.score >= FOUND:
        return "false_found", f"{mine.score:.2f} {'; '.join(t[:40] for t in mine.terms[:2])}"
    if mine is not None and mine.score >= REVIEW:
        return "false_review", f"{mine.score:.2f}"
    return "ok", ""


def rows_of(checklist: Checklist, data: dict) -> list[dict]:
    rows = []
    for item, v in data["items"].items():
        for e in v.get("real_labels", []):
            text, context, url = text_context(e)
            res, why = judge_label(checklist, item, text, context, url)
            rows.append({"kind": "label", "item": item, "fold": fold_of(e.get("source", "")), "text": text,
                         "context": context, "url": url, "result": res, "why": why})
        for e in v.get("confusables", []):
            m = _ITEM.search(e.get("looks_like", "")) or re.match(r"O(\d{1,2})", item)
            if not m:
                continue
            looks = f"O{m.group(1)}"
            if re.search(rf"\b{looks}\b", e.get("actually", "")):
                continue  # "actually: O26 ..." of an O26 entry is the item itself, no look-alike
            text, context, url = text_context(e)
            res, why = judge_alike(checklist, looks, text, context, url)
            rows.append({"kind": "alike", "item": looks, "fold": fold_of(e.get("source", "")), "text": text,
                         "context": context, "url": url, "result": res, "why": why})
    return rows


def figures(sel: list[dict]) -> dict:
    lab = [r for r in sel if r["kind"] == "label"]
    ali = [r for r in sel if r["kind"] == "alike"]
    c = defaultdict(int)
    for r in sel:
        c[r["result"]] += 1
    n = len(lab) or 1
    return {"labels": len(lab), "found": c["found"], "review": c["review"], "wrong": c["wrong"],
            "missed": c["missed"], "recall_review": round((c["found"] + c["review"]) / n, 3),
            "recall_found": round(c["found"] / n, 3), "alikes": len(ali), "false_found": c["false_found"],
            "false_review": c["false_review"]}


def table(rows: list[dict], tune: set[str]) -> str:
    head = ("fold", "use", "labels", "found", "review", "wrong", "missed", "recall>=review", "recall>=found",
            "alikes", "false_found", "false_review")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def line(name: str, use: str, sel: list[dict]) -> str:
        f = figures(sel)
        vals = (name, use, f["labels"], f["found"], f["review"], f["wrong"], f["missed"], f["recall_review"],
                f["recall_found"], f["alikes"], f["false_found"], f["false_review"])
        return "| " + " | ".join(str(v) for v in vals) + " |"

    for f in FOLDS:
        out.append(line(f, "tune" if f in tune else "held-out", [r for r in rows if r["fold"] == f]))
    out.append(line("all", "", rows))
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", default=str(DEFAULT_LABELS))
    ap.add_argument("--checklist", default=None)
    ap.add_argument("--tune", default="A,B", help="folds patterns are tuned on; the rest are held out")
    ap.add_argument("--show", choices=("tune", "all", "none"), default="tune")
    ap.add_argument("--json", help="write every row here")
    a = ap.parse_args()
    checklist = load(a.checklist) if a.checklist else load()
    data = json.loads(Path(a.labels).read_text(encoding="utf-8"))
    tune = {x.strip().upper() for x in a.tune.split(",") if x.strip()}
    rows = rows_of(checklist, data)
    if a.show != "none":
        for r in rows:
            if (a.show == "tune" and r["fold"] not in tune) or r["result"] in ("found", "ok", "false_review"):
                continue
            ctx = f" @{r['context'][:30]!r}" if r["context"] else ""
            print(f"  [{r['fold']}] {r['kind']:5s} {r['item']:4s} {r['result']:11s} {r['why'][:50]:24s} "
                  f"{r['text'][:70]!r}{ctx} {r['url'][:40]}")
    print(table(rows, tune))
    if a.json:
        Path(a.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
