"""Facts to a verdict: an item's status, reason, evidence, period and missing elements. Pure.

Statuses: found, review, stale (evidence of another period), broken (the only evidence does not open
or is empty), missing; `pending` (applied after `decide`) makes a missing or stale item whose period has not
ended on the scan date not_due. The period is judged from every date the evidence shows; required elements
are looked for in the chosen evidence.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import replace

from .checklist import Item
from .dates import Mention, mentions, mentions_in_url
from .elements import Evidence as ElementEvidence
from .elements import missing as missing_elements
from .match import FOUND, other_year
from .models import Candidate, Evidence, Facts, ItemFacts, ItemResult, PeriodVerdict
from .period import judge, not_yet_due, previous_period
from .urls import readable

NEAR_BEST = 0.1  # a current candidate this close to the best one is preferred to a stale best


def period(item: Item, cand: Candidate, facts: Facts, year: int) -> PeriodVerdict:
    """The item's period, judged from the evidence's own data before the words that name it.

    Groups in order: the document's and the page's content (without its heading, which names
    the item and is repeated in lists and paragraphs), then the link text and the page's title,
    then the file name or URL; the first group that dates anything decides. For items that must
    be current, bare years in the content are left out: they are years of laws and founding, not
    of the data.
    """
    page = facts.page
    data: list[tuple[str, list[Mention]]] = []
    if facts.doc is not None and facts.doc.text:
        data.append(("เนื้อหาเอกสาร", mentions(facts.doc.text)))
    if page is not None:
        body = page.content
        for heading in page.headings[:1]:
            body = body.replace(heading, " ") if len(heading) >= 4 else body  # the label, not the data
        data.append(("เนื้อหาหน้า", mentions(body)))
    if item.period == "current":
        data = [(name, [m for m in ms if m.kind != "year"]) for name, ms in data]
    named = [("ข้อความลิงก์", mentions(cand.text))]
    if page is not None:
        named.append(("ชื่อหน้า", mentions(" ".join([page.title, *page.headings[:1]]))))
    groups = [data, named, [("ชื่อไฟล์/URL", mentions_in_url(cand.url))]]
    for group in groups:
        if any(ms for _, ms in group):
            return judge(item.period, year, group)
    return judge(item.period, year, [])


def lacking(item: Item, facts: Facts, found_mentions: list[Mention], site_links: list[str], year: int) -> list[str]:
    """The required elements the evidence does not show."""
    if not item.requires:
        return []
    ev = ElementEvidence(facts.text, facts.page, found_mentions, site_links)
    return missing_elements(item.requires, ev, year)


def decide(item: Item, facts: ItemFacts, year: int) -> ItemResult:
    """The item's result from what its candidates turned out to be."""
    usable = [(c, f, period(item, c, f, year)) for c, f in facts.checked if f.ok is not False]
    rejected = [(c, f) for c, f in facts.checked if f.ok is False]
    if not usable:  # a broken item carries the links to fix, with what opening them gave (HTTP status)
        status = "broken" if rejected else "missing"
        return ItemResult(item.id, item.title, status, missing_reason(facts, rejected), 0.0,
                          [_evidence(c, f) for c, f in rejected])
    own = [u for u in usable if not other_year(u[0], year)]  # another year's index comes after this year's
    usable = own + [u for u in usable if other_year(u[0], year)]
    best_score = usable[0][0].score
    current = [u for u in own if u[2].status != "stale" and u[0].score >= best_score - NEAR_BEST]
    if current and current[0] is not usable[0]:
        usable.remove(current[0])
        usable.insert(0, current[0])  # prefer the current one
    memo: dict[int, list[str]] = {}

    def lacks_of(u: tuple[Candidate, Facts, PeriodVerdict]) -> list[str]:
        """The elements a usable candidate lacks, read once and only when asked (dates in long texts cost)."""
        if id(u) not in memo:
            memo[id(u)] = _lacks(item, u[0], u[1], facts, year)
        return memo[id(u)]

    fuller = _fuller(usable, lacks_of, year)
    if fuller is not usable[0]:
        usable.remove(fuller)
        usable.insert(0, fuller)  # as good a candidate that shows more of what the item requires
    cand, chosen, verdict = usable[0]
    lacks = lacks_of(usable[0])
    evidence = [_evidence(c, f) for c, f, _ in usable]
    status = "found" if cand.score >= FOUND else "review"
    reason = found_reason(cand, chosen.note, status)
    doubt = facts.doubts.get(cand.url)  # a heading without the content: an empty list, a test row ...
    if doubt and status == "found":
        status, reason = "review", f"ควรตรวจด้วยตนเอง: {doubt}; {reason}"
    if status == "found" and not any(f.checked for _, f, _ in usable):  # nothing of it was seen to answer
        status = "review"
        reason = f"ควรตรวจด้วยตนเอง: หลักฐานยังไม่ได้ตรวจว่าเปิดได้ ({chosen.note}); '{cand.text[:60]}'"
    if other_year(cand, year):  # only under another assessment year's ITA/OIT index: never this year's evidence
        status = "stale"
        reason = (f"พบในหน้ารวมข้อมูล ITA ปี {cand.index_year} ต้องเป็นของปี {year} "
                  f"('{cand.text[:60]}', {' > '.join(cand.click_path[-3:])})")
    elif verdict.status == "stale" and status == "found":  # surely the item, only its period is wrong
        status, reason = "stale", f"{verdict.reason} ('{cand.text[:60]}', พบที่{verdict.where})"
    elif verdict.status == "stale":  # not surely the item: an old date does not make it the item out of date
        reason += f"; {verdict.reason} (พบที่{verdict.where})"
    elif lacks and status == "found":
        status = "review"
        reason = f"พบ '{cand.text[:60]}' แต่ยังขาด: {', '.join(lacks)}; {chosen.note}"
    if lacks and status != "found" and "ยังขาด" not in reason:
        reason += f"; ยังขาด: {', '.join(lacks)}"
    if status != "found":  # a link as sure that does not open: the admin fixes it
        evidence += [_evidence(c, f) for c, f in rejected if c.score >= cand.score]
    return ItemResult(item.id, item.title, status, reason, cand.score, evidence, verdict, lacks)


