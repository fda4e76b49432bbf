"""Today's assessment: the scan date picks the fiscal year and its list (FY2570 -> the 2569 draft, said in every
output), and an item whose period has not ended on that date is `not_due`, not a gap.

Fixture `half_year_due`: a municipality on the 2569 list showing its FY2569 six-month progress report (2569 O6),
its FY2569 annual report (O7) and no monthly procurement summary (O11). Scanned on 4 Dec 2569 the six-month
items of FY2570 are not due (after 31 Mar 2570); scanned on 15 Jun 2570 they are overdue. Fixture
`half_year_posted`: the same site once FY2570's six-month report is posted: found in June.
"""

from __future__ import annotations

import datetime
import io
import json
import re
import sqlite3
import time
import zipfile
from pathlib import Path

import httpx
import pytest
import yaml

from conftest import ROOT, run_oit
from crawler.checklist import ChecklistError, assessment, fiscal_year_of, load, scan_date
from crawler.config import Options, Settings
from crawler.models import STATUS_TH, Evidence, ItemResult, PeriodVerdict
from crawler.period import due_after, not_yet_due
from crawler.verdict import pending

DECEMBER, JUNE = "2569-12-04", "2570-06-15"
BASIS = "ใช้รายการ ITA 2569 (ร่าง) ตรวจสำหรับปีงบประมาณ 2570 เพราะยังไม่มีรายการปี 2570"
NOT_DUE = "ยังไม่ถึงกำหนด: เผยแพร่หลัง 31 มี.ค. 2570"
FOLDER = ROOT / "checklists"


# ------------------------------------------------------------------------------------------ pure


def test_the_scan_date_picks_the_fiscal_year_and_the_newest_list_not_after_it():
    assert scan_date(DECEMBER) == scan_date("2026-12-04") == datetime.date(2026, 12, 4)
    assert fiscal_year_of(datetime.date(2026, 9, 30)) == 2569 and fiscal_year_of(datetime.date(2026, 10, 1)) == 2570
    now = assessment(today=scan_date(DECEMBER))
    assert (now.path.name, now.list_year, now.year, now.draft, now.substitute) == ("oit-2569.yaml", 2569, 2570,
                                                                                   True, True)
    assert now.basis() == BASIS
    own = assessment(today=scan_date("2569-09-30"))  # the last day of FY2569: its own list
    assert (own.list_year, own.year, own.substitute) == (2569, 2569, False)
    assert own.basis() == "ใช้รายการ ITA 2569 (ร่าง) ตรวจสำหรับปีงบประมาณ 2569"
    assert assessment(today=scan_date("2567-05-01")).list_year == 2566  # 2567 was never shipped
    assert assessment(2565, today=scan_date(DECEMBER)).basis() == "ใช้รายการ ITA 2565 ตรวจสำหรับปีงบประมาณ 2565"
    with pytest.raises(ChecklistError, match="not a date"):
        scan_date("4/12/2569")
    with pytest.raises(ChecklistError, match="no checklist for fiscal year 2563 or before"):
        assessment(today=scan_date("2563-01-01"))


def test_due_dates_of_the_periods():
    dec, jun = scan_date(DECEMBER), scan_date(JUNE)
    assert due_after("first_half", 2570) == datetime.date(2027, 3, 31)
    assert not_yet_due("first_half", 2570, dec) == NOT_DUE
    assert not_yet_due("first_half", 2570, jun) is None
    assert not_yet_due("first_half", 2570, datetime.date(2027, 3, 31)) is not None  # due after that day
    assert not_yet_due("previous_year", 2570, dec) is None  # FY2569 ended on 30 Sep 2569
    assert not_yet_due("previous_year", 2571, dec) == "ยังไม่ถึงกำหนด: เผยแพร่หลัง 30 ก.ย. 2570"
    for period in ("current", "in_year", "covers_year", "exists"):  # due from the start of the year
        assert not_yet_due(period, 2570, dec) is None


