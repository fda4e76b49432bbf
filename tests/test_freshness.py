"""Periods, documents, elements and broken links end to end: real CLI, loopback sites, real SQLite."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from conftest import run_oit, scan
from sitesrv import SiteServer

DOCS = Path(__file__).parent / "data" / "docs"
HOME = """<html><head><meta charset="utf-8"><title>หน้าแรก - เทศบาลตำบลทดสอบ</title></head><body>
<ul class="nav"><li><span>ข้อมูลพื้นฐาน</span><ul>
<li><a href="/about/structure.html">โครงสร้างส่วนราชการ</a></li>
<li><a href="/about/executives.html">คณะผู้บริหาร</a></li></ul></li>
<li><span>แผนงาน</span><ul><li><a href="/files/plan-2565.pdf">แผนการดำเนินงานประจำปี</a></li>
<li><a href="/files/scanned.pdf">รายงานผลการดำเนินงานประจำปี 2564</a></li></ul></li>
<li><span>ป้องกันการทุจริต</span><ul><li><a href="/files/risk-2563.pdf">การประเมินความเสี่ยงการทุจริต</a></li>
<li><a href="{offsite}login">แจ้งเรื่องร้องเรียนการทุจริต</a></li>
<li><a href="{offsite}gone">ข้อมูลเชิงสถิติเรื่องร้องเรียนการทุจริต</a></li></ul></li></ul></body></html>"""
STRUCTURE = ("<html><head><meta charset='utf-8'><title>โครงสร้าง</title></head><body><h1>โครงสร้างส่วนราชการ</h1>"
             "<p>แผนภูมิโครงสร้าง สำนักปลัด กองคลัง กองช่าง ข้อมูล ณ ปีงบประมาณ พ.ศ. ๒๕๖๓</p></body></html>")
EXECUTIVES = ("<html><head><meta charset='utf-8'><title>คณะผู้บริหาร</title></head><body><h1>คณะผู้บริหาร</h1>"
              "<p>นายสมชาย ใจดี นายกเทศมนตรี ข้อมูล ณ วันที่ 1 ธ.ค. 2564</p></body></html>")


def make_site(root: Path, offsite: str) -> None:
    (root / "about").mkdir(parents=True)
    (root / "files").mkdir()
    (root / "index.html").write_text(HOME.format(offsite=offsite), encoding="utf-8")
    (root / "about/structure.html").write_text(STRUCTURE, encoding="utf-8")
    (root / "about/executives.html").write_text(EXECUTIVES, encoding="utf-8")
    for name in ("plan-2565.pdf", "scanned.pdf", "risk-2563.pdf"):
        shutil.copy(DOCS / name, root / "files" / name)


def test_periods_documents_elements_and_offsite_checks(tmp_path):
    other = SiteServer(tmp_path, routes={"/login": (401, {}, b"login"), "/gone": (404, {}, b"gone")})
    root = tmp_path / "site"
    make_site(root, other.url)
    srv = SiteServer(root)
    try:
        proc, doc = scan(srv.url, tmp_path, "--check-offsite")
        items = {it["id"]: it for it in doc["items"]}
        o1 = items["O1"]  # structure of 2563: stale, with what was found and what is needed
        assert o1["status"] == "stale" and "2563" in o1["reason"] and "2565" in o1["reason"]
        assert o1["period"]["year"] == 2563 and o1["period"]["where"] == "เนื้อหาหน้า"
        o2 = items["O2"]  # current, but no photo nor contact: review with the missing elements named
        assert o2["status"] == "review" and "รูปถ่ายผู้บริหาร" in o2["missing_elements"]
        o10 = items["O10"]  # the year is read from the PDF's Thai text
        assert o10["status"] in ("found", "review") and o10["period"]["where"] == "เนื้อหาเอกสาร"
        assert o10["period"]["year"] == 2565
        o12 = items["O12"]  # a scanned PDF: evidence, dated from its link text only
        assert o12["status"] in ("found", "review") and "สแกน" in o12["evidence"][0]["check"]
        assert o12["period"]["year"] == 2564 and o12["period"]["where"] == "ข้อความลิงก์"
        o36 = items["O36"]  # broken Thai text layer of 2563, repaired, read and found stale
        assert o36["status"] == "stale" and o36["period"]["year"] == 2563
        assert items["O30"]["status"] != "broken" and "เข้าสู่ระบบ" in items["O30"]["evidence"][0]["check"]
        assert items["O31"]["status"] == "broken" and "404" in items["O31"]["reason"]
        db = sqlite3.connect(tmp_path / "oit.db")
        row = db.execute("select status, period_expected, period_found, found_year, missing_elements from results "
                         "where item = 'O1'").fetchone()
        assert row[0] == "stale" and row[2] and row[3] == 2563
        assert json.loads(db.execute("select missing_elements from results where item = 'O2'").fetchone()[0])
        # a second run does not download unchanged documents again (ETag)
        before = srv.stats.not_modified
        scan(srv.url, tmp_path, "--check-offsite")
        assert srv.stats.not_modified - before >= 3
        csv_out = run_oit("export", "--latest", "--db", str(tmp_path / "oit.db"), "--format", "csv").stdout
        assert "year_found" in csv_out.splitlines()[0] and "2563" in csv_out
    finally:
        srv.close()
        other.close()
