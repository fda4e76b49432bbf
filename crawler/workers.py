"""The whole country every night: site audits on any number of worker processes, through Redis.

- The broker is Dramatiq's Redis broker: one queue (`oit-sites`) of site jobs. A worker fetches a job,
  audits the site into an in-memory SQLite store and sends the finished run's rows back on a Redis list
  of its batch (`oit:batch:KEY:results`); the dispatcher (crawler/dispatch.py) is the one writer of the
  main database. A job is acknowledged only after its result is posted: a worker killed with kill -9
  stops sending heartbeats and Dramatiq gives its jobs to another worker.
- `RedisGate` is `fetch.HostGate` across every worker: requests in flight and the delay between them per
  resolved server address, counted in Redis (Lua scripts on the server's clock), so municipalities on
  one hosting server share its limit whichever worker crawls them.

Redis keys of a batch (KEY is `dispatch.batch_key`): `results` (list of zlib JSON), `processing` (taken
by the dispatcher, not yet stored), `sent` (site -> attempt and message id), `running` (site -> worker),
`posted` (site -> attempt), `collected` (sites stored), `deliveries` (site:attempt -> count), `checklist`,
`closed`, `dead` (results the dispatcher could not use, kept for a person to look at).

A worker trusts its queue for what to audit, never for how: the Chromium it runs and whether private
addresses may be fetched are its own configuration (`oit worker --allow-private`, `--chromium`), whatever
a message says.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from dataclasses import fields
from hashlib import sha256
from pathlib import Path
from typing import Any

import dramatiq
import redis
import redis.asyncio as aredis
from dramatiq.brokers.redis import RedisBroker, _RedisConsumer
from dramatiq.errors import DecodeError
from dramatiq.middleware import AsyncIO
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff

from .audit import SiteUnreachable, scan_site
from .checklist import Checklist, load
from .config import Budget, Options, RenderOptions, Settings
from .fetch import HostGate
from .models import OitError
from .store import DatabaseError, Store

QUEUE = "oit-sites"
DRAMATIQ_NAMESPACE = "oit-dramatiq"
PREFIX = "oit"
HEARTBEAT = 30.0  # seconds without a heartbeat before a worker's jobs go to another
MAX_DELIVERIES = 3  # a site that killed this many workers fails instead of killing more
GATE_TTL = 15.0  # seconds a gate slot outlives a worker that died holding it (refreshed while held)
DOCUMENTS = "data/worker-documents.db"  # the machine's document cache (ETag / Last-Modified and text)
KEEP = 7 * 86400  # seconds a finished batch's keys are kept (late duplicates are recognised and ignored)
MAX_RESULT = 64 * 1024 * 1024  # bytes of one posted result once decompressed; past it, the result is refused
DEAD_KEPT = 100  # unusable results kept in a batch's `dead` list, for a person to look at

log = logging.getLogger("oit.worker")


class BrokerError(OitError, ConnectionError):
    """The Redis broker cannot be reached; the message names it (without its password)."""


def connect(url: str) -> redis.Redis:
    """A client of the broker, proven to answer now."""
    try:
        client = redis.Redis.from_url(url)
        client.ping()
    except (redis.RedisError, ValueError) as e:
        raise BrokerError(f"broker {redact(url)}: {e}") from None
    return client


# -- the broker and the job ------------------------------------------------------------------------------

class Keys:
    """Redis keys of one batch (see the module's docstring)."""

    def __init__(self, batch_key: str, prefix: str = PREFIX):
        base = f"{prefix}:batch:{batch_key}:"
        for name in ("results", "processing", "sent", "running", "posted", "collected", "deliveries",
                     "checklist", "closed", "dead"):
            setattr(self, name, base + name)

    def all(self) -> list[str]:
        return [v for k, v in vars(self).items()]


class _Consumer(_RedisConsumer):
    """Dramatiq's Redis consumer, but a message that cannot be decoded is dead-lettered: Dramatiq's own would
    raise, restart the consumer and leave the message in this worker's ack set and the queue's hash for ever."""

    def __next__(self):
        try:
            return super().__next__()
        except DecodeError as e:
            self._dead_letter(e.data)
            return None

    def _dead_letter(self, data: bytes) -> None:
        broker = self.broker
        acks = f"{broker.namespace}:__acks__.{broker.broker_id}.{self.queue_name}"
        msgs = f"{broker.namespace}:{self.queue_name}.msgs"
        raw = data if isinstance(data, bytes) else str(data).encode("utf-8", "replace")
        for mid in broker.client.smembers(acks):
            if broker.client.hget(msgs, mid) == raw:
                broker.do_nack(self.queue_name, mid.decode() if isinstance(mid, bytes) else mid)
                log.warning("a message that is not a job was dead-lettered (%s): %r", mid, raw[:120])
                return
        log.warning("a message that is not a job could not be found to dead-letter: %r", raw[:120])


class _Broker(RedisBroker):
    @property
    def consumer_class(self):
        return _Consumer


def make_broker(url: str, heartbeat: float = HEARTBEAT, maintenance: float = 0.01) -> RedisBroker:
    """Dramatiq's Redis broker with the async middleware and the audit actor declared on it.

    `maintenance` is the share of broker commands that also hand the jobs of silent workers (no
    heartbeat for `heartbeat` seconds) back to the queue; the dispatcher uses 1.0.
    """
    broker = _Broker(url=url, namespace=DRAMATIQ_NAMESPACE, heartbeat_timeout=int(heartbeat * 1000),
                         maintenance_chance=int(1_000_000 * maintenance))
    broker.add_middleware(AsyncIO())
    dramatiq.set_broker(broker)
    dramatiq.actor(audit_site, broker=broker, actor_name="audit_site", queue_name=QUEUE, max_retries=0,
                   time_limit=3 * 3600 * 1000)
    return broker


def messages_key(broker: RedisBroker) -> str:
    """Dramatiq's hash of the queue's unacknowledged messages (message id -> data)."""
    return f"{broker.namespace}:{QUEUE}.msgs"


def options_to_job(options: Options) -> dict[str, Any]:
    """What a worker needs of the dispatcher's options (JSON); the Chromium path stays the worker's own."""
    def plain(obj: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name not in skip}
    return {"year": options.year, "today": options.today, "check_offsite": options.check_offsite,
            "workers": options.workers,
            "budget": plain(options.budget), "settings": plain(options.settings, ("resolver",)),
            "render": plain(options.render, ("chromium",))}


# what the worker decides, never a message: the executable it runs and what it may connect to
WORKER_OWN = {"settings": ("allow_private", "resolver"), "render": ("chromium",)}


def options_from_job(job: dict[str, Any], checklist: str | Path, allow_private: bool = False,
                     chromium: str | None = None) -> Options:
    """The scan's options from a job: the dispatcher's budget and politeness, the worker's own Chromium and
    private-address policy (a message naming an executable or `allow_private` is not obeyed)."""
    def part(name: str, cls: type) -> Any:
        given = job[name]
        if not isinstance(given, dict):
            raise TypeError(f"job: {name} is not an object")
        known = {f.name for f in fields(cls)} - set(WORKER_OWN.get(name, ()))
        taken = {k: v for k, v in given.items() if k in known}
        defaults = cls()
        for k, v in taken.items():  # each value of the type of its default (a float may be given as an int)
            want = type(getattr(defaults, k))
            ok = isinstance(v, bool) if want is bool else (
                isinstance(v, (int, float)) and not isinstance(v, bool) if want is float else
                isinstance(v, want) and not isinstance(v, bool) if want is int else isinstance(v, want))
            if not ok:
                raise TypeError(f"job: {name}.{k} is not a {want.__name__}")
        return cls(**taken)
    today = job.get("today")
    if today is not None and not isinstance(today, str):
        raise TypeError("job: today is not a date")
    for key, want in (("year", (int, type(None))), ("check_offsite", (bool, type(None))), ("workers", int)):
        if key not in job or not isinstance(job[key], want):
            raise TypeError(f"job: {key} is missing or of another type")
    render = part("render", RenderOptions)
    if chromium:
        render.chromium = chromium
    settings = part("settings", Settings)
    settings.allow_private = allow_private
    return Options(checklist=checklist, db=":memory:", year=job["year"], today=today,
                   check_offsite=job["check_offsite"], workers=job["workers"], budget=part("budget", Budget),
                   settings=settings, render=render)


def pack(payload: dict) -> bytes:
    return zlib.compress(json.dumps(payload, ensure_ascii=False).encode("utf-8"), 6)


class ResultTooLarge(ValueError):
    pass


def unpack(data: bytes, limit: int = MAX_RESULT) -> dict:
    """A posted result, decompressed no further than `limit` bytes (a zlib bomb stops there)."""
    inflater = zlib.decompressobj()
    raw = inflater.decompress(data, limit)
    if inflater.unconsumed_tail or (not inflater.eof and len(raw) >= limit):
        raise ResultTooLarge(f"larger than {limit // (1024 * 1024)} MB once decompressed")
    if not inflater.eof:
        raise zlib.error("truncated zlib stream")
    return json.loads(raw.decode("utf-8"))


# -- the distributed per-server gate ---------------------------------------------------------------------

_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, delay, ttl = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= limit then return -1 end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local start = math.max(now, last + delay)
redis.call('ZADD', KEYS[1], start + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], start - now + ttl + 60000)
redis.call('SET', KEYS[2], start, 'PX', start - now + delay + 60000)
return start - now
"""

_RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  local last = tonumber(redis.call('GET', KEYS[2]) or '0')
  if now > last then redis.call('SET', KEYS[2], now, 'PX', tonumber(ARGV[2]) + 60000) end
end
return 0
"""

