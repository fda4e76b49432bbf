"""What changed between two runs of a site, or two batches: what got worse comes first."""

from __future__ import annotations

from .checklist import ChecklistError, follow, load, year_files
from .models import STATUS_RANK, STATUS_TH
from .outputs import plain
from .store import Store

WORSE = ("newly_missing", "now_broken", "now_stale", "worse", "newly_unreachable", "unreachable_first")
KIND_TH = {"newly_missing": "หายไป", "newly_found": "พบใหม่", "now_stale": "ไม่เป็นปัจจุบันแล้ว",
           "now_broken": "ลิงก์เสียแล้ว", "worse": "แย่ลง", "better": "ดีขึ้น", "evidence_changed": "ลิงก์หลักฐานเปลี่ยน",
           "newly_unreachable": "เข้าเว็บไม่ได้", "reachable_again": "เข้าเว็บได้อีกครั้ง",
           "unreachable_first": "เข้าเว็บไม่ได้ตั้งแต่คืนแรกที่ตรวจ", "merged": "รวมจากข้อเดิม",
           "new_item": "ข้อใหม่ของเกณฑ์ปีนี้", "dropped": "ไม่มีในเกณฑ์ปีนี้แล้ว", "not_due": "ยังไม่ถึงกำหนด"}


def _top(item: dict) -> str | None:
    return item["evidence"][0]["url"] if item["evidence"] else None


def year_map(old: dict, new: dict) -> dict[str, tuple[str, ...]] | None:
    """For runs of two assessment years: each new item's items of the old year (through `continues`)."""
    years = (old["checklist"].get("year"), new["checklist"].get("year"))
    if years[0] == years[1] or None in years:
        return None
    lists = []
    for doc in (old, new):
        try:
            lists.append(load(doc["checklist"].get("file")))
        except ChecklistError:
            return None
    files = year_files()  # the years between, for links that go through them
    lists += [load(path) for y, path in files.items() if min(years) < y < max(years)]
    return {item["id"]: follow(lists, item["id"], years[1], years[0]) for item in new["items"]}


def diff_docs(old: dict, new: dict) -> list[dict]:
    """Item changes between two result documents of one site (of one assessment year or two).

    Between years, an item is compared with the old year's items it continues: a merged item with the
    best of them ("merged" when its status did not change), an item with none is "new_item", an old item
    nothing continues is "dropped"."""
    before = {i["id"]: i for i in old["items"]}
    mapping = year_map(old, new)
    changes = []
    for item in new["items"]:
        if item.get("accepted"):  # the admin accepted it as it is: not raised again while its evidence holds
            continue
        olds = [before[x] for x in mapping.get(item["id"], ()) if x in before] if mapping is not None else (
            [before[item["id"]]] if item["id"] in before else [])
        if not olds:
            if mapping is not None:
                changes.append({"item": item["id"], "title": item["title"], "kind": "new_item", "before": None,
                                "after": item["status"], "old_url": None, "new_url": _top(item),
                                "reason": item["reason"], "from": []})
            continue
        prev = max(olds, key=lambda i: STATUS_RANK[i["status"]])
        a, b = prev["status"], item["status"]
        kind = None
        if a != b:
            if b == "not_due":  # the period asked for has not ended: neither better nor worse
                kind = "not_due"
            elif b == "missing":
                kind = "newly_missing"
            elif a == "missing":
                kind = "newly_found"
            elif b == "stale":
                kind = "now_stale"
            elif b == "broken":
                kind = "now_broken"
            else:
                kind = "worse" if STATUS_RANK[b] < STATUS_RANK[a] else "better"
        elif len(olds) > 1:
            kind = "merged"
        elif _top(prev) != _top(item) and b != "missing":
            kind = "evidence_changed"
        if kind:
            changes.append({"item": item["id"], "title": item["title"], "kind": kind, "before": a, "after": b,
                            "old_url": _top(prev), "new_url": _top(item), "reason": item["reason"],
                            **({"from": [i["id"] for i in olds]} if mapping is not None else {})})
    if mapping is not None:
        carried = {x for ids in mapping.values() for x in ids}
        changes += [{"item": i["id"], "title": i["title"], "kind": "dropped", "before": i["status"], "after": None,
                     "old_url": _top(i), "new_url": None, "reason": "", "from": [i["id"]]}
                    for i in old["items"] if i["id"] not in carried]
    return changes


def diff_runs(store: Store, old_run: int, new_run: int) -> dict:
    old, new = store.result(old_run), store.result(new_run)
    changes = diff_docs(old, new)
    return {"site": new["site"]["url"], "old_run": old_run, "new_run": new_run, "changes": changes,
            "worse": any(c["kind"] in WORSE for c in changes),
            "old_basis": old.get("basis") or "", "new_basis": new.get("basis") or ""}


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
        if not e["changes"]:
            continue
        lines.append(f"{e.get('name') or ''} {e['site']}".strip())
        if e.get("old_basis") and e.get("new_basis") and e["old_basis"] != e["new_basis"]:
            lines.append(f"  เกณฑ์: {e['old_basis']} -> {e['new_basis']}")
        for c in sorted(e["changes"], key=lambda c: c["kind"] not in WORSE):
            if c["item"] is None:
                lines.append(f"  ! {KIND_TH[c['kind']]}: {c['reason'] or ''}")
                continue
            mark = "!" if c["kind"] in WORSE else " "
            was = STATUS_TH.get(c["before"], "-")
            now_ = STATUS_TH.get(c["after"], "-")
            source = f" (จาก {', '.join(c['from'])})" if c.get("from") and c["kind"] != "dropped" else ""
            lines.append(f"  {mark} {c['item']}{source} {KIND_TH[c['kind']]}: {was} -> {now_} {c['new_url'] or ''}")
    if not lines:
        lines.append("ไม่มีการเปลี่ยนแปลง")
    return "\n".join(plain(line) for line in lines) + "\n"
