"""Listings the web pages need that `Store` has no method for (recent runs, a site's history, names).

Read-only queries on the Store's database, plus one table of the web app's own (`site_names`: the name
an admin typed for a site). Runs, pages, results and batches are written only by `Store`.
"""

from __future__ import annotations

from ..store import Store


def max_run_id(store: Store) -> int:
    row = store.db.execute("select coalesce(max(id), 0) from runs").fetchone()
    return int(row[0])


def run_after(store: Store, start_url: str, after: int) -> int | None:
    """The first run of a site started after run id `after` (the scan this server just began)."""
    row = store.db.execute("select min(id) from runs where start_url = ? and id > ?", [start_url, after]).fetchone()
    return row[0] if row and row[0] is not None else None


def recent_runs(store: Store, limit: int = 30) -> list[dict]:
    """The newest runs, finished or not, with their counts of each status."""
    runs = list(store.db.query(
        "select id, batch_id, start_url, site, year, started_at, finished_at, pages_fetched, stop_reason, status "
        "from runs order by id desc limit ?", [limit]))
    for r in runs:
        r["counts"] = store.status_counts(r["id"]) if r["status"] == "finished" else {}
        r["name"] = site_name(store, r["start_url"]) or home_title(store, r["id"])[:120]
    return runs


def site_history(store: Store, start_url: str) -> list[dict]:
    """Every run of one site, newest first."""
    runs = list(store.db.query(
        "select id, batch_id, start_url, year, started_at, finished_at, pages_fetched, stop_reason, status "
        "from runs where start_url = ? order by id desc", [start_url]))
    for r in runs:
        r["counts"] = store.status_counts(r["id"]) if r["status"] == "finished" else {}
    return runs


def home_title(store: Store, run_id: int) -> str:
    """The title of the home page as the run read it (scraped text: escape it where shown)."""
    row = store.db.execute("select title from pages where run_id = ? and depth = 0 order by id limit 1",
                           [run_id]).fetchone()
    return (row[0] or "") if row else ""


def recent_batches(store: Store, limit: int = 20) -> list[dict]:
    return list(store.db.query("select * from batches order by id desc limit ?", [limit]))


def unfinished_batches(store: Store) -> list[dict]:
    return list(store.db.query("select * from batches where status = 'running' order by id"))


def _names(store: Store) -> None:
    if not store.db["site_names"].exists():
        store.db["site_names"].create({"url": str, "name": str}, pk="url", if_not_exists=True)


def set_name(store: Store, start_url: str, name: str) -> None:
    """The name an admin gave a site (shown instead of its host)."""
    _names(store)
    with store.db.conn:
        store.db["site_names"].upsert({"url": start_url, "name": name[:200]}, pk="url")


def site_name(store: Store, start_url: str) -> str:
    """The name an admin gave the site, in the web app or in a batch CSV; '' when none."""
    if store.db["site_names"].exists():
        row = store.db.execute("select name from site_names where url = ?", [start_url]).fetchone()
        if row and row[0]:
            return row[0]
    row = store.db.execute("select name from batch_sites where url = ? and name != '' order by id desc limit 1",
                           [start_url]).fetchone()
    return row[0] if row else ""
