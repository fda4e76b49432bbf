"""Hostile documents: tiny files that hung a scan or ate gigabytes, each read in bounded time and memory.

The documents are made here, by hand (see the builders). Work that hung the old code runs in a
subprocess with a timeout, so a regression fails the test instead of hanging the suite; that
subprocess reports its own CPU time, wall time and peak RSS (ru_maxrss).
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import multiprocessing
import subprocess
import sys
import textwrap
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from crawler.dates import MAX_TEXT, mentions
from crawler.documents import TIMED_OUT, read_text, read_text_isolated, shutdown_readers

DOCS = Path(__file__).parent / "data" / "docs"
MB = 1024 * 1024


def pdf(objs: list[bytes]) -> bytes:
    """A PDF of these objects (1 is the catalog) with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def digits_pdf(n: int = 3_000_000) -> bytes:
    """A 3 MB "PDF": the header, then digits (no objects, no %%EOF: read as a cut-off file)."""
    return b"%PDF-1.4\n" + b"1" * n


def digits_docx(n: int = 199_000) -> bytes:
    """An 836-byte-class DOCX whose text is one run of 199,000 digits."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("word/document.xml", b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml'
                    b'/2006/main"><w:body><w:p><w:r><w:t>' + b"1" * n + b"</w:t></w:r></w:p></w:body></w:document>")
    return buf.getvalue()


def bomb_pdf(pages: int = 20, inflated: int = 70 * MB) -> bytes:
    """About 1.4 MB: `pages` pages, each content stream a FlateDecode stream of `inflated` spaces."""
    deflater = zlib.compressobj(9)
    chunk = b" " * MB
    stream = b"".join(deflater.compress(chunk) for _ in range(inflated // MB)) + deflater.flush()
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for _ in range(pages):
        objs.append(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 3 0 R >> >> >>" % len(objs))
        kids.append(b"%d 0 R" % len(objs))
    objs[1] = b"<< /Type /Pages /Kids [" + b" ".join(kids) + b"] /Count %d >>" % len(kids)
    return pdf(objs)


def many_pages_pdf(pages: int = 100_000) -> bytes:
    """`pages` pages sharing one content stream; resources and media box inherited from the tree."""
    content = b"BT /F1 12 Tf 72 700 Td (page) Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"]
    objs += [b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"] * pages
    kids = b" ".join(b"%d 0 R" % n for n in range(5, pages + 5))
    objs[1] = (b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 595 842] "
               b"/Resources << /Font << /F1 3 0 R >> >> >>" % pages)
    return pdf(objs)


@functools.cache
def hundred_thousand_pages() -> bytes:
    return many_pages_pdf()


@functools.cache
def slow_pdf(pages: int = 40) -> bytes:
    """Seconds of reading for any reader: `pages` pages sharing one 3.5 MB (inflated) stream of text operators."""
    content = zlib.compress(b"BT /F1 12 Tf 72 700 Td " + b"(x) Tj 1 0 Td " * 250_000 + b"ET")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"]
    objs += [b"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>"] * pages
    kids = b" ".join(b"%d 0 R" % n for n in range(5, pages + 5))
    objs[1] = (b"<< /Type /Pages /Kids [" + kids + b"] /Count %d /MediaBox [0 0 595 842] "
               b"/Resources << /Font << /F1 3 0 R >> >> >>" % pages)
    return pdf(objs)


def bounded(code: str, timeout: float, data: bytes = b"", tmp_path: Path | None = None) -> dict:
    """Run `code` in a fresh interpreter (`data` readable as DATA); its JSON report plus peak RSS in MB.

    A run still going after `timeout` seconds is killed and fails the test.
    """
    prelude = "import json, resource, sys, time\nfrom pathlib import Path\n"
    if tmp_path is not None:
        (tmp_path / "doc.bin").write_bytes(data)
        prelude += f"DATA = Path({str(tmp_path / 'doc.bin')!r}).read_bytes()\n"
    # VmHWM is this process's own peak; ru_maxrss keeps the forking parent's (a grown test worker) across exec
    epilogue = ("\nREPORT['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
                "with __import__('contextlib').suppress(OSError, ValueError, StopIteration):\n"
                "    REPORT['peak_mb'] = int(next(ln for ln in open('/proc/self/status') if ln.startswith('VmHWM'))"
                ".split()[1]) / 1024\n"
                "print(json.dumps(REPORT))\n")
    script = prelude + "REPORT = {}\n" + textwrap.dedent(code) + epilogue
    try:
        run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"still running after {timeout} s")
    assert run.returncode == 0, run.stderr[-2000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


READ = """
from crawler.documents import read_text
t0 = time.monotonic(); c0 = time.process_time()
doc = read_text(DATA, "", URL)
REPORT.update(wall=time.monotonic() - t0, cpu=time.process_time() - c0, pages=doc.pages, error=doc.error,
              truncated=doc.truncated, chars=len(doc.text), text=doc.text[:100])
