"""Score checklist items against links and pages. Pure functions: no I/O.

The rules (weights, context, decoys, item numbers) are described in checklists/README.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote, urlsplit

from .checklist import Checklist, Item
from .models import Candidate, Link, Page
from .names import title_parts
from .patterns import Pattern, PatternTable, Substrings, first_match, present
from .thai import THAI_CHAR, be_years, item_number, key, strip_marks
from .urls import in_scope, is_document

STRONG, CONTEXTUAL, WEAK, SLUG, HINT, HOST, NUMBER = 1.0, 0.85, 0.55, 0.7, 0.3, 0.9, 0.9
DECOY_FACTOR, MARGIN, CONTEXT_BONUS = 0.3, 0.15, 0.15
FOUND, REVIEW = 0.8, 0.5
HUB_PENALTY, OFFSITE_PENALTY = 0.2, 0.3  # ranking: a page listing the item; an off-site fallback
DECOY_MARK, NUMBER_MARK = "ไม่ใช่:", "ข้อ O"
EMBED_MARK, MAYBE_MARK = "แสดงในหน้าเว็บ (page plugin)", "อาจใช้แทนได้:"
GROUP_MARK = "ใต้หัวข้อ"  # a link naming nothing itself, meant by its heading or menu group
MAYBE = REVIEW  # a page under another item's label that may serve this one: review, never found
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


class _Memo(dict):
    """A bounded memo, emptied when full: menus repeat on every page, page texts do not."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, k: Any, value: Any) -> Any:
        if len(self) >= self.limit:
            self.clear()
        self[k] = value
        return value


@dataclass(frozen=True)
class _Named:
    """What a label's words match, by item index: phrases, weak and child phrases, decoys; the review hits."""

    phrases: dict[int, Pattern]
    weak: dict[int, Pattern]
    child: dict[int, Pattern]
    decoys: dict[int, Pattern]
    maybe: tuple[Hit, ...]


class _Compiled:
    """A checklist's patterns compiled to match every item at once, and its memos (one checklist's only)."""

    MAX_SCORED, MAX_TEXTS = 100_000, 50_000

    def __init__(self, checklist: Checklist) -> None:
        items = checklist.items
        self.phrases = PatternTable(i.phrases for i in items)
        self.weak = PatternTable(i.weak for i in items)
        self.child = PatternTable(i.child_phrases for i in items)
        self.context = PatternTable(i.context for i in items)
        self.decoys = PatternTable(i.decoys for i in items)
        self.review = PatternTable(i.review_labels for i in items)
        self.slugs = PatternTable(tuple(_stripped(p) for p in i.phrases) for i in items)
        self.hosts: dict[str, list[int]] = {}
        for n, item in enumerate(items):
            for h in dict.fromkeys(item.hosts):
                self.hosts.setdefault(h, []).append(n)
        self.url_decoys = [(n, i.url_decoys) for n, i in enumerate(items) if i.url_decoys]
        self.url_hints = [(n, i.url_hints) for n, i in enumerate(items) if i.url_hints]
        self.hints = Substrings(h for i in items for h in i.url_hints)
        self.numbered = {i.number: n for n, i in enumerate(items)}
        self.generic_words = tuple(sorted((w for w in checklist.generic_anchors if len(w) >= 2), key=len, reverse=True))
        self.scored = _Memo(self.MAX_SCORED)  # (label, context, URL, number, bonus, trusted) -> hits
        self.named, self.in_context, self.urls = _Memo(self.MAX_TEXTS), _Memo(self.MAX_TEXTS), _Memo(self.MAX_TEXTS)
        self.generic, self.labels, self.years, self.steers = (_Memo(self.MAX_TEXTS) for _ in range(4))


_COMPILED: dict[int, tuple[Checklist, _Compiled]] = {}  # id -> the checklist (kept alive: ids stay its own)
_MAX_COMPILED = 8


def _compiled(checklist: Checklist) -> _Compiled:
    """The checklist's compiled patterns and memos, built on first use."""
    entry = _COMPILED.get(id(checklist))
    if entry is None or entry[0] is not checklist:
        if len(_COMPILED) >= _MAX_COMPILED:
            _COMPILED.pop(next(iter(_COMPILED), None), None)  # the oldest
        entry = _COMPILED[id(checklist)] = (checklist, _Compiled(checklist))
    return entry[1]


def clear_caches() -> None:
    """Forget every checklist's compiled patterns and memos (a fresh process's state)."""
    _COMPILED.clear()


_NUMBERED = re.compile(r"^(?:oit|o)?\d{1,3}")
_YEAR = re.compile(r"^(?:24|25|26|19|20)\d\d$")  # a B.E. or C.E. year alone: a link to that year's document
_DIGITS = re.compile(r"\d+")


