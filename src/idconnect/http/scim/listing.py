"""Query parameters of SCIM searches (RFC 7644 §3.4.2, RFC 9865) and their hard limits.

``GET /Users?...`` and ``POST /Users/.search`` both become a :class:`ListParams`; the filter
is measured (length, nesting, comparisons) before the store sees it, ``count`` is bounded, and
``attributes``/``excludedAttributes`` project the returned documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from idconnect.core.errors import FilterError
from idconnect.core.filter import And, Filter, Not, Or, ValuePath, parse
from idconnect.http.calls import api_error
from idconnect.http.limits import Limits
from idconnect.http.scim.common import invalid

__all__ = ["ListParams", "checked_filter", "project"]

ALWAYS_RETURNED = frozenset({"id", "schemas", "meta"})
"""Attributes every projected resource keeps (``returned: always`` in RFC 7643)."""


@frozen(kw_only=True)
class ListParams:
    """One search, as the client asked for it."""

    filter: Filter | None = None
    sort_by: str | None = None
    descending: bool = False
    start_index: int = 1
    count: int
    cursor: str | None = None
    """The RFC 9865 cursor: ``None`` for index paging, ``""`` for the first cursor page."""
    attributes: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()

    @classmethod
    def parse(cls, values: Mapping[str, Any], limits: Limits, default_count: int) -> ListParams:
        """Read and check the parameters of one search.

        :param values: query parameters, or the body of a ``.search`` request (any case).
        :param limits: the service's limits.
        :param default_count: the page size when ``count`` is absent.
        :returns: the parameters.
        :raises ApiError: 400 ``invalidFilter`` for a filter over the limits or malformed,
            400 ``tooMany`` for a ``count`` over :attr:`Limits.max_count`, 400
            ``invalidValue`` for any other bad value.
        """
        lower = {str(k).lower(): v for k, v in values.items()}
        text = lower.get("filter")
        order = str(lower.get("sortorder") or "ascending").lower()
        if order not in ("ascending", "descending"):
            raise invalid("sortOrder must be 'ascending' or 'descending'")
        count = _whole(lower.get("count"), "count", default_count, minimum=0)
        if count > limits.max_count:
            raise invalid(
                f"count {count} is more than this service serves at once ({limits.max_count})",
                "tooMany",
            )
        cursor = lower.get("cursor")
        if cursor is not None and not isinstance(cursor, str):
            raise invalid("cursor must be text")
        sort_by = lower.get("sortby")
        if sort_by is not None and not isinstance(sort_by, str):
            raise invalid("sortBy must be an attribute name")
        return cls(
            filter=None if text in (None, "") else checked_filter(text, limits),
            sort_by=sort_by or None,
            descending=order == "descending",
            start_index=_whole(lower.get("startindex"), "startIndex", 1, minimum=1),
            count=count,
            cursor=cursor,
            attributes=_names(lower.get("attributes"), "attributes"),
            excluded=_names(lower.get("excludedattributes"), "excludedAttributes"),
        )


def _whole(value: Any, what: str, default: int, *, minimum: int) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise invalid(f"{what} must be a whole number")
    text = str(value).strip()
    if not text.isdigit() or len(text) > 12:
        raise invalid(f"{what} must be a whole number of at most 12 digits")
    number = int(text)
    if number < minimum:
        raise invalid(f"{what} must be {minimum} or more")
    return number


def _names(value: Any, what: str) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise invalid(f"{what} must be a comma-separated list of attribute names")
    names = tuple(i.strip() for i in items if i.strip())
    if len(names) > 100:
        raise invalid(f"{what} may name at most 100 attributes", "tooMany")
    return names


def checked_filter(text: Any, limits: Limits) -> Filter:
    """Parse a filter within the service's limits.

    :param text: the filter text.
    :param limits: the limits (length, nesting depth, comparisons).
    :returns: the parsed filter.
    :raises ApiError: 400 ``invalidFilter`` naming the limit or the syntax error.
    """
    if not isinstance(text, str):
        raise invalid("filter must be text", "invalidFilter")
    if len(text) > limits.max_filter_length:
        raise invalid(
            f"the filter is {len(text)} characters long; at most"
            f" {limits.max_filter_length} are accepted",
            "invalidFilter",
        )
    try:
        tree = parse(text)
    except FilterError as exc:
        raise api_error(exc) from exc
    depth, terms = _measure(tree)
    if depth > limits.max_filter_depth:
        raise invalid(
            f"the filter nests {depth} levels deep; at most {limits.max_filter_depth} are accepted",
            "invalidFilter",
        )
    if terms > limits.max_filter_terms:
        raise invalid(
            f"the filter has {terms} comparisons; at most {limits.max_filter_terms} are accepted",
            "invalidFilter",
        )
    return tree


def _measure(tree: Filter) -> tuple[int, int]:
    """Return the nesting depth and the number of comparisons of a filter (no recursion).

    A chain of one operator (``a or b or c``) is one level, however long.
    """
    deepest = terms = 0
    stack: list[tuple[Filter, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, And | Or):
            stack += [
                (child, depth if type(child) is type(node) else depth + 1)
                for child in (node.left, node.right)
            ]
        elif isinstance(node, Not):
            stack.append((node.operand, depth + 1))
        elif isinstance(node, ValuePath):
            stack.append((node.filter, depth + 1))
        else:
            terms += 1
    return deepest, terms


def _split(name: str) -> tuple[str | None, str, str | None]:
    """``[urn:...:]attr[.sub]`` as (schema or None, attr, sub or None), names lower-cased."""
    schema = None
    rest = name
    if name.lower().startswith("urn:"):
        schema, _, rest = name.rpartition(":")
        schema = schema.lower()
    attr, _, sub = rest.partition(".")
    return schema, attr.lower(), sub.lower() or None


def _pick(doc: Mapping[str, Any], wanted: list[tuple[str, str | None]]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in doc.items():
        subs = [sub for attr, sub in wanted if attr == key.lower()]
        if not subs:
            continue
        if None in subs or not isinstance(value, Mapping | list):
            kept[key] = value
        elif isinstance(value, list):
            kept[key] = [
                {k: v for k, v in item.items() if k.lower() in subs}
                for item in value
                if isinstance(item, Mapping)
            ]
        else:
            kept[key] = {k: v for k, v in value.items() if k.lower() in subs}
    return kept


def _drop(doc: Mapping[str, Any], unwanted: list[tuple[str, str | None]]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in doc.items():
        subs = [sub for attr, sub in unwanted if attr == key.lower()]
        if None in subs and key.lower() not in ALWAYS_RETURNED:
            continue
        if subs and isinstance(value, list):
            value = [
                {k: v for k, v in item.items() if k.lower() not in subs}
                for item in value
                if isinstance(item, Mapping)
            ]
        elif subs and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k.lower() not in subs}
        kept[key] = value
    return kept


def project(
    doc: dict[str, Any],
    attributes: tuple[str, ...],
    excluded: tuple[str, ...],
    core_schema: str,
) -> dict[str, Any]:
    """Apply ``attributes`` / ``excludedAttributes`` to one resource (RFC 7644 §3.9).

    Names may carry their schema URN (``urn:...:User:organization``) or not; a whole
    extension is named by its URN.

    :param doc: the resource's JSON; extension attributes sit under their schema URN.
    :param attributes: the only attributes to return (besides ``id``, ``schemas``, ``meta``).
    :param excluded: attributes to leave out (ignored when ``attributes`` is given).
    :param core_schema: the resource's core schema URN.
    :returns: the projected copy.
    """
    if not attributes and not excluded:
        return doc
    raw = attributes or excluded
    extensions = {k.lower(): k for k in doc if k.lower().startswith("urn:")}
    sections = {n.lower() for n in raw if n.lower() in extensions}
    names = [_split(n) for n in raw if n.lower() not in extensions]

    def level(schema: str) -> list[tuple[str, str | None]]:
        return [(a, sub) for s, a, sub in names if s is None or s == schema]

    top = level(core_schema.lower())
    if attributes:
        result = _pick(doc, [*top, *((a, None) for a in ALWAYS_RETURNED)])
        for low, key in extensions.items():
            section = doc[key] if low in sections else _pick(doc[key], level(low))
            if section:
                result[key] = section
        return result
    result = _drop(doc, top)
    for low, key in extensions.items():
        if low in sections:
            result.pop(key, None)
        elif isinstance(doc[key], Mapping):
            result[key] = _drop(doc[key], level(low))
    return result