_REFRESH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', 'GT', now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl + 60000)
return 0
"""


class _Held(str):
    """The server key `enter` returns, carrying the slot's token for `leave`."""

    token: str
    delay_ms: int


class RedisGate(HostGate):
    """`HostGate` across processes and machines: per resolved server address, at most `per_host` requests
    in flight and `delay` seconds between them, counted in Redis.

    A slot is a member of a sorted set scored by its expiry; slots held by this process are refreshed
    every few seconds, so a worker that dies holding one frees it after `ttl` seconds. Start times are
    reserved on Redis's clock (`last` + delay), so the delay holds across machines whatever their clocks.
    """

    def __init__(self, client: aredis.Redis, per_host: int = 2, delay: float = 0.2, ttl: float = GATE_TTL,
                 prefix: str = PREFIX):
        super().__init__(per_host, delay, resolve=True)
        self.client, self.ttl, self.prefix = client, ttl, prefix
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._refresh = client.register_script(_REFRESH)
        self._held: dict[str, str] = {}  # token -> server
        self._tasks: set[asyncio.Task] = set()
        self._refresher: asyncio.Task | None = None

    def _keys(self, server: str) -> list[str]:
        return [f"{self.prefix}:gate:{server}:slots", f"{self.prefix}:gate:{server}:last"]

    async def enter(self, netloc: str, extra_delay: float = 0.0) -> str:
        server = await self.server(netloc)
        token, delay_ms = uuid.uuid4().hex, int(max(self.delay, extra_delay) * 1000)
        poll = min(0.1, max(0.01, self.delay / 2))
        while True:
            wait = int(await self._acquire(keys=self._keys(server),
                                           args=[token, self.per_host, delay_ms, int(self.ttl * 1000)]))
            if wait >= 0:
                break
            await asyncio.sleep(poll * random.uniform(0.5, 1.5))
        self._held[token] = server
        self._start_refresher()
        held = _Held(server)
        held.token, held.delay_ms = token, delay_ms
        if wait > 0:
            try:
                await asyncio.sleep(wait / 1000)
            except BaseException:
                self.leave(held)
                raise
        return held

    def leave(self, server: str) -> None:
        token = getattr(server, "token", None)
        if token is None or self._held.pop(token, None) is None:
            return
        task = asyncio.get_running_loop().create_task(
            self._release(keys=self._keys(str(server)), args=[token, getattr(server, "delay_ms", 0)]))
        self._tasks.add(task)
        task.add_done_callback(self._released)

    def _released(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:  # Redis away: the slot expires by itself
            log.warning("gate: a slot could not be released (%s); it expires in %.0fs", task.exception(), self.ttl)

    def _start_refresher(self) -> None:
        if self._refresher is None or self._refresher.done():
            self._refresher = asyncio.get_running_loop().create_task(self._refresh_loop())

    async def _refresh_loop(self) -> None:
        while self._held:
            await asyncio.sleep(self.ttl / 3)
            by_server: dict[str, list[str]] = {}
            for token, server in list(self._held.items()):
                by_server.setdefault(server, []).append(token)
            for server, tokens in by_server.items():
                with contextlib.suppress(redis.RedisError):
                    await self._refresh(keys=self._keys(server)[:1], args=[int(self.ttl * 1000), *tokens])

    async def close(self) -> None:
        """Wait for the releases in flight (the slots would otherwise wait for their expiry)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._refresher is not None:
            self._refresher.cancel()


# -- the worker process ------------------------------------------------------------------------------------

class _Process:
    """What one worker process keeps between jobs: its Redis client, gates and checklists (on its event loop)."""

    def __init__(self, url: str, documents: str | None = None, allow_private: bool = False,
                 chromium: str | None = None):
        self.url, self.documents_path = url, documents
        self.allow_private, self.chromium = allow_private, chromium  # this worker's own, never a message's
        self._documents: Store | None = None
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self._client: aredis.Redis | None = None
        self._gates: dict[tuple[int, float], RedisGate] = {}
        self._checklists: dict[str, tuple[Path, Checklist]] = {}
        self.folder = Path(tempfile.mkdtemp(prefix="oit-worker-checklists-"))

    @property
    def client(self) -> aredis.Redis:
        if self._client is None:  # a Redis restarted under it: stale connections are retried, not failed
            self._client = aredis.Redis.from_url(self.url, retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), 5),
                                                 retry_on_error=[redis.ConnectionError, redis.TimeoutError])
        return self._client

    @property
    def documents(self) -> Store | None:
        """The machine's document cache (opened on the event loop's thread, which alone uses it)."""
        if self._documents is None and self.documents_path:
            try:
                self._documents = Store(self.documents_path)
            except (OitError, DatabaseError) as e:
                log.warning("%s: no document cache (%s)", self.name, e)
                self.documents_path = None
        return self._documents

    def gate(self, settings: Settings) -> RedisGate:
        key = (settings.per_host, settings.delay)
        if key not in self._gates:
            self._gates[key] = RedisGate(self.client, settings.per_host, settings.delay)
        return self._gates[key]

    async def checklist(self, keys: Keys) -> tuple[Path, Checklist]:
        """The batch's checklist as the dispatcher read it (its text is in Redis)."""
        text = await self.client.get(keys.checklist)
        if text is None:
            raise RuntimeError("the batch's checklist is not in Redis (batch closed?)")
        digest = sha256(text).hexdigest()[:16]
        if digest not in self._checklists:
            path = self.folder / f"checklist-{digest}.yaml"
            path.write_bytes(text)
            self._checklists[digest] = (path, load(path))
        return self._checklists[digest]


