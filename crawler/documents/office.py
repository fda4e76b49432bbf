"""DOCX and XLSX text: their XML read as a stream out of the zip (or out of what arrived of it), capped."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from xml.etree.ElementTree import ParseError, XMLPullParser

from .caps import MAX_MEMBER, MAX_SHEETS, DocText, _cap, _clock
from .repair import _clean_lines

_LOCAL_HEADER = b"PK\x03\x04"


class _TooLarge(Exception):
    pass


def _local_members(data: bytes) -> Iterator[tuple[str, int, int, int, int]]:
    """(name, method, compressed size, uncompressed size, data offset) from local file headers.

    Used when the central directory at the end of the zip is missing (a capped download).
    """
    pos = data.find(_LOCAL_HEADER)
    seen = 0
    while pos >= 0 and pos + 30 <= len(data) and seen < 10_000:
        seen += 1
        (_, _, flags, method, _, _, _, csize, usize, nlen, xlen) = struct.unpack("<IHHHHHIIIHH", data[pos : pos + 30])
        start = pos + 30 + nlen + xlen
        name = data[pos + 30 : pos + 30 + nlen].decode("utf-8" if flags & 0x800 else "cp437", "replace")
        yield name, method, csize, usize, start
        # sizes in a trailing data descriptor (flag 0x08): look for the next header
        pos = data.find(_LOCAL_HEADER, start + csize if csize and not flags & 0x08 else start)


class _Zip:
    """Reads members of a zip (or of what arrived of it) with an uncompressed size cap."""

    def __init__(self, data: bytes):
        self.data = data
        self.partial = False
        self.zf: zipfile.ZipFile | None = None
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            self.names = self.zf.namelist()
        except Exception:
            self.partial = True
            self.local = {name: rest for name, *rest in _local_members(data)}
            self.names = list(self.local)

    def chunks(self, name: str) -> Iterator[bytes]:
        """The member's bytes in pieces; _TooLarge past MAX_MEMBER; stops quietly where a cut file ends."""
        if self.zf is not None:
            info = self.zf.getinfo(name)
            if info.file_size > MAX_MEMBER:
                raise _TooLarge(name)
            total = 0
            with self.zf.open(info) as fh:
                while chunk := fh.read(256 * 1024):
                    total += len(chunk)
                    if total > MAX_MEMBER:
                        raise _TooLarge(name)
                    yield chunk
            return
        method, csize, usize, start = self.local[name]
        if usize > MAX_MEMBER:
            raise _TooLarge(name)
        end = start + csize if csize else len(self.data)
        raw = self.data[start:end]
        if method == 0:
            yield raw[:MAX_MEMBER]
            return
        if method != 8:
            return
        inflater = zlib.decompressobj(-15)
        total = 0
        for i in range(0, len(raw), 64 * 1024):
            try:
                chunk = inflater.decompress(raw[i : i + 64 * 1024], MAX_MEMBER + 1 - total)
            except zlib.error:
                return
            total += len(chunk)
            if total > MAX_MEMBER:
                raise _TooLarge(name)
            yield chunk
            if inflater.eof:
                return


def _events(chunks: Iterator[bytes], deadline: float) -> Iterator[tuple[str, object]]:
    """(event, element) pairs of an XML stream; ends quietly at broken or cut-off XML."""
    parser = XMLPullParser(events=("start", "end"))
    head = b""
    for chunk in chunks:
        if len(head) < 65536:  # a DTD can only come before the root element
            head += chunk[:65536]
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                return  # OOXML never declares entities: refuse rather than expand them
        try:
            parser.feed(chunk)
            yield from parser.read_events()
        except ParseError:
            return
        if _clock() > deadline:
            raise TimeoutError
    try:
        parser.close()
        yield from parser.read_events()
    except ParseError:
        return


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _docx_text(zipped: _Zip, out: Callable[[str], bool], deadline: float) -> None:
    depth_cell = 0
    for event, elem in _events(zipped.chunks("word/document.xml"), deadline):
        tag = _local(elem.tag)
        if event == "start":
            if tag == "tc":
                depth_cell += 1
            continue
        if tag == "t" and elem.text and out(elem.text):
            return
        if tag == "tab":
            out("\t")
        elif tag in ("br", "cr"):
            out("\n")
        elif tag == "p":
            out(" " if depth_cell else "\n")
        elif tag == "tc":
            depth_cell -= 1
            out("\t")
        elif tag == "tr":
            out("\n")
        if tag in ("p", "tbl"):
            elem.clear()  # keep memory flat on long documents


