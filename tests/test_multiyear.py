"""Sites that keep an ITA/OIT page for every assessment year: each year's audit takes its own year's evidence.

Fixtures `multi_year_a` (a menu ITA 2564 / 2565 / 2566, one index table per year) and `multi_year_b` (one
OIT page with a section per year, "OIT ปี 2566" ...); `years.json` says, per assessed year, which items
are found where and which exist only under another year (stale, never found), and which URLs belong to
which year.
"""

from __future__ import annotations

import json
from urllib.parse import unquote, urlsplit

import pytest

from conftest import SITES, scan
from crawler.checklist import for_year, load
from crawler.match import index_year, index_years, is_list_page, rank
from crawler.models import Candidate, Facts, ItemFacts
from crawler.parse import parse
from crawler.verdict import decide

YEAR_SITES = ["multi_year_a", "multi_year_b"]
C65 = load(for_year(2565))


def path_of(url: str) -> str:
    return unquote(urlsplit(url).path)


def _truth(name: str) -> dict:
    return json.loads((SITES / name / "years.json").read_text(encoding="utf-8"))


def _year_of(truth: dict, path: str | None) -> int | None:
    return next((y for prefix, y in truth["year_of"].items() if path and path.startswith(prefix)), None)


@pytest.mark.parametrize("name, year", [(n, y) for n in YEAR_SITES for y in sorted(_truth(n)["years"])])
def test_each_year_takes_its_own_years_evidence(name, year, site_server, tmp_path):
    truth = _truth(name)
    want = truth["years"][year]
    proc, doc = scan(site_server(name).url, tmp_path, "--year", year)
    assert proc.returncode in (0, 2), proc.stderr
    got = {it["id"]: it for it in doc["items"]}
    checklist = load(for_year(int(year)))
    wrong = []
    for item, url in want["found"].items():
        it = got[item]
        top = path_of(it["evidence"][0]["url"]) if it["evidence"] else None
        if it["status"] != "found" or top != url:
            wrong.append(f"{item} want found {url}, got {it['status']} {top}: {it['reason'][:100]}")
        expect = (it.get("period") or {}).get("expected", "")  # periods are judged for the chosen year
        judged = {"in_year": year, "previous_year": str(int(year) - 1)}.get(checklist.item(item).period)
        if judged and f"ปีงบประมาณ {judged}" not in expect:
            wrong.append(f"{item} period judged for another year: {expect}")
    for item, why in want["stale"].items():
        it = got[item]
        if it["status"] not in ("stale", "missing"):
            wrong.append(f"{item} ({why}) want stale or missing, got {it['status']}: {it['reason'][:100]}")
    stale = [it for it in doc["items"] if it["status"] == "stale" and "หน้ารวมข้อมูล ITA ปี" in it["reason"]]
    assert {it["id"] for it in stale} >= {i for i in want["stale"] if got[i]["status"] != "missing"}
    for it in stale:  # the reason names the year it was found under and the year it must be of
        assert f"ต้องเป็นของปี {year}" in it["reason"], it["reason"]
    for it in doc["items"]:  # another year's evidence is never found, nor offered for review
        top = path_of(it["evidence"][0]["url"]) if it["evidence"] else None
        theirs = _year_of(truth, top)
        if it["status"] in ("found", "review") and theirs not in (None, int(year)):
            wrong.append(f"{it['id']} {it['status']} from the {theirs} index: {top}")
    assert not wrong, "\n".join(wrong)


def test_index_titles_name_their_year_and_item_labels_do_not():
    assert index_years(C65, "ITA 2564") == (2564,)
    assert index_years(C65, "OIT ปี 2566") == (2566,)
    assert index_years(C65, "การประเมิน ITA ประจำปี 2564") == (2564,)
    assert index_years(C65, "การประเมินคุณธรรมและความโปร่งใส (ITA) ประจำปีงบประมาณ พ.ศ. ๒๕๖๕") == (2565,)
    assert index_years(C65, "ITA") == () and index_years(C65, "แผนการดำเนินงาน ประจำปี 2564") == ()
    assert index_years(C65, "O12 รายงานผลการดำเนินงานประจำปี 2564") == ()  # an item's row, not an index
    assert index_years(C65, "รายงานผลการดำเนินงานประจำปี 2564 | ITA Online") == ()
    # nearest first: the card or menu, then the page, then the click path
    assert index_year(C65, ["", "ข้อมูลสาธารณะ", "ITA 2564", "ITA 2565"], 2565) == 2564
    assert index_year(C65, ["ITA 2565 (ข้อมูลปีงบประมาณ 2564)"], 2565) == 2565
    assert index_year(C65, ["หน้าแรก", "ข่าว"], 2565) is None


