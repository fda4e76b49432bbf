"""Results to people and programs: terminal, JSON, CSV, XLSX, HTML, NACC paste (pure, no database or network)."""

# Everything scraped (titles, link texts, reasons, URLs) is made inert: a municipal page can contain anything,
# and an output is opened in a terminal, a browser or Excel.

from .html import html_batch, html_site
from .jsondoc import to_json
from .nacc import nacc_paste
from .tables import LAYOUTS, safe_cell, table, to_csv
from .terminal import plain, print_table, summary_line
from .xlsx import to_xlsx

__all__ = ["LAYOUTS", "html_batch", "html_site", "nacc_paste", "plain", "print_table", "safe_cell", "summary_line",
           "table", "to_csv", "to_json", "to_xlsx"]
