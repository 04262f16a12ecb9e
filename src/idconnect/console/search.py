"""The listing's filter panel: the fields a store can be searched by, and the filter they build.

:func:`search_fields` lists a store's searchable, visible attributes (custom ones included) in the
panel's four sections: identifiers, attributes, dates and group membership.
:func:`read_search` turns the listing's query parameters into a :class:`Search`: the pinned fields
(``pin``, in the order chosen; they stay until deselected), their values (``v.PATH``, ``op.PATH``;
``from.PATH`` and ``to.PATH`` for dates), the advanced box's raw SCIM filter (``filter``), and the
filter tree they make together. Values are never pasted into filter text: the tree is built with
:func:`~idconnect.core.filter.attr`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from functools import reduce

from attrs import frozen
from starlette.datastructures import QueryParams

from idconnect.cli.errors import filter_column
from idconnect.core.errors import FilterError
from idconnect.core.filter import Filter, attr, bind, parse, to_text
from idconnect.core.schema import AttrType, Catalogue

__all__ = [
    "GROUP_PATH",
    "SECTIONS",
    "TEXT_OPERATORS",
    "AdvancedError",
    "Search",
    "SearchField",
    "check_advanced",
    "read_search",
    "search_fields",
]

GROUP_PATH = "groups.value"
"""The membership field: the group picker filters on the group's id."""
SECTIONS = ("Identifiers", "Attributes", "Dates", "Membership")
"""The filter panel's sections, in order."""
TEXT_OPERATORS = {"sw": "starts with", "eq": "is", "co": "contains", "ew": "ends with"}
"""The comparisons offered for text fields (the first is the default)."""
NUMBER_OPERATORS = {"eq": "=", "gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
"""The comparisons offered for number fields (the first is the default)."""
_IDENTIFIERS = {
    "id": "Id",
    "userName": "User name",
    "emails.value": "Email",
    "phoneNumbers.value": "Phone",
    "externalIdentities.subject": "External identity subject",
}
_LABELS = {
    "meta.created": "Created",
    "meta.lastModified": "Last updated",
    "lastLogin": "Last login",
    "disabledAt": "Disabled at",
    GROUP_PATH: "Group",
}
_LEFT_OUT = frozenset({"groups.display"})
_VALUE_KEYS = frozenset({"v", "op", "from", "to"})


@frozen
class SearchField:
    """One field of the filter panel."""

    path: str
    """The attribute's canonical path (a custom one's short name)."""
    label: str
    """What the panel calls it."""
    kind: str
    """``text``, ``number``, ``boolean``, ``date`` or ``group``."""
    section: str
    """One of :data:`SECTIONS`."""
    custom: bool = False
    """Whether the store's config declares it."""


@frozen
class AdvancedError:
    """Why the advanced box's filter was refused, and where."""

    message: str
    """The cause (it starts with ``column N:`` for a syntax error)."""
    column: int | None
    """The 1-based column it points at, when known."""


@frozen
class Search:
    """The filter panel's state as read from a listing URL."""

    pins: tuple[SearchField, ...]
    """The pinned fields, in the order chosen."""
    values: Mapping[str, str]
    """Every ``v.``, ``op.``, ``from.`` and ``to.`` parameter given, to show again."""
    advanced: str
    """The advanced box's text, as typed."""
    tree: Filter | None
    """The filter of the pinned fields' values and the advanced box together."""
    errors: Mapping[str, str]
    """A pinned field's path to why its value was refused."""
    advanced_error: AdvancedError | None = None
    """Why the advanced filter was refused."""

    @property
    def text(self) -> str:
        """The combined filter as canonical SCIM text (empty for every account)."""
        return "" if self.tree is None else to_text(self.tree)


def _kind(t: AttrType) -> str:
    if t is AttrType.BOOLEAN:
        return "boolean"
    if t in (AttrType.INTEGER, AttrType.DECIMAL):
        return "number"
    if t is AttrType.DATETIME:
        return "date"
    return "text"


def search_fields(catalogue: Catalogue) -> list[SearchField]:
    """List the fields a store may be searched by, section by section.

    :param catalogue: the store's catalogue (:attr:`Store.catalogue`).
    :returns: every visible, searchable attribute but ``groups.display`` (the group picker
        covers membership), identifiers first.
    """
    found: list[SearchField] = []
    for d in catalogue:
        if not (d.visible and d.searchable) or d.path in _LEFT_OUT:
            continue
        kind = "group" if d.path == GROUP_PATH else _kind(d.type)
        if d.path in _IDENTIFIERS:
            section, label = "Identifiers", _IDENTIFIERS[d.path]
        elif kind == "group":
            section, label = "Membership", _LABELS[d.path]
        elif kind == "date":
            section, label = "Dates", _LABELS.get(d.path, d.path)
        else:
            section, label = "Attributes", d.path
        found.append(SearchField(d.path, label, kind, section, d.custom))
    return sorted(found, key=lambda f: SECTIONS.index(f.section))


def _day(text: str, path: str) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), time(), UTC)
    except ValueError:
        raise ValueError(f"{path}: {text!r} is not a date (YYYY-MM-DD)") from None


