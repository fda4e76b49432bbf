"""Fuzzing what reads the outside world (Hypothesis): URLs and hrefs, HTML, bytes of pages and documents,
checklist YAML, sites CSV, queue messages and posted results.

Property everywhere: no exception escapes but the documented one (ChecklistError, BatchError ...), and each
call stays within a time bound. Each test is bounded to a few seconds (max_examples, deadline); a failing
example is shrunk and printed by Hypothesis, and stays in .hypothesis/ to be tried first next time.
"""

from __future__ import annotations

import json
import resource
import shutil
import time
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler import urls
from crawler.batch import BatchError, read_sites
from crawler.checklist import ChecklistError, load
from crawler.decode import decode
from crawler.documents import read_text
from crawler.order import home_links
from crawler.parse import parse

FAST = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)  # the same examples every run: a failure here is a hole, never luck
SLOW = settings(max_examples=40, deadline=5000, suppress_health_check=[HealthCheck.too_slow,
                                                                      HealthCheck.function_scoped_fixture],
                derandomize=True)

BASE = "http://www.example.go.th/a/b.php?x=1"

# pieces real hrefs are made of, and the odd ones hostile pages use
HREF_PARTS = st.sampled_from([
    "http://", "https://", "//", "/", "./", "../", "?", "#", "&", "=", "%", "%2", "%zz", "%00", "%E0%B8",
    "javascript:", "data:", "file:", "mailto:", "\t", "\n", "\r", " ", "\x00", "\x7f", "\u200b", "\ufeff",
    "[", "]", "[::1]", "[v1.x]", ":", "::", "@", "user:pass@", "127.0.0.1", "0x7f.1", "localhost", ":80",
    ":99999", ":-1", ":0", "www.example.go.th", "xn--", "xn--zz", "เทศบาล", "ก.ไทย", "\\", "\\\\", "..",
    "index.php", "page_id=", "a" * 300, "ß", "İ", "\u0301", "%2e%2e", ";jsessionid=1",
])
HREFS = st.one_of(st.lists(HREF_PARTS, max_size=12).map("".join), st.text(max_size=200))


# -- URLs and hrefs --------------------------------------------------------------------------------------------

@FAST
@given(href=HREFS)
def test_any_href_canonicalises_or_is_refused(href):
    """A page's href is well formed (then canonical and the helpers take it) or refused: nothing else raises."""
    cleaned = urls.clean_href(href)
    assert isinstance(cleaned, str)
    for candidate in (cleaned, href, BASE + href):
        if not urls.well_formed(candidate):  # skipped and counted by the crawl, never an error of the site
            continue
        url = urls.canonical(candidate)
        assert isinstance(url, str)
        urls.is_web(url), urls.site_key(url), urls.in_scope(url, "example.go.th"), urls.trap_pattern(url)
        urls.is_document(url), urls.is_media(url), urls.readable(url), urls.extension(url)


@FAST
@given(href=HREFS)
def test_any_start_address_is_normalised_or_a_bad_url(href):
    try:
        start = urls.normalize_start(href)
    except urls.BadURL:
        return
    assert start.startswith(("http://", "https://"))


# -- HTML into parse -------------------------------------------------------------------------------------------

TAGS = st.sampled_from(["a", "div", "ul", "li", "table", "tr", "td", "th", "h1", "h2", "h3", "nav", "header",
                        "footer", "iframe", "frame", "frameset", "form", "select", "option", "script", "style",
                        "noscript", "span", "p", "img", "base", "meta", "title", "button", "details", "summary"])
ATTRS = st.sampled_from(['href="', "href='", "href=", 'src="', 'onclick="location.href=\'', 'class="menu"',
                         'style="display:none"', "hidden", 'http-equiv="refresh" content="0;url=', 'id="x"',
                         'data-href="', 'title="'])


@st.composite
def html_docs(draw) -> str:
    out = []
    for _ in range(draw(st.integers(0, 40))):
        kind = draw(st.integers(0, 4))
        if kind == 0:
            tag = draw(TAGS)
            attrs = " ".join(f"{draw(ATTRS)}{draw(HREFS)}\"" for _ in range(draw(st.integers(0, 2))))
            out.append(f"<{tag} {attrs}>")
        elif kind == 1:
            out.append(f"</{draw(TAGS)}>")
        elif kind == 2:
            out.append(draw(st.sampled_from(["ข้อมูลพื้นฐาน", "โครงสร้าง", "O23", "ปี 2565", "&amp;", "&#0;",
                                             "&#x110000;", "<!--", "-->", "<![CDATA[", "<!DOCTYPE html>",
                                             "คลิก", "ดาวน์โหลด", "\x00", "\ufffd"])))
        else:
            out.append(draw(st.text(max_size=40)))
    return "".join(out)