"""


@pytest.fixture(scope="module", autouse=True)
def _stop_readers():
    yield
    shutdown_readers()


# ---------------------------------------------------------------------------------------------- regular expressions


def test_pdf_of_digits_is_read_at_once(tmp_path):
    """3 MB of digits after a PDF header: the catalog pattern (`(\\d+) (\\d+) obj...`) was quadratic."""
    report = bounded("URL = 'https://x.go.th/a.pdf'\n" + READ, 40, digits_pdf(), tmp_path)
    assert report["wall"] < 20 and report["pages"] == 0 and report["error"] == "incomplete file"


def test_docx_of_digits_and_its_dates(tmp_path):
    """199,000 digits in an 836-byte DOCX: read at once, and `mentions` on its text under a second."""
    data = digits_docx()
    assert len(data) < 1000
    report = bounded("URL = 'https://x.go.th/a.docx'\n" + READ + """
from crawler.dates import mentions
c0 = time.process_time()
REPORT['mentions'] = len(mentions(doc.text))
REPORT['mentions_cpu'] = time.process_time() - c0
""", 40, data, tmp_path)
    assert report["chars"] == 199_000 and report["wall"] < 20
    assert report["mentions"] == 0 and report["mentions_cpu"] < 1.0


@pytest.mark.parametrize("unit", ["1", " ", "1 ", "๑", "0 ", "1,", "1.", "2565 ", "ก ", "\u0e48", "\u0e4c"])
def test_mentions_is_linear(unit):
    """200,000 characters of digits, spaces and the like: under a second of CPU each."""
    text = unit * (200_000 // len(unit))
    report = bounded(f"""
