"""SQLite storage through sqlite-utils: the only module that touches the database.

Tables: runs, pages, links, evidence, results, documents, site_names, decisions (schema in README.md). A run
is appended, never rewritten: pages and links are written as they are fetched, results when the run finishes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from .models import RESULT_SCHEMA, ItemDoc, ItemResult, LinkRecord, OitError, PageRecord, ResultDoc, basis_th, now

SCHEMA: dict[str, dict[str, Any]] = {
    "batches": {"id": int, "csv_path": str, "name": str, "settings": str, "started_at": str, "finished_at": str,
                "status": str, "sites": int},
    "batch_sites": {"id": int, "batch_id": int, "line": int, "url": str, "name": str, "province": str,
                    "district": str, "type": str, "extra": str, "status": str, "run_id": int, "error": str,
                    "started_at": str, "finished_at": str, "deaths": int},
    "runs": {"id": int, "batch_id": int, "checklist": str, "checklist_version": str, "checklist_status": str,
             "year": int, "start_url": str,
             "site": str, "settings": str, "started_at": str, "finished_at": str, "pages_fetched": int,
             "requests": int, "stop_reason": str, "status": str, "findings": str, "tool_version": str,
             "pruned_at": str, "owner": str, "name": str},
    "pages": {"id": int, "run_id": int, "url": str, "final_url": str, "status": int, "content_type": str,
              "bytes": int, "encoding": str, "title": str, "depth": int, "click_path": str, "error": str,
              "fetched_at": str, "links_hash": str, "text_hash": str},
    "linksets": {"hash": str, "links": str},  # a page's links as JSON, stored once however many runs see them
    "evidence": {"id": int, "run_id": int, "item": str, "rank": int, "url": str, "found_on": str,
                 "score": float, "status": str, "check_note": str, "matched_terms": str, "click_path": str,
                 "snippet": str},
    "results": {"id": int, "run_id": int, "item": str, "title": str, "status": str, "reason": str,
                "score": float, "evidence_url": str, "period_expected": str, "period_found": str,
                "period_where": str, "found_year": int, "missing_elements": str, "confirmed": int},
    "web_queue": {"id": int, "url": str, "name": str, "checklist": str, "asked_at": str},  # `oit serve`: waiting
    "documents": {"url": str, "etag": str, "last_modified": str, "content_type": str, "bytes": int, "kind": str,
                  "text": str, "pages": int, "scanned": int, "truncated": int, "error": str, "fetched_at": str,
                  "sha1": str},
    "site_names": {"url": str, "name": str},  # the name an admin gave a site (--name, the web form)
    "decisions": {"id": int, "url": str, "item": str, "evidence_url": str, "evidence_hash": str, "note": str,
                  "status": str, "run_id": int, "decided_at": str, "withdrawn_at": str, "withdrawn_why": str},
}
PKS = {"documents": "url", "linksets": "hash", "site_names": "url"}
# Every link of every stored page, one row each, as the `links` table of earlier versions showed them.
LINKS_VIEW = (
    "create view links as select p.run_id as run_id, json_extract(l.links, '$.from') as from_url, "
    "json_extract(j.value, '$[0]') as to_url, json_extract(j.value, '$[1]') as text, "
    "json_extract(j.value, '$[2]') as context, json_extract(j.value, '$[3]') as offsite "
    "from pages p join linksets l on l.hash = p.links_hash, json_each(l.links, '$.links') j")
_PAGE_COLUMNS = ("run_id", "url", "final_url", "status", "content_type", "bytes", "encoding", "title", "depth",
                 "click_path", "error", "fetched_at", "links_hash", "text_hash")
_INSERT_PAGE = f"insert into pages ({', '.join(_PAGE_COLUMNS)}) values ({', '.join('?' * len(_PAGE_COLUMNS))})"
RUN_TABLES = ("pages", "evidence", "results")  # a run's rows besides its own (export_run, import_run)

# the archive's index (crawler/archive.py): one row per stored WARC record, the record sets runs read, run -> set
ARCHIVE_SCHEMA = (
    "create table if not exists archive_records (id integer primary key, url text not null, digest text not null,"
    " file text not null, offset integer not null, length integer not null, content_type text, status integer,"
    " bytes integer, captured_at text, truncated integer default 0)",
    "create unique index if not exists archive_records_key on archive_records (url, digest)",
    "create index if not exists archive_records_file on archive_records (file)",
    "create table if not exists archive_sets (hash text primary key, records text not null)",
    "create table if not exists archive_runs (run_id integer primary key, set_hash text, captured_at text,"
    " new_records integer, new_bytes integer, notes text)",
)
DatabaseError = sqlite3.Error  # what the database itself raises (busy, broken), for callers that ride it out

MAX_DEATHS = 3  # a batch site whose scan's process died this many times (OOM killer, kill -9) is not retried
MIN_FREE = 50_000_000  # bytes free on the database's disk to start a run
BUSY_TIMEOUT = 60.0  # seconds to wait for another process's write (two batches, a report during a batch)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's
    return True


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_COUNTERS = re.compile(r"\d{5,}|\d{1,2}:\d{2}(?::\d{2})?")


def text_hash(text: str) -> str:
    """A page's text as a decision rests on it: visitor counters (5 digits or more) and clock times do not count,
    so a page that only counted another visitor is the same page; a year or a word changed is not."""
    return hashlib.sha1(_COUNTERS.sub("#", " ".join((text or "").split())).encode("utf-8")).hexdigest()


def _why_th(e: BaseException | None) -> str:
    """SQLite's or the system's reason, as an admin reads it."""
    text = str(e or "")
    for words, thai in ((("disk is full", "No space left"), "ดิสก์เต็ม"),
                        (("readonly", "read-only", "Permission denied"), "ไม่มีสิทธิ์เขียนไฟล์ (อ่านได้อย่างเดียว)"),
                        (("locked", "busy"), "โปรแกรมอื่นกำลังเขียนอยู่นานเกินไป"),
                        (("not a database", "malformed", "corrupt"), "ไฟล์นี้ไม่ใช่ฐานข้อมูลของ oit หรือเสียหาย"),
                        (("unable to open", "No such file", "Is a directory"), "เปิดไฟล์ไม่ได้ (ตรวจที่อยู่ของไฟล์)")):
        if any(w in text for w in words):
            return thai
    return f"ข้อผิดพลาดของฐานข้อมูล [{text[:80]}]"


class StoreError(OitError, RuntimeError):
    """The database cannot be opened or written; the message says where."""


class Store:
    """One SQLite file in WAL mode holding every run."""

    def __init__(self, path: str | Path, readonly: bool = False):
        self.path = Path(path)
        self.readonly = readonly
        if readonly:  # reading commands on a database this user may not write (a shared copy, a read-only disk)
            self._open_readonly()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            free = shutil.disk_usage(self.path.parent).free
            if free < MIN_FREE:
                raise StoreError(f"ใช้ฐานข้อมูล {self.path} ไม่ได้: ดิสก์เหลือที่ว่างเพียง {free // 1_000_000} MB")
            conn = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT)  # waits for another writer, not fails
            self.db = sqlite_utils.Database(conn)
            self.db.enable_wal()
            # with WAL, a commit is safe from a killed process without an fsync each (a page a commit): only a
            # power cut may lose the last pages, which a resumed run fetches again
            self.db.execute("pragma synchronous = normal")
            with self._atomic():  # the schema is created by one process at a time (begin immediate)
                self._create()
            with self._atomic():  # prove it is writable now, not halfway through a night
                self.db.execute("pragma user_version = 1")
        except (OSError, sqlite3.Error) as e:
            raise StoreError(f"ใช้ฐานข้อมูล {self.path} ไม่ได้: {_why_th(e)}") from None

    def _open_readonly(self) -> None:
        """Open without writing anything: `mode=ro`, else `immutable=1` when even the WAL's shared-memory file
        cannot be made (a read-only folder)."""
        uri = self.path.resolve().as_uri()
        last: Exception | None = None
        for flags in ("mode=ro", "mode=ro&immutable=1"):
            try:
                conn = sqlite3.connect(f"{uri}?{flags}", uri=True, timeout=BUSY_TIMEOUT)
                conn.execute("select count(*) from sqlite_master").fetchone()
            except sqlite3.Error as e:
                last = e
                continue
            self.db = sqlite_utils.Database(conn)
            return
        raise StoreError(f"เปิดฐานข้อมูล {self.path} ไม่ได้: {_why_th(last)}")

    def has(self, table: str) -> bool:
        """Whether the database has this table (a read-only database of an older version may not)."""
        return self.db[table].exists()

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One transaction; a full disk or an I/O error mid-run is a StoreError naming the database."""
        try:
            with self._atomic():
                yield
        except sqlite3.Error as e:
            err = StoreError(f"บันทึกลงฐานข้อมูล {self.path} ไม่ได้: {_why_th(e)}")
            err.data_error = isinstance(e, (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError,
                                            sqlite3.DataError))  # the rows, not the disk
            raise err from None

    def _create(self) -> None:
        migrated = "links" in self.db.table_names()
        if migrated:  # a database from before link sets: its rows stay readable through the view
            self.db.execute("alter table links rename to links_v1")
        for name, columns in SCHEMA.items():
            table = self.db[name]
            if not table.exists():
                fks = [("run_id", "runs", "id")] if "run_id" in columns and name != "batch_sites" else None
                table.create(columns, pk=PKS.get(name, "id"), foreign_keys=fks)
            else:  # a database from an older version: add what is new, keep what is there
                have = set(table.columns_dict)
                for col, kind in columns.items():
                    if col not in have:
                        table.add_column(col, kind)
        for table, cols in (("pages", ["run_id", "url"]), ("pages", ["links_hash"]), ("evidence", ["run_id", "item"]),
                            ("results", ["run_id", "item"]), ("batch_sites", ["batch_id"]), ("runs", ["start_url"]),
                            ("decisions", ["url", "item"])):
            self.db[table].create_index(cols, if_not_exists=True)
        if migrated:
            self.db.execute("drop view if exists links")
            self.db.execute(LINKS_VIEW + " union all select run_id, from_url, to_url, text, context, offsite "
                            "from links_v1")
        elif "links" not in self.db.view_names():
            self.db.execute(LINKS_VIEW)

    @contextlib.contextmanager
    def _atomic(self) -> Iterator[None]:
        """One transaction that takes the write lock first (`begin immediate`): another process's write is
        waited for (busy timeout) instead of failing at once, and every row of it commits together or not
        at all (sqlite-utils 4's writes inside `with conn` commit one by one). Nested: a savepoint."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield
            return
        conn.execute("begin immediate")
        try:
            yield
            conn.execute("commit")
        except BaseException:
            if conn.in_transaction:
                conn.execute("rollback")
            raise

    def start_run(self, checklist: str, version: str, year: int, start_url: str, settings: dict,
                  tool_version: str, batch_id: int | None = None, checklist_status: str = "final") -> int:
        """A new run, 'running' until finished or failed; returns its id."""
        with self._write():
            row = self.db["runs"].insert({
                "batch_id": batch_id, "checklist": checklist, "checklist_version": version,
                "checklist_status": checklist_status, "year": year,
                "start_url": start_url,
                "site": "", "settings": json.dumps(settings, ensure_ascii=False), "started_at": now(),
                "status": "running", "pages_fetched": 0, "tool_version": tool_version, "owner": _owner(),
            })
        return int(row.last_pk)

    def abandon_dead(self) -> int:
        """Runs left 'running' by a process of this host that is gone (a full disk kept it from saying so,
        a power cut) become failed/interrupted; runs of live processes and of other hosts are left alone."""
        if os.name == "nt":
            return 0  # os.kill(pid, 0) would end the process there
        host = socket.gethostname()
        dead = []
        for row in self.db.query("select id, owner from runs where status = 'running' and owner like ?",
                                 [f"{host}:%"]):
            pid = int(row["owner"].rsplit(":", 1)[1])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                dead.append(row["id"])
            except OSError:
                pass  # alive, another user's
        with self._write():
            for run_id in dead:
                self.db.execute("update runs set status = 'failed', stop_reason = 'interrupted', finished_at = ? "
                                "where id = ? and status = 'running'", [now(), run_id])
        return len(dead)

    def add_page(self, run_id: int, record: PageRecord, links: list[LinkRecord]) -> None:
        """A fetched page and its links, committed as the crawl goes."""
        row = {
            "run_id": run_id, "url": record.url, "final_url": record.final_url, "status": record.status,
            "content_type": record.content_type, "bytes": record.size, "encoding": record.encoding,
            "title": record.title, "depth": record.depth, "click_path": " > ".join(record.crumbs),
            "error": record.error, "fetched_at": record.fetched_at, "links_hash": None,
            "text_hash": text_hash(record.page.content) if record.page is not None else None,
        }
        with self._write():  # one statement, not sqlite-utils' insert: a page is stored hundreds of times a site
            row["links_hash"] = self._linkset(links)
            self.db.execute(_INSERT_PAGE, [row[c] for c in _PAGE_COLUMNS])

    def _linkset(self, links: list[LinkRecord]) -> str | None:
        """Store a page's links once (by their hash): the same menu night after night costs nothing."""
        if not links:
            return None
        body = json.dumps({"from": links[0].from_url, "links": [[lk.to_url, lk.text, lk.context, int(lk.offsite)]
                                                                for lk in links]}, ensure_ascii=False)
        digest = hashlib.sha1(body.encode("utf-8")).hexdigest()
        self.db.execute("insert or ignore into linksets (hash, links) values (?, ?)", [digest, body])
        return digest

    def name_run(self, run_id: int, name: str) -> None:
        """The agency's name, as the report heads it."""
        with self._write():
            self.db["runs"].update(run_id, {"name": name})

    def finish_run(self, run_id: int, site: str, results: list[ItemResult], pages_fetched: int, requests: int,
                   stop_reason: str, findings: list[str], status: str = "finished") -> None:
        """The run's results and evidence, and how it ended, in one transaction."""
        with self._write():
            for r in results:
                p = r.period
                self.db["results"].insert({
                    "run_id": run_id, "item": r.id, "title": r.title, "status": r.status, "reason": r.reason,
                    "score": r.score, "evidence_url": r.evidence[0].url if r.evidence else None,
                    "period_expected": p.expected if p else None, "period_found": p.found if p else None,
                    "period_where": p.where if p else None, "found_year": p.found_year if p else None,
                    "missing_elements": json.dumps(r.missing_elements, ensure_ascii=False),
                    "confirmed": int(r.confirmed),
                })
                self.db["evidence"].insert_all({
                    "run_id": run_id, "item": r.id, "rank": i + 1, "url": e.url, "found_on": e.found_on,
                    "score": e.score, "status": r.status if i == 0 else "alternative", "check_note": e.check,
                    "matched_terms": json.dumps(list(e.terms), ensure_ascii=False),
                    "click_path": json.dumps(e.click_path, ensure_ascii=False), "snippet": e.text,
                } for i, e in enumerate(r.evidence))
            self.db["runs"].update(run_id, {
                "site": site, "finished_at": now(), "pages_fetched": pages_fetched, "requests": requests,
                "stop_reason": stop_reason, "status": status, "findings": json.dumps(findings, ensure_ascii=False),
            })

    def set_name(self, start_url: str, name: str) -> None:
        """The name an admin gave a site: every later run of it is named so."""
        with self._write():
            self.db["site_names"].upsert({"url": start_url, "name": name.strip()[:200]}, pk="url")

    def given_name(self, start_url: str) -> str:
        """The name an admin gave the site (--name, the web form, else the latest sites list naming it); ''."""
        row = self.db.execute("select name from site_names where url = ? and name != ''", [start_url]).fetchone() \
            if self.has("site_names") else None
        if row:
            return row[0]
        row = self.db.execute("select name from batch_sites where url = ? and name != '' order by id desc limit 1",
                              [start_url]).fetchone()
        return row[0] if row else ""

    def fail_run(self, run_id: int, reason: str, findings: list[str] | None = None) -> None:
        """Mark a run failed, with why (unreachable, interrupted ...)."""
        with self._write():
            self.db["runs"].update(run_id, {"finished_at": now(), "stop_reason": reason, "status": "failed",
                                            "findings": json.dumps(findings or [], ensure_ascii=False)})

    # runs made elsewhere (workers) --------------------------------------------------------

    def export_run(self, run_id: int) -> dict[str, Any]:
        """A stored run as plain rows (no ids), for `import_run` into another store."""
        run = self.run(run_id)
        if run is None:
            raise StoreError(f"no run {run_id} in {self.path}")
        out: dict[str, Any] = {"run": {k: v for k, v in run.items() if k not in ("id", "batch_id")}}
        for table in RUN_TABLES:
            out[table] = [{k: v for k, v in row.items() if k not in ("id", "run_id")}
                          for row in self.db.query(f"select * from {table} where run_id = ? order by id", [run_id])]
        out["linksets"] = list(self.db.query(
            "select * from linksets where hash in (select links_hash from pages where run_id = ?)", [run_id]))
        return out

    def import_run(self, rows: dict[str, Any] | None, batch_id: int | None = None, site_id: int | None = None,
                   error: str | None = None) -> tuple[bool, int | None]:
        """Append a run exported by another store, and settle its batch site, in one transaction.

        Returns (imported, run id). With `site_id`, a site already done or failed is left as it is and
        nothing is written (imported False): a result delivered twice is stored once. `rows` None: the
        site failed without a run (`error` says why). All or nothing: a crash or an error halfway
        leaves no run behind (sqlite-utils' `atomic`; its writes inside `with conn` commit one by one).
        """
        with self._write():
            if site_id is not None:
                site = list(self.db.query("select status, run_id from batch_sites where id = ?", [site_id]))
                if not site or site[0]["status"] in ("done", "failed"):
                    return False, site[0]["run_id"] if site else None
            run_id = None
            if rows is not None:
                columns = set(SCHEMA["runs"]) - {"id"}
                run = {k: v for k, v in rows["run"].items() if k in columns}
                given = self.given_name(run.get("start_url") or "") if site_id is None else (list(self.db.query(
                    "select name from batch_sites where id = ?", [site_id])) or [{}])[0].get("name")
                if given:  # the sites list's name, as `oit batch` names the run, rather than the worker's title
                    run["name"] = given
                run_id = int(self.db["runs"].insert({**run, "batch_id": batch_id}).last_pk)
                for linkset in rows.get("linksets", []):
                    self.db.execute("insert or ignore into linksets (hash, links) values (?, ?)",
                                    [linkset["hash"], linkset["links"]])
                for table in RUN_TABLES:
                    allowed = set(SCHEMA[table]) - {"id"}
                    self.db[table].insert_all(
                        {**{k: v for k, v in row.items() if k in allowed}, "run_id": run_id}
                        for row in rows.get(table, []))
            if site_id is not None:
                self.db["batch_sites"].update(site_id, {"status": "failed" if error else "done", "run_id": run_id,
                                                        "error": error, "finished_at": now()})
        return True, run_id

    def get(self, url: str) -> dict | None:
        """A document read in an earlier run (DocumentCache)."""
        rows = list(self.db.query("select * from documents where url = ?", [url]))
        return rows[0] if rows else None

    def put(self, url: str, row: dict) -> None:
        """Keep a document's text for later runs (DocumentCache)."""
        with self._write():
            self.db["documents"].upsert({"url": url, **row, "fetched_at": now()}, pk="url")

    def queue_scan(self, url: str, name: str, checklist: str) -> int:
        """A scan asked for in the web app, kept until it starts (a restart runs it then)."""
        with self._write():
            return int(self.db["web_queue"].insert({"url": url, "name": name, "checklist": checklist,
                                                    "asked_at": now()}).last_pk)

    def unqueue_scan(self, queue_id: int) -> None:
        """A queued scan has started (or was asked twice): no longer kept for a restart."""
        with self._write():
            self.db.execute("delete from web_queue where id = ?", [queue_id])

    def queued_scans(self) -> list[dict]:
        """The scans asked for in the web app and not started yet, in their order."""
        return list(self.db.query("select * from web_queue order by id"))

    def latest_run(self) -> int | None:
        """The newest finished run, if any."""
        rows = list(self.db.query("select id from runs where status = 'finished' order by id desc limit 1"))
        return rows[0]["id"] if rows else None

    def run(self, run_id: int) -> dict | None:
        """A run's row, or None."""
        rows = list(self.db.query("select * from runs where id = ?", [run_id]))
        return rows[0] if rows else None

    def results(self, run_id: int) -> list[dict]:
        """A run's item results, in checklist order."""
        return list(self.db.query("select * from results where run_id = ? order by id", [run_id]))

    # listings (the web app's pages) -----------------------------------------------------------

    def max_run_id(self) -> int:
        """The highest run id so far (0 in an empty database)."""
        row = self.db.execute("select coalesce(max(id), 0) from runs").fetchone()
        return int(row[0])

    def first_run_after(self, start_url: str, after: int) -> int | None:
        """The first run of a site started after run id `after` (the scan a caller just began)."""
        row = self.db.execute("select min(id) from runs where start_url = ? and id > ?", [start_url, after]).fetchone()
        return row[0] if row and row[0] is not None else None

    def recent_runs(self, limit: int = 30) -> list[dict]:
        """The newest runs, finished or not, each with `counts` of its items' statuses ({} unless finished)."""
        return self._with_counts(self.db.query(
            "select id, batch_id, start_url, site, name, year, started_at, finished_at, pages_fetched, stop_reason, "
            "status from runs order by id desc limit ?", [limit]))

    def site_history(self, start_url: str) -> list[dict]:
        """Every run of one site, newest first, each with `counts` as in `recent_runs`."""
        return self._with_counts(self.db.query(
            "select id, batch_id, start_url, year, started_at, finished_at, pages_fetched, stop_reason, status "
            "from runs where start_url = ? order by id desc", [start_url]))

    def _with_counts(self, runs: Iterator[dict]) -> list[dict]:
        """Run rows, each given `counts` of its items' statuses when it finished ({} otherwise)."""
        out = list(runs)
        for r in out:
            r["counts"] = self.status_counts(r["id"]) if r["status"] == "finished" else {}
        return out

    def latest_run_name(self, start_url: str) -> str:
        """The name of a site's latest run that has one ('' when none has)."""
        row = self.db.execute("select name from runs where start_url = ? and name != '' order by id desc limit 1",
                              [start_url]).fetchone()
        return row[0] if row else ""

    def home_page(self, run_id: int) -> dict:
        """The home page row of a run (title, status, error), {} when it was never fetched."""
        rows = list(self.db.query("select title, status, error from pages where run_id = ? and depth = 0 "
                                  "order by id limit 1", [run_id]))
        return rows[0] if rows else {}

    def recent_batches(self, limit: int = 20) -> list[dict]:
        """The newest batches' rows, newest first."""
        return list(self.db.query("select * from batches order by id desc limit ?", [limit]))

    def unfinished_batches(self) -> list[dict]:
        """The rows of every batch still running (or left running by a crash), oldest first."""
        return list(self.db.query("select * from batches where status = 'running' order by id"))

    # batches -------------------------------------------------------------------------------

    def open_batch(self, csv_path: str) -> int | None:
        """The unfinished batch of this CSV (a crash or Ctrl-C left it), to resume."""
        rows = list(self.db.query("select id from batches where csv_path = ? and status = 'running' "
                                  "order by id desc limit 1", [csv_path]))
        return rows[0]["id"] if rows else None

    def start_batch(self, csv_path: str, name: str, settings: dict, sites: list[dict]) -> int:
        """A new batch with its sites, all pending; returns its id. All or nothing: a batch resumed after
        a crash has every site of its CSV."""
        with self._write():
            batch_id = int(self.db["batches"].insert({
                "csv_path": csv_path, "name": name, "settings": json.dumps(settings, ensure_ascii=False),
                "started_at": now(), "status": "running", "sites": len(sites)}).last_pk)
            self.db["batch_sites"].insert_all({"batch_id": batch_id, "status": "pending", **site} for site in sites)
        return batch_id

    def batch(self, batch_id: int) -> dict | None:
        """A batch's row, or None."""
        rows = list(self.db.query("select * from batches where id = ?", [batch_id]))
        return rows[0] if rows else None

    def batch_sites(self, batch_id: int) -> list[dict]:
        """A batch's sites in CSV order."""
        return list(self.db.query("select * from batch_sites where batch_id = ? order by id", [batch_id]))

    def site_started(self, site_id: int) -> None:
        """A batch site is being scanned."""
        with self._write():
            self.db["batch_sites"].update(site_id, {"status": "running", "started_at": now(), "error": None})

    def site_done(self, site_id: int, run_id: int | None, error: str | None) -> None:
        """Committed before the site is reported done: a crash after this never redoes it."""
        with self._write():
            self.db["batch_sites"].update(site_id, {"status": "failed" if error else "done", "run_id": run_id,
                                                    "error": error, "finished_at": now()})

    def count_deaths(self, batch_id: int) -> list[str]:
        """Sites of this batch whose scan died with its process (its run left 'running' by a process that is gone:
        the OOM killer, kill -9) count one more death; one that died MAX_DEATHS times is failed with why, never
        retried. Returns the URLs given up. Called before the runs of dead processes are marked interrupted."""
        if os.name == "nt":
            return []
        host, given_up = socket.gethostname(), []
        rows = self.db.query(
            "select s.id, s.url, coalesce(s.deaths, 0) as deaths, r.id as run_id, r.owner from batch_sites s "
            "join runs r on r.id = (select max(id) from runs where start_url = s.url and batch_id = s.batch_id) "
            "where s.batch_id = ? and s.status = 'running' and r.status = 'running'", [batch_id])
        with self._write():
            for row in list(rows):
                owner_host, _, pid = (row["owner"] or "").rpartition(":")
                if owner_host == host and pid.isdigit() and _alive(int(pid)):
                    continue  # still scanning
                deaths = row["deaths"] + 1
                change: dict[str, Any] = {"deaths": deaths}
                if deaths >= MAX_DEATHS:
                    given_up.append(row["url"])
                    change.update(status="failed", run_id=row["run_id"], finished_at=now(), error=(
                        f"โปรเซสที่ตรวจเว็บไซต์นี้ตายระหว่างตรวจ {deaths} ครั้ง (หน่วยความจำไม่พอหรือถูกหยุดด้วย kill) "
                        f"จึงไม่ตรวจซ้ำอีก (the process scanning this site died {deaths} times: given up)"))
                self.db["batch_sites"].update(row["id"], change)
        return given_up

    def abandon_interrupted(self, batch_id: int) -> int:
        """Runs of this batch a crash left 'running' become 'failed/interrupted'; their sites are redone."""
        with self._write():
            n = self.db.execute("update runs set status = 'failed', stop_reason = 'interrupted', finished_at = ? "
                                "where batch_id = ? and status = 'running'", [now(), batch_id]).rowcount
            self.db.execute("update batch_sites set status = 'pending' where batch_id = ? and status = 'running'",
                            [batch_id])
        return n

    def finish_batch(self, batch_id: int) -> None:
        """Every site of the batch is done or failed."""
        with self._write():
            self.db["batches"].update(batch_id, {"status": "finished", "finished_at": now()})

    def previous_batch(self, batch_id: int) -> int | None:
        """The finished batch of the same CSV before this one."""
        b = self.batch(batch_id)
        rows = list(self.db.query("select id from batches where csv_path = ? and status = 'finished' and id < ? "
                                  "order by id desc limit 1", [b["csv_path"] if b else "", batch_id]))
        return rows[0]["id"] if rows else None

    def latest_batch(self) -> int | None:
        """The newest batch, finished or not."""
        rows = list(self.db.query("select id from batches order by id desc limit 1"))
        return rows[0]["id"] if rows else None

    def batch_run(self, start_url: str, batch_id: int) -> int | None:
        """The latest run of a site within a batch (finished or failed)."""
        rows = list(self.db.query("select id from runs where start_url = ? and batch_id = ? order by id desc limit 1",
                                  [start_url, batch_id]))
        return rows[0]["id"] if rows else None

    def status_counts(self, run_id: int) -> dict[str, int]:
        """How many items of a run have each status."""
        return dict(self.db.execute("select status, count(*) from results where run_id = ? group by status",
                                    [run_id]).fetchall())

    def site_runs(self, start_url: str) -> list[int]:
        """Finished runs of one site, newest first."""
        return [r["id"] for r in self.db.query(
            "select id from runs where start_url = ? and status = 'finished' order by id desc", [start_url])]

    def evidence(self, run_id: int) -> list[dict]:
        """A run's evidence rows, by item and rank."""
        return list(self.db.query("select * from evidence where run_id = ? order by item, rank", [run_id]))

    def result(self, run_id: int) -> ResultDoc:
        """The oit-result/1 document of a stored run, evidence best first."""
        run = self.run(run_id)
        if run is None:
            raise StoreError(f"no run {run_id} in {self.path}")
        evidence: dict[str, list] = {}
        decided = self.decisions(run_id)
        for e in self.evidence(run_id):
            evidence.setdefault(e["item"], []).append({
                "url": e["url"], "found_on": e["found_on"], "text": e["snippet"],
                "click_path": json.loads(e["click_path"] or "[]"), "score": e["score"],
                "matched_terms": json.loads(e["matched_terms"] or "[]"), "check": e["check_note"],
            })
        items: list[ItemDoc] = [{
            "id": r["item"], "title": r["title"], "status": r["status"], "reason": r["reason"], "score": r["score"],
            "period": {"expected": r["period_expected"], "found": r["period_found"], "where": r["period_where"],
                       "year": r["found_year"]},
            "missing_elements": json.loads(r["missing_elements"] or "[]"),
            "evidence": evidence.get(r["item"], []),
            "confirmed": r.get("confirmed") != 0} for r in self.results(run_id)]  # NULL: a run from before (2565)
        for item in items:  # the admin's decision: a mark beside the status, never a change of it
            if (decision := decided.get(item["id"])) is not None:
                item["accepted"] = decision
        settings = json.loads(run["settings"] or "{}")
        status = run.get("checklist_status") or "final"
        list_year = settings.get("checklist_year") or run["year"]  # a run from before: the list judged its own year
        return {
            "schema": RESULT_SCHEMA, "run_id": run["id"], "site": {"url": run["start_url"], "host": run["site"],
                                                                 "name": run.get("name") or ""},
            "checklist": {"name": run["checklist"], "year": list_year, "version": run["checklist_version"],
                          "status": status, "file": settings.get("checklist_file")},
            "assessment_year": run["year"], "scan_date": settings.get("today"),
            "basis": settings.get("basis") or basis_th(list_year, status == "draft", run["year"]),
            "started_at": run["started_at"], "finished_at": run["finished_at"],
            "pages_fetched": run["pages_fetched"], "requests": run["requests"], "stop_reason": run["stop_reason"],
            "findings": json.loads(run["findings"] or "[]"), "settings": settings,
            "summary": dict(Counter(i["status"] for i in items)), "items": items,
        }

    def links(self, run_id: int) -> list[dict]:
        """Every link of a run's stored pages (from_url, to_url, text, context); none once the run is pruned."""
        return list(self.db.query("select from_url, to_url, text, context from links where run_id = ?", [run_id]))

    # an admin's decisions on items -----------------------------------------------------------

    def fingerprint(self, run_id: int, item: str, url: str) -> str:
        """What an accepted item's decision rests on in a run: the accepted URL's content when it is among the
        item's evidence (a document's sha1; a page's status, size, links and title; an off-site link's check),
        else the item's status (an item accepted without that link holds while it stays as it was)."""
        ev = self.db.execute("select check_note, snippet from evidence where run_id = ? and item = ? and url = ? "
                             "limit 1", [run_id, item, url]).fetchone()
        if ev is None:
            row = self.db.execute("select status from results where run_id = ? and item = ?", [run_id, item]).fetchone()
            return f"absent:{row[0] if row else ''}"
        doc = self.db.execute("select sha1 from documents where url = ? and sha1 != ''", [url]).fetchone()
        if doc:
            return f"document:{doc[0]}"
        page = self.db.execute("select status, coalesce(text_hash, bytes), links_hash, title from pages where "
                               "run_id = ? and (url = ? or final_url = ?) order by id limit 1",
                               [run_id, url, url]).fetchone()
        basis = f"page:{tuple(page)}" if page else f"link:{ev[0] or ''}|{ev[1] or ''}"
        return "evidence:" + hashlib.sha1(basis.encode("utf-8")).hexdigest()

    def accept(self, run_id: int, item: str, url: str, note: str) -> dict:
        """Record an admin's acceptance of an item as it stands in a run (its status is kept: never `found`);
        later runs of the site keep it while `fingerprint` is unchanged. Returns the decision."""
        run = self.run(run_id)
        if run is None:
            raise StoreError(f"ไม่พบผลการตรวจหมายเลข {run_id} ใน {self.path}")
        row = self.db.execute("select status from results where run_id = ? and item = ?", [run_id, item]).fetchone()
        if row is None:
            raise StoreError(f"ไม่มีข้อ {item} ในผลการตรวจหมายเลข {run_id}")
        decision = {"url": run["start_url"], "item": item, "evidence_url": url, "note": note.strip()[:1000],
                    "evidence_hash": self.fingerprint(run_id, item, url), "status": row[0], "run_id": run_id,
                    "decided_at": now()}
        with self._write():
            self.db.execute("update decisions set withdrawn_at = ?, withdrawn_why = 'replaced' where url = ? and "
                            "item = ? and withdrawn_at is null", [decision["decided_at"], run["start_url"], item])
            decision["id"] = int(self.db["decisions"].insert(decision).last_pk)
        return decision

    def run_with_evidence(self, item: str, url: str) -> int | None:
        """The newest finished run whose evidence for `item` includes `url`."""
        row = self.db.execute("select e.run_id from evidence e join runs r on r.id = e.run_id where e.item = ? "
                              "and e.url = ? and r.status = 'finished' order by e.run_id desc limit 1",
                              [item, url]).fetchone()
        return row[0] if row else None

    def decisions(self, run_id: int) -> dict[str, dict]:
        """The admin's decisions that hold for a run, by item: made on this run or an earlier one of its site,
        not replaced, and the evidence they rest on unchanged in this run."""
        run = self.run(run_id)
        if run is None or not self.has("decisions"):
            return {}
        out = {}
        for d in self.db.query("select * from decisions where url = ? and run_id <= ? and withdrawn_at is null "
                               "order by id", [run["start_url"], run_id]):
            if d["run_id"] == run_id or self.fingerprint(run_id, d["item"], d["evidence_url"]) == d["evidence_hash"]:
                out[d["item"]] = {"note": d["note"], "at": d["decided_at"], "url": d["evidence_url"],
                                  "run_id": d["run_id"], "status": d["status"]}
        return out

    # the archive's index (crawler/archive.py writes the WARC files it points into) -------------------

    def ensure_archive(self) -> None:
        """The archive's index tables, created if missing."""
        with self._write():
            for sql in ARCHIVE_SCHEMA:
                self.db.execute(sql)

    def has_archive(self) -> bool:
        """Whether the database has an archive index (a run was ever archived into it)."""
        return self.has("archive_runs")

    def archived_latest(self, url: str) -> int | None:
        """The newest archived record of a URL (its last download), or None."""
        row = self.db.execute("select id from archive_records where url = ? order by id desc limit 1",
                              [url]).fetchone()
        return row[0] if row else None

    def archived(self, url: str, digest: str) -> int | None:
        """The archived record of a URL with this payload digest, or None."""
        row = self.db.execute("select id from archive_records where url = ? and digest = ?", [url, digest]).fetchone()
        return row[0] if row else None

    def add_archive_records(self, rows: list[dict]) -> list[int]:
        """Index records just written to a WARC file, in one transaction; returns their ids (a URL and digest
        indexed already keeps its record)."""
        ids = []
        with self._write():
            for r in rows:
                self.db.execute("insert or ignore into archive_records (url, digest, file, offset, length, "
                                "content_type, status, bytes, captured_at, truncated) values (?,?,?,?,?,?,?,?,?,?)",
                                [r["url"], r["digest"], r["file"], r["offset"], r["length"], r["content_type"],
                                 r["status"], r["bytes"], r["captured_at"], r["truncated"]])
                ids.append(self.db.execute("select id from archive_records where url = ? and digest = ?",
                                           [r["url"], r["digest"]]).fetchone()[0])
        return ids

    def keep_archive_set(self, run_id: int, ids: list[int], new_records: int, new_bytes: int, notes: dict) -> int:
        """The records a run read, as a set stored once by hash, and the run's row pointing to it, in one
        transaction; records pruned since they were looked up are left out. Returns how many were."""
        wanted = sorted(set(ids))
        with self._write():
            alive = wanted
            if wanted:
                marks = ",".join("?" * len(wanted))
                kept = {r[0] for r in self.db.execute(f"select id from archive_records where id in ({marks})",
                                                      wanted).fetchall()}
                alive = sorted(kept)
            records = json.dumps(alive)
            set_hash = hashlib.sha1(records.encode()).hexdigest()
            self.db.execute("insert or ignore into archive_sets (hash, records) values (?, ?)", [set_hash, records])
            self.db.execute("insert or replace into archive_runs (run_id, set_hash, captured_at, new_records, "
                            "new_bytes, notes) values (?,?,?,?,?,?)",
                            [run_id, set_hash, now(), new_records, new_bytes, json.dumps(notes, ensure_ascii=False)])
        return len(wanted) - len(alive)

    def archive_records(self, run_id: int) -> list[dict]:
        """The archived records a run read (URL, digest, file, offset ...), in the order they were stored."""
        if not self.has_archive():
            return []
        row = self.db.execute("select s.records from archive_runs r join archive_sets s on s.hash = r.set_hash "
                              "where r.run_id = ?", [run_id]).fetchone()
        ids = json.loads(row[0]) if row else []
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return list(self.db.query(f"select * from archive_records where id in ({marks}) order by id", ids))

    def prune_archive_index(self) -> list[dict]:
        """Drop, in one transaction, the archive rows of pruned or deleted runs, the sets no run refers to and the
        records no set refers to; returns the records dropped (id, file)."""
        with self._write():
            self.db.execute("delete from archive_runs where run_id in (select id from runs where pruned_at is not "
                            "null) or run_id not in (select id from runs)")
            self.db.execute("delete from archive_sets where hash not in (select set_hash from archive_runs)")
            used: set[int] = set()
            for row in self.db.query("select records from archive_sets"):
                used.update(json.loads(row["records"]))
            dead = [r for r in self.db.query("select id, file from archive_records") if r["id"] not in used]
            for r in dead:
                self.db.execute("delete from archive_records where id = ?", [r["id"]])
        return dead

    def archive_file_records(self, file: str) -> list[dict]:
        """The records one archive file keeps (id, offset, length), by offset."""
        return list(self.db.query("select id, offset, length from archive_records where file = ? order by offset",
                                  [file]))

    def move_archive_records(self, moved: list[tuple[int, int]]) -> None:
        """The new offsets of records in a rewritten archive file ((offset, id) pairs), in one transaction."""
        with self._write():
            for offset, rid in moved:
                self.db.execute("update archive_records set offset = ? where id = ?", [offset, rid])

    # retention ------------------------------------------------------------------------------

    def prune(self, keep_runs: int | None = None, older_than_days: float | None = None) -> dict[str, int]:
        """Drop the crawl detail (pages and their links) of old runs; results and evidence always stay.

        A run is pruned when it is not among the `keep_runs` newest finished runs of its site and
        (with `older_than_days`) started before that many days ago. The runs of each batch's latest
        batch, and running runs, are never pruned.
        """
        if keep_runs is None and older_than_days is None:
            raise StoreError("prune needs --keep-runs N or --older-than DAYS")
        keep: set[int] = set()
        if keep_runs is not None:
            kept: Counter[str] = Counter()
            for row in self.db.query("select id, start_url from runs where status = 'finished' order by id desc"):
                if kept[row["start_url"]] < keep_runs:
                    kept[row["start_url"]] += 1
                    keep.add(row["id"])
        for batch_id in self._latest_batches():
            keep.update(r["run_id"] for r in self.batch_sites(batch_id) if r["run_id"])
        where, args = "status != 'running' and pruned_at is null", []
        if older_than_days is not None:
            cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
            where += " and started_at < ?"
            args.append(cutoff.isoformat(timespec="seconds"))
        runs = [r["id"] for r in self.db.query(f"select id from runs where {where}", args) if r["id"] not in keep]
        with self._write():
            pages = old_links = 0
            migrated = "links_v1" in self.db.table_names()  # the link rows of a database from before link sets
            for run_id in runs:
                pages += self.db.execute("delete from pages where run_id = ?", [run_id]).rowcount
                if migrated:
                    old_links += self.db.execute("delete from links_v1 where run_id = ?", [run_id]).rowcount
                self.db["runs"].update(run_id, {"pruned_at": now()})
            linksets = self.db.execute("delete from linksets where hash not in "
                                       "(select links_hash from pages where links_hash is not null)").rowcount
        return {"runs": len(runs), "pages": pages, "linksets": linksets, "old_links": old_links}

    def _latest_batches(self) -> list[int]:
        """The latest batch of each list of sites: of each sites CSV for `oit batch`; for the web app, whose
        every upload is a new file, of each set of sites (the same list uploaded again is the same list)."""
        latest: dict[object, int] = {}
        for b in self.db.query("select id, csv_path, settings from batches order by id"):
            try:
                web = bool(json.loads(b["settings"] or "{}").get("web"))
            except (ValueError, AttributeError):
                web = False
            if web:
                urls = sorted({r["url"] for r in self.db.query(
                    "select url from batch_sites where batch_id = ?", [b["id"]])})
                key: object = ("web", hashlib.sha1("\n".join(urls).encode()).hexdigest())
            else:
                key = ("csv", b["csv_path"])
            latest[key] = b["id"]
        return list(latest.values())

    def vacuum(self) -> None:
        """Give the space of deleted rows back to the disk."""
        self.db.execute("vacuum")

    def close(self) -> None:
        """Close the database (a store made for one site's run, in memory, once its rows are exported)."""
        self.db.close()
