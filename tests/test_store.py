"""The database stays in bounds: unchanged pages cost no new link rows, and old runs can be pruned."""

from __future__ import annotations

import json
import sqlite3

from conftest import run_oit, scan
from sitesrv import SITES, SiteServer


def counts(db) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("runs", "pages", "linksets", "links", "results", "evidence")}
    finally:
        con.close()


def test_a_repeated_run_stores_no_new_links_and_prune_keeps_results(site_server, tmp_path):
    srv = site_server("menu_cms")
    db = tmp_path / "oit.db"
    _, first = scan(srv.url, tmp_path)
    after_one = counts(db)
    _, second = scan(srv.url, tmp_path)
    after_two = counts(db)
    assert after_one["linksets"] > 5 and after_two["linksets"] == after_one["linksets"]  # the same menus, once
    assert after_two["pages"] == 2 * after_one["pages"] and after_two["links"] == 2 * after_one["links"]

    nothing = run_oit("prune", "--db", str(db), "--keep-runs", "1", "--older-than", "1000")
    assert nothing.returncode == 0 and counts(db)["pages"] == after_two["pages"]  # nothing that old

    pruned = run_oit("prune", "--db", str(db), "--keep-runs", "1", "--vacuum")
    assert pruned.returncode == 0 and "ล้างรายละเอียดของการตรวจเก่า 1 ครั้ง" in pruned.stdout
    now = counts(db)
    assert now["pages"] == after_one["pages"] and now["results"] == after_two["results"]
    assert now["evidence"] == after_two["evidence"] and now["linksets"] == after_one["linksets"]
    con = sqlite3.connect(db)
    assert con.execute("select count(*) from pages where run_id = ?", [first["run_id"]]).fetchone()[0] == 0
    assert con.execute("select pruned_at from runs where id = ?", [first["run_id"]]).fetchone()[0]
    con.close()
    # the pruned run still reads back whole: its results and evidence, and the change between runs
    old = run_oit("export", "--db", str(db), "--run", str(first["run_id"]))
    assert old.returncode == 0 and json.loads(old.stdout)["items"] == first["items"]
    assert run_oit("diff", "--db", str(db), "--site", srv.url).returncode == 0
    assert second["items"]


def test_prune_needs_a_rule(tmp_path, site_server):
    srv = site_server("menu_cms")
    scan(srv.url, tmp_path)
    proc = run_oit("prune", "--db", str(tmp_path / "oit.db"))
    assert proc.returncode == 1 and "--keep-runs" in proc.stderr and "Traceback" not in proc.stderr


