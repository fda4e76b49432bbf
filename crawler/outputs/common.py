"""Shared by every output: status names, NACC item order, links, Thai dates, batch site pairing."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from ..models import MONTHS_TH, STATUS_TH, basis_th
from ..names import is_generic
from ..urls import site_key

BANGKOK = timezone(timedelta(hours=7))
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_HTTP = re.compile(r"https?://[^/\s?#]", re.IGNORECASE)


def item_no(item_id: str) -> int:
    """The number of an item id ('O12' -> 12); ids without one sort last."""
    m = re.search(r"\d+", item_id or "")
    return int(m.group()) if m else 10_000


def nacc_items(doc: dict) -> list[dict]:
    """The document's items in NACC order (O1..O43)."""
    return sorted(doc.get("items") or [], key=lambda it: (item_no(it.get("id", "")), it.get("id", "")))


def status_of(item: dict) -> str:
    """The item's status; anything unknown counts as missing."""
    s = item.get("status")
    return s if s in STATUS_TH else "missing"


def basis(doc: dict) -> str:
    """Which list judged which fiscal year ("ใช้รายการ ITA 2569 (ร่าง) ตรวจสำหรับปีงบประมาณ 2570 ..."), as every
    output heads with; '' for a document without a checklist."""
    if doc.get("basis"):
        return str(doc["basis"])
    c = doc.get("checklist") or {}
    if not c.get("year"):
        return ""
    return basis_th(int(c["year"]), c.get("status") == "draft", int(doc.get("assessment_year") or c["year"]))


def bases(docs: list[dict]) -> str:
    """The distinct bases of several documents, joined ("; ")."""
    return "; ".join(dict.fromkeys(b for b in (basis(d) for d in docs) if b))


def counts(doc: dict) -> Counter:
    """How many items of the document have each status."""
    return Counter(status_of(it) for it in doc.get("items") or [])


def columns(docs: list[dict]) -> list[tuple[str, str]]:
    """Item ids and titles over all documents, in NACC order."""
    seen: dict[str, str] = {}
    for doc in docs:
        for it in doc.get("items") or []:
            seen.setdefault(it.get("id", ""), it.get("title", ""))
    return sorted(seen.items(), key=lambda kv: (item_no(kv[0]), kv[0]))


def http_url(url: object) -> str | None:
    """The URL when it may be a link (http/https with a host, no control characters), else None."""
    if not isinstance(url, str):
        return None
    u = url.strip()
    if not u or any(ch < " " or ch == "\x7f" for ch in u) or not _HTTP.match(u):
        return None
    return u


def thai_date(iso: object) -> str:
    """'2026-11-21T06:46:42+00:00' -> '21 พฤศจิกายน 2569 เวลา 13:46 น.' (Bangkok time, B.E.)."""
    if not iso:
        return "-"
    try:
        dt = datetime.fromisoformat(str(iso))
    except ValueError:
        return str(iso)
    if dt.tzinfo is not None:
        dt = dt.astimezone(BANGKOK)
    return f"{dt.day} {MONTHS_TH[dt.month - 1]} {dt.year + 543} เวลา {dt:%H:%M} น."


def site_name(doc: dict | None, site: dict | None = None) -> str:
    """The name shown for a site: the batch entry's name, else the document's (unless generic: "หน้าแรก"),
    host or URL."""
    site = site or {}
    doc_site = (doc or {}).get("site") or {}
    name = doc_site.get("name")
    return (site.get("name") or (name if not is_generic(name) else "") or doc_site.get("host") or site.get("url")
            or doc_site.get("url") or "-")


def _site_key(url: object) -> str:
    """Match a batch entry to its document: host without www, path without trailing slash."""
    if not isinstance(url, str) or not url.strip():
        return ""
    u = url.strip()
    if "://" not in u:
        u = "http://" + u
    return site_key(u) + urlsplit(u).path.rstrip("/")


