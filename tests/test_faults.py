"""Hostile servers: every fault ends in bounded time and memory with a recorded, readable result.

Most tests run the real command line (`python -m crawler scan URL --db --json`) against a
`FaultServer` whose home page links to one fault, in a subprocess whose wall time and peak RSS
(VmHWM polled every 0.2 s, and the child's ru_maxrss from wait4 when above the forking process's
peak, which a child inherits) are measured. A scan is killed 15 s after its bound, so a crawler that hangs fails the
test instead of hanging the suite.
Bounds (wall clock, including Python's start-up), default politeness settings except `--delay 0.02`:

- 75 s: `/drip`, `/never-ends` (the 60 s cap on one answer, `Settings.request_time`, plus 15 s for
  start-up and the rest of the site) and `/no-response` (three attempts of the 20 s read timeout);
- 60 s: `/many-links.html` and the endless link spaces;
- 30 s: everything else. Peak RSS of a scan: 500 MB.

The three slow scans start together (module fixture `slow_runs`), so the file takes about 3 minutes.
Nothing ever connects outside 127.0.0.0/8: the CLI scans only link to loopback addresses, and the
in-process fetcher tests run under `no_egress` (conftest.py), which refuses and records any other connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import os
import signal
import sqlite3
import ssl
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import ROOT, dated
from crawler.config import Settings
from crawler.fetch import Fetcher
from crawler.urls import canonical, normalize_start
from faultsrv import THAI_PAGE, THAI_QUERY_ID, THAI_QUERY_PAGE, FaultServer

MAX_RSS_MB = 500
FAST, SLOW, NO_ANSWER = 30.0, 60.0, 75.0
KILL_MARGIN = 15.0
CLI_FLAGS = ["--delay", "0.02", "--render", "never"]


# -- running the real CLI, measured ------------------------------------------------------------------

@dataclass
class Run:
    """One finished (or killed) `oit scan` subprocess."""

    name: str
    rc: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float
    killed: bool
    db: Path
    doc: dict = field(default_factory=dict)

    def rows(self) -> dict[str, dict]:
        """The `pages` table of the run, by URL."""
        if not self.db.exists():
            return {}
        con = sqlite3.connect(self.db)
        con.row_factory = sqlite3.Row
        try:
            return {r["url"]: dict(r) for r in con.execute("select * from pages order by id")}
        finally:
            con.close()

    def row(self, url: str) -> dict:
        rows = self.rows()
        assert canonical(url) in rows, f"{url} not in pages table: {sorted(rows)[:20]}"
        row = rows[canonical(url)]
        print(f"  {self.name} row {row['url']}: status={row['status']} error={row['error']!r} bytes={row['bytes']}"
              f" final={row['final_url']} title={row['title']!r}")
        return row

    def item(self, item_id: str) -> dict:
        return next(i for i in self.doc.get("items", []) if i["id"] == item_id)

    def describe(self) -> str:
        return f"{self.name}: rc={self.rc} {self.seconds:.1f}s peak {self.peak_mb:.0f} MB" + (
            " KILLED" if self.killed else "")


def _proc_kb(pid: int | str, field_name: str = "VmHWM") -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            for line in f:
                if line.startswith(field_name + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def run_cli(name: str, args: list[str], workdir: Path, bound: float, db: Path | None = None) -> Run:
    """`python -m crawler ARGS`, polled every 0.2 s; killed at bound + KILL_MARGIN seconds or 2 GB."""
    workdir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = workdir / f"{name}.stdout", workdir / f"{name}.stderr"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    parent_kb = _proc_kb("self")  # a child's ru_maxrss starts at its parent's peak (fork), not at its own
    t0 = time.monotonic()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([sys.executable, "-m", "crawler", *dated(args)], stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
    peak_kb, killed, status, usage = 0, False, None, None
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak_kb = max(peak_kb, _proc_kb(proc.pid))
            if not killed and (time.monotonic() - t0 > bound + KILL_MARGIN or peak_kb > 2_000_000):
                os.kill(proc.pid, signal.SIGKILL)
                killed = True
            time.sleep(0.2)
    finally:
        if status is None:  # interrupted: never leave the scan behind
            os.kill(proc.pid, signal.SIGKILL)
            os.waitpid(proc.pid, 0)
    seconds = time.monotonic() - t0
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    if usage.ru_maxrss > parent_kb + 10_000:  # kilobytes; above the fork's size it is the scan's own peak
        peak_kb = max(peak_kb, usage.ru_maxrss)
    return Run(name, rc, out_path.read_text("utf-8", "replace"), err_path.read_text("utf-8", "replace"),
               seconds, peak_kb / 1024, killed, db or workdir / "none.db")


def scan(name: str, start: str, workdir: Path, bound: float = FAST, *extra: str) -> Run:
    db, js = workdir / f"{name}.db", workdir / f"{name}.json"
    run = run_cli(name, ["scan", start, "--db", str(db), "--json", str(js), *CLI_FLAGS, *extra], workdir, bound, db)
    run.doc = json.loads(js.read_text(encoding="utf-8")) if js.exists() else {}
    print(f"FAULT {run.describe()} {run.stderr.strip()[-300:]!r}")
    return run


def assert_bounded(run: Run, bound: float, codes: tuple[int, ...] = (0, 2)) -> None:
    """Finished by itself within `bound` seconds and MAX_RSS_MB, with an expected exit code, no traceback."""
    assert not run.killed, f"{run.describe()}: still running {bound + KILL_MARGIN:.0f}s after start, killed"
    assert run.seconds < bound, f"{run.describe()}: took longer than {bound:.0f}s"
    assert run.peak_mb < MAX_RSS_MB, f"{run.describe()}: peak RSS over {MAX_RSS_MB} MB"
    assert "Traceback" not in run.stderr, f"{run.name}: traceback\n{run.stderr[-3000:]}"
    assert run.rc in codes, f"{run.describe()}: exit code {run.rc}; stderr: {run.stderr[-1000:]}"


def assert_recorded_failure(run: Run, url: str) -> dict:
    """The page has a row with an HTTP status or an error saying why it could not be read."""
    row = run.row(url)
    assert row["error"] or row["status"] >= 400, f"{url}: no status or error recorded: {row}"
    return row


@pytest.fixture
def fault_server():
    """Factory: `fault_server(links=[...], robots=...)`, closed after the test."""
    servers: list[FaultServer] = []

    def start(**kwargs) -> FaultServer:
        srv = FaultServer(**kwargs)
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.close()


def site_scan(fault_server, tmp_path: Path, name: str, links: list, bound: float = FAST, *extra: str,
              **server) -> tuple[FaultServer, Run]:
    srv = fault_server(links=links, **server)
    return srv, scan(name, srv.url, tmp_path, bound, *extra)


# -- slow transports: started together, bounded by the read timeout and a per-request deadline --------

SLOW_FAULTS = {"drip": ("/drip", NO_ANSWER), "never-ends": ("/never-ends", NO_ANSWER),
               "no-response": ("/no-response", NO_ANSWER)}


@pytest.fixture(scope="module")
def slow_runs(tmp_path_factory):
    servers = {name: FaultServer(links=[path]) for name, (path, _) in SLOW_FAULTS.items()}
    runs: dict[str, Run] = {}

    folders = {name: tmp_path_factory.mktemp(name) for name in SLOW_FAULTS}  # made here: mktemp is not thread-safe

    def go(name: str) -> None:
        runs[name] = scan(name, servers[name].url, folders[name], SLOW_FAULTS[name][1])

    threads = [threading.Thread(target=go, args=(name,)) for name in SLOW_FAULTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    yield {name: (servers[name], runs[name]) for name in SLOW_FAULTS}
    for srv in servers.values():
        srv.close()


@pytest.mark.parametrize("name", list(SLOW_FAULTS))
def test_slow_transport_is_given_up_in_bounded_time(slow_runs, name):
    srv, run = slow_runs[name]
    path, bound = SLOW_FAULTS[name]
    assert_bounded(run, bound)
    row = assert_recorded_failure(run, srv.url + path.lstrip("/"))
    assert row["status"] in (0, 200), row  # no answer, or an answer cut short
    assert run.row(srv.url)["status"] == 200  # the home page itself is fine


# -- broken transport and hostile bodies -----------------------------------------------------------

def test_connection_reset_mid_body(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "reset", ["/reset"])
    assert_bounded(run, FAST)
    row = assert_recorded_failure(run, srv.url + "reset")
    assert row["status"] == 0, row
    assert srv.stats.paths["/reset"] <= 3  # retried at most twice


@pytest.mark.parametrize("path", ["/gzip-bomb", "/deflate-bomb"])
def test_compression_bomb_is_capped(fault_server, tmp_path, path):
    srv, run = site_scan(fault_server, tmp_path, path.strip("/"), [path])
    assert_bounded(run, FAST)
    row = run.row(srv.url + path.lstrip("/"))
    assert row["status"] in (0, 200), row
    assert row["bytes"] <= 5_000_000, f"{row['bytes']} bytes kept from a {path}"
    assert srv.stats.paths[path] <= 3


def test_fifty_megabyte_page_is_truncated(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "big", ["/big.html"])
    assert_bounded(run, FAST)
    row = run.row(srv.url + "big.html")
    assert row["status"] == 200 and 0 < row["bytes"] <= 5_000_000, row


def test_random_bytes_served_as_html(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "binary", ["/binary"])
    assert_bounded(run, FAST)
    row = run.row(srv.url + "binary")
    assert row["status"] == 200 and row["bytes"] > 0, row


def test_thai_utf8_declared_latin1_is_read_as_thai(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "wrong-charset", ["/wrong-charset"])
    assert_bounded(run, FAST)
    row = run.row(srv.url + "wrong-charset")
    assert row["status"] == 200 and row["title"] == "ประกาศเทศบาลตำบลทดสอบ", row
    assert "utf" in row["encoding"].replace("_", "-"), row


def test_page_with_100000_links(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "many-links", ["/many-links.html"], SLOW)
    assert_bounded(run, SLOW)
    assert run.row(srv.url + "many-links.html")["status"] == 200
    assert srv.stats.count("/n/") <= 300  # --max-pages
    assert run.doc["pages_fetched"] <= 300


# -- redirects ------------------------------------------------------------------------------------------

def test_redirect_loop_and_long_chain(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "redirects", ["/loop-a", "/chain/3", "/chain/40"])
    assert_bounded(run, FAST)
    loop = assert_recorded_failure(run, srv.url + "loop-a")
    assert "redirect" in loop["error"], loop
    short = run.row(srv.url + "chain/3")
    assert short["status"] == 200 and short["final_url"] == srv.url + "chain/0", short
    long = assert_recorded_failure(run, srv.url + "chain/40")
    assert "redirect" in long["error"], long
    assert srv.stats.count("/loop-") <= 12 and srv.stats.count("/chain/") <= 4 + 11


def test_redirect_to_another_host_is_not_crawled(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "other-host", ["/to-other-host"])
    assert_bounded(run, FAST)
    row = run.row(srv.url + "to-other-host")
    assert row["error"] or row["final_url"].startswith(srv.other_url), row
    offsite = {k: n for k, n in srv.stats.hosts.items() if k.startswith("127.0.0.2 ")}
    assert "127.0.0.2 /offsite-secret.html" not in offsite, offsite  # off-site links are not followed
    assert sum(offsite.values()) <= 2, offsite


def test_redirect_to_file_scheme_is_refused(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "to-file", ["/to-file"])
    assert_bounded(run, FAST)
    row = assert_recorded_failure(run, srv.url + "to-file")
    assert "refused" in row["error"] and "passwd" not in (row["title"] or ""), row


# -- answers: soft 404, bots refused, rate limits ------------------------------------------------------

def test_soft_404_is_not_evidence(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "soft-404", [("/soft-404.html", "โครงสร้างองค์กร")])
    assert_bounded(run, FAST)
    assert run.row(srv.url + "soft-404.html")["status"] == 200
    o1 = run.item("O1")
    print(f"  O1 {o1['status']}: {o1['reason']} {[(e['url'], e['check']) for e in o1['evidence']]}")
    assert o1["status"] != "found", o1
    for ev in o1["evidence"]:
        if ev["url"] == srv.url + "soft-404.html":
            assert "ไม่พบ" in ev["check"], ev


def test_page_refusing_the_crawler(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "bots-403", ["/bots-403"])
    assert_bounded(run, FAST)
    row = run.row(srv.url + "bots-403")
    assert row["status"] == 403 and "403" in row["error"], row
    assert srv.stats.paths["/bots-403"] == 1  # a 403 is not retried


def test_home_page_refusing_the_crawler_is_a_clear_error(fault_server, tmp_path):
    srv = fault_server()
    run = scan("bots-403-home", srv.url + "bots-403", tmp_path)
    assert_bounded(run, FAST, codes=(1,))
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "403" in lines[0], run.stderr


def test_429_with_retry_after_is_waited_for(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "rate", ["/rate"])
    assert_bounded(run, FAST)
    assert run.row(srv.url + "rate")["status"] == 200
    assert srv.stats.paths["/rate"] == 2


def test_503_twice_then_ok(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "burst", ["/burst"])
    assert_bounded(run, FAST)
    assert run.row(srv.url + "burst")["status"] == 200
    assert srv.stats.paths["/burst"] == 3


# -- endless link spaces ---------------------------------------------------------------------------------

TRAPS = {"calendar": ("/calendar?month=1", "/calendar", 30), "grow": ("/grow?q=x", "/grow", 10),
         "sid": ("/sid?s=0f3a9c", "/sid", 3), "deep-path": ("/a/", "/a/", 10)}


@pytest.mark.parametrize("trap", list(TRAPS))
def test_endless_link_space_is_bounded(fault_server, tmp_path, trap):
    entry, prefix, most = TRAPS[trap]
    srv, run = site_scan(fault_server, tmp_path, trap, [entry], SLOW)
    assert_bounded(run, SLOW)
    print(f"  {trap}: {srv.stats.count(prefix)} requests, pages_fetched {run.doc.get('pages_fetched')}")
    assert 1 <= srv.stats.count(prefix) <= most, f"{trap}: {srv.stats.count(prefix)} requests"


# -- robots.txt -----------------------------------------------------------------------------------------

def test_robots_disallowing_everything_is_obeyed(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "robots-all", ["/n/1"], robots="disallow-all")
    assert_bounded(run, FAST, codes=(1, 2))
    assert set(srv.stats.paths) == {"/robots.txt"}, srv.stats.paths
    if run.rc == 1:
        assert "robots" in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


def test_five_megabyte_robots_txt(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "robots-huge", ["/n/1"], robots="huge")
    assert_bounded(run, FAST)
    assert run.row(srv.url)["status"] == 200 and run.row(srv.url + "n/1")["status"] == 200
    assert srv.stats.paths["/robots.txt"] <= 2


def test_robots_txt_that_is_an_html_page(fault_server, tmp_path):
    srv, run = site_scan(fault_server, tmp_path, "robots-html", ["/n/1"], robots="html")
    assert_bounded(run, FAST)
    assert run.row(srv.url + "n/1")["status"] == 200  # an HTML page is no robots rules
    assert srv.stats.paths["/robots.txt"] == 1


# -- URLs with Thai, spaces and percent-encoding -----------------------------------------------------------

ENC_PAGE = "/%E0%B8%82%E0%B9%88%E0%B8%B2%E0%B8%A7%20%E0%B8%9B%E0%B8%A3%E0%B8%B0%E0%B8%81%E0%B8%B2%E0%B8%A8.html"
ENC_QUERY_PAGE = "/%E0%B8%82%E0%B9%88%E0%B8%B2%E0%B8%A7.html"


def test_thai_urls_with_spaces_and_mixed_encoding(fault_server, tmp_path):
    links = [THAI_PAGE, ENC_PAGE, "/ข่าว%20ประกาศ.html", f"{ENC_QUERY_PAGE}?id={THAI_QUERY_ID}",
             f"{THAI_QUERY_PAGE}?id=221-%E0%B8%9B%E0%B8%A3%E0%B8%B0%E0%B8%81%E0%B8%B2%E0%B8%A8%20%E0%B8%9C%E0%B8%A5"]
    srv, run = site_scan(fault_server, tmp_path, "thai-urls", links)
    assert_bounded(run, FAST)
    assert srv.stats.paths[THAI_PAGE] == 1, srv.stats.paths  # three spellings, one page, one request
    assert srv.stats.paths[f"{THAI_QUERY_PAGE}?id={THAI_QUERY_ID}"] == 1, srv.stats.paths
    assert run.row(srv.url + THAI_PAGE.lstrip("/"))["status"] == 200
    assert run.row(f"{srv.url}{ENC_QUERY_PAGE.lstrip('/')}?id={THAI_QUERY_ID}")["status"] == 200
    assert not [p for p, n in srv.stats.paths.items() if p not in ("/", "/robots.txt") and "ข่าว" not in p]


def test_thai_domain_becomes_punycode():
    url = canonical("http://เทศบาล.ไทย/ข่าว ประกาศ.html")
    assert url.isascii() and url.startswith("http://xn--") and ".xn--o3cw4h/" in url, url
    assert normalize_start("เทศบาล.ไทย") == canonical("http://เทศบาล.ไทย/")


# -- the database ---------------------------------------------------------------------------------------------

def test_unusable_database_fails_before_crawling(fault_server, tmp_path):
    srv = fault_server(links=["/n/1"])
    (tmp_path / "afile").write_text("a file, not a folder", encoding="utf-8")
    db = tmp_path / "afile" / "x.db"
    run = run_cli("bad-db", ["scan", srv.url, "--db", str(db), *CLI_FLAGS], tmp_path, FAST)
    print(f"FAULT {run.describe()} {run.stderr.strip()!r}")
    assert_bounded(run, FAST, codes=(1,))
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "x.db" in lines[0], run.stderr
    assert srv.stats.total == 0 and srv.stats.connections == 0, srv.stats.paths


# -- TLS: certificates nobody should trust are a finding, not a crash ---------------------------------------

def _self_signed(tmp_path: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    pem = tmp_path / "self-signed.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem)
    return ctx


def _expired() -> ssl.SSLContext:
    now = dt.datetime.now(dt.UTC)
    cert = trustme.CA().issue_cert("127.0.0.1", not_before=now - dt.timedelta(days=400),
                                   not_after=now - dt.timedelta(days=2))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    return ctx


def fetch(url: str, settings: Settings) -> tuple:
    async def go():
        async with Fetcher(settings) as f:
            return await f.request(url), f
    return asyncio.run(go())


@pytest.mark.parametrize("kind", ["self-signed", "expired"])
def test_bad_certificate_is_a_finding_not_a_crash(fault_server, tmp_path, kind):
    ctx = _self_signed(tmp_path) if kind == "self-signed" else _expired()
    srv = fault_server(links=["/n/1"], tls=ctx, other_host=False)
    t0 = time.monotonic()
    resp, fetcher = fetch(srv.url, Settings(allow_private=True, delay=0.0, connect_timeout=5))
    assert time.monotonic() - t0 < FAST
    assert resp.status == 200 and resp.tls_insecure, resp.error
    assert any(f.startswith("TLS:") for f in fetcher.findings), fetcher.findings


def test_expired_certificate_site_scan(fault_server, tmp_path):
    srv = fault_server(links=["/n/1"], tls=_expired(), other_host=False)
    run = scan("expired-tls", srv.url, tmp_path)
    assert_bounded(run, FAST)
    assert run.row(srv.url)["status"] == 200
    assert any("TLS" in f for f in run.doc["findings"]), run.doc["findings"]


# -- private addresses: refused at resolution, nothing leaves 127.0.0.0/8 --------------------------------


def test_private_address_is_refused_before_connecting(no_egress):
    asked: list[str] = []

    def resolver(host: str) -> list[str]:
        asked.append(host)
        return ["10.1.2.3"]

    t0 = time.monotonic()
    resp, _ = fetch("http://municipality.test/",
                    Settings(delay=0.0, retries=0, connect_timeout=2, allow_private=False, resolver=resolver))
    assert resp.status == 0 and resp.error and "private" in resp.error.lower(), resp
    assert "municipality.test" in asked
    assert no_egress.connects == [], no_egress.connects  # refused at resolution: no socket connected
    assert time.monotonic() - t0 < 5


def test_redirect_to_private_address_is_refused(fault_server, no_egress):
    srv = fault_server(other_host=False)
    public = "93.184.216.34"  # what the resolver says; the socket goes to the fault server
    no_egress.routes[(public, srv.port)] = ("127.0.0.1", srv.port)
    no_egress.names["public.test"] = public

    def resolver(host: str) -> list[str]:
        if host == "public.test":
            return [public]
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            return []

    resp, _ = fetch(f"http://public.test:{srv.port}/to-private",
                    Settings(delay=0.0, retries=0, connect_timeout=2, allow_private=False, resolver=resolver))
    assert srv.stats.paths["/to-private"] == 1, "the first hop (a public address) should have been fetched"
    assert resp.error and "private" in resp.error.lower(), resp
    assert not [a for a in no_egress.connects if a[0] == "10.0.0.1"], no_egress.connects
    assert no_egress.blocked == [], no_egress.blocked
