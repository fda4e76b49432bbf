"""Text out of downloaded evidence documents: PDF (pypdf), DOCX and XLSX (standard library only).

`read_text` never raises and is capped in pages, characters and seconds, so a hostile or broken
file costs little. DOC/XLS (old OLE binaries) are recognised but not read: the caller falls back on
the file name and the link text. PDF text from Thai fonts is often mangled (marks split off or
reordered, spaces between letters, old-font private-use code points); `fix_pdf_thai` repairs it.
"""

from __future__ import annotations

import io
import logging
import re
import struct
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, XMLPullParser

from .thai import clean

KINDS = ("pdf", "docx", "xlsx", "doc", "xls", "other")
MAX_MEMBER = 20 * 1024 * 1024  # uncompressed bytes read from one zip member
MAX_SHEETS = 5
OLD_OFFICE = "old Office format: text not read"
PARSE_RATE = 400_000  # content-stream bytes pypdf parses and extracts per second, conservatively

# pypdf reports every repaired xref or odd object as a logging warning; a crawler reading broken
# municipal PDFs by the hundred should not print them. Only quietened when nobody configured it.
_pypdf_log = logging.getLogger("pypdf")
if _pypdf_log.level == logging.NOTSET:
    _pypdf_log.setLevel(logging.ERROR)


@dataclass
class DocText:
    kind: str  # "pdf" | "docx" | "xlsx" | "doc" | "xls" | "other"
    text: str  # normalised text ("" when none)
    pages: int  # pages read (pdf), 0 otherwise
    scanned: bool  # a PDF with no text layer (images only)
    truncated: bool  # stopped by a cap (bytes, pages or seconds)
    error: str | None  # why it could not be read (encrypted, broken, unsupported)


# ---------------------------------------------------------------------------------------------- sniff

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
_LOCAL_HEADER = b"PK\x03\x04"


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


# ---------------------------------------------------------------------------------------------- read


def read_text(
    data: bytes,
    content_type: str = "",
    url: str = "",
    max_pages: int = 20,
    max_seconds: float = 5.0,
    max_chars: int = 200_000,
) -> DocText:
    """The document's normalised text, never raising; capped in pages, seconds and characters."""
    kind = "other"
    try:
        kind = sniff(data or b"", content_type, url)
        deadline = time.monotonic() + max_seconds
        if kind == "pdf":
            return _read_pdf(data or b"", max_pages, deadline, max_chars)
        if kind in ("docx", "xlsx"):
            return _read_ooxml(kind, data or b"", deadline, max_chars)
        if kind in ("doc", "xls") or (data or b"").startswith(_OLE):
            return DocText(kind, "", 0, False, False, OLD_OFFICE)
        return DocText(kind, "", 0, False, False, "unsupported file type")
    except Exception as exc:  # a reader bug must not stop the crawl
        return DocText(kind, "", 0, False, False, f"unreadable: {type(exc).__name__}")


def _cap(text: str, max_chars: int) -> tuple[str, bool]:
    return (text[:max_chars], True) if len(text) > max_chars else (text, False)


# ---------------------------------------------------------------------------------------------- PDF


class _Timeout(Exception):
    pass


def _looks_complete(data: bytes) -> bool:
    return b"%%EOF" in data[-2048:]


def _has_images(page, depth: int = 0) -> bool:
    try:
        resources = page.get("/Resources") if depth == 0 else page
        resources = resources.get_object() if resources is not None else None
        xobjects = resources.get("/XObject") if resources is not None else None
        if xobjects is None:
            return False
        for ref in xobjects.get_object().values():
            obj = ref.get_object()
            subtype = obj.get("/Subtype")
            if subtype == "/Image":
                return True
            if subtype == "/Form" and depth < 2 and _has_images(obj.get("/Resources"), depth + 1):
                return True
    except Exception:
        return False
    return False


class _Encrypted(Exception):
    pass


def _open_pdf(pypdf, data: bytes):
    reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        try:
            decrypted = reader.decrypt("")
        except Exception:
            decrypted = 0
        if not decrypted:
            raise _Encrypted
    return reader, len(reader.pages)


_CATALOG = re.compile(rb"(\d+) (\d+) obj\s*<<(?:(?!endobj).){0,800}?/Type\s*/Catalog\b", re.S)


