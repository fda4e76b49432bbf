"""One options tree for a scan: budget, politeness and safety, rendering, and where things are.

Each default is stated once, here. The library's defaults are the safe ones (private addresses
refused); the command line builds one `Options` from its arguments (`oit scan` allows private
addresses, since an admin may scan an intranet or a local test site).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__

USER_AGENT = f"OITCrawler/{__version__} (+https://github.com/oit-crawler/oit; ITA OIT website audit)"
DEFAULT_DB = Path("data/oit.db")
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def _find_chromium() -> str:
    """Chromium where it is installed (PATH, Ubuntu's snap, Chrome or Edge on Windows), else DEFAULT_CHROMIUM."""
    from .browsers import find_chromium
    return find_chromium()
RENDER_MODES = ("auto", "never", "always")


@dataclass
class Budget:
    """How much of one site a scan may read."""

    max_pages: int = 300
    max_depth: int = 5
    time_limit: float = 600.0  # seconds for the whole site
    per_pattern: int = 25  # URLs of one endless pattern (calendars, ?page=N)


@dataclass
class Settings:
    """Politeness, caps and safety of every request a scan makes."""

    per_host: int = 2  # requests at a time to one server
    delay: float = 0.2  # seconds between requests to one server
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    retries: int = 2
    max_bytes: int = 5_000_000  # a page, after decompression
    doc_bytes: int = 3_000_000  # a document read as evidence
    offsite_bytes: int = 65_536  # the one request to an off-site evidence link
    max_redirects: int = 10
    max_retry_after: float = 30.0
    obey_robots: bool = True
    user_agent: str = USER_AGENT
    request_time: float = 60.0  # a whole answer, however slowly it drips
    allow_private: bool = False  # loopback, private, link-local (metadata) addresses are refused unless allowed
    resolver: Callable[[str], list[str]] | None = None  # host -> addresses; None: the system's (tests inject)


@dataclass
class RenderOptions:
    """Chromium for pages whose menus are built by scripts."""

    mode: str = "auto"  # one of RENDER_MODES
    chromium: str = field(default_factory=lambda: os.environ.get("OIT_CHROMIUM") or _find_chromium())
    budget: int = 10  # pages rendered per site
    nav_timeout: float = 15.0
    deadline: float = 25.0  # total per page, settling and reading included
    pool: int = 2


@dataclass
class Options:
    """Everything one scan is asked to do."""

    checklist: str | Path | None = None  # None: the packaged default (2565); the CLI and the web app pass today's
    db: str | Path = DEFAULT_DB
    year: int | None = None  # the fiscal year periods are judged for; None: the checklist's
    today: str | None = None  # the scan date, "2569-12-04" (B.E.) or "2026-12-04"; None: env OIT_TODAY, else today
    budget: Budget = field(default_factory=Budget)
    settings: Settings = field(default_factory=Settings)
    check_offsite: bool | None = None  # None: only when the site itself is not local
    workers: int = 2
    render: RenderOptions = field(default_factory=RenderOptions)
    archive: bool = True  # keep a WARC copy of what the verdicts read, beside the database (crawler.archive)