def _list(title: str) -> str:
    rows = "".join(f'<tr><td>O{n}</td><td><a href="/o{n}.html">คลิก</a></td></tr>' for n in range(1, 8))
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><table>{rows}</table></body></html>"


def test_a_list_of_another_assessment_year_numbers_another_years_items():
    c69 = load(for_year(2569))
    assert is_list_page(C65, parse("http://x.go.th/ita65.html", _list("ITA 2565")))
    assert not is_list_page(C65, parse("http://x.go.th/ita64.html", _list("ITA 2564")))  # earlier: untrusted
    assert not is_list_page(C65, parse("http://x.go.th/ita66.html", _list("OIT ปี 2566")))
    assert not is_list_page(c69, parse("http://x.go.th/ita65.html", _list("การประเมิน ITA ประจำปี 2565")))
    assert is_list_page(c69, parse("http://x.go.th/ita69.html", _list("ITA 2569")))
    assert is_list_page(C65, parse("http://x.go.th/ita.html", _list("ITA")))  # no year: the site's current list


def _cand(url: str, score: float, year: int | None, seq: int, text: str = "โครงสร้าง") -> Candidate:
    return Candidate("O1", url, score, ("โครงสร้าง",), "http://x.go.th/ita.html", text, ["หน้าแรก", text], 2, seq,
                     index_year=year)


def test_rank_puts_the_assessed_years_candidates_first():
    item = C65.item("O1")
    cands = [_cand("http://x.go.th/64/o1.html", 1.1, 2564, 1), _cand("http://x.go.th/65/o1.html", 1.0, 2565, 2),
             _cand("http://x.go.th/about.html", 0.9, None, 3)]
    assert [c.url for c in rank(cands, item, "x.go.th", 2565)] == [
        "http://x.go.th/65/o1.html", "http://x.go.th/about.html", "http://x.go.th/64/o1.html"]
    assert rank(cands, item, "x.go.th")[0].url == "http://x.go.th/64/o1.html"  # no year: scores alone
    # a URL linked from this year's index too is not another year's
    shared = [_cand("http://x.go.th/o1.html", 1.1, 2564, 1), _cand("http://x.go.th/o1.html", 0.9, 2565, 2)]
    best = rank(shared, item, "x.go.th", 2565)
    assert len(best) == 1 and best[0].index_year == 2565 and best[0].score == 1.1
    # a document on a page this year's index links to for the item, though the page was reached via ITA 2564
    page = _cand("http://x.go.th/plan.html", 1.0, 2565, 1)
    pdf = Candidate("O1", "http://x.go.th/plan.pdf", 1.1, ("โครงสร้าง",), "http://x.go.th/plan.html", "โครงสร้าง",
                    ["หน้าแรก", "ITA 2564"], 3, 2, index_year=2564)
    assert [c.index_year for c in rank([page, pdf], item, "x.go.th", 2565)] == [2565, 2565]


def test_verdict_another_years_evidence_is_stale_naming_both_years():
    item = C65.item("O1")
    other = _cand("http://x.go.th/64/o1.html", 1.1, 2564, 1, "O1 โครงสร้าง")
    ok = Facts(True, "เปิดได้ มีเนื้อหา")
    res = decide(item, ItemFacts("O1", [other], [(other, ok)], {}, [], "done", {}), 2565)
    assert res.status == "stale"
    assert "พบในหน้ารวมข้อมูล ITA ปี 2564 ต้องเป็นของปี 2565" in res.reason
    own = _cand("http://x.go.th/65/o1.html", 0.85, 2565, 2, "โครงสร้างองค์กร")
    res = decide(item, ItemFacts("O1", [other, own], [(other, ok), (own, ok)], {}, [], "done", {}), 2565)
    assert res.status == "found" and res.evidence[0].url == own.url
    assert decide(item, ItemFacts("O1", [other], [(other, ok)], {}, [], "done", {}), 2564).status == "found"