def _with_trailer(data: bytes) -> bytes | None:
    """A cut-off PDF (no xref, no trailer) given a trailer naming its catalog, so pypdf can scan it."""
    m = _CATALOG.search(data)
    if not m:
        return None
    root = m.group(1) + b" " + m.group(2)
    return data + b"\nendstream\nendobj\ntrailer\n<< /Root " + root + b" R >>\nstartxref\n0\n%%EOF\n"


def _read_pdf(data: bytes, max_pages: int, deadline: float, max_chars: int) -> DocText:
    import pypdf  # imported here: the crawler runs without it when it never meets a PDF

    if b"%PDF-" not in data[:1024]:
        return DocText("pdf", "", 0, False, False, "not a PDF file")
    complete = _looks_complete(data)
    try:
        reader, total = _open_pdf(pypdf, data)
    except _Encrypted:
        return DocText("pdf", "", 0, False, False, "encrypted")
    except Exception as exc:
        patched = None if complete else _with_trailer(data)
        try:
            if patched is None:
                raise
            reader, total = _open_pdf(pypdf, patched)
        except _Encrypted:
            return DocText("pdf", "", 0, False, True, "encrypted")
        except Exception:
            error = "incomplete file" if not complete else f"broken PDF: {type(exc).__name__}"
            return DocText("pdf", "", 0, False, not complete, error)
    if total == 0:
        return DocText("pdf", "", 0, False, not complete, "incomplete file" if not complete else "no pages")

    def check(*_args: object) -> None:
        if time.monotonic() > deadline:
            raise _Timeout

    parts: list[str] = []
    size = 0
    pages = 0
    images = False
    truncated = not complete
    failed: str | None = None
    for index in range(total):
        if index >= max_pages or size >= max_chars or time.monotonic() > deadline:
            truncated = True
            break
        try:
            page = reader.pages[index]
            # pypdf parses a whole content stream before the first operator reaches `check`:
            # a page too big to parse in the time left is skipped, not started
            budget = (deadline - time.monotonic()) * PARSE_RATE
            contents = page.get_contents()
            if contents is not None and len(contents.get_data()) > budget:
                truncated = True
                continue
            raw = page.extract_text(visitor_operand_before=check) or ""
        except _Timeout:
            truncated = True
            break
        except Exception as exc:
            failed = failed or type(exc).__name__
            truncated = truncated or not complete
            if not complete:
                break  # the rest of an incomplete file is missing, not just this page
            continue
        pages += 1
        images = images or _has_images(page)
        parts.append(raw)
        size += len(raw)
    text = fix_pdf_thai("\n".join(parts))
    text, cut = _cap(text, max_chars)
    truncated = truncated or cut
    dense = sum(not ch.isspace() for ch in text)
    # no text at all, or next to none over pictures; a cut file may just have lost its fonts
    scanned = pages > 0 and ((dense == 0 and (complete or images)) or (images and dense / pages < 20))
    error = None
    if not pages or (not complete and not dense):
        error = "incomplete file" if not complete else f"broken PDF: {failed or 'no readable page'}"
    return DocText("pdf", text, pages, scanned, truncated, error)


# ---------------------------------------------------------------------------------------------- Thai repair

_THAI = "\u0e01-\u0e5b"
_MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e"  # combining: vowels above/below, tone marks, thanthakhat...
_TONES = "\u0e48-\u0e4b"
_ABOVE_BELOW = "\u0e31\u0e34-\u0e3a\u0e47"  # vowels above and below, maitaikhu: written before a tone mark
_LEADING = "\u0e40-\u0e44"  # เ แ โ ใ ไ: written before their consonant, never end a word
_FOLLOWING = "\u0e30\u0e32\u0e33\u0e45"  # ะ า ำ ๅ: never start a word
_CONSONANTS = "\u0e01-\u0e2e"

