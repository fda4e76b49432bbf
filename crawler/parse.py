"""Text to Page: title, headings, body text and every link with what surrounds it."""

from __future__ import annotations

import contextlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .models import Link, Page, Section
from .thai import clean
from .urls import clean_href, is_web, well_formed

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "caption", "legend"}
LABELS = HEADINGS | {"span", "a", "button", "strong", "b", "label", "p", "div", "em", "font", "summary"}
ROWS = ("tr", "li", "p", "dd", "dt", "div")
CHROME_MARKS = {"nav", "navbar", "navigation", "header", "footer", "topbar", "sidebar", "dropdown", "site-header"}
INLINE = {"a", "area", "font", "span", "b", "strong", "em", "small", "i", "u", "frame", "iframe"}
SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "file:", "data:", "about:", "#", "ftp:", "sms:")
MAX_TEXT = 20000
BLOCK_LABEL = 80  # characters of a block (not a heading) that labels the list after it at most
MAX_LINKS = 5000
PARSE_SECONDS = 5.0  # reading a page's links and sections stops here (the event loop waits): the page is `timed_out`
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


_SPACES = re.compile(r"\s+")
FAR = 1 << 30  # no such node above or before


def _text(node: LexborNode, limit: int = 400) -> str:
    """The node's readable text, at most `limit` characters (only that much is normalised)."""
    return _cut(node.text(deep=True, separator=" ", strip=True), limit)


def _cut(raw: str, limit: int) -> str:
    """`_text` of a node whose raw text is `raw`."""
    cut = limit + 64
    if len(raw) <= cut:  # nothing cut: split and join collapse whitespace as _SPACES does but for the ends,
        return clean(" ".join(raw.split()))[:limit]  # which clean trims (before its normaliser sees them)
    if len(raw) > 4 * cut:  # a big block: whitespace collapsed in a prefix long enough is a prefix of the whole
        head = _SPACES.sub(" ", raw[: 4 * cut])
        raw = head if len(head) >= cut else _SPACES.sub(" ", raw)
    else:
        raw = _SPACES.sub(" ", raw)
    return clean(raw[:cut])[:limit]


def _own_text(node: LexborNode) -> str:
    """Text of a list item without its nested lists (a dropdown's own label)."""
    parts = []
    for child in node.iter(include_text=True):
        if child.tag in ("ul", "ol", "div", "table"):
            continue
        parts.append(child.text(deep=True, separator=" ", strip=True))
    return clean(" ".join(p for p in parts if p))[:200]


def _chrome_mark(node: LexborNode) -> bool:
    """The element is navigation, a header or footer, or a menu by its tag, class or id."""
    return node.tag in ("nav", "header", "footer") or _chrome_attrs(node.attributes)


def _chrome_attrs(attrs: dict[str, str | None]) -> bool:
    """`_chrome_mark` of an element by its attributes (`node.attributes`: one dict, cheaper than `node.attrs`)."""
    cls, ident = attrs.get("class"), attrs.get("id")
    if not cls and not ident:
        return False
    marks = f"{cls or ''} {ident or ''}".lower()
    return "menu" in marks or "navbar" in marks or not CHROME_MARKS.isdisjoint(marks.split())


def _heads_index(heads: list[LexborNode]) -> dict[int, tuple[int, LexborNode]]:
    """Every element holding one of `heads` (itself included): how many (1, or 2 for more), and the first.

    Each heading is counted up its ancestors until one already holds two (so do all above it).
    """
    index: dict[int, tuple[int, LexborNode]] = {}
    for head in heads:
        node: LexborNode | None = head
        while node is not None:
            known = index.get(node.mem_id)
            if known is not None and known[0] >= 2:
                break
            index[node.mem_id] = (2, known[1]) if known is not None else (1, head)
            node = node.parent
    return index


def _ranks_index(heads: list[LexborNode]) -> dict[int, tuple[int, int]]:
    """Every element holding one of `heads` (itself included): the two best (lowest) heading ranks in it."""
    index: dict[int, tuple[int, int]] = {}
    for head in heads:
        rank = _rank(head)
        node: LexborNode | None = head
        while node is not None:
            best, second = index.get(node.mem_id, (FAR, FAR))
            if rank >= second:  # nothing changes here, nor above (they hold at least as good)
                break
            index[node.mem_id] = (rank, best) if rank < best else (best, rank)
            node = node.parent
    return index


