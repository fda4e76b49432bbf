"""The web app's part of "from audit to submission": a run's ITA page (view and downloads), its archived
evidence (each copy, read-only, its scripts never run) and the run's WARC file. Same token, host and CSRF
rules as every page (the Guard middleware wraps these routes too)."""

from __future__ import annotations

import html
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .. import archive
from ..outputs.common import thai_date
from ..outputs.itapage import build, to_csv, to_html, to_xlsx
from ..urls import readable

# an archived page is the site's, not ours: no script runs (sandbox without allow-scripts, script-src 'none'),
# it loads nothing (no image, frame or font from anywhere), submits nothing, and cannot be framed
ARCHIVE_CSP = ("sandbox; default-src 'none'; script-src 'none'; style-src 'unsafe-inline'; img-src data:; "
               "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
INLINE = ("text/html", "text/plain", "application/xhtml+xml")


def _finished(request: Request) -> tuple[object, int, dict]:
    store, run_id = request.app.state.store, request.path_params["run"]
    run = store.run(run_id)
    if run is None:
        raise HTTPException(404, f"ไม่พบผลการตรวจหมายเลข {run_id}")
    if run["status"] != "finished":
        raise HTTPException(409, "การตรวจนี้ยังไม่เสร็จหรือไม่สำเร็จ จึงไม่มีผลให้ดู")
    return store, run_id, run


async def archived(request: Request) -> Response:
    """One archived answer (`?url=`), or the list of the run's archived copies."""
    store, run_id, run = _finished(request)
    url = request.query_params.get("url")
    if not url:
        records = archive.run_records(store, run_id)
        items = "".join(f'<li><a href="/runs/{run_id}/archive?url={quote(r["url"], safe="")}">'
                        f'{html.escape(readable(r["url"]))}</a> <span class="muted">'
                        f'{html.escape(r["content_type"] or "")}, {r["bytes"]:,} ไบต์</span></li>' for r in records)
        body = (f'<!DOCTYPE html><html lang="th"><head><meta charset="utf-8"><meta name="viewport" '
                f'content="width=device-width, initial-scale=1"><title>สำเนาหลักฐาน ผลตรวจ {run_id}</title>'
                f'<link rel="stylesheet" href="/static/report.css"></head><body><main>'
                f'<h1>สำเนาหลักฐาน ณ วันที่ตรวจ {html.escape(thai_date(run["started_at"]))}</h1>'
                f'<p><a href="/runs/{run_id}">กลับไปผลตรวจ</a> · <a href="/runs/{run_id}/archive.warc.gz">'
                f"ดาวน์โหลดทั้งหมด (WARC)</a></p><ul>{items or '<li>ไม่มีสำเนา</li>'}</ul></main></body></html>")
        return HTMLResponse(body)
    rec = archive.find(store, run_id, url)
    if rec is None:
        raise HTTPException(404, "ไม่มีสำเนาของลิงก์นี้ในผลตรวจนี้")
    body, ctype = archive.payload(store, rec)
    headers = {"content-security-policy": ARCHIVE_CSP, "x-content-type-options": "nosniff",
               "cache-control": "private, max-age=3600", "x-oit-archived-at": str(run["started_at"])}
    if ctype.split(";")[0].strip().lower() not in INLINE:  # documents and anything else: a download
        name = quote((rec["url"].rstrip("/").rsplit("/", 1)[-1] or "evidence")[:100])
        headers["content-disposition"] = f"attachment; filename*=UTF-8''{name}"
    return Response(body, media_type=ctype, headers=headers)


async def archive_file(request: Request) -> Response:
    store, run_id, _ = _finished(request)
    return Response(archive.export(store, run_id), media_type="application/warc",
                    headers={"content-disposition": f'attachment; filename="oit-run-{run_id}.warc.gz"'})


async def ita_page(request: Request) -> Response:
    """The run's ITA page: shown (`?format=html`, default), or CSV / XLSX / the HTML file to download."""
    store, run_id, _ = _finished(request)
    doc = archive.annotate(store.result(run_id), store)
    page = build(doc)
    fmt = request.query_params.get("format", "html")
    stem = f"ita-page-run-{run_id}"
    if fmt == "csv":
        enc = "cp874" if request.query_params.get("encoding") == "cp874" else "utf-8-sig"
        charset = "windows-874" if enc == "cp874" else "utf-8"
        return Response(to_csv(page, enc), media_type=f"text/csv; charset={charset}",
                        headers={"content-disposition": f'attachment; filename="{stem}.csv"'})
    if fmt == "xlsx":
        return Response(to_xlsx(page), media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"content-disposition": f'attachment; filename="{stem}.xlsx"'})
    if fmt == "download":
        return Response(to_html(page), media_type="text/html; charset=utf-8",
                        headers={"content-disposition": f'attachment; filename="{stem}.html"'})
    return HTMLResponse(to_html(page))


def routes() -> list[Route]:
    return [Route("/runs/{run:int}/archive", archived), Route("/runs/{run:int}/archive.warc.gz", archive_file),
            Route("/runs/{run:int}/ita-page", ita_page)]
