"""The oit-result/1 document as JSON text."""

from __future__ import annotations

import json


def to_json(doc: dict) -> str:
    """The document as indented UTF-8 JSON, Thai kept as is."""
    return json.dumps(doc, ensure_ascii=False, indent=2)