def _result(status: str, found_year: int | None = None) -> ItemResult:
    ev = [Evidence("http://x.go.th/progress-2569.html", "http://x.go.th/", "รายงาน 6 เดือน 2569", [], 1.0, (), "ok")]
    verdict = PeriodVerdict("stale", "6 เดือนแรกของปีงบประมาณ 2570", "6 เดือนแรกของปีงบประมาณ 2569", found_year,
                            "เนื้อหาหน้า", "พบข้อมูล ...")
    if status == "missing":
        return ItemResult("O6", "แผน", "missing", "ไม่พบ", 0.0)
    return ItemResult("O6", "แผน", status, "เหตุผลเดิม", 1.0, ev, verdict)


def test_pending_turns_only_missing_and_stale_into_not_due():
    c69 = load(FOLDER / "oit-2569.yaml")
    o6, o7 = c69.item("O6"), c69.item("O7")
    dec = scan_date(DECEMBER)
    got = pending(o6, _result("stale", 2569), 2570, dec)
    assert got.status == "not_due" and got.reason.startswith(NOT_DUE + "; หลักฐานของรอบก่อน (6 เดือนแรกของปีงบประมาณ 2569")
    assert "x.go.th/progress-2569.html" in got.reason and got.evidence[0].url.endswith("progress-2569.html")
    older = pending(o6, _result("stale", 2567), 2570, dec)
    assert older.status == "not_due" and "ยังไม่ใช่ของรอบก่อน" in older.reason
    nothing = pending(o6, _result("missing"), 2570, dec)
    assert nothing.status == "not_due" and "ยังไม่พบหลักฐานของรอบก่อน" in nothing.reason
    for status in ("found", "review", "broken"):
        assert pending(o6, _result(status, 2569), 2570, dec).status == status
    assert pending(o6, _result("stale", 2569), 2570, scan_date(JUNE)).status == "stale"  # overdue in June
    assert pending(o7, _result("missing"), 2570, dec).status == "missing"  # the FY2569 annual report is due
    assert STATUS_TH["not_due"] == "ยังไม่ถึงกำหนด"


# ---------------------------------------------------------------------------------- the real CLI


def _scan(url: str, db: Path, out: Path, today: str, *extra: str):
    proc = run_oit("scan", url, "--db", str(db), "--json", str(out), "--delay", "0.02", *extra,
                   env={"OIT_TODAY": today})
    assert proc.returncode in (0, 2), proc.stderr
    return proc, json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture
def two_scans(site_server, tmp_path):
    """half_year_due scanned without --year on 4 Dec 2569 (run 1) and 15 Jun 2570 (run 2), one database."""
    srv = site_server("half_year_due")
    db = tmp_path / "oit.db"
    dec = _scan(srv.url, db, tmp_path / "dec.json", DECEMBER)
    jun = _scan(srv.url, db, tmp_path / "jun.json", JUNE)
    return srv, db, dec, jun


def test_without_year_a_december_scan_uses_the_2569_list_for_fy2570_and_says_so(two_scans):
    srv, db, (proc, doc), _ = two_scans
    assert (doc["checklist"]["year"], doc["checklist"]["status"], doc["assessment_year"]) == (2569, "draft", 2570)
    assert doc["checklist"]["file"].endswith("oit-2569.yaml") and len(doc["items"]) == 26
    assert doc["basis"] == BASIS and doc["scan_date"] == "2026-12-04"
    assert BASIS in proc.stdout and "ยังไม่ถึงกำหนด" in proc.stdout
    items = {it["id"]: it for it in doc["items"]}
    assert items["O1"]["status"] == "found" and items["O7"]["status"] == "found"  # FY2569's annual report is due
    o6 = items["O6"]  # the FY2569 six-month report: the previous period's evidence, FY2570's is not due yet
    assert o6["status"] == "not_due" and o6["reason"].startswith(NOT_DUE)
    assert o6["evidence"][0]["url"] == srv.url + "plan/progress-6m-2569.html" and "หลักฐานของรอบก่อน" in o6["reason"]
    assert o6["period"]["expected"] == "6 เดือนแรกของปีงบประมาณ 2570 (ต.ค. 2569 - มี.ค. 2570)"
    assert items["O11"]["status"] == "not_due" and "ยังไม่พบหลักฐานของรอบก่อน" in items["O11"]["reason"]
    stored = sqlite3.connect(db).execute("select year, settings from runs where id = 1").fetchone()
    assert stored[0] == 2570 and json.loads(stored[1])["checklist_year"] == 2569