def is_generic(checklist: Checklist, text: str) -> bool:
    """An anchor that says nothing by itself: "คลิก", "ดาวน์โหลด", a bare number, or only such words
    ("คลิกเพื่อเปิดไฟล์ PDF", "» Read More", "เปิดอ่านเอกสาร")."""
    return _generic(_compiled(checklist), checklist.generic_anchors, text)


def _generic(c: _Compiled, anchors: frozenset[str], text: str) -> bool:
    """is_generic, memoised by text."""
    generic = c.generic.get(text)
    if generic is None:
        generic = c.generic.put(text, _is_generic(anchors, c.generic_words, text))
    return generic


def _is_generic(anchors: frozenset[str], words: tuple[str, ...], text: str) -> bool:
    k = _NUMBERED.sub("", key(text))
    if len(k) < 3 or k in anchors:
        return True
    rest = _DIGITS.sub("", k)
    for word in words:
        rest = rest.replace(word, "")
        if len(rest) < 3:
            return True
    return False


def link_label(checklist: Checklist, link: Link) -> str:
    """The words that name a link: its anchor; when the anchor is generic, its table row, else the
    heading of the card or block it sits in ("อ่านต่อ" under a post's title)."""
    return _link_words(_compiled(checklist), checklist, link)[0]


def _link_words(c: _Compiled, checklist: Checklist, link: Link) -> tuple[str, int | None]:
    """A link's label and the item number it carries (memoised by the link's words)."""
    memo = (link.text, link.title, link.row, link.card)
    words = c.labels.get(memo)
    if words is None:
        label = _link_label(c, checklist.generic_anchors, link)
        words = c.labels.put(memo, (label, item_number(label) or item_number(link.row)))
    return words


def _link_label(c: _Compiled, anchors: frozenset[str], link: Link) -> str:
    own = " ".join(t for t in (link.text, link.title) if t)
    if own and not _generic(c, anchors, own):
        return own
    year = bool(_YEAR.match(key(own)))  # a year is no page number: the document of that year under the heading
    card = "" if PAGING.match(key(own)) and not year else link.card
    for other in (link.row, card):
        if other and not _generic(c, anchors, other):
            return f"{other} {own}" if year and own not in other else other
    return own or link.row or card


def index_years(checklist: Checklist, text: str) -> tuple[int, ...]:
    """The assessment years a text titles an ITA/OIT index or menu with ("ITA 2564", "OIT ปี 2566",
    "การประเมิน ITA ประจำปี 2564"); () for any other text, such as an item's own label with its data year
    ("O12 รายงานผลการดำเนินงานประจำปี 2564", "รายงานผลการดำเนินงาน 2564 | ITA Online")."""
    return _titled_years(_compiled(checklist), checklist, text)


def _titled_years(c: _Compiled, checklist: Checklist, text: str) -> tuple[int, ...]:
    """index_years, memoised by text."""
    if not text or len(text) > 200:
        return ()
    found = c.years.get(text)
    if found is None:
        found = c.years.put(text, _index_years(checklist, text))
    return found


def _index_years(checklist: Checklist, text: str) -> tuple[int, ...]:
    if item_number(text) is not None:
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
    c = _compiled(checklist)
    for text in texts:
        if memo is None:
            years = _titled_years(c, checklist, text)
        elif text in memo:
            years = memo[text]
        else:
            years = memo[text] = _titled_years(c, checklist, text)
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
    c = _compiled(checklist)
    numbers = {_link_words(c, checklist, lk)[1] for lk in page.links}
    numbers.discard(None)
    return len(numbers) >= 4


def _stripped(p: Pattern) -> Pattern:
    """A phrase as a URL slug spells it: without Thai vowel and tone marks."""
    return Pattern(p.source, tuple(tuple(strip_marks(a) for a in alts) for alts in p.parts))


def _named(c: _Compiled, checklist: Checklist, label_key: str) -> _Named:
    """What a label's words match of every item (memoised by the label's key)."""
    named = c.named.get(label_key)
    if named is None:
        found = present(label_key)
        review = c.review.first_matches(found)
        decoys = c.decoys.first_matches(found)
        maybe = tuple(Hit(item.id, MAYBE, (f"{MAYBE_MARK} {review[n].source}",))
                      for n, item in enumerate(checklist.items)
                      if n in review and not _turned_down(item.decoys, review[n], label_key))
        named = c.named.put(label_key, _Named(c.phrases.first_matches(found), c.weak.first_matches(found),
                                              c.child.first_matches(found), decoys, maybe))
    return named


