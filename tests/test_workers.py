"""Distributed batches: a real redis-server on loopback, `oit worker` and `oit dispatch` as subprocesses.

Fixture sites on loopback (tests/sitesrv.py); each worker posts its runs through Redis and the dispatcher
is the one writer of the database. Workers run with a 2 s heartbeat so a killed one is noticed quickly.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from conftest import FAST, ROOT, SITES, dated, run_oit
from sitesrv import SiteServer

NAMES = ["menu_cms", "ita_table", "frames_874", "deep_groups", "wp_calendar", "decoys_only"]
HEARTBEAT = "2"
REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None, reason="redis-server not installed (make redis)")
ENV = {**os.environ, "PYTHONIOENCODING": "utf-8"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int) -> subprocess.Popen:
    """redis-server on a loopback port, nothing saved to disk; returns once it answers."""
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis.from_url(f"redis://127.0.0.1:{port}/0")
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.05)


@pytest.fixture(scope="module")
def redis_server() -> Iterator[str]:
    """One redis-server for the module, on a free loopback port."""
    port = free_port()
    proc = start_redis(port)
    yield f"redis://127.0.0.1:{port}/0"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def broker(redis_server: str) -> str:
    """The module's Redis, emptied for this test."""
    redis.Redis.from_url(redis_server).flushall()
    return redis_server


class Workers:
    """`oit worker` subprocesses; each logs to its own file."""

    def __init__(self, url: str, folder: Path):
        self.url, self.folder = url, folder
        self.procs: list[subprocess.Popen] = []

    def start(self, n: int = 1, concurrency: int = 2, processes: int = 1,
              private: bool = True) -> list[subprocess.Popen]:
        new = []
        for _ in range(n):
            log = open(self.folder / f"worker-{len(self.procs)}.log", "wb")  # noqa: SIM115 - closed with the process
            proc = subprocess.Popen([sys.executable, "-m", "crawler", "worker", "--processes", str(processes),
                                     "--concurrency", str(concurrency), "--heartbeat", HEARTBEAT,
                                     *(["--allow-private"] if private else []),
                                     "--documents", str(self.folder / "documents.db")],
                                    cwd=ROOT, env={**ENV, "OIT_BROKER": self.url}, stdout=log,
                                    stderr=subprocess.STDOUT)
            log.close()
            self.procs.append(proc)
            new.append(proc)
        return new

    def log(self) -> str:
        return "".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(self.folder.glob("worker-*")))

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=3)  # idle workers stop at once; busy ones would give their sites 10 s
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture
def workers(broker: str, tmp_path: Path) -> Iterator[Workers]:
    folder = tmp_path / "workers"
    folder.mkdir()
    w = Workers(broker, folder)
    yield w
    w.stop()


@pytest.fixture
def province(tmp_path: Path) -> Iterator[tuple[Path, list[SiteServer]]]:
    """A dozen municipalities on loopback (each fixture twice, every request 20 ms), one slow, one dead."""
    servers = [SiteServer(SITES / name, latency=0.02) for name in NAMES]
    servers += [SiteServer(SITES / name, latency=0.3 if name == "menu_cms" else 0.02) for name in NAMES]
    yield sites_csv(servers, tmp_path / "sites.csv"), servers
    for srv in servers:
        srv.close()


@pytest.fixture
def district(tmp_path: Path) -> Iterator[tuple[Path, list[SiteServer]]]:
    """Six municipalities on loopback (every request 30 ms) and a dead one."""
    servers = [SiteServer(SITES / name, latency=0.03) for name in NAMES]
    yield sites_csv(servers, tmp_path / "sites.csv"), servers
    for srv in servers:
        srv.close()


