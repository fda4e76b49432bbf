"""The NACC paste list: one line per item, its evidence URLs, ready for the ITA system."""

from __future__ import annotations

from urllib.parse import quote

from ..models import STATUS_TH
from .common import http_url, nacc_items, site_name, status_of
from .tables import cell


def _paste_url(url: str) -> str:
    """A URL as one token: whitespace and non-ASCII percent-encoded, as browsers send it."""
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def nacc_paste(doc: dict, heading: bool = False) -> str:
    """'O1<TAB>url url ...' per item in NACC order, evidence best first, for `found` items only.

    An item that is not `found` is '-' (nothing to paste), then its status and the candidate URLs to check
    before pasting: 'O5<TAB>-<TAB>[ควรตรวจ] url'. With `heading`, a first line names the site (a batch)."""
    lines = [f"# {cell(site_name(doc))} {cell((doc.get('site') or {}).get('url', ''))}"] if heading else []
    for it in nacc_items(doc):
        urls: list[str] = []
        for ev in it.get("evidence") or []:
            u = http_url(ev.get("url")) if isinstance(ev, dict) else None
            if u and _paste_url(u) not in urls:
                urls.append(_paste_url(u))
        status = status_of(it)
        if status == "found" and urls:
            lines.append(f"{cell(it.get('id', ''))}\t{' '.join(urls)}")
        else:
            mark = f"\t[{STATUS_TH[status]}] {' '.join(urls)}" if urls else ""
            lines.append(f"{cell(it.get('id', ''))}\t-{mark}")
    return "\n".join(lines) + "\n"
