"""Does the content really show the item? Pure functions over parsed pages: no I/O.

- Evidence is what an evaluator opens: a page or a document, never an image, icon, style or script.
- A headed section of a page (a news block on the home page, a contact footer) is evidence when it
  names an item and has content of its own: the page URL with the section's `#id`.
- A post's own title, not the CMS section heading above it, says what the post is.
- A heading is not the content: a test row, a list that shows nothing, a page whose only words are
  its heading, or a page whose headings are about another item are at most `review`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .checklist import Checklist, Item
from .elements import Evidence, person
from .elements import missing as missing_elements
from .match import (
    CONTEXTUAL,
    FOUND,
    GROUP_MARK,
    MAYBE,
    MAYBE_MARK,
    PAGING,
    Hit,
    is_decoy,
    is_generic,
    is_list_page,
    page_label,
    score_label,
    score_link,
)
from .models import Page, Section
from .patterns import first_match
from .thai import THAI_CHAR, key
from .urls import is_document, is_media

SECTION_FACTOR = 0.9  # a block of a page is a little weaker than a link naming the item
SECTION_MIN_TEXT = 60  # characters of content besides the heading
SECTION_KINDS = ("page", "document")
SECTION_READ = 400  # characters of a block's content read to confirm what its short heading names
HUB_REST = 60  # match-key characters a category page may say besides its links
POST_TOP = 600  # characters at the top of a page's content where a post's title stands
MIN_BODY = 6  # match-key characters of a page's own content besides its headings: nothing there
DOC_PAGE_REST = 200  # match-key characters a page of documents says besides them (its content is the documents)


def openable(url: str) -> bool:
    """A URL an evaluator can open as evidence: a page or a document, not media, styles or scripts."""
    return not is_media(url)


def post_heading(page: Page, via_label: str) -> str:
    """What a page is about: the heading that restates the link that led here (a post's title under
    the CMS's section heading "ข่าวประชาสัมพันธ์"), else its main heading or title."""
    via = key(via_label)
    if len(via) >= 6:
        for heading in page.headings[:4]:
            k = key(heading)
            if len(k) >= 6 and (k.startswith(via[:40]) or via.startswith(k[:40])):
                return heading
        if len(via) >= 12 and via[:40] in key(page.content[:POST_TOP]):
            return via_label  # the title sits in the first lines of the content, not in a heading tag
    return page_label(page)


def section_url(page: Page, section: Section) -> str:
    return f"{page.url.split('#', 1)[0]}#{section.anchor}" if section.anchor else page.url


def section_hits(checklist: Checklist, page: Page, repeated: set[str], home: bool, listing: bool | None = None,
                 ) -> Iterator[tuple[str, str, list[Hit]]]:
    """(URL, heading, hits) of the page's sections that name an item and carry content.

    Sections seen on the home page and repeated on other pages are the site's sidebar: counted once,
    on the home page. A footer without a heading is a candidate (review) of items whose required
    text elements it shows (address, phone, e-mail: the contact item).
    """
    if listing is None:  # an ITA/OIT list (`is_list_page`): its headings title the links under them
        listing = is_list_page(checklist, page)
    for sec in page.sections:
        head = key(sec.heading)
        if home and head:
            repeated.add(head)
        elif head in repeated:
            continue
        if listing:
            continue
        hits: list[Hit] = []
        body = len(sec.text) - len(sec.heading)
        if sec.heading and (body >= SECTION_MIN_TEXT or sec.links >= 2):
            shown: list[Hit] | None = None  # what the block's own words name: they confirm a short heading
            for h in score_label(checklist, sec.heading, "", bonus=False):
                item = _item(checklist, h.item)
                if is_decoy(h) or item is None or item.kind not in SECTION_KINDS or not item.sections:
                    continue
                score, terms = h.score, h.terms
                if not h.strong and score < CONTEXTUAL:
                    if shown is None:
                        shown = score_label(checklist, sec.text[len(sec.heading):][:SECTION_READ], "", bonus=False)
                    confirm = next((s for s in shown if s.item == h.item and s.strong and not is_decoy(s)), None)
                    if confirm is not None:
                        score, terms = CONTEXTUAL, (*terms, f"เนื้อหาในส่วนนี้: {confirm.terms[0]}")
                hits.append(Hit(h.item, round(score * SECTION_FACTOR, 3), ("ส่วนของหน้า", *terms), h.strong))
        if sec.footer or not hits:
            hits += _shows_elements(checklist, sec, {h.item for h in hits})
        if hits:
            yield section_url(page, sec), sec.heading or _footer_label(sec), hits


def sign_hits(checklist: Checklist, page: Page, everywhere: str) -> list[Hit]:
    """Items whose `signs` the page's own content shows though nothing names them (the mayor's name and title
    under a vision statement: the executives item, in part): review, never found. A name the home page shows too
    (`everywhere`: a sidebar on every page) is not this page's."""
    out = []
    ev = Evidence(page.content, page)
    for item in checklist.items:
        if not item.signs:
            continue
        if missing_elements(item.signs, ev, checklist.year):
            continue
        name = person(page.content) if any(s.check == "person" for s in item.signs) else None
        if name is not None and name in everywhere:
            continue
        shown = ", ".join(s.name for s in item.signs)
        out.append(Hit(item.id, MAYBE, (f"{MAYBE_MARK} หน้านี้แสดง{shown}",)))
    return out


def _footer_label(sec: Section) -> str:
    return f"ท้ายหน้า: {sec.text[:60]}"


def _shows_elements(checklist: Checklist, sec: Section, named: set[str]) -> list[Hit]:
    """Items with three or more required text elements of which the section shows all but one."""
    text = key(sec.text)
    out = []
    for item in checklist.items:
        wanted = [r for r in item.requires if r.text]
        if item.id in named or len(wanted) < 3:
            continue
        shown = [r.name for r in wanted if first_match(r.text, text)]
        if len(shown) >= len(wanted) - 1:
            out.append(Hit(item.id, MAYBE, (f"ส่วนของหน้าแสดง {', '.join(shown)}",)))
    return out


def _item(checklist: Checklist, item_id: str) -> Item | None:
    return next((i for i in checklist.items if i.id == item_id), None)


def doubt(checklist: Checklist, item: Item, label: str, page: Page | None, source: str = "link") -> str | None:
    """Why evidence that names the item may not show it (then `review`, not `found`), or None."""
    test = first_match(checklist.test_markers, key(label))
    if test:
        return f"เป็นรายการทดสอบ ('{test.source}') ไม่ใช่ข้อมูลจริง"
    if page is None:
        return None
    content = key(page.content)
    empty = first_match(checklist.empty_listing, content)
    if empty:
        return f"หน้ารายการไม่แสดงเอกสารใด ('{empty.source}')"
    if source == "section":
        return None
    body = _own_words(page)
    own_links = [lk for lk in page.links if not lk.chrome and lk.tag == "a"]
    if len(body) < MIN_BODY and not own_links and not page.forms and not page.images:
        return "หน้ามีเพียงหัวข้อ ไม่มีเนื้อหา"
    hub = _hub_of_others(checklist, item, own_links, body)
    if hub:
        return hub
    lab = key(label)[:40]
    named, other = len(lab) >= 12 and lab in key(page.content[:POST_TOP]), None  # its title at the top
    for heading in [*page.headings[:3], page_label(page)]:
        for h in score_label(checklist, heading, "", bonus=False):
            if h.item == item.id and not is_decoy(h):
                named = True
            elif h.score >= FOUND and h.strong and not is_decoy(h) and other is None:
                other = h
    if other is not None and not named:
        return f"หัวข้อของหน้าเป็นเรื่องอื่น ({other.item}: {other.terms[0]})"
    return _documents_of_other(checklist, item, label, page, own_links)


OVERLAP = 6  # match-key characters two labels share when they speak of the same thing


def _shares(a: str, b: str) -> bool:
    """Two match keys share a run of OVERLAP characters (the same words, more or less)."""
    short, long_ = (a, b) if len(a) <= len(b) else (b, a)
    if len(short) < OVERLAP:
        return bool(short) and short in long_
    return any(short[i:i + OVERLAP] in long_ for i in range(len(short) - OVERLAP + 1))


def _names_item(checklist: Checklist, item: Item, text: str) -> bool:
    """The text names the item at all: a phrase, a weak word, its URL words, or its section's words."""
    if any(h.item == item.id and not is_decoy(h) for h in score_label(checklist, text, "", bonus=False)):
        return True
    k = key(text)
    return any(p.matches(k) for p in item.context)


def _documents_of_other(checklist: Checklist, item: Item, label: str, page: Page, links: list) -> str | None:
    """A page of documents whose every named document is about something else (a project list under the
    heading of the annual procurement report): the heading is right, the content is not."""
    docs = [lk for lk in links if is_document(lk.url) and lk.text and THAI_CHAR.search(lk.text)
            and not is_generic(checklist, lk.text) and len(key(lk.text)) >= OVERLAP]
    if not docs or len(key(_own_words(page))) > DOC_PAGE_REST:
        return None
    lab = key(label)
    for lk in docs:
        if _names_item(checklist, item, lk.text) or _shares(key(lk.text), lab):
            return None
    return f"เอกสารในหน้านี้ ('{docs[0].text[:60]}') ไม่ใช่เรื่องของข้อนี้"


def names_other(checklist: Checklist, item: Item, label: str) -> str | None:
    """Why a label that names the item only by a short or shared word is about another item: its words fully
    name that one ("ประชาสัมพันธ์งบประมาณรายจ่าย" is the budget, not the news), or None."""
    hits = [h for h in score_label(checklist, label, "", bonus=False) if not is_decoy(h)]
    if any(h.item == item.id and h.strong for h in hits):
        return None
    other = next((h for h in hits if h.item != item.id and h.strong and h.score >= FOUND), None)
    if other is None:
        return None
    return f"ชื่อลิงก์ระบุเรื่องอื่นชัดกว่า ({other.item}: {other.terms[0]})"


def _own_words(page: Page) -> str:
    """The page's content as a match key without what every page repeats or what only names it:
    title parts (the site's name), headings, navigation link words and the footer."""
    body = key(page.content)
    drop = {key(part) for part in re.split(r"\s+[-|:]{1,2}\s+|\s*\|\s*", page.title)}
    drop |= {key(h) for h in page.headings[:3]}
    drop |= {key(lk.text) for lk in page.links if lk.chrome and lk.text}
    drop |= {key(sec.text) for sec in page.sections if sec.footer}
    for words in sorted((d for d in drop if len(d) >= 2), key=len, reverse=True):
        body = body.replace(words, "")
    return body


def _hub_of_others(checklist: Checklist, item: Item, links: list, body: str) -> str | None:
    """A category page titled as the item whose links all lead to other items ("ประกาศจัดซื้อจัดจ้าง"
    listing the plan, the monthly summary and the annual report): a menu, not the item's content."""
    if not links:
        return None
    rest = body
    others: set[str] = set()
    elsewhere = 0  # links naming another item, or turned down for this one by its decoys
    for lk in links:
        rest = rest.replace(key(lk.text), "") if lk.text else rest
        scored = [h for h in score_link(checklist, lk, "", False) if not h.terms[0].startswith(GROUP_MARK)]
        hits = [h for h in scored if not is_decoy(h)]  # (what the page's own heading means is no link's word)
        if any(h.item == item.id and h.score >= FOUND for h in hits):
            return None
        if hits and hits[0].score >= FOUND:
            others.add(hits[0].item)
            elsewhere += 1
        elif any(h.item == item.id and is_decoy(h) for h in scored):
            elsewhere += 1
    named = sum(1 for lk in links if lk.text and not PAGING.match(key(lk.text)))
    if others and elsewhere * 2 >= named and len(rest) < HUB_REST:
        return f"หน้านี้เป็นหมวดที่ลิงก์ไปยังเรื่องอื่น ({', '.join(sorted(others))}) ไม่ใช่เนื้อหาของข้อนี้"
    return None