from crawler.dates import mentions
text = {text[:2 * len(unit)]!r} * {len(text) // (2 * len(unit))}
c0 = time.process_time()
REPORT['n'] = len(mentions(text))
REPORT['cpu'] = time.process_time() - c0
""", 30)
    assert report["cpu"] < 1.0, report


def test_mentions_reads_a_capped_length():
    assert MAX_TEXT >= 100_000
    assert mentions("x" * MAX_TEXT + " ปีงบประมาณ 2565") == []
    assert [m.kind for m in mentions("x" * (MAX_TEXT - 100) + " ปีงบประมาณ 2565")] == ["fiscal_year"]


@pytest.mark.parametrize("unit", ["\u0e48", "\u0e4c", "\u0e4d\u0e32", "ก\u0e48"])
def test_thai_repair_is_linear_on_runs_of_marks(unit):
    """Long runs of tone marks: our tone-reorder pattern and pythainlp's normaliser were quadratic."""
    report = bounded(f"""
from crawler.documents import fix_pdf_thai
from crawler.thai import clean, key
text = {unit!r} * {100_000 // len(unit)}
c0 = time.process_time()
fix_pdf_thai(text); clean(text); key(text)
REPORT['cpu'] = time.process_time() - c0
""", 30)
    assert report["cpu"] < 3.0, report


def test_marks_are_still_repaired():
    from crawler.documents import fix_pdf_thai
    from crawler.thai import clean

    assert fix_pdf_thai("ที\u0e48\u0e35") == clean("ที\u0e48\u0e35")
    assert fix_pdf_thai("ก\u0e48\u0e34") == "กิ่"  # tone before the vowel above: put after it
    assert clean("น\u0e49\u0e4d\u0e32") == "น้ำ"


# ---------------------------------------------------------------------------------------------- memory and pages


def test_pdf_stream_bombs_stay_small(tmp_path):
    """20 pages of 70 MB FlateDecode streams (1.4 MB file): peaked at 1.2-1.5 GB, now under 300 MB."""
    data = bomb_pdf()
    assert len(data) < 2 * MB
    report = bounded("URL = 'https://x.go.th/a.pdf'\n" + READ, 60, data, tmp_path)
    assert report["wall"] < 20
    assert report["peak_mb"] < 300, report
    assert report["truncated"] and report["pages"] == 0


def test_pdf_with_one_big_stream_still_read_when_small_enough():
    """The stream measure counts inflated bytes: a normal compressed page is read as before."""
    content = zlib.compress(b"BT /F1 12 Tf 72 700 Td (plan 2565) Tj ET")
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"]
    doc = read_text(pdf(objs), "application/pdf", "https://x.go.th/a.pdf")
    assert (doc.text, doc.pages, doc.truncated, doc.error) == ("plan 2565", 1, False, None)


def test_flate_stream_with_bytes_after_its_end_is_measured(tmp_path):
    """1.5 MB inflated, then CR LF inside /Length: measuring it looped forever (zlib keeps the CR LF as its
    unconsumed tail at the end). An ASCIIHex stream, which is not measured, sends the file to pypdf."""
    content = zlib.compress(b" " * (3 * MB // 2) + b"BT /F1 12 Tf 72 700 Td (plan 2565) Tj ET") + b"\r\n"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Length 5 /Filter /ASCIIHexDecode >>\nstream\n2020>\nendstream"]
    report = bounded("URL = 'https://x.go.th/a.pdf'\n" + READ, 30, pdf(objs), tmp_path)
    assert report["text"] == "plan 2565" and report["pages"] == 1


@pytest.mark.parametrize("thumb", [b"/Filter /DCTDecode", b"/Filter [/DCTDecode]", b"/Filter /JPXDecode"])
def test_a_jpeg_without_subtype_image_leaves_the_pdf_to_pdfium(thumb):
    """A scanner's JPEG thumbnail (no /Subtype /Image) is never decoded for text: the file still goes to PDFium,
    which reads a page of 250,000 text operators in well under a second (pypdf took past the 5 s deadline)."""
    content = zlib.compress(b"BT /F1 12 Tf 72 700 Td " + b"(x) Tj 1 0 Td " * 250_000 + b"(plan 2565) Tj ET")
    jpeg = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40 + b"\xff\xd9"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R /Thumb 6 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Width 77 /Height 106 /BitsPerComponent 8 /ColorSpace /DeviceRGB " + thumb
            + b" /Length %d >>\nstream\n" % len(jpeg) + jpeg + b"\nendstream"]
    started = time.monotonic()
    doc = read_text(pdf(objs), "application/pdf", "https://x.go.th/a.pdf")
    assert time.monotonic() - started < 2.5
    assert doc.pages == 1 and not doc.truncated and doc.text.endswith("plan 2565")


def test_a_bomb_behind_a_flate_then_jpeg_chain_is_still_measured(tmp_path):
    """Only a chain that starts with an image codec is left unmeasured: Flate then DCT inflates first."""
    bomb = zlib.compress(b"\0" * (70 * MB), 9)
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>",
            b"<< /Length %d /Filter [/FlateDecode /DCTDecode] >>\nstream\n" % len(bomb) + bomb + b"\nendstream"]
    report = bounded("URL = 'https://x.go.th/a.pdf'\n" + READ, 60, pdf(objs), tmp_path)
    assert report["wall"] < 20 and report["peak_mb"] < 300, report


def test_pdf_of_100000_pages_keeps_its_deadline():
    """The whole page tree was flattened (5+ s) before the first page: now only the pages read are walked."""
    data = hundred_thousand_pages()
    t0 = time.monotonic()
    doc = read_text(data, "application/pdf", "https://x.go.th/a.pdf", max_seconds=5.0)
    took = time.monotonic() - t0
    assert took < 6.0
    assert doc.pages == 20 and doc.truncated and doc.error is None
    assert doc.text.split() == ["page"] * 20


# ---------------------------------------------------------------------------------------------- reader process


def test_isolated_reader_gives_what_read_text_gives():
    data = (DOCS / "plan-2565.pdf").read_bytes()
    url = "https://x.go.th/plan-2565.pdf"
    assert asyncio.run(read_text_isolated(data, "application/pdf", url)) == read_text(data, "application/pdf", url)


def test_slow_pdf_is_slow_but_keeps_its_deadline():
    """The cap counts the reader's CPU seconds (a busy machine reads as many pages as an idle one)."""
    t0 = time.process_time()
    doc = read_text(slow_pdf(), "application/pdf", "https://x.go.th/a.pdf", max_seconds=1.0)
    assert 1.0 < time.process_time() - t0 < 3.0
    assert doc.truncated and 0 < doc.pages < 20


def test_isolated_reader_is_killed_at_its_deadline_without_blocking_the_loop():
    data = slow_pdf()

    async def main():
        gaps = []

        async def ticker():
            last = time.monotonic()
            while True:
                await asyncio.sleep(0.02)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        t0 = time.monotonic()
        slow = await read_text_isolated(data, "application/pdf", "https://x.go.th/a.pdf", timeout=0.2)
        took = time.monotonic() - t0
        # the killed reader is replaced: the next document is read normally
        ok = await read_text_isolated(digits_docx(10), "", "https://x.go.th/a.docx")
        tick.cancel()
        return slow, took, ok, max(gaps)

    slow, took, ok, gap = asyncio.run(main())
    assert (slow.kind, slow.error, slow.truncated, slow.text) == ("pdf", TIMED_OUT, True, "")
    assert took < 2.0
    assert gap < 0.5
    assert ok.text == "1" * 10 and ok.error is None


def test_cancelling_an_isolated_read_kills_the_reader():
    """Ctrl-C cancels the scan's tasks: the read gives up at once and its reader process is gone."""
    shutdown_readers()
    data = slow_pdf()

    async def main():
        task = asyncio.create_task(read_text_isolated(data, "application/pdf", "https://x.go.th/a.pdf", timeout=60))
        await asyncio.sleep(0.3)
        t0 = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - t0

    assert asyncio.run(main()) < 2.0
    alive = [p for p in multiprocessing.active_children() if p.name == "oit-document-reader"]
    assert alive == []


def test_pypdf_decompression_is_capped_per_stream():
    import pypdf
    from pypdf.errors import LimitReachedError
    from pypdf.filters import FlateDecode

    from crawler.documents import MAX_STREAM
    from crawler.documents.pdf import _pypdf_limits

    bomb = zlib.compress(b" " * (MAX_STREAM + MB))
    with _pypdf_limits(pypdf), pytest.raises(LimitReachedError):
        FlateDecode.decode(bomb)
    assert len(FlateDecode.decode(zlib.compress(b" " * MB))) == MB
