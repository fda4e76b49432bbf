"""The records that flow through the pipeline, and the vocabularies they use.

checklist -> crawl (PageRecord, LinkRecord, Candidate, CrawlResult) -> check (Facts) -> verdict
(PeriodVerdict, Evidence, ItemResult) -> store -> outputs (the `oit-result/1` document, ResultDoc).
Imports nothing of the pipeline at run time: every other module may import this one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypedDict

if TYPE_CHECKING:  # types only: documents imports nothing of the pipeline either
    from .documents import DocText

# ---------------------------------------------------------------------------------------- vocabularies

#: Item statuses, best first, with the Thai label an admin reads; last, `not_due`: the period the item asks
#: for has not ended on the scan date (a six-month report in December), so it cannot be published yet.
STATUSES = ("found", "review", "stale", "broken", "missing", "not_due")
STATUS_TH = {"found": "พบ", "review": "ควรตรวจ", "missing": "ไม่พบ", "stale": "ไม่เป็นปัจจุบัน", "broken": "ลิงก์เสีย",
             "not_due": "ยังไม่ถึงกำหนด"}
#: Statuses that are not gaps: nothing for the admin to publish now.
NOT_GAPS = ("found", "not_due")
#: How good a status is (higher is better): what `oit diff` calls better or worse.
STATUS_RANK = {"missing": 0, "broken": 1, "stale": 2, "review": 3, "not_due": 3, "found": 4}

#: The periods a checklist item may ask for (checklist `period:`).
PERIODS = ("current", "in_year", "previous_year", "first_half", "covers_year", "exists")
#: What an item's evidence is (checklist `kind:`).
KINDS = ("page", "document", "channel", "external")
#: How sure a checklist is of its year's list (checklist `status:`): final, or a draft rebuilt without the manual.
CHECKLIST_STATUSES = ("final", "draft")
#: Shown beside an item whose number and title are not confirmed (checklist `confirmed: false`).
UNCONFIRMED_TH = "รายการนี้ยังไม่ยืนยันจากคู่มือ ป.ป.ช."
#: Mechanical element checks a checklist `requires` entry may name.
CHECKS = ("form", "image", "map", "social", "months", "person")
#: Thai month names, full and abbreviated, January first.
MONTHS_TH = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม", "สิงหาคม", "กันยายน",
             "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
MONTHS_TH_SHORT = ("ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.", "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.")


def basis_th(list_year: int, draft: bool, year: int, substitute: bool = False) -> str:
    """Which list judged which fiscal year, as every output heads with: "ใช้รายการ ITA 2569 (ร่าง) ตรวจสำหรับ
    ปีงบประมาณ 2570 เพราะยังไม่มีรายการปี 2570" (`substitute`: the year has no list of its own)."""
    text = f"ใช้รายการ ITA {list_year}{' (ร่าง)' if draft else ''} ตรวจสำหรับปีงบประมาณ {year}"
    return text + (f" เพราะยังไม่มีรายการปี {year}" if substitute and list_year != year else "")


#: Why a crawl stopped, in Thai.
STOP_TH = {"done": "ตรวจครบทุกหน้าที่ไปถึงได้", "max_pages": "ครบจำนวนหน้าสูงสุด", "time_limit": "หมดเวลาที่กำหนด",
           "unreachable": "เข้าเว็บไซต์ไม่ได้", "interrupted": "ถูกหยุดกลางคัน",
           "error": "หยุดเพราะข้อผิดพลาดที่ไม่คาดคิด"}

RESULT_SCHEMA = "oit-result/1"

# What a technical error means to an admin, in Thai: (words in the error, the Thai sentence).
_ERRORS_TH = (
    (("ConnectTimeout", "ReadTimeout", "WriteTimeout", "PoolTimeout", "TimeoutException"),
     "เว็บไซต์ไม่ตอบสนองภายในเวลาที่กำหนด"),
    (("no complete answer within",), "เว็บไซต์ตอบช้าเกินไป ส่งข้อมูลไม่ครบภายในเวลาที่กำหนด"),
    (("Name or service not known", "nodename nor servname", "getaddrinfo", "resolves to nothing",
      "No address associated"), "ไม่พบชื่อโดเมนนี้ (DNS) ตรวจสอบที่อยู่เว็บไซต์"),
    (("ConnectError", "Connection refused", "RemoteProtocolError", "ReadError", "Server disconnected"),
     "เชื่อมต่อเว็บไซต์ไม่ได้ (เซิร์ฟเวอร์ปิดอยู่หรือตัดการเชื่อมต่อ)"),
    (("too many redirects",), "หน้าเว็บส่งต่อ (redirect) วนซ้ำไม่สิ้นสุด"),
    (("robots.txt disallows",), "robots.txt ของเว็บไซต์ไม่อนุญาตให้อ่านหน้านี้"),
    (("private address",), "ที่อยู่นี้อยู่ในเครือข่ายภายใน ไม่อนุญาตให้ตรวจ (ใช้ --allow-private สำหรับอินทราเน็ต)"),
    (("URLs are never fetched", "refused"), "ลิงก์ชนิดนี้ไม่ใช่หน้าเว็บ (ไม่เปิดอ่าน)"),
    (("SSL", "certificate", "TLS"), "ใบรับรองความปลอดภัย (HTTPS) ของเว็บไซต์มีปัญหา"),
)
_HTTP_TH = {401: "ต้องเข้าสู่ระบบก่อน", 403: "เว็บไซต์ไม่อนุญาตให้เข้าถึง", 404: "ไม่พบหน้านี้ (ลิงก์เสีย)",
            410: "หน้านี้ถูกลบแล้ว", 429: "เว็บไซต์ขอให้ลดความถี่ในการเข้าถึง"}


