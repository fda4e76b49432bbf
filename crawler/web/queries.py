"""Listings the web pages need that `Store` has no method for (recent runs, a site's history, names).

Read-only queries on the Store's database. Runs, pages, results, batches and site names are written only by
`Store`.
"""

from __future__ import annotations

from ..names import pick
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
        "select id, batch_id, start_url, site, name, year, started_at, finished_at, pages_fetched, stop_reason, status "
        "from runs order by id desc limit ?", [limit]))
    for r in runs:
        r["counts"] = store.status_counts(r["id"]) if r["status"] == "finished" else {}
        r["name"] = site_name(store, r["start_url"], r)
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


def set_name(store: Store, start_url: str, name: str) -> None:
    """The name an admin gave a site (shown instead of its host)."""
    store.set_name(start_url, name)


def site_name(store: Store, start_url: str, run: dict | None = None) -> str:
    """The one name of a site: the name an admin gave it (web form, --name, sites list), else its run's name
    when not generic ("หน้าแรก"), else its host."""
    if run is None:
        row = store.db.execute("select name from runs where start_url = ? and name != '' order by id desc limit 1",
                               [start_url]).fetchone()
        run = {"name": row[0] if row else ""}
    return pick(store.given_name(start_url), run.get("name"), url=start_url)


def home_page(store: Store, run_id: int) -> dict:
    """The home page row of a run (status, error), {} when it was never fetched."""
    rows = list(store.db.query("select status, error from pages where run_id = ? and depth = 0 order by id limit 1",
                               [run_id]))
    return rows[0] if rows else {}
