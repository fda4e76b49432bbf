"""Crawl one site best-first and collect evidence candidates for every checklist item."""

from __future__ import annotations

import asyncio
import re
import sys
import time
from collections import deque
from collections.abc import Callable
from functools import lru_cache

from . import content
from .checklist import Checklist
from .config import Budget
from .decode import decode
from .fetch import Fetcher, Response
from .frontier import HOME, Frontier, Visit
from .match import FOUND, Hit, decision, index_year, is_list_page, link_label, priority, score_link, score_page
from .models import MONTHS_TH, MONTHS_TH_SHORT, Candidate, CrawlResult, Link, LinkRecord, Page, PageRecord, now
from .parse import parse, shallow
from .render import Renderer, script_links
from .thai import key
from .urls import canonical, in_scope, is_document, is_media, is_web, site_key

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


PageCallback = Callable[[PageRecord, list[LinkRecord]], None]


def _crumbs(base: list[str], link: Link, page: Page, label: str, site_name: str = "") -> list[str]:
    """Click path to a link's target: the page's path (`steps` of it), the link's parent menus, its label."""
    skip = {page.title, *page.headings[:1], HOME, label}
    menu = step(link.menu[0], site_name) if link.menu else None
    menus = [menu] if menu and menu not in skip and len(menu) <= 40 and not any(c in menu for c in "»>›/") else []
    last = step(label[:80], site_name) if label and link.tag == "a" else None
    return steps([*menus, *([last] if last else [])], base)


_COUNTER = re.compile(r"^(?:จำนวน|ทั้งหมด|รวม|พบ|แสดง|total|showing)\D{0,24}\d[\d,]*\s*(?:รายการ|เรื่อง|ข่าว|หน้า|items?|"
                      r"records?|results?)?$", re.IGNORECASE)
_SCREEN_READER = re.compile(r"^\s*(?:toggle navigation|skip to (?:main )?content|main menu|menu)\s+", re.IGNORECASE)
_DATE_WORDS = re.compile("|".join(sorted({key(m) for m in (*MONTHS_TH, *MONTHS_TH_SHORT)} | {"พศ", "คศ", "วันที่", "ปี"},
                                         key=len, reverse=True)) + r"|\d+")


@lru_cache(maxsize=16_384)
def step(label: str, site_name: str = "") -> str | None:
    """A menu or link label as a click-path step, or None when it is no step a person clicks: a counter
    ("จำนวนทั้งหมด 20"), a bare date or number, a URL, the site's own name, a screen reader's words."""
    text = _SCREEN_READER.sub("", label).strip()
    if not text or text.lower().startswith(("http://", "https://", "www.")) or _COUNTER.match(text):
        return None
    k = key(text)
    if len(_DATE_WORDS.sub("", k)) < 2 or (site_name and k == key(site_name)):
        return None
    return text


def steps(path: list[str], base: list[str] | None = None) -> list[str]:
    """A click path without a step said twice: of two steps where one begins the other and is most of it (a
    card's title, then its link's cut title), the longer stays; a menu over its items ("รายงาน" >
    "รายงานผลการดำเนินงาน") is two steps. `base`, a path `steps` made, goes before `path`:
    steps(b, steps(a)) == steps(a + b)."""
    out: list[str] = list(base or [])
    for s in path:
        k = key(s)
        prev = key(out[-1]) if out else ""
        if prev and prev != key(HOME) and (k.startswith(prev) or prev.startswith(k)) \
                and min(len(k), len(prev)) >= SAME_STEP * max(len(k), len(prev)):
            out[-1] = out[-1] if len(prev) >= len(k) else s
            continue
        out.append(s)
    return out


SAME_STEP = 0.6  # a step that begins the next and is this much of it says the same


def fill(record: PageRecord, resp: Response) -> None:
    """Copy what a response says into its page record: status, type, size, and why it failed."""
    record.status, record.final_url = resp.status, resp.final_url
    record.content_type, record.size = resp.content_type, len(resp.content)
    record.error = resp.error or (f"HTTP {resp.status}" if resp.status >= 400 else None)


def _lighten(page: Page) -> None:
    """Once harvested, a page keeps what verification reads (title, headings, content, sections, its links with
    their words): every page is held until the crawl ends, so its full text goes and the strings every page
    repeats (menus) are kept once."""
    page.text = ""
    page.links = [Link(sys.intern(lk.url), sys.intern(lk.text), sys.intern(lk.title), sys.intern(lk.row),
                       [sys.intern(m) for m in lk.menu], lk.tag, lk.chrome, sys.intern(lk.card), lk.hidden)
                  for lk in page.links]


def _restates(heading: str, label: str) -> bool:
    """A link whose words begin with the page's own heading is that page's document."""
    head = key(heading)
    return len(head) >= 2 and key(label).startswith(head)


