"""The kind of a document: magic bytes first, then the content type, then the URL's extension."""

from __future__ import annotations

import io
import zipfile

from .office import _LOCAL_HEADER, _local_members

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TYPES = (
    ("pdf", "pdf"),
    ("wordprocessingml", "docx"),
    ("spreadsheetml", "xlsx"),
    ("msword", "doc"),
    ("ms-excel", "xls"),
    ("excel", "xls"),
)
_EXTENSIONS = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "doc": "doc", "xls": "xls"}


def _hint(content_type: str, url: str) -> str:
    ct = (content_type or "").split(";")[0].strip().lower()
    for needle, kind in _TYPES:
        if needle in ct:
            return kind
    path = (url or "").split("#")[0].split("?")[0].rstrip("/").lower()
    ext = path.rsplit("/", 1)[-1].rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return _EXTENSIONS.get(ext, "other")


def _zip_names(data: bytes) -> list[str]:
    """Member names from the central directory, or from local headers when the zip is cut short."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.namelist()
    except Exception:
        return [name for name, *_ in _local_members(data)]


def _ole_kind(data: bytes) -> str | None:
    head = data[: 1 << 20]
    if "WordDocument".encode("utf-16-le") in head:
        return "doc"
    if "Workbook".encode("utf-16-le") in head or "Book\x00".encode("utf-16-le") in head:
        return "xls"
    return None


def sniff(data: bytes, content_type: str = "", url: str = "") -> str:
    """The document kind: magic bytes first, then the content type, then the URL's extension."""
    hint = _hint(content_type, url)
    head = data[:1024] if data else b""
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(_LOCAL_HEADER):
        names = _zip_names(data)
        if any(n.startswith("word/") for n in names):
            return "docx"
        if any(n.startswith("xl/") for n in names):
            return "xlsx"
        return hint if hint in ("docx", "xlsx") else "other"  # e.g. cut before word/ arrived
    if head.startswith(_OLE):
        kind = _ole_kind(data)
        if kind:
            return kind
        return hint if hint in ("doc", "xls") else "other"
    return hint
