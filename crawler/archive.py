"""The evidence as it stood: a WARC copy of what each verdict read, deduplicated by content across runs.

During a scan every answer the fetcher gets is spooled (as it came, in a temporary file beside the archive:
the crawl keeps no page bytes); when the verdicts are known, the answers they read (each evidence URL, the
page that lists it, the document) become WARC response records (warcio). A record is stored once per
(URL, payload digest): a later run that read the same bytes refers to the stored record, so a nightly scan
of an unchanged site writes no WARC file at all and adds one small row. A document answered 304 (unchanged
since the last run) refers to the record of its last download.

Where: `archive/` beside the database, one file per run that had something new
(`archive/<host>/run-<id>.warc.gz`, one gzip member per record), indexed in the database (by `Store`):
`archive_records` (one row per stored record: file, offset, length), `archive_sets` (the records a run read,
stored once by hash, shared by runs that read the same) and `archive_runs` (run -> set). `oit archive --run N`
writes one self-contained WARC of a run (every record copied from where it lives); `oit prune` drops the
archive of the runs it prunes and rewrites or deletes the files nothing refers to any more.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import os
import tempfile
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from . import __version__
from .models import MONTHS_TH_SHORT, ItemResult
from .urls import canonical

if TYPE_CHECKING:
    from .config import Options
    from .fetch import Response
    from .store import Store

ARCHIVE_DIR = "archive"  # beside the database
MAX_RECORD = 5_000_000  # bytes of one archived answer (pages are read up to 5 MB, documents up to 3 MB)
MAX_SITE = 50_000_000  # new bytes archived per run (site); beyond it the rest is not archived (said in findings)
GZIP_LEVEL = 6  # of the WARC records that compress: 2-3 times faster than 9 for a few per cent more bytes
SAMPLE = 65_536  # bytes of a body tried to see whether it compresses (else its gzip member stores it as it is)
MAX_SPOOL = 200_000_000  # bytes spooled per run while crawling (uncompressed: most are never read again)
# answer headers not kept: the body is stored decoded, and cookies are the server's business
_DROP = {"content-encoding", "transfer-encoding", "content-length", "set-cookie", "connection", "keep-alive"}

def digest_of(body: bytes) -> str:
    """The WARC payload digest: 'sha1:' and base32, as warcio writes it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def archive_dir(db: str | Path) -> Path:
    return Path(db).resolve().parent / ARCHIVE_DIR


# ------------------------------------------------------------------------------------------ at scan time


@dataclass
class _Spooled:
    offset: int
    length: int
    url: str  # the URL answered (after redirects)
    status: int
    headers: dict[str, str]
    fetched_at: str
    truncated: bool
    size: int


@dataclass
class Spool:
    """Every answer of one scan, in a temporary file, until the verdicts say which were read."""

    folder: Path
    index: dict[str, _Spooled] = field(default_factory=dict)
    unchanged: set[str] = field(default_factory=set)  # URLs answered 304 (their bytes are in an earlier run)
    full: bool = False

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._file = tempfile.TemporaryFile(dir=self.folder, prefix="spool-")  # noqa: SIM115 closed by close(); gone with the process
        self._size = 0

    def add(self, resp: Response) -> None:
        """The fetcher's tap: keep an answer with a body (2xx), note a 304."""
        key = canonical(resp.url)
        if resp.status == 304:
            self.unchanged.update({key, canonical(resp.final_url)})
            return
        if not resp.ok or not resp.content or len(resp.content) > MAX_RECORD or self.full:
            return
        data = resp.content  # not compressed: the few the verdicts read are, in the WARC
        if self._size + len(data) > MAX_SPOOL:
            self.full = True
            return
        try:
            self._file.seek(0, os.SEEK_END)
            self._file.write(data)
        except OSError:  # a full disk: the scan goes on without its archive (the database says the disk is full)
            self.full = True
            return
        entry = _Spooled(self._size, len(data), resp.final_url or resp.url, resp.status, dict(resp.headers),
                         datetime.now(UTC).isoformat(timespec="seconds"), resp.truncated, len(resp.content))
        self._size += len(data)
        for u in {key, canonical(resp.final_url or resp.url)}:
            self.index[u] = entry

    def body(self, entry: _Spooled) -> bytes:
        self._file.seek(entry.offset)
        return self._file.read(entry.length)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()


@contextlib.asynccontextmanager
async def spooling(db: str | Path, options: Options) -> AsyncIterator[Spool | None]:
    """The scan's spool beside the database's archive, closed at the end; None when the archive is off
    (`--no-archive`) or the database is in memory (the workers of the distributed run)."""
    if not options.archive or ":memory:" in (str(db), str(options.db)):
        yield None
        return
    spool = Spool(archive_dir(db) / ".spool")
    try:
        yield spool
    finally:
        spool.close()