@FAST
@given(html=st.one_of(html_docs(), st.text(max_size=2000)))
def test_any_html_parses_into_a_page(html):
    page = parse(BASE, html)
    assert isinstance(page.title, str) and isinstance(page.links, list)
    for link in page.links:
        assert link.url.startswith(("http://", "https://")), link.url


def test_deeply_nested_html_parses_in_bounded_time():
    """A page of 100,000 nested elements (a hostile or broken CMS): parsed within seconds."""
    html = "<div>" * 100_000 + "<a href='/x'>โครงสร้าง</a>" + "</div>" * 100_000
    t0 = time.monotonic()
    parse(BASE, html)
    assert time.monotonic() - t0 < 3


# -- bytes into decode and the document readers -----------------------------------------------------------

CONTENT_TYPES = st.sampled_from([None, "", "text/html", "text/html; charset=utf-8", "text/html; charset=tis-620",
                                 "text/html; charset=windows-874", "text/html; charset=nonsense",
                                 "text/html; charset=utf-16", "text/html; charset=utf-32; charset=x",
                                 "text/html; charset=\"", "application/pdf", "application/msword",
                                 "application/vnd.openxmlformats-officedocument.wordprocessingml.document"])


@FAST
@given(data=st.binary(max_size=4000), ctype=CONTENT_TYPES)
def test_any_bytes_decode_to_text(data, ctype):
    text, encoding = decode(data, ctype)
    assert isinstance(text, str) and isinstance(encoding, str)


@FAST
@given(html=st.one_of(html_docs(), st.text(max_size=2000)), ctype=CONTENT_TYPES,
       encoding=st.sampled_from(["utf-8", "cp874", "utf-16"]))
def test_any_home_page_is_a_count_of_links_for_the_first_look(html, ctype, encoding):
    count = home_links(BASE, html.encode(encoding, errors="replace"), ctype)
    assert isinstance(count, int) and count >= 0


SEEDS = {  # real beginnings of documents, so the fuzzer gets past the magic numbers
    "pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] "
           b"/Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /Contents 4 0 R >> endobj\n"
           b"4 0 obj << /Length 20 /Filter /FlateDecode >> stream\n",
    "zip": b"PK\x03\x04\x14\x00\x00\x00\x08\x00",
    "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
}


@SLOW
@given(kind=st.sampled_from(["pdf", "zip", "ole", "none"]), tail=st.binary(max_size=3000),
       ctype=CONTENT_TYPES, url=st.sampled_from(["https://x.go.th/a.pdf", "https://x.go.th/a.docx",
                                                  "https://x.go.th/a.xlsx", "https://x.go.th/a.doc", ""]))
def test_any_bytes_are_read_as_a_document_or_an_error(kind, tail, ctype, url):
    data = SEEDS.get(kind, b"") + tail
    t0 = time.process_time()
    doc = read_text(data, ctype or "", url, max_seconds=1.0)
    assert time.process_time() - t0 < 4
    assert isinstance(doc.text, str) and (doc.error is None or isinstance(doc.error, str))


def test_a_docx_of_random_zip_members_is_read_or_refused(tmp_path):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document xmlns:w='x'><w:body>" + "<w:p>" * 50_000 + "</w:body>")
    doc = read_text(buf.getvalue(), "", "https://x.go.th/a.docx", max_seconds=2.0)
    assert isinstance(doc.text, str)


# -- checklist YAML into the loader -----------------------------------------------------------------------

YAML_PARTS = st.sampled_from([
    "name: x\n", "assessment_year: 2565\n", "assessment_year: 99999999999999999999999999\n", "items:\n",
    "  - id: O1\n", "    number: 1\n", "    title: t\n", "    indicator: 9\n", "    phrases: [a, b]\n",
    "    phrases: {a: 1}\n", "    period: current\n", "    requires:\n", "      - name: x\n", "        check: y\n",
    "    continues: {2565: [O1]}\n", "    continues: {x: 1}\n", "status: final\n", "&a ", "*a ", "!!python/object ",
    "!!binary AAAA\n", "? ", "- ", "[", "]", "{", "}", "'", '"', "\t", ": ", "---\n", "...\n", "%YAML 1.1\n",
    "1e9999\n", ".nan\n", "0x" + "f" * 50 + "\n", "9" * 5000 + "\n", "~\n", "null\n", "2565-13-45\n",
])


@SLOW
@given(text=st.one_of(st.lists(YAML_PARTS, max_size=30).map("".join), st.text(max_size=500)))
def test_any_checklist_text_loads_or_is_one_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("checklist") / "c.yaml"
    path.write_bytes(text.encode("utf-8", "replace"))
    t0 = time.monotonic()
    try:
        load(path)
    except ChecklistError as e:
        assert str(e).startswith(str(path)), str(e)
    assert time.monotonic() - t0 < 5


# -- sites CSV into the sites reader -----------------------------------------------------------------------

