"""The parsed tree as links and sections read it: node texts, navigation (chrome), menu labels above a link,
the card or heading titling it, its row and whether it is hidden; each worked out once per node (`Tree`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from selectolax.lexbor import LexborNode

from ..thai import clean

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "caption", "legend"}
LABELS = HEADINGS | {"span", "a", "button", "strong", "b", "label", "p", "div", "em", "font", "summary"}
ROWS = ("tr", "li", "p", "dd", "dt", "div")
CHROME_MARKS = {"nav", "navbar", "navigation", "header", "footer", "topbar", "sidebar", "dropdown", "site-header"}
INLINE = {"a", "area", "font", "span", "b", "strong", "em", "small", "i", "u", "frame", "iframe"}
BLOCK_LABEL = 80  # characters of a block (not a heading) that labels the list after it at most


_SPACES = re.compile(r"\s+")
FAR = 1 << 30  # no such node above or before


def node_text(node: LexborNode, limit: int = 400) -> str:
    """The node's readable text, at most `limit` characters (only that much is normalised)."""
    return cut(node.text(deep=True, separator=" ", strip=True), limit)


def cut(raw: str, limit: int) -> str:
    """`node_text` of a node whose raw text is `raw`."""
    cut = limit + 64
    if len(raw) <= cut:  # nothing cut: split and join collapse whitespace as _SPACES does but for the ends,
        return clean(" ".join(raw.split()))[:limit]  # which clean trims (before its normaliser sees them)
    if len(raw) > 4 * cut:  # a big block: whitespace collapsed in a prefix long enough is a prefix of the whole
        head = _SPACES.sub(" ", raw[: 4 * cut])
        raw = head if len(head) >= cut else _SPACES.sub(" ", raw)
    else:
        raw = _SPACES.sub(" ", raw)
    return clean(raw[:cut])[:limit]


def own_text(node: LexborNode) -> str:
    """Text of a list item without its nested lists (a dropdown's own label)."""
    parts = []
    for child in node.iter(include_text=True):
        if child.tag in ("ul", "ol", "div", "table"):
            continue
        parts.append(child.text(deep=True, separator=" ", strip=True))
    return clean(" ".join(p for p in parts if p))[:200]


def chrome_mark(node: LexborNode) -> bool:
    """The element is navigation, a header or footer, or a menu by its tag, class or id."""
    return node.tag in ("nav", "header", "footer") or chrome_attrs(node.attributes)


def chrome_attrs(attrs: dict[str, str | None]) -> bool:
    """`chrome_mark` of an element by its attributes (`node.attributes`: one dict, cheaper than `node.attrs`)."""
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


def ranks_index(heads: list[LexborNode]) -> dict[int, tuple[int, int]]:
    """Every element holding one of `heads` (itself included): the two best (lowest) heading ranks in it."""
    index: dict[int, tuple[int, int]] = {}
    for head in heads:
        rank = heading_rank(head)
        node: LexborNode | None = head
        while node is not None:
            best, second = index.get(node.mem_id, (FAR, FAR))
            if rank >= second:  # nothing changes here, nor above (they hold at least as good)
                break
            index[node.mem_id] = (rank, best) if rank < best else (best, rank)
            node = node.parent
    return index


class Tree:
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
        self.cached: dict[int, tuple[tuple[Any, ...], int]] = {}  # node -> (its cacheable blocks, depth)

    def candidates(self, node: LexborNode) -> tuple[tuple[LexborNode, int], ...]:
        """The elements above `node` whose links the block cache may keep, outermost first, each with its depth.

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
            found = self.texts[key] = cut(raw, limit)
        return found

    def own_text(self, node: LexborNode) -> str:
        found = self.own.get(node.mem_id)
        if found is None:
            found = self.own[node.mem_id] = own_text(node)
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
            if not tag.startswith("-") and chrome_mark(node):
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
            steps = 0 if not node.tag.startswith("-") and chrome_mark(node) else min(FAR, steps + 1)
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
        if tag in HEAD_TAGS:
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
HEAD_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption", "legend"}


_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
HIDDEN_ROWS = ("tr", "li", "p", "dd", "dt")


_HIDE_STOPS = {"body", "html", "ul", "ol", "table", "div", "nav"}


def _hides(attrs: dict[str, str | None]) -> bool:
    """An element's attributes hide it from visitors (`hidden`, display:none, visibility:hidden)."""
    return "hidden" in attrs or _HIDDEN.search(attrs.get("style") or "") is not None


def holds(outer: LexborNode, inner: LexborNode) -> bool:
    """`inner` is `outer` or inside it (a "skip to content" link in the content it skips to)."""
    node: LexborNode | None = inner
    while node is not None:
        if node.mem_id == outer.mem_id:
            return True
        node = node.parent
    return False


def heading_rank(node: LexborNode) -> int:
    return int(node.tag[1]) if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else 7


_NOT_BLOCKS = {"a", "area", "frame", "iframe", "body", "html"}


def _block_attrs(attrs: dict[str, str | None]) -> bool:
    """An element the block cache may keep by its attributes: one with an id, or chrome by its class or id."""
    return bool(attrs.get("id")) or chrome_attrs(attrs)


