"""Text to Page: title, headings, body text and every link with what surrounds it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urljoin, urlsplit

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


_SPACES = re.compile(r"\s+")


def _text(node: LexborNode, limit: int = 400) -> str:
    """The node's readable text, at most `limit` characters (only that much is normalised)."""
    raw = _SPACES.sub(" ", node.text(deep=True, separator=" ", strip=True))
    return clean(raw[: limit + 64])[:limit]


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


CARD_HEADS = "h1, h2, h3, h4, h5, h6, figcaption, caption, legend"
CARD_TEXT = 500
_HEAD_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "figcaption", "caption", "legend"}
EMBED_PARAMS = ("href", "url", "page", "channel")
_DOC_EXT = re.compile(r"\.(pdf|docx?|xlsx?|pptx?|odt|ods|rtf|zip|rar)(?:$|[?#])", re.IGNORECASE)


def _card(a: LexborNode, memo: dict[int, tuple[int, str]]) -> str:
    """The heading of the smallest block around a link: its card, list item, figure or section.

    A block with one heading and little text is a card (the title of a post above or below its
    "อ่านต่อ" or picture); in a bigger block the nearest heading before the link names it.
    `memo` keeps each block's heading count and card title for the page (links share blocks).
    """
    node, steps = a, 0
    while node.parent is not None and steps < 8:
        parent, steps = node.parent, steps + 1
        if parent.tag in ("body", "html", "-document"):
            return ""
        known = memo.get(parent.mem_id)
        if known is None:
            heads = parent.css(CARD_HEADS)
            title = _text(heads[0], 160) if len(heads) == 1 and len(_text(parent, CARD_TEXT + 1)) <= CARD_TEXT else ""
            known = memo[parent.mem_id] = (len(heads), title)
        if known[0]:
            if known[1]:
                return known[1]
            sib, seen = node.prev, 0
            while sib is not None and seen < 80:
                seen += 1
                if sib.tag == "hr":  # a rule ends the block above it
                    return ""
                if sib.tag in _HEAD_TAGS:
                    label = _text(sib, 160)
                    if label:
                        return label
                elif sib.tag not in ("-text", "-comment"):  # a wrapper holding only a heading
                    inner = sib.css_first(CARD_HEADS)
                    label = _text(inner, 160) if inner is not None else ""
                    if label and len(_text(sib, 200)) <= len(label) + 5:
                        return label
                sib = sib.prev
        node = parent
    return ""


_HIDDEN = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
HIDDEN_ROWS = ("tr", "li", "p", "dd", "dt")


def _hidden_row(a: LexborNode) -> bool:
    """The link itself, or the table row / list item / paragraph holding it, is hidden from visitors.

    Only the row: a dropdown menu or a tab hidden until clicked is still there for a visitor.
    """
    node = a
    for _ in range(4):
        if node is None or node.tag in ("body", "html", "ul", "ol", "table", "div", "nav"):
            return False
        attrs = node.attributes
        if (node is a or node.tag in HIDDEN_ROWS) and ("hidden" in attrs or _HIDDEN.search(attrs.get("style") or "")):
            return True
        node = node.parent
    return False


def _embedded(src: str, base: str) -> str | None:
    """The account or page an embedded plugin shows (`likebox.php?href=https://facebook.com/x`)."""
    for name, value in parse_qsl(urlsplit(src).query, keep_blank_values=False):
        value = value.strip()
        if name.lower() in EMBED_PARAMS and value.lower().startswith(("http://", "https://", "//")):
            return urljoin(base, value)
    return None


