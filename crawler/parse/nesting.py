"""Pages nested too deep for the parser, flattened before it reads them."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

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
QUICK_TAGS = 2_000  # a page of this many tags at most is parsed at once (at worst ~10 ms), its depth checked after
_DEEP = " > ".join(["*"] * (MAX_NESTING - 8))  # an element this deep in the parsed tree: count the tags as written
# what a page says and links to: kept OVER_NESTING levels past the limit
_CONTENT_TAGS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "iframe", "button", "label", "caption", "figcaption",
                 "legend", "select", "summary", "map"}


def shallow(html: str) -> str:
    """The HTML as it is when no element is nested more than MAX_NESTING deep; else flattened to FLAT_NESTING.

    100,000 nested `<div>` (1.1 MB) took lexbor alone 23 s (its tree builder is quadratic in depth) and our
    walks, whose work grows with depth times size, longer. Flattened: the start and end tags of the elements
    deeper than FLAT_NESTING are dropped and their content kept (browsers make them siblings past 512); links,
    headings and frames are kept OVER_NESTING levels deeper. Depth is counted from the tags as written, in one
    linear pass (script and style text skipped); a page of QUICK_TAGS tags at most is parsed first and counted
    only when its tree is deep (the parsed tree is kept for `parsed`)."""
    global _SHALLOW
    last = _SHALLOW  # one read: another thread may replace it
    if html is last[0] or html is last[1]:  # the page crawl flattened, parsed now: not scanned twice
        return last[1]
    tags = html.count("<")
    flat = html
    if tags <= MAX_NESTING:
        pass
    elif tags <= QUICK_TAGS:
        tree = LexborHTMLParser(html)
        if tree.css_first(_DEEP) is not None:
            flat = _flattened(html)
        else:
            _TREES.clear()
            _TREES[id(html)] = (html, tree)
    else:
        flat = _flattened(html)
    _SHALLOW = (html, flat)
    return flat


def parsed(html: str) -> LexborHTMLParser:
    """The parsed tree of `shallow(html)`'s answer: the one `shallow` made on the way, once, else a new one."""
    kept = _TREES.pop(id(html), None)  # (atomic: two threads never get the same tree)
    if kept is not None and kept[0] is html:
        return kept[1]
    return LexborHTMLParser(html)


def _flattened(html: str) -> str:
    """`html` flattened to FLAT_NESTING when it is nested more than MAX_NESTING deep, else itself."""
    if not _dropped(html, MAX_NESTING):
        return html
    out, last = [], 0
    for start, end in _dropped(html, FLAT_NESTING):
        out.append(html[last:start])
        last = end
    out.append(html[last:])
    return "".join(out)


_SHALLOW: tuple[str, str] = ("", "")  # the last page `shallow` read, and what it made of it
_TREES: dict[int, tuple[str, LexborHTMLParser]] = {}  # the tree of the last page `shallow` parsed, until `parsed`


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


