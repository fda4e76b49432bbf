"""Fold evaluation of the matcher on real labels (not a test): does a real site's label name its item?

    python bench/folds.py [--labels ../shared/reference/real-labels-dev.json] [--folds 4]
                          [--tune 0,1] [--show tune|all|none] [--json out.json] [--as anchor|card]

The labels of real-labels-dev.json are grouped by their `source` (a GitHub owner, a file id, a web
site) so that one site's labels land in one fold, and the groups are spread over the folds by size
(deterministic). Every label goes through the same code path as `oit classify` (match.score_label on
link_label, item numbers untrusted: not on an ITA list) and is counted as

    found   the top item is the label's item and scores >= FOUND
    review  the top item is the label's item and scores >= REVIEW (an admin sees it)
    missed  no item reaches REVIEW for it, or its item is below another item
    wrong   another item is on top with >= REVIEW (wrong_found: >= FOUND)

and every look-alike (`confusables`) as false_found when the item it looks like scores >= FOUND
(not turned down by a decoy), false_review when >= REVIEW. Phrases are tuned on the --tune folds;
the others are held out: only the tune folds' failures are printed (--show tune).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.checklist import Checklist, load  # noqa: E402
from crawler.match import FOUND, REVIEW, is_decoy, link_label, score_label, score_link  # noqa: E402
from crawler.parse import Link, parse  # noqa: E402
from crawler.thai import item_number  # noqa: E402

DEFAULT_LABELS = ROOT.parent / "shared" / "reference" / "real-labels-dev.json"
if not DEFAULT_LABELS.exists():
    DEFAULT_LABELS = Path("/work/shared/reference/real-labels-dev.json")
BASE = "http://www.example.go.th/"
_ITEM = re.compile(r"\bO(\d{1,2})\b")


def group_of(source: str) -> str:
    """The site or code base a label comes from: GitHub owner, GitHub file id, or web host."""
    s = source.strip()
    if s.startswith("github-file-id:"):
        return "gid:" + re.split(r"[\s(]", s[len("github-file-id:"):], maxsplit=1)[0]
    if s.startswith("github:"):
        owner = s[len("github:"):].split("/", 1)[0]
        return "gh:" + owner.lower().replace("panupongassystem", "assystemth")  # one vendor, one template
    if s.startswith(("http://", "https://")):
        host = (urlsplit(s).hostname or s).lower()
        return "web:" + host.removeprefix("www.")
    return "other:" + s.split()[0]


def assign_folds(groups: dict[str, int], k: int) -> dict[str, int]:
    """Largest groups first, each to the fold with the fewest labels so far (ties: lowest fold)."""
    load_ = [0] * k
    out = {}
    for g, n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])):
        f = min(range(k), key=lambda i: (load_[i], i))
        out[g] = f
        load_[f] += n
    return out


def label_parts(entry: dict) -> tuple[str, str]:
    """Label text and URL of one harvested label ("text -> /url/" and `href` both give the URL)."""
    text = entry["text"]
    url = ""
    if " -> " in text:
        text, url = text.split(" -> ", 1)
    href = entry.get("href") or ""
    if not url and href and not href.startswith(("{", "#", "javascript")):
        url = href
    url = urljoin(BASE, url.strip()) if url else ""
    return text.strip(), url


MODE = "anchor"
CARD = ('<div class="row"><div class="card"><h4>{text}</h4><p>เผยแพร่ 15 มกราคม 2565</p>'
        '<p class="more"><a href="{url}">อ่านต่อ</a></p></div></div>')


def classify(checklist: Checklist, text: str, url: str) -> list:
    """What `oit classify TEXT --url URL` prints: hits best first (numbers untrusted).

    With --as card the label is the heading of a card whose only link says "อ่านต่อ" (parsed and
    scored as the crawler does: parse.parse, match.score_link).
    """
    if MODE == "card":
        page = parse(BASE, CARD.format(text=html.escape(text), url=html.escape(url or BASE + "doc/1.pdf")))
        return score_link(checklist, page.links[0], "", False)
    label = link_label(checklist, Link(url=url, text=text))
    return score_label(checklist, label, "", url, item_number(label), trusted=False)


def judge_label(checklist: Checklist, item: str, text: str, url: str) -> tuple[str, str]:
    hits = [h for h in classify(checklist, text, url) if not is_decoy(h)]
    top = hits[0] if hits else None
    mine = next((h for h in hits if h.item == item), None)
    if top is not None and top.item != item and top.score > (mine.score if mine else 0) + 1e-9:
        if top.score >= FOUND:
            return "wrong_found", f"{top.item} {top.score:.2f}"
        if top.score >= REVIEW:
            return "wrong", f"{top.item} {top.score:.2f}"
    if mine is not None and mine.score >= FOUND:
        return "found", f"{mine.score:.2f}"
    if mine is not None and mine.score >= REVIEW:
        return "review", f"{mine.score:.2f}"
    best = f"{top.item} {top.score:.2f}" if top else "no item"
    return "missed", best


def judge_confusable(checklist: Checklist, looks_like: str, text: str, url: str) -> tuple[str, str]:
    hits = classify(checklist, text, url)
    mine = next((h for h in hits if h.item == looks_like and not is_decoy(h)), None)
    if mine is not None and mine.score >= FOUND:
        return "false_found", f"{mine.score:.2f} {'; '.join(mine.terms[:2])}"
    if mine is not None and mine.score >= REVIEW:
        return "false_review", f"{mine.score:.2f}"
    return "ok", ""


def evaluate(checklist: Checklist, data: dict, k: int) -> tuple[list[dict], dict[str, int]]:
    rows = []
    sizes: dict[str, int] = defaultdict(int)
    for item, v in data["items"].items():
        for e in v.get("real_labels", []):
            rows.append({"kind": "label", "item": item, "entry": e, "group": group_of(e["source"])})
        for e in v.get("confusables", []):
            m = _ITEM.search(e.get("looks_like", "")) or re.match(r"O(\d{1,2})", item)
            same = bool(m and re.search(rf"\bO{m.group(1)}\b", e.get("actually", "")))
            rows.append({"kind": "same" if same else "confusable", "item": f"O{m.group(1)}" if m else item,
                         "entry": e, "group": group_of(e.get("source", "other"))})
            # ("actually: O26 evidence, but looks like O28" is no look-alike of O26: counted nowhere)
    for r in rows:
        sizes[r["group"]] += 1
    folds = assign_folds(dict(sizes), k)
    for r in rows:
        r["fold"] = folds[r["group"]]
        text, url = label_parts(r["entry"])
        r["text"], r["url"] = text, url
        if r["kind"] == "label":
            r["result"], r["why"] = judge_label(checklist, r["item"], text, url)
        elif r["kind"] == "same":
            r["result"], r["why"] = "ok", "not a look-alike"
        else:
            r["result"], r["why"] = judge_confusable(checklist, r["item"], text, url)
    return rows, folds


def table(rows: list[dict], k: int, tune: set[int]) -> str:
    head = ("fold", "use", "groups", "labels", "found", "review", "missed", "wrong", "wrong_found",
            "recall", "confus.", "false_found", "false_review")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def line(name: str, use: str, sel: list[dict]) -> str:
        lab = [r for r in sel if r["kind"] == "label"]
        con = [r for r in sel if r["kind"] == "confusable"]
        c = defaultdict(int)
        for r in sel:
            c[r["result"]] += 1
        rec = (c["found"] + c["review"]) / len(lab) if lab else 0.0
        vals = (name, use, len({r["group"] for r in sel}), len(lab), c["found"], c["review"], c["missed"],
                c["wrong"] + c["wrong_found"], c["wrong_found"], f"{rec:.3f}", len(con), c["false_found"],
                c["false_review"])
        return "| " + " | ".join(str(v) for v in vals) + " |"

    for f in range(k):
        lines.append(line(str(f), "tune" if f in tune else "held-out", [r for r in rows if r["fold"] == f]))
    lines.append(line("tune", "", [r for r in rows if r["fold"] in tune]))
    lines.append(line("held-out", "", [r for r in rows if r["fold"] not in tune]))
    lines.append(line("all", "", rows))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", default=str(DEFAULT_LABELS))
    ap.add_argument("--checklist", default=None)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--tune", default="0,1", help="folds used for tuning; the others are held out")
    ap.add_argument("--show", choices=("tune", "all", "none"), default="tune")
    ap.add_argument("--json", help="write every label's result here")
    ap.add_argument("--as", dest="mode", choices=("anchor", "card"), default="anchor",
                    help="the label as a link's own words, or as a card heading over 'อ่านต่อ'")
    a = ap.parse_args()
    global MODE
    MODE = a.mode
    checklist = load(a.checklist) if a.checklist else load()
    data = json.loads(Path(a.labels).read_text(encoding="utf-8"))
    tune = {int(x) for x in a.tune.split(",") if x.strip()}
    rows, _ = evaluate(checklist, data, a.folds)
    if a.show != "none":
        for r in rows:
            if a.show == "tune" and r["fold"] not in tune:
                continue
            if r["result"] in ("found", "ok"):
                continue
            print(f"  [{r['fold']}] {r['kind'][:4]} {r['item']:4s} {r['result']:12s} {r['why']:14s} "
                  f"{r['text'][:70]!r} {r['url'][:50]}")
    print(table(rows, a.folds, tune))
    if a.json:
        Path(a.json).write_text(json.dumps([{k: v for k, v in r.items() if k != "entry"} for r in rows],
                                           ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
