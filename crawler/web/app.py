"""`oit serve`: the Starlette app (Thai pages for ITA admins), built by `create_app`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import time
from collections import Counter
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import archive
from ..batch import BatchError, read_sites
from ..batch import summary as batch_summary
from ..checklist import Checklist, ChecklistError, assessment, load, scan_date, year_files
from ..config import Options
from ..diff import KIND_TH, WORSE, diff_runs
from ..explain import explain, for_result
from ..fetch import not_public
from ..match import FOUND, REVIEW
from ..models import STATUS_TH, STATUSES, STOP_TH, error_th
from ..names import pick as pick_name
from ..nearest import NEAREST_TH, nearest
from ..outputs import html_batch, nacc_paste, to_csv, to_json, to_xlsx
from ..outputs.common import (
    FILTER_TH,
    admin_error,
    advice_th,
    click_path,
    counts,
    finding_th,
    fix_first,
    group_th,
    http_url,
    nacc_items,
    site_name,
    status_of,
    thai_date,
    thai_menus,
    todo,
    year_found,
)
from ..outputs.html import CSS as REPORT_CSS
from ..outputs.html import STATUS_CODE, STATUS_CSS
from ..render import keep_browser
from ..store import Store, StoreError
from ..urls import BadURL, normalize_start, readable
from .guard import Guard, check_csrf
from .jobs import Busy, Jobs
from .submission import routes as submission_routes

HERE = Path(__file__).resolve().parent
MAX_CSV = 1_000_000  # bytes of an uploaded sites CSV
MAX_SITES = 500
READONLY_TH = ("ฐานข้อมูลนี้เปิดแบบอ่านอย่างเดียว (ไม่มีสิทธิ์เขียนไฟล์) ดูผลและประวัติได้ แต่เริ่มตรวจใหม่ไม่ได้: "
               "เริ่ม oit serve ด้วย --db ที่เขียนได้")


def checklists() -> dict[int, Path]:
    """The assessment years a checklist ships for, newest first."""
    found = year_files()
    return {y: found[y] for y in sorted(found, reverse=True)}


def year_choices(today: str | None = None) -> list[dict]:
    """The year list of the forms: first today's assessment (value ""), then every shipped year, newest first,
    each with its item count and a draft marked "(ร่าง)"."""
    choices = []
    try:
        now = assessment(today=scan_date(today))
        choices.append({"value": "", "label": f"ปีงบประมาณ {now.year} (ค่าเริ่มต้น: {now.basis()})",
                        "basis": now.basis()})
    except ChecklistError:
        pass
    for year, path in checklists().items():
        c = load(path)
        draft = " (ร่าง)" if c.status == "draft" else ""
        choices.append({"value": str(year), "label": f"{year}{draft} · {len(c.items)} ข้อ", "basis": ""})
    return choices


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(FILTER_TH=FILTER_TH, group_th=group_th, NEAREST_TH=NEAREST_TH)
    env.globals.update(STATUS_TH=STATUS_TH, STATUSES=STATUSES, STATUS_CSS=STATUS_CSS, STATUS_CODE=STATUS_CODE,
                       STOP_TH=STOP_TH, KIND_TH=KIND_TH, WORSE=WORSE)
    env.filters.update(finding_th=finding_th, admin_error=admin_error, advice_th=advice_th)
    env.filters.update(thai_date=thai_date, readable=lambda u: readable(u) if isinstance(u, str) else "",
                       http_url=http_url, click_path=click_path)
    return env


def _items(doc: dict) -> list[dict]:
    """The 43 rows as the HTML report shows them: status, evidence, click path, year found, what to fix."""
    rows = []
    for it in nacc_items(doc):
        evidence = [ev for ev in it.get("evidence") or [] if isinstance(ev, dict)]
        need, reason = todo(it)
        rows.append({"id": it.get("id"), "title": it.get("title"), "status": status_of(it), "need": need,
                     "reason": reason, "year": year_found(it), "best": evidence[0] if evidence else None,
                     "more": evidence[1:], "accepted": it.get("accepted")})
    return rows


def _site_name(store: Store, start_url: str, run: dict | None = None) -> str:
    """The one name of a site: the name an admin gave it (web form, --name, sites list), else its run's name
    (the latest named one without `run`) when not generic ("หน้าแรก"), else its host."""
    run_name = run.get("name") if run is not None else store.latest_run_name(start_url)
    return pick_name(store.given_name(start_url), run_name, url=start_url)


def _named(store: Store, runs: list[dict]) -> list[dict]:
    """Run rows, each given the one name of its site (`_site_name`)."""
    for r in runs:
        r["name"] = _site_name(store, r["start_url"], r)
    return runs


def _download(body: str | bytes, filename: str, media: str) -> Response:
    return Response(body, media_type=media, headers={"content-disposition": f'attachment; filename="{filename}"'})


MAX_ID = 2**63 - 1  # SQLite's largest integer: a longer number in a URL names nothing


def create_app(db: str | Path, allow_private: bool = False, token: str | None = None, *,
               allowed_hosts: tuple[str, ...] | None = None, options: Options | None = None,
               scans: int = 2) -> Starlette:
    """The web app on one SQLite file.

    `token`: when set (the server does for any host beyond loopback) every request must carry it.
    `allowed_hosts`: Host header names accepted (loopback names for a loopback server).
    `options`: budget, politeness and rendering of every scan (its `db`, `checklist`, `year` are set here).
    `scans`: scans at a time.
    """
    db = Path(db)
    base = options or Options()
    base = replace(base, db=db, settings=replace(base.settings, allow_private=allow_private))
    env = _env()
    uploads = db.parent / "uploads"
    reports: dict[int, str] = {}  # the report body of a finished batch (it never changes again)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        try:
            store = Store(db)
        except StoreError:  # a database this user may only read: the results and history are still shown
            store = Store(db, readonly=True)
        with contextlib.suppress(OSError):
            uploads.mkdir(parents=True, exist_ok=True)
        app.state.store = store
        app.state.jobs = jobs = Jobs(store, base, scans, uploads)
        if not store.readonly:
            jobs.resume_batches()
            jobs.resume_scans()
        try:
            async with keep_browser():  # scans one after another share one Chromium, closed when idle a while
                yield
        finally:
            await jobs.close()

    def render(request: Request, template: str, status: int = 200, **ctx) -> HTMLResponse:
        ctx.update(request=request, csrf=request.state.csrf, years=year_choices(base.today))
        return HTMLResponse(env.get_template(template).render(**ctx), status)

    def store_of(request: Request) -> Store:
        return request.app.state.store

    def jobs_of(request: Request) -> Jobs:
        return request.app.state.jobs

    async def form_of(request: Request, **limits) -> dict:
        form = await request.form(**limits)
        if not check_csrf(request, form.get("csrf")):
            raise HTTPException(403, "แบบฟอร์มหมดอายุหรือไม่ได้มาจากหน้านี้ กรุณาโหลดหน้าใหม่แล้วลองอีกครั้ง")
        return form

    def checklist_for(year: str | int | None) -> tuple[int, Path]:
        """The fiscal year judged and its list: a shipped year as asked, none: today's assessment; an unknown
        year is refused with the years there are."""
        available = checklists()
        if not available:
            raise HTTPException(500, "ไม่พบไฟล์เกณฑ์ (checklist)")
        text = str(year or "").strip()
        if not text:
            try:
                now = assessment(today=scan_date(base.today))
            except ChecklistError as e:
                raise HTTPException(500, str(e)) from None
            return now.year, now.path
        y = int(text) if text.isdigit() else 0
        if y not in available:
            have = ", ".join(str(x) for x in available)
            raise HTTPException(400, f"ไม่มีเกณฑ์ปี {text[:20]}: มีเกณฑ์ปี {have} (no checklist for that year)")
        return y, available[y]

    # --------------------------------------------------------------------------------- pages

    async def home(request: Request, error: str = "", form: dict | None = None, status: int = 200) -> HTMLResponse:
        store, jobs = store_of(request), jobs_of(request)
        live = [j for j in jobs.scans.values() if j.state in ("queued", "running")]
        running = {j.run_id for j in live} | {  # runs this server is doing now; others were left by a crash
            r for b in jobs.batches.values() if b.task and not b.task.done() for r in b.runs()}
        return render(request, "home.html", status, runs=_named(store, store.recent_runs()), live=live, error=error,
                      form=form or {}, batches=store.recent_batches(5), running=running)

    async def start_scan(request: Request) -> Response:
        form = await form_of(request, max_files=0, max_fields=10)
        url, name = str(form.get("url") or "").strip(), str(form.get("name") or "").strip()
        values = {"url": url, "name": name, "year": form.get("year")}
        if store_of(request).readonly:
            return await home(request, READONLY_TH, values, 409)
        try:
            start = normalize_start(url)
        except BadURL:
            return await home(request, "ที่อยู่เว็บไซต์ไม่ถูกต้อง ตัวอย่าง: www.example.go.th", values, 400)
        year, path = checklist_for(form.get("year"))
        if not allow_private and (why := await _private(start)):
            return await home(request, why, values, 400)
        try:
            job = jobs_of(request).start_scan(start, name, str(path), year)
        except Busy as e:
            if e.job is not None:
                return RedirectResponse(f"/scans/{e.job.id}", 303)
            return await home(request, str(e), values, 409)
        return RedirectResponse(f"/scans/{job.id}", 303)

    async def scan_page(request: Request) -> Response:
        job = jobs_of(request).scans.get(request.path_params["job"])
        if job is None:
            raise HTTPException(404, "ไม่พบงานตรวจนี้ (อาจเริ่มโปรแกรมใหม่แล้ว) ดูผลได้จากหน้าแรก")
        if job.state == "finished" and job.run_id:
            return RedirectResponse(f"/runs/{job.run_id}", 303)
        return render(request, "progress.html", job=job, progress=job.snapshot(),
                      name=job.name or _site_name(store_of(request), job.url))

    async def scan_events(request: Request) -> Response:
        job = jobs_of(request).scans.get(request.path_params["job"])
        if job is None:
            raise HTTPException(404, "ไม่พบงานตรวจนี้")

        def snapshot() -> tuple[dict, str | None]:
            snap = job.snapshot()
            if job.state in ("finished", "failed"):
                return snap, f"/runs/{job.run_id}" if job.run_id else f"/scans/{job.id}"
            return snap, None

        return _sse(request, job.changed, snapshot)

    def _sse(request: Request, changed: asyncio.Event, snapshot) -> StreamingResponse:
        closing = jobs_of(request).closing

        async def events():
            yield "retry: 2000\n\n"
            while True:
                data, done = snapshot()
                yield f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
                if done is not None:
                    yield f"event: done\ndata: {json.dumps({'next': done})}\n\n"
                    return
                if closing.is_set() or await request.is_disconnected():
                    return
                changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), 1.0)
                await asyncio.sleep(0.2)  # at most a few messages a second

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"cache-control": "no-store", "x-accel-buffering": "no"})

    def _run_or_404(request: Request) -> tuple[Store, int, dict]:
        store, run_id = store_of(request), request.path_params["run"]
        run = store.run(run_id) if 0 <= run_id <= MAX_ID else None
        if run is None:
            raise HTTPException(404, f"ไม่พบผลการตรวจหมายเลข {run_id}")
        return store, run_id, run

    async def run_page(request: Request) -> Response:
        store, run_id, run = _run_or_404(request)
        jobs = jobs_of(request)
        job = next((j for j in jobs.scans.values() if j.run_id == run_id and j.state in ("queued", "running")), None)
        if job is not None:
            return RedirectResponse(f"/scans/{job.id}", 303)
        doc = archive.annotate(store.result(run_id), store)  # evidence -> its archived copy
        name = _site_name(store, run["start_url"], run)
        home = store.home_page(run_id)
        title = home.get("title") or ""
        in_batch = None
        if run["batch_id"] and (job := jobs.batches.get(run["batch_id"])) is not None:
            in_batch = job
        items = _items(doc)
        menus = {i: thai_menus(ex.menus) for i, ex in (await asyncio.to_thread(for_result, doc)).items()}
        failure = None
        if run["status"] == "failed" and run["stop_reason"] == "unreachable":  # the cause and what to do
            job = next((j for j in jobs.scans.values() if j.run_id == run_id and j.error), None)
            if job is not None:
                failure = {"cause": admin_error(job.error), "advice": advice_th(job.error)}
            else:
                cause = error_th(home.get("error"), home.get("status") or 0) if home else "เปิดหน้าแรกไม่ได้"
                detail = f"{home.get('error') or ''} HTTP {home.get('status') or ''} {cause}"
                failure = {"cause": cause, "advice": advice_th(detail)}
        return render(request, "run.html", run=run, doc=doc, items=items, groups=fix_first(items), menus=menus,
                      failure=failure,
                      tally=counts(doc),
                      name=name, title=title, in_batch=in_batch,
                      runs=len(store.site_history(run["start_url"])))

    async def accept_item(request: Request) -> Response:
        store, run_id, run = _run_or_404(request)
        form = await form_of(request, max_files=0, max_fields=10)
        item, url = str(form.get("item") or "").strip().upper(), str(form.get("url") or "").strip()
        note = str(form.get("note") or "").strip()
        if run["status"] != "finished" or not item or not note or not url:
            raise HTTPException(400, "บันทึกการยอมรับไม่ได้: ต้องเป็นผลการตรวจที่เสร็จแล้ว ใส่ลิงก์และหมายเหตุ")
        if store.readonly:
            raise HTTPException(409, "ฐานข้อมูลนี้เปิดแบบอ่านอย่างเดียว จึงบันทึกการยอมรับไม่ได้")
        try:
            store.accept(run_id, item, url, note)  # the store belongs to the event loop's thread
        except StoreError as e:
            raise HTTPException(400, f"บันทึกการยอมรับไม่ได้: {e}") from None
        return RedirectResponse(f"/runs/{run_id}#item-{item}", 303)

    async def run_download(request: Request) -> Response:
        store, run_id, run = _run_or_404(request)
        if run["status"] != "finished":
            raise HTTPException(409, "การตรวจนี้ยังไม่เสร็จหรือไม่สำเร็จ จึงไม่มีผลให้ดาวน์โหลด")
        doc, fmt = store.result(run_id), request.path_params["fmt"]
        stem = f"oit-run-{run_id}"
        if fmt == "csv":
            return _download(to_csv([doc], layout="items"), f"{stem}.csv", "text/csv; charset=utf-8")
        if fmt == "xlsx":
            return _download(to_xlsx([doc]), f"{stem}.xlsx",
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if fmt == "json":
            return _download(to_json(doc), f"{stem}.json", "application/json; charset=utf-8")
        if fmt == "nacc":
            return _download(nacc_paste(doc), f"{stem}-nacc.txt", "text/plain; charset=utf-8")
        raise HTTPException(404, "ไม่มีรูปแบบไฟล์นี้")

    async def history(request: Request) -> Response:
        store = store_of(request)
        try:
            url = normalize_start(request.query_params.get("url", ""))
        except BadURL:
            raise HTTPException(400, "ที่อยู่เว็บไซต์ไม่ถูกต้อง") from None
        runs = store.site_history(url)
        if not runs:
            raise HTTPException(404, "ยังไม่มีการตรวจเว็บไซต์นี้")
        finished = [r["id"] for r in runs if r["status"] == "finished"]

        def pick(name: str, default: int | None) -> int | None:
            try:
                value = int(request.query_params.get(name, ""))
            except ValueError:
                return default
            return value if value in finished else default

        new = pick("new", finished[0] if finished else None)
        old = pick("old", next((r for r in finished if new is not None and r < new), None))
        report = None
        if old is not None and new is not None and old != new:
            report = diff_runs(store, old, new)
            report["changes"].sort(key=lambda c: c["kind"] not in WORSE)
        return render(request, "history.html", url=url, runs=runs, old=old, new=new, report=report,
                      name=_site_name(store, url))

    async def item_page(request: Request) -> Response:
        item_id = request.path_params["item"].upper()
        result, run, doc = None, None, None
        with contextlib.suppress(ValueError):
            run_id = int(request.query_params.get("run", ""))
            if not 0 <= run_id <= MAX_ID:
                raise HTTPException(400, "หมายเลขผลการตรวจไม่ถูกต้อง")
            store = store_of(request)
            run = store.run(run_id)
            if run is not None and run["status"] == "finished":
                doc = store.result(run_id)
                result = next((r for r in _items(doc) if r["id"] == item_id), None)
        file = ((doc or {}).get("checklist") or {}).get("file")
        if doc is not None and file and Path(file).is_file():  # the run's own list, judged for its fiscal year
            year, path = int(doc["assessment_year"]), Path(file)
        else:
            year, path = checklist_for(request.query_params.get("year"))
        checklist: Checklist = jobs_of(request).checklist(str(path))
        item = next((i for i in checklist.items if i.id == item_id), None)
        if item is None:
            raise HTTPException(404, f"ไม่มีข้อ {item_id} ในเกณฑ์ปี {year}")
        near = []
        if result is not None and result["status"] != "found":
            links = store.links(run["id"])
            near = await asyncio.to_thread(nearest, checklist, links, item_id)
        ex = explain(item, year)
        return render(request, "item.html", item=item, year=year, expected=ex.period, phrases=ex.labels,
                      menus=thai_menus(ex.menus), result=result, run=run, nearest=near, review_score=REVIEW,
                      found_score=FOUND)

    # --------------------------------------------------------------------------------- batches

    async def batches_page(request: Request, error: str = "", problems: list | None = None,
                           status: int = 200) -> HTMLResponse:
        store = store_of(request)
        rows = store.recent_batches(50)
        return render(request, "batches.html", status, batches=rows, error=error, problems=problems or [],
                      running=set(jobs_of(request).batches))

    async def start_batch(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is None or not length.isdigit():  # no streamed bodies: the size is known before reading
            raise HTTPException(411, "ต้องระบุขนาดของข้อมูลที่ส่ง (Content-Length)")
        if int(length) > MAX_CSV + 100_000:
            return await batches_page(request, "ไฟล์ใหญ่เกินไป (ไม่เกิน 1 MB)", status=413)
        if store_of(request).readonly:
            return await batches_page(request, READONLY_TH, status=409)
        form = await form_of(request, max_files=1, max_fields=10, max_part_size=MAX_CSV + 10_000)
        upload = form.get("sites")
        if upload is None or isinstance(upload, str) or not upload.filename:
            return await batches_page(request, "กรุณาเลือกไฟล์รายชื่อเว็บไซต์ (CSV หรือ .txt)", status=400)
        data = await upload.read(MAX_CSV + 1)
        if len(data) > MAX_CSV:
            return await batches_page(request, "ไฟล์ใหญ่เกินไป (ไม่เกิน 1 MB)", status=413)
        year, path = checklist_for(form.get("year"))
        stem = re.sub(r"[^\w.-]+", "_", Path(upload.filename).stem)[:60] or "sites"
        csv_path = uploads / f"{datetime.now():%Y%m%d-%H%M%S}-{time.monotonic_ns() % 10**6}-{stem}.csv"
        csv_path.write_bytes(data)
        try:
            sites = read_sites(csv_path, shown=Path(upload.filename).name)
        except BatchError as e:
            csv_path.unlink(missing_ok=True)
            return await batches_page(request, f"อ่านไฟล์ไม่ได้: {e}", status=400)
        problems = list(sites.problems)
        if not sites.sites:
            csv_path.unlink(missing_ok=True)
            return await batches_page(request, "ไม่มีแถวที่ใช้ได้ในไฟล์ (ต้องมีคอลัมน์ที่อยู่เว็บไซต์)", problems, 400)
        if len(sites.sites) > MAX_SITES:
            csv_path.unlink(missing_ok=True)
            return await batches_page(request, f"มีเว็บไซต์มากเกินไป (ไม่เกิน {MAX_SITES} แห่งต่อชุด)", status=400)
        name = str(form.get("name") or "").strip()[:200] or Path(upload.filename).stem[:200]
        batch_id = jobs_of(request).start_batch(csv_path, name, sites.sites, str(path), year)
        if problems:
            (csv_path.with_suffix(".problems.json")).write_text(json.dumps(problems, ensure_ascii=False),
                                                                 encoding="utf-8")
        return RedirectResponse(f"/batches/{batch_id}", 303)

    def _batch_or_404(request: Request) -> tuple[Store, int, dict]:
        store, batch_id = store_of(request), request.path_params["batch"]
        b = store.batch(batch_id) if 0 <= batch_id <= MAX_ID else None
        if b is None:
            raise HTTPException(404, f"ไม่พบชุดงานหมายเลข {batch_id}")
        return store, batch_id, b

    def _batch_docs(store: Store, batch_id: int) -> tuple[list[dict], dict]:
        summary = batch_summary(store, batch_id)
        docs = [store.result(s["run_id"]) for s in summary["sites"] if s["status"] == "done" and s["run_id"]]
        return docs, {"id": batch_id, "name": summary["name"], "started_at": summary["started_at"],
                      "finished_at": summary["finished_at"], "sites": summary["sites"]}

    def _batch_state(request: Request, store: Store, batch_id: int) -> dict:
        job = jobs_of(request).batches.get(batch_id)
        b = store.batch(batch_id) or {}
        sites = []
        for s in store.batch_sites(batch_id):
            p = job.sites.get(s["id"]) if job else None
            sites.append({"id": s["id"], "status": s["status"], "run_id": s["run_id"],
                          "error": admin_error(s["error"]) if s["error"] else "",
                          **({"pages": p.pages, "budget": p.budget, "section": " > ".join(p.section)} if p else {})})
        tally = Counter(s["status"] for s in sites)
        running = job is not None and job.task is not None and not job.task.done()
        return {"status": b.get("status"), "running": running, "total": len(sites), "done": tally["done"],
                "failed": tally["failed"], "sites": sites}

    async def batch_page(request: Request) -> Response:
        store, batch_id, b = _batch_or_404(request)
        state = _batch_state(request, store, batch_id)
        report = reports.get(batch_id, "")
        if state["done"] and not report:
            docs, batch = _batch_docs(store, batch_id)
            page = await asyncio.to_thread(html_batch, docs, batch)  # hundreds of sites: off the event loop
            report = page.split("<main>", 1)[1].rsplit("<footer>", 1)[0]  # the report's body, inside this page
            if b["status"] == "finished" and not state["running"]:  # final: kept for the next visit
                while len(reports) >= 8:
                    reports.pop(next(iter(reports)))
                reports[batch_id] = report
        problems_file = Path(b["csv_path"] or "").with_suffix(".problems.json")
        problems = json.loads(problems_file.read_text(encoding="utf-8")) if problems_file.is_file() else []
        rows = {s["id"]: s for s in store.batch_sites(batch_id)}
        return render(request, "batch.html", batch=b, state=state, rows=rows, report=report, problems=problems)

    async def batch_events(request: Request) -> Response:
        store, batch_id, _ = _batch_or_404(request)
        job = jobs_of(request).batches.get(batch_id)
        changed = job.changed if job else asyncio.Event()

        def snapshot() -> tuple[dict, str | None]:
            state = _batch_state(request, store, batch_id)
            return state, None if state["running"] else f"/batches/{batch_id}"

        return _sse(request, changed, snapshot)

    async def batch_report(request: Request) -> Response:
        store, batch_id, _ = _batch_or_404(request)
        docs, batch = _batch_docs(store, batch_id)
        # the report's own strict policy: no script at all, its inline style only
        return HTMLResponse(html_batch(docs, batch), headers={
            "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                                       "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"})

    async def batch_download(request: Request) -> Response:
        store, batch_id, _ = _batch_or_404(request)
        docs, batch = _batch_docs(store, batch_id)
        fmt, stem = request.path_params["fmt"], f"oit-batch-{batch_id}"
        if fmt == "csv":
            return _download(to_csv(docs, batch, layout="items"), f"{stem}.csv", "text/csv; charset=utf-8")
        if fmt == "matrix-csv":
            return _download(to_csv(docs, batch, layout="matrix"), f"{stem}-matrix.csv", "text/csv; charset=utf-8")
        if fmt == "xlsx":
            return _download(to_xlsx(docs, batch), f"{stem}.xlsx",
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if fmt == "json":
            return _download(json.dumps(batch_summary(store, batch_id), ensure_ascii=False, indent=2),
                             f"{stem}.json", "application/json; charset=utf-8")
        if fmt == "nacc":
            return _download("\n\n".join(f"# {site_name(d)} {d['site']['url']}\n{nacc_paste(d)}" for d in docs),
                             f"{stem}-nacc.txt", "text/plain; charset=utf-8")
        if fmt == "html":
            return _download(html_batch(docs, batch), f"{stem}.html", "text/html; charset=utf-8")
        raise HTTPException(404, "ไม่มีรูปแบบไฟล์นี้")

    async def report_css(request: Request) -> Response:
        return Response(REPORT_CSS, media_type="text/css; charset=utf-8",
                        headers={"cache-control": "public, max-age=3600"})

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if "csrf" not in request.scope.get("state", {}):
            return Response(str(exc.detail), exc.status_code, media_type="text/plain; charset=utf-8")
        return render(request, "error.html", exc.status_code, message=exc.detail, code=exc.status_code)

    routes = [
        Route("/", home),
        Route("/scan", start_scan, methods=["POST"]),
        Route("/scans/{job:int}", scan_page),
        Route("/scans/{job:int}/events", scan_events),
        Route("/runs/{run:int}", run_page),
        Route("/runs/{run:int}/download/{fmt}", run_download),
        Route("/runs/{run:int}/accept", accept_item, methods=["POST"]),
        Route("/history", history),
        Route("/items/{item}", item_page),
        Route("/batches", batches_page),
        Route("/batches", start_batch, methods=["POST"]),
        Route("/batches/{batch:int}", batch_page),
        Route("/batches/{batch:int}/events", batch_events),
        Route("/batches/{batch:int}/report", batch_report),
        Route("/batches/{batch:int}/download/{fmt}", batch_download),
        Route("/static/report.css", report_css),
        *submission_routes(),  # the ITA page, archived evidence
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error},
                     middleware=[Middleware(Guard, token=token, allowed_hosts=allowed_hosts)])


async def _private(start: str) -> str | None:
    """Why a start URL may not be scanned from this server (a private address), or None."""
    parts = urlsplit(start)
    host = parts.hostname or ""
    try:
        info = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 80, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"หาเว็บไซต์ {host} ไม่พบ (ชื่อโดเมนไม่ถูกต้องหรือไม่มีอยู่จริง)"
    bad = next((str(i[4][0]) for i in info if not_public(str(i[4][0]))), None)
    if bad:
        return (f"{host} เป็นที่อยู่ในเครือข่ายภายใน ({bad}) ระบบไม่ตรวจที่อยู่แบบนี้ "
                "เว้นแต่เริ่มโปรแกรมด้วย oit serve --allow-private")
    return None

