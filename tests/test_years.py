"""Checklists of several assessment years: how sure each is, continuity between years, choosing one by year."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_oit, scan
from crawler.checklist import ChecklistError, follow, for_year, load, year_files
from crawler.models import UNCONFIRMED_TH
from crawler.outputs import html_site

FOLDER = ROOT / "checklists"
SHIPPED = {2564: (43, "final"), 2565: (43, "final"), 2566: (43, "final"), 2568: (28, "draft"), 2569: (26, "draft")}


def test_every_shipped_year_validates_with_numbers_in_order():
    assert set(year_files()) == set(SHIPPED) and 2567 not in year_files()  # 2567 could not be rebuilt
    for year, (count, status) in SHIPPED.items():
        c = load(FOLDER / f"oit-{year}.yaml")
        assert (c.year, len(c.items), c.status) == (year, count, status)
        assert [i.number for i in c.items] == list(range(1, count + 1))
        assert [i.id for i in c.items] == [f"O{n}" for n in range(1, count + 1)]
        for it in c.items:
            assert it.source and it.title and it.phrases, (year, it.id)
            assert not (it.unseen and it.confirmed), (year, it.id)


def test_how_sure_each_year_is():
    sure = {y: load(FOLDER / f"oit-{y}.yaml") for y in SHIPPED}
    assert all(i.confirmed for i in sure[2565].items)
    unseen = {y: [i.id for i in c.items if i.unseen] for y, c in sure.items()}
    assert unseen[2568] == [] and unseen[2569] == []  # RTRDA68P/RTRDA69P show O2, O5, O7 and O2, O6, O7
    assert [i.id for i in sure[2569].items if i.confirmed] == ["O9", "O17", "O18"]
    # 2568: the items 2568-check.md still finds on one source (loose rule), every other one confirmed
    single = ["O2", "O4", "O7", "O10", "O11", "O15", "O19", "O22", "O24", "O25", "O26", "O28"]
    assert [i.id for i in sure[2568].items if not i.confirmed] == single
    assert sure[2568].item("O5").confirmed and sure[2568].item("O27").confirmed
    c66 = {i.id: i for i in sure[2566].items}
    assert c66["O1"].confirmed and c66["O31"].confirmed and not c66["O10"].confirmed


def test_renumbered_items_keep_their_periods():
    c66 = {i.id: i for i in load(FOLDER / "oit-2566.yaml").items}
    assert c66["O13"].period == c66["O22"].period == c66["O26"].period == c66["O38"].period == "previous_year"
    assert c66["O12"].period == c66["O24"].period == c66["O37"].period == "first_half"
    assert c66["O8"].period == c66["O28"].period == "exists" and c66["O36"].period == "covers_year"
    c69 = {i.id: i for i in load(FOLDER / "oit-2569.yaml").items}
    assert c69["O11"].period == "first_half" and c69["O12"].period == c69["O18"].period == "previous_year"
    assert c69["O21"].period == "in_year" and c69["O23"].period == "covers_year"
    assert c69["O25"].period == "in_year" and c69["O26"].period == "previous_year"
    c68 = {i.id: i for i in load(FOLDER / "oit-2568.yaml").items}
    # RTRDA68P: O11 and O24 were posted for the previous fiscal year; O27 measures of the year, O28 their report
    assert c68["O11"].period == c68["O24"].period == c68["O28"].period == "previous_year"
    assert c68["O27"].period == "in_year" and c68["O6"].period == "first_half"


def test_continues_and_follow_across_years():
    lists = [load(FOLDER / f"oit-{y}.yaml") for y in SHIPPED]
    assert follow(lists, "O10", 2565, 2566) == ("O11",)
    assert follow(lists, "O18", 2565, 2566) == ("O11",)
    assert follow(lists, "O11", 2566, 2565) == ("O10", "O18")
    assert follow(lists, "O34", 2565, 2566) == ("O31", "O32", "O33")  # No Gift in three items
    assert follow(lists, "O1", 2566, 2568) == ("O1",) and follow(lists, "O3", 2566, 2568) == ("O1",)
    assert follow(lists, "O10", 2565, 2568) == ("O6",)  # through 2566 O11
    assert follow(lists, "O10", 2568, 2569) == ("O10",) and follow(lists, "O11", 2568, 2569) == ("O10",)
    assert follow(lists, "O6", 2569, 2565) == ("O10", "O11", "O18", "O19")
    assert follow(lists, "O34", 2564, 2565) == ("O34",) and follow(lists, "O35", 2565, 2566) == ()  # dropped
    assert follow(lists, "O7", 2565, 2565) == ("O7",)
    # the integrity measures and their report: 2565 O42/O43 -> 2568 O27/O28 -> 2569 O25/O26 (not new in 2569)
    assert follow(lists, "O42", 2565, 2568) == ("O27",) and follow(lists, "O43", 2565, 2568) == ("O28",)
    assert follow(lists, "O27", 2568, 2569) == ("O25",) and follow(lists, "O28", 2568, 2569) == ("O26",)
    assert follow(lists, "O42", 2565, 2569) == ("O25",) and follow(lists, "O26", 2569, 2565) == ("O43",)
    assert follow(lists, "O21", 2568, 2569) == follow(lists, "O22", 2568, 2569) == ("O20",)  # merged
    assert [follow(lists, f"O{n}", 2568, 2569) for n in (12, 20, 23, 26)] == [("O11",), ("O19",), ("O21",), ("O24",)]


def test_every_year_carries_the_2565_knowledge_of_the_items_it_continues():
    """Labels learned on 2565 (review labels, URL decoys, phrases, weak labels, decoys) reach the items of
    other years that continue those items; a merged item gets the union."""
    lists = {y: load(FOLDER / f"oit-{y}.yaml") for y in SHIPPED}
    base = lists[2565]
    for year, c in lists.items():
        assert c.test_markers and c.empty_listing, year
        assert set(base.generic_anchors) <= set(c.generic_anchors), year
        for it in base.items:
            for other in follow(lists.values(), it.id, 2565, year):
                got = c.item(other)
                for field in ("review_labels", "url_decoys"):
                    have = {getattr(p, "source", p) for p in getattr(got, field)}
                    want = {getattr(p, "source", p) for p in getattr(it, field)}
                    assert want <= have, (year, other, field, want - have)
    ports = {"O11": ("phrases", "ติดตาม + ประเมินผล + แผนพัฒนา|แผนฯ"),
             "O20": ("weak", "รายรับรายจ่าย|รับจ่าย + ประจำปี|ปีงบประมาณ|รายปี|สิ้นปี"),
             "O23": ("weak", "ผลจัดซื้อจัดจ้าง|ผลการจัดซื้อจัดจ้าง")}
    for year, c in lists.items():
        for item_id, (field, source) in ports.items():
            for other in follow(lists.values(), item_id, 2565, year):
                assert source in {p.source for p in getattr(c.item(other), field)}, (year, other, field)
        for other in follow(lists.values(), "O20", 2565, year):
            assert "ประมาณการ" in {p.source for p in c.item(other).decoys}, (year, other)
    assert "O3" in [i.id for i in lists[2569].items if i.review_labels]  # Q&A merged into contact

def _copy(tmp_path: Path, years: list[int], edit=None) -> Path:
    """Shipped checklists copied to a folder of the test's own; `edit(year, data)` changes them."""
    for year in years:
        data = yaml.safe_load((FOLDER / f"oit-{year}.yaml").read_text(encoding="utf-8"))
        if edit:
            edit(year, data)
        (tmp_path / f"oit-{year}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                                                   encoding="utf-8")
    return tmp_path


def _line(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_continues_naming_a_missing_item_is_refused_with_file_and_line(tmp_path):
    def edit(year, data):
        if year == 2566:
            data["items"][10]["continues"] = {2565: ["O10", "O99"]}
    folder = _copy(tmp_path, [2565, 2566], edit)
    path = folder / "oit-2566.yaml"
    with pytest.raises(ChecklistError) as e:
        load(path)
    line = _line(path, "- O99") - 1  # the line of `2565:`
    assert str(e.value).startswith(f"{path}:{line}: items[10].continues.2565: O99 not in ")
    (folder / "oit-2565.yaml").unlink()  # without the other year's file there is nothing to check against
    assert load(path).item("O11").continued(2565) == ("O10", "O99")


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["items"][3].update(id="O1"), r"items\[3\]\.id: duplicate id 'O1'"),
    (lambda d: d["items"][3].update(number=1), r"items\[3\]\.number: duplicate number 1"),
    (lambda d: d["items"][0].update(continues={2566: ["O1"]}), r"items\[0\]\.continues\.2566: an item cannot"),
    (lambda d: d["items"][0].update(continues={"last": ["O1"]}), r"items\[0\]\.continues\.last: 'last' is not"),
    (lambda d: d["items"][0].update(continues={2565: []}), r"items\[0\]\.continues\.2565: must list"),
    (lambda d: d["items"][1].update(unseen=True), r"items\[1\]\.unseen: an unseen item cannot be confirmed"),
    (lambda d: d["items"][1].update(confirmed="yes"), r"items\[1\]\.confirmed: must be bool"),
    (lambda d: d["items"][1].update(sure=True), r"items\[1\]\.sure: unknown field"),
    (lambda d: d.update(status="maybe"), r":\d+: status: 'maybe' is not one of final, draft"),
    (lambda d: d.update(assessment_year=2565), r":\d+: assessment_year: 2565, but the file is named for 2566"),
])
def test_year_fields_are_validated(tmp_path, edit, message):
    folder = _copy(tmp_path, [2566], lambda year, data: edit(data))
    with pytest.raises(ChecklistError, match=message) as e:
        load(folder / "oit-2566.yaml")
    where, line, _ = str(e.value).split(":", 2)
    assert where == str(folder / "oit-2566.yaml") and int(line) > 1  # file:line: field: problem


