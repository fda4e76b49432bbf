"""Candidates to verified evidence: each item gets a status, its evidence and a reason."""

from __future__ import annotations

from dataclasses import dataclass, field

from .checklist import Checklist, Item
from .crawl import Candidate, CrawlResult, PageRecord
from .decode import decode
from .fetch import Fetcher
from .match import FOUND, REVIEW, Hit, is_decoy
from .parse import Page, parse
from .patterns import first_match
from .thai import key
from .urls import canonical, in_scope, is_document, readable

MAX_TRIED = 6
HUB_PENALTY, OFFSITE_PENALTY = 0.2, 0.3
MAX_EVIDENCE = 3
STATUSES = ("found", "review", "missing", "stale", "broken")  # stale and broken: the period and link checks


@dataclass
class Evidence:
    url: str
    found_on: str
    text: str
    click_path: list[str]
    score: float
    terms: tuple[str, ...]
    check: str


@dataclass
class ItemResult:
    id: str
    title: str
    status: str
    reason: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)


def page_problem(checklist: Checklist, page: Page) -> str | None:
    """Why a fetched page is not real evidence (placeholder, 404 text, empty), or None."""
    head_key = key(" ".join([page.title, *page.headings[:2]]))
    nf = first_match(checklist.not_found, head_key)
    if nf:
        return f"หน้าแจ้งว่าไม่พบข้อมูล ({nf.source}) แม้ตอบ 200"
    content_key = key(page.content)
    ph = first_match(checklist.placeholders, content_key)
    if ph and len(content_key) < 800:
        return f"หน้ายังไม่มีข้อมูลจริง: '{ph.source}'"
    if len(content_key) < 20 and not page.forms and not page.links:
        return "หน้าว่าง ไม่มีเนื้อหา"
    return None


class Verifier:
    """Checks candidate URLs once each: fetched pages, documents by HEAD, off-site by one GET."""

    def __init__(self, checklist: Checklist, crawl: CrawlResult, fetcher: Fetcher, check_offsite: bool):
        self.checklist, self.crawl, self.fetcher = checklist, crawl, fetcher
        self.check_offsite = check_offsite
        self._cache: dict[str, tuple[bool | None, str]] = {}

    async def check(self, url: str) -> tuple[bool | None, str]:
        """(True, note) usable; (False, why) not; (None, note) exists but could not be checked."""
        if url not in self._cache:
            self._cache[url] = await self._check(url)
        return self._cache[url]

    async def _check(self, url: str) -> tuple[bool | None, str]:
        if not in_scope(url, self.crawl.site):
            return await self._offsite(url)
        if is_document(url):
            return await self._document(url)
        record = self.crawl.pages.get(canonical(url))
        if record is None:
            return await self._fetch_page(url)
        return self._judge(record)

    def _judge(self, record: PageRecord) -> tuple[bool | None, str]:
        if record.error:
            return False, f"เปิดไม่ได้: {record.error}"
        if record.page is None:
            if record.content_type and "html" not in record.content_type:
                return True, f"เอกสาร {record.content_type}"
            return False, "ไม่มีเนื้อหา"
        problem = page_problem(self.checklist, record.page)
        return (False, problem) if problem else (True, "เปิดได้ มีเนื้อหา")

    async def _fetch_page(self, url: str) -> tuple[bool | None, str]:
        resp = await self.fetcher.request(url)
        record = PageRecord(url, -1, [], None, status=resp.status, final_url=resp.final_url,
                            content_type=resp.content_type, size=len(resp.content),
                            error=resp.error or (f"HTTP {resp.status}" if resp.status >= 400 else None))
        if resp.ok and "html" in (resp.content_type or "text/html"):
            text, record.encoding = decode(resp.content, resp.headers.get("content-type"))
            record.page = parse(resp.final_url, text)
        return self._judge(record)

    async def _document(self, url: str) -> tuple[bool | None, str]:
        resp = await self.fetcher.request(url, method="HEAD", retries=1)
        if resp.status in (403, 405, 501) or (resp.ok and not resp.content_type):
            resp = await self.fetcher.request(url, cap=self.fetcher.settings.doc_probe_bytes, retries=1,
                                              extra={"Range": "bytes=0-2047"})
        if resp.error and not resp.status:
            return False, f"เปิดเอกสารไม่ได้: {resp.error}"
        if resp.status >= 400:
            return False, f"เอกสารเปิดไม่ได้: HTTP {resp.status}"
        if "html" in resp.content_type:
            return False, "ลิงก์เอกสารได้หน้าเว็บแทนไฟล์"
        size = resp.headers.get("content-length", "")
        return True, f"เอกสาร {resp.content_type or 'ไม่ระบุชนิด'}" + (f" {size} ไบต์" if size else "")

    async def _offsite(self, url: str) -> tuple[bool | None, str]:
        if not self.check_offsite:
            return None, "ลิงก์ภายนอก ไม่ได้ตรวจ (สแกนเว็บในเครือข่ายภายใน)"
        resp = await self.fetcher.request(url, cap=65_536, retries=0)
        if resp.status in (401, 403) or "login" in resp.final_url.lower():
            return None, "ลิงก์ภายนอกต้องเข้าสู่ระบบ"
        if resp.status in (404, 410):
            return False, f"ลิงก์ภายนอกเสีย: HTTP {resp.status}"
        if resp.ok:
            return True, "ลิงก์ภายนอกเปิดได้"
        return None, f"ตรวจลิงก์ภายนอกไม่ได้: {resp.error or resp.status}"

    async def item(self, item: Item) -> ItemResult:
        ranked = rank(self.crawl.candidates, item, self.crawl.site)
        usable: list[tuple[Candidate, str]] = []
        rejected: list[tuple[Candidate, str]] = []
        for cand in [c for c in ranked if c.score >= REVIEW][:MAX_TRIED]:
            ok, note = await self.check(cand.url)
            (rejected if ok is False else usable).append((cand, note))
            if len(usable) >= MAX_EVIDENCE:
                break
        evidence = [Evidence(c.url, c.found_on, c.text, c.click_path, c.score, c.terms, n)
                    for c, n in usable]
        if usable:
            best = usable[0][0]
            status = "found" if best.score >= FOUND else "review"
            reason = _found_reason(best, usable[0][1], status)
            return ItemResult(item.id, item.title, status, reason, best.score, evidence)
        return ItemResult(item.id, item.title, "missing", self._missing_reason(ranked, rejected), 0.0, [])

    def _missing_reason(self, ranked: list[Candidate], rejected: list[tuple[Candidate, str]]) -> str:
        if rejected:
            cand, why = rejected[0]
            return f"พบลิงก์ '{cand.text[:60]}' ({readable(cand.url)}) แต่ใช้เป็นหลักฐานไม่ได้: {why}"
        reason = "ไม่พบลิงก์หรือหน้าที่ตรงกับข้อนี้จากหน้าแรก"
        if ranked:
            reason += f"; ใกล้เคียงที่สุดคือ '{ranked[0].text[:60]}' (คะแนน {ranked[0].score:.2f})"
        if self.crawl.stop_reason != "done":
            reason += f"; การสำรวจหยุดก่อนครบ ({self.crawl.stop_reason}) อาจอยู่นอกขอบเขตที่สำรวจ"
        return reason


