"""Text to Page: title, headings, body text and every link with what surrounds it.

One pass over the tree: `nesting` flattens a page nested too deep, `tree` knows each node's text, navigation,
menus and card, `links` reads the links (with a cache of blocks repeated across pages), `sections` the headed
blocks and the footer."""

from __future__ import annotations

import contextlib
import re
import time
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..models import Link, Page, Section
from ..thai import clean
from ..urls import clean_href, is_web, well_formed
from .links import Joiner, clear_caches, read_links
from .nesting import FLAT_NESTING, MAX_NESTING, parsed, shallow
from .sections import read_sections
from .tree import CARD_HEADS, HEAD_TAGS, Tree, node_text

__all__ = ["FLAT_NESTING", "MAX_NESTING", "PARSE_SECONDS", "Link", "Page", "Section", "clear_caches", "link_at",
           "node_text", "parse", "shallow"]

MAX_TEXT = 20000
PARSE_SECONDS = 5.0  # reading a page's links and sections stops here (the event loop waits): the page is `timed_out`
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


# Everything parse reads before the junk goes, in one pass over the tree (document order), by tag.
_SCAN = {
    "base[href]": ("base",), "title": ("title",), CARD_HEADS: tuple(HEAD_TAGS),
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


def parse(url: str, html: str) -> Page:
    """Parse decoded HTML into a Page with absolute link URLs."""
    deadline = time.monotonic() + PARSE_SECONDS
    flat = shallow(html)
    tree = parsed(flat)
    found = _scan(tree)
    base = url
    if found["base[href]"]:
        with contextlib.suppress(ValueError):  # a malformed base is ignored, as browsers do
            base = urljoin(url, clean_href(found["base[href]"][0].attributes.get("href") or ""))
            base = base if well_formed(base) else url
    join = Joiner(base)
    memo = Tree(found[CARD_HEADS])
    title = node_text(found["title"][0], 300) if found["title"] else ""
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
    links = read_links(memo, found["a[href], area[href], frame[src], iframe[src]"], join, base, cache=flat is html,
                       deadline=deadline)
    forms = len(found["form"])
    images = len([i for i in found["img[src]"] if not memo.in_chrome(i)])
    inputs = len(found["textarea, input[type=text], input:not([type])"])
    for junk in found["script, style, noscript, template"]:
        junk.decompose()
    sections = read_sections(tree, join, memo.chrome, deadline)
    body = tree.body
    text = clean(body.text(deep=True, separator=" ", strip=True))[:MAX_TEXT] if body is not None else ""
    for chrome in tree.css("nav, header, footer, select, .menu, .nav, #menu, #nav"):
        chrome.decompose()
    content = clean(body.text(deep=True, separator=" ", strip=True))[:MAX_TEXT] if body is not None else ""
    return Page(url=url, title=title, headings=headings, text=text, links=links, refresh=refresh,
                forms=forms, inputs=inputs, content=content, images=images, sections=sections,
                malformed=join.malformed, timed_out=time.monotonic() > deadline)


def link_at(node: LexborNode, url: str, text: str) -> Link:
    """A link to `url` that `node` makes (an onclick element, a script href), with the words around it."""
    memo = Tree()
    return Link(url=url, text=text, title=clean(node.attributes.get("title") or ""), row=memo.row(node),
                menu=memo.menu_labels(node), chrome=True if node.tag != "a" else memo.in_chrome(node))
