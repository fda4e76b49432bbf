"""Text to Page: title, headings, body text and every link with what surrounds it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .thai import clean
from .urls import clean_href, is_web

HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "caption", "legend"}
LABELS = HEADINGS | {"span", "a", "button", "strong", "b", "label", "p", "div", "em", "font", "summary"}
ROWS = ("tr", "li", "p", "dd", "dt", "div")
CHROME_MARKS = {"nav", "navbar", "navigation", "header", "footer", "topbar", "sidebar", "dropdown", "site-header"}
INLINE = {"a", "area", "font", "span", "b", "strong", "em", "small", "i", "u", "frame", "iframe"}
SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "file:", "data:", "about:", "#", "ftp:", "sms:")
MAX_TEXT = 20000
MAX_LINKS = 5000
_REFRESH = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)


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


@dataclass
class Page:
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


def _text(node: LexborNode, limit: int = 400) -> str:
    return clean(node.text(deep=True, separator=" ", strip=True))[:limit]


def _own_text(node: LexborNode) -> str:
    """Text of a list item without its nested lists (a dropdown's own label)."""
    parts = []
    for child in node.iter(include_text=True):
        if child.tag in ("ul", "ol", "div", "table"):
            continue
        parts.append(child.text(deep=True, separator=" ", strip=True))
    return clean(" ".join(p for p in parts if p))[:200]


def _label_before(node: LexborNode, inline: bool) -> str | None:
    """The heading or menu label standing just before `node` among its siblings."""
    sib, steps = node.prev, 0
    while sib is not None and steps < 60:
        steps += 1
        tag = sib.tag
        if tag == "hr":
            return None
        if tag in ("-text", "-comment", "br", "script", "style", "img"):
            sib = sib.prev
            continue
        if tag in HEADINGS or (not inline and tag in LABELS) or (inline and tag in ("strong", "b", "span")):
            label = _text(sib, 120)
            if label and (not inline or len(label) <= 120):
                return label
        if not inline:
            return None
        sib = sib.prev
    return None


def _menu_labels(a: LexborNode) -> list[str]:
    """Parent menu and section labels of a link, nearest first (at most three)."""
    labels: list[str] = []
    node = a
    for _ in range(10):
        parent = node.parent
        label = _label_before(node, node.tag in INLINE)
        if label is None and node.tag in ("ul", "ol") and parent is not None and parent.tag == "li":
            label = _own_text(parent) or None
        if label and label not in labels:
            labels.append(label)
            if len(labels) == 3:
                break
        if parent is None or parent.tag in ("body", "html", "-document"):
            break
        node = parent
    return labels


def _in_chrome(a: LexborNode) -> bool:
    node = a.parent
    for _ in range(12):
        if node is None or node.tag in ("body", "html"):
            return False
        if node.tag in ("nav", "header", "footer"):
            return True
        marks = f"{node.attributes.get('class') or ''} {node.attributes.get('id') or ''}".lower()
        if any(m in marks.split() for m in CHROME_MARKS) or "menu" in marks or "navbar" in marks:
            return True
        node = node.parent
    return False


def _row(a: LexborNode) -> str:
    node = a.parent
    for _ in range(6):
        if node is None or node.tag in ("body", "html"):
            return ""
        if node.tag in ROWS:
            if node.tag == "li" and node.css_first("ul, ol") is not None:
                return _own_text(node)
            text = _text(node, 600)
            if node.tag == "tr" or len(text) <= 300:
                return text
            return ""
        node = node.parent
    return ""


def parse(url: str, html: str) -> Page:
    """Parse decoded HTML into a Page with absolute link URLs."""
    tree = LexborHTMLParser(html)
    base = url
    base_tag = tree.css_first("base[href]")
    if base_tag is not None:
        base = urljoin(url, clean_href(base_tag.attributes.get("href") or ""))
    title_node = tree.css_first("title")
    title = _text(title_node, 300) if title_node is not None else ""
    headings = [_text(h, 200) for h in tree.css("h1, h2, h3")[:30]]
    refresh = None
    for meta in tree.css("meta[http-equiv]"):
        if (meta.attributes.get("http-equiv") or "").lower() == "refresh":
            m = _REFRESH.search(meta.attributes.get("content") or "")
            if m:
                refresh = urljoin(base, clean_href(m.group(1)))
                refresh = refresh if is_web(refresh) else None
    links: list[Link] = []
    for node in tree.css("a[href], area[href], frame[src], iframe[src]"):
        if len(links) >= MAX_LINKS:
            break
        attrs = node.attributes
        raw = (attrs.get("href") if node.tag in ("a", "area") else attrs.get("src")) or ""
        raw = clean_href(raw)
        if not raw or raw.lower().startswith(SKIP_SCHEMES) or not is_web(urljoin(base, raw)):
            continue  # only http(s) links: `java&#x09;script:` is javascript: as a browser reads it
        alt = " ".join(filter(None, (img.attributes.get("alt") for img in node.css("img"))))
        text = _text(node, 300) if node.tag == "a" else clean(attrs.get("alt") or attrs.get("name") or "")
        links.append(Link(
            url=urljoin(base, raw),
            text=clean(f"{text} {alt}"),
            title=clean(attrs.get("title") or ""),
            row=_row(node) if node.tag == "a" else "",
            menu=_menu_labels(node),
            tag=node.tag,
            chrome=_in_chrome(node),
        ))
    forms = len(tree.css("form"))
    images = len([i for i in tree.css("img[src]") if not _in_chrome(i)])
    inputs = len(tree.css("textarea, input[type=text], input:not([type])"))
    for junk in tree.css("script, style, noscript, template"):
        junk.decompose()
    body = tree.body
    text = clean(body.text(deep=True, separator=" ", strip=True))[:MAX_TEXT] if body is not None else ""
    for chrome in tree.css("nav, header, footer, select, .menu, .nav, #menu, #nav"):
        chrome.decompose()
    content = clean(body.text(deep=True, separator=" ", strip=True))[:MAX_TEXT] if body is not None else ""
    return Page(url=url, title=title, headings=headings, text=text, links=links, refresh=refresh,
                forms=forms, inputs=inputs, content=content, images=images)


def node_text(node: LexborNode, limit: int = 400) -> str:
    """A node's visible text, cleaned and cut to `limit` characters."""
    return _text(node, limit)


def link_at(node: LexborNode, url: str, text: str) -> Link:
    """A link to `url` that `node` makes (an onclick element, a script href), with the words around it."""
    return Link(url=url, text=text, title=clean(node.attributes.get("title") or ""), row=_row(node),
                menu=_menu_labels(node), chrome=True if node.tag != "a" else _in_chrome(node))