class Crawler:
    """Best-first crawl of one site with a polite fetcher; candidates come out scored."""

    def __init__(self, checklist: Checklist, fetcher: Fetcher, budget: Budget,
                 on_page: PageCallback | None = None, workers: int = 2, renderer: Renderer | None = None,
                 year: int | None = None):
        self.checklist, self.fetcher, self.budget = checklist, fetcher, budget
        self.year = year or checklist.year  # the assessed year: indexes of other years are told apart
        self._index_memo: dict[str, tuple[int, ...]] = {}
        self.renderer = renderer  # script menus: Chromium for the pages that need it
        self.on_page = on_page or (lambda record, links: None)
        self.workers = max(1, workers)
        self._seq = 0
        self._site_links: set[tuple[str, str]] = set()  # (url, label) of the home page: navigation
        self._via: dict[str, tuple[str, list[Hit]]] = {}  # url -> (heading of the page linking it, its hits)
        self._home_sections: set[str] = set()  # content.py: section headings of the home page (sidebars)
        self._home_text = ""  # the home page's content: what every page may repeat (a sidebar's names)
        self._site_name = ""  # the home page's title: the site's name is no click-path step

    async def run(self, start_url: str) -> CrawlResult:
        """Crawl from the start URL until the frontier is empty or a budget is spent.

        Up to `workers` pages are fetched at a time, but they are taken from the frontier and harvested in
        one fixed order (a page's links are queued, its candidates numbered, in the order the pages were
        taken), and a page is taken only right after the one before it was harvested: the same site gives
        the same crawl, whichever answer comes first on a busy machine. Only the time limit depends on
        the clock, and it says so (stop_reason `time_limit`)."""
        start = canonical(start_url)
        result = CrawlResult(site=site_key(start), start_url=start)
        frontier = Frontier(result.site, self.budget.max_depth, self.budget.per_pattern)
        frontier.seed(start)
        deadline = time.monotonic() + self.budget.time_limit
        window: deque[tuple[Visit, asyncio.Task]] = deque()

        def take() -> None:  # fill the window, in frontier order, within the page budget
            while len(window) < self.workers:
                if result.stats.pages_fetched + len(window) >= self.budget.max_pages:
                    if len(frontier):
                        result.stop_reason = "max_pages"
                    return
                visit = frontier.pop()
                if visit is None:
                    return
                window.append((visit, asyncio.create_task(self._load(visit))))

        async def crawl() -> None:
            take()
            while window:
                visit, task = window[0]
                loaded = await task
                window.popleft()
                await self._settle(visit, loaded, frontier, result)
                if time.monotonic() > deadline:
                    result.stop_reason = "time_limit"
                    return
                take()

        crawling = asyncio.ensure_future(crawl())  # its error is seen even when the crawl was cancelled (a batch
        crawling.add_done_callback(lambda f: f.cancelled() or f.exception())  # stopping on a full disk)
        try:
            await asyncio.wait_for(crawling, timeout=max(1.0, self.budget.time_limit + 5))
        except TimeoutError:
            result.stop_reason = "time_limit"
        finally:  # one load failed (a full disk) or the crawl was cancelled: no load outlives it,
            tasks = [t for _, t in window]  # since the fetcher closes right after
            for task in tasks:
                task.add_done_callback(lambda f: f.cancelled() or f.exception())
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=10)
        result.stats.capped = frontier.capped
        if self.renderer is not None:
            result.stats.rendered, result.stats.render_failed = self.renderer.rendered, self.renderer.failed
        return result

    async def _load(self, visit: Visit) -> tuple[PageRecord, Response | None, str]:
        """Fetch one page (robots.txt first): its record, the response and its text; nothing shared is changed."""
        record = PageRecord(visit.url, visit.depth, visit.crumbs, visit.parent, fetched_at=now())
        if not await self.fetcher.allowed(visit.url):
            record.error = "robots.txt disallows this page"
            return record, None, ""
        resp = await self.fetcher.request(visit.url)
        fill(record, resp)
        text = ""
        if resp.ok and record.content_type in HTML_TYPES:
            text, record.encoding = decode(resp.content, resp.headers.get("content-type"))
        return record, resp, text

    async def _settle(self, visit: Visit, loaded: tuple[PageRecord, Response | None, str], frontier: Frontier,
                      result: CrawlResult) -> None:
        """A loaded page into the crawl, in frontier order: its redirect, its rendering, its links queued and
        its candidates numbered."""
        record, resp, text = loaded
        result.pages[visit.url] = record
        if resp is None:
            self.on_page(record, [])
            return
        result.stats.pages_fetched += 1
        if resp.final_url != visit.url:
            if visit.depth == 0 and not in_scope(resp.final_url, result.site) and resp.ok:
                result.site = site_key(resp.final_url)  # the home page moved: follow the site
                frontier.site = result.site
            frontier.mark_done(resp.final_url)
            result.pages.setdefault(canonical(resp.final_url), record)
        links: list[LinkRecord] = []
        if resp.ok and record.content_type in HTML_TYPES and in_scope(resp.final_url, result.site):
            flat = shallow(text)  # 100,000 nested elements: flattened once, for every reading of the page below
            if flat is not text:
                result.stats.flattened += 1
                text = flat
            page = parse(resp.final_url, text)
            if self.renderer is not None:  # in order too: the render budget goes to the same pages every time
                page = await self.renderer.enrich(page, text, home=visit.parent is None)
            else:
                page.links += script_links(page, text)  # window.open / location targets of script menus
            record.page = page
            result.stats.malformed += page.malformed
            result.stats.timed_out += page.timed_out
            links = self._harvest(page, visit, frontier, result)
            _lighten(page)
        self.on_page(record, links)

    def _harvest(self, page: Page, visit: Visit, frontier: Frontier, result: CrawlResult) -> list[LinkRecord]:
        """Score every link and the page itself; queue in-scope pages by promise."""
        checklist = self.checklist
        list_page = is_list_page(checklist, page)
        context = " ".join([page.title, *page.headings[:2], *visit.crumbs[1:]])
        if page.refresh:
            frontier.push(page.refresh, visit.depth, 3, visit.url, visit.crumbs)
        heading = content.post_heading(page, visit.crumbs[-1] if visit.depth else "")  # what the page is about
        # the year of the ITA/OIT index this page stands under (not the home page's: its banners are not an index)
        page_year = self._index_year([*page.headings[:1], page.title, *reversed(visit.crumbs)]) if visit.depth else None
        parent_heading, via_hits = self._via.pop(visit.url, ("", []))  # a URL is harvested once
        if visit.depth > 0 and not list_page and key(heading) != key(parent_heading):
            # (a page repeating its parent's heading is the next page of a list, not a new thing)
            page_hits = score_page(checklist, page, " ".join(visit.crumbs[:-1]), heading)
            if max((h.score for h in via_hits), default=0.0) >= FOUND:  # the link already said what it is
                page_hits = [h for h in page_hits if h.item in {v.item for v in via_hits}]
            self._add(result, page_hits, page.url, visit.parent or page.url, heading, visit.crumbs,
                      visit.depth, "page", page_year)
        if visit.depth == 0:
            self._home_text, self._site_name = page.content, page.title
        elif not list_page:
            self._add(result, content.sign_hits(checklist, page, self._home_text), page.url, visit.parent or page.url,
                      heading, visit.crumbs, visit.depth, "page", page_year)
        base = steps(visit.crumbs)  # the page's own path, once for all its sections and links
        for url, text, hits in content.section_hits(checklist, page, self._home_sections, visit.depth == 0, list_page):
            self._add(result, hits, url, page.url, text, steps([text[:80]], base), visit.depth, "section",
                      self._index_year([text]) or page_year)
        links = []
        for link in page.links:
            url = canonical(link.url)
            label = link_label(checklist, link)
            crumbs = _crumbs(base, link, page, label, self._site_name)
            if visit.depth == 0:
                self._site_links.add((url, label))
            if visit.depth == 0 or (url, label) not in self._site_links:
                hits, source = score_link(checklist, link, context, list_page), "link"
                if via_hits and not link.chrome and _restates(heading, label):
                    hits, source = via_hits, "attachment"  # "ข่าว ประจำปี 2565" on the page "ข่าว": its file
                if not content.openable(url):  # content.py: a photo, icon or script is never evidence
                    hits = []
                # the index year of its card or menu; a link in the page's content also inherits the page's
                year = self._index_year([link.card, *link.menu]) or (None if link.chrome else page_year)
                self._add(result, hits, url, page.url, label, crumbs, visit.depth + 1, source, year)
            else:
                hits = []
            offsite = not in_scope(url, result.site)
            links.append(LinkRecord(page.url, url, label[:300], " > ".join(link.menu)[:300], offsite,
                                    tuple(h.item for h in hits if decision(h) == "found")))
            if offsite or is_document(url) or is_media(url):
                continue
            depth = visit.depth if link.tag in ("frame", "iframe") else visit.depth + 1
            if frontier.push(url, depth, priority(checklist, link, hits), page.url, crumbs):
                self._via[url] = (heading, hits)
        return links

    def _index_year(self, texts: list[str]) -> int | None:
        """The assessment year of the nearest text titling an ITA/OIT index ("ITA 2564"), see match.index_year."""
        return index_year(self.checklist, texts, self.year, self._index_memo)

    def _add(self, result: CrawlResult, hits: list[Hit], url: str, found_on: str, text: str,
             crumbs: list[str], depth: int, source: str, index_year: int | None = None) -> None:
        if not is_web(url):
            return  # evidence is only ever an http(s) page or file
        for hit in hits:
            self._seq += 1
            result.candidates.append(Candidate(hit.item, url, hit.score, hit.terms, found_on, text[:300],
                                               crumbs, depth, self._seq, source, hit.strong, index_year))