def _sections(tree: LexborHTMLParser, base: str) -> list[Section]:
    """Headed blocks of the content, and the page footer (where contact details live)."""
    out: list[Section] = []
    seen: set[int] = set()
    for h in tree.css("h1, h2, h3, h4, h5"):
        heading = _text(h, 160)
        if not heading or len(heading) < 3:
            continue
        block, anchor, rank = h, h.attributes.get("id") or "", _rank(h)
        for _ in range(4):  # climb to the block the heading titles: more text, no heading of its rank
            parent = block.parent
            if parent is None or parent.tag in ("body", "html", "-document"):
                break
            if any(o.mem_id != h.mem_id and _rank(o) <= rank for o in parent.css(CARD_HEADS)):
                break
            block = parent
            anchor = anchor or block.attributes.get("id") or ""
            if len(_text(block, 200)) > len(heading) + 20:
                break
        if block.mem_id == h.mem_id or block.mem_id in seen or _in_chrome(h):
            continue
        sec = _section(block, heading, anchor or "", base)
        targets = {(a.attributes.get("href") or "").strip() for a in block.css("a[href]")}
        if len(targets) == 1 or (not targets and len(sec.text) < len(heading) + 60):
            continue  # a card (one post and its picture), or a heading with nothing under it
        seen.add(block.mem_id)
        out.append(sec)
        if len(out) >= 40:
            break
    for foot in tree.css("footer, #footer, .footer, #footerSection, .site-footer"):
        text = _text(foot, 800)
        if len(text) >= 10 and foot.mem_id not in seen:
            seen.add(foot.mem_id)
            head = foot.css_first(CARD_HEADS)
            sec = _section(foot, _text(head, 160) if head is not None else "", foot.attributes.get("id") or "", base)
            sec.footer = True
            out.append(sec)
    return out


def _rank(node: LexborNode) -> int:
    return int(node.tag[1]) if node.tag in ("h1", "h2", "h3", "h4", "h5", "h6") else 7


def _section(block: LexborNode, heading: str, anchor: str, base: str) -> Section:
    hrefs = [(a.attributes.get("href") or "").strip() for a in block.css("a[href]")]
    hrefs = [x for x in hrefs if x and not x.lower().startswith(SKIP_SCHEMES)]
    return Section(heading, anchor, _text(block, 800), len(hrefs),
                   sum(1 for x in hrefs if _DOC_EXT.search(urljoin(base, x))))


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
    memo: dict[int, tuple[int, str]] = {}
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
            card=_card(node, memo) if node.tag in ("a", "iframe") else "",
            hidden=_hidden_row(node),
        ))
        shown = _embedded(raw, base) if node.tag == "iframe" else None
        if shown:  # a page plugin (Facebook likebox, YouTube channel): the account itself is the link
            last = links[-1]
            links.append(Link(url=shown, text=last.text, title=last.title, menu=last.menu, tag="embed",
                              chrome=last.chrome, card=last.card))
            last.card = ""  # the plugin's own address is not what its box is titled
    forms = len(tree.css("form"))
    images = len([i for i in tree.css("img[src]") if not _in_chrome(i)])
    inputs = len(tree.css("textarea, input[type=text], input:not([type])"))
    for junk in tree.css("script, style, noscript, template"):
        junk.decompose()
    sections = _sections(tree, base)
    body = tree.body
    text = clean(body.text(deep=True, separator=" ", strip=True))[:MAX_TEXT] if body is not None else ""
    for chrome in tree.css("nav, header, footer, select, .menu, .nav, #menu, #nav"):
        chrome.decompose()
    content = clean(body.text(deep=True, separator=" ", strip=True))[:MAX_TEXT] if body is not None else ""
    return Page(url=url, title=title, headings=headings, text=text, links=links, refresh=refresh,
                forms=forms, inputs=inputs, content=content, images=images, sections=sections)


def node_text(node: LexborNode, limit: int = 400) -> str:
    """A node's visible text, cleaned and cut to `limit` characters."""
    return _text(node, limit)


def link_at(node: LexborNode, url: str, text: str) -> Link:
    """A link to `url` that `node` makes (an onclick element, a script href), with the words around it."""
    return Link(url=url, text=text, title=clean(node.attributes.get("title") or ""), row=_row(node),
                menu=_menu_labels(node), chrome=True if node.tag != "a" else _in_chrome(node))
