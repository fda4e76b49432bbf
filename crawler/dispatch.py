"""`oit dispatch`: a batch run by the workers (`oit worker`), collected into the one database.

The dispatcher creates (or resumes) the batch of a sites CSV as `oit batch` does, sends each unfinished
site to the queue once, and stores each run a worker posts back (`Store.import_run`: the run, its pages,
links, evidence and results, and the site's status, in one transaction). It is the only writer of the
database. Killed and started again, it resumes: results taken from Redis but not yet stored are taken
again (`processing`), sites already sent are not sent again, and a result arriving twice (a job given
to two workers) is stored once. A job that vanished (Redis lost it, or it was dead-lettered) is sent
again with the next attempt number, at most `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import json
import time
from hashlib import sha1
from pathlib import Path

import redis

from .batch import Progress, Report, plain_report, read_sites, summary
from .checklist import DEFAULT_CHECKLIST, load
from .config import Options
from .outputs import to_json
from .store import DatabaseError, Store, StoreError
from .workers import (
    DEAD_KEPT,
    HEARTBEAT,
    KEEP,
    BrokerError,
    Keys,
    connect,
    make_broker,
    messages_key,
    options_to_job,
    pack,
    redact,
    unpack,
)

MAX_ATTEMPTS = 3


def result_problem(payload: object) -> str | None:
    """Why a posted result is not one the dispatcher can store (None: it is), checked before any of it is."""
    if not isinstance(payload, dict):
        return f"a {type(payload).__name__}, not an object"
    if not isinstance(payload.get("batch"), str):
        return "no batch"
    if type(payload.get("site_id")) is not int:
        return "site_id is not a number"
    if payload.get("error") is not None and not isinstance(payload["error"], str):
        return "error is not text"
    rows = payload.get("rows")
    if rows is None:
        return None if payload.get("error") else "neither rows nor an error"
    if not isinstance(rows, dict) or not isinstance(rows.get("run"), dict):
        return "rows without a run"
    if not isinstance(rows["run"].get("start_url"), str):
        return "the run has no URL"
    for name, table in rows.items():
        if name == "run":
            continue
        if not isinstance(table, list) or not all(isinstance(r, dict) for r in table):
            return f"rows.{name} is not a list of rows"
    return None


def batch_key(store: Store, batch_id: int) -> str:
    """Names one batch of one database in Redis (several databases may share a broker)."""
    b = store.batch(batch_id) or {}
    return sha1(f"{store.path.resolve()}|{batch_id}|{b.get('started_at')}".encode()).hexdigest()[:16]


class Dispatcher:
    def __init__(self, store: Store, batch_id: int, options: Options, broker_url: str, out: Path | None,
                 report: Report, heartbeat: float = HEARTBEAT, check_every: float = 5.0):
        self.store, self.batch_id, self.options, self.out, self.report = store, batch_id, options, out, report
        self.check_every = check_every
        self.key = batch_key(store, batch_id)
        self.url, self.silent_since = broker_url, None
        self.keys = Keys(self.key)
        self.redis = connect(broker_url)
        self.broker = make_broker(broker_url, heartbeat, maintenance=1.0)  # every command looks for dead workers
        self.actor = self.broker.get_actor("audit_site")
        self.sites = {s["id"]: s for s in store.batch_sites(batch_id)}
        self.finished = {sid for sid, s in self.sites.items() if s["status"] in ("done", "failed")}
        self.progress = Progress(total=len(self.sites), done=sum(s["status"] == "done" for s in self.sites.values()),
                                 failed=sum(s["status"] == "failed" for s in self.sites.values()))
        checklist = Path(options.checklist or DEFAULT_CHECKLIST)
        self.checklist_file = str(checklist)
        self.redis.set(self.keys.checklist, checklist.read_bytes())
        self.job_options = options_to_job(options)
        # an actor's time is bounded by the site's own limits; this only catches a worker gone astray
        self.time_limit = int((options.budget.time_limit * 3 + 900) * 1000)

    def run(self) -> Progress:
        for data in self.redis.lrange(self.keys.processing, 0, -1):  # taken by a dispatcher that was killed
            self._collect(data)
            self.redis.lrem(self.keys.processing, 1, data)
        if self.out is not None:  # stored by a dispatcher killed before it wrote the site's file
            for s in self.store.batch_sites(self.batch_id):
                if s["status"] == "done" and s["run_id"] and not self._out_file(s["id"], s["run_id"]).exists():
                    self._out_file(s["id"], s["run_id"]).write_text(to_json(self.store.result(s["run_id"])),
                                                                    encoding="utf-8")
        sent = self._sent()
        for sid, site in self.sites.items():
            if sid not in self.finished and sid not in sent:  # sent before a restart: not sent twice
                self._send(site, 1)
        last_check = time.monotonic()
        while self.progress.left > 0:
            data = self.redis.blmove(self.keys.results, self.keys.processing, 1.0, "LEFT", "RIGHT")
            if data is not None:
                self._collect(data)
                self.redis.lrem(self.keys.processing, 1, data)
            full = time.monotonic() - last_check >= self.check_every
            if data is None or full:
                self._watch(full)
                if full:
                    last_check = time.monotonic()
        self._close()
        return self.progress

    def _out_file(self, site_id: int, run_id: int) -> Path:
        assert self.out is not None
        return self.out / f"site-{site_id}-run-{run_id}.json"  # as `oit batch` names it

    def _sent(self) -> dict[int, dict]:
        return {int(k): json.loads(v) for k, v in self.redis.hgetall(self.keys.sent).items()}

    def _send(self, site: dict, attempt: int) -> None:
        job = {"batch": self.key, "site_id": site["id"], "attempt": attempt, "url": site["url"],
               "options": self.job_options, "checklist_file": self.checklist_file}
        message = self.actor.send_with_options(args=(job,), time_limit=self.time_limit)
        self.redis.hset(self.keys.sent, str(site["id"]), json.dumps(
            {"attempt": attempt, "message": message.options["redis_message_id"], "at": time.time()}))

    def _dead(self, data: bytes, why: str) -> None:
        """A result that cannot be stored: said, kept aside (the newest DEAD_KEPT) and never taken again."""
        self.report(f"unusable result set aside: {why}", self.progress)
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(self.keys.dead, data[:1_000_000])
        pipe.ltrim(self.keys.dead, 0, DEAD_KEPT - 1)
        pipe.execute()

    def _collect(self, data: bytes) -> None:
        """Store one posted result, once; then mark it collected (a late duplicate is ignored).

        A result that is not one (corrupt, too large once decompressed, another shape, a run of another URL)
        is set aside: it never stops the batch, nor the next start (the caller removes it from `processing`)."""
        try:
            payload = unpack(data)
        except Exception as e:  # noqa: BLE001 - a corrupt entry (zlib, JSON, a bomb) never stops the batch
            self._dead(data, f"unreadable: {type(e).__name__}: {e}"[:300])
            return
        problem = result_problem(payload)
        if problem:
            self._dead(data, problem)
            return
        sid = payload["site_id"]
        if payload["batch"] != self.key or sid not in self.sites:
            return
        rows, error = payload.get("rows"), payload.get("error")
        if rows is not None and rows["run"]["start_url"] != self.sites[sid]["url"]:
            self._dead(data, f"the run of site {sid} is of {rows['run']['start_url'][:200]}, not of its URL "
                             f"{self.sites[sid]['url']}")
            return
        try:
            imported, run_id = self.store.import_run(rows, self.batch_id, sid, error)
        except (TypeError, ValueError, KeyError, AttributeError, OverflowError, DatabaseError,
                StoreError) as e:  # rows of another shape: nothing was written (a full disk still stops the batch)
            if isinstance(e, StoreError) and not getattr(e, "data_error", False):
                raise
            self._dead(data, f"rows not stored: {type(e).__name__}: {e}"[:300])
            return
        self.finished.add(sid)
        if imported:
            site = self.sites[sid]
            self.progress.in_flight.pop(sid, None)
            if error:
                self.progress.failed += 1
            else:
                self.progress.done += 1
                if run_id is not None:
                    doc = self.store.result(run_id)
                    self.progress.pages += doc["pages_fetched"] or 0
                    if self.out is not None:
                        self._out_file(sid, run_id).write_text(to_json(doc), encoding="utf-8")
            who = f" [{payload.get('worker')}, attempt {payload.get('attempt')}]"
            self.report(f"{'FAILED' if error else 'done'} {site['url']}" + (f": {error}" if error else "") + who,
                        self.progress)
        self.redis.sadd(self.keys.collected, str(sid))
        self.redis.hdel(self.keys.sent, str(sid))

    def _watch(self, full: bool) -> None:
        """Sites started by a worker (progress); with `full`, jobs of dead workers back to the queue and
        vanished jobs sent again."""
        running = {int(k): v.decode() for k, v in self.redis.hgetall(self.keys.running).items()}
        for sid, worker in running.items():
            if sid in self.sites and sid not in self.progress.in_flight and sid not in self.finished:
                self.store.site_started(sid)  # 'running' from when a worker took it
                self.progress.in_flight[sid] = self.sites[sid]["url"]
                self.report(f"start {self.sites[sid]['url']} [{worker}]", self.progress)
        for sid in [s for s in self.progress.in_flight if s not in running]:
            if not self.redis.hexists(self.keys.posted, str(sid)):
                self.progress.in_flight.pop(sid, None)  # its worker died: queued again
        if not full:
            return
        self.broker.do_qsize(self.actor.queue_name)  # maintenance: jobs of silent workers back to the queue
        self._workers_alive()
        sent = self._sent()
        if not sent:
            return
        pipe = self.redis.pipeline(transaction=False)
        for rec in sent.values():
            pipe.hexists(messages_key(self.broker), rec["message"])
        alive = pipe.execute()
        posted = {int(k) for k in self.redis.hkeys(self.keys.posted)}
        for (sid, rec), exists in zip(sent.items(), alive, strict=True):
            if exists or sid in posted or sid in self.finished or sid not in self.sites:
                continue
            if rec["attempt"] >= MAX_ATTEMPTS:  # vanished every time: fail it rather than wait forever
                self._collect(pack({"batch": self.key, "site_id": sid, "attempt": rec["attempt"], "rows": None,
                                    "error": f"the job was lost {rec['attempt']} times", "worker": "dispatcher"}))
                continue
            self.report(f"job lost, sent again: {self.sites[sid]['url']}", self.progress)
            self._send(self.sites[sid], rec["attempt"] + 1)

    def _workers_alive(self) -> None:
        """Say so (once a minute) when no worker has been heard from: the batch waits for one."""
        since = (time.time() - self.broker.heartbeat_timeout / 1000) * 1000
        beats = self.redis.zrangebyscore(f"{self.broker.namespace}:__heartbeats__", since, "+inf")
        if any(b.decode() != self.broker.broker_id for b in beats):
            self.silent_since = None
            return
        if self.silent_since is None or time.monotonic() - self.silent_since >= 60:
            self.silent_since = time.monotonic()
            self.report(f"waiting: no worker is running (start `oit worker --broker {redact(self.url)}`)",
                        self.progress)

    def _close(self) -> None:
        """The batch is over: its keys expire; `closed` makes workers skip late duplicates."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.set(self.keys.closed, 1, ex=KEEP)
        pipe.delete(self.keys.results, self.keys.processing, self.keys.checklist)
        for key in (self.keys.sent, self.keys.running, self.keys.posted, self.keys.collected, self.keys.deliveries):
            pipe.expire(key, KEEP)
        pipe.execute()