def pair(docs: list[dict], batch: dict | None) -> list[tuple[dict, dict | None]]:
    """(batch site entry, its document or None) in batch order; documents without an entry at the end."""
    sites = list((batch or {}).get("sites") or [])
    by_key: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        by_key.setdefault(_site_key(((doc or {}).get("site") or {}).get("url")), []).append(i)
    used: set[int] = set()
    rows: list[tuple[dict, dict | None]] = []
    for site in sites:
        idx = next((i for i in by_key.get(_site_key(site.get("url")), []) if i not in used), None)
        if idx is not None:
            used.add(idx)
        rows.append((site, docs[idx] if idx is not None else None))
    for i, doc in enumerate(docs):
        if i not in used:
            rows.append(({"url": ((doc or {}).get("site") or {}).get("url", "")}, doc))
    return rows


def site_error(site: dict, doc: dict | None) -> str:
    """Why a batch site has no document ('' when it has one)."""
    if doc is not None:
        return ""
    if site.get("error"):
        return admin_error(site["error"])
    status = site.get("status")
    return f"ยังไม่มีผลการตรวจ (สถานะ: {status})" if status else "ยังไม่มีผลการตรวจ"


def click_path(ev: dict) -> str:
    """The clicks from the home page to a piece of evidence, 'a > b > c'."""
    return " > ".join(str(p) for p in ev.get("click_path") or [])


def year_found(item: dict) -> str:
    """The period or year found for an item, '' when none."""
    period = item.get("period") or {}
    if period.get("found"):
        return str(period["found"])
    return str(period["year"]) if period.get("year") else ""


def todo(item: dict) -> tuple[str, str]:
    """(what to fix, the scanner's reason) for an item that is not `found`."""
    status = status_of(item)
    reason = str(item.get("reason") or "")
    if status == "found":
        return "", ""
    if status == "not_due":
        return "ยังไม่ต้องเผยแพร่ตอนนี้: เตรียมไว้เผยแพร่เมื่อถึงกำหนด", reason
    period = item.get("period") or {}
    missing = [str(m) for m in item.get("missing_elements") or []]
    if status == "stale":
        need = f"ต้องเป็นข้อมูล {period.get('expected') or 'ปีปัจจุบัน'}"
        if period.get("found"):
            need += f" (ที่พบคือ {period['found']})"
        return need, reason
    if missing:
        return "ต้องเพิ่ม: " + "; ".join(missing), reason
    if status == "broken":
        return "แก้ลิงก์ให้เปิดได้และมีเนื้อหาจริง", reason
    if status == "missing":
        return "ยังไม่มีข้อมูลนี้บนเว็บไซต์ หรือหาจากหน้าแรกไม่พบ", reason
    return "ตรวจด้วยตนเองว่าตรงกับข้อนี้", reason


# What the admin should do first: broken links, then out-of-date items, items to review, items not found;
# items the admin accepted, then what is found. A status this list does not know comes before `found`.
FIX_ORDER = ("broken", "stale", "review", "missing", "accepted", "found")
FIX_TH = {
    "broken": "ลิงก์เสีย: แก้ลิงก์ให้เปิดได้และมีเนื้อหาจริง",
    "stale": "ข้อมูลไม่เป็นปัจจุบัน: เผยแพร่ข้อมูลของปีนี้",
    "review": "ควรตรวจ: เพิ่มสิ่งที่ยังขาดตามที่ระบุ",
    "missing": "ไม่พบ: เผยแพร่ไว้ในเมนูที่เว็บไซต์ส่วนใหญ่ใช้ และลิงก์จากหน้าแรก",
    "accepted": "ผู้ดูแลตรวจแล้วและยอมรับ (ไม่ต้องแก้ จนกว่าหลักฐานจะเปลี่ยน)",
    "found": "พบแล้ว",
}
FILTER_TH = {"broken": "ลิงก์เสีย", "stale": "ไม่เป็นปัจจุบัน", "review": "ควรตรวจ", "missing": "ไม่พบ",
             "accepted": "ยอมรับแล้ว", "found": "พบ"}