def test_for_year_and_its_errors():
    assert for_year(2566) == year_files()[2566]
    with pytest.raises(ChecklistError, match=r"^no checklist for year 2567; checklists exist for 2564, 2565"):
        for_year(2567)
    with pytest.raises(ChecklistError, match=r"did you mean 2565\? years are B\.E\., 2022 is A\.D\."):
        for_year(2022)
    with pytest.raises(ChecklistError, match=r"did you mean 2565\?"):
        for_year(65)


def test_cli_lists_and_checks_every_shipped_checklist():
    proc = run_oit("checklists", "--today", "2569-12-04")
    assert proc.returncode == 0, proc.stderr
    *lines, default = proc.stdout.splitlines()[1:]
    rows = {line.split()[0]: line.split() for line in lines}
    assert rows["2569"][-4:] == ["(ร่าง)", "(default:", "FY", "2570)"] and "default" not in " ".join(rows["2565"])
    assert default == "default: ใช้รายการ ITA 2569 (ร่าง) ตรวจสำหรับปีงบประมาณ 2570 เพราะยังไม่มีรายการปี 2570"
    assert set(rows) == {str(y) for y in SHIPPED}
    for year, (count, status) in SHIPPED.items():
        assert rows[str(year)][1:3] == [str(count), status]
    assert rows["2569"][3:6] == ["3", "23", "0"] and rows["2568"][3:6] == ["16", "12", "0"]
    assert [line.split()[0] for line in proc.stdout.splitlines()[1:6]] == ["2569", "2568", "2566", "2565", "2564"]
    check = run_oit("check-checklist", *(str(FOLDER / f"oit-{y}.yaml") for y in SHIPPED))
    assert check.returncode == 0 and check.stdout.count(": OK") == len(SHIPPED), check.stderr


