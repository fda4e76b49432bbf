from pathlib import Path

import pytest
import yaml

from conftest import ROOT, run_oit
from crawler.checklist import DEFAULT_CHECKLIST, KINDS, PERIODS, ChecklistError, load


def test_shipped_checklist_has_all_43_items():
    c = load()
    assert c.year == 2565 and c.name
    assert [i.id for i in c.items] == [f"O{n}" for n in range(1, 44)]
    assert [i.number for i in c.items] == list(range(1, 44))
    for item in c.items:
        assert item.period in PERIODS and item.kind in KINDS
        assert item.title and item.gist and item.must_show and item.phrases, item.id
        assert item.indicator and item.sub_indicator, item.id


def test_checklist_periods_follow_the_manual():
    c = {i.id: i for i in load().items}
    assert c["O8"].period == c["O9"].period == c["O30"].period == "exists"
    assert c["O12"].period == c["O20"].period == c["O24"].period == "previous_year"
    assert c["O11"].period == c["O19"].period == c["O40"].period == "first_half"
    assert c["O9"].hosts and c["O23"].decoys and c["O30"].decoys


def _broken(tmp_path: Path, edit) -> Path:
    data = yaml.safe_load(DEFAULT_CHECKLIST.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_bad_period_names_file_line_and_field(tmp_path):
    path = _broken(tmp_path, lambda d: d["items"][4].update(period="yearly"))
    with pytest.raises(ChecklistError) as e:
        load(path)
    assert str(e.value).startswith(f"{path}:{_line_of(path, 'period: yearly')}: items[4].period:")


def test_misspelt_field_is_reported(tmp_path):
    path = _broken(tmp_path, lambda d: d["items"][2].update(phrasess=["x"]))
    with pytest.raises(ChecklistError, match=r"items\[2\]\.phrasess: unknown field"):
        load(path)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["items"][0].pop("phrases"), r"items\[0\]: missing field 'phrases'"),
    (lambda d: d["items"][1].update(number="two"), r"items\[1\]\.number: must be int"),
    (lambda d: d["items"][1].update(id="O1"), r"items\[1\]\.id: duplicate id"),
    (lambda d: d["items"][7].update(decoys=["a + "]), r"items\[7\]\.decoys"),
    (lambda d: d.pop("items"), r"file: missing field 'items'"),
])
def test_schema_errors(tmp_path, edit, message):
    with pytest.raises(ChecklistError, match=message):
        load(_broken(tmp_path, edit))


def test_yaml_syntax_error_has_line(tmp_path):
    path = tmp_path / "syntax.yaml"
    path.write_text("name: x\nitems:\n  - id: O1\n   bad: [\n", encoding="utf-8")
    with pytest.raises(ChecklistError, match=r"syntax.yaml:\d+: YAML syntax"):
        load(path)


def test_cli_refuses_broken_checklist_with_one_line(tmp_path):
    path = _broken(tmp_path, lambda d: d["items"][0].update(kind="webpage"))
    proc = run_oit("scan", "http://127.0.0.1:9/", "--checklist", str(path), "--db", str(tmp_path / "x.db"))
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1 and "items[0].kind" in proc.stderr and "Traceback" not in proc.stderr
    ok = run_oit("check-checklist")
    assert ok.returncode == 0 and "43 items" in ok.stdout


def test_second_year_is_just_another_file(tmp_path):
    path = _broken(tmp_path, lambda d: d.update(name="OIT 2566 (test)", assessment_year=2566,
                                                items=d["items"][:3]))
    c = load(path)
    assert c.year == 2566 and len(c.items) == 3
    assert ROOT.joinpath("checklists").is_dir()
