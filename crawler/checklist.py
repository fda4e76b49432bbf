"""Load and validate a checklist YAML file into typed objects.

Errors name the file, the line and the field: `checklists/x.yaml:12: items[3].period: ...`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .patterns import Pattern, compile_all
from .thai import key

PERIODS = ("current", "in_year", "previous_year", "first_half", "covers_year", "exists")
KINDS = ("page", "document", "channel", "external")
DEFAULT_CHECKLIST = Path(__file__).resolve().parent.parent / "checklists" / "oit-2565.yaml"


_SCALARS = yaml.constructor.SafeConstructor()


class ChecklistError(ValueError):
    """A checklist that cannot be used; the message is `file:line: field: problem`."""


CHECKS = ("form", "image", "map", "social", "months")


@dataclass(frozen=True)
class Requirement:
    """An element the evidence must show: words in its text, or a mechanical check."""

    name: str
    text: tuple[Pattern, ...]
    check: str | None


@dataclass(frozen=True)
class Item:
    id: str
    number: int
    indicator: str
    sub_indicator: str
    title: str
    gist: str
    must_show: tuple[str, ...]
    period: str
    kind: str
    phrases: tuple[Pattern, ...]
    weak: tuple[Pattern, ...]
    context: tuple[Pattern, ...]
    child_phrases: tuple[Pattern, ...]
    url_hints: tuple[str, ...]
    hosts: tuple[str, ...]
    url_decoys: tuple[str, ...]
    decoys: tuple[Pattern, ...]
    requires: tuple[Requirement, ...] = ()
    review_labels: tuple[Pattern, ...] = ()  # labels of pages that may serve the item: review, never found
    sections: bool = True  # a headed block of a page (home-page news block) can be this item's evidence


@dataclass(frozen=True)
class Checklist:
    path: str
    name: str
    year: int
    version: str
    source: str
    numbering_years: tuple[int, ...]
    list_markers: tuple[Pattern, ...]
    generic_anchors: frozenset[str]
    placeholders: tuple[Pattern, ...]
    not_found: tuple[Pattern, ...]
    items: tuple[Item, ...]
    test_markers: tuple[Pattern, ...] = ()  # a row or post that is only a test ("ทดสอบ"): never evidence
    empty_listing: tuple[Pattern, ...] = ()  # a list or filter page that shows no documents

    def by_number(self, number: int) -> Item | None:
        return next((i for i in self.items if i.number == number), None)


def _plain(node: yaml.Node, path: str, lines: dict[str, int]) -> Any:
    """Turn a composed YAML node into Python data, remembering each path's line."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            name = str(k.value)
            out[name] = _plain(v, f"{path}.{name}" if path else name, lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, f"{path}[{i}]", lines) for i, v in enumerate(node.value)]
    return _SCALARS.construct_object(node)


class _Reader:
    """Typed field access over plain data, raising ChecklistError with file:line."""

    def __init__(self, file: str, lines: dict[str, int]):
        self.file, self.lines = file, lines

    def fail(self, path: str, problem: str) -> ChecklistError:
        probe = path
        while probe and probe not in self.lines:
            probe = probe.rsplit(".", 1)[0] if "." in probe else ""
        return ChecklistError(f"{self.file}:{self.lines.get(probe, 1)}: {path or 'file'}: {problem}")

    def get(self, data: dict, path: str, name: str, kind: type, default: Any = ...) -> Any:
        field = f"{path}.{name}" if path else name
        if name not in data:
            if default is ...:
                raise self.fail(path, f"missing field '{name}'")
            return default
        value = data[name]
        if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.fail(field, f"must be {kind.__name__}, got {type(value).__name__}")
        return value

    def strings(self, data: dict, path: str, name: str, required: bool = False) -> tuple[str, ...]:
        values = self.get(data, path, name, list, ... if required else [])
        field = f"{path}.{name}" if path else name
        for i, v in enumerate(values):
            if not isinstance(v, (str, int)) or isinstance(v, bool) or not str(v).strip():
                raise self.fail(f"{field}[{i}]", "must be a non-empty string")
        if required and not values:
            raise self.fail(field, "must not be empty")
        return tuple(str(v) for v in values)

    def patterns(self, data: dict, path: str, name: str, required: bool = False) -> tuple[Pattern, ...]:
        values = self.strings(data, path, name, required)
        field = f"{path}.{name}" if path else name
        try:
            return compile_all(list(values))
        except ValueError as e:
            raise self.fail(field, str(e)) from None

    def choice(self, data: dict, path: str, name: str, options: tuple[str, ...]) -> str:
        value = self.get(data, path, name, str)
        if value not in options:
            raise self.fail(f"{path}.{name}", f"'{value}' is not one of {', '.join(options)}")
        return value