@pytest.mark.parametrize("year, says", [("2567", "ไม่มีเกณฑ์ของปี 2567 "), ("2022", "หมายถึง 2565 หรือไม่?"),
                                        ("65", "หมายถึง 2565 หรือไม่?")])
def test_cli_bad_year_is_one_clear_line(year, says, tmp_path):
    proc = run_oit("scan", "http://127.0.0.1:9/", "--year", year, "--db", str(tmp_path / "x.db"))
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert says in proc.stderr and "2564, 2565, 2566, 2568, 2569" in proc.stderr
    assert not (tmp_path / "x.db").exists()


def test_cli_year_picks_the_checklist(site_server, tmp_path):
    proc = run_oit("classify", "นโยบายคุ้มครองข้อมูลส่วนบุคคล", "--year", "2566")
    assert proc.returncode == 0 and proc.stdout.split()[0] == "O10"
    assert run_oit("classify", "นโยบายคุ้มครองข้อมูลส่วนบุคคล").stdout.strip() == "no item"  # 2565 has none
    proc, doc = scan(site_server("menu_cms").url, tmp_path, "--year", "2566", "--max-pages", "5")
    assert proc.returncode in (0, 2), proc.stderr
    assert doc["checklist"]["file"] == str(FOLDER / "oit-2566.yaml") or doc["checklist"]["file"].endswith(
        "/checklists/oit-2566.yaml")
    assert (doc["checklist"]["name"], doc["checklist"]["year"], doc["checklist"]["status"]) == ("OIT 2566", 2566,
                                                                                               "final")
    assert len(doc["items"]) == 43 and doc["items"][9]["title"] == "นโยบายคุ้มครองข้อมูลส่วนบุคคล"


