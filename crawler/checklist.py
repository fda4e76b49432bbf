"""Load and validate a checklist YAML file into typed objects.

Errors name the file, the line and the field: `checklists/x.yaml:12: items[3].period: ...`.
The shipped checklists are one per assessment year, `oit-YEAR.yaml` (`year_files`, `for_year`); an
item says which items of other years it carries on (`continues`), and `follow` maps items between years.
"""

from __future__ import annotations

import datetime
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .models import CHECKLIST_STATUSES, CHECKS, KINDS, PERIODS, OitError, basis_th
from .patterns import Pattern, compile_all
from .thai import key


def checklists_dir() -> Path:
    """Where the shipped checklists are: inside the installed package, or beside it in a source tree."""
    installed = Path(str(resources.files("crawler"))) / "checklists"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "checklists"


DEFAULT_CHECKLIST = checklists_dir() / "oit-2565.yaml"  # a fixed list for library callers; the command
# line, batches and the web app default to the assessment of the scan date's fiscal year (`assessment`)


_SCALARS = yaml.constructor.SafeConstructor()
MAX_BYTES = 2_000_000  # a checklist is ~100 KB; aliases and anchors are refused, so data never outgrows the file
MAX_DEPTH = 32  # nesting of mappings and lists (the format needs 5)


class ChecklistError(OitError, ValueError):
    """A checklist that cannot be used; the message is `file:line: field: problem`."""


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
    confirmed: bool = True  # two independent sources (or the manual) agree on its number and title
    unseen: bool = False  # inferred from neighbouring years: no source shows it
    source: str = ""  # where the item comes from, short
    continues: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (year, ids of that year this item carries on)
    review_labels: tuple[Pattern, ...] = ()  # labels of pages that may serve the item: review, never found
    sections: bool = True  # a headed block of a page (home-page news block) can be this item's evidence
    signs: tuple[Requirement, ...] = ()  # what a page shows when it holds the item unnamed: offered for review

    def continued(self, year: int) -> tuple[str, ...]:
        """The ids of `year`'s checklist this item says it continues."""
        return next((ids for y, ids in self.continues if y == year), ())


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
    status: str = "final"  # CHECKLIST_STATUSES
    test_markers: tuple[Pattern, ...] = ()  # a row or post that is only a test ("ทดสอบ"): never evidence
    empty_listing: tuple[Pattern, ...] = ()  # a list or filter page that shows no documents

    def item(self, item_id: str) -> Item | None:
        return next((i for i in self.items if i.id == item_id), None)


class _Refused(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark, problem: str):
        super().__init__(problem)
        self.problem_mark, self.problem = mark, problem


_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser and composer, where installed


def _refuse_unsafe(text: str) -> None:
    """Refuse aliases and anchors (no billion laughs, no cycles) and deep nesting, before anything is composed."""
    depth = 0
    for event in yaml.parse(text, Loader=_FAST):
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(event.start_mark, f"alias *{event.anchor} is not allowed (write the value out)")
        if getattr(event, "anchor", None):
            raise _Refused(event.start_mark, f"anchor &{event.anchor} is not allowed (write the value out)")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise _Refused(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


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
    try:
        return _SCALARS.construct_object(node)
    except (ValueError, OverflowError, ArithmeticError, yaml.YAMLError) as e:  # a 200,000-digit number ...
        digits = sum(c.isdigit() for c in str(node.value))
        problem = (f"a number of {digits:,} digits is not a value a checklist can hold" if digits > 100
                   else f"cannot be read as a value ({type(e).__name__})")
        raise _BadScalar(path, lines[path], problem) from None


class _BadScalar(Exception):
    def __init__(self, path: str, line: int, problem: str):
        super().__init__(problem)
        self.path, self.line, self.problem = path, line, problem


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

    def choice(self, data: dict, path: str, name: str, options: tuple[str, ...], default: Any = ...) -> str:
        value = self.get(data, path, name, str, default)
        if value not in options:
            raise self.fail(f"{path}.{name}" if path else name, f"'{value}' is not one of {', '.join(options)}")
        return value


_ITEM_FIELDS = {
    "id", "number", "indicator", "sub_indicator", "title", "gist", "must_show", "period", "kind",
    "phrases", "weak", "context", "child_phrases", "url_hints", "hosts", "url_decoys", "decoys", "requires",
    "confirmed", "unseen", "source", "continues", "review_labels", "sections", "signs",
}
_TOP_FIELDS = {
    "name", "assessment_year", "version", "status", "source", "numbering_years", "list_markers",
    "generic_anchors", "placeholders", "not_found", "items", "test_markers", "empty_listing",
}


def _item(r: _Reader, data: Any, path: str) -> Item:
    if not isinstance(data, dict):
        raise r.fail(path, "must be a mapping")
    unknown = sorted(set(data) - _ITEM_FIELDS)
    if unknown:
        raise r.fail(f"{path}.{unknown[0]}", "unknown field (typo?)")
    confirmed = r.get(data, path, "confirmed", bool, True)  # a checklist of one's own is taken as meant
    unseen = r.get(data, path, "unseen", bool, False)
    if unseen and confirmed:
        raise r.fail(f"{path}.unseen", "an unseen item cannot be confirmed: set confirmed: false")
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
        confirmed=confirmed,
        unseen=unseen,
        source=r.get(data, path, "source", str, ""),
        continues=_continues(r, data, path),
        review_labels=r.patterns(data, path, "review_labels"),
        sections=r.get(data, path, "sections", bool, True),
        signs=tuple(_requirement(r, d, f"{path}.signs[{i}]")
                    for i, d in enumerate(r.get(data, path, "signs", list, []))),
    )