def test_in_june_the_same_items_are_overdue(two_scans):
    _, _, _, (proc, doc) = two_scans
    assert doc["assessment_year"] == 2570 and doc["basis"] == BASIS
    items = {it["id"]: it for it in doc["items"]}
    assert items["O6"]["status"] == "stale" and "6 เดือนแรกของปีงบประมาณ 2569" in items["O6"]["reason"]
    assert items["O11"]["status"] == "missing" and items["O7"]["status"] == "found"
    assert not [i for i in items.values() if i["status"] == "not_due"]


def test_in_june_a_posted_six_month_report_of_the_year_is_found(site_server, tmp_path):
    srv = site_server("half_year_posted")
    _, doc = _scan(srv.url, tmp_path / "oit.db", tmp_path / "o.json", JUNE)
    o6 = next(it for it in doc["items"] if it["id"] == "O6")
    assert o6["status"] == "found" and o6["evidence"][0]["url"] == srv.url + "plan/progress-6m-2570.html"
    assert o6["period"]["found"] and "2570" in o6["period"]["found"]


def test_every_report_says_which_list_and_year_and_shows_not_due(two_scans, tmp_path):
    _, db, _, _ = two_scans
    label = STATUS_TH["not_due"]
    html = run_oit("report", "--run", "1", "--db", str(db), "--format", "html")
    assert html.returncode == 0 and BASIS in html.stdout and label in html.stdout and "ปีงบประมาณ 2570" in html.stdout
    csv_ = run_oit("report", "--run", "1", "--db", str(db), "--format", "csv")
    rows = [line for line in csv_.stdout.splitlines() if ",O6," in line]
    assert BASIS in csv_.stdout.splitlines()[1] and label in rows[0] and "not_due" in rows[0]
    assert "เกณฑ์ที่ใช้" in csv_.stdout.splitlines()[0]
    export = run_oit("export", "--run", "1", "--db", str(db), "--format", "csv")
    assert export.stdout.splitlines()[0].endswith(",basis,reason") and BASIS in export.stdout
    out = tmp_path / "r.xlsx"
    assert run_oit("report", "--run", "1", "--db", str(db), "--format", "xlsx", "-o", str(out)).returncode == 0
    with zipfile.ZipFile(io.BytesIO(out.read_bytes())) as z:
        sheets = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert BASIS in sheets and label in sheets
    report = json.loads(run_oit("report", "--run", "1", "--db", str(db), "--format", "json").stdout)
    assert report["basis"] == BASIS and report["assessment_year"] == 2570 and report["checklist"]["year"] == 2569


def test_diff_says_not_due_and_does_not_call_it_worse(two_scans, tmp_path):
    _, db, _, _ = two_scans
    out = tmp_path / "changes.json"
    proc = run_oit("diff", "--db", str(db), "--runs", "2", "1", "--json", str(out))  # June, then December
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    changes = {c["item"]: c for c in report["changes"]}
    assert changes["O6"]["kind"] == "not_due" and changes["O11"]["kind"] == "not_due" and not report["worse"]
    assert "O6 ยังไม่ถึงกำหนด: ไม่เป็นปัจจุบัน -> ยังไม่ถึงกำหนด" in proc.stdout
    forward = run_oit("diff", "--db", str(db), "--runs", "1", "2").stdout
    assert "หายไป" in forward and "ไม่เป็นปัจจุบันแล้ว" in forward  # December -> June: now overdue


def test_year_still_picks_a_year_and_judges_it(site_server, tmp_path):
    srv = site_server("half_year_due")
    proc, doc = _scan(srv.url, tmp_path / "oit.db", tmp_path / "o.json", DECEMBER, "--year", "2569")
    assert (doc["checklist"]["year"], doc["assessment_year"]) == (2569, 2569)
    assert doc["basis"] == "ใช้รายการ ITA 2569 (ร่าง) ตรวจสำหรับปีงบประมาณ 2569"
    items = {it["id"]: it for it in doc["items"]}
    assert items["O6"]["status"] == "found"  # FY2569's first half is what 2569 asks for, and long due
    proc, doc = _scan(srv.url, tmp_path / "oit.db", tmp_path / "o.json", DECEMBER, "--year", "2565")
    assert (doc["checklist"]["year"], doc["assessment_year"], len(doc["items"])) == (2565, 2565, 43)