def sites_csv(servers: list[SiteServer], path: Path) -> Path:
    """The servers' sites, then a dead one and a row without URL."""
    rows = ["url,name,province,district,type,code"]
    rows += [f"{srv.url},เทศบาลทดสอบ {i},สุพรรณบุรี,เมือง,ทต.,{1000 + i}" for i, srv in enumerate(servers)]
    rows.append("http://127.0.0.1:9/,เว็บที่ปิดแล้ว,สุพรรณบุรี,ดอนเจดีย์,อบต.,2000")
    rows.append(",ไม่มีที่อยู่,สุพรรณบุรี,,,")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def dispatch_args(csv_path: Path, tmp_path: Path, url: str, *extra: str) -> list[str]:
    return ["dispatch", str(csv_path), "--broker", url, "--db", str(tmp_path / "oit.db"), "--max-pages", "15",
            "--render", "never", "--allow-private", "--heartbeat", HEARTBEAT, *FAST, *extra]


def popen_oit(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([sys.executable, "-m", "crawler", *dated(args, ENV)], cwd=ROOT, env=ENV,
                                stdout=out, stderr=subprocess.STDOUT)


def db_rows(tmp_path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "oit.db") as db:
        return db.execute(query).fetchall()


def assert_one_run_per_site(tmp_path: Path, sites: int = 13) -> list[tuple]:
    with sqlite3.connect(tmp_path / "oit.db") as db:
        assert db.execute("pragma integrity_check").fetchone()[0] == "ok"
        rows = db.execute("select id, url, status, run_id, error from batch_sites order by id").fetchall()
        assert len(rows) == sites and all(r[2] in ("done", "failed") for r in rows), rows
        runs = db.execute("select start_url, count(*) from runs group by start_url").fetchall()
        assert all(n == 1 for _, n in runs), runs  # exactly one run per site, nothing imported twice
        assert db.execute("select count(*) from runs where status = 'running'").fetchone()[0] == 0
        for _, _url, status, run_id, _ in rows:  # each site's run is complete: its 43 results are there
            if status == "done":
                assert db.execute("select count(*) from results where run_id = ?", [run_id]).fetchone()[0] == 43
                assert db.execute("select count(*) from pages where run_id = ?", [run_id]).fetchone()[0] > 0
        assert db.execute("select count(*) from batches").fetchone()[0] == 1
    return rows


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


# -- the whole batch on three workers --------------------------------------------------------------------

def test_dispatch_on_three_workers(province, workers, tmp_path):
    csv_path, servers = province
    workers.start(1, processes=2)  # `oit worker --processes 2`: two worker processes under one command
    workers.start(1)
    proc = run_oit(*dispatch_args(csv_path, tmp_path, workers.url, "--out", str(tmp_path / "out")), timeout=150)
    assert proc.returncode == 2, proc.stderr[-3000:] + workers.log()[-3000:]  # finished, with gaps
    assert f"{csv_path}:15: ไม่มีที่อยู่เว็บไซต์" in proc.stderr
    assert "ตรวจเสร็จ 12 แห่ง, ตรวจไม่ได้ 1 แห่ง" in proc.stdout
    rows = assert_one_run_per_site(tmp_path)
    dead = rows[-1]
    assert dead[2] == "failed" and "home page could not be read" in dead[4]
    names = set(re.findall(r"\[([^,\]]+:\d+), attempt", proc.stderr))
    assert len(names) >= 2, proc.stderr  # the sites were shared out among the workers
    files = sorted((tmp_path / "out").glob("site-*.json"))
    assert len(files) == 12
    doc = json.loads(files[0].read_text(encoding="utf-8"))
    assert doc["schema"] == "oit-result/1" and len(doc["items"]) == 43 and doc["pages_fetched"] > 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status"] == "finished" and len(summary["sites"]) == 13
    assert json.loads(db_rows(tmp_path, "select extra from batch_sites where id = 1")[0][0]) == {"code": "1000"}
    for srv in servers:  # each server got at most its 2 requests at a time
        assert srv.stats.max_in_flight <= 2
    slow = servers[6]
    assert slow.stats.paths  # the slow site was audited too
    report = run_oit("report", "--latest", "--db", str(tmp_path / "oit.db"), "--format", "json")
    assert report.returncode == 0 and json.loads(report.stdout)["schema"] == "oit-batch/1"
    # a job delivered again after the batch was collected: the worker skips it, nothing is posted
    from crawler.workers import make_broker
    key = redis.Redis.from_url(workers.url).keys("oit:batch:*:closed")[0].decode().split(":")[2]
    actor = make_broker(workers.url).get_actor("audit_site")
    from crawler import Options
    from crawler.workers import options_to_job
    actor.send({"batch": key, "site_id": 1, "attempt": 1, "url": servers[0].url, "options": options_to_job(Options()),
                "checklist_file": ""})
    wait_until(lambda: f"skip {servers[0].url} (already closed)" in workers.log(), 30, "the duplicate to be skipped")
    assert not redis.Redis.from_url(workers.url).exists(f"oit:batch:{key}:results")


def test_options_travel_to_the_workers_intact():
    from crawler import Budget, Options, RenderOptions, Settings
    from crawler.workers import options_from_job, options_to_job

    options = Options(year=2566, today="2569-12-04", check_offsite=False, workers=3,
                      budget=Budget(max_pages=7, time_limit=42.0),
                      settings=Settings(per_host=1, delay=0.5, allow_private=True, obey_robots=False),
                      render=RenderOptions(mode="never", budget=4, chromium="/opt/elsewhere/chromium"))
    job = json.loads(json.dumps(options_to_job(options)))  # as it travels: JSON
    back = options_from_job(job, "/tmp/checklist.yaml", allow_private=True)
    assert (back.year, back.today, back.check_offsite, back.workers) == (2566, "2569-12-04", False, 3)
    assert back.budget == options.budget and back.settings == options.settings
    assert back.render.mode == "never" and back.render.budget == 4
    assert back.render.chromium != "/opt/elsewhere/chromium"  # each worker uses its own Chromium
    assert str(back.db) == ":memory:"


# -- kill -9 of a worker in the middle of a site ---------------------------------------------------------

def test_worker_killed_mid_site_is_redone_by_another(district, workers, tmp_path):
    csv_path, _ = district
    first = workers.start(2)
    client = redis.Redis.from_url(workers.url)
    dispatcher = popen_oit(dispatch_args(csv_path, tmp_path, workers.url), tmp_path / "dispatch.log")
    try:
        victims: dict[bytes, bytes] = {}

        def running() -> bool:  # some site is in the middle of its audit on a worker
            keys = client.keys("oit:batch:*:running")
            victims.update(client.hgetall(keys[0]) if keys else {})
            return bool(victims)
        wait_until(running, 60, "a worker to start a site")
        site_id, name = next(iter(victims.items()))
        pid = int(name.decode().rsplit(":", 1)[1])
        assert pid in {p.pid for p in first}
        os.kill(pid, signal.SIGKILL)
        workers.start(1)  # the replacement
        assert dispatcher.wait(timeout=150) == 2, (tmp_path / "dispatch.log").read_text("utf-8")[-3000:]
    finally:
        if dispatcher.poll() is None:
            dispatcher.kill()
    log = (tmp_path / "dispatch.log").read_text(encoding="utf-8")
    rows = assert_one_run_per_site(tmp_path, 7)
    assert sum(r[2] == "done" for r in rows) == 6
    killed = next(r for r in rows if r[0] == int(site_id))
    assert killed[2] == "done"
    finished_by = re.search(rf"done {re.escape(killed[1])} \[([^,\]]+)", log).group(1)
    assert finished_by != name.decode()  # another worker redid it


def test_worker_stopped_by_sigterm_finishes_its_sites_and_takes_no_more(district, workers, tmp_path):
    csv_path, _ = district
    (first,) = workers.start(1)
    client = redis.Redis.from_url(workers.url)
    dispatcher = popen_oit(dispatch_args(csv_path, tmp_path, workers.url), tmp_path / "dispatch.log")
    try:
        wait_until(lambda: any(client.hlen(k) for k in client.keys("oit:batch:*:running")), 60, "a site started")
        t0 = time.monotonic()
        first.send_signal(signal.SIGTERM)  # systemctl stop / restart
        assert first.wait(timeout=30) == 0
        assert time.monotonic() - t0 < 16  # its sites' grace (10 s) at most
        assert dispatcher.poll() is None  # sites are left for the next worker
        workers.start(1)
        assert dispatcher.wait(timeout=150) == 2, (tmp_path / "dispatch.log").read_text("utf-8")[-3000:]
    finally:
        if dispatcher.poll() is None:
            dispatcher.kill()
    rows = assert_one_run_per_site(tmp_path, 7)
    assert [r[2] for r in rows].count("done") == 6
    log = (tmp_path / "dispatch.log").read_text(encoding="utf-8")
    assert f":{first.pid}, attempt" in log  # it finished what it had started


# -- the dispatcher killed and started again -----------------------------------------------------------------

def test_dispatcher_killed_and_restarted_loses_nothing_and_stores_nothing_twice(district, workers, tmp_path):
    csv_path, _ = district
    workers.start(2)
    client = redis.Redis.from_url(workers.url)
    args = dispatch_args(csv_path, tmp_path, workers.url, "--out", str(tmp_path / "out"))
    dispatcher = popen_oit(args, tmp_path / "d1.log")

    def done(n: int):
        def check() -> bool:
            try:
                return db_rows(tmp_path, "select count(*) from batch_sites where status = 'done'")[0][0] >= n
            except sqlite3.Error:
                return False
        return check
    wait_until(done(2), 90, "two sites stored")
    os.kill(dispatcher.pid, signal.SIGKILL)
    dispatcher.wait()
    stored = dict(db_rows(tmp_path, "select id, run_id from batch_sites where status = 'done'"))
    results = client.keys("oit:batch:*:sent")[0].decode().replace(":sent", ":results")
    wait_until(lambda: client.llen(results) >= 2, 90, "results posted while the dispatcher is down")
    one = client.lindex(results, 0)
    client.rpush(results, one)  # the same result twice (a job run by two workers)
    client.lmove(results, results.replace(":results", ":processing"), "LEFT", "RIGHT")  # taken, never stored
    again = run_oit(*args, timeout=150)
    assert again.returncode == 2, again.stderr[-3000:]  # finished, with gaps
    rows = assert_one_run_per_site(tmp_path, 7)
    assert sum(r[2] == "done" for r in rows) == 6
    for site_id, run_id in stored.items():  # nothing stored before the kill was redone
        assert next(r for r in rows if r[0] == site_id)[3] == run_id
    files = {p.name for p in (tmp_path / "out").glob("site-*.json")}
    assert files == {f"site-{r[0]}-run-{r[3]}.json" for r in rows if r[2] == "done"}
    assert client.exists(results) == 0 and client.exists(results.replace(":results", ":closed")) == 1


# -- Redis restarted (without persistence) in the middle of a batch ------------------------------------------

def test_redis_restarted_mid_batch_fails_no_site(district, tmp_path):
    """The queue is lost with Redis: the dispatcher stops (exit 1, "run the same command again"), is run
    again and sends the unfinished sites again; no site fails because of Redis, each has one run."""
    csv_path, _ = district
    port = free_port()
    server = start_redis(port)
    url = f"redis://127.0.0.1:{port}/0"
    folder = tmp_path / "workers"
    folder.mkdir()
    workers = Workers(url, folder)
    try:
        workers.start(2)
        args = dispatch_args(csv_path, tmp_path, url)
        dispatcher = popen_oit(args, tmp_path / "d1.log")
        wait_until(lambda: b"running" in b"".join(redis.Redis.from_url(url).keys("oit:batch:*")), 60,
                   "a site in progress")
        server.kill()
        server.wait()
        assert dispatcher.wait(timeout=60) == 1
        assert "run the same command again" in (tmp_path / "d1.log").read_text(encoding="utf-8")
        time.sleep(5)  # down longer than the workers' retries: the sites in progress stop
        server = start_redis(port)
        again = run_oit(*args, timeout=150)
        assert again.returncode == 2, again.stderr[-3000:] + workers.log()[-3000:]  # finished, with gaps
    finally:
        workers.stop()
        server.kill()
        server.wait()
    rows = assert_one_run_per_site(tmp_path, 7)
    assert [r[2] for r in rows].count("done") == 6  # only the dead site failed


# -- one limit per server across every worker -----------------------------------------------------------------

class Timed(SiteServer):
    """A fixture server that also notes when each request arrives."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.starts: list[float] = []
        enter = self.stats.enter

        def timed(path: str, agent: str) -> None:
            self.starts.append(time.monotonic())
            enter(path, agent)
        self.stats.enter = timed


def test_per_server_limit_and_delay_hold_across_workers(workers, tmp_path):
    """Four municipalities on one hosting server (one address, four names): at most 2 requests in flight
    and 0.1 s between request starts there, whichever of the three workers crawls them."""
    srv = Timed(SITES / "menu_cms", latency=0.05)
    port = srv.httpd.server_address[1]
    names = ["127.0.0.1", "127.1", "127.0.1", "2130706433"]  # all 127.0.0.1
    csv_path = tmp_path / "hosting.csv"
    csv_path.write_text("url,name\n" + "".join(f"http://{h}:{port}/,ทต.{i}\n" for i, h in enumerate(names)),
                        encoding="utf-8")
    workers.start(3)
    try:
        proc = run_oit("dispatch", str(csv_path), "--broker", workers.url, "--db", str(tmp_path / "oit.db"),
                       "--max-pages", "8", "--allow-private", "--delay", "0.1", "--per-host", "2",
                       "--heartbeat", HEARTBEAT, timeout=150)
    finally:
        srv.close()
    assert proc.returncode == 2, proc.stderr[-3000:] + workers.log()[-2000:]  # finished, with gaps
    assert "ตรวจเสร็จ 4 แห่ง, ตรวจไม่ได้ 0 แห่ง" in proc.stdout
    audited_by = set(re.findall(r"\[([^,\]]+:\d+), attempt", proc.stderr))
    assert len(audited_by) >= 2, proc.stderr  # several workers crawled the one server at the same time
    assert srv.stats.max_in_flight <= 2
    starts = sorted(srv.starts)
    assert len(starts) >= 30
    # the delay held across workers: n request starts take at least (n - 1) x 0.1 s (4 apart: 4 times less)
    assert starts[-1] - starts[0] >= (len(starts) - 1) * 0.1 * 0.9


def test_redis_gate_counts_across_processes_and_frees_a_dead_holder(broker):
    """Two gates with their own Redis clients (two worker processes) share one server's slots; a slot
    whose holder died (never released, never refreshed) is free again after the gate's expiry."""
    import redis.asyncio as aredis

    from crawler.workers import RedisGate

    async def scenario() -> tuple[int, float]:
        a = RedisGate(aredis.Redis.from_url(broker), per_host=2, delay=0.0, ttl=1.0)
        b = RedisGate(aredis.Redis.from_url(broker), per_host=2, delay=0.0, ttl=1.0)
        now, peak = 0, 0
        lock = threading.Lock()

        async def request(gate: RedisGate) -> None:
            nonlocal now, peak
            key = await gate.enter("127.0.0.1:8080")
            with lock:
                now += 1
                peak = max(peak, now)
            await asyncio.sleep(0.01)
            with lock:
                now -= 1
            gate.leave(key)

        await asyncio.gather(*(request(a if i % 2 else b) for i in range(40)))
        await a.close()
        await b.close()
        dead = RedisGate(aredis.Redis.from_url(broker), per_host=1, delay=0.0, ttl=1.0)
        await dead.enter("10.0.0.1")  # held, then its process "dies": no leave, no refresh
        dead._held.clear()
        t0 = time.monotonic()
        other = RedisGate(aredis.Redis.from_url(broker), per_host=1, delay=0.0, ttl=1.0)
        other.leave(await other.enter("10.0.0.1"))
        await other.close()
        return peak, time.monotonic() - t0

    peak, waited = asyncio.run(scenario())
    assert peak == 2
    assert 0.5 <= waited <= 3.0


# -- the store: a run from another store --------------------------------------------------------------------

def test_import_run_copies_a_run_once(tmp_path):
    from crawler import Options, Settings, audit
    from crawler.store import Store

    srv = SiteServer(SITES / "ita_table")
    try:
        doc = audit(srv.url, Options(db=tmp_path / "w.db", settings=Settings(delay=0.0, allow_private=True)))
    finally:
        srv.close()
    source = Store(tmp_path / "w.db")
    rows = source.export_run(doc["run_id"])
    main = Store(tmp_path / "main.db")
    batch = main.start_batch("x.csv", "x", {}, [{"line": 2, "url": srv.url, "name": "", "province": "",
                                                 "district": "", "type": "", "extra": "{}"}])
    site_id = main.batch_sites(batch)[0]["id"]
    imported, run_id = main.import_run(rows, batch, site_id)
    assert imported
    again = main.import_run(rows, batch, site_id)  # delivered twice: stored once
    assert again == (False, run_id)
    copy = main.result(run_id)
    for key in ("run_id",):
        copy.pop(key), doc.pop(key)
    assert copy == doc
    assert main.batch_sites(batch)[0]["status"] == "done"
    assert len(list(main.db.query("select id from pages"))) == doc["pages_fetched"]
    other = main.start_batch("y.csv", "y", {}, [{"line": 2, "url": srv.url, "name": "", "province": "",
                                                 "district": "", "type": "", "extra": "{}"}])
    broken = {**rows, "results": [*rows["results"][:5], {**rows["results"][5], "title": object()}]}
    with pytest.raises(Exception):  # noqa: B017 - whatever the binding error, nothing of the run stays
        main.import_run(broken, other, main.batch_sites(other)[0]["id"])
    assert len(list(main.db.query("select id from runs"))) == 1
    assert len(list(main.db.query("select id from pages"))) == doc["pages_fetched"]
    assert main.batch_sites(other)[0]["status"] == "pending"


# -- nightly on the workers -------------------------------------------------------------------------------------

def test_nightly_on_the_workers_reports_what_got_worse(workers, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(SITES / "menu_cms", site)
    srv = SiteServer(site)
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text(f"url,name\n{srv.url},เทศบาลตำบลหนองตะเคียนงาม\n", encoding="utf-8")
    workers.start(1)
    night = ["nightly", str(csv_path), "--db", str(tmp_path / "oit.db"), "--allow-private", "--broker", workers.url,
             "--heartbeat", HEARTBEAT, *FAST]
    try:
        first = run_oit(*night, "--out", str(tmp_path / "n1"), timeout=120)
        assert first.returncode == 0 and "ยังไม่มีผลครั้งก่อนให้เทียบ" in first.stdout, first.stderr[-2000:]
        expected = json.loads((site / "expected.json").read_text(encoding="utf-8"))["items"]
        gone = next(k for k, v in expected.items() if v["present"] and not v["url"].startswith("http"))
        (site / expected[gone]["url"].lstrip("/")).unlink()
        worse = run_oit(*night, "--out", str(tmp_path / "n2"), timeout=120)
        assert worse.returncode == 2, worse.stdout + worse.stderr[-2000:]
        assert gone in (tmp_path / "n2" / "changes.txt").read_text(encoding="utf-8")
    finally:
        srv.close()


def test_dispatcher_without_workers_says_so_and_waits(broker, tmp_path):
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text("url\nhttp://127.0.0.1:9/\n", encoding="utf-8")
    dispatcher = popen_oit(["dispatch", str(csv_path), "--broker", broker, "--db", str(tmp_path / "oit.db"),
                            "--allow-private", "--heartbeat", HEARTBEAT], tmp_path / "d.log")
    try:
        wait_until(lambda: "no worker is running" in (tmp_path / "d.log").read_text("utf-8"), 30, "the warning")
        assert dispatcher.poll() is None  # still waiting: the job stays queued for the first worker
    finally:
        dispatcher.kill()
        dispatcher.wait()


def test_workers_keep_document_texts_between_nights(workers, tmp_path):
    """The second night asks for the documents with their ETag (304) instead of downloading them again."""
    srv = SiteServer(SITES / "ita_table")
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text(f"url,name\n{srv.url},ทต.เอกสาร\n", encoding="utf-8")
    workers.start(1)
    try:
        args = ["dispatch", str(csv_path), "--broker", workers.url, "--db", str(tmp_path / "oit.db"),
                "--allow-private", "--render", "never", "--heartbeat", HEARTBEAT, *FAST]
        assert run_oit(*args).returncode == 2  # finished, with gaps
        assert srv.stats.not_modified == 0
        assert run_oit(*args).returncode == 2  # the next night: a new batch
        assert srv.stats.not_modified >= 1
    finally:
        srv.close()
    assert db_rows(tmp_path, "select count(*) from batches where status = 'finished'")[0][0] == 2


def test_site_that_stopped_three_workers_fails_instead_of_stopping_more(workers, tmp_path):
    srv = SiteServer(SITES / "menu_cms")
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text(f"url,name\n{srv.url},ทต.ที่ทำให้หยุด\n", encoding="utf-8")
    client = redis.Redis.from_url(workers.url)
    dispatcher = popen_oit(["dispatch", str(csv_path), "--broker", workers.url, "--db", str(tmp_path / "oit.db"),
                            "--allow-private", "--heartbeat", HEARTBEAT, *FAST], tmp_path / "d.log")
    try:
        wait_until(lambda: client.keys("oit:batch:*:sent"), 30, "the job sent")
        deliveries = client.keys("oit:batch:*:sent")[0].decode().replace(":sent", ":deliveries")
        client.hset(deliveries, "1:1", 3)  # as if three workers had died on it (kill -9, out of memory)
        workers.start(1)
        assert dispatcher.wait(timeout=60) == 1  # its only site failed: exit 1
    finally:
        srv.close()
        if dispatcher.poll() is None:
            dispatcher.kill()
    status, error = db_rows(tmp_path, "select status, error from batch_sites")[0]
    assert status == "failed" and "stopped 3 times" in error
    assert srv.stats.paths == {}  # not audited a fourth time


def test_unreachable_broker_is_one_clear_error(tmp_path):
    csv_path = tmp_path / "sites.csv"
    csv_path.write_text("url\nhttp://www.example.go.th/\n", encoding="utf-8")
    url = f"redis://127.0.0.1:{free_port()}/0"
    for args in (["dispatch", str(csv_path), "--broker", url, "--db", str(tmp_path / "x.db")],
                 ["worker", "--broker", url]):
        proc = run_oit(*args, timeout=60)
        assert proc.returncode == 1 and "oit: error: broker redis://127.0.0.1" in proc.stderr, proc.stderr
        assert "Traceback" not in proc.stderr


# -- what reaches the queue is not trusted -------------------------------------------------------------------

def test_a_message_cannot_name_the_workers_chromium_nor_allow_private_addresses(workers, tmp_path):
    """A job naming an executable as Chromium and `allow_private`: the worker runs neither; a worker without
    --allow-private refuses the loopback site."""
    from crawler import Options, RenderOptions, Settings
    from crawler.workers import Keys, make_broker, options_to_job, unpack

    marker = tmp_path / "ran"
    evil = tmp_path / "evil.sh"
    evil.write_text(f"#!/bin/sh\ntouch {marker}\nsleep 1\n", encoding="utf-8")
    evil.chmod(0o755)
    srv = SiteServer(SITES / "menu_cms")
    try:
        workers.start(1, private=False)
        keys = Keys("trust")
        client = redis.Redis.from_url(workers.url)
        client.set(keys.checklist, (ROOT / "checklists" / "oit-2565.yaml").read_bytes())
        job = options_to_job(Options(settings=Settings(delay=0.0, allow_private=True),
                                     render=RenderOptions(mode="always")))
        job["render"]["chromium"] = str(evil)
        job["settings"]["allow_private"] = True
        actor = make_broker(workers.url).get_actor("audit_site")
        actor.send({"batch": "trust", "site_id": 1, "attempt": 1, "url": srv.url, "options": job,
                    "checklist_file": "x"})
        wait_until(lambda: client.llen(keys.results), 60, "the worker's result")
        result = unpack(client.lpop(keys.results))
    finally:
        srv.close()
    assert not marker.exists(), "the worker ran the executable a message named"
    assert srv.stats.paths == {}, srv.stats.paths  # the loopback site was not fetched
    assert result["error"] and "private" in result["error"], result["error"]


def _dispatcher(store_path: Path, url: str, site_url: str, reports: list[str]):
    from crawler import Options
    from crawler.dispatch import Dispatcher
    from crawler.store import Store

    store = Store(store_path)
    batch = store.start_batch("x.csv", "x", {}, [{"line": 2, "url": site_url, "name": "", "province": "",
                                                  "district": "", "type": "", "extra": "{}"}])
    return Dispatcher(store, batch, Options(db=store_path), url, None, lambda line, _p: reports.append(line),
                      heartbeat=2.0)


def test_odd_results_are_set_aside_and_never_stop_the_dispatcher(broker, tmp_path):
    """Valid zlib JSON of another shape, a zlib bomb, a run of another URL, rows that cannot be stored: each is
    said and set aside (the `dead` list) and taken out of `processing`; the batch goes on."""
    import zlib

    from crawler.workers import pack

    reports: list[str] = []
    site = "http://www.example.go.th/"
    d = _dispatcher(tmp_path / "oit.db", broker, site, reports)
    sid = next(iter(d.sites))
    bomb = zlib.compressobj(9)
    parts = [bomb.compress(b'{"batch": "')] + [bomb.compress(b"a" * 1_000_000) for _ in range(100)]
    parts.append(bomb.compress(b'"}') + bomb.flush())
    run = {"start_url": "http://elsewhere.example/", "status": "finished"}
    odd = [pack([1, 2, 3]), pack({"batch": d.key, "site_id": "1"}), b"".join(parts),
           pack({"batch": d.key, "site_id": sid, "rows": {"run": run, "pages": []}, "error": None}),
           pack({"batch": d.key, "site_id": sid, "rows": {"run": {**run, "start_url": site}, "pages": [[1]]},
                 "error": None}),
           pack({"batch": d.key, "site_id": sid, "rows": {"run": {**run, "start_url": site}, "pages": "x"},
                 "error": None})]
    good = pack({"batch": d.key, "site_id": sid, "attempt": 1, "rows": None, "error": "the site failed",
                 "worker": "w"})
    client = redis.Redis.from_url(broker)
    client.rpush(d.keys.processing, *odd, good)  # left by a dispatcher killed before it stored them
    d.run()
    assert d.progress.failed == 1 and d.progress.left == 0
    dead = "\n".join(r for r in reports if r.startswith("unusable result set aside"))
    assert dead.count("\n") + 1 == len(odd), reports
    assert "larger than 64 MB" in dead and "not of its URL" in dead and "list" in dead
    assert client.llen(d.keys.processing) == 0
    assert client.llen(d.keys.dead) == len(odd)
    assert d.store.batch_sites(d.batch_id)[0]["status"] == "failed"
    assert len(list(d.store.db.query("select id from runs"))) == 0  # nothing of another site was stored


def test_a_message_that_is_not_a_job_is_dead_lettered(workers):
    """Bytes in the queue that Dramatiq cannot decode: dead-lettered, not left in the ack set for ever."""
    from crawler.workers import DRAMATIQ_NAMESPACE, QUEUE

    client = redis.Redis.from_url(workers.url)
    base = f"{DRAMATIQ_NAMESPACE}:{QUEUE}"
    client.hset(f"{base}.msgs", "bad-1", b"\xff not a message {")
    client.rpush(base, "bad-1")
    workers.start(1)
    wait_until(lambda: client.zscore(f"{base}.XQ", "bad-1") is not None, 30, "the message dead-lettered")
    assert not client.hexists(f"{base}.msgs", "bad-1")
    acks = [k for k in client.keys(f"{DRAMATIQ_NAMESPACE}:__acks__.*") if client.sismember(k, "bad-1")]
    assert acks == []
    assert "not a job was dead-lettered" in workers.log()
    # a message Dramatiq can decode, but not a job: refused before anything runs, dead-lettered too
    from crawler.workers import make_broker
    message = make_broker(workers.url).get_actor("audit_site").send({"batch": "k", "url": "file:///etc/passwd"})
    mid = message.options["redis_message_id"]
    wait_until(lambda: client.zscore(f"{base}.XQ", mid) is not None, 30, "the job dead-lettered")
    assert not client.hexists(f"{base}.msgs", mid)
    assert "a message that is not a job was refused" in workers.log()