def _continues(r: _Reader, data: dict, path: str) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """`continues: {2565: [O10, O18]}`: the items of other years this one carries on."""
    raw = r.get(data, path, "continues", dict, {})
    out = []
    for name, ids in raw.items():  # keys arrive as text
        field = f"{path}.continues.{name}"
        year = int(name) if str(name).isdigit() else 0
        if not 2500 <= year <= 2700:
            raise r.fail(field, f"'{name}' is not an assessment year B.E. (e.g. 2565)")
        if not isinstance(ids, list) or not ids:
            raise r.fail(field, "must list the item ids of that year, e.g. [O10, O18] (leave the year out if none)")
        for j, x in enumerate(ids):
            if not isinstance(x, str) or not x.strip():
                raise r.fail(f"{field}[{j}]", "must be an item id such as O10")
        if len(set(ids)) != len(ids):
            raise r.fail(field, "names an item twice")
        out.append((year, tuple(ids)))
    return tuple(out)


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


def load(path: str | Path | None = None) -> Checklist:
    """Read and validate a checklist file (None: the default one); raise ChecklistError naming file, line and field.

    A file read before and unchanged since (same size and modification time) is not read again."""
    path = DEFAULT_CHECKLIST if path is None else path
    try:
        stat = os.stat(path)
    except OSError:
        return _load(str(path))  # says why it cannot be read
    return _load_unchanged(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=32)
def _load_unchanged(file: str, mtime_ns: int, size: int) -> Checklist:
    return _load(file)


def _load(path: str) -> Checklist:
    file = str(path)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ChecklistError(f"{file}:1: file: larger than {MAX_BYTES // 1_000_000} MB, refused")
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ChecklistError(f"{file}: cannot read checklist: {e}") from None
    try:
        _refuse_unsafe(text)
        node = yaml.compose(text, Loader=_FAST)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problem = str(getattr(e, "problem", e))
        if "nesting depth" in problem:  # libyaml's own limit, met while it reads ahead
            problem = f"nested more than {MAX_DEPTH} levels deep"
        raise ChecklistError(f"{file}:{line}: YAML syntax: {problem}") from None
    lines: dict[str, int] = {}
    try:
        data = _plain(node, "", lines) if node is not None else None
    except _BadScalar as e:
        raise ChecklistError(f"{file}:{e.line}: {e.path or 'file'}: {e.problem}") from None
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
    year = r.get(data, "", "assessment_year", int)
    named = _YEAR_FILE.match(Path(path).name)
    if named and int(named.group(1)) != year:
        raise r.fail("assessment_year", f"{year}, but the file is named for {named.group(1)}")
    _check_continues(r, Path(path), year, items)
    return Checklist(
        path=file,
        name=r.get(data, "", "name", str),
        year=year,
        version=r.get(data, "", "version", str),
        source=r.get(data, "", "source", str, ""),
        numbering_years=tuple(r.get(data, "", "numbering_years", list, [])),
        list_markers=r.patterns(data, "", "list_markers"),
        generic_anchors=frozenset(key(a) for a in r.strings(data, "", "generic_anchors")),
        placeholders=r.patterns(data, "", "placeholders"),
        not_found=r.patterns(data, "", "not_found"),
        items=items,
        status=r.choice(data, "", "status", CHECKLIST_STATUSES, "final"),
        test_markers=r.patterns(data, "", "test_markers"),
        empty_listing=r.patterns(data, "", "empty_listing"),
    )


