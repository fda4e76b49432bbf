"""Pages whose menus are built in the browser: script links in the HTML, and Chromium when a page needs it.

Two parts:
- pure helpers used for every page: `script_links` reads `window.open('x')` / `location.href='x'` targets
  from onclick attributes, `javascript:` hrefs and Dreamweaver `addMenuItem("label", "window.open('x')")`
  scripts; `needs_render` decides from the parsed page and its HTML whether a browser would see more links;
- `Renderer`: one headless Chromium per scan (Debian's, via Playwright), started on the first page that
  needs it, a pool of 2 pages, images/fonts/media and off-site requests blocked, a navigation timeout and a
  total deadline per page. Chromium has no network of its own: every request of a rendered page is made by
  the `Fetcher` (private-address guard on every redirect hop, per-host limit and delay, robots.txt, size caps,
  counted) and handed to the browser with `route.fulfill`, so Chromium never follows a redirect itself;
  anything else (requests of popups and workers, WebSockets) is refused, service workers are blocked, and
  the browser is launched behind a dead proxy with no name resolution, in case something escapes the routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import html as htmllib
import os
import re
import time
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser

from .config import RenderOptions
from .fetch import Fetcher, Response
from .models import Link, OitError, Page
from .parse import link_at, node_text, parse
from .thai import clean
from .urls import canonical, in_scope, site_key, well_formed

# Defence in depth: every request is fulfilled from the fetcher, so the browser's own network is made useless.
# All its connections go to a proxy nobody listens at (loopback included), names never resolve, WebRTC may not
# send UDP past the proxy.
DEAD_PROXY = "http://127.0.0.1:9"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", "--disable-dev-shm-usage",
                 f"--proxy-server={DEAD_PROXY}", "--proxy-bypass-list=<-loopback>",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--dns-prefetch-disable",
                 "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
                 "--webrtc-ip-handling-policy=disable_non_proxied_udp",
                 # memory: every site's pages share one context and one renderer process (every request of a
                 # page goes through our fetcher), no spare renderer waits, no back-forward cache, no omnibox popup
                 # (the browser's own WebUI renderer, preloaded for every window: 50 MB in the browser, a renderer)
                 "--renderer-process-limit=1", "--disable-site-isolation-trials",
                 "--disable-features=site-per-process,IsolateOrigins,BackForwardCache,SpareRendererForSitePerProcess,"
                 "WebUIOmniboxPopup,WebUIOmniboxFullPopup,WebUIOmniboxAimPopup,PreloadTopChromeWebUI",
                 "--disable-extensions", "--mute-audio", "--js-flags=--max-old-space-size=128",
                 "--in-process-gpu", "--disable-software-rasterizer",
                 "--enable-features=NetworkServiceInProcess,NetworkServiceInProcess2"]
BLOCKED_TYPES = {"image", "font", "media"}
BROWSER_METHODS = {"GET", "HEAD"}  # a crawler submits nothing: POST/PUT/... of a page's scripts are refused
FORWARDED_HEADERS = {"accept", "x-requested-with"}  # of a browser request, passed on by the fetcher
FULFILLED_HEADERS = {"content-type", "content-language", "last-modified"}  # of the fetcher's answer, to the page
JS_HREF = ("javascript:", "#")
ROUTED_AT_ONCE = 32  # a rendered page's requests in flight or waiting at the politeness gate (its scripts and
# styles are asked for at once); more are refused
ROUTED_PER_PAGE = 300  # a rendered page's requests in all (a script firing fetch() in a loop took gigabytes)
# In each frame of a rendered page, before its scripts: fetch(), XMLHttpRequest and sendBeacon fail at once past
# ROUTED_AT_ONCE requests pending or ROUTED_PER_PAGE in all, never reaching the browser's network (each request
# that reaches it is a round trip to the route handler: thousands a second grew Chromium by 100 MB a second).
REQUEST_BRAKE = """(() => {
  const most = MOST, atOnce = AT_ONCE; let sent = 0, pending = 0;
  const refuse = () => new TypeError("refused by the crawler");
  const f = window.fetch;
  if (f) window.fetch = function (...a) {
    if (sent >= most || pending >= atOnce) return Promise.reject(refuse());
    sent++; pending++;
    return f.apply(this, a).finally(() => { pending--; });
  };
  const X = window.XMLHttpRequest && window.XMLHttpRequest.prototype, send = X && X.send;
  if (send) X.send = function (...a) {
    if (sent >= most || pending >= atOnce) throw refuse();
    sent++; pending++;
    this.addEventListener("loadend", () => { pending--; });
    return send.apply(this, a);
  };
  if (navigator.sendBeacon) navigator.sendBeacon = () => false;
})();""".replace("AT_ONCE", str(ROUTED_AT_ONCE)).replace("MOST", str(ROUTED_PER_PAGE))

# window.open('x'), location='x', location.href = "x", document.location.href='x', MM_openBrWindow('x', ...),
# MM_goToURL('parent', 'x'), self.location.replace('x')
_TARGET = re.compile(
    r"""(?:window\.open|MM_openBrWindow|location\.replace|location\.assign)\s*\(\s*(?:\\?["'])([^"'\\]+)\\?["']"""
    r"""|(?:^|[^\w.])(?:(?:window|document|self|top|parent)\.)?location(?:\.href)?\s*=\s*(?:\\?["'])([^"'\\]+)\\?["']"""
    r"""|MM_goToURL\s*\(\s*["'][^"']*["']\s*,\s*["']([^"']+)["']""",
    re.IGNORECASE)
_MENU_ITEM = re.compile(r"""addMenuItem\s*\(\s*(["'])(.*?)(?<!\\)\1\s*,\s*(["'])(.*?)(?<!\\)\3""", re.DOTALL)
_NEW_MENU = re.compile(r"""new\s+Menu\s*\(\s*["']([^"']*)["']""")
_TAGS = re.compile(r"<[^>]+>")


async def _refuse(route: object) -> None:
    with contextlib.suppress(Exception):  # the page may be gone
        await route.abort()  # type: ignore[attr-defined]


async def _close_socket(ws: object) -> None:
    """A page's WebSocket is never connected to any server."""
    with contextlib.suppress(Exception):
        await ws.close(code=1008, reason="refused by the crawler")  # type: ignore[attr-defined]


class RenderUnavailable(OitError, RuntimeError):
    """`--render always` but Chromium or the playwright package cannot be used; the message says why."""


def _targets(code: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in _TARGET.finditer(code or "")]


def _usable(target: str) -> bool:
    t = target.strip().lower()
    return bool(t) and not t.startswith(("javascript:", "mailto:", "tel:", "#", "data:", "about:"))


def script_links(page: Page, html: str, tree: LexborHTMLParser | None = None) -> list[Link]:
    """Links a person reaches by clicking script menus, read from the HTML (or its `tree`) without running it."""
    tree = tree or LexborHTMLParser(html)
    base = page.url
    base_tag = tree.css_first("base[href]")
    if base_tag is not None:
        with contextlib.suppress(ValueError):  # a malformed base is ignored, as `parse` does
            base = urljoin(page.url, (base_tag.attributes.get("href") or "").strip())
            base = base if well_formed(base) else page.url
    seen = {canonical(link.url) for link in page.links}
    out: list[Link] = []

    def add(raw: str, make: Callable[[str], Link]) -> None:
        if not _usable(raw):
            return
        try:
            url = urljoin(base, htmllib.unescape(raw.strip()))
            web = urlsplit(url).scheme in ("http", "https")
        except ValueError:  # `http://[::1/x`
            url, web = "", None
        if web is not False and not well_formed(url):
            page.malformed += 1  # skipped, counted in the run's findings
            return
        if not web or canonical(url) in seen:
            return
        seen.add(canonical(url))
        out.append(make(url))

    for node in tree.css("[onclick], a[href^='javascript:' i], area[href^='javascript:' i]"):
        code = " ".join(filter(None, (node.attributes.get("onclick"), node.attributes.get("href"))))
        for target in _targets(code):
            text = node_text(node, 300) or clean(node.attributes.get("title") or node.attributes.get("alt") or "")
            add(target, lambda url, node=node, text=text: link_at(node, url, text))
    for script in tree.css("script"):
        code = script.text(deep=True) or ""
        if "addMenuItem" not in code:
            continue
        menus = [(m.start(), clean(m.group(1))) for m in _NEW_MENU.finditer(code)]
        for m in _MENU_ITEM.finditer(code):
            label = clean(htmllib.unescape(_TAGS.sub(" ", m.group(2))))
            parent = next((name for start, name in reversed(menus) if start < m.start()), "")
            menu = [parent] if parent and parent.lower() != "root" and not parent.startswith("mm_") else []
            for target in _targets(m.group(4).replace("\\'", "'").replace('\\"', '"')) or [m.group(4)]:
                if target == m.group(4) and ("(" in target or "=" in target.split("?")[0]):
                    continue  # code without a target
                add(target, lambda url, label=label, menu=menu: Link(url=url, text=label, menu=menu, chrome=True))
    return out


# the boxes a menu may be: a list, nav, div or cell whose id or class says menu or nav
MENU_BOXES = ", ".join(f"{tag}[{attr}*={word} i]" for tag in ("ul", "ol", "nav", "div", "td")
                       for attr in ("id", "class") for word in ("menu", "nav"))


def needs_render(page: Page, html: str, home: bool = False, tree: LexborHTMLParser | None = None) -> str | None:
    """Why a browser would see links this HTML (parsed: `tree`) does not show, or None: a pure decision on the page."""
    tree = tree or LexborHTMLParser(html)
    site = site_key(page.url)
    same_site = sum(1 for link in page.links if in_scope(link.url, site))
    scripts = tree.css("script")
    anchors = tree.css("a")
    js_links = 0
    for a in anchors:
        href = (a.attributes.get("href") or "").strip().lower()
        if href.startswith(JS_HREF) or not href or (a.attributes.get("onclick") and not href.startswith("http")):
            js_links += 1
    js_links += sum(1 for n in tree.css("[onclick]:not(a)") if _targets(n.attributes.get("onclick") or ""))
    if js_links >= 5 and js_links >= same_site:
        return f"menu of {js_links} javascript:/onclick/# links"
    if scripts:
        for node in tree.css(MENU_BOXES):
            marks = f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}".lower()
            if ("menu" in marks or "nav" in marks) and node.css_first("a, li") is None and not node_text(node, 40):
                return f"empty menu container <{node.tag} {marks.strip()[:40]}> filled by a script"
        for code in (s.text(deep=True) or "" for s in scripts):
            if "addMenuItem" in code or ("document.write" in code and "href" in code):
                return "menu written by a script"
    for ns in tree.css("noscript"):
        words = node_text(ns, 200)
        if len(words) >= 10:
            return f"<noscript> notice: {words[:60]}"
    if home and same_site < 5 and not any(link.tag in ("frame", "iframe") for link in page.links):
        return f"home page with {same_site} same-site links"
    if scripts and len(html) >= 15000 and same_site * 5000 < len(html):
        return f"{same_site} same-site links in {len(html) // 1000} KB"
    return None


def merge(plain: Page, rendered: Page) -> Page:
    """The rendered page, with any link only the plain HTML had kept."""
    seen = {canonical(link.url) for link in rendered.links}
    extra = [link for link in plain.links if canonical(link.url) not in seen]
    rendered.links = [*rendered.links, *extra]
    rendered.malformed = max(rendered.malformed, plain.malformed)
    if len(rendered.text) < len(plain.text):  # a failed render: keep the server's words
        rendered.title, rendered.headings = rendered.title or plain.title, rendered.headings or plain.headings
        rendered.text, rendered.content = plain.text, plain.content
    return rendered


def unavailable(options: RenderOptions) -> str | None:
    """Why Chromium cannot be used, or None."""
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    path = Path(options.chromium)
    if not path.is_file() or not os.access(path, os.X_OK):
        return f"Chromium not found at {options.chromium} (apt-get install chromium-headless-shell, or --chromium PATH)"
    return None


MAX_PAGES_AT_ONCE = 4  # pages being rendered at once in one process, all sites together
IDLE_CLOSE = 20.0  # seconds a batch keeps the browser open once no site in flight uses it
# Playwright's driver (Node.js, ~130 MB) with a young generation of 1 MB semi-spaces: some 18 MB less, its
# traffic (a page's requests and bodies) collected a little more often
DRIVER_NODE_OPTIONS = "--max-semi-space-size=1"


@contextlib.contextmanager
def _driver_environment() -> Iterator[None]:
    """NODE_OPTIONS for the Playwright driver while it starts (it copies this process's environment)."""
    before = os.environ.get("NODE_OPTIONS")
    os.environ["NODE_OPTIONS"] = f"{before} {DRIVER_NODE_OPTIONS}" if before else DRIVER_NODE_OPTIONS
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("NODE_OPTIONS", None)
        else:
            os.environ["NODE_OPTIONS"] = before


class Chromium:
    """One headless Chromium per process (per event loop), shared by every site; started on first need.

    Each site's renderer opens its pages in the browser's one context; the browser closes when its last user
    leaves, or, while a batch holds it (`keep_browser`), IDLE_CLOSE seconds after the last site using it left
    (started again when another site needs it).
    """

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._users = 0  # sites whose renderer uses the browser
        self._holds = 0  # batches keeping it between sites
        self._idle: asyncio.TimerHandle | None = None
        self._closing: set[asyncio.Task] = set()
        self._pw = None
        self._browser = None
        self._contexts: dict[str, object] = {}  # user agent -> its BrowserContext
        self.failure: str | None = None
        self.pages = asyncio.Semaphore(MAX_PAGES_AT_ONCE)

    def join(self) -> None:
        self._users += 1
        self._cancel_idle()

    async def leave(self) -> None:
        self._users -= 1
        if self._users > 0:
            return
        if self._holds > 0:
            self._idle = asyncio.get_running_loop().call_later(IDLE_CLOSE, self._close_when_idle)
        else:
            await self.close()

    def hold(self) -> None:
        """A batch keeps the browser between its sites."""
        self._holds += 1

    async def release(self) -> None:
        """The batch ended: the browser closes unless a site still uses it."""
        self._holds -= 1
        if self._holds <= 0 and self._users <= 0:
            await self.close()

    def _cancel_idle(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def _close_when_idle(self) -> None:
        """IDLE_CLOSE seconds after the last site left: close the browser if none came since."""
        self._idle = None
        if self._users <= 0 and self._browser is not None:
            task = asyncio.ensure_future(self._close_unused())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _close_unused(self) -> None:
        if self._users <= 0:
            await self.close()

    async def context(self, executable: str, user_agent: str):  # -> playwright BrowserContext
        """The browsing context every site's pages open in (one per user agent), started now if needed; raises
        when the browser cannot start. One context: the sites' pages share one renderer process, where a
        context per site held one each. Every request of a page goes through its own route (our fetcher)."""
        async with self._lock:
            if self._browser is None or not self._browser.is_connected():
                from playwright.async_api import async_playwright
                if self._pw is None:
                    with _driver_environment():
                        self._pw = await async_playwright().start()
                self._browser = await self._pw.chromium.launch(executable_path=executable, headless=True,
                                                               args=CHROMIUM_ARGS, timeout=30_000)
                self._contexts = {}
            context = self._contexts.get(user_agent)
            if context is None:
                context = await self._browser.new_context(
                    user_agent=user_agent, java_script_enabled=True, locale="th-TH", service_workers="block",
                    accept_downloads=False)
                # requests no rendered page's route answers (popups, workers) and every WebSocket: refused
                await context.route("**/*", _refuse)
                await context.route_web_socket(re.compile(".*"), _close_socket)
                self._contexts[user_agent] = context
            return context

    async def close(self) -> None:
        self._cancel_idle()
        async with self._lock:
            for thing, stop in ((self._browser, "close"), (self._pw, "stop")):
                if thing is not None:
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(getattr(thing, stop)(), timeout=10.0)
            self._browser = self._pw = None
            self._contexts = {}


_SHARED: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Chromium] = weakref.WeakKeyDictionary()


def shared_chromium() -> Chromium:
    """The process's browser for the running event loop."""
    loop = asyncio.get_running_loop()
    if loop not in _SHARED:
        _SHARED[loop] = Chromium()
    return _SHARED[loop]


@contextlib.asynccontextmanager
async def keep_browser():
    """Keep the shared browser open between sites (a batch): started only if a site needs it, closed when no
    site has used it for IDLE_CLOSE seconds."""
    chromium = shared_chromium()
    chromium.hold()
    try:
        yield chromium
    finally:
        await chromium.release()


class Renderer:
    """Renders the pages that need it in a context of the shared Chromium; degrades to plain HTTP."""

    def __init__(self, fetcher: Fetcher, options: RenderOptions | None = None):
        self.fetcher, self.options = fetcher, options or RenderOptions()
        self.rendered = 0
        self.failed = 0
        self.refused = 0  # requests of rendered pages past ROUTED_AT_ONCE / ROUTED_PER_PAGE
        self.notes: list[str] = []  # what an admin should know: no browser, pages given up on
        self.times_ms: list[float] = []
        self.started = False
        self._disabled = self.options.mode == "never"
        self._claimed = 0
        self._lock = asyncio.Lock()
        self._pool = asyncio.Semaphore(max(1, self.options.pool))
        self._chromium: Chromium | None = None
        self._context = None

    async def enrich(self, page: Page, html: str, home: bool = False) -> Page:
        """The page with its script links, rendered by Chromium when it needs it and the budget allows."""
        tree = LexborHTMLParser(html)  # one reading for both
        page.links = [*page.links, *script_links(page, html, tree)]
        if self._disabled or self._claimed >= self.options.budget:
            return page
        if self.options.mode != "always" and needs_render(page, html, home, tree) is None:
            return page
        self._claimed += 1
        content = await self.render(page.url, html)
        if content is None:
            return page
        rendered = parse(page.url, content)
        rendered.links = [*rendered.links, *script_links(rendered, content)]
        return merge(page, rendered)

    async def _start(self) -> bool:
        async with self._lock:
            if self._context is not None:
                return True
            if self._disabled:
                return False
            why = unavailable(self.options)
            if why is None:
                try:
                    self._chromium = shared_chromium()
                    self._chromium.join()
                    self._context = await self._chromium.context(self.options.chromium,
                                                                 self.fetcher.settings.user_agent)
                    self.started = True
                    return True
                except Exception as exc:  # noqa: BLE001 - any launch failure means: no browser
                    why = f"Chromium at {self.options.chromium} did not start ({type(exc).__name__}: "\
                          f"{str(exc).splitlines()[0][:120] if str(exc) else ''})"
                    await self._shutdown()
            self._disabled = True
            if self.options.mode == "always":
                raise RenderUnavailable(why)
            self.notes.append(f"render: {why}; pages built by scripts were read as plain HTML only")
            return False

    async def render(self, url: str, html: str | None = None) -> str | None:
        """The DOM of the page after its scripts ran, or None (no browser, timeout, error).

        `html` is the page as already fetched: the browser gets it without a second request."""
        if not await self._start():
            return None
        t0 = time.monotonic()
        async with self._pool, self._chromium.pages:
            try:
                dom = await asyncio.wait_for(self._render(url, html), timeout=self.options.deadline)
            except (TimeoutError, Exception) as exc:  # noqa: BLE001 - a page that fails stays plain HTML
                self.failed += 1
                if self.failed <= 3:
                    self.notes.append(f"render: gave up on {url} ({type(exc).__name__}); read as plain HTML")
                return None
        self.rendered += 1
        self.times_ms.append((time.monotonic() - t0) * 1000)
        return dom

    async def _render(self, url: str, html: str | None) -> str:
        assert self._context is not None
        nav_ms = self.options.nav_timeout * 1000
        page = await self._context.new_page()
        try:
            await page.add_init_script(REQUEST_BRAKE)
            page.set_default_timeout(nav_ms)
            site = site_key(url)
            first = {"url": url, "html": html, "pending": 0, "routed": 0}
            await page.route("**/*", lambda route: self._route(route, site, first))
            try:
                await page.goto(url, wait_until="load", timeout=nav_ms)
            except Exception as exc:  # noqa: BLE001 - load never fired: use what is there only if it parsed
                if "Timeout" not in type(exc).__name__:
                    raise
                await asyncio.wait_for(page.evaluate("document.readyState"), timeout=1.0)
            with contextlib.suppress(Exception):  # menus fetched from an API after load
                await page.wait_for_load_state("networkidle", timeout=min(3000, nav_ms))
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._open_menus(page), timeout=1.5)
            return await asyncio.wait_for(page.content(), timeout=5.0)
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(page.close(run_before_unload=False), timeout=5.0)

    @staticmethod
    async def _open_menus(page: object) -> None:
        """Hover a few collapsed menus so that menus built on hover exist in the DOM (cheap, bounded)."""
        toggles = page.locator("[aria-haspopup=true], .dropdown-toggle, .has-sub > a, .menu-item-has-children > a")  # type: ignore[attr-defined]
        count = min(await toggles.count(), 12)
        for i in range(count):
            with contextlib.suppress(Exception):
                await toggles.nth(i).hover(timeout=200, force=True)

    async def _route(self, route: object, site: str, first: dict) -> None:
        """Every request of a rendered page: answered from the fetcher, or refused. Chromium fetches nothing."""
        request = route.request  # type: ignore[attr-defined]
        url = request.url
        if request.resource_type in BLOCKED_TYPES or request.method not in BROWSER_METHODS \
                or not in_scope(url, site):
            await _refuse(route)
            return
        if first["html"] is not None and request.is_navigation_request() and canonical(url) == canonical(first["url"]):
            body, first["html"] = first["html"], None  # the page itself was fetched already
            with contextlib.suppress(Exception):
                await route.fulfill(status=200, body=body, content_type="text/html; charset=utf-8")  # type: ignore[attr-defined]
            return
        if first["pending"] >= ROUTED_AT_ONCE or first["routed"] >= ROUTED_PER_PAGE:
            self.refused += 1  # a script firing requests in a loop: the rest fail at once, nothing queues
            await _refuse(route)
            return
        first["pending"] += 1
        first["routed"] += 1
        try:
            resp = await asyncio.wait_for(self._fetch(request, site), timeout=self.options.nav_timeout)
        except Exception:  # noqa: BLE001 - timeout, closed fetcher: the browser sees a failed request
            resp = None
        finally:
            first["pending"] -= 1
        if resp is None:
            await _refuse(route)
            return
        headers = {k: v for k, v in resp.headers.items() if k in FULFILLED_HEADERS}
        with contextlib.suppress(Exception):  # the page may be gone (deadline)
            await route.fulfill(status=resp.status, headers=headers, body=resp.content)  # type: ignore[attr-defined]

    async def _fetch(self, request: object, site: str) -> Response | None:
        """The fetcher's answer to a browser request (guard on every hop, politeness, robots, caps), or None."""
        url = request.url  # type: ignore[attr-defined]
        if not await self.fetcher.allowed(url):
            return None
        extra = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}  # type: ignore[attr-defined]
        resp = await self.fetcher.request(url, method=request.method, extra=extra, retries=0)  # type: ignore[attr-defined]
        if resp.status == 0 or resp.error or not in_scope(resp.final_url, site):
            return None  # refused (private address, scheme), failed, or redirected off the site
        return resp

    def findings(self) -> list[str]:
        """What rendering did, for the run's findings."""
        notes = list(self.notes)
        if self.refused:
            notes.append(f"ปฏิเสธคำขอจากสคริปต์ของหน้าที่เปิดด้วยเบราว์เซอร์ {self.refused} คำขอ ({self.refused} requests "
                         f"of rendered pages refused: more than {ROUTED_AT_ONCE} at once or {ROUTED_PER_PAGE} a page)")
        if not self.rendered:
            return notes
        avg = sum(self.times_ms) / len(self.times_ms)
        return [*notes, f"rendered {self.rendered} page{'s' if self.rendered != 1 else ''} with Chromium "
                f"(avg {avg:.0f} ms, max {max(self.times_ms):.0f} ms)"]

    async def close(self) -> None:
        await self._shutdown()

    async def _shutdown(self) -> None:
        """Leave the shared browser (its pages are closed as each render ends); it closes when its last user leaves."""
        self._context = None
        if self._chromium is not None:
            chromium, self._chromium = self._chromium, None
            await chromium.leave()
