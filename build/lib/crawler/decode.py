"""Bytes to text: HTTP charset, BOM, meta charset, UTF-8, then windows-874."""

from __future__ import annotations

import codecs
import re

_ALIASES = {
    "windows-874": "cp874", "x-windows-874": "cp874", "tis-620": "cp874", "tis620": "cp874",
    "iso-8859-11": "cp874", "iso8859-11": "cp874", "x-tis620": "cp874", "dos-874": "cp874",
    "ms874": "cp874",
}
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def codec(name: str | None) -> str | None:
    """A Python codec for a declared charset name, or None if unknown."""
    if not name:
        return None
    name = _ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _try(data: bytes, name: str | None) -> str | None:
    if not name:
        return None
    try:
        text = data.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None
    # a Thai page declared latin-1/ascii decodes without error but wrongly: check for Thai bytes
    if name in ("latin-1", "iso8859-1", "cp1252", "ascii") and re.search(rb"[\xa1-\xfb]{4}", data):
        return None
    return text


def decode(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a page; returns (text, encoding used)."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(name, errors="replace"), name
    m = _HEADER.search(content_type or "")
    meta = _META.search(data[:4096])
    declared = [codec(m.group(1)) if m else None, codec(meta.group(1).decode("ascii", "ignore")) if meta else None]
    if not data.isascii() and _try(data, "utf-8") is not None:
        declared.insert(0, "utf-8")  # valid multi-byte UTF-8 is never accidental; labels lie
    for name in [*declared, "utf-8", "cp874"]:
        text = _try(data, name)
        if text is not None:
            return text, name
    return data.decode("cp874", errors="replace"), "cp874"
