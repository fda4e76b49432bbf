"""What changed between two runs of a site, or two batches: what got worse comes first."""

from __future__ import annotations

from .models import STATUS_RANK, STATUS_TH
from .outputs import plain
from .store import Store

WORSE = ("newly_missing", "now_broken", "now_stale", "worse", "newly_unreachable", "unreachable_first")
KIND_TH = {"newly_missing": "หายไป", "newly_found": "พบใหม่", "now_stale": "ไม่เป็นปัจจุบันแล้ว",
           "now_broken": "ลิงก์เสียแล้ว", "worse": "แย่ลง", "better": "ดีขึ้น", "evidence_changed": "ลิงก์หลักฐานเปลี่ยน",
           "newly_unreachable": "เข้าเว็บไม่ได้", "reachable_again": "เข้าเว็บได้อีกครั้ง",
           "unreachable_first": "เข้าเว็บไม่ได้ตั้งแต่คืนแรกที่ตรวจ"}


def _top(item: dict) -> str | None:
    return item["evidence"][0]["url"] if item["evidence"] else None


def diff_docs(old: dict, new: dict) -> list[dict]:
    """Item changes between two result documents of one site."""
    before = {i["id"]: i for i in old["items"]}
    changes = []
    for item in new["items"]:
        prev = before.get(item["id"])
        if prev is None:
            continue
        a, b = prev["status"], item["status"]
        kind = None
        if a != b:
            if b == "missing":
                kind = "newly_missing"
            elif a == "missing":
                kind = "newly_found"
            elif b == "stale":
                kind = "now_stale"
            elif b == "broken":
                kind = "now_broken"
            else:
                kind = "worse" if STATUS_RANK[b] < STATUS_RANK[a] else "better"
        elif _top(prev) != _top(item) and b != "missing":
            kind = "evidence_changed"
        if kind:
            changes.append({"item": item["id"], "title": item["title"], "kind": kind, "before": a, "after": b,
                            "old_url": _top(prev), "new_url": _top(item), "reason": item["reason"]})
    return changes


def diff_runs(store: Store, old_run: int, new_run: int) -> dict:
    old, new = store.result(old_run), store.result(new_run)
    changes = diff_docs(old, new)
    return {"site": new["site"]["url"], "old_run": old_run, "new_run": new_run, "changes": changes,
            "worse": any(c["kind"] in WORSE for c in changes)}


def diff_batches(store: Store, old_batch: int | None, new_batch: int) -> dict:
    """Per site of the new batch: unreachable now, or item changes against its run in the old batch.

    A site with no run before (the first night, or new in the list) is reported only when it failed."""
    before = {s["url"]: s for s in store.batch_sites(old_batch)} if old_batch is not None else {}
    sites = []
    for s in store.batch_sites(new_batch):
        prev = before.get(s["url"])
        if prev is None:
            if s["status"] == "failed":
                sites.append({"site": s["url"], "name": s["name"], "old_run": None, "new_run": s["run_id"],
                              "changes": [{"kind": "unreachable_first", "item": None, "reason": s["error"]}],
                              "worse": True})
            continue
        entry = {"site": s["url"], "name": s["name"], "old_run": prev["run_id"], "new_run": s["run_id"],
                 "changes": []}
        ok_before, ok_now = prev["status"] == "done", s["status"] == "done"
        if ok_before and not ok_now:
            entry["changes"].append({"kind": "newly_unreachable", "item": None, "reason": s["error"]})
        elif ok_now and not ok_before:
            entry["changes"].append({"kind": "reachable_again", "item": None, "reason": ""})
        elif ok_now and ok_before:
            entry["changes"] = diff_docs(store.result(prev["run_id"]), store.result(s["run_id"]))
        entry["worse"] = any(c["kind"] in WORSE for c in entry["changes"])
        if entry["changes"]:
            sites.append(entry)
    return {"old_batch": old_batch, "new_batch": new_batch, "sites": sites, "worse": any(e["worse"] for e in sites)}


def text(report: dict) -> str:
    """The change report as lines a person reads in the morning, worse first."""
    entries = report.get("sites", [report])
    lines = []
    for e in sorted(entries, key=lambda e: not e.get("worse")):
        lines.append(f"{e.get('name') or ''} {e['site']}".strip())
        for c in sorted(e["changes"], key=lambda c: c["kind"] not in WORSE):
            if c["item"] is None:
                lines.append(f"  ! {KIND_TH[c['kind']]}: {c['reason'] or ''}")
                continue
            mark = "!" if c["kind"] in WORSE else " "
            lines.append(f"  {mark} {c['item']} {KIND_TH[c['kind']]}: {STATUS_TH[c['before']]} -> "
                         f"{STATUS_TH[c['after']]} {c['new_url'] or ''}")
    if not lines:
        lines.append("ไม่มีการเปลี่ยนแปลง")
    return "\n".join(plain(line) for line in lines) + "\n"
