"""OIT website-compliance crawler: audit a Thai public agency's site against the ITA OIT checklist.

    import crawler
    doc = crawler.audit("https://www.example.go.th/", crawler.Options(db="oit.db"))
    for item in doc["items"]:
        print(item["id"], item["status"])
    doc = crawler.audit(url, crawler.Options(checklist=crawler.for_year(2566)))   # another year's list

Every error meant for a person derives from `OitError` and says what went wrong in one line.
"""

__version__ = "0.1.0"

from .audit import SiteUnreachable, audit, scan_site  # noqa: E402
from .checklist import (  # noqa: E402
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
from .config import Budget, Options, RenderOptions, Settings  # noqa: E402
from .models import STATUS_TH, STATUSES, ItemResult, OitError, ResultDoc  # noqa: E402
from .store import Store, StoreError  # noqa: E402

__all__ = [
    "DEFAULT_CHECKLIST", "STATUSES", "STATUS_TH", "Budget", "Checklist", "ChecklistError", "Item", "ItemResult",
    "OitError", "Options", "RenderOptions", "ResultDoc", "Settings", "SiteUnreachable", "Store", "StoreError",
    "__version__", "audit", "checklists_dir", "follow", "for_year", "load", "scan_site", "year_files",
]