def _number(text: str) -> int | Decimal:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a number")
    return value


def _conditions(field: SearchField, params: QueryParams) -> list[Filter]:
    path = field.path
    ref = attr(path)
    if field.kind == "date":
        start, end = params.get(f"from.{path}", ""), params.get(f"to.{path}", "")
        found: list[Filter] = []
        if start:
            found.append(ref.ge(_day(start, "from")))
        if end:
            found.append(ref.lt(_day(end, "to") + timedelta(days=1)))
        if start and end and found and _day(end, "to") < _day(start, "from"):
            raise ValueError("the end of the range is before its start")
        return found
    value = params.get(f"v.{path}", "")
    if not value:
        return []
    if field.kind == "boolean":
        if value not in ("true", "false"):
            raise ValueError("choose yes or no")
        return [ref.eq(value == "true")]
    if field.kind == "number":
        op = params.get(f"op.{path}", "eq")
        if op not in NUMBER_OPERATORS:
            raise ValueError(f"unknown comparison {op!r}")
        return [getattr(ref, op)(_number(value))]
    if field.kind == "group":
        return [ref.eq(value)]
    op = params.get(f"op.{path}", "sw")
    if op not in TEXT_OPERATORS:
        raise ValueError(f"unknown comparison {op!r}")
    return [getattr(ref, op)(value)]


def read_search(params: QueryParams, fields: Sequence[SearchField]) -> Search:
    """Read the filter panel's state from a listing's query parameters.

    :param params: the query parameters (``pin``, ``v.PATH``, ``op.PATH``, ``from.PATH``,
        ``to.PATH``, ``filter``); a pin naming no field of ``fields`` is dropped.
    :param fields: the store's fields (:func:`search_fields`).
    :returns: the search; a refused value is in ``errors`` (the rest still filters), a
        malformed advanced filter in ``advanced_error`` with its column.
    """
    by_path = {f.path: f for f in fields}
    pins = tuple(by_path[p] for p in dict.fromkeys(params.getlist("pin")) if p in by_path)
    values = {k: v for k, v in params.multi_items() if k.partition(".")[0] in _VALUE_KEYS}
    conditions: list[Filter] = []
    errors: dict[str, str] = {}
    for field in pins:
        try:
            conditions.extend(_conditions(field, params))
        except ValueError as exc:
            errors[field.path] = str(exc)
    advanced = params.get("filter", "").strip()
    advanced_error = None
    if advanced:
        try:
            conditions.append(parse(advanced))
        except FilterError as exc:
            advanced_error = AdvancedError(exc.message, filter_column(exc, advanced))
    tree = reduce(lambda a, b: a & b, conditions) if conditions else None
    return Search(pins, values, advanced, tree, errors, advanced_error)


def check_advanced(search: Search, catalogue: Catalogue) -> Search:
    """Check the advanced filter's attributes against the store's, so an error points into it.

    :param search: the search read from the URL.
    :param catalogue: the store's catalogue.
    :returns: ``search``, or a copy with ``advanced_error`` set (and no tree) when the advanced
        filter names an attribute the store does not hold or search.
    """
    if not search.advanced or search.advanced_error is not None:
        return search
    try:
        bind(parse(search.advanced), catalogue)
    except FilterError as exc:
        error = AdvancedError(exc.message, filter_column(exc, search.advanced))
        return Search(search.pins, search.values, search.advanced, None, search.errors, error)
    return search
