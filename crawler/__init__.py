"""OIT website-compliance crawler: audit a Thai public agency's site against the ITA OIT checklist.

    import crawler
    doc = crawler.audit("https://www.example.go.th/", crawler.Options(db="oit.db"))
    for item in doc["items"]:
        print(item["id"], item["status"])
    doc = crawler.audit(url, crawler.Options(checklist=crawler.for_year(2566)))   # another year's list

Every error meant for a person derives from `OitError` and says what went wrong in one line.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_HOMES = {  # public name -> the module it lives in
    "SiteUnreachable": "audit", "audit": "audit", "scan_site": "audit",
    "DEFAULT_CHECKLIST": "checklist", "Checklist": "checklist", "ChecklistError": "checklist", "Item": "checklist",
    "checklists_dir": "checklist", "follow": "checklist", "for_year": "checklist", "load": "checklist",
    "year_files": "checklist",
    "Budget": "config", "Options": "config", "RenderOptions": "config", "Settings": "config",
    "STATUS_TH": "models", "STATUSES": "models", "ItemResult": "models", "OitError": "models", "ResultDoc": "models",
    "Store": "store", "StoreError": "store",
}

__all__ = [
    "DEFAULT_CHECKLIST", "STATUSES", "STATUS_TH", "Budget", "Checklist", "ChecklistError", "Item", "ItemResult",
    "OitError", "Options", "RenderOptions", "ResultDoc", "Settings", "SiteUnreachable", "Store", "StoreError",
    "__version__", "audit", "checklists_dir", "follow", "for_year", "load", "scan_site", "year_files",
]

if TYPE_CHECKING:
    from .audit import SiteUnreachable, audit, scan_site
    from .checklist import (
        DEFAULT_CHECKLIST,
        Checklist,
        ChecklistError,
        Item,
        checklists_dir,
        follow,
        for_year,
        load,
        year_files,
    )
    from .config import Budget, Options, RenderOptions, Settings
    from .models import STATUS_TH, STATUSES, ItemResult, OitError, ResultDoc
    from .store import Store, StoreError


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """`crawler.audit` is the function: importing the submodule `crawler.audit` does not replace it."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and _HOMES.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
