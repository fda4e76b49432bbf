"""Score checklist items against links and pages. Pure functions: no I/O.

The rules (weights, context, decoys, item numbers) are described in checklists/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from urllib.parse import unquote, urlsplit

from .checklist import Checklist, Item
from .models import Candidate
from .parse import Link, Page
from .patterns import Pattern, first_match
from .thai import be_years, item_number, key, strip_marks
from .urls import in_scope, is_document

STRONG, CONTEXTUAL, WEAK, SLUG, HINT, HOST, NUMBER = 1.0, 0.85, 0.55, 0.7, 0.3, 0.9, 0.9
DECOY_FACTOR, MARGIN, CONTEXT_BONUS = 0.3, 0.15, 0.15
FOUND, REVIEW = 0.8, 0.5
HUB_PENALTY, OFFSITE_PENALTY = 0.2, 0.3  # ranking: a page listing the item; an off-site fallback
DECOY_MARK, NUMBER_MARK = "ไม่ใช่:", "ข้อ O"
EMBED_MARK, MAYBE_MARK = "แสดงในหน้าเว็บ (page plugin)", "อาจใช้แทนได้:"
MAYBE = REVIEW  # a page under another item's label that may serve this one: review, never found
_THAI = re.compile(r"[\u0e00-\u0e7f]")
# page numbers and arrows of a list's pagination: not "read more", the card's title does not name them
PAGING = re.compile(r"^(?:\d+|ถัดไป|ก่อนหน้า|หน้าถัดไป|หน้าก่อนหน้า|หน้าต่อไป|ย้อนกลับ|next|prev|previous|first|last"
                     r"|สุดท้าย|»|«|›|‹|>|<|…)+$")


@dataclass(frozen=True)
class Hit:
    """One item named by one label, with its score and the terms that matched."""

    item: str
    score: float
    terms: tuple[str, ...]
    strong: bool = False  # named by a phrase or a trusted item number, not only by section words


def is_generic(checklist: Checklist, text: str) -> bool:
    """An anchor that says nothing by itself: "คลิก", "ดาวน์โหลด", a bare number, or only such words
    ("คลิกเพื่อเปิดไฟล์ PDF", "» Read More", "เปิดอ่านเอกสาร")."""
    k = re.sub(r"^(?:oit|o)?\d{1,3}", "", key(text))
    if len(k) < 3 or k in checklist.generic_anchors:
        return True
    rest = re.sub(r"\d+", "", k)
    for word in _generic_words(checklist.generic_anchors):
        rest = rest.replace(word, "")
        if len(rest) < 3:
            return True
    return False


@lru_cache(maxsize=8)
def _generic_words(anchors: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted((w for w in anchors if len(w) >= 2), key=len, reverse=True))


def link_label(checklist: Checklist, link: Link) -> str:
    """The words that name a link: its anchor; when the anchor is generic, its table row, else the
    heading of the card or block it sits in ("อ่านต่อ" under a post's title)."""
    own = " ".join(t for t in (link.text, link.title) if t)
    if own and not is_generic(checklist, own):
        return own
    card = "" if PAGING.match(key(own)) else link.card
    for other in (link.row, card):
        if other and not is_generic(checklist, other):
            return other
    return own or link.row or card


def index_years(checklist: Checklist, text: str) -> tuple[int, ...]:
    """The assessment years a text titles an ITA/OIT index or menu with ("ITA 2564", "OIT ปี 2566",
    "การประเมิน ITA ประจำปี 2564"); () for any other text, such as an item's own label with its data year
    ("O12 รายงานผลการดำเนินงานประจำปี 2564", "รายงานผลการดำเนินงาน 2564 | ITA Online")."""
    if not text or len(text) > 200 or item_number(text) is not None:
        return ()
    years = be_years(text)
    if not years or not first_match(checklist.list_markers, key(text)):
        return ()
    if any(h.strong for h in score_label(checklist, text, "")):
        return ()
    return tuple(years)


def index_year(checklist: Checklist, texts: list[str], year: int,
               memo: dict[str, tuple[int, ...]] | None = None) -> int | None:
    """The assessment year of the index a candidate comes from: the nearest of `texts` (its card heading, parent
    menus, the page's heading and title, its click path back to the home page) that titles an ITA/OIT index
    with a year; `year` when that text names it among others. None: not under a year's index.
    `memo` keeps each distinct text's years (menus repeat on every page)."""
    for text in texts:
        if memo is None:
            years = index_years(checklist, text)
        elif text in memo:
            years = memo[text]
        else:
            years = memo[text] = index_years(checklist, text)
        if years:
            return year if year in years else max(years)
    return None


def is_list_page(checklist: Checklist, page: Page) -> bool:
    """Item numbers are trusted on an ITA/OIT list: marked as one, or numbering many items.

    Numbers are read in the numbering of the year the list is titled with: a list of another assessment
    year than the checklist's ("ITA 2564" when the checklist is 2565) does not number this year's items."""
    titled = index_year(checklist, [page.title, *page.headings[:3]], checklist.year)
    if titled is not None and titled != checklist.year:
        return False
    head = " ".join([page.title, *page.headings[:3]])
    years = [y for y in be_years(head) if y not in checklist.numbering_years]
    if years and max(years) > max(checklist.numbering_years, default=checklist.year):
        return False
    if first_match(checklist.list_markers, key(head)):
        return True
    numbers = {item_number(link_label(checklist, lk)) or item_number(lk.row) for lk in page.links}
    numbers.discard(None)
    return len(numbers) >= 4


@lru_cache(maxsize=4096)
def _stripped(p: Pattern) -> Pattern:
    return Pattern(p.source, tuple(tuple(strip_marks(a) for a in alts) for alts in p.parts))


def _text_score(item: Item, label_key: str, context_key: str, bonus: bool = True) -> tuple[float, list[str], bool]:
    """Score from words: strong phrase; weak or child phrase under the item's section; weak alone.

    A label standing in the item's own section gets a bonus, so that the same short label
    ("ติดตามผล 6 เดือน") goes to the item whose section it is in. The flag says "strong phrase".
    """
    in_context = first_match(item.context, context_key) if context_key else None
    extra, where = (CONTEXT_BONUS if bonus else 0.0, [f"ใต้ {in_context.source}"]) if in_context else (0.0, [])
    p = first_match(item.phrases, label_key)
    if p:
        return STRONG + extra, [p.source, *where], True
    w = first_match(item.weak, label_key)
    c = first_match(item.child_phrases, label_key) if in_context else None
    if in_context and (w or c):
        return CONTEXTUAL + extra, [(w or c).source, *where], False
    if w:
        return WEAK, [w.source], False
    return 0.0, [], False


def _url_score(item: Item, url: str) -> tuple[float, list[str]]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    low = unquote(parts.path + "?" + parts.query).lower()
    if any(d in url.lower() for d in item.url_decoys):
        return 0.0, []
    if any(host == h or host.endswith("." + h) for h in item.hosts):
        return HOST, [f"host {host}"]
    if _THAI.search(low):
        slug = key(strip_marks(low))
        p = next((p for p in item.phrases if _stripped(p).matches(slug)), None)
        if p:
            return SLUG, [f"URL {p.source}"]
    hint = next((h for h in item.url_hints if h in low), None)
    return (HINT, [f"URL {hint}"]) if hint else (0.0, [])


_SCORED: dict[tuple, tuple[Hit, ...]] = {}  # menus repeat on every page: each distinct link is scored once
_MAX_SCORED = 100_000


def score_label(checklist: Checklist, label: str, context: str, url: str = "",
                number: int | None = None, bonus: bool = True, trusted: bool = True) -> list[Hit]:
    """Items a label names, best first (memoised: the same label, context and URL score the same)."""
    memo = (checklist.path, checklist.name, label, context, url, number, bonus, trusted)
    hits = _SCORED.get(memo)
    if hits is None:
        if len(_SCORED) >= _MAX_SCORED:
            _SCORED.clear()
        hits = _SCORED[memo] = tuple(_score_label(checklist, label, context, url, number, bonus, trusted))
    return list(hits)


def _score_label(checklist: Checklist, label: str, context: str, url: str,
                 number: int | None, bonus: bool, trusted: bool) -> list[Hit]:
    """Items a label names, best first.

    `number` is the item number the label carries. Trusted (on an ITA/OIT list) it decides;
    otherwise it only picks among the items the words already name ("O 19 :: รายงานทางการเงิน"
    is O19, not O20).
    """
    label_key, context_key = key(label), key(context)
    hits, strong = [], set()
    for item in checklist.items:
        score, terms, is_strong = _text_score(item, label_key, context_key, bonus)
        if is_strong:
            strong.add(item.id)
        uscore, uterms = _url_score(item, url) if url else (0.0, [])
        if score and uscore:
            score, terms = score + 0.1, terms + uterms
        elif uscore > score:
            score, terms = uscore, uterms
        decoy = first_match(item.decoys, label_key)
        if decoy and score:
            score, terms = score * DECOY_FACTOR, [*terms, f"{DECOY_MARK} {decoy.source}"]
        if number == item.number and trusted:
            score, terms = max(score + 0.1, NUMBER), [f"{NUMBER_MARK}{number}", *terms]
        elif number == item.number and score > 0:
            terms = [f"{NUMBER_MARK}{number}", *terms]  # picks this item among those named, no more
        if score > 0:
            hits.append(Hit(item.id, round(score, 3), tuple(terms), is_strong or (number == item.number and trusted)))
    if number is not None and any(h.terms[0].startswith(NUMBER_MARK) for h in hits):
        hits = [h for h in hits if h.terms[0].startswith(NUMBER_MARK)]
    elif strong:  # a label that fully names an item is a short label of another only in its section
        top = max(h.score for h in hits if h.item in strong)
        hits = [h for h in hits if h.item in strong or h.score >= top - 1e-9]
    best = max((h.score for h in hits), default=0.0)
    keep = [h for h in hits if h.score >= best - MARGIN or is_decoy(h)]  # decoys are evidence against
    keep += _maybe(checklist, label_key, {h.item for h in keep})
    return sorted(keep, key=lambda h: (-h.score, h.item))


def _maybe(checklist: Checklist, label_key: str, named: set[str]) -> list[Hit]:
    """Items a label may serve though it names something else (`review_labels`): review at most."""
    out = []
    for item in checklist.items:
        if item.id in named or not item.review_labels:
            continue
        p = first_match(item.review_labels, label_key)
        if p and not _turned_down(item.decoys, p, label_key):
            out.append(Hit(item.id, MAYBE, (f"{MAYBE_MARK} {p.source}",)))
    return out


def _turned_down(decoys: tuple[Pattern, ...], review: Pattern, label_key: str) -> bool:
    """A decoy turns a review label down, except by the very words the review label names
    (O8's decoy "ร้องเรียน|ทุจริต" keeps "ร้องเรียนร้องทุกข์" from being found, not from review;
    "ร้องเรียนการทุจริต" stays turned down)."""
    own = {a for alts in review.parts for a in alts}
    for d in decoys:
        parts = tuple(tuple(a for a in alts if a not in own) for alts in d.parts)
        if all(parts) and Pattern(d.source, parts).matches(label_key):
            return True
    return False


def is_decoy(hit: Hit) -> bool:
    """A hit turned down by a decoy (and not rescued by an item number)."""
    return any(t.startswith(DECOY_MARK) for t in hit.terms) and not hit.terms[0].startswith(NUMBER_MARK)


def score_link(checklist: Checklist, link: Link, context: str, list_page: bool) -> list[Hit]:
    """Items a link names; site navigation is judged by its own menus, not the page it is on.

    The heading of the card a link sits in is part of its context (unless it is the label). An
    embedded page plugin (an iframe showing the agency's Facebook page) is the site presenting its
    own account: stronger than any link to the same service.
    """
    if link.hidden and not link.chrome:
        return []  # a row the visitor cannot see (a hidden test row) is not evidence
    label = link_label(checklist, link)
    number = item_number(label) or item_number(link.row)
    card = link.card if link.card and link.card != label and link.card not in link.menu else ""
    hits = score_label(checklist, label, " ".join([*link.menu, card, "" if link.chrome else context]), link.url,
                       number, trusted=list_page)
    if link.tag in ("embed", "iframe"):  # a plugin's account, or a service shown in the page itself
        hits = [Hit(h.item, round(max(h.score, STRONG) + CONTEXT_BONUS + 0.1, 3), (EMBED_MARK, *h.terms), True)
                if any(t.startswith("host ") for t in h.terms) else h for h in hits]
    return hits


def decision(hit: Hit) -> str:
    """What the crawler makes of a hit: found, review, too weak, or a decoy that vetoes its URL."""
    if is_decoy(hit):
        return "decoy"
    return "found" if hit.score >= FOUND else "review" if hit.score >= REVIEW else "weak"


def page_label(page: Page) -> str:
    """What a page says it is: its main heading, else its title without the site name."""
    if page.headings and page.headings[0]:
        return page.headings[0]
    return re.split(r"\s+[-|:]{1,2}\s+", page.title)[0] if page.title else ""


def score_page(checklist: Checklist, page: Page, context: str, label: str | None = None) -> list[Hit]:
    """Items the page itself is about (title and heading, or `label`); weaker than a link naming it."""
    hits = score_label(checklist, page_label(page) if label is None else label, context, page.url, bonus=False)
    return [Hit(h.item, round(h.score * 0.95, 3), h.terms, h.strong) for h in hits]


def priority(checklist: Checklist, link: Link, hits: list[Hit]) -> int:
    """Crawl order: ITA/OIT index first, then links naming items, then sections, then the rest."""
    label_key = key(f"{link.text} {link.title} {unquote(urlsplit(link.url).path)}")
    if first_match(checklist.list_markers, label_key):
        return 3
    best = max((h.score for h in hits), default=0.0)
    if best >= REVIEW:
        return 2
    if best > 0 or any(first_match(i.context, label_key) for i in checklist.items):
        return 1
    return 0


def other_year(cand: Candidate, year: int | None) -> bool:
    """A candidate found only under another assessment year's ITA/OIT index or menu."""
    return year is not None and cand.index_year is not None and cand.index_year != year


def rank(candidates: list[Candidate], item: Item, site: str, year: int | None = None) -> list[Candidate]:
    """An item's candidates, one per URL, best first.

    With the assessed `year`, candidates found only under another year's ITA/OIT index or menu come after
    every other (a URL linked from this year's index, or from the site's own menus, is not another year's, nor
    a document on a page so linked: the page may have been reached first through another year's index).

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
    own = {}  # URL -> the index year of a link to it that is not another year's
    for c in candidates:
        if c.item == item.id and not other_year(c, year):
            own.setdefault(c.url, c.index_year)
    for url, c in best.items():  # nor a document on a page that this year's index links to for the item
        if other_year(c, year) and (url in own or c.found_on in own):
            best[url] = replace(c, index_year=own.get(url, own.get(c.found_on)))
    children: dict[str, tuple[float, bool]] = {}  # best link naming the item, per page it stands on
    for c in best.values():
        if c.source == "link" and (item.kind == "external" or in_scope(c.url, site)) \
                and not is_document(c.url):  # a post's documents do not make it a hub: the post comes first
            children[c.found_on] = max(children.get(c.found_on, (0.0, False)), (c.score, c.strong))

    def order(c: Candidate) -> tuple[bool, float, bool, int, int]:
        score = c.score
        child, child_strong = children.get(c.url, (0.0, False))
        if child >= c.score - 0.1 - 1e-6 and c.url != c.found_on and (child_strong or not c.strong):
            score -= HUB_PENALTY
        if item.kind != "external" and not in_scope(c.url, site):
            score -= OFFSITE_PENALTY
        return (other_year(c, year), -score, not c.strong, c.depth, c.seq)  # equal: the label naming the item first

    return sorted(best.values(), key=order)