class _Tree:
    """What links of one parsed tree share (ancestors, siblings, blocks), each worked out once."""

    def __init__(self, heads: list[LexborNode] | None = None) -> None:
        self.head_nodes = heads or []  # the tree's CARD_HEADS, in document order
        self.heads: dict[int, tuple[int, LexborNode]] | None = None
        self.texts: dict[tuple[int, int], str] = {}
        self.raws: dict[int, str] = {}
        self.chrome: dict[int, int] = {}  # node -> steps up to the nearest navigation, header or footer
        self.rows: dict[int, str] = {}
        self.own: dict[int, str] = {}
        self.ups: dict[int, tuple[tuple[str | None, ...], tuple[str, int]]] = {}  # node -> (menu chain, card)
        self.inline: dict[int, tuple[str | None, int]] = {}
        self.blocks: dict[int, tuple[int, str]] = {}
        self.wrapped: dict[int, str] = {}
        self.card_labels: dict[int, tuple[str | None, int]] = {}
        self.cached: dict[int, tuple[tuple[Any, ...], int]] = {}  # node -> (its _BLOCKS candidates, depth)

    def candidates(self, node: LexborNode) -> tuple[tuple[LexborNode, int], ...]:
        """The elements above `node` whose links `_BLOCKS` may keep, outermost first, each with its depth.

        Depths count from the body's child (1); `node`'s own depth is `self.cached[node.mem_id][1]`.
        """
        path: list[LexborNode] = []
        found: tuple[tuple[Any, ...], int] = ((), 0)
        while node is not None:
            known = self.cached.get(node.mem_id)
            if known is not None:
                found = known
                break
            if node.tag in ("body", "html", "-document"):
                break
            path.append(node)
            node = node.parent
        for node in reversed(path):
            blocks, depth = found
            tag = node.tag
            if tag not in _NOT_BLOCKS and (tag in ("nav", "header", "footer") or _block_attrs(node.attributes)):
                blocks = (*blocks, (node, depth + 1))
            found = self.cached[node.mem_id] = (blocks, depth + 1)
        return found[0]

    def block_key(self, block: LexborNode) -> tuple[Any, ...]:
        """What the fields of the links in `block` depend on: its HTML, and its menu chain, card and chrome."""
        chain, card = self._climb(block)
        return block.html or "", chain, card, min(self.chrome[block.mem_id], 12)

    def text(self, node: LexborNode, limit: int) -> str:
        key = (node.mem_id, limit)
        found = self.texts.get(key)
        if found is None:
            raw = self.raws.get(node.mem_id)
            if raw is None:
                raw = self.raws[node.mem_id] = node.text(deep=True, separator=" ", strip=True)
            found = self.texts[key] = _cut(raw, limit)
        return found

    def own_text(self, node: LexborNode) -> str:
        found = self.own.get(node.mem_id)
        if found is None:
            found = self.own[node.mem_id] = _own_text(node)
        return found

    def in_chrome(self, a: LexborNode) -> bool:
        """In the site's navigation, header or footer: one within twelve levels above the element."""
        return self._chrome_steps(a.parent) < 12

    def _chrome_steps(self, node: LexborNode | None) -> int:
        path: list[int] = []
        steps = FAR
        while node is not None:
            known = self.chrome.get(node.mem_id)
            if known is not None:
                steps = known
                break
            tag = node.tag
            if tag in ("body", "html"):
                steps = self.chrome[node.mem_id] = FAR
                break
            if not tag.startswith("-") and _chrome_mark(node):
                steps = self.chrome[node.mem_id] = 0
                break
            path.append(node.mem_id)
            node = node.parent
        for mem_id in reversed(path):
            steps = min(FAR, steps + 1)
            self.chrome[mem_id] = steps
        return steps

    def row(self, a: LexborNode) -> str:
        node = a.parent
        for _ in range(6):
            if node is None or node.tag in ("body", "html"):
                return ""
            if node.tag in ROWS:
                found = self.rows.get(node.mem_id)
                if found is None:
                    found = self.rows[node.mem_id] = self._row_text(node)
                return found
            node = node.parent
        return ""

    def row_hidden(self, a: LexborNode, rows: bool) -> tuple[str, bool, int]:
        """`row(a)` (when `rows`, else ""), whether the link or its row is hidden, and how many levels up
        both looked, from one climb.

        Hidden: the link itself, or the table row / list item / paragraph holding it (three levels up,
        not past a list, table, div or nav); a dropdown menu or a tab hidden until clicked is still there.
        """
        hidden = _hides(a.attributes)
        looking = not hidden  # for a hidden row
        row: str | None = None if rows else ""
        node = a.parent
        reach = 0
        for depth in range(1, 7):
            if node is None or (row is not None and not looking):
                break
            reach = depth
            tag = node.tag
            if looking:
                if depth > 3 or tag in _HIDE_STOPS:
                    looking = False
                elif tag in HIDDEN_ROWS and _hides(node.attributes):
                    hidden, looking = True, False
            if row is None:
                if tag in ("body", "html"):
                    row = ""
                elif tag in ROWS:
                    row = self.rows.get(node.mem_id)
                    if row is None:
                        row = self.rows[node.mem_id] = self._row_text(node)
            node = node.parent
        return row or "", hidden, reach

    def _row_text(self, node: LexborNode) -> str:
        if node.tag == "li" and node.css_first("ul, ol") is not None:
            return self.own_text(node)
        text = self.text(node, 600)
        return text if node.tag == "tr" or len(text) <= 300 else ""

    def menu_labels(self, a: LexborNode) -> list[str]:
        """Parent menu and section labels of a link, nearest first (at most three)."""
        labels: list[str] = []
        for label in self._climb(a)[0]:
            if label and label not in labels:
                labels.append(label)
                if len(labels) == 3:
                    break
        return labels

    def _climb(self, node: LexborNode) -> tuple[tuple[str | None, ...], tuple[str, int]]:
        """The menu chain and card of `node`, worked out for it and each node above it not yet met.

        The menu chain: the label (or None) each of the ten nodes from `node` up gives, up to the body.
        The card: its title climbing from `node`, and how many blocks up it was settled (`card`).
        Each node gets its `_chrome_steps` too: all three from its parent's, in one climb.
        """
        path: list[tuple[LexborNode, LexborNode | None, bool]] = []  # (node, parent, parent is the top)
        chain: tuple[str | None, ...] = ()
        card: tuple[str, int] = ("", 0)
        steps = FAR  # above the body (or html, or the document): no navigation
        while True:
            known = self.ups.get(node.mem_id)
            if known is not None:
                (chain, card), steps = known, self.chrome[node.mem_id]
                break
            parent = node.parent
            top = parent is None or parent.tag in ("body", "html", "-document")
            path.append((node, parent, top))
            if top:
                break
            node = parent
        for node, parent, top in reversed(path):
            steps = 0 if not node.tag.startswith("-") and _chrome_mark(node) else min(FAR, steps + 1)
            self.chrome[node.mem_id] = steps
            chain = (self._menu_label(node, parent), *chain[:9])
            if top or parent is None:
                card = ("", 0 if parent is None else 1)
            else:
                title = self._block_title(parent, node)
                card = (title, 1) if title is not None else (card[0], min(FAR, card[1] + 1))
            self.ups[node.mem_id] = (chain, card)
        return chain, card

    def _menu_label(self, node: LexborNode, parent: LexborNode | None) -> str | None:
        label = self._label_before(node, node.tag in INLINE)
        if label is None and node.tag in ("ul", "ol") and parent is not None and parent.tag == "li":
            label = self.own_text(parent) or None
        return label

    def _label_before(self, node: LexborNode, inline: bool) -> str | None:
        """The heading or menu label standing just before `node` among its siblings (60 at most)."""
        if inline:
            label, steps = self._inline_label(node.prev)
            return label if steps <= 60 else None
        sib, steps = node.prev, 0
        while sib is not None and steps < 60:
            steps += 1
            tag = sib.tag
            if tag == "hr":
                return None
            if tag in ("-text", "-comment", "br", "script", "style", "img"):
                sib = sib.prev
                continue
            if tag in HEADINGS:
                return self.text(sib, 120) or None
            if tag in LABELS:  # a block before a list labels it when it is a label: short, no links of its own
                text = self.text(sib, 120)
                if not text or len(text) > BLOCK_LABEL or sib.css_first("a[href]") is not None:
                    return None
                return text
            return None
        return None

    def _inline_label(self, sib: LexborNode | None) -> tuple[str | None, int]:
        """The nearest bold or heading label from `sib` back (a rule stops), and how many siblings away."""
        return _scan_back(sib, self.inline, self._inline_hit)

    def _inline_hit(self, sib: LexborNode) -> tuple[str | None, int] | None:
        tag = sib.tag
        if tag == "hr":
            return None, FAR
        if tag in HEADINGS or tag in ("strong", "b", "span"):
            label = self.text(sib, 120)
            if label:
                return label, 1
        return None

    def headings(self, node: LexborNode) -> tuple[int, LexborNode | None]:
        """How many CARD_HEADS `node` is or holds (2 for two or more), and the first (`node.css(CARD_HEADS)`)."""
        if self.heads is None:
            self.heads = _heads_index(self.head_nodes)
        return self.heads.get(node.mem_id, (0, None))

    def card(self, a: LexborNode) -> str:
        """The heading of the smallest block around a link: its card, list item, figure or section.

        A block with one heading and little text is a card (the title of a post above or below its
        "อ่านต่อ" or picture); in a bigger block the nearest heading before the link names it.
        Eight blocks up at most.
        """
        title, steps = self._climb(a)[1]
        return title if steps <= 8 else ""

    def _block_title(self, block: LexborNode, child: LexborNode) -> str | None:
        """The title `block` gives what `child` holds: a card's title, a heading before it, "" after a rule."""
        known = self.blocks.get(block.mem_id)
        if known is None:
            count, first = self.headings(block)
            title = (self.text(first, 160)
                     if count == 1 and first is not None and len(self.text(block, CARD_TEXT + 1)) <= CARD_TEXT else "")
            known = self.blocks[block.mem_id] = (count, title)
        if not known[0]:
            return None
        if known[1]:
            return known[1]
        label, seen = self._card_label(child.prev)
        return label if seen <= 80 else None

    def _card_label(self, sib: LexborNode | None) -> tuple[str | None, int]:
        """The nearest heading from `sib` back ("" at a rule, which ends the block above it), and how far."""
        return _scan_back(sib, self.card_labels, self._card_hit)

    def _card_hit(self, sib: LexborNode) -> tuple[str | None, int] | None:
        label = self._heading_of(sib)
        return None if label is None else (label, 1)

    def _heading_of(self, sib: LexborNode) -> str | None:
        """A sibling's heading: its text, or "" for a rule; None when it is neither."""
        tag = sib.tag
        if tag == "hr":
            return ""
        if tag in _HEAD_TAGS:
            return self.text(sib, 160) or None
        if tag in ("-text", "-comment"):
            return None
        found = self.wrapped.get(sib.mem_id)
        if found is None:  # a wrapper holding only a heading
            inner = self.headings(sib)[1]
            label = self.text(inner, 160) if inner is not None else ""
            found = self.wrapped[sib.mem_id] = label if label and len(self.text(sib, 200)) <= len(label) + 5 else ""
        return found or None