def group_of(item: dict) -> str:
    """The fix-first group of an item: its status, or `accepted` when the admin accepted it (not `found`)."""
    status = status_of(item)
    return "accepted" if item.get("accepted") and status != "found" else status


def fix_first(items: list[dict]) -> list[tuple[str, list[dict]]]:
    """The items grouped by what to do first (FIX_ORDER), each group in item order; empty groups left out."""
    groups: dict[str, list[dict]] = {}
    for it in sorted(items, key=lambda it: (item_no(it.get("id", "")), it.get("id", ""))):
        groups.setdefault(group_of(it), []).append(it)
    known = [g for g in FIX_ORDER if g != "found"]
    order = [*known, *sorted(g for g in groups if g not in FIX_ORDER), "found"]
    return [(g, groups[g]) for g in order if g in groups]


def group_th(group: str) -> str:
    """A fix-first group's heading in Thai."""
    return FIX_TH.get(group) or STATUS_TH.get(group, group)


# A run's findings are stored as the crawler wrote them (English, for logs and tests); an admin reads them in Thai.
_FINDINGS_TH: tuple[tuple[re.Pattern, object], ...] = (
    (re.compile(r"^(\d+) URLs of endless series.*skipped$"),
     lambda m: f"ข้ามลิงก์ {m[1]} รายการที่เป็นชุดหน้าไม่รู้จบ (ปฏิทิน การแบ่งหน้า) เพื่อไม่ให้การตรวจวนไม่สิ้นสุด"),
    (re.compile(r"^render: .*(?:not found|not installed|did not start).*$"),
     lambda m: "ไม่พบโปรแกรม Chromium บนเครื่องนี้ จึงอ่านเมนูที่สร้างด้วยสคริปต์ไม่ได้ ผลบางข้ออาจเป็น \"ไม่พบ\" "
               "ทั้งที่มีอยู่: ติดตั้ง Chromium (Ubuntu/Debian: sudo apt install chromium) หรือระบุที่อยู่ด้วย --chromium"),
    (re.compile(r"^render: gave up on (\S+) .*$"),
     lambda m: f"เปิดหน้า {m[1]} ด้วย Chromium ไม่สำเร็จ จึงอ่านเป็น HTML ธรรมดาแทน"),
    (re.compile(r"^render: (.*)$"), lambda m: "อ่านเมนูที่สร้างด้วยสคริปต์ไม่ได้ จึงอ่านเป็น HTML ธรรมดาแทน"),
    (re.compile(r"^rendered (\d+) pages? with Chromium \(avg (\d+) ms, max (\d+) ms\)$"),
     lambda m: f"เปิดด้วย Chromium {m[1]} หน้า (เฉลี่ย {m[2]} มิลลิวินาที สูงสุด {m[3]} มิลลิวินาที)"),
    (re.compile(r"^TLS: (\S+) failed verification.*$"),
     lambda m: f"ใบรับรองความปลอดภัย (HTTPS) ของ {m[1]} ตรวจสอบไม่ผ่าน จึงอ่านต่อโดยไม่ตรวจใบรับรอง: ควรต่ออายุหรือแก้ใบรับรอง"),
    (re.compile(r"^robots\.txt of (\S+) could not be read.*$"),
     lambda m: f"อ่านไฟล์ robots.txt ของ {m[1]} ไม่ได้ จึงถือว่าอนุญาตให้อ่านทุกหน้า"),
)


def finding_th(text: object) -> str:
    """A stored finding as an admin reads it, in Thai (one it does not know is shown as it is)."""
    s = str(text or "")
    for pattern, thai in _FINDINGS_TH:
        if m := pattern.match(s):
            return thai(m)  # type: ignore[operator]
    return s