def run_dispatch(csv_path: str | Path, options: Options, broker_url: str, out: str | Path | None = None,
                 fresh: bool = False, report: Report | None = None,
                 heartbeat: float = HEARTBEAT, check_every: float = 5.0) -> tuple[int, Progress, list[str]]:
    """Run (or resume) the batch of a sites CSV on the workers; returns (batch id, progress, CSV problems)."""
    sites = read_sites(csv_path)
    load(options.checklist or DEFAULT_CHECKLIST)  # a broken checklist is an error here, not on every worker
    store = Store(options.db)
    csv_key = str(Path(csv_path).resolve())
    batch_id = None if fresh else store.open_batch(csv_key)
    if batch_id is None:
        settings = {"broker": redact(broker_url), "checklist_file": str(options.checklist or DEFAULT_CHECKLIST)}
        batch_id = store.start_batch(csv_key, Path(csv_path).stem, settings, sites.sites)
    else:
        store.abandon_interrupted(batch_id)  # runs an `oit batch` left running; sites in flight are kept
    out_dir = Path(out) if out else None
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
    report = report or plain_report()
    try:
        progress = Dispatcher(store, batch_id, options, broker_url, out_dir, report, heartbeat, check_every).run()
    except redis.RedisError as e:  # the broker went away: the batch resumes when it is back
        raise BrokerError(f"broker {redact(broker_url)}: {e}; run the same command again to resume") from None
    store.finish_batch(batch_id)
    if out_dir is not None:
        (out_dir / "summary.json").write_text(json.dumps(summary(store, batch_id), ensure_ascii=False, indent=2),
                                              encoding="utf-8")
    return batch_id, progress, sites.problems