class _SiteStore(Store):
    """One site's run, in memory; the document texts it reads are kept in the machine's cache file (shared
    by its worker processes), so tomorrow's audit asks the server "changed since?" instead of downloading."""

    def __init__(self, cache: Store | None):
        super().__init__(":memory:")
        self.cache = cache

    def get(self, url: str) -> dict | None:
        if self.cache is None:
            return super().get(url)
        try:
            return self.cache.get(url)
        except DatabaseError:  # busy or broken: this document is read again, that is all
            return None

    def put(self, url: str, row: dict) -> None:
        if self.cache is None:
            return super().put(url, row)
        with contextlib.suppress(DatabaseError):
            self.cache.put(url, row)


_PROCESS: _Process | None = None


def _from_redis(exc: BaseException | None) -> bool:
    """Whether an error comes from Redis (here or anywhere in its chain of causes)."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, redis.RedisError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def job_problem(job: object) -> str | None:
    """Why a message is not a job this worker can run (None: it is one); checked before anything is done."""
    if not isinstance(job, dict):
        return f"a {type(job).__name__}, not a job"
    for key, want in (("batch", str), ("url", str), ("checklist_file", str), ("options", dict)):
        if not isinstance(job.get(key), want):
            return f"{key} is missing or not a {want.__name__}"
    for key in ("site_id", "attempt"):
        if type(job.get(key)) is not int or not 0 <= job[key] < 2**53:
            return f"{key} is missing or not a number"
    if not job["url"].startswith(("http://", "https://")) or len(job["url"]) > 2000:
        return "url is not a web address"
    try:
        options_from_job(job["options"], "-")
    except (TypeError, KeyError, ValueError) as e:
        return f"options: {e}"
    return None


async def audit_site(job: dict) -> None:
    """The actor: audit one site of a batch and post its run; a job already collected is skipped.

    A message that is not a job fails at once (Dramatiq dead-letters it: max_retries is 0)."""
    proc = _PROCESS
    if proc is None:
        raise RuntimeError("audit_site runs in `oit worker` only")
    problem = job_problem(job)
    if problem:
        log.warning("%s: a message that is not a job was refused: %s", proc.name, problem)
        raise ValueError(f"not a job: {problem}")
    r, keys = proc.client, Keys(job["batch"])
    sid, attempt, url = str(job["site_id"]), job["attempt"], job["url"]
    async with r.pipeline(transaction=False) as pipe:
        closed, collected, posted = await (pipe.exists(keys.closed).sismember(keys.collected, sid)
                                           .hexists(keys.posted, sid).execute())
    if closed or collected or posted:
        log.info("%s: skip %s (already %s)", proc.name, url, "closed" if closed else "done")
        return
    deliveries = await r.hincrby(keys.deliveries, f"{sid}:{attempt}", 1)
    await r.hset(keys.running, sid, proc.name)
    t0 = time.monotonic()
    run_id, error, rows = None, None, None
    if deliveries > MAX_DELIVERIES:
        error = f"the worker auditing this site stopped {deliveries - 1} times (killed or out of memory)"
    else:
        store = _SiteStore(proc.documents)  # this site's run only; the dispatcher writes the main database
        try:
            path, checklist = await proc.checklist(keys)
            options = options_from_job(job["options"], path, proc.allow_private, proc.chromium)
            try:
                run_id = await scan_site(url, checklist, store, options, proc.gate(options.settings))
            except SiteUnreachable as e:
                error = str(e)
                run_id = 1 if store.run(1) else None  # the failed run: the only one of this fresh store
            except asyncio.CancelledError:
                raise  # time limit or shutdown: not acknowledged, the job goes to another worker
            except Exception as e:  # noqa: BLE001 - one hostile site never stops the worker
                if _from_redis(e):
                    raise  # Redis went away (the gate): not the site's fault; not acknowledged, sent again
                error = f"{type(e).__name__}: {e}"[:300]
            if run_id is not None:
                rows = store.export_run(run_id)
                rows["run"]["settings"] = json.dumps({**json.loads(rows["run"]["settings"] or "{}"),
                                                      "checklist_file": job["checklist_file"]}, ensure_ascii=False)
        finally:
            store.close()
    seconds = time.monotonic() - t0
    payload = {"batch": job["batch"], "site_id": job["site_id"], "attempt": attempt, "url": url, "error": error,
               "rows": rows, "worker": proc.name, "seconds": round(seconds, 2)}
    data = await asyncio.to_thread(pack, payload)
    if rows is not None and len(data) > MAX_RESULT // 8 and len(json.dumps(payload)) > MAX_RESULT:
        error = f"the run is larger than the {MAX_RESULT // (1024 * 1024)} MB a result may be; not stored"
        payload.update(rows=None, error=error)
        data = pack(payload)
    async with r.pipeline(transaction=True) as pipe:  # the result and its mark, together
        await (pipe.rpush(keys.results, data).hset(keys.posted, sid, attempt).hdel(keys.running, sid).execute())
    pages = len(rows["pages"]) if rows else 0
    log.info("%s: %s %s in %.1fs, %d pages%s", proc.name, "FAILED" if error else "done", url, seconds, pages,
             f": {error}" if error else "")


def run_worker(url: str, concurrency: int = 4, heartbeat: float = HEARTBEAT, grace: float = 10.0,
               documents: str | None = DOCUMENTS, allow_private: bool = False, chromium: str | None = None) -> int:
    """One worker process: `concurrency` sites at a time on one event loop, until SIGTERM or SIGINT.

    On the signal it takes no new job and gives the sites in progress `grace` seconds to finish; the
    ones still running are left unacknowledged and go to another worker after the heartbeat timeout.
    """
    global _PROCESS
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("dramatiq", "httpx", "httpcore", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    connect(url)  # an unreachable broker is one clear error now
    broker = make_broker(url, heartbeat)
    _PROCESS = _Process(url, documents, allow_private, chromium)
    worker = dramatiq.Worker(broker, worker_threads=max(1, concurrency), worker_timeout=500)
    worker.queue_prefetch = max(1, concurrency)  # take only the jobs it can run now: the rest stay for others
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    worker.start()
    log.info("%s: worker on %s, %d sites at a time", _PROCESS.name, redact(url), concurrency)
    stop.wait()
    log.info("%s: stopping", _PROCESS.name)
    # Dramatiq's stop: the sites in progress get `grace`, then jobs fetched but not started go back
    stopper = threading.Thread(target=worker.stop, kwargs={"timeout": int(grace * 1000)}, daemon=True)
    stopper.start()
    stopper.join(grace + 5)
    shutil.rmtree(_PROCESS.folder, ignore_errors=True)
    sys.stderr.flush()
    os._exit(0)  # threads still running a site are abandoned: their jobs are redelivered


def run_workers(url: str, processes: int, concurrency: int = 4, heartbeat: float = HEARTBEAT,
                documents: str | None = DOCUMENTS, allow_private: bool = False, chromium: str | None = None) -> int:
    """`processes` worker processes, each restarted if it dies; SIGTERM or SIGINT stops them all."""
    if processes <= 1:
        return run_worker(url, concurrency, heartbeat, documents=documents, allow_private=allow_private,
                          chromium=chromium)
    connect(url)
    cmd = [sys.executable, "-m", "crawler", "worker", "--processes", "1", "--concurrency", str(concurrency),
           "--heartbeat", str(heartbeat), "--documents", documents or "",
           *(["--allow-private"] if allow_private else []), *(["--chromium", chromium] if chromium else [])]
    env = {**os.environ, "OIT_BROKER": url}  # not on the command line: the URL may hold a password

    def spawn() -> subprocess.Popen:
        return subprocess.Popen(cmd, env=env)
    children: list[subprocess.Popen] = [spawn() for _ in range(processes)]
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    started = [time.monotonic()] * processes
    wait = [1.0] * processes  # before a restart; doubles (to 60 s) while a process dies within 10 s of its start
    due: list[float | None] = [None] * processes
    while not stopping.is_set():
        time.sleep(0.5)
        now = time.monotonic()
        for i, c in enumerate(children):
            if c.poll() is None or stopping.is_set():
                continue
            if due[i] is None:
                wait[i] = min(60.0, wait[i] * 2) if now - started[i] < 10 else 1.0
                due[i] = now + wait[i]
                print(f"oit worker: process {c.pid} exited ({c.returncode}); another in {wait[i]:.0f}s",
                      file=sys.stderr, flush=True)
            elif now >= due[i]:
                children[i], started[i], due[i] = spawn(), now, None
    stop()  # a process started while the signal arrived gets it too
    for c in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            c.wait(timeout=60)
    return 0


def redact(url: str) -> str:
    """A broker URL without its password, for logs and the batch's settings."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(url)
    if parts.password:
        netloc = f"{parts.username or ''}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
