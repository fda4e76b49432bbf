"""Candidates to verified evidence: each item gets a status, its evidence, its period and a reason.

A candidate URL is checked once: a page must open with real content (no placeholder, no 404 text),
a document is read (text, or at least its name and link), an off-site link gets one request.
Then the item's period is judged from every date the evidence shows, and its required elements
are looked for. Statuses: found, review, stale (evidence of another period), broken (the only
evidence does not open or is empty), missing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

from .checklist import Checklist, Item
from .content import attached as content_attached
from .content import doubt as content_doubt
from .crawl import Candidate, CrawlResult, PageRecord, fill
from .dates import Mention, mentions, mentions_in_url
from .decode import decode
from .documents import DocText, read_text
from .elements import Evidence as ElementEvidence
from .elements import missing as missing_elements
from .fetch import Fetcher
from .match import FOUND, REVIEW, Hit, is_decoy
from .parse import Page, parse
from .patterns import first_match
from .period import Verdict, judge
from .thai import key
from .urls import canonical, in_scope, is_document, readable

MAX_TRIED = 6
HUB_PENALTY, OFFSITE_PENALTY = 0.2, 0.3
MAX_EVIDENCE = 3
NEAR_BEST = 0.1  # a current candidate this close to the best one is preferred to a stale best
STATUSES = ("found", "review", "missing", "stale", "broken")


class DocumentCache(Protocol):
    """Where document texts are kept between runs, by URL (the store implements it)."""

    def get(self, url: str) -> dict | None: ...

    def put(self, url: str, row: dict) -> None: ...


class _NoCache:
    def get(self, url: str) -> dict | None:
        return None

    def put(self, url: str, row: dict) -> None:
        pass


@dataclass
class Checked:
    """One candidate URL after checking: usable (True), not (False) or unknown (None)."""

    ok: bool | None
    note: str
    page: Page | None = None
    doc: DocText | None = None

    @property
    def text(self) -> str:
        if self.doc is not None and self.doc.text:
            return self.doc.text
        if self.page is not None:
            return " ".join([self.page.title, *self.page.headings[:3], self.page.content])
        return ""


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
    period: Verdict | None = None
    missing_elements: list[str] = field(default_factory=list)


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
    """Checks candidate URLs once each and turns an item's candidates into its result."""

    def __init__(self, checklist: Checklist, crawl: CrawlResult, fetcher: Fetcher, check_offsite: bool,
                 year: int, documents: DocumentCache | None = None, doc_max_bytes: int = 3_000_000):
        self.checklist, self.crawl, self.fetcher = checklist, crawl, fetcher
        self.check_offsite, self.year = check_offsite, year
        self.documents = documents or _NoCache()
        self.doc_max_bytes = doc_max_bytes
        self._cache: dict[str, Checked] = {}
        self._site_links = sorted({lk for r in crawl.pages.values() if r.page for lk in
                                   (link.url for link in r.page.links)})

    async def check(self, url: str) -> Checked:
        if url not in self._cache:
            self._cache[url] = await self._check(url)
        return self._cache[url]

    async def _check(self, url: str) -> Checked:
        if not in_scope(url, self.crawl.site):
            return await self._offsite(url)
        if is_document(url):
            return await self._document(url)
        record = self.crawl.pages.get(canonical(url))
        if record is None:
            return await self._fetch_page(url)
        return self._judge(record)

    def _judge(self, record: PageRecord) -> Checked:
        if record.error:
            return Checked(False, f"เปิดไม่ได้: {record.error}")
        if record.page is None:
            if record.content_type and "html" not in record.content_type:
                return Checked(True, f"เอกสาร {record.content_type}")
            return Checked(False, "ไม่มีเนื้อหา")
        problem = page_problem(self.checklist, record.page)
        return Checked(False, problem, record.page) if problem else Checked(True, "เปิดได้ มีเนื้อหา", record.page)

    async def _fetch_page(self, url: str) -> Checked:
        resp = await self.fetcher.request(url)
        record = PageRecord(url, -1, [], None)
        fill(record, resp)
        if resp.ok and "html" in (resp.content_type or "text/html"):
            text, record.encoding = decode(resp.content, resp.headers.get("content-type"))
            record.page = parse(resp.final_url, text)
        return self._judge(record)

    async def _document(self, url: str) -> Checked:
        """Download a capped part of the document (unless unchanged since the last run) and read it."""
        cached = self.documents.get(url)
        extra = {}
        if cached and cached.get("etag"):
            extra["If-None-Match"] = cached["etag"]
        if cached and cached.get("last_modified"):
            extra["If-Modified-Since"] = cached["last_modified"]
        resp = await self.fetcher.request(url, cap=self.doc_max_bytes, retries=1, extra=extra)
        if resp.status == 304 and cached:
            doc = DocText(cached["kind"], cached["text"] or "", cached["pages"] or 0, bool(cached["scanned"]),
                          bool(cached["truncated"]), cached["error"])
            return Checked(True, f"เอกสาร {cached['content_type'] or ''} (ไม่เปลี่ยนแปลงตั้งแต่ครั้งก่อน)", doc=doc)
        if resp.error and not resp.status:
            return Checked(False, f"เปิดเอกสารไม่ได้: {resp.error}")
        if resp.status >= 400:
            return Checked(False, f"เอกสารเปิดไม่ได้: HTTP {resp.status}")
        if "html" in resp.content_type and not resp.content.lstrip().startswith(b"%PDF"):
            return Checked(False, "ลิงก์เอกสารได้หน้าเว็บแทนไฟล์")
        if not resp.content:
            return Checked(False, "เอกสารว่างเปล่า (0 ไบต์)")
        doc = await asyncio.to_thread(read_text, resp.content, resp.content_type, url)  # CPU: off the loop
        self.documents.put(url, {
            "etag": resp.headers.get("etag"), "last_modified": resp.headers.get("last-modified"),
            "content_type": resp.content_type, "bytes": len(resp.content), "kind": doc.kind,
            "text": doc.text[:100_000], "pages": doc.pages, "scanned": int(doc.scanned),
            "truncated": int(doc.truncated or resp.truncated), "error": doc.error,
        })
        note = f"เอกสาร {doc.kind.upper()} {len(resp.content):,} ไบต์"
        if doc.scanned:
            note += "; เป็นภาพสแกน อ่านวันที่ได้จากชื่อไฟล์และข้อความลิงก์เท่านั้น"
        elif doc.error:
            note += f"; อ่านข้อความไม่ได้ ({doc.error})"
        return Checked(True, note, doc=doc)

    async def _offsite(self, url: str) -> Checked:
        if not self.check_offsite:
            return Checked(None, "ลิงก์ภายนอก ไม่ได้ตรวจ (สแกนเว็บในเครือข่ายภายใน)")
        resp = await self.fetcher.request(url, cap=65_536, retries=0)
        if resp.status in (401, 403) or "login" in resp.final_url.lower():
            return Checked(None, "ลิงก์ภายนอกต้องเข้าสู่ระบบ (ไม่ใช่ลิงก์เสีย)")
        if resp.status in (404, 410):
            return Checked(False, f"ลิงก์ภายนอกเสีย: HTTP {resp.status}")
        if resp.ok:
            return Checked(True, "ลิงก์ภายนอกเปิดได้")
        return Checked(None, f"ตรวจลิงก์ภายนอกไม่ได้: {resp.error or resp.status}")

    def period(self, item: Item, cand: Candidate, checked: Checked) -> Verdict:
        """The item's period, judged from the evidence's own data before the words that name it.

        Groups in order: the document's and the page's content (without its heading, which names
        the item and is repeated in lists and paragraphs), then the
        link text and the page's title, then the file name or URL; the first group that dates
        anything decides. For items that must be current, bare years in the content are left
        out: they are years of laws and founding, not of the data.
        """
        page = checked.page
        data: list[tuple[str, list[Mention]]] = []
        if checked.doc is not None and checked.doc.text:
            data.append(("เนื้อหาเอกสาร", mentions(checked.doc.text)))
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
                return judge(item.period, self.year, group)
        return judge(item.period, self.year, [])

    def elements(self, item: Item, checked: Checked, verdict_mentions: list[Mention]) -> list[str]:
        if not item.requires:
            return []
        ev = ElementEvidence(checked.text, checked.page, verdict_mentions, self._site_links)
        return missing_elements(item.requires, ev, self.year)

    async def item(self, item: Item) -> ItemResult:
        ranked = rank(self.crawl.candidates, item, self.crawl.site)
        usable: list[tuple[Candidate, Checked, Verdict]] = []
        rejected: list[tuple[Candidate, Checked]] = []
        for cand in [c for c in ranked if c.score >= REVIEW][:MAX_TRIED]:
            checked = await self.check(cand.url)
            if checked.ok is False:
                rejected.append((cand, checked))
                continue
            usable.append((cand, checked, self.period(item, cand, checked)))
            if len(usable) >= MAX_EVIDENCE:
                break
        if not usable:
            status = "broken" if rejected else "missing"
            return ItemResult(item.id, item.title, status, self._missing_reason(ranked, rejected), 0.0, [])
        best_score = usable[0][0].score
        current = [u for u in usable if u[2].status != "stale" and u[0].score >= best_score - NEAR_BEST]
        if current and current[0] is not usable[0]:
            usable.remove(current[0])
            usable.insert(0, current[0])  # prefer the current one
        cand, checked, verdict = usable[0]
        evidence = [Evidence(c.url, c.found_on, c.text, c.click_path, c.score, c.terms, k.note)
                    for c, k, _ in usable]
        listing = self.crawl.pages.get(cand.found_on)  # the page that lists it: months of O23 are there
        listed = listing.page.content if listing is not None and listing.page is not None else ""
        text_mentions = mentions(" ".join([cand.text, checked.text, listed]))
        lacking = self.elements(item, checked, text_mentions)
        status = "found" if cand.score >= FOUND else "review"
        reason = _found_reason(cand, checked.note, status)
        doubt = content_doubt(self.checklist, item, cand.text, checked.page, cand.source)  # content.py hook
        if doubt and status == "found":
            status, reason = "review", f"ควรตรวจด้วยตนเอง: {doubt}; {reason}"
        if verdict.status == "stale":
            status, reason = "stale", f"{verdict.reason} ('{cand.text[:60]}', พบที่{verdict.where})"
        elif lacking and status == "found":
            status = "review"
            reason = f"พบ '{cand.text[:60]}' แต่ยังขาด: {', '.join(lacking)}; {checked.note}"
        elif lacking:
            reason += f"; ยังขาด: {', '.join(lacking)}"
        return ItemResult(item.id, item.title, status, reason, cand.score, evidence, verdict, lacking)

    def _missing_reason(self, ranked: list[Candidate], rejected: list[tuple[Candidate, Checked]]) -> str:
        if rejected:
            cand, checked = rejected[0]
            return f"พบลิงก์ '{cand.text[:60]}' ({readable(cand.url)}) แต่ใช้เป็นหลักฐานไม่ได้: {checked.note}"
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
    children: dict[str, tuple[float, bool]] = {}  # best link naming the item, per page it stands on
    for c in best.values():
        if c.source == "link" and (item.kind == "external" or in_scope(c.url, site)) \
                and not content_attached(c.url):  # content.py: a post's documents do not make it a hub
            children[c.found_on] = max(children.get(c.found_on, (0.0, False)), (c.score, c.strong))

    def order(c: Candidate) -> tuple[float, bool, int, int]:
        score = c.score
        child, child_strong = children.get(c.url, (0.0, False))
        if child >= c.score - 0.1 - 1e-6 and c.url != c.found_on and (child_strong or not c.strong):
            score -= HUB_PENALTY
        if item.kind != "external" and not in_scope(c.url, site):
            score -= OFFSITE_PENALTY
        return (-score, not c.strong, c.depth, c.seq)  # equal scores: the label that names the item first

    return sorted(best.values(), key=order)


def _found_reason(cand: Candidate, note: str, status: str) -> str:
    terms = ", ".join(cand.terms[:3])
    if status == "found":
        return f"พบ '{cand.text[:60]}' ({terms}); {note}"
    return f"ควรตรวจด้วยตนเอง: '{cand.text[:60]}' ตรงเพียงบางส่วน ({terms}); {note}"


async def verify_all(checklist: Checklist, crawl: CrawlResult, fetcher: Fetcher, check_offsite: bool,
                     year: int, documents: DocumentCache | None = None) -> list[ItemResult]:
    verifier = Verifier(checklist, crawl, fetcher, check_offsite, year, documents)
    return [await verifier.item(item) for item in checklist.items]