CSV_PARTS = st.sampled_from(["url,name,province\n", "url\n", "name\n", "\ufeffurl,name\n", "http://a.go.th/,",
                             "www.b.go.th", ",", "\n", "\r\n", '"', '""', "เทศบาล", "\x00", "javascript:alert(1)",
                             "http://[::1", "http://a.go.th:99999/", "=cmd|' /C calc'!A0", ";", "\t",
                             "x" * 1000])


@SLOW
@given(data=st.one_of(st.lists(CSV_PARTS, max_size=40).map(lambda p: "".join(p).encode("utf-8")),
                      st.binary(max_size=2000)))
def test_any_sites_csv_is_read_or_is_one_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("sites") / "sites.csv"
    path.write_bytes(data)
    try:
        sites = read_sites(path)
    except BatchError as e:
        assert str(path) in str(e), str(e)
        return
    for site in sites.sites:
        assert site["url"].startswith(("http://", "https://"))


# -- queue messages into the worker, posted results into the dispatcher --------------------------------------

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                 max_size=4), max_leaves=20)


@st.composite
def jobs(draw) -> object:
    from crawler import Options
    from crawler.workers import options_to_job

    job = {"batch": "k", "site_id": 1, "attempt": 1, "url": "http://www.example.go.th/",
           "options": options_to_job(Options()), "checklist_file": "x"}
    for _ in range(draw(st.integers(0, 3))):  # a few fields replaced, deep or shallow
        opts = job.get("options") if isinstance(job.get("options"), dict) else {}
        where = draw(st.sampled_from([job, *([opts] if opts else []),
                                      *[v for v in opts.values() if isinstance(v, dict)]]))
        key = draw(st.sampled_from(sorted(where) + ["chromium", "allow_private", "extra"]))
        if draw(st.booleans()):
            where.pop(key, None)
        else:
            where[key] = draw(JSON)
    return draw(st.one_of(st.just(job), JSON))


@FAST
@given(job=jobs())
def test_any_message_is_a_job_or_refused_before_anything_runs(job):
    """A message is either a job whose options build (the worker's own Chromium and policy), or refused."""
    from crawler.workers import job_problem, options_from_job

    problem = job_problem(job)
    if problem is None:
        options = options_from_job(job["options"], "x")
        assert options.settings.allow_private is False  # whatever the message said
        named = job["options"]["render"].get("chromium")
        assert not named or options.render.chromium != named
    else:
        assert isinstance(problem, str)


REDIS = shutil.which("redis-server")


@pytest.fixture(scope="module")
def dispatcher(tmp_path_factory):
    if REDIS is None:
        pytest.skip("redis-server not installed (make redis)")
    from test_workers import _dispatcher, free_port, start_redis

    port = free_port()
    proc = start_redis(port)
    reports: list[str] = []
    d = _dispatcher(tmp_path_factory.mktemp("dispatch") / "oit.db", f"redis://127.0.0.1:{port}/0",
                    "http://www.example.go.th/", reports)
    yield d
    proc.terminate()
    proc.wait(timeout=10)


@st.composite
def results(draw) -> dict:
    payload = draw(st.dictionaries(st.sampled_from(["batch", "site_id", "rows", "error", "attempt", "worker"]),
                                   JSON, max_size=6))
    if draw(st.booleans()):
        payload["batch"] = "KEY"
    if draw(st.booleans()):
        payload["site_id"] = draw(st.sampled_from([1, -1, 2**70, "1", None]))
    if draw(st.booleans()):
        run = draw(st.dictionaries(st.sampled_from(["start_url", "status", "id", "site", "pages_fetched"]),
                                   JSON, max_size=5))
        tables = draw(st.dictionaries(st.sampled_from(["pages", "evidence", "results", "linksets", "other"]),
                                      st.lists(st.dictionaries(st.sampled_from(["url", "run_id", "id", "hash",
                                                                                 "links", "item", "x"]), JSON,
                                                               max_size=4), max_size=3) | JSON, max_size=4))
        payload["rows"] = {"run": run, **tables} if draw(st.booleans()) else draw(JSON)
    return payload


@SLOW
@given(payload=results(), raw=st.one_of(st.none(), st.binary(max_size=300)))
def test_any_posted_result_is_stored_or_set_aside(dispatcher, payload, raw):
    """Whatever a worker (or anyone with the broker's password) posts, the dispatcher goes on."""
    from crawler.workers import pack

    if payload.get("batch") == "KEY":
        payload["batch"] = dispatcher.key
    data = raw if raw is not None else pack(payload)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    dispatcher._collect(data)
    dispatcher._collect(zlib.compress(json.dumps(payload, default=str).encode()[:50]))  # cut short
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 200_000  # KB: no bomb inflated


def test_fuzz_examples_are_kept_out_of_the_repository():
    ignore = (Path(__file__).parent.parent / ".gitignore")
    assert ignore.exists() and ".hypothesis" in ignore.read_text(encoding="utf-8")