def _scan_back(sib: LexborNode | None, memo: dict[int, tuple[str | None, int]],
               hit: Callable[[LexborNode], tuple[str | None, int] | None]) -> tuple[str | None, int]:
    """From `sib` back through its earlier siblings, the first `hit` (a label and 1), counted in siblings from
    `sib`; every sibling passed keeps its own answer in `memo`, so links sharing siblings scan them once."""
    path: list[LexborNode] = []
    found: tuple[str | None, int] = (None, FAR)
    while sib is not None:
        known = memo.get(sib.mem_id)
        if known is not None:
            found = known
            break
        first = hit(sib)
        if first is not None:
            found = memo[sib.mem_id] = first
            break
        path.append(sib)
        sib = sib.prev
    for sib in reversed(path):
        found = memo[sib.mem_id] = (found[0], min(FAR, found[1] + 1))
    return found


CARD_HEADS = "h1, h2, h3, h4, h5, h6, figcaption, caption, legend"
CARD_TEXT = 500
_HEAD_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption", "legend"}
_SECTION_HEADS = {"h1", "h2", "h3", "h4", "h5"}
EMBED_PARAMS = ("href", "url", "page", "channel")
_DOC_EXT = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar)(?:$|[?#])", re.IGNORECASE)


_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
HIDDEN_ROWS = ("tr", "li", "p", "dd", "dt")


_HIDE_STOPS = {"body", "html", "ul", "ol", "table", "div", "nav"}


def _hides(attrs: dict[str, str | None]) -> bool:
    """An element's attributes hide it from visitors (`hidden`, display:none, visibility:hidden)."""
    return "hidden" in attrs or _HIDDEN.search(attrs.get("style") or "") is not None


def _embedded(src: str, base: str) -> str | None:
    """The account or page an embedded plugin shows (`likebox.php?href=https://facebook.com/x`)."""
    for name, value in parse_qsl(urlsplit(src).query, keep_blank_values=False):
        value = value.strip()
        if name.lower() in EMBED_PARAMS and value.lower().startswith(("http://", "https://", "//")):
            try:
                url = urljoin(base, value)
            except ValueError:
                return None
            return url if well_formed(url) else None
    return None


_JOINED: dict[tuple[str, str], tuple[str, bool]] = {}  # (base or its scheme://host, href) -> (url, is_web)
JOIN_CACHE = 100_000


class _Joiner:
    """urljoin against one base, each address once, and whether the result is an http(s) URL.

    An href starting with one slash, or `http(s)://host`, joins the same on every page of a host
    (urljoin takes only the base's scheme and host for it): those are kept for the process.
    """

    def __init__(self, base: str) -> None:
        self.base = base
        self.malformed = 0  # http(s) links skipped as malformed, see `urls.well_formed`
        parts = urlsplit(base)
        self.host = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
        plain = self.host and parts.path.startswith("/") and base.isprintable() and " " not in base
        self.folder = f"{self.host}{parts.path[: parts.path.rfind('/') + 1]}" if plain else ""

    def __call__(self, raw: str, count: bool = True) -> tuple[str, bool]:
        if self.host and _host_relative(raw):
            key = (self.host, raw)
        elif self.folder and _path_relative(raw):
            key = (self.folder, raw)
        else:
            key = (self.base, raw)
        found = _JOINED.get(key)
        if found is None:
            if len(_JOINED) >= JOIN_CACHE:
                _JOINED.clear()
            try:
                url = urljoin(self.base, raw)
            except ValueError:  # `http://[::1/x`: not a URL at all
                url, web = raw, None
            else:
                web = (True if well_formed(url) else None) if is_web(url) else False
            found = _JOINED[key] = (url, web)
        if found[1] is None:
            self.malformed += count
            return found[0], False
        return found


def _host_relative(raw: str) -> bool:
    """An href urljoin resolves from the base's scheme and host alone: `/path`, `http(s)://host...`."""
    if "\t" in raw or "\n" in raw or "\r" in raw:  # urlsplit drops them: `http://\t?q` has no host
        return False
    if raw[:1] == "/":
        return raw[1:2] != "/"
    rest = raw[8:] if raw.startswith("https://") else raw[7:] if raw.startswith("http://") else ""
    return rest[:1] not in ("", "/", "?", "#")


def _path_relative(raw: str) -> bool:
    """An href urljoin resolves from the base's scheme, host and folder alone: `page.php?x=1`, `../a/`.

    No scheme (no colon at all), not `/...`, `?...` or `#...`, and nothing urlsplit strips or drops.
    """
    return raw[:1] not in ("", "/", "?", "#", " ") and ":" not in raw and raw.isprintable()


def _sections(tree: LexborHTMLParser, join: _Joiner, chrome: dict[int, int], deadline: float = float("inf")
              ) -> list[Section]:
    """Headed blocks of the content, and the page footer (where contact details live).

    `chrome` is what the links found of navigation above each element (the junk gone changes no class).
    """
    out: list[Section] = []
    seen: set[int] = set()
    heads = tree.css(CARD_HEADS)
    memo = _Tree(heads)
    memo.chrome = chrome
    ranks = _ranks_index(heads)
    for h in heads:
        if time.monotonic() > deadline:
            break
        if h.tag not in _SECTION_HEADS:
            continue
        heading = memo.text(h, 160)
        if not heading or len(heading) < 3:
            continue
        block, anchor, rank = h, h.attributes.get("id") or "", _rank(h)
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
        if any(_holds(outer, foot) for outer in feet):
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


def _targets(tree: LexborHTMLParser, memo: _Tree, join: _Joiner, seen: set[int], room: int) -> list[Section]:
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
        if target is None or target.mem_id in seen or _chrome_mark(target) or _holds(target, ctl):
            continue  # (a collapsed navigation bar is the menu, not a block of content)
        text = memo.text(target, 800)
        hrefs = [(a.attributes.get("href") or "").strip() for a in target.css("a[href]")]
        if len(text) < 60 and len(set(hrefs)) < 2:
            continue
        seen.add(target.mem_id)
        out.append(_section(f"{title} {text}"[:800], hrefs, title, ref[1:], join))
    return out


def _holds(outer: LexborNode, inner: LexborNode) -> bool:
    """`inner` is `outer` or inside it (a "skip to content" link in the content it skips to)."""
    node: LexborNode | None = inner
    while node is not None:
        if node.mem_id == outer.mem_id:
            return True
        node = node.parent
    return False


def _rank(node: LexborNode) -> int:
    return int(node.tag[1]) if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else 7


def _section(text: str, hrefs: list[str], heading: str, anchor: str, join: _Joiner) -> Section:
    """A block's section: its text, followable links and documents among them."""
    hrefs = [x for x in hrefs if x and not x.lower().startswith(SKIP_SCHEMES)]
    return Section(heading, anchor, text, len(hrefs), sum(1 for x in hrefs if _DOC_EXT.search(join(x, False)[0])))


# Everything parse reads before the junk goes, in one pass over the tree (document order), by tag.
_SCAN = {
    "base[href]": ("base",), "title": ("title",), CARD_HEADS: tuple(_HEAD_TAGS),
    "meta[http-equiv]": ("meta",), "a[href], area[href], frame[src], iframe[src]": ("a", "area", "frame", "iframe"),
    "form": ("form",), "img[src]": ("img",), "textarea, input[type=text], input:not([type])": ("textarea", "input"),
    "script, style, noscript, template": ("script", "style", "noscript", "template"),
}
_SCAN_ALL = ", ".join(_SCAN)
_SCAN_GROUP = {tag: selector for selector, tags in _SCAN.items() for tag in tags}


def _scan(tree: LexborHTMLParser) -> dict[str, list[LexborNode]]:
    """The nodes each `_SCAN` selector finds, from one query."""
    found: dict[str, list[LexborNode]] = {selector: [] for selector in _SCAN}
    for node in tree.css(_SCAN_ALL):
        found[_SCAN_GROUP[node.tag]].append(node)
    return found


class _Fields(NamedTuple):
    """A link's fields but its URL, and how many levels above it its row and hidden looked."""

    raw: str
    tag: str
    text: str
    title: str
    row: str
    menu: tuple[str, ...]
    chrome: bool
    card: str
    hidden: bool
    reach: int


# Links of a block repeated byte for byte on another page (a site's menus), by `_Tree.block_key`: each
# found link's fields (None when its href is skipped) and whether its row or hidden looked above the block.
_BLOCKS: OrderedDict[tuple[Any, ...], tuple[tuple[_Fields, bool] | None, ...]] = OrderedDict()
BLOCK_CACHE = 256
_MISSES: dict[tuple[str, str | None, str | None], int] = {}  # blocks by tag, id and class: misses in a row
BLOCK_KINDS = 4096
_NOT_BLOCKS = {"a", "area", "frame", "iframe", "body", "html"}


def clear_caches() -> None:
    """Forget the blocks and addresses met on earlier pages (a fresh process's state)."""
    _BLOCKS.clear()
    _MISSES.clear()
    _JOINED.clear()


def _block_attrs(attrs: dict[str, str | None]) -> bool:
    """An element `_BLOCKS` may keep by its attributes: one with an id, or chrome by its class or id."""
    return bool(attrs.get("id")) or _chrome_attrs(attrs)


def _fields(memo: _Tree, node: LexborNode) -> _Fields | None:
    """A found link's fields (None when its href is not followed), the same wherever it is."""
    tag, attrs = node.tag, node.attributes
    raw = clean_href((attrs.get("href") if tag in ("a", "area") else attrs.get("src")) or "")
    if not raw or raw.lower().startswith(SKIP_SCHEMES):
        return None
    alt = " ".join(filter(None, (i.attrs.get("alt") for i in node.traverse() if i.tag == "img")))
    text = memo.text(node, 300) if tag == "a" else clean(attrs.get("alt") or attrs.get("name") or "")
    row, hidden, reach = memo.row_hidden(node, tag == "a")
    return _Fields(raw, tag, clean(f"{text} {alt}"), clean(attrs.get("title") or ""), row,
                   tuple(memo.menu_labels(node)), memo.in_chrome(node),
                   memo.card(node) if tag in ("a", "iframe") else "", hidden, reach)


def _add(links: list[Link], fields: _Fields, join: _Joiner, base: str) -> None:
    """The link (and the account a page plugin shows) `fields` make on a page of `base`."""
    target, web = join(fields.raw)
    if not web:
        return  # only http(s) links: `java&#x09;script:` is javascript: as a browser reads it
    link = Link(url=target, text=fields.text, title=fields.title, row=fields.row, menu=list(fields.menu),
                tag=fields.tag, chrome=fields.chrome, card=fields.card, hidden=fields.hidden)
    links.append(link)
    shown = _embedded(fields.raw, base) if fields.tag == "iframe" else None
    if shown:  # a page plugin (Facebook likebox, YouTube channel): the account itself is the link
        links.append(Link(url=shown, text=link.text, title=link.title, menu=list(link.menu), tag="embed",
                          chrome=link.chrome, card=link.card))
        link.card = ""  # the plugin's own address is not what its box is titled


def _links(memo: _Tree, nodes: list[LexborNode], join: _Joiner, base: str, cache: bool = True,
           deadline: float = float("inf")) -> list[Link]:
    """Every followable link of `nodes` (document order), those of blocks met on an earlier page from `_BLOCKS`
    (not with `cache` False: a flattened page, whose blocks hold most of it, each serialised a key).

    A block's links are the `len(entries)` found nodes from its first on; a link whose row or hidden
    looked above the block gets them again. Blocks not met are recorded (but one holding a met one).
    """
    links: list[Link] = []
    keys: dict[int, tuple[Any, ...] | None] = {}  # block -> its key while recording, None when not kept
    records: dict[int, list[tuple[_Fields, bool] | None]] = {}
    i = 0
    while i < len(nodes) and len(links) < MAX_LINKS:
        if not i % 64 and i and time.monotonic() > deadline:
            break
        node = nodes[i]
        blocks = memo.candidates(node) if cache else ()
        depth = memo.cached[node.mem_id][1] if cache else 0
        entries = None
        for block, _ in blocks:
            if block.mem_id not in keys:
                attrs = block.attributes
                kind = (block.tag, attrs.get("id"), attrs.get("class"))
                misses = _MISSES.get(kind, 0)
                if len(_MISSES) >= BLOCK_KINDS:
                    _MISSES.clear()
                _MISSES[kind] = misses + 1
                if misses >= 3 and misses % 16:  # one that changes on every page: tried now and then
                    keys[block.mem_id] = None
                    continue
                key = memo.block_key(block)
                entries = _BLOCKS.get(key)
                if entries is not None:
                    _BLOCKS.move_to_end(key)
                    _MISSES[kind] = 0
                    break
                keys[block.mem_id], records[block.mem_id] = key, []
        if entries is not None:
            for block, _ in blocks:
                keys[block.mem_id] = None  # an outer block recording: not kept
            for k, entry in enumerate(entries):
                if entry is None or len(links) >= MAX_LINKS:
                    continue
                fields, above = entry
                if above:
                    row, hidden, _ = memo.row_hidden(nodes[i + k], fields.tag == "a")
                    fields = fields._replace(row=row, hidden=hidden)
                _add(links, fields, join, base)
            i += len(entries)
            continue
        fields = _fields(memo, node)
        for block, level in blocks:
            if keys[block.mem_id] is not None:
                records[block.mem_id].append(None if fields is None else (fields, fields.reach > depth - level))
        if fields is not None:
            _add(links, fields, join, base)
        i += 1
    for mem_id, key in keys.items():
        if key is not None and i >= len(nodes):  # (a block cut at MAX_LINKS is not whole)
            _BLOCKS[key] = tuple(records[mem_id])
            while len(_BLOCKS) > BLOCK_CACHE:
                _BLOCKS.popitem(last=False)
    return links


MAX_NESTING = 128  # elements open at once on a page read as it is (real municipal pages: 23 at most)
FLAT_NESTING = 32  # a page nested deeper is read flattened to this depth
OVER_NESTING = 8  # links, headings and frames are kept this many levels deeper still
_TAG = re.compile(r"<(/?)([A-Za-z][^\s/>]*)[^>]*>|<!--.*?-->", re.DOTALL)
_RAW_TEXT = {"script": re.compile(r"</script", re.IGNORECASE), "style": re.compile(r"</style", re.IGNORECASE),
             "textarea": re.compile(r"</textarea", re.IGNORECASE), "title": re.compile(r"</title", re.IGNORECASE)}
# elements that never hold others open: void ones, and those the next of their kind closes (p, li, td ...)
_NOT_NESTING = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                "wbr", "param", "keygen", "frame", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th",
                "thead", "tbody", "tfoot", "rp", "rt", "html", "head", "body"}
# what a page says and links to: kept OVER_NESTING levels past the limit
_CONTENT_TAGS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "iframe", "button", "label", "caption", "figcaption",
                 "legend", "select", "summary", "map"}