def test_draft_year_scan_marks_unconfirmed_items(site_server, tmp_path):
    srv = site_server("menu_cms")
    proc, doc = scan(srv.url, tmp_path, "--year", "2569", "--max-pages", "30")
    assert proc.returncode in (0, 2), proc.stderr
    assert doc["checklist"]["year"] == 2569 and doc["checklist"]["status"] == "draft"
    assert doc["checklist"]["file"].endswith("oit-2569.yaml") and doc["checklist"]["name"].startswith("OIT 2569")
    assert [it["id"] for it in doc["items"]] == [f"O{n}" for n in range(1, 27)]
    flags = {it["id"]: it["confirmed"] for it in doc["items"]}
    assert [i for i, ok in flags.items() if ok] == ["O9", "O17", "O18"]
    assert UNCONFIRMED_TH in proc.stdout and "จาก 26 ข้อ" in proc.stdout
    db = sqlite3.connect(tmp_path / "oit.db")
    assert db.execute("select checklist_status, year from runs").fetchone() == ("draft", 2569)
    assert db.execute("select count(*) from results where confirmed = 0").fetchone() == (23,)
    page = html_site(doc)
    assert page.count(UNCONFIRMED_TH) == 23 + 1 and "ฉบับร่าง" in page  # each row, and the header
    report = run_oit("report", "--latest", "--db", str(tmp_path / "oit.db"), "--format", "json")
    assert json.loads(report.stdout)["items"][0]["confirmed"] is False


def test_old_database_gains_the_new_columns(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute("create table runs (id integer primary key, checklist text, checklist_version text, year integer, "
                "start_url text, site text, settings text, started_at text, finished_at text, status text)")
    con.execute("create table results (id integer primary key, run_id integer, item text, title text, status text, "
                "reason text, score float, missing_elements text)")
    con.execute("insert into runs values (1, 'OIT 2565', '1.0', 2565, 'http://a/', 'a', '{}', 't', 't', 'finished')")
    con.execute("insert into results (run_id, item, title, status, reason, score, missing_elements) "
                "values (1, 'O1', 'โครงสร้าง', 'found', 'ok', 1.0, '[]')")
    con.commit()
    con.close()
    from crawler.store import Store
    doc = Store(db).result(1)
    assert doc["checklist"]["status"] == "final" and doc["items"][0]["confirmed"] is True
    cols = {r[1] for r in sqlite3.connect(db).execute("pragma table_info(runs)")}
    assert "checklist_status" in cols


def test_shipped_items_state_whether_confirmed():
    """`confirmed` may be left out of an admin's own checklist (taken as confirmed), never out of a shipped one."""
    import yaml

    from crawler.checklist import checklists_dir
    for path in sorted(checklists_dir().glob("oit-*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert "status" in data, path
        assert all("confirmed" in item for item in data["items"]), path


def test_diff_between_two_years_compares_like_with_like(site_server, tmp_path):
    """A 2565 run against a 2566 run: merged items are compared with the items they continue, new ones said."""
    srv = site_server("menu_cms")
    db = tmp_path / "oit.db"
    for year in ("2565", "2566"):
        proc = run_oit("scan", srv.url, "--db", str(db), "--year", year, "--delay", "0.02", "-q")
        assert proc.returncode in (0, 2), proc.stderr
    out = tmp_path / "changes.json"
    proc = run_oit("diff", "--db", str(db), "--site", srv.url, "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    changes = {c["item"]: c for c in json.loads(out.read_text(encoding="utf-8"))["changes"]}
    assert changes["O10"]["kind"] == "new_item"  # 2566 O10, the personal-data policy, is new
    assert changes["O11"]["from"] == ["O10", "O18"]  # the work plan with its budget: two 2565 items
    assert "จาก O10, O18" in proc.stdout and "ข้อใหม่ของเกณฑ์ปีนี้" in proc.stdout
