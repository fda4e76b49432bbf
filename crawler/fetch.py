"""The only module that talks HTTP: politeness, robots.txt, retries, TLS fallback, size caps.

Safety: with `Settings.allow_private` off, every hop's host is resolved and refused when any address
is not public, and the connection then goes to the address that was checked (`PinnedTransport`):
httpx never resolves the name a second time, so a name that answers public then private (DNS
rebinding) cannot reach the private one.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import os
import socket
import ssl
import time
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx
from protego import Protego

from .config import Settings
from .urls import canonical, well_formed

ROBOTS_TOKEN = "OITCrawler"
RETRY_STATUS = {429, 500, 502, 503, 504}
MAX_ENCODINGS = 2  # content encodings stacked on one answer (`gzip, gzip` happens); more are refused
INFLATE_STEP = 65_536  # bytes inflated at a time by each layer: a bomb never gets a whole chunk inflated


@dataclass
class Response:
    """What a request gave: status 0 with `error` when there was no HTTP answer."""

    url: str
    final_url: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""
    error: str | None = None
    truncated: bool = False
    tls_insecure: bool = False  # answered only without certificate verification
    redirects: list[str] = field(default_factory=list)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def _verified_context() -> ssl.SSLContext:
    """httpx's verifying context, made once per process and CA setting (reading the CA bundle costs ~15 ms)."""
    return _verifying(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@lru_cache(maxsize=4)
def _verifying(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    """`httpx.create_ssl_context`, which reads these two variables of the environment."""
    return httpx.create_ssl_context(verify=True)


@lru_cache(maxsize=1)
def _insecure_context() -> ssl.SSLContext:
    """Last resort for old municipal servers: no verification, legacy renegotiation allowed (one per process)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)
    with contextlib.suppress(ssl.SSLError):
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():  # old servers speak TLS 1.0; Python warns that it is old
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    return ctx


# (host as httpcore connects to it, the checked addresses) of the request being sent in this task
_PINNED: contextvars.ContextVar[tuple[str, tuple[str, ...]] | None] = contextvars.ContextVar("oit_pinned",
                                                                                            default=None)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the addresses the guard checked for the request being sent, never to a fresh lookup.

    The URL keeps its host name: the Host header, TLS SNI and certificate checks use the name; only the
    TCP connection goes to the pinned address. Without a pin (`allow_private`) it is httpcore's own backend.
    """

    def __init__(self) -> None:
        self._net = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: object = None) -> httpcore.AsyncNetworkStream:
        pinned = _PINNED.get()
        if pinned is None:
            return await self._net.connect_tcp(host, port, timeout, local_address, socket_options)
        name, addresses = pinned
        if name.lower() != host.lower() or not addresses:
            raise httpcore.ConnectError(f"refused: connection to {host} was not checked")
        error: Exception | None = None
        for address in addresses:  # each one checked public; the next when one does not answer
            try:
                return await self._net.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: object = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("refused: unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._net.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over `PinnedBackend`; no proxy from the environment (a proxy would resolve names)."""

    def __init__(self, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        # httpx.AsyncHTTPTransport.__init__ builds a pool without a choice of backend: build it here instead
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections, keepalive_expiry=limits.keepalive_expiry,
            network_backend=PinnedBackend())


class TooManyEncodings(ValueError):
    """An answer with more stacked content encodings than MAX_ENCODINGS."""


class _Layer:
    """One content encoding (gzip or deflate), inflated INFLATE_STEP bytes at a time, `limit` bytes at most."""

    def __init__(self, name: str, limit: int) -> None:
        self.name, self.limit, self.out = name, limit, 0
        self.z = zlib.decompressobj(16 + zlib.MAX_WBITS if name != "deflate" else zlib.MAX_WBITS)
        self.started = False

    def pieces(self, data: bytes) -> Iterator[bytes]:
        """What `data` inflates to, a piece at a time; stops at the end of the stream or past `limit`."""
        while not self.z.eof and self.out <= self.limit:
            try:
                piece = self.z.decompress(data, INFLATE_STEP)
            except zlib.error:
                if self.name == "deflate" and not self.started:  # deflate sent raw, without its zlib header
                    self.z, self.started = zlib.decompressobj(-zlib.MAX_WBITS), True
                    continue
                raise
            self.started = True
            data = self.z.unconsumed_tail
            self.out += len(piece)
            if piece:
                yield piece
            if not data and len(piece) < INFLATE_STEP:
                return


class _Decoder:
    """The body of an answer from its raw bytes: each content encoding undone with a bound at every layer.

    httpx inflates every layer of `gzip, gzip` whole (1 KB on the wire, 1 GB in memory) and a whole chunk of a
    plain bomb before the cap sees it: here no layer makes more than INFLATE_STEP bytes before the next
    one (and the cap) sees them, and none makes more than `limit` bytes in all."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        names = [n.strip().lower() for n in content_encoding.split(",")]
        names = ["gzip" if n == "x-gzip" else n for n in names if n in ("gzip", "x-gzip", "deflate")]
        if len(names) > MAX_ENCODINGS:
            raise TooManyEncodings(f"{len(names)} stacked content encodings ({content_encoding[:60]}) refused")
        self.layers = [_Layer(n, limit) for n in reversed(names)]  # the last applied is undone first

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._pump(0, data)

    def _pump(self, i: int, data: bytes) -> Iterator[bytes]:
        if i == len(self.layers):
            if data:
                yield data
            return
        for piece in self.layers[i].pieces(data):
            if i + 1 < len(self.layers) and self.layers[i + 1].z.eof:
                return  # what follows the inner stream's end is never read
            yield from self._pump(i + 1, piece)

    @property
    def exceeded(self) -> bool:
        return any(layer.out > layer.limit for layer in self.layers)


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "SSL" in type(seen).__name__ or "CERTIFICATE" in str(seen).upper():
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(value: str | None, default: float) -> float:
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


class HostGate:
    """Requests at a time and the delay between them, per server.

    One gate can be shared by the fetchers of many sites (a batch): with `resolve`, sites hosted
    on one server (the same IP address) share its limit.
    """

    def __init__(self, per_host: int = 2, delay: float = 0.2, resolve: bool = False):
        self.per_host, self.delay, self.resolve = per_host, delay, resolve
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._last: dict[str, float] = {}
        self._ips: dict[str, str] = {}

    async def server(self, netloc: str) -> str:
        """The key a request is limited by: host:port, or the resolved address."""
        if not self.resolve:
            return netloc
        if netloc not in self._ips:
            parts = urlsplit(f"//{netloc}")
            host, port = parts.hostname or netloc, parts.port
            try:
                info = await asyncio.get_running_loop().getaddrinfo(host, port or 80)
                ip = info[0][4][0]
            except (OSError, UnicodeError):
                ip = host
            self._ips[netloc] = f"{ip}:{port}" if port and port not in (80, 443) else ip
        return self._ips[netloc]

    async def enter(self, netloc: str, extra_delay: float = 0.0) -> str:
        """Wait for a slot and the server's delay; returns the key to `leave` with.

        The delay separates request starts: each request reserves its start time at least
        `delay` after the previous one's, so a slow answer does not slow the allowed rate.
        """
        server = await self.server(netloc)
        slot = self._slots.setdefault(server, asyncio.Semaphore(self.per_host))
        await slot.acquire()
        now = time.monotonic()
        start = max(now, self._last.get(server, -1e9) + max(self.delay, extra_delay))
        self._last[server] = start  # reserved before sleeping: the next request queues after it
        if start > now:
            await asyncio.sleep(start - now)
        return server

    def leave(self, server: str) -> None:
        self._slots[server].release()


class Fetcher:
    """Polite async HTTP client: per-host concurrency and delay, robots.txt, retries, TLS fallback."""

    def __init__(self, settings: Settings | None = None, gate: HostGate | None = None):
        self.settings = s = settings or Settings()
        self.gate = gate or HostGate(s.per_host, s.delay)
        timeout = httpx.Timeout(s.read_timeout, connect=s.connect_timeout)
        headers = {"User-Agent": s.user_agent, "Accept-Language": "th,en;q=0.8",
                   "Accept-Encoding": "gzip, deflate"}  # the encodings `_Decoder` undoes
        limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
        self._limits = limits
        self._secure = httpx.AsyncClient(timeout=timeout, headers=headers, follow_redirects=False,
                                         transport=PinnedTransport(_verified_context(), limits))
        self._insecure: httpx.AsyncClient | None = None
        self._client_args = {"timeout": timeout, "headers": headers}
        self._robots: dict[str, Protego | None] = {}
        self._robots_lock: dict[str, asyncio.Lock] = {}
        self.insecure_hosts: set[str] = set()
        self.findings: list[str] = []
        self.requests = 0
        self.crawl_delay: dict[str, float] = {}
        self.tap: Callable[[Response], None] | None = None  # sees every final answer (the evidence archive)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._secure.aclose()
        if self._insecure is not None:
            await self._insecure.aclose()

    def _client(self, host: str) -> httpx.AsyncClient:
        if host not in self.insecure_hosts:
            return self._secure
        if self._insecure is None:
            self._insecure = httpx.AsyncClient(follow_redirects=False, transport=PinnedTransport(
                _insecure_context(), self._limits), **self._client_args)
        return self._insecure

    async def _once(self, method: str, url: str, extra: dict[str, str], cap: int,
                    addresses: tuple[str, ...] | None) -> Response:
        """One HTTP exchange; with `addresses` (checked by `_guard`) the connection goes only to them."""
        host = urlsplit(url).netloc
        server = await self.gate.enter(host, self.crawl_delay.get(host, 0.0))
        pin = None
        try:
            self.requests += 1
            req = self._client(host).build_request(method, url, headers=extra)
            pin = _PINNED.set((req.url.raw_host.decode("ascii"), addresses) if addresses is not None else None)
            resp = await self._client(host).send(req, stream=True)
            try:
                body, truncated, raw = bytearray(), False, 0
                if method != "HEAD":  # raw bytes, inflated here with a bound at every layer (`_Decoder`)
                    decoder = _Decoder(resp.headers.get("content-encoding", ""), 2 * cap + INFLATE_STEP)
                    async for chunk in resp.aiter_raw():
                        raw += len(chunk)
                        for piece in decoder.feed(chunk):
                            body += piece
                            if len(body) > cap:
                                break
                        if len(body) > cap or decoder.exceeded or raw > 2 * cap + INFLATE_STEP:
                            truncated = True
                            del body[cap:]
                            break
                return Response(url, url, resp.status_code, {k.lower(): v for k, v in resp.headers.items()},
                                bytes(body), truncated=truncated, tls_insecure=host in self.insecure_hosts)
            finally:
                await resp.aclose()
        finally:
            if pin is not None:
                _PINNED.reset(pin)
            self.gate.leave(server)

    async def request(self, url: str, method: str = "GET", cap: int | None = None,
                      extra: dict[str, str] | None = None, retries: int | None = None) -> Response:
        """One logical request: redirects followed, retries with backoff, TLS fallback."""
        s = self.settings
        cap = s.max_bytes if cap is None else cap
        retries = s.retries if retries is None else retries
        current, redirects = url, []
        attempt = 0
        while True:
            refused, addresses = await self._guard(current)
            host = "" if refused else urlsplit(current).netloc
            if refused:
                return Response(url, current, error=refused, redirects=redirects)
            try:
                resp = await asyncio.wait_for(self._once(method, current, extra or {}, cap, addresses),
                                              s.request_time)
            except TimeoutError:
                return Response(url, current, error=f"no complete answer within {s.request_time:.0f}s",
                                redirects=redirects)
            except TooManyEncodings as exc:
                return Response(url, current, error=f"refused: {exc}", redirects=redirects)
            except zlib.error as exc:
                return Response(url, current, error=f"DecodingError: {exc}"[:200], redirects=redirects)
            except (httpx.InvalidURL, ValueError) as exc:  # `http://xn--a.com/`: IDNAError; never a site's error
                return Response(url, current, error=f"malformed URL ({_short(exc)})", redirects=redirects)
            except httpx.HTTPError as exc:
                if _is_tls_error(exc) and host not in self.insecure_hosts and current.startswith("https"):
                    self.insecure_hosts.add(host)
                    self.findings.append(f"TLS: {host} failed verification or handshake ({_short(exc)}); "
                                         "retried without verification, legacy renegotiation allowed")
                    continue
                if attempt < retries and not isinstance(exc, httpx.InvalidURL):
                    attempt += 1
                    await asyncio.sleep(0.5 * 3 ** (attempt - 1))
                    continue
                return Response(url, current, error=_short(exc), redirects=redirects)
            if resp.status in RETRY_STATUS and attempt < retries:
                attempt += 1
                wait = _retry_after(resp.headers.get("retry-after"), 0.5 * 3 ** (attempt - 1))
                if wait <= s.max_retry_after:
                    await asyncio.sleep(wait)
                    continue
            if 300 <= resp.status < 400 and resp.headers.get("location") and len(redirects) < s.max_redirects:
                try:
                    nxt = canonical(urljoin(current, resp.headers["location"].strip()))
                except ValueError as exc:
                    return Response(url, current, resp.status, resp.headers, redirects=redirects,
                                    error=f"redirect to a malformed URL refused ({_short(exc)})")
                if urlsplit(nxt).scheme not in ("http", "https"):
                    return Response(url, current, resp.status, resp.headers, error=f"redirect to {nxt[:80]} refused",
                                    redirects=redirects)
                redirects.append(current)
                current = nxt
                if method == "POST":
                    method = "GET"
                continue
            if 300 <= resp.status < 400:
                resp.error = "too many redirects" if len(redirects) >= s.max_redirects else "redirect without Location"
            resp.url, resp.final_url, resp.redirects = url, current, redirects
            if self.tap is not None:
                self.tap(resp)
            return resp

    async def _guard(self, url: str) -> tuple[str | None, tuple[str, ...] | None]:
        """(why the URL must not be requested, None) or (None, the addresses to connect to).

        Checked on every hop, before any connection. With `allow_private` the addresses are None: the
        system resolves as usual. Otherwise the host is resolved once, here; every address must be public,
        and the connection is pinned to these addresses (no second lookup by httpx: DNS rebinding)."""
        scheme = url.partition(":")[0].lower()
        if scheme not in ("http", "https"):
            return f"refused: {scheme}: URLs are never fetched", None
        if not well_formed(url):
            return f"refused: malformed URL {url[:80]}", None
        parts = urlsplit(url)
        if self.settings.allow_private:
            return None, None
        host = parts.hostname or ""
        try:
            if self.settings.resolver is not None:
                addresses = [str(a) for a in self.settings.resolver(host)]
            else:
                info = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 80, type=socket.SOCK_STREAM)
                addresses = [str(i[4][0]) for i in info]
        except (OSError, UnicodeError) as e:
            return f"cannot resolve {host}: {e}", None
        if not addresses:
            return f"cannot resolve {host}: no address", None
        bad = next((a for a in addresses if not_public(a)), None)
        if bad:
            return f"refused: {host} resolves to a private address ({bad}); use --allow-private for intranets", None
        return None, tuple(dict.fromkeys(a.split("%")[0] for a in addresses))

    async def allowed(self, url: str) -> bool:
        """robots.txt verdict for the URL's host (fetched once per host)."""
        if not self.settings.obey_robots:
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._robots_lock.setdefault(origin, asyncio.Lock())
        async with lock:
            if origin not in self._robots:
                self._robots[origin] = await self._load_robots(origin)
        rules = self._robots[origin]
        return True if rules is None else rules.can_fetch(url, ROBOTS_TOKEN)

    async def _load_robots(self, origin: str) -> Protego | None:
        resp = await self.request(origin + "/robots.txt", cap=500_000, retries=1)
        if resp.status != 200 or "html" in resp.content_type:
            return None
        try:
            rules = Protego.parse(resp.content.decode("utf-8", errors="replace"))
        except Exception:  # noqa: BLE001 - a broken robots.txt means no rules
            self.findings.append(f"robots.txt of {origin} could not be read; treated as allowing all")
            return None
        delay = rules.crawl_delay(ROBOTS_TOKEN)
        if delay:
            self.crawl_delay[urlsplit(origin).netloc] = min(float(delay), 10.0)
        return rules


# not globally routable, though Python 3.11's `is_global` says they are (shared address space and the
# IETF protocol block among them); IPv6 forms carrying an IPv4 address are judged by that address
_NOT_GLOBAL = [ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
    "192.88.99.0/24", "192.175.48.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
    "::/96", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "fc00::/7", "fe80::/10")]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def not_public(address: str) -> bool:
    """Any address that is not globally routable: loopback, private, shared (100.64/10), link-local (cloud
    metadata 169.254.169.254), multicast, reserved, documentation; and IPv6 forms that carry one of these
    (IPv4-mapped, 6to4 `2002::/16`, NAT64 `64:ff9b::/96`; Teredo and the other IPv6 special ranges)."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is not None:
            return not_public(str(inner))
    if any(ip in net for net in _NOT_GLOBAL if net.version == ip.version):
        return True
    return not ip.is_global or ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast \
        or ip.is_reserved or ip.is_unspecified


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}"[:200]