def shallow(html: str) -> str:
    """The HTML as it is when no element is nested more than MAX_NESTING deep; else flattened to FLAT_NESTING.

    100,000 nested `<div>` (1.1 MB) took lexbor alone 23 s (its tree builder is quadratic in depth) and our
    walks, whose work grows with depth times size, longer. Flattened: the start and end tags of the elements
    deeper than FLAT_NESTING are dropped and their content kept (browsers make them siblings past 512); links,
    headings and frames are kept OVER_NESTING levels deeper. Depth is counted from the tags as written, in one
    linear pass (script and style text skipped)."""
    global _SHALLOW
    last = _SHALLOW  # one read: another thread may replace it
    if html is last[0] or html is last[1]:  # the page crawl flattened, parsed now: not scanned twice
        return last[1]
    if html.count("<") <= MAX_NESTING or not _dropped(html, MAX_NESTING):
        flat = html
    else:
        out, last = [], 0
        for start, end in _dropped(html, FLAT_NESTING):
            out.append(html[last:start])
            last = end
        out.append(html[last:])
        flat = "".join(out)
    _SHALLOW = (html, flat)
    return flat


_SHALLOW: tuple[str, str] = ("", "")  # the last page `shallow` read, and what it made of it


def _dropped(html: str, limit: int) -> list[tuple[int, int]]:
    """Where the tags of elements nested deeper than `limit` are (see `shallow`)."""
    stack: list[tuple[str, bool]] = []  # open elements: (name, kept)
    drops: list[tuple[int, int]] = []
    depth = 0  # elements open and kept
    pos = 0
    while True:
        m = _TAG.search(html, pos)
        if m is None:
            return drops
        pos = m.end()
        name = m.group(2)
        if name is None:
            continue  # a comment
        name = name.lower()
        if not m.group(1):  # a start tag
            raw = _RAW_TEXT.get(name)
            if raw is not None:
                end = raw.search(html, pos)
                pos = end.start() if end is not None else len(html)
                continue
            if name in _NOT_NESTING or m.group(0).endswith("/>"):
                continue
            kept = depth < limit or (name in _CONTENT_TAGS and depth < limit + OVER_NESTING)
            stack.append((name, kept))
            depth += kept
            if not kept:
                drops.append(m.span())
        elif name not in _NOT_NESTING:  # an end tag: closes the nearest open element of its name
            for i in range(len(stack) - 1, max(-1, len(stack) - 1 - 2 * MAX_NESTING), -1):
                if stack[i][0] == name:
                    if not stack[i][1]:
                        drops.append(m.span())
                    depth -= sum(kept for _, kept in stack[i:])
                    del stack[i:]
                    break