# ------------------------------------------------------------------------------------ years, continuity

_YEAR_FILE = re.compile(r"^oit-(\d{4})\.yaml$")


def year_files(folder: str | Path | None = None) -> dict[int, Path]:
    """The checklists of a folder (default: the shipped ones) by assessment year, from names `oit-YYYY.yaml`."""
    folder = Path(folder) if folder is not None else checklists_dir()
    found = {}
    for p in folder.glob("oit-*.yaml") if folder.is_dir() else ():
        if m := _YEAR_FILE.match(p.name):
            found[int(m.group(1))] = p
    return dict(sorted(found.items()))


def for_year(year: int, folder: str | Path | None = None) -> Path:
    """The shipped checklist of an assessment year (B.E.); a one-line ChecklistError naming the years there are."""
    files = year_files(folder)
    if year in files:
        return files[year]
    have = ", ".join(str(y) for y in files) or "none"
    hint = ""
    if 0 < year < 100:
        hint = f" (did you mean {2500 + year}? years are B.E.)"
    elif 1900 < year < 2200:
        hint = f" (did you mean {year + 543}? years are B.E., {year} is A.D.)"
    raise ChecklistError(f"no checklist for year {year}{hint}; checklists exist for {have}")


def _sibling_ids(path: Path, year: int, cache: dict) -> set[str] | None:
    """Item ids of `oit-YEAR.yaml` beside `path`, read without validating it; None if absent or unreadable."""
    other = path.parent / f"oit-{year}.yaml"
    if other.resolve() == path.resolve() or not other.is_file():
        return None
    if other not in cache:
        try:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            data = yaml.load(other.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader)
            items = data.get("items") if isinstance(data, dict) else None
            cache[other] = {str(i.get("id")) for i in items if isinstance(i, dict)} if isinstance(items, list) else None
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            cache[other] = None  # a broken file reports its own errors when it is loaded
    return cache[other]


def _check_continues(r: _Reader, path: Path, year: int, items: tuple[Item, ...]) -> None:
    """Every `continues` names a year other than this one and, when that year's file is beside this one,
    items it has."""
    cache: dict = {}
    for i, it in enumerate(items):
        for other, ids in it.continues:
            field = f"items[{i}].continues.{other}"
            if other == year:
                raise r.fail(field, f"an item cannot continue items of its own year {year}")
            known = _sibling_ids(path, other, cache)
            if known is None:
                continue
            missing = [x for x in ids if x not in known]
            if missing:
                raise r.fail(field, f"{', '.join(missing)} not in {path.parent / f'oit-{other}.yaml'}")


def follow(checklists: Iterable[Checklist], item_id: str, from_year: int, to_year: int) -> tuple[str, ...]:
    """The items of `to_year` that carry on item `item_id` of `from_year` (or that it carries on).

    Pure: follows `continues` in either direction, year by year toward `to_year` (a link may skip years),
    so 2565 O10 -> 2566 O11 -> 2568 O6. Ids come back in `to_year`'s checklist order; () when the item was
    dropped on the way or a year's checklist is missing from `checklists`.
    """
    lists = {c.year: c for c in checklists}
    if from_year == to_year:
        return (item_id,) if to_year in lists and lists[to_year].item(item_id) else ()
    links: dict[tuple[int, str], set[tuple[int, str]]] = {}
    for c in lists.values():
        for it in c.items:
            for other, ids in it.continues:
                for x in ids:
                    links.setdefault((c.year, it.id), set()).add((other, x))
                    links.setdefault((other, x), set()).add((c.year, it.id))
    lo, hi = sorted((from_year, to_year))
    ahead = (lambda y, z: y < z) if to_year > from_year else (lambda y, z: y > z)
    seen, todo, found = set(), [(from_year, item_id)], set()
    while todo:
        node = todo.pop()
        for nxt in links.get(node, ()):
            y = nxt[0]
            if nxt in seen or not lo <= y <= hi or not ahead(node[0], y) or y not in lists:
                continue
            seen.add(nxt)
            if y == to_year:
                found.add(nxt[1])
            else:
                todo.append(nxt)
    return tuple(it.id for it in lists[to_year].items if it.id in found) if to_year in lists else ()


# ------------------------------------------------------------------------------- today's assessment

_BANGKOK = datetime.timezone(datetime.timedelta(hours=7))


