"""A page's links, each with its words, row, menus, card and navigation flag; blocks repeated from an earlier
page (a site's menus) are taken from a cache, and addresses are joined once per host."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urljoin, urlsplit

from selectolax.lexbor import LexborNode

from ..models import Link
from ..thai import clean
from ..urls import clean_href, is_web, well_formed
from .tree import Tree

SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "file:", "data:", "about:", "#", "ftp:", "sms:")
MAX_LINKS = 5000
EMBED_PARAMS = ("href", "url", "page", "channel")


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


class Joiner:
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


# Links of a block repeated byte for byte on another page (a site's menus), by `Tree.block_key`: each
# found link's fields (None when its href is skipped) and whether its row or hidden looked above the block.
_BLOCKS: OrderedDict[tuple[Any, ...], tuple[tuple[_Fields, bool] | None, ...]] = OrderedDict()
BLOCK_CACHE = 256
_MISSES: dict[tuple[str, str | None, str | None], int] = {}  # blocks by tag, id and class: misses in a row
BLOCK_KINDS = 4096


def clear_caches() -> None:
    """Forget the blocks and addresses met on earlier pages (a fresh process's state)."""
    _BLOCKS.clear()
    _MISSES.clear()
    _JOINED.clear()


def _fields(memo: Tree, node: LexborNode) -> _Fields | None:
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


def _add(links: list[Link], fields: _Fields, join: Joiner, base: str) -> None:
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


def read_links(memo: Tree, nodes: list[LexborNode], join: Joiner, base: str, cache: bool = True,
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


