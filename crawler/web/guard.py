"""Every request of the web app passes here: host check, access token, CSRF cookie, security headers."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOKEN_COOKIE, CSRF_COOKIE, TOKEN_HEADER = "oit_token", "oit_csrf", "x-oit-token"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# scripts only from the app itself (no inline script runs, whatever a scraped page contained); nothing from
# another host; styles may be inline (the shared report's bars have a width), never scripts
CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY"),
           (b"cross-origin-opener-policy", b"same-origin"), (b"cross-origin-resource-policy", b"same-origin")]


def host_name(host_header: str) -> str:
    """'127.0.0.1:8700' -> '127.0.0.1', '[::1]:8700' -> '::1'."""
    h = host_header.strip().lower()
    if h.startswith("["):
        return h[1:].split("]", 1)[0]
    return h.rsplit(":", 1)[0] if h.count(":") == 1 else h


class Guard:
    """ASGI middleware.

    - `allowed_hosts`: the Host header must name one of these (a page elsewhere cannot DNS-rebind its
      name to this server); None accepts any (the token protects a server bound beyond loopback).
    - `token`: when set, every request needs it: `?token=` once (a cookie is set and the URL cleaned),
      then the cookie, or the `X-OIT-Token` header.
    - a random CSRF value per browser in an HttpOnly SameSite=Strict cookie; forms echo it
      (`request.state.csrf`), POST handlers compare.
    """

    def __init__(self, app: ASGIApp, token: str | None = None, allowed_hosts: tuple[str, ...] | None = None):
        self.app, self.token, self.allowed_hosts = app, token, allowed_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.allowed_hosts is not None and host_name(request.headers.get("host", "")) not in self.allowed_hosts:
            await PlainTextResponse("host not allowed", 421, headers=self._plain())(scope, receive, send)
            return
        if self.token:
            given = request.query_params.get("token")
            if given is not None and secrets.compare_digest(given.encode(), self.token.encode()):
                rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
                target = request.url.path + (f"?{urlencode(rest)}" if rest else "")
                resp = RedirectResponse(target, 303)
                # Lax: the link is often opened from another app or site (a chat, an e-mail); POSTs still need CSRF
                resp.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="lax")
                await resp(scope, receive, send)
                return
            sent = request.cookies.get(TOKEN_COOKIE) or request.headers.get(TOKEN_HEADER) or ""
            if not secrets.compare_digest(sent.encode(), self.token.encode()):
                body = ("ต้องเปิดด้วยลิงก์ที่มีรหัสเข้าใช้ (token) ที่โปรแกรมแสดงตอนเริ่ม oit serve\n"
                        "A token is required: open the address printed by `oit serve`.\n")
                await PlainTextResponse(body, 403, headers=self._plain())(scope, receive, send)
                return
        csrf = request.cookies.get(CSRF_COOKIE, "")
        fresh = len(csrf) != 43 or not csrf.replace("-", "").replace("_", "").isalnum()
        if fresh:
            csrf = secrets.token_urlsafe(32)
            # a page sets it; its styles, script and event stream never replace the value its forms carry
            path = request.url.path
            fresh = not (path.startswith("/static/") or path.endswith("/events"))
        scope.setdefault("state", {})["csrf"] = csrf

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in names]
                if fresh:
                    headers.append((b"set-cookie", f"{CSRF_COOKIE}={csrf}; HttpOnly; Path=/; SameSite=Strict".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _plain() -> dict[str, str]:
        return {k.decode(): v.decode() for k, v in HEADERS}


def check_csrf(request: Request, value: object) -> bool:
    """The form's CSRF field matches this browser's cookie, and the request comes from this app's pages."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and origin.split("://", 1)[-1] != request.headers.get("host", ""):
        return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return bool(cookie) and isinstance(value, str) and secrets.compare_digest(cookie.encode(), value.encode())
