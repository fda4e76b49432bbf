"""The NACC paste list: one line per item, its evidence URLs, ready for the ITA system."""

from __future__ import annotations

from urllib.parse import quote

from .common import http_url, nacc_items
from .tables import cell


def _paste_url(url: str) -> str:
    """A URL as one token: whitespace and non-ASCII percent-encoded, as browsers send it."""
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def nacc_paste(doc: dict) -> str:
    """'O1<TAB>url url ...' per item in NACC order, evidence best first; '-' when an item has none."""
    lines = []
    for it in nacc_items(doc):
        urls: list[str] = []
        for ev in it.get("evidence") or []:
            u = http_url(ev.get("url")) if isinstance(ev, dict) else None
            if u and _paste_url(u) not in urls:
                urls.append(_paste_url(u))
        lines.append(f"{cell(it.get('id', ''))}\t{' '.join(urls) if urls else '-'}")
    return "\n".join(lines) + "\n"
