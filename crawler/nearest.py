"""Why an item was not found: the links of a run that came nearest to it, with the crawler's own scores.

Pure: a checklist and a run's links (as `Store.links` gives them) in, the best few candidates of an item out.
"""

from __future__ import annotations

from .checklist import Checklist
from .match import decision, score_link
from .parse import Link

NEAREST_TH = {"found": "ถึงเกณฑ์ พบ", "review": "ถึงเกณฑ์ ควรตรวจ", "weak": "คะแนนต่ำเกินไป",
              "decoy": "ตัดออก: เป็นเรื่องอื่นที่ชื่อคล้ายกัน"}


def nearest(checklist: Checklist, links: list[dict], item: str, limit: int = 5) -> list[dict]:
    """The links that named `item` at all, best first: url, text, found_on, score, terms, decision (weak,
    review, found, decoy)."""
    return nearest_all(checklist, links, {item}, limit).get(item, [])


def nearest_all(checklist: Checklist, links: list[dict], items: set[str], limit: int = 5) -> dict[str, list[dict]]:
    """`nearest` for several items in one pass over the links; each distinct (url, text, context) scored once."""
    seen: set[tuple] = set()
    best: dict[str, dict[str, dict]] = {i: {} for i in items}
    for row in links:
        key = (row.get("to_url"), row.get("text"), row.get("context"))
        if key in seen or not row.get("text"):
            continue
        seen.add(key)
        link = Link(url=str(row.get("to_url") or ""), text=str(row.get("text") or ""))
        for hit in score_link(checklist, link, str(row.get("context") or ""), False):
            if hit.item not in best:
                continue
            mine = best[hit.item]
            if link.url not in mine or mine[link.url]["score"] < hit.score:
                mine[link.url] = {"url": link.url, "text": link.text, "found_on": row.get("from_url") or "",
                                  "score": round(hit.score, 2), "terms": list(hit.terms), "decision": decision(hit)}
    return {i: sorted(m.values(), key=lambda c: -c["score"])[:limit] for i, m in best.items()}
