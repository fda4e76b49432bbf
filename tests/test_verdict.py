"""The verdict is pure: plain facts in, an item's status, reason, period and missing elements out."""

import pytest

from crawler.checklist import load
from crawler.models import PERIODS, Candidate, Facts, ItemFacts, Page
from crawler.period import RULES, expected_window, rule
from crawler.verdict import decide

Y = 2565
CHECKLIST = load()
ITEMS = {i.id: i for i in CHECKLIST.items}


def cand(item: str, url: str, score: float, text: str, found_on: str = "http://x.go.th/") -> Candidate:
    return Candidate(item, url, score, ("phrase",), found_on, text, ["หน้าแรก", text], 1, 1)


def page(url: str, title: str, content: str) -> Page:
    return Page(url=url, title=title, headings=[title], text=content, links=[], content=content)


def facts(item: str, checked, ranked=None, stop="done", listings=None, links=None) -> ItemFacts:
    ranked = ranked if ranked is not None else [c for c, _ in checked]
    return ItemFacts(item, ranked, checked, listings or {}, links or [], stop)


def test_nothing_matched_is_missing_with_the_nearest_and_the_crawl_limit():
    near = cand("O10", "http://x.go.th/plan", 0.3, "แผนงาน")
    r = decide(ITEMS["O10"], facts("O10", [], ranked=[near], stop="max_pages"), Y)
    assert r.status == "missing" and r.evidence == []
    assert "แผนงาน" in r.reason and "max_pages" in r.reason


def test_only_evidence_that_does_not_open_is_broken():
    c = cand("O1", "http://x.go.th/org", 1.0, "โครงสร้างองค์กร")
    r = decide(ITEMS["O1"], facts("O1", [(c, Facts(False, "เปิดไม่ได้: HTTP 404"))]), Y)
    assert r.status == "broken" and "HTTP 404" in r.reason


def test_confident_current_evidence_is_found_and_a_partial_match_is_review():
    c = cand("O1", "http://x.go.th/org", 1.0, "โครงสร้างองค์กร")
    f = Facts(True, "เปิดได้", page("http://x.go.th/org", "โครงสร้าง", "แผนผังโครงสร้าง ปีงบประมาณ 2565"))
    found = decide(ITEMS["O1"], facts("O1", [(c, f)]), Y)
    assert found.status == "found" and found.evidence[0].url == c.url and found.period.found_year == 2565
    weak = cand("O1", "http://x.go.th/org", 0.6, "ผัง")
    assert decide(ITEMS["O1"], facts("O1", [(weak, f)]), Y).status == "review"


def test_evidence_of_another_year_is_stale_with_both_years_in_the_reason():
    c = cand("O10", "http://x.go.th/plan63", 1.0, "แผนดำเนินงาน")
    f = Facts(True, "เปิดได้", page(c.url, "แผนดำเนินงาน", "แผนดำเนินงานประจำปีงบประมาณ 2563"))
    r = decide(ITEMS["O10"], facts("O10", [(c, f)]), Y)
    assert r.status == "stale" and "2563" in r.reason and "2565" in r.reason


def test_a_current_candidate_near_the_best_is_preferred_to_a_stale_best():
    old = cand("O10", "http://x.go.th/plan63", 1.0, "แผนดำเนินงาน 2563")
    new = cand("O10", "http://x.go.th/plan65", 0.95, "แผนดำเนินงาน 2565")
    r = decide(ITEMS["O10"], facts("O10", [
        (old, Facts(True, "ok", page(old.url, "แผน", "ประจำปีงบประมาณ 2563"))),
        (new, Facts(True, "ok", page(new.url, "แผน", "ประจำปีงบประมาณ 2565")))]), Y)
    assert r.status == "found" and r.evidence[0].url == new.url and len(r.evidence) == 2


def test_missing_required_elements_turn_found_into_review_naming_them():
    c = cand("O5", "http://x.go.th/contact", 1.0, "ติดต่อเรา")
    f = Facts(True, "ok", page(c.url, "ติดต่อเรา", "ที่อยู่ 99 หมู่ 1 ตำบลหนึ่ง โทรศัพท์ 054-123456"))
    r = decide(ITEMS["O5"], facts("O5", [(c, f)]), Y)
    assert r.status == "review"
    assert "อีเมล" in r.missing_elements and "ที่อยู่" not in r.missing_elements


def test_rejected_candidates_are_skipped_when_another_is_usable():
    bad = cand("O1", "http://x.go.th/dead", 1.0, "โครงสร้าง")
    good = cand("O1", "http://x.go.th/org", 0.9, "โครงสร้างองค์กร")
    r = decide(ITEMS["O1"], facts("O1", [(bad, Facts(False, "404")),
                                         (good, Facts(True, "ok", page(good.url, "โครงสร้าง", "ผัง")))]), Y)
    assert r.status == "found" and [e.url for e in r.evidence] == [good.url]


def test_one_rule_per_period_and_an_unknown_period_is_a_clear_error():
    assert set(RULES) == set(PERIODS)
    assert expected_window("exists", Y) is None
    lo, hi = expected_window("first_half", Y)
    assert (lo.year, lo.month, hi.year, hi.month) == (2021, 10, 2022, 3)
    with pytest.raises(ValueError, match="unknown period"):
        rule("sometimes")