def rank(candidates: list[Candidate], item: Item, site: str) -> list[Candidate]:
    """An item's candidates, one per URL, best first.

    A URL that any of its links labels with one of the item's decoys is out. Order by score,
    less a penalty for a hub (a page whose own links name the item as well: the
    link it leads to is the evidence) and for off-site links of items that live on the site (an
    e-GP search is a fallback for the municipality's own procurement page); then shallower, earlier.
    """
    vetoed = {c.url for c in candidates if c.item == item.id and is_decoy(Hit(c.item, c.score, c.terms))}
    best: dict[str, Candidate] = {}
    for c in candidates:
        if c.item != item.id or c.url in vetoed:  # the site calls it something else elsewhere
            continue
        cur = best.get(c.url)
        if cur is None or (c.score, -c.depth, -c.seq) > (cur.score, -cur.depth, -cur.seq):
            best[c.url] = c
    children: dict[str, float] = {}  # best link naming the item, per page it stands on
    for c in best.values():
        if c.source == "link" and (item.kind == "external" or in_scope(c.url, site)):
            children[c.found_on] = max(children.get(c.found_on, 0.0), c.score)

    def order(c: Candidate) -> tuple[float, int, int]:
        score = c.score
        if children.get(c.url, 0.0) >= c.score - 0.1 - 1e-6 and c.url != c.found_on:
            score -= HUB_PENALTY
        if item.kind != "external" and not in_scope(c.url, site):
            score -= OFFSITE_PENALTY
        return (-score, c.depth, c.seq)

    return sorted(best.values(), key=order)


def _found_reason(cand: Candidate, note: str, status: str) -> str:
    terms = ", ".join(cand.terms[:3])
    if status == "found":
        return f"พบ '{cand.text[:60]}' ({terms}); {note}"
    return f"ควรตรวจด้วยตนเอง: '{cand.text[:60]}' ตรงเพียงบางส่วน ({terms}); {note}"


async def verify_all(checklist: Checklist, crawl: CrawlResult, fetcher: Fetcher,
                     check_offsite: bool) -> list[ItemResult]:
    verifier = Verifier(checklist, crawl, fetcher, check_offsite)
    return [await verifier.item(item) for item in checklist.items]