def parse(url: str, html: str) -> Page:
    """Parse decoded HTML into a Page with absolute link URLs."""
    deadline = time.monotonic() + PARSE_SECONDS
    flat = shallow(html)
    tree = LexborHTMLParser(flat)
    found = _scan(tree)
    base = url
    if found["base[href]"]:
        with contextlib.suppress(ValueError):  # a malformed base is ignored, as browsers do
            base = urljoin(url, clean_href(found["base[href]"][0].attributes.get("href") or ""))
            base = base if well_formed(base) else url
    join = _Joiner(base)
    memo = _Tree(found[CARD_HEADS])
    title = _text(found["title"][0], 300) if found["title"] else ""
    headings = [memo.text(h, 200) for h in [h for h in found[CARD_HEADS] if h.tag in ("h1", "h2", "h3")][:30]]
    refresh = None
    for meta in found["meta[http-equiv]"]:
        if (meta.attributes.get("http-equiv") or "").lower() == "refresh":
            m = _REFRESH.search(meta.attributes.get("content") or "")
            if m:
                try:
                    refresh = urljoin(base, clean_href(m.group(1)))
                except ValueError:
                    refresh, join.malformed = None, join.malformed + 1
                if refresh is not None and is_web(refresh) and not well_formed(refresh):
                    join.malformed += 1
                    refresh = None
                refresh = refresh if refresh is not None and is_web(refresh) else None
    links = _links(memo, found["a[href], area[href], frame[src], iframe[src]"], join, base, cache=flat is html,
                   deadline=deadline)
    forms = len(found["form"])
    images = len([i for i in found["img[src]"] if not memo.in_chrome(i)])
    inputs = len(found["textarea, input[type=text], input:not([type])"])
    for junk in found["script, style, noscript, template"]:
        junk.decompose()
    sections = _sections(tree, join, memo.chrome, deadline)
    body = tree.body
    text = clean(body.text(deep=True, separator=" ", strip=True))[:MAX_TEXT] if body is not None else ""
    for chrome in tree.css("nav, header, footer, select, .menu, .nav, #menu, #nav"):
        chrome.decompose()
    content = clean(body.text(deep=True, separator=" ", strip=True))[:MAX_TEXT] if body is not None else ""
    return Page(url=url, title=title, headings=headings, text=text, links=links, refresh=refresh,
                forms=forms, inputs=inputs, content=content, images=images, sections=sections,
                malformed=join.malformed, timed_out=time.monotonic() > deadline)


def node_text(node: LexborNode, limit: int = 400) -> str:
    """A node's visible text, cleaned and cut to `limit` characters."""
    return _text(node, limit)


def link_at(node: LexborNode, url: str, text: str) -> Link:
    """A link to `url` that `node` makes (an onclick element, a script href), with the words around it."""
    memo = _Tree()
    return Link(url=url, text=text, title=clean(node.attributes.get("title") or ""), row=memo.row(node),
                menu=memo.menu_labels(node), chrome=True if node.tag != "a" else memo.in_chrome(node))