_ITEM_FIELDS = {
    "id", "number", "indicator", "sub_indicator", "title", "gist", "must_show", "period", "kind",
    "phrases", "weak", "context", "child_phrases", "url_hints", "hosts", "url_decoys", "decoys", "requires",
    "review_labels", "sections",
}
_TOP_FIELDS = {
    "name", "assessment_year", "version", "source", "numbering_years", "list_markers",
    "generic_anchors", "placeholders", "not_found", "items", "test_markers", "empty_listing",
}


def _item(r: _Reader, data: Any, path: str) -> Item:
    if not isinstance(data, dict):
        raise r.fail(path, "must be a mapping")
    unknown = sorted(set(data) - _ITEM_FIELDS)
    if unknown:
        raise r.fail(f"{path}.{unknown[0]}", "unknown field (typo?)")
    return Item(
        id=r.get(data, path, "id", str),
        number=r.get(data, path, "number", int),
        indicator=r.get(data, path, "indicator", str),
        sub_indicator=r.get(data, path, "sub_indicator", str),
        title=r.get(data, path, "title", str),
        gist=r.get(data, path, "gist", str),
        must_show=r.strings(data, path, "must_show"),
        period=r.choice(data, path, "period", PERIODS),
        kind=r.choice(data, path, "kind", KINDS),
        phrases=r.patterns(data, path, "phrases", required=True),
        weak=r.patterns(data, path, "weak"),
        context=r.patterns(data, path, "context"),
        child_phrases=r.patterns(data, path, "child_phrases"),
        url_hints=tuple(h.lower() for h in r.strings(data, path, "url_hints")),
        hosts=tuple(h.lower() for h in r.strings(data, path, "hosts")),
        url_decoys=tuple(h.lower() for h in r.strings(data, path, "url_decoys")),
        decoys=r.patterns(data, path, "decoys"),
        requires=tuple(_requirement(r, d, f"{path}.requires[{i}]")
                       for i, d in enumerate(r.get(data, path, "requires", list, []))),
        review_labels=r.patterns(data, path, "review_labels"),
        sections=r.get(data, path, "sections", bool, True),
    )


def _requirement(r: _Reader, data: Any, path: str) -> Requirement:
    if not isinstance(data, dict):
        raise r.fail(path, "must be a mapping with name and text or check")
    unknown = sorted(set(data) - {"name", "text", "check"})
    if unknown:
        raise r.fail(f"{path}.{unknown[0]}", "unknown field (typo?)")
    check = r.get(data, path, "check", str, None)
    if check is not None and check not in CHECKS:
        raise r.fail(f"{path}.check", f"'{check}' is not one of {', '.join(CHECKS)}")
    text = r.patterns(data, path, "text")
    if not text and check is None:
        raise r.fail(path, "needs text patterns or a check")
    return Requirement(r.get(data, path, "name", str), text, check)


def load(path: str | Path = DEFAULT_CHECKLIST) -> Checklist:
    """Read and validate a checklist file; raise ChecklistError naming file, line and field."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ChecklistError(f"{file}: cannot read checklist: {e}") from None
    try:
        node = yaml.compose(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ChecklistError(f"{file}:{line}: YAML syntax: {getattr(e, 'problem', e)}") from None
    lines: dict[str, int] = {}
    data = _plain(node, "", lines) if node is not None else None
    r = _Reader(file, lines)
    if not isinstance(data, dict):
        raise r.fail("", "must be a mapping with name, assessment_year and items")
    unknown = sorted(set(data) - _TOP_FIELDS)
    if unknown:
        raise r.fail(unknown[0], "unknown field (typo?)")
    raw_items = r.get(data, "", "items", list)
    items = tuple(_item(r, d, f"items[{i}]") for i, d in enumerate(raw_items))
    seen: dict[str, int] = {}
    for i, it in enumerate(items):
        for label, value in (("id", it.id), ("number", it.number)):
            if (label, value) in seen:
                raise r.fail(f"items[{i}].{label}", f"duplicate {label} {value!r}")
            seen[(label, value)] = i
    if not items:
        raise r.fail("items", "must list at least one item")
    return Checklist(
        path=file,
        name=r.get(data, "", "name", str),
        year=r.get(data, "", "assessment_year", int),
        version=r.get(data, "", "version", str),
        source=r.get(data, "", "source", str, ""),
        numbering_years=tuple(r.get(data, "", "numbering_years", list, [])),
        list_markers=r.patterns(data, "", "list_markers"),
        generic_anchors=frozenset(key(a) for a in r.strings(data, "", "generic_anchors")),
        placeholders=r.patterns(data, "", "placeholders"),
        not_found=r.patterns(data, "", "not_found"),
        items=items,
        test_markers=r.patterns(data, "", "test_markers"),
        empty_listing=r.patterns(data, "", "empty_listing"),
    )
