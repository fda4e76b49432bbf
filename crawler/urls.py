"""URL canonical forms, site scope, documents and trap patterns."""

from __future__ import annotations

import contextlib
import ipaddress
import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

import idna

from .models import OitError

SESSION_PARAMS = {
    "phpsessid", "sid", "jsessionid", "sessionid", "session_id", "sessid", "cfid", "cftoken",
    "aspsessionid", "s", "fbclid", "gclid", "_ga", "ref",
}
DOCUMENT_EXTENSIONS = {
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp", "rtf", "zip", "rar",
    "7z", "csv", "txt",
}
MEDIA_EXTENSIONS = {
    "jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "mp3", "mp4", "avi", "wmv", "mov",
    "flv", "swf", "css", "js", "woff", "woff2", "ttf", "exe", "msi", "apk", "iso", "dmg",
}
_SAFE_PATH = "/%:@!$&'()*+,;=-._~"
_SAFE_QUERY = _SAFE_PATH + "?"
_JSESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_C0_SPACE = "".join(map(chr, range(0x21)))  # C0 controls and space
WEB_SCHEMES = ("http", "https")


def clean_href(raw: str) -> str:
    """An attribute's URL as a browser reads it: tabs and newlines anywhere and C0 controls or spaces at
    either end removed (WHATWG URL), so `java&#x09;script:` is seen as the `javascript:` it is."""
    return _TAB_NEWLINE.sub("", raw or "").strip(_C0_SPACE)


@lru_cache(maxsize=65_536)  # links and candidates repeat
def is_web(url: str) -> bool:
    """Only http(s) URLs are fetched or taken as evidence."""
    return urlsplit(clean_href(url)).scheme.lower() in WEB_SCHEMES


class BadURL(OitError, ValueError):
    """A start URL that cannot be scanned; the message says why."""


def normalize_start(url: str) -> str:
    """Accept what an admin types (`www.x.go.th`, `x.go.th/`) and return an absolute URL."""
    url = (url or "").strip()
    if not url:
        raise BadURL("ไม่ได้ใส่ที่อยู่เว็บไซต์")
    if "://" not in url:
        url = "http://" + url
    try:
        parts = urlsplit(url)
    except ValueError as e:  # "Invalid IPv6 URL": an unclosed [
        raise BadURL(f"'{url}': {e}") from None
    if parts.scheme not in ("http", "https"):
        raise BadURL(f"'{url}': ตรวจได้เฉพาะเว็บไซต์ที่ขึ้นต้นด้วย http:// หรือ https://")
    if not parts.hostname or " " in parts.netloc or ".." in parts.hostname:
        raise BadURL(f"'{url}': ชื่อเว็บไซต์ไม่ถูกต้อง ตัวอย่าง: www.example.go.th")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise BadURL(f"'{url}': หมายเลขพอร์ตไม่ถูกต้อง") from None
    try:
        return canonical(url)
    except ValueError as e:
        raise BadURL(f"'{url}': ที่อยู่เว็บไซต์เขียนไม่ถูกรูปแบบ ({e})") from None


@lru_cache(maxsize=65_536)  # every page repeats its menus' URLs
def canonical(url: str) -> str:
    """Absolute URL with Thai/spaces percent-encoded, no fragment, no session ids."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    port = parts.port if parts.port and (scheme, parts.port) not in (("http", 80), ("https", 443)) else None
    netloc = f"[{host}]" if ":" in host else host
    if port:
        netloc += f":{port}"
    path = quote(_JSESSION.sub("", parts.path), safe=_SAFE_PATH) or "/"
    pieces = [p for p in parts.query.split("&") if p and not _session(p.split("=", 1)[0])]
    query = "&".join(quote(p, safe=_SAFE_QUERY) for p in pieces)
    return urlunsplit((scheme, netloc, path, query, ""))


@lru_cache(maxsize=65_536)
def well_formed(url: str) -> bool:
    """An http(s) URL that can be requested: a host, a port that is a number up to 65535, a bracketed host
    that is an IPv6 address, a host name IDNA can spell (`xn--a.com` cannot) and a `canonical` form.

    A page's malformed link (`http://[::1/x`, `http://h:99999/`) is skipped, never an error of the site."""
    try:
        parts = urlsplit(url)
        if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
            return False
        parts.port  # noqa: B018 - raises on a bad port
        host = parts.hostname.rstrip(".")
        if ":" in host:
            ipaddress.IPv6Address(host.split("%")[0])
        else:
            host = host if host.isascii() else host.encode("idna").decode("ascii")  # as `canonical` spells it
            if "xn--" in host.lower():
                idna.decode(host)  # as httpx reads a punycode name (IDNA 2008): `xn--a` is no name
        canonical(url)
    except (ValueError, UnicodeError):
        return False
    return True


def _session(name: str) -> bool:
    name = unquote(name).lower()
    return name in SESSION_PARAMS or name.startswith("utm_")


@lru_cache(maxsize=65_536)
def site_key(url: str) -> str:
    """Host (and port) without `www.`: http/https and www/no-www are one site."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host[4:] if host.startswith("www.") else host
    try:
        port = parts.port if parts.port and parts.port not in (80, 443) else None
    except ValueError:  # a port that is not a number: the host alone
        port = None
    return f"{host}:{port}" if port else host


def in_scope(url: str, site: str) -> bool:
    return _web_site(url) == site


@lru_cache(maxsize=65_536)
def _web_site(url: str) -> str | None:
    """The site of an http(s) URL, None for any other scheme."""
    return site_key(url) if urlsplit(url).scheme in ("http", "https") else None


@lru_cache(maxsize=65_536)
def extension(url: str) -> str:
    last = unquote(urlsplit(url).path).rsplit("/", 1)[-1]
    return last.rsplit(".", 1)[-1].lower() if "." in last else ""


def is_document(url: str) -> bool:
    return extension(url) in DOCUMENT_EXTENSIONS


def is_media(url: str) -> bool:
    return extension(url) in MEDIA_EXTENSIONS


def trap_pattern(url: str) -> str:
    """URL shape with numbers blanked and query values dropped: `/calendar/?month=`."""
    parts = urlsplit(url)
    keys = sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return _DIGITS.sub("N", parts.path) + "?" + "&".join(keys)


def readable(url: str) -> str:
    """URL for people: percent-encoded Thai shown as Thai."""
    return unquote(url)


def is_local_host(url: str) -> bool:
    """Loopback or private address (a test or intranet site)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local