def error_th(error: str | None, status: int = 0) -> str:
    """An error of fetching, as an admin reads it: in Thai, no exception names (an unknown one in brackets)."""
    detail = (error or "").strip()
    code = status
    if detail.startswith("HTTP ") and detail[5:8].isdigit():
        code = int(detail[5:8])
    if code < 400:
        for words, thai in _ERRORS_TH:
            if any(w in detail for w in words):
                return thai
        return f"เปิดไม่ได้ [{detail[:80]}]" if detail else "เปิดไม่ได้"
    if code in _HTTP_TH:
        return f"{_HTTP_TH[code]} (HTTP {code})"
    if code >= 500:
        return f"เซิร์ฟเวอร์ของเว็บไซต์ขัดข้อง (HTTP {code})"
    return f"เปิดไม่ได้ (HTTP {code})"


def now() -> str:
    """The current time in UTC, ISO 8601 to the second (as stored)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class OitError(Exception):
    """Base of every error the tool reports to a person in one line."""


# ------------------------------------------------------------------------------------------- pages

@dataclass
class Link:
    """One link as a person sees it: where it goes and the words around it."""

    url: str
    text: str
    title: str = ""
    row: str = ""
    menu: list[str] = field(default_factory=list)
    tag: str = "a"
    chrome: bool = False  # in the site's navigation, header or footer: the same on every page
    card: str = ""  # heading of the card, list item or block the link sits in ("อ่านต่อ" under a title)
    hidden: bool = False  # the link or its row is hidden from visitors (display:none, `hidden`)


@dataclass
class Section:
    """A headed block of a page's content (a news block, a duties section, a contact footer)."""

    heading: str
    anchor: str  # the block's (or its heading's) id, for `page#id`; "" when it has none
    text: str  # the block's text, heading included (capped)
    links: int = 0
    documents: int = 0
    footer: bool = False


@dataclass
class Page:
    """A parsed page: its title, headings, text and content (without navigation), links and sections."""

    url: str
    title: str
    headings: list[str]
    text: str
    links: list[Link]
    refresh: str | None = None
    forms: int = 0
    inputs: int = 0
    content: str = ""
    images: int = 0
    sections: list[Section] = field(default_factory=list)
    malformed: int = 0  # links skipped as malformed URLs (`http://[::1/x`, `http://h:99999/`)
    timed_out: bool = False  # its links or sections were read only in part (PARSE_SECONDS)


# ------------------------------------------------------------------------------------------- crawl


@dataclass
class PageRecord:
    """A fetched (or refused) URL of the site."""

    url: str
    depth: int
    crumbs: list[str]
    parent: str | None
    status: int = 0
    final_url: str = ""
    content_type: str = ""
    size: int = 0
    encoding: str = ""
    error: str | None = None
    fetched_at: str = ""
    page: Page | None = None

    @property
    def title(self) -> str:
        return self.page.title if self.page else ""


@dataclass
class LinkRecord:
    """One link of a fetched page, as stored."""

    from_url: str
    to_url: str
    text: str
    context: str
    offsite: bool
    found: tuple[str, ...] = ()  # items the crawler's scoring found the link names (for progress; not stored)


@dataclass
class Candidate:
    """A URL that may be an item's evidence, and why."""

    item: str
    url: str
    score: float
    terms: tuple[str, ...]
    found_on: str
    text: str
    click_path: list[str]
    depth: int
    seq: int
    source: str = "link"
    strong: bool = False
    index_year: int | None = None  # the assessment year of the ITA/OIT index page or menu it was found under