def scan_date(text: str | None = None) -> datetime.date:
    """The date a scan is judged on: `text` ("2569-12-04" B.E. or "2026-12-04"), else env OIT_TODAY, else
    today in Bangkok. A year of 2400 or more is B.E."""
    text = (text or os.environ.get("OIT_TODAY") or "").strip()
    if not text:
        return datetime.datetime.now(_BANGKOK).date()
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    try:
        if not m:
            raise ValueError
        year, month, day = (int(g) for g in m.groups())
        return datetime.date(year - 543 if year >= 2400 else year, month, day)
    except ValueError:
        raise ChecklistError(f"'{text}' is not a date: write YYYY-MM-DD, e.g. 2569-12-04 (B.E.) or 2026-12-04"
                             ) from None


def fiscal_year_of(day: datetime.date) -> int:
    """The B.E. fiscal year a date falls in (October starts the next one)."""
    return day.year + 543 + (1 if day.month >= 10 else 0)


@dataclass(frozen=True)
class Assessment:
    """Which list judges which fiscal year: the list's own year and the fiscal year its periods are judged for."""

    path: Path
    list_year: int  # the checklist's assessment_year
    year: int  # the fiscal year (B.E.) periods are judged for
    draft: bool
    substitute: bool  # the fiscal year has no list of its own: the newest earlier one stands in

    def basis(self) -> str:
        """The Thai sentence every output heads with."""
        return basis_th(self.list_year, self.draft, self.year, self.substitute)


def _status_of(path: Path) -> str:
    try:
        return load(path).status
    except ChecklistError:
        return "final"


def assessment(year: int | None = None, checklist: str | Path | None = None, today: datetime.date | None = None,
               folder: str | Path | None = None) -> Assessment:
    """The list and fiscal year a scan uses. `checklist` (a file) and/or `year` as asked; neither: the fiscal year
    of `today` (default: `scan_date()`), judged against its own shipped list or, when there is none yet, the newest
    shipped list not after it (FY2570 -> oit-2569.yaml, a draft)."""
    if checklist is not None:
        c = load(checklist)
        return Assessment(Path(checklist), c.year, year or c.year, c.status == "draft", False)
    if year is not None:
        path = for_year(year, folder)
        return Assessment(path, year, year, _status_of(path) == "draft", False)
    fy = fiscal_year_of(today or scan_date())
    files = year_files(folder)
    usable = [y for y in files if y <= fy]
    if not usable:
        have = ", ".join(str(y) for y in files) or "none"
        raise ChecklistError(f"no checklist for fiscal year {fy} or before; checklists exist for {have}")
    list_year = max(usable)
    return Assessment(files[list_year], list_year, fy, _status_of(files[list_year]) == "draft", list_year != fy)


def new_year(year: int, source_year: int, folder: str | Path | None = None) -> str:
    """The text of a draft `oit-YEAR.yaml` made from `source_year`'s list: every item continues its item of that
    year, with its phrases, periods and elements, unconfirmed, for a person to edit when the NACC publishes."""
    src = for_year(source_year, folder)
    if year == source_year:
        raise ChecklistError(f"a new checklist needs another year than {source_year}")
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    base = load(src)
    data["name"] = f"OIT {year} (ร่าง)"
    data["assessment_year"] = year
    data["version"] = "0.1"
    data["status"] = "draft"
    data["source"] = (f"copied from oit-{source_year}.yaml by `oit checklist new {year} --from {source_year}`: "
                      f"no {year} list seen yet; edit when the NACC publishes it")
    data["numbering_years"] = sorted({*base.numbering_years, year})
    for item in data["items"]:
        item["confirmed"] = False
        item.pop("unseen", None)
        item["source"] = f"not seen for {year}: assumed unchanged from {source_year} {item['id']}"
        item["continues"] = {source_year: [item["id"]]}
    head = (f"# OIT {year} checklist: DRAFT made from oit-{source_year}.yaml (`oit checklist new {year} --from "
            f"{source_year}`).\n# Every item is assumed unchanged from {source_year} and unconfirmed: renumber, "
            f"rename and re-date it from\n# the NACC {year} manual or an agency's {year} page, then run "
            f"`oit check-checklist`.\n")
    # the order of the fields as in the source; `continues` after `source`
    items = []
    for item in data["items"]:
        ordered = {k: item[k] for k in ("id", "number", "confirmed", "source", "continues") if k in item}
        ordered.update({k: v for k, v in item.items() if k not in ordered})
        items.append(ordered)
    data["items"] = items
    return head + yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