# -- real sites: no false stale, broken items carry their link, fuller review evidence --------------------------

def test_a_weak_candidate_with_an_old_date_is_review_never_stale():
    news = cand("O26", "http://x.go.th/news?id=259", 0.55, "โครงการอบรมให้ความรู้เรื่องขยะเป็นปุ๋ย")
    f = Facts(True, "เปิดได้", page(news.url, "โครงการอบรม", "เมื่อวันที่ 24 มีนาคม 2557 เทศบาลจัดโครงการอบรม"))
    r = decide(ITEMS["O26"], facts("O26", [(news, f)]), Y)
    assert r.status == "review" and "2557" in r.reason  # the old date is said, the admin is not sent to update it
    sure = cand("O26", "http://x.go.th/hrd", 1.0, "แผนพัฒนาบุคลากร")
    assert decide(ITEMS["O26"], facts("O26", [(sure, f)]), Y).status == "stale"


def test_a_doubted_candidate_with_an_old_date_is_review_never_stale():
    c = cand("O7", "http://x.go.th/prspend", 1.0, "ประชาสัมพันธ์งบประมาณรายจ่าย")
    f = Facts(True, "เปิดได้", page(c.url, "ประชาสัมพันธ์งบประมาณรายจ่าย", "งบประมาณรายจ่ายประจำปี 2561"))
    item_facts = facts("O7", [(c, f)])
    item_facts.doubts[c.url] = "ชื่อลิงก์ระบุเรื่องอื่นชัดกว่า (O18: งบประมาณรายจ่าย)"
    r = decide(ITEMS["O7"], item_facts, Y)
    assert r.status == "review" and "O18" in r.reason


def test_a_broken_item_carries_the_link_to_fix_with_its_http_status():
    c = cand("O14", "http://x.go.th/servicestandard.php", 1.0, "มาตรฐานการให้บริการ")
    r = decide(ITEMS["O14"], facts("O14", [(c, Facts(False, "ไม่พบหน้านี้ (ลิงก์เสีย) (HTTP 404)"))]), Y)
    assert r.status == "broken"
    assert [e.url for e in r.evidence] == [c.url] and "HTTP 404" in r.evidence[0].check
    assert r.evidence[0].click_path == ["หน้าแรก", "มาตรฐานการให้บริการ"]


def test_among_review_candidates_the_one_showing_the_required_form_comes_first():
    contact = cand("O32", "http://x.go.th/contact.php", 0.5, "ติดต่อเรา")
    appeal = cand("O32", "http://x.go.th/appeal.php", 0.5, "ช่องทางร้องทุกข์")
    plain = Facts(True, "เปิดได้", page(contact.url, "ติดต่อเรา", "ที่อยู่ หมู่ 16 โทร 042 854 034"))
    with_form = page(appeal.url, "ช่องทางร้องทุกข์", "ชื่อ ที่อยู่ ข้อมูลการร้องเรียน")
    with_form.forms, with_form.inputs = 1, 3
    r = decide(ITEMS["O32"], facts("O32", [(contact, plain), (appeal, Facts(True, "เปิดได้", with_form))]), Y)
    assert r.status == "review" and r.evidence[0].url == appeal.url and r.missing_elements == []
    sure = cand("O32", "http://x.go.th/opinion", 1.0, "แสดงความคิดเห็น")
    r = decide(ITEMS["O32"], facts("O32", [(sure, plain), (appeal, Facts(True, "เปิดได้", with_form))]), Y)
    assert r.evidence[0].url == sure.url  # a sure candidate is not swapped for a partial one


@pytest.mark.parametrize("note", ["ลิงก์ภายนอก ไม่ได้ตรวจ (สแกนเว็บในเครือข่ายภายใน)",
                                  "ตรวจลิงก์ภายนอกไม่ได้: เชื่อมต่อไม่ได้",
                                  "ไม่ได้ตรวจ: หมดเวลาของการตรวจเว็บไซต์ (--time-limit)"],
                         ids=["offsite-local-scan", "offsite-unreachable", "time-limit"])
def test_evidence_that_could_not_be_checked_is_review_with_the_reason(note):
    """An item whose only evidence is an off-site link not checked (or not checked in time) is not `found`."""
    c = cand("O1", "https://www.facebook.com/org-chart", 1.0, "โครงสร้างองค์กร")
    r = decide(ITEMS["O1"], facts("O1", [(c, Facts(None, note, checked=False))]), Y)
    assert r.status == "review" and note in r.reason, r
    login = Facts(None, "ลิงก์ภายนอกต้องเข้าสู่ระบบ (ไม่ใช่ลิงก์เสีย)")  # it answered: a live link behind a login
    assert decide(ITEMS["O1"], facts("O1", [(c, login)]), Y).status == "found"
    opened = cand("O1", "http://x.go.th/org", 0.9, "โครงสร้างองค์กร")
    f = Facts(True, "เปิดได้", page("http://x.go.th/org", "โครงสร้าง", "แผนผังโครงสร้าง ปีงบประมาณ 2565"))
    assert decide(ITEMS["O1"], facts("O1", [(c, Facts(None, note, checked=False)), (opened, f)]), Y).status == "found"