def _in_context(c: _Compiled, context_key: str) -> dict[int, Pattern]:
    """Per item, the most specific of its section's patterns that a context matches (memoised)."""
    found = c.in_context.get(context_key)
    if found is None:
        found = c.in_context.put(context_key, c.context.first_matches(present(context_key)))
    return found


def _text_score(named: _Named, in_context: Pattern | None, n: int, bonus: bool) -> tuple[float, tuple[str, ...], bool]:
    """Score of item `n` from words: strong phrase; weak or child phrase under the item's section; weak alone.

    A label standing in the item's own section gets a bonus, so that the same short label
    ("ติดตามผล 6 เดือน") goes to the item whose section it is in. The flag says "strong phrase".
    """
    extra, where = (CONTEXT_BONUS if bonus else 0.0, (f"ใต้ {in_context.source}",)) if in_context else (0.0, ())
    p = named.phrases.get(n)
    if p:
        return STRONG + extra, (p.source, *where), True
    w = named.weak.get(n)
    c = named.child.get(n) if in_context else None
    if in_context and (w or c):
        return CONTEXTUAL + extra, ((w or c).source, *where), False
    if w:
        return WEAK, (w.source,), False
    return 0.0, (), False


def _url_scores(c: _Compiled, url: str) -> dict[int, tuple[float, tuple[str, ...]]]:
    """Per item the URL names, its score and term: its host, a phrase in its slug, a hint (memoised by URL)."""
    scores = c.urls.get(url)
    if scores is None:
        scores = c.urls.put(url, _url_features(c, url))
    return scores


def _url_features(c: _Compiled, url: str) -> dict[int, tuple[float, tuple[str, ...]]]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    low = unquote(parts.path + "?" + parts.query).lower()
    lowered = url.lower()
    out: dict[int, tuple[float, tuple[str, ...]]] = {}
    for suffix in (host, *(host[i + 1:] for i, ch in enumerate(host) if ch == ".")):
        for n in c.hosts.get(suffix, ()):
            out.setdefault(n, (HOST, (f"host {host}",)))
    if THAI_CHAR.search(low):
        for n, p in c.slugs.earliest(present(key(strip_marks(low)))).items():
            out.setdefault(n, (SLUG, (f"URL {p.source}",)))
    hinted = c.hints.present(low)
    for n, hints in c.url_hints if hinted else ():
        if n not in out and not hinted.isdisjoint(hints):
            hint = next(h for h in hints if h in hinted)
            if hint:
                out[n] = (HINT, (f"URL {hint}",))
    for n, decoys in c.url_decoys:
        if n in out and any(d in lowered for d in decoys):
            del out[n]
    return out


def score_label(checklist: Checklist, label: str, context: str, url: str = "",
                number: int | None = None, bonus: bool = True, trusted: bool = True) -> list[Hit]:
    """Items a label names, best first (memoised: the same label, context and URL score the same)."""
    c = _compiled(checklist)
    memo = (label, context, url, number, bonus, trusted)
    hits = c.scored.get(memo)
    if hits is None:
        hits = c.scored.put(memo, tuple(_score_label(checklist, c, label, context, url, number, bonus, trusted)))
    return list(hits)


