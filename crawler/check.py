"""Candidates to facts: open each candidate URL once and say what it is (I/O).

A page must open with real content (no placeholder, no 404 text), a document is read (text, or at
least its name and link), an off-site link gets one request. What an item's candidates turned out
to be (`ItemFacts`) goes to the verdict, which decides nothing here.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from typing import Protocol

from .checklist import Checklist, Item
from .config import Settings
from .content import doubt, names_other
from .crawl import fill
from .decode import decode
from .documents import DocText, read_text_isolated
from .fetch import Fetcher
from .match import REVIEW, rank
from .models import Candidate, CrawlResult, Facts, ItemFacts, Page, PageRecord, error_th
from .parse import parse
from .patterns import first_match
from .thai import key
from .urls import canonical, in_scope, is_document

MAX_TRIED = 6  # candidates opened per item at most
MAX_EVIDENCE = 3  # usable candidates kept per item
NOT_CHECKED = "ไม่ได้ตรวจ: หมดเวลาของการตรวจเว็บไซต์ (--time-limit)"  # the site's time ran out before this URL


def _cached_text(row: dict) -> DocText:
    """A document's text as a former run read it."""
    return DocText(row["kind"], row["text"] or "", row["pages"] or 0, bool(row["scanned"]), bool(row["truncated"]),
                   row["error"])


class DocumentCache(Protocol):
    """Where document texts are kept between runs, by URL (the store implements it)."""

    def get(self, url: str) -> dict | None: ...

    def put(self, url: str, row: dict) -> None: ...


class NoCache:
    """No documents kept between runs."""

    def get(self, url: str) -> dict | None:
        return None

    def put(self, url: str, row: dict) -> None:
        pass


def page_problem(checklist: Checklist, page: Page) -> str | None:
    """Why a fetched page is not real evidence (placeholder, 404 text, empty), or None."""
    head_key = key(" ".join([page.title, *page.headings[:2]]))
    nf = first_match(checklist.not_found, head_key)
    if nf:
        return "หน้านี้แจ้งว่าไม่พบข้อมูล (หน้า 404 ที่ตอบว่าเปิดได้)"
    content_key = key(page.content)
    ph = first_match(checklist.placeholders, content_key)
    if ph and len(content_key) < 800:
        return "หน้ายังไม่มีข้อมูล (กำลังปรับปรุง)"
    if len(content_key) < 20 and not page.forms and not page.links:
        return "หน้าว่าง ไม่มีเนื้อหา"
    return None