def test_links_of_a_database_from_before_link_sets_stay_readable(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute("create table runs (id integer primary key, start_url text)")
    con.execute("create table links (id integer primary key, run_id int, from_url text, to_url text, text text, "
                "context text, offsite int)")
    con.execute("insert into links values (1, 7, 'http://a.go.th/', 'http://a.go.th/org', 'โครงสร้าง', '', 0)")
    con.commit()
    con.close()
    from crawler.store import Store
    Store(db)
    con = sqlite3.connect(db)
    assert con.execute("select run_id, to_url, text from links").fetchall() == [(7, "http://a.go.th/org", "โครงสร้าง")]
    con.close()


def test_documents_whose_bytes_did_not_change_are_not_read_again(tmp_path):
    """A server without ETags sends every document again each night: the same bytes are not read again."""
    srv = SiteServer(SITES / "ita_table", etags=False)
    try:
        _, first = scan(srv.url, tmp_path)
        con = sqlite3.connect(tmp_path / "oit.db")
        read = dict(con.execute("select url, fetched_at || sha1 from documents where sha1 is not null").fetchall())
        con.close()
        assert read and srv.stats.not_modified == 0
        _, second = scan(srv.url, tmp_path)
    finally:
        srv.close()
    con = sqlite3.connect(tmp_path / "oit.db")
    again = dict(con.execute("select url, fetched_at || sha1 from documents where sha1 is not null").fetchall())
    assert again == read  # not read (nor written) again
    con.close()
    keep = ("id", "status", "reason", "evidence", "period", "missing_elements")
    def same(doc: dict) -> list[dict]:
        return [{k: i.get(k) for k in keep} for i in doc["items"]]
    assert same(second) == same(first)


def test_prune_drops_the_old_link_rows_of_a_migrated_database(tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db)
    con.execute("create table runs (id integer primary key, start_url text, status text, started_at text)")
    con.executemany("insert into runs values (?, 'http://a.go.th/', 'finished', '2024-01-0' || ?)", [(1, 1), (2, 2)])
    con.execute("create table links (id integer primary key, run_id int, from_url text, to_url text, text text, "
                "context text, offsite int)")
    con.executemany("insert into links (run_id, from_url, to_url, text, context, offsite) "
                    "values (?, 'http://a.go.th/', 'http://a.go.th/org', 'โครงสร้าง', '', 0)", [(1,), (1,), (2,)])
    con.commit()
    con.close()
    proc = run_oit("prune", "--db", str(db), "--keep-runs", "1")
    assert proc.returncode == 0 and "การตรวจเก่า 1 ครั้ง" in proc.stdout, proc.stdout
    assert "แถวลิงก์แบบเดิม 2 แถว" in proc.stdout, proc.stdout
    con = sqlite3.connect(db)
    assert con.execute("select run_id from links").fetchall() == [(2,)]  # the kept run's links stay readable
    con.close()


def test_prune_treats_web_app_uploads_of_the_same_sites_as_one_list(tmp_path):
    """Every web-app upload is a new file: the same sites uploaded again are the same list, so the older
    batch's runs can be pruned (they were kept for ever as 'the latest batch of their list')."""
    from crawler.models import PageRecord
    from crawler.store import Store

    store = Store(tmp_path / "oit.db")
    sites = [{"line": 2, "url": "http://a.go.th/", "name": "", "province": "", "district": "", "type": "",
              "extra": "{}"}]
    runs = []
    for n in (1, 2):
        batch = store.start_batch(str(tmp_path / "uploads" / f"{n}-sites.csv"), "คืนนี้", {"web": True}, sites)
        run = store.start_run("OIT", "1", 2565, "http://a.go.th/", {}, "0", batch)
        store.add_page(run, PageRecord("http://a.go.th/", 0, ["หน้าแรก"], None, status=200), [])
        store.finish_run(run, "a.go.th", [], 1, 1, "done", [])
        store.site_done(store.batch_sites(batch)[0]["id"], run, None)
        runs.append(run)
    counts = store.prune(keep_runs=1)
    assert counts["runs"] == 1
    assert store.run(runs[0])["pruned_at"] and not store.run(runs[1])["pruned_at"]


def test_the_web_apps_listings_and_the_archive_index_are_store_methods(site_server, tmp_path):
    from crawler.store import Store

    srv = site_server("menu_cms")
    _, doc = scan(srv.url, tmp_path)
    store, run_id = Store(tmp_path / "oit.db"), doc["run_id"]
    assert store.max_run_id() == run_id and store.latest_run() == run_id
    assert store.first_run_after(srv.url, 0) == run_id and store.first_run_after(srv.url, run_id) is None
    recent, history = store.recent_runs(), store.site_history(srv.url)
    assert [r["id"] for r in recent] == [r["id"] for r in history] == [run_id]
    assert recent[0]["counts"] == history[0]["counts"] == doc["summary"]
    home = store.home_page(run_id)
    assert home["status"] == 200 and home["title"] and store.home_page(run_id + 1) == {}
    assert store.latest_run_name(srv.url) == doc["site"]["name"] and store.latest_run_name("http://x.go.th/") == ""
    assert store.recent_batches() == store.unfinished_batches() == []
    records = store.archive_records(run_id)  # the evidence the verdicts read, archived once by (URL, digest)
    assert store.has_archive() and records
    assert store.archived(records[0]["url"], records[0]["digest"]) == records[0]["id"]
    assert store.archive_file_records(records[0]["file"])