_TECH_TAIL = re.compile(r"\s*\((?:home page could not be read|[A-Za-z][\w .]*):[^()]*(?:\([^()]*\)[^()]*)*\)\s*$")
_ADVICE = (
    (("ไม่พบชื่อโดเมน", "DNS", "Name or service not known", "getaddrinfo", "resolves to nothing"),
     "ตรวจการสะกดที่อยู่เว็บไซต์ (เช่น www.ชื่อ.go.th) และสอบถามผู้ดูแลว่าชื่อโดเมนยังไม่หมดอายุ"),
    (("ใบรับรอง", "certificate", "SSL", "TLS"),
     "ใบรับรองความปลอดภัย (HTTPS) ของเว็บไซต์มีปัญหา: แจ้งผู้ดูแลเว็บไซต์ให้ต่ออายุหรือติดตั้งใบรับรองให้ถูกต้อง "
     "หรือลองตรวจด้วยที่อยู่ที่ขึ้นต้นด้วย http://"),
    (("HTTP 404", "ไม่พบหน้านี้", "HTTP 410"),
     "หน้าแรกตอบว่าไม่พบหน้า: ตรวจว่าที่อยู่ถูกต้อง (ลองตัดส่วนท้าย เช่น /index.php หรือเติม/ตัด www.) "
     "แล้วเปิดในเบราว์เซอร์ดูก่อน"),
    (("HTTP 401", "HTTP 403", "ไม่อนุญาต", "เข้าสู่ระบบ"),
     "เว็บไซต์ไม่อนุญาตให้เข้าถึง (อาจกันโปรแกรมอัตโนมัติหรือต้องเข้าสู่ระบบ): ติดต่อผู้ดูแลเว็บไซต์"),
    (("HTTP 5", "ขัดข้อง"), "เซิร์ฟเวอร์ของเว็บไซต์ขัดข้อง: ลองตรวจใหม่ภายหลัง ถ้ายังเป็นอยู่ให้แจ้งผู้ดูแลเซิร์ฟเวอร์"),
    (("ไม่ตอบสนอง", "ตอบช้า", "Timeout", "timed out", "เชื่อมต่อ", "ConnectError", "refused"),
     "เซิร์ฟเวอร์ไม่ตอบ (อาจปิดอยู่หรือช้ามาก): ลองเปิดเว็บไซต์ในเบราว์เซอร์ แล้วตรวจใหม่ภายหลัง "
     "ถ้าเปิดไม่ได้ให้แจ้งผู้ดูแลเซิร์ฟเวอร์"),
    (("เครือข่ายภายใน", "private address"),
     "ที่อยู่นี้อยู่ในเครือข่ายภายใน: ตรวจได้เมื่อเริ่มโปรแกรมด้วย --allow-private"),
)


def admin_error(text: object) -> str:
    """Why a site could not be scanned, as an admin reads it: the Thai sentence, without the English detail
    kept for logs ("(home page could not be read: ConnectError ...)")."""
    s = str(text or "").strip()
    thai = _TECH_TAIL.sub("", s)
    if thai != s or re.search(r"[\u0e00-\u0e7f]", s):
        return thai
    from ..models import error_th  # an English error only: said in Thai
    return error_th(s)


def advice_th(text: object) -> str:
    """What to do about a site that could not be scanned (domain, server, 404, certificate ...)."""
    s = str(text or "")
    for words, advice in _ADVICE:
        if any(w in s for w in words):
            return advice
    return "ลองเปิดเว็บไซต์ในเบราว์เซอร์ แล้วสั่งตรวจใหม่อีกครั้ง ถ้ายังไม่ได้ให้แจ้งผู้ดูแลเว็บไซต์"


def thai_menus(menus: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The menu names an admin looks for, in Thai (the checklist's English spellings are for matching)."""
    thai = tuple(m for m in menus if re.search(r"[\u0e00-\u0e7f]", m))
    return thai or tuple(menus)