class Checker:
    """Opens candidate URLs once each and gathers what an item's candidates turned out to be."""

    def __init__(self, checklist: Checklist, crawl: CrawlResult, fetcher: Fetcher, check_offsite: bool,
                 settings: Settings, documents: DocumentCache | None = None, year: int | None = None,
                 deadline: float | None = None):
        self.checklist, self.crawl, self.fetcher = checklist, crawl, fetcher
        self.deadline = deadline  # time.monotonic() by which the site's time limit runs out: no URL opened after
        self.not_checked: set[str] = set()
        self.year = year or checklist.year  # the assessed year: its own index's candidates are tried first
        self.check_offsite, self.settings = check_offsite, settings
        self.documents = documents or NoCache()
        self._cache: dict[str, Facts] = {}
        self._ranked: dict[str, list[Candidate]] = {}
        self.site_links = sorted({link.url for r in crawl.pages.values() if r.page for link in r.page.links})

    def ranked(self, item: Item) -> list[Candidate]:
        """The item's candidates, best first (see match.rank), ranked once."""
        if item.id not in self._ranked:
            self._ranked[item.id] = rank(self.crawl.candidates, item, self.crawl.site, self.year)
        return self._ranked[item.id]

    def to_try(self, item: Item) -> list[Candidate]:
        """The candidates `gather` may open for the item, in order: good enough for review, MAX_TRIED at most."""
        return [c for c in self.ranked(item) if c.score >= REVIEW][:MAX_TRIED]

    async def prefetch(self, items: tuple[Item, ...] | list[Item]) -> None:
        """Open side by side the candidates every item opens in any case (its first MAX_EVIDENCE), within the
        fetcher's per-server limits: the check step's requests do not wait for one another. Facts are the same."""
        urls = dict.fromkeys(c.url for item in items for c in self.to_try(item)[:MAX_EVIDENCE])
        await asyncio.gather(*(self.check(url) for url in urls), return_exceptions=True)  # gather says its own

    async def gather(self, item: Item) -> ItemFacts:
        """Open the item's best candidates until enough are usable; keep the rejected ones too."""
        ranked = self.ranked(item)
        checked: list[tuple[Candidate, Facts]] = []
        usable = 0
        for cand in self.to_try(item):
            facts = await self.check(cand.url)
            checked.append((cand, facts))
            usable += facts.ok is not False
            if usable >= MAX_EVIDENCE:
                break
        listings, doubts = {}, {}
        for cand, facts in checked:
            if facts.ok is False:
                continue
            listing = self.crawl.pages.get(cand.found_on)  # the page that lists it: months of O23 are there
            if listing is not None and listing.page is not None:
                listings[cand.found_on] = listing.page.content
            why = doubt(self.checklist, item, cand.text, facts.page, cand.source)
            if not why and not cand.strong:
                why = names_other(self.checklist, item, cand.text)
            if why:
                doubts[cand.url] = why
        return ItemFacts(item.id, ranked, checked, listings, self.site_links, self.crawl.stop_reason, doubts)

    async def check(self, url: str) -> Facts:
        if url not in self._cache:
            left = None if self.deadline is None else self.deadline - time.monotonic()
            if left is not None and left <= 0:
                facts = Facts(None, NOT_CHECKED, checked=False)
            else:
                try:
                    facts = await asyncio.wait_for(self._check(url), left)
                except TimeoutError:
                    facts = Facts(None, NOT_CHECKED, checked=False)
            if facts.note == NOT_CHECKED:
                self.not_checked.add(url)
            self._cache[url] = facts
        return self._cache[url]

    async def _check(self, url: str) -> Facts:
        if not in_scope(url, self.crawl.site):
            return await self._offsite(url)
        if is_document(url):
            return await self._document(url)
        record = self.crawl.pages.get(canonical(url))
        if record is None:
            return await self._fetch_page(url)
        return self._page_facts(record)

    def _page_facts(self, record: PageRecord) -> Facts:
        if record.error:
            return Facts(False, error_th(record.error, record.status))
        if record.page is None:
            if record.content_type and "html" not in record.content_type:
                return Facts(True, f"เอกสาร {record.content_type}")
            return Facts(False, "ไม่มีเนื้อหา")
        problem = page_problem(self.checklist, record.page)
        return Facts(False, problem, record.page) if problem else Facts(True, "เปิดได้ มีเนื้อหา", record.page)

    async def _fetch_page(self, url: str) -> Facts:
        resp = await self.fetcher.request(url)
        record = PageRecord(url, -1, [], None)
        fill(record, resp)
        if resp.ok and "html" in (resp.content_type or "text/html"):
            text, record.encoding = decode(resp.content, resp.headers.get("content-type"))
            record.page = parse(resp.final_url, text)
        return self._page_facts(record)

    async def _document(self, url: str) -> Facts:
        """Download a capped part of the document (unless unchanged since the last run) and read it."""
        cached = self.documents.get(url)
        extra = {}
        if cached and cached.get("etag"):
            extra["If-None-Match"] = cached["etag"]
        if cached and cached.get("last_modified"):
            extra["If-Modified-Since"] = cached["last_modified"]
        resp = await self.fetcher.request(url, cap=self.settings.doc_bytes, retries=1, extra=extra)
        if resp.status == 304 and cached:
            doc = _cached_text(cached)
            return Facts(True, f"เอกสาร {cached['content_type'] or ''} (ไม่เปลี่ยนแปลงตั้งแต่ครั้งก่อน)", doc=doc)
        if resp.error and not resp.status:
            return Facts(False, f"เปิดเอกสารไม่ได้: {error_th(resp.error)}")
        if resp.status >= 400:
            return Facts(False, f"เอกสารเปิดไม่ได้: {error_th(None, resp.status)}")
        if "html" in resp.content_type and not resp.content.lstrip().startswith(b"%PDF"):
            return Facts(False, "ลิงก์เอกสารได้หน้าเว็บแทนไฟล์")
        if not resp.content:
            return Facts(False, "เอกสารว่างเปล่า (0 ไบต์)")
        digest = hashlib.sha1(resp.content).hexdigest()
        if cached and cached.get("sha1") == digest:  # the same bytes as last night (no ETag): its text is known
            doc = _cached_text(cached)
        else:
            doc = await read_text_isolated(resp.content, resp.content_type, url)  # a reader process, killed on timeout
            self.documents.put(url, {
                "etag": resp.headers.get("etag"), "last_modified": resp.headers.get("last-modified"),
                "content_type": resp.content_type, "bytes": len(resp.content), "kind": doc.kind,
                "text": doc.text[:100_000], "pages": doc.pages, "scanned": int(doc.scanned),
                "truncated": int(doc.truncated or resp.truncated), "error": doc.error,
                "sha1": digest if len(doc.text) <= 100_000 else None,  # kept whole: the same bytes give this text
            })
        note = f"เอกสาร {doc.kind.upper()} {len(resp.content):,} ไบต์"
        if doc.scanned:
            note += "; เป็นภาพสแกน อ่านวันที่ได้จากชื่อไฟล์และข้อความลิงก์เท่านั้น"
        elif doc.error:
            note += f"; อ่านข้อความไม่ได้ ({doc.error})"
        return Facts(True, note, doc=doc)

    async def _offsite(self, url: str) -> Facts:
        if not self.check_offsite:
            return Facts(None, "ลิงก์ภายนอก ไม่ได้ตรวจ (สแกนเว็บในเครือข่ายภายใน)", checked=False)
        resp = await self.fetcher.request(url, cap=self.settings.offsite_bytes, retries=0)
        if resp.status in (401, 403) or "login" in resp.final_url.lower():
            return Facts(None, "ลิงก์ภายนอกต้องเข้าสู่ระบบ (ไม่ใช่ลิงก์เสีย)")
        if resp.status in (404, 410):
            return Facts(False, f"ลิงก์ภายนอกเสีย: {error_th(None, resp.status)}")
        if resp.ok:
            return Facts(True, "ลิงก์ภายนอกเปิดได้")
        return Facts(None, f"ตรวจลิงก์ภายนอกไม่ได้: {error_th(resp.error, resp.status)}", checked=False)