@dataclass
class CrawlStats:
    """Counts of one crawl that outputs report (pages, URLs skipped, pages rendered)."""

    pages_fetched: int = 0
    capped: int = 0
    malformed: int = 0  # links skipped as malformed URLs (`http://[::1/x`)
    flattened: int = 0  # pages nested deeper than parse.MAX_NESTING, read flattened
    timed_out: int = 0  # pages whose links or sections were read only in part (parse.PARSE_SECONDS)
    rendered: int = 0
    render_failed: int = 0


@dataclass
class CrawlResult:
    """What a crawl of one site gathered: its pages, links and scored candidates."""

    site: str
    start_url: str
    pages: dict[str, PageRecord] = field(default_factory=dict)
    candidates: list[Candidate] = field(default_factory=list)
    links: list[LinkRecord] = field(default_factory=list)
    stop_reason: str = "done"
    stats: CrawlStats = field(default_factory=CrawlStats)

    @property
    def pages_fetched(self) -> int:
        return self.stats.pages_fetched


# ------------------------------------------------------------------------------------ check, verdict


@dataclass
class Facts:
    """What checking one candidate URL established: usable (True), not (False) or unknown (None)."""

    ok: bool | None
    note: str
    page: Page | None = None
    doc: DocText | None = None
    checked: bool = True  # False: never opened (an off-site link not checked or not reached, out of time)

    @property
    def text(self) -> str:
        """The evidence's own words: the document's text, else the page's title, headings and content."""
        if self.doc is not None and self.doc.text:
            return self.doc.text
        if self.page is not None:
            return " ".join([self.page.title, *self.page.headings[:3], self.page.content])
        return ""


@dataclass
class ItemFacts:
    """What an item's candidates turned out to be, for the verdict to decide on."""

    item: str
    ranked: list[Candidate]  # every candidate of the item, best first
    checked: list[tuple[Candidate, Facts]]  # those opened, in rank order (usable or not)
    listings: dict[str, str]  # content of the pages that list a usable candidate, by URL
    site_links: list[str]  # every link target seen on the site (social accounts are there)
    stop_reason: str  # why the crawl stopped ("done" when it saw all it could reach)
    doubts: dict[str, str] = field(default_factory=dict)  # URL -> why its content may not show the item


@dataclass(frozen=True)
class PeriodVerdict:
    """Whether evidence covers the period its item asks for."""

    status: str  # "current" | "stale" | "unknown"
    expected: str  # Thai: the period needed
    found: str  # Thai: the best period found, "" when none
    found_year: int | None  # B.E. fiscal year the best mention is about, None when none
    where: str  # the source the best mention came from, "" when none
    reason: str  # Thai sentence an admin acts on; "" when current or exists


@dataclass
class Evidence:
    """One URL offered as an item's evidence, with how it was found and checked."""

    url: str
    found_on: str
    text: str
    click_path: list[str]
    score: float
    terms: tuple[str, ...]
    check: str


@dataclass
class ItemResult:
    """An item's verdict: status, reason, evidence best first, period and missing elements."""

    id: str
    title: str
    status: str
    reason: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)
    period: PeriodVerdict | None = None
    missing_elements: list[str] = field(default_factory=list)
    confirmed: bool = True  # the checklist item is confirmed (False: shown with UNCONFIRMED_TH)


# ------------------------------------------------------------------------------ the result document


class PeriodDoc(TypedDict):
    expected: str | None
    found: str | None
    where: str | None
    year: int | None


class EvidenceDoc(TypedDict):
    url: str
    found_on: str
    text: str
    click_path: list[str]
    score: float
    matched_terms: list[str]
    check: str


class ItemDoc(TypedDict):
    id: str
    title: str
    status: str
    reason: str
    score: float
    period: PeriodDoc
    missing_elements: list[str]
    evidence: list[EvidenceDoc]
    confirmed: bool


class ResultDoc(TypedDict):
    """The `oit-result/1` document of one stored run (README: Result JSON)."""

    schema: str
    run_id: int
    site: dict[str, str]
    checklist: dict[str, object]  # the list used: name, its own year, version, status, file
    assessment_year: int  # the fiscal year (B.E.) the periods were judged for
    scan_date: str | None  # the date the run was judged on (ISO, CE); None for runs from before
    basis: str  # Thai: "ใช้รายการ ITA 2569 (ร่าง) ตรวจสำหรับปีงบประมาณ 2570 เพราะยังไม่มีรายการปี 2570"
    started_at: str
    finished_at: str | None
    pages_fetched: int
    requests: int | None
    stop_reason: str | None
    findings: list[str]
    settings: dict[str, object]
    summary: dict[str, int]
    items: list[ItemDoc]