def _score_label(checklist: Checklist, c: _Compiled, label: str, context: str, url: str,
                 number: int | None, bonus: bool, trusted: bool) -> list[Hit]:
    """Items a label names, best first.

    `number` is the item number the label carries. Trusted (on an ITA/OIT list) it decides;
    otherwise it only picks among the items the words already name ("O 19 :: รายงานทางการเงิน"
    is O19, not O20). Only the items its words, its URL or its number name are looked at.
    """
    label_key = key(label)
    named = _named(c, checklist, label_key)
    context_key = key(context) if named.phrases or named.weak or named.child else ""  # else the section is moot
    in_context = _in_context(c, context_key) if context_key else {}
    urls = _url_scores(c, url) if url else {}
    candidates = named.phrases.keys() | named.weak.keys() | (named.child.keys() & in_context.keys()) | urls.keys()
    if number in c.numbered:
        candidates.add(c.numbered[number])
    hits, strong = [], set()
    for n in sorted(candidates):
        item = checklist.items[n]
        score, terms, is_strong = _text_score(named, in_context.get(n), n, bonus)
        if is_strong:
            strong.add(item.id)
        uscore, uterms = urls.get(n, (0.0, ()))
        if score and uscore:
            score, terms = score + 0.1, terms + uterms
        elif uscore > score:
            score, terms = uscore, uterms
        decoy = named.decoys.get(n)
        if decoy and score:
            score, terms = score * DECOY_FACTOR, (*terms, f"{DECOY_MARK} {decoy.source}")
        if number == item.number and trusted:
            score, terms = max(score + 0.1, NUMBER), (f"{NUMBER_MARK}{number}", *terms)
        elif number == item.number and score > 0:
            terms = (f"{NUMBER_MARK}{number}", *terms)  # picks this item among those named, no more
        if score > 0:
            hits.append(Hit(item.id, round(score, 3), terms, is_strong or (number == item.number and trusted)))
    if number is not None and any(h.terms[0].startswith(NUMBER_MARK) for h in hits):
        hits = [h for h in hits if h.terms[0].startswith(NUMBER_MARK)]
    elif strong:  # a label that fully names an item is a short label of another only in its section
        top = max(h.score for h in hits if h.item in strong)
        hits = [h for h in hits if h.item in strong or h.score >= top - 1e-9]
    best = max((h.score for h in hits), default=0.0)
    keep = [h for h in hits if h.score >= best - MARGIN or is_decoy(h)]  # decoys are evidence against
    kept = {h.item for h in keep}
    keep += [h for h in named.maybe if h.item not in kept]  # may serve though it names something else
    return sorted(keep, key=lambda h: (-h.score, h.item))


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
    label, number = _link_words(_compiled(checklist), checklist, link)
    card = link.card if link.card and link.card != label and link.card not in link.menu else ""
    hits = score_label(checklist, label, " ".join([*link.menu, card, "" if link.chrome else context]), link.url,
                       number, trusted=list_page)
    if not hits and link.tag == "a":
        hits = _under_group(checklist, link, label)
    if link.tag in ("embed", "iframe"):  # a plugin's account, or a service shown in the page itself
        hits = [Hit(h.item, round(max(h.score, STRONG) + CONTEXT_BONUS + 0.1, 3), (EMBED_MARK, *h.terms), True)
                if any(t.startswith("host ") for t in h.terms) else h for h in hits]
    return hits


UNNAMED = 24  # match-key characters of a label that names nothing by itself: a year, a unit, a short word


def _under_group(checklist: Checklist, link: Link, label: str) -> list[Hit]:
    """Items a link means by the heading or menu group it stands under, when its own words name nothing and are
    few ("2561" under "เทศบัญญัติงบประมาณรายจ่าย", "กองคลัง" under the group "อำนาจหน้าที่"): the group names
    the item fully (a phrase), the link is one of its parts. Never more than CONTEXTUAL."""
    group = link.card or (link.menu[0] if link.menu else "")
    rest = _DIGITS.sub("", key(label))
    if not group or group == label or len(rest) > UNNAMED or (rest and PAGING.match(key(label))):
        return []
    c = _compiled(checklist)
    turned = {checklist.items[n].id for n in _named(c, checklist, key(label)).decoys}  # its words say it is not
    return [Hit(h.item, CONTEXTUAL, (f"{GROUP_MARK} {group[:60]}", *h.terms), False)
            for h in score_label(checklist, group, "", bonus=False) if h.strong and not is_decoy(h)
            and h.item not in turned]


def decision(hit: Hit) -> str:
    """What the crawler makes of a hit: found, review, too weak, or a decoy that vetoes its URL."""
    if is_decoy(hit):
        return "decoy"
    return "found" if hit.score >= FOUND else "review" if hit.score >= REVIEW else "weak"


def page_label(page: Page) -> str:
    """What a page says it is: its main heading, else its title without the site name."""
    if page.headings and page.headings[0]:
        return page.headings[0]
    return title_parts(page.title)[0] if page.title else ""


def score_page(checklist: Checklist, page: Page, context: str, label: str | None = None) -> list[Hit]:
    """Items the page itself is about (title and heading, or `label`); weaker than a link naming it."""
    hits = score_label(checklist, page_label(page) if label is None else label, context, page.url, bonus=False)
    return [Hit(h.item, round(h.score * 0.95, 3), h.terms, h.strong) for h in hits]


def priority(checklist: Checklist, link: Link, hits: list[Hit]) -> int:
    """Crawl order: ITA/OIT index first, then links naming items, then sections, then the rest."""
    steers = _compiled(checklist).steers
    memo = (link.text, link.title, link.url)
    marker, section = steers.get(memo) or steers.put(memo, _steers(checklist, link))
    if marker:
        return 3
    best = max((h.score for h in hits), default=0.0)
    if best >= REVIEW:
        return 2
    if best > 0 or section:
        return 1
    return 0


def _steers(checklist: Checklist, link: Link) -> tuple[bool, bool]:
    """Whether a link's words and path name an ITA/OIT index, and whether they name any item's section."""
    label_key = key(f"{link.text} {link.title} {unquote(urlsplit(link.url).path)}")
    if first_match(checklist.list_markers, label_key):
        return True, False
    return False, bool(_compiled(checklist).context.first_matches(present(label_key)))


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