def _evidence(cand: Candidate, facts: Facts) -> Evidence:
    return Evidence(cand.url, cand.found_on, cand.text, cand.click_path, cand.score, cand.terms, facts.note)


def _lacks(item: Item, cand: Candidate, chosen: Facts, facts: ItemFacts, year: int) -> list[str]:
    """The required elements a candidate does not show (its listing page counts for months)."""
    if not item.requires:
        return []
    listed = facts.listings.get(cand.found_on, "")
    return lacking(item, chosen, mentions(" ".join([cand.text, chosen.text, listed])), facts.site_links, year)


def _fuller(usable: list[tuple[Candidate, Facts, PeriodVerdict]],
            lacks_of: Callable[[tuple[Candidate, Facts, PeriodVerdict]], list[str]], year: int,
            ) -> tuple[Candidate, Facts, PeriodVerdict]:
    """The first candidate, or when it is not sure (review) one as good (same class, score near, period no worse)
    lacking fewer elements."""
    first = usable[0]
    best = first
    if first[0].score >= FOUND:
        return first
    for u in usable[1:]:
        same = other_year(u[0], year) == other_year(first[0], year) and u[0].score >= first[0].score - NEAR_BEST
        no_worse = u[2].status != "stale" or first[2].status == "stale"
        if same and no_worse and u[0].strong >= first[0].strong and len(lacks_of(u)) < len(lacks_of(best)):
            best = u
    return best


def found_reason(cand: Candidate, note: str, status: str) -> str:
    """Why a candidate was taken: the words that matched and what checking it showed."""
    terms = ", ".join(cand.terms[:3])
    if status == "found":
        return f"พบ '{cand.text[:60]}' ({terms}); {note}"
    return f"ควรตรวจด้วยตนเอง: '{cand.text[:60]}' ตรงเพียงบางส่วน ({terms}); {note}"


def missing_reason(facts: ItemFacts, rejected: list[tuple[Candidate, Facts]]) -> str:
    """Why nothing usable was found: the candidate that failed, or the nearest one and the crawl's limits."""
    if rejected:
        cand, checked = rejected[0]
        return f"พบลิงก์ '{cand.text[:60]}' ({readable(cand.url)}) แต่ใช้เป็นหลักฐานไม่ได้: {checked.note}"
    reason = "ไม่พบลิงก์หรือหน้าที่ตรงกับข้อนี้จากหน้าแรก"
    if facts.ranked:
        reason += f"; ใกล้เคียงที่สุดคือ '{facts.ranked[0].text[:60]}' (คะแนน {facts.ranked[0].score:.2f})"
    if facts.stop_reason != "done":
        reason += f"; การสำรวจหยุดก่อนครบ ({facts.stop_reason}) อาจอยู่นอกขอบเขตที่สำรวจ"
    return reason


def pending(item: Item, result: ItemResult, year: int, today: datetime.date) -> ItemResult:
    """Applied after `decide`: an item whose period has not ended on the scan date (a six-month report in
    December) is `not_due` instead of missing or stale; the reason says when it falls due and what the previous
    period's evidence looks like, whose URL stays the evidence. Found, review and broken stay as they are."""
    due = not_yet_due(item.period, year, today)
    if due is None or result.status not in ("missing", "stale"):
        return result
    before_year, before = previous_period(item.period, year)
    if result.status == "missing" or not result.evidence:
        note = f"ยังไม่พบหลักฐานของรอบก่อน ({before}) ด้วย"
    else:
        top = result.evidence[0]
        shown = f"'{top.text[:60]}' {readable(top.url)}"
        verdict = result.period
        if verdict is not None and verdict.found_year == before_year:
            note = f"หลักฐานของรอบก่อน ({before}): {shown}"
        else:
            found = f" ({verdict.found})" if verdict is not None and verdict.found else ""
            note = f"หลักฐานล่าสุดที่พบ: {shown}{found} ยังไม่ใช่ของรอบก่อน ({before})"
    return replace(result, status="not_due", reason=f"{due}; {note}")
