"""The oit-result/1 document of a stored run (its renderings live in crawler.outputs)."""

from __future__ import annotations

import json
from collections import Counter

from .store import Store

SCHEMA = "oit-result/1"


def result(store: Store, run_id: int) -> dict:
    """The oit-result/1 document of a stored run, evidence best first."""
    run = store.run(run_id)
    if run is None:
        raise KeyError(f"no run {run_id} in {store.path}")
    evidence: dict[str, list[dict]] = {}
    for e in store.evidence(run_id):
        evidence.setdefault(e["item"], []).append({
            "url": e["url"], "found_on": e["found_on"], "text": e["snippet"],
            "click_path": json.loads(e["click_path"] or "[]"), "score": e["score"],
            "matched_terms": json.loads(e["matched_terms"] or "[]"), "check": e["check_note"],
        })
    items = [{"id": r["item"], "title": r["title"], "status": r["status"], "reason": r["reason"],
              "score": r["score"],
              "period": {"expected": r["period_expected"], "found": r["period_found"], "where": r["period_where"],
                         "year": r["found_year"]},
              "missing_elements": json.loads(r["missing_elements"] or "[]"),
              "evidence": evidence.get(r["item"], [])} for r in store.results(run_id)]
    settings = json.loads(run["settings"] or "{}")
    return {
        "schema": SCHEMA, "run_id": run["id"], "site": {"url": run["start_url"], "host": run["site"]},
        "checklist": {"name": run["checklist"], "year": run["year"], "version": run["checklist_version"],
                      "file": settings.get("checklist_file")},
        "started_at": run["started_at"], "finished_at": run["finished_at"],
        "pages_fetched": run["pages_fetched"], "requests": run["requests"], "stop_reason": run["stop_reason"],
        "findings": json.loads(run["findings"] or "[]"), "settings": settings,
        "summary": dict(Counter(i["status"] for i in items)), "items": items,
    }
