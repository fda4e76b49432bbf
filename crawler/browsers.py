"""Where Chromium is on this computer: Debian's headless shell or browser, Ubuntu's snap, Google Chrome, or Chrome
and Edge on Windows.

The headless shell (`apt install chromium-headless-shell`, the binary Playwright itself runs headless) comes
first: the same engine without the browser's user interface, its browser process about 90 MB smaller.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

DEFAULT = "/usr/bin/chromium"  # Debian's package (`apt install chromium`)
NAMES = ("chromium-headless-shell", "chrome-headless-shell", "chromium", "chromium-browser", "google-chrome",
         "google-chrome-stable", "chrome", "microsoft-edge")
PLACES = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium",
          "/usr/bin/google-chrome", "/opt/google/chrome/chrome",
          "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
WINDOWS = (("ProgramFiles", r"Google\Chrome\Application\chrome.exe"),
           ("ProgramFiles(x86)", r"Google\Chrome\Application\chrome.exe"),
           ("LocalAppData", r"Google\Chrome\Application\chrome.exe"),
           ("ProgramFiles(x86)", r"Microsoft\Edge\Application\msedge.exe"),
           ("ProgramFiles", r"Microsoft\Edge\Application\msedge.exe"))


def candidates(path: str | None = None) -> list[str]:
    """The places looked at, in order: the programs on PATH, then the usual install places."""
    found = [p for name in NAMES if (p := shutil.which(name, path=path))]
    found += list(PLACES)
    found += [str(Path(base) / rest) for env, rest in WINDOWS if (base := os.environ.get(env))]
    return found


def find_chromium(path: str | None = None) -> str:
    """The first Chromium (or Chrome, Edge) there is; Debian's path when there is none (the error names it)."""
    return next((p for p in candidates(path) if os.path.isfile(p) and os.access(p, os.X_OK)), DEFAULT)