def keep(store: Store, run_id: int, spool: Spool, results: list[ItemResult], site: str) -> list[str]:
    """`commit`, whose failure (a full disk) is a finding of the run, never its end: the archive is a copy."""
    try:
        return commit(store, run_id, spool, results, site)
    except OSError as e:
        return [f"archive: not written ({e})"]


def read_urls(results: list[ItemResult]) -> list[str]:
    """What the verdicts read, in item order: each evidence URL and the page that lists it."""
    urls: dict[str, None] = {}
    for r in results:
        for ev in r.evidence:
            for u in (ev.url, ev.found_on):
                if u and urlsplit(u).scheme in ("http", "https"):
                    urls.setdefault(u)
    return list(urls)


def _http_headers(entry: _Spooled, size: int) -> StatusAndHeaders:
    headers = [(k, v) for k, v in entry.headers.items() if k.lower() not in _DROP]
    headers.append(("Content-Length", str(size)))
    return StatusAndHeaders(f"{entry.status} OK" if entry.status == 200 else str(entry.status), headers,
                            protocol="HTTP/1.1")


def _record_bytes(url: str, body: bytes, entry: _Spooled) -> bytes:
    """One gzip member holding one WARC response record."""
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    warc_headers = {"WARC-Date": entry.fetched_at.replace("+00:00", "Z")}
    if entry.truncated:
        warc_headers["WARC-Truncated"] = "length"
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                      http_headers=_http_headers(entry, len(body)),
                                      warc_headers_dict=warc_headers)
    writer.write_record(record)
    return _gzip_member(buf.getvalue(), GZIP_LEVEL if _compressible(body) else 0)


def _warcinfo(filename: str, info: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    writer.write_record(writer.create_warcinfo_record(filename, {"software": f"oit/{__version__}", **info}))
    return _gzip_member(buf.getvalue())


def _compressible(body: bytes) -> bool:
    """Whether deflating the body gains: its first SAMPLE bytes shrink by a tenth at least (a page does; most PDFs,
    Office files and images are compressed already, and deflating them again costs ~17 ms of CPU per MB for ~1 %)."""
    sample = body[:SAMPLE]
    return len(zlib.compress(sample, 1)) < 0.9 * len(sample)


def _gzip_member(record: bytes, level: int = GZIP_LEVEL) -> bytes:
    """A WARC record as one gzip member (warcio's own writer takes the slowest level, 9, for everything)."""
    z = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS + 16)
    return z.compress(record) + z.flush()


def commit(store: Store, run_id: int, spool: Spool, results: list[ItemResult], site: str) -> list[str]:
    """Archive what the run's verdicts read; returns findings (caps reached, answers not spooled)."""
    store.ensure_archive()
    folder = archive_dir(store.path)
    rel_name = f"{_safe(site)}/run-{run_id}.warc.gz"
    path = folder / rel_name
    ids: list[int] = []
    new_records, new_bytes, missing, capped = 0, 0, [], 0
    pending: list[tuple[str, str, _Spooled, bytes]] = []
    for url in read_urls(results):
        key = canonical(url)
        entry = spool.index.get(key)
        if entry is None:
            if key in spool.unchanged:  # 304: the bytes of the last download of this URL
                last = store.archived_latest(url)
                if last is not None:
                    ids.append(last)
                    continue
            missing.append(url)
            continue
        body = spool.body(entry)
        digest = digest_of(body)
        known = store.archived(url, digest)
        if known is not None:
            ids.append(known)
            continue
        if new_bytes + len(body) > MAX_SITE:
            capped += 1
            continue
        new_bytes += len(body)
        pending.append((url, digest, entry, body))
    if pending:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as out:
            if out.tell() == 0:
                out.write(_warcinfo(path.name, {"isPartOf": f"oit run {run_id}", "description": site}))
            rows = []
            for url, digest, entry, body in pending:
                data = _record_bytes(url, body, entry)
                rows.append({"url": url, "digest": digest, "file": rel_name, "offset": out.tell(),
                             "length": len(data), "content_type": entry.headers.get("content-type", ""),
                             "status": entry.status, "bytes": len(body), "captured_at": entry.fetched_at,
                             "truncated": int(entry.truncated)})
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        ids += store.add_archive_records(rows)
        new_records += len(rows)
    findings = []
    if capped:
        findings.append(f"archive: {capped} pieces of evidence not archived (over {MAX_SITE // 1_000_000} MB a site)")
    if spool.full:
        findings.append(f"archive: the scan's answers passed {MAX_SPOOL // 1_000_000} MB; later ones not archived")
    notes = {"not_archived": missing[:50]} if missing else {}
    # a record pruned since it was looked up (`oit prune` running beside the scan) is left out
    if pruned := store.keep_archive_set(run_id, ids, new_records, new_bytes, notes):
        findings.append(f"archive: {pruned} copies were pruned while this scan ran")
    return findings


def _safe(site: str) -> str:
    host = urlsplit(site if "://" in site else f"http://{site}").netloc or site
    return "".join(ch if ch.isalnum() or ch in ".-_" else "_" for ch in host)[:100] or "site"