def _shared_strings(zipped: _Zip, deadline: float, max_chars: int) -> list[str]:
    strings: list[str] = []
    if "xl/sharedStrings.xml" not in zipped.names:
        return strings
    size = 0
    parts: list[str] = []
    for event, elem in _events(zipped.chunks("xl/sharedStrings.xml"), deadline):
        tag = _local(elem.tag)
        if event != "end":
            continue
        if tag == "t" and elem.text:
            parts.append(elem.text)
        elif tag == "si":
            strings.append("".join(parts))
            size += len(strings[-1])
            parts = []
            elem.clear()
            if size > max_chars:
                break
    return strings


def _sheet_names(names: list[str]) -> list[str]:
    sheets = [n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
    return sorted(sheets, key=lambda n: int(re.sub(r"\D", "", n.rsplit("/", 1)[-1])))[:MAX_SHEETS]


def _xlsx_text(zipped: _Zip, out: Callable[[str], bool], deadline: float, max_chars: int) -> None:
    strings = _shared_strings(zipped, deadline, max_chars)
    sheets = _sheet_names(zipped.names)
    wrote = False
    for sheet in sheets:
        cell_type, value, inline = "", "", []
        for event, elem in _events(zipped.chunks(sheet), deadline):
            tag = _local(elem.tag)
            if event == "start":
                if tag == "c":
                    cell_type, value, inline = elem.get("t", ""), "", []
                continue
            if tag == "v":
                value = elem.text or ""
            elif tag == "t":
                inline.append(elem.text or "")
            elif tag == "c":
                text = value
                if cell_type == "s":
                    try:
                        text = strings[int(value)]
                    except (ValueError, IndexError):
                        text = ""
                elif cell_type == "inlineStr":
                    text = "".join(inline)
                if text:
                    wrote = True
                    if out(text) or out("\t"):
                        return
            elif tag == "row":
                out("\n")
                elem.clear()
        out("\n")
    if not wrote:  # no readable sheet (or none arrived): the shared strings alone still carry the words
        for s in strings:
            if out(s) or out("\n"):
                return


def _read_ooxml(kind: str, data: bytes, deadline: float, max_chars: int) -> DocText:
    zipped = _Zip(data)
    if not zipped.names:
        return DocText(kind, "", 0, False, zipped.partial, "incomplete file" if zipped.partial else "broken zip")
    parts: list[str] = []
    size = 0

    def out(piece: str) -> bool:
        """Collect text; True once max_chars is reached (the reader stops)."""
        nonlocal size
        parts.append(piece)
        size += len(piece)
        return size >= max_chars

    error = None
    truncated = zipped.partial
    try:
        if kind == "docx":
            if "word/document.xml" not in zipped.names:
                error = "incomplete file" if zipped.partial else "no word/document.xml"
            else:
                _docx_text(zipped, out, deadline)
        else:
            _xlsx_text(zipped, out, deadline, max_chars)
    except _TooLarge as exc:
        error = f"zip member too large: {exc.args[0]}"
        truncated = True
    except TimeoutError:
        truncated = True
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError) as exc:
        error = f"broken zip: {type(exc).__name__}"
    raw = "".join(parts)
    if size >= max_chars:
        truncated = True
    text, cut = _cap(_clean_lines(raw[: max_chars + 1000]), max_chars)
    if zipped.partial and not text and not error:
        error = "incomplete file"
    return DocText(kind, text, 0, False, truncated or cut, error)