def test_checklist_new_continues_every_item_and_check_checklist_lists_the_unconfirmed(tmp_path):
    (tmp_path / "oit-2569.yaml").write_text((FOLDER / "oit-2569.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "oit-2570.yaml"
    proc = run_oit("checklist", "new", "2570", "--from", "2569", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    new, old = load(out), load(FOLDER / "oit-2569.yaml")
    assert (new.year, new.status, len(new.items)) == (2570, "draft", 26) and 2570 in new.numbering_years
    for a, b in zip(new.items, old.items, strict=True):
        assert a.continues == ((2569, (b.id,)),) and not a.confirmed and not a.unseen
        assert (a.title, a.period, a.phrases, a.decoys) == (b.title, b.period, b.phrases, b.decoys)
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    data["items"][3]["continues"] = {2569: ["O99"]}  # the ids are checked against the 2569 file beside it
    bad = tmp_path / "bad" / "oit-2570.yaml"
    bad.parent.mkdir()
    (bad.parent / "oit-2569.yaml").write_text((tmp_path / "oit-2569.yaml").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    bad.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ChecklistError, match=r"items\[3\]\.continues\.2569: O99 not in"):
        load(bad)
    again = run_oit("checklist", "new", "2570", "--from", "2569", "-o", str(out))
    assert again.returncode == 1 and "exists" in again.stderr
    check = run_oit("check-checklist", str(out))
    assert check.returncode == 0 and "draft" in check.stdout
    assert f"unconfirmed (26): {', '.join(f'O{n}' for n in range(1, 27))}" in check.stdout
    missing = run_oit("checklist", "new", "2570", "--from", "2567", "-o", str(tmp_path / "x.yaml"))
    assert missing.returncode == 1 and "no checklist for year 2567" in missing.stderr


# ------------------------------------------------------------------------------------------ web


def test_web_app_years_newest_first_default_today_and_unknown_year_refused(site_server, tmp_path):
    from test_web import Web
    srv = site_server("half_year_due")
    w = Web(tmp_path / "oit.db", allow_private=True, options=Options(settings=Settings(delay=0.02), today=DECEMBER))
    try:
        with httpx.Client(base_url=w.url) as c:
            home = c.get("/")
            options = re.findall(r'<option value="(\d*)"[^>]*>([^<]*)</option>', home.text)
            assert [v for v, _ in options] == ["", "2569", "2568", "2566", "2565", "2564"]
            labels = dict(options)
            assert labels["2569"] == "2569 (ร่าง) · 26 ข้อ" and labels["2568"] == "2568 (ร่าง) · 28 ข้อ"
            assert labels["2565"] == "2565 · 43 ข้อ" and BASIS in labels[""] and BASIS in home.text
            assert "43 ข้อ (O1–O43)" not in home.text
            csrf = re.search(r'name="csrf" value="([^"]+)"', home.text).group(1)
            refused = c.post("/scan", data={"url": srv.url, "csrf": csrf, "year": "2567"})
            assert refused.status_code == 400 and "2569, 2568, 2566, 2565, 2564" in refused.text
            job = c.post("/scan", data={"url": srv.url, "csrf": csrf, "year": ""}).headers["location"]
            deadline = time.monotonic() + 60
            while (r := c.get(job)).status_code != 303:
                assert time.monotonic() < deadline, "the scan did not finish"
                time.sleep(0.2)
            run = c.get(r.headers["location"])
            assert run.status_code == 200 and BASIS in run.text and STATUS_TH["not_due"] in run.text
            item = c.get("/items/O6?run=1")
            assert item.status_code == 200 and "ปีงบประมาณ 2570" in item.text
    finally:
        w.close()
    doc = json.loads(run_oit("report", "--run", "1", "--db", str(tmp_path / "oit.db"), "--format", "json").stdout)
    assert doc["assessment_year"] == 2570 and doc["basis"] == BASIS