# --------------------------------------------------------------------------------------------- reading


def run_records(store: Store, run_id: int) -> list[dict]:
    """The archived records a run read (URL, digest, file, offset ...), in the order they were stored."""
    return store.archive_records(run_id)


def _member(store: Store, rec: dict) -> bytes:
    path = archive_dir(store.path) / rec["file"]
    with open(path, "rb") as f:
        f.seek(rec["offset"])
        return f.read(rec["length"])


def find(store: Store, run_id: int, url: str) -> dict | None:
    """The run's record of a URL (compared canonically), or None."""
    key = canonical(url)
    return next((r for r in run_records(store, run_id) if r["url"] == url or canonical(r["url"]) == key), None)


def payload(store: Store, rec: dict) -> tuple[bytes, str]:
    """(body, content type) of a stored record."""
    for record in ArchiveIterator(io.BytesIO(_member(store, rec))):
        if record.rec_type == "response":
            ctype = record.http_headers.get_header("Content-Type") if record.http_headers else None
            return record.content_stream().read(), ctype or rec.get("content_type") or "application/octet-stream"
    raise OSError(f"archive record {rec['id']} unreadable")


def export(store: Store, run_id: int) -> bytes:
    """One self-contained WARC (gzip members) of what a run read: a warcinfo record, then every response."""
    records = run_records(store, run_id)
    run = store.run(run_id) or {}
    out = [_warcinfo(f"oit-run-{run_id}.warc.gz", {"isPartOf": f"oit run {run_id}",
                                                   "description": str(run.get("start_url") or "")})]
    out += [_member(store, rec) for rec in records]
    return b"".join(out)


def copies(store: Store, run_id: int) -> dict[str, str]:
    """canonical URL -> the archived URL as stored, for the run's records."""
    return {canonical(r["url"]): r["url"] for r in run_records(store, run_id)}


def short_date(iso: object) -> str:
    """'2027-03-12T03:00:00+00:00' -> '12 มี.ค. 2570' (Bangkok day)."""
    from datetime import timedelta, timezone
    try:
        dt = datetime.fromisoformat(str(iso)).astimezone(timezone(timedelta(hours=7)))
    except (TypeError, ValueError):
        return ""
    return f"{dt.day} {MONTHS_TH_SHORT[dt.month - 1]} {dt.year + 543}"


def copy_url(base: str, run_id: int, url: str) -> str:
    from urllib.parse import quote
    return f"{base.rstrip('/')}/runs/{run_id}/archive?url={quote(url, safe='')}"


def annotate(doc: dict, store: Store, base: str = "") -> dict:
    """Give each evidence of a result document that has an archived copy `archive` (the copy's URL on
    `oit serve`, `base` its address; '' for links inside the app) and `archive_label` (Thai, with the date)."""
    run_id = doc.get("run_id")
    if not isinstance(run_id, int):
        return doc
    have = copies(store, run_id)
    if not have:
        return doc
    label = f"สำเนา ณ วันที่ตรวจ {short_date(doc.get('started_at'))}".strip()
    for it in doc.get("items") or []:
        for ev in it.get("evidence") or []:
            if isinstance(ev, dict) and isinstance(ev.get("url"), str) and canonical(ev["url"]) in have:
                ev["archive"] = copy_url(base, run_id, have[canonical(ev["url"])])
                ev["archive_label"] = label
    return doc


# ------------------------------------------------------------------------------------------- retention


def prune(store: Store) -> dict[str, int]:
    """Drop the archive of pruned runs (`runs.pruned_at`), then the records no run refers to: a file keeping
    none is deleted, a file keeping some is rewritten with those only. The rows go in one transaction (a scan
    storing its archive meanwhile either sees them gone, or its set is counted as in use)."""
    if not store.has_archive():
        return {"records": 0, "files": 0, "bytes": 0}
    folder = archive_dir(store.path)
    dead = store.prune_archive_index()
    freed, removed = 0, 0
    for rel in sorted({r["file"] for r in dead}):
        keep = store.archive_file_records(rel)
        path = folder / rel
        before = path.stat().st_size if path.exists() else 0
        if not keep:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            removed += 1
            freed += before
            continue
        tmp = path.with_name(path.name + ".tmp")
        moved = []
        with open(path, "rb") as src, open(tmp, "wb") as out:
            out.write(_warcinfo(path.name, {"description": "compacted by oit prune"}))
            for r in keep:
                src.seek(r["offset"])
                data = src.read(r["length"])
                moved.append((out.tell(), r["id"]))
                out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
        store.move_archive_records(moved)
        freed += before - path.stat().st_size
    return {"records": len(dead), "files": removed, "bytes": freed}


def size_on_disk(db: str | Path) -> int:
    """Bytes of the archive folder beside a database."""
    folder = archive_dir(db)
    return sum(p.stat().st_size for p in folder.rglob("*.warc.gz")) if folder.exists() else 0