# Old Thai fonts (Windows/Mac "shifted" glyphs) map their repositioned marks to U+F700-U+F71F.
_PUA = {
    0xF700: "\u0e10", 0xF701: "\u0e34", 0xF702: "\u0e35", 0xF703: "\u0e36", 0xF704: "\u0e37",
    0xF705: "\u0e48", 0xF706: "\u0e49", 0xF707: "\u0e4a", 0xF708: "\u0e4b", 0xF709: "\u0e4c",
    0xF70A: "\u0e48", 0xF70B: "\u0e49", 0xF70C: "\u0e4a", 0xF70D: "\u0e4b", 0xF70E: "\u0e4c",
    0xF70F: "\u0e0d", 0xF710: "\u0e31", 0xF711: "\u0e4d", 0xF712: "\u0e47", 0xF713: "\u0e48",
    0xF714: "\u0e49", 0xF715: "\u0e4a", 0xF716: "\u0e4b", 0xF717: "\u0e4c", 0xF718: "\u0e38",
    0xF719: "\u0e39", 0xF71A: "\u0e3a", 0xF71B: None, 0xF71C: None, 0xF71D: None,
    0xF71E: "\u0e4d", 0xF71F: "\u0e47",
}

_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000\ufeff]+")
_SARA_AM = re.compile(f"\u0e4d([{_TONES}]?)\u0e32")  # ํ(tone)า -> (tone)ำ
_TONE_SARA_AM = re.compile(f"([{_TONES}])\u0e4d\u0e32")
_SPACE_BEFORE_MARK = re.compile(f"(?<=[{_THAI}]) +(?=[{_MARKS}{_FOLLOWING}])")
_SPACE_AFTER_LEADING = re.compile(f"(?<=[{_LEADING}]) +(?=[{_CONSONANTS}])")
_TONE_FIRST = re.compile(f"([{_TONES}\u0e4c]+)([{_ABOVE_BELOW}]+)")
_LEADING_AFTER = re.compile(f"([{_CONSONANTS}])([{_LEADING}])(?=[{_MARKS}])")  # สเี่ยง -> เสี่ยง
_CLUSTER = f"(?:[{_CONSONANTS}{_LEADING}{_FOLLOWING}\u0e2f\u0e46][{_MARKS}]*|[{_MARKS}]+)"
_THAI_RUN = re.compile(f"(?<!\\S){_CLUSTER}(?: {_CLUSTER}){{2,}}(?!\\S)")
_ONE = re.compile(f"^(?:.|{_CLUSTER})$")


def _spaced_out(line: str) -> bool:
    """A line whose characters were all pulled apart ("ก า ร ป ร ะ เ มิ น  2 5 6 3")."""
    tokens = [t for t in line.split(" ") if t]
    singles = [t for t in tokens if _ONE.match(t)]
    thai = sum(1 for t in singles if re.match(f"[{_THAI}]", t))
    return thai >= 4 and len(singles) >= 0.7 * len(tokens)


def _fix_line(line: str) -> str:
    line = _SPACES.sub(lambda m: "  " if len(m.group()) > 1 else " ", line).strip()
    if _spaced_out(line):
        # letters one space apart, words two or more apart
        line = " ".join(word.replace(" ", "") for word in re.split(r" {2,}", line))
    else:
        line = _THAI_RUN.sub(lambda m: m.group().replace(" ", ""), line)
    line = _SPACE_BEFORE_MARK.sub("", line)
    return _SPACE_AFTER_LEADING.sub("", line)


def fix_pdf_thai(text: str) -> str:
    """Repair Thai text extracted from a PDF, then `thai.clean` each line (line breaks kept).

    Old-font private-use marks (U+F700-U+F71F) become normal marks, ``ํ`` + ``า`` becomes ``ำ``,
    spaces before a combining mark or following vowel, after a leading vowel, and between the letters
    of a spaced-out run are removed, a tone mark before a vowel above/below is put after it, and a
    leading vowel extracted after its consonant is put back in front.
    """
    if not text:
        return ""
    text = text.translate(_PUA)
    text = _SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    text = _TONE_SARA_AM.sub(lambda m: m.group(1) + "\u0e33", text)
    lines = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = _fix_line(raw)
        line = _TONE_FIRST.sub(lambda m: m.group(2) + m.group(1), line)
        line = _LEADING_AFTER.sub(r"\2\1", line)
        line = clean(line)
        if line:
            lines.append(line)
    return "\n".join(lines)


def _clean_lines(text: str) -> str:
    return "\n".join(line for line in (clean(raw) for raw in text.split("\n")) if line)


# ---------------------------------------------------------------------------------------------- DOCX / XLSX


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
        if time.monotonic() > deadline:
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
