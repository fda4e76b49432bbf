"""A page's sections: headed blocks of its content, the blocks its tabs, accordions and modals open, and its
footer, each with its text, links and documents."""

from __future__ import annotations

import re
import time

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..models import Section
from .links import SKIP_SCHEMES, Joiner
from .tree import CARD_HEADS, FAR, Tree, chrome_mark, heading_rank, holds, ranks_index

_SECTION_HEADS = {"h1", "h2", "h3", "h4", "h5"}
_DOC_EXT = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar)(?:$|[?#])", re.IGNORECASE)


def read_sections(tree: LexborHTMLParser, join: Joiner, chrome: dict[int, int], deadline: float = float("inf")
              ) -> list[Section]:
    """Headed blocks of the content, and the page footer (where contact details live).

    `chrome` is what the links found of navigation above each element (the junk gone changes no class).
    """
    out: list[Section] = []
    seen: set[int] = set()
    heads = tree.css(CARD_HEADS)
    memo = Tree(heads)
    memo.chrome = chrome
    ranks = ranks_index(heads)
    for h in heads:
        if time.monotonic() > deadline:
            break
        if h.tag not in _SECTION_HEADS:
            continue
        heading = memo.text(h, 160)
        if not heading or len(heading) < 3:
            continue
        block, anchor, rank = h, h.attributes.get("id") or "", heading_rank(h)
        for _ in range(4):  # climb to the block the heading titles: more text, no other heading of its rank
            parent = block.parent
            if parent is None or parent.tag in ("body", "html", "-document"):
                break
            if ranks[parent.mem_id][1] <= rank:  # h is one of the two best: the other is as good
                break
            block = parent
            anchor = anchor or block.attributes.get("id") or ""
            if len(memo.text(block, 200)) > len(heading) + 20:
                break
        if block.mem_id == h.mem_id or block.mem_id in seen or memo.in_chrome(h):
            continue
        hrefs = [(a.attributes.get("href") or "").strip() for a in block.css("a[href]")]
        text = memo.text(block, 800)
        if not hrefs and len(text) <= len(heading) + 20:  # a bare heading: what follows it is its content
            after = _following(block, ranks, rank)
            hrefs = [(a.attributes.get("href") or "").strip() for sib in after for a in sib.css("a[href]")]
            text = " ".join([text, *(memo.text(sib, 800) for sib in after)])[:800]
            anchor = anchor or next((sib.attributes.get("id") or "" for sib in after if sib.attributes.get("id")), "")
        targets = set(hrefs)
        if len(targets) == 1:
            continue  # a card: one post and its picture
        sec = _section(text, hrefs, heading, anchor or "", join)
        if not targets and len(sec.text) < len(heading) + 60:
            continue  # a heading with nothing under it
        seen.add(block.mem_id)
        out.append(sec)
        if len(out) >= 40:
            break
    out += _targets(tree, memo, join, seen, 40 - len(out))
    feet: list[LexborNode] = []
    for foot in tree.css(FOOTERS):
        if any(holds(outer, foot) for outer in feet):
            continue  # a block of a footer already read (footer-widget in footer)
        feet.append(foot)
        text = memo.text(foot, 800)
        if len(text) >= 10 and foot.mem_id not in seen:
            seen.add(foot.mem_id)
            head = foot.css_first(CARD_HEADS)  # the footer itself or its first, as `memo.headings(foot)[1]`
            hrefs = [(a.attributes.get("href") or "").strip() for a in foot.css("a[href]")]
            sec = _section(text, hrefs, memo.text(head, 160) if head is not None else "",
                           foot.attributes.get("id") or "", join)
            sec.footer = True
            out.append(sec)
    return out


# the page's footer, where contact details live, by the names themes give it
FOOTERS = ("footer, #footer, .footer, #footerSection, .site-footer, [class*=footer], [id*=footer], #foot, .foot, "
           "#bottom, .bottom, .copyright, #copyright")
FOLLOWING = 6  # blocks after a bare heading read as its content at most


def _following(block: LexborNode, ranks: dict[int, tuple[int, int]], rank: int) -> list[LexborNode]:
    """The elements after a heading's own block up to the next heading as good (its content in a layout that
    puts the heading in a row of its own, the items in the next rows)."""
    out: list[LexborNode] = []
    sib = block.next
    while sib is not None and len(out) < FOLLOWING:
        if sib.tag not in ("-text", "-comment", "script", "style", "hr", "br"):
            if ranks.get(sib.mem_id, (FAR, FAR))[0] <= rank:
                break
            out.append(sib)
        sib = sib.next
    return out


TAB_TARGETS = "a[href^='#'], [data-target^='#'], [data-bs-target^='#']"


def _targets(tree: LexborHTMLParser, memo: Tree, join: Joiner, seen: set[int], room: int) -> list[Section]:
    """Blocks of the page shown by an in-page control (a tab, an accordion, a modal dialog: `href="#id"`,
    `data-target`, `data-bs-target`): the control's words title the hidden block it opens."""
    out: list[Section] = []
    ids: dict[str, LexborNode] | None = None
    for ctl in tree.css(TAB_TARGETS):
        if len(out) >= room:
            break
        attrs = ctl.attributes
        ref = next((v for v in (attrs.get("data-bs-target"), attrs.get("data-target"), attrs.get("href"))
                    if v and v.startswith("#") and len(v) > 1), None)
        title = memo.text(ctl, 160)
        if ref is None or len(title) < 3 or attrs.get("data-slide") or attrs.get("data-bs-slide"):
            continue
        if ids is None:
            ids = {}
            for node in tree.css("[id]"):
                ids.setdefault(node.attributes.get("id") or "", node)
        target = ids.get(ref[1:])
        if target is None or target.mem_id in seen or chrome_mark(target) or holds(target, ctl):
            continue  # (a collapsed navigation bar is the menu, not a block of content)
        text = memo.text(target, 800)
        hrefs = [(a.attributes.get("href") or "").strip() for a in target.css("a[href]")]
        if len(text) < 60 and len(set(hrefs)) < 2:
            continue
        seen.add(target.mem_id)
        out.append(_section(f"{title} {text}"[:800], hrefs, title, ref[1:], join))
    return out


def _section(text: str, hrefs: list[str], heading: str, anchor: str, join: Joiner) -> Section:
    """A block's section: its text, followable links and documents among them."""
    hrefs = [x for x in hrefs if x and not x.lower().startswith(SKIP_SCHEMES)]
    return Section(heading, anchor, text, len(hrefs), sum(1 for x in hrefs if _DOC_EXT.search(join(x, False)[0])))


