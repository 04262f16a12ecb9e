"""SCIM PATCH (RFC 7644 §3.5.2) applied to a resource's JSON document.

:func:`apply_patch` runs ``add``, ``replace`` and ``remove`` operations on a copy of the
canonical JSON of a resource: paths ``attr``, ``attr.sub``, ``urn:...:attr``, and value paths
``attr[filter]`` / ``attr[filter].sub`` whose filter selects values of a multi-valued
attribute. The handlers then compare the result with the original and hand the difference to
the facade, so the store's own checks (types, editability, versions) apply unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from attrs import frozen

from idconnect.core.errors import FilterError
from idconnect.core.filter import And, AttrPath, CompareOp, Comparison, Filter, Not, Or, Present
from idconnect.core.filter import parse as parse_filter
from idconnect.http.scim.common import invalid

__all__ = ["PATCH_OP", "PatchPath", "apply_patch", "patch_operations"]

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

_MAX_OPERATIONS = 1000


@frozen
class PatchPath:
    """A parsed PATCH ``path``: ``[schema:]attr[[filter]][.sub]``."""

    schema: str | None
    attr: str
    filter: Filter | None
    sub: str | None

    @classmethod
    def parse(cls, text: Any) -> PatchPath:
        """Parse a PATCH path.

        :param text: the path as sent.
        :returns: the path.
        :raises ApiError: 400 ``invalidPath`` for text that is not a path, ``invalidFilter``
            for a malformed value filter.
        """
        if not isinstance(text, str) or not text.strip() or len(text) > 1024:
            raise invalid("a PATCH path must be text of 1 to 1024 characters", "invalidPath")
        text = text.strip()
        where: Filter | None = None
        sub: str | None = None
        head = text
        if "[" in text:
            start, end = text.index("["), text.rfind("]")
            if end < start:
                raise invalid(f"unbalanced brackets in path {text!r}", "invalidPath")
            head, inner, tail = text[:start], text[start + 1 : end], text[end + 1 :]
            try:
                where = parse_filter(inner)
            except FilterError as exc:
                raise invalid(f"path {text!r}: {exc.message}", "invalidFilter") from None
            if tail and (not tail.startswith(".") or not tail[1:].isidentifier()):
                raise invalid(f"path {text!r} does not end in .subAttribute", "invalidPath")
            sub = tail[1:] or None
        try:
            path = AttrPath.of(head)
        except ValueError:
            raise invalid(f"{text!r} is not an attribute path", "invalidPath") from None
        if where is not None and path.sub is not None:
            raise invalid(f"path {text!r} filters a sub-attribute", "invalidPath")
        return cls(path.schema, path.name, where, sub if where is not None else path.sub)


def patch_operations(doc: Any) -> list[tuple[str, PatchPath | None, Any]]:
    """Read a PatchOp message.

    :param doc: the request body.
    :returns: each operation as ``(op, path or None, value)``, ``op`` lower-cased.
    :raises ApiError: 400 ``invalidSyntax`` for a body that is not a PatchOp message, 400
        ``invalidValue`` for an unknown op, ``noTarget`` for a ``remove`` without a path,
        ``tooMany`` past 1000 operations.
    """
    if not isinstance(doc, Mapping) or PATCH_OP not in (doc.get("schemas") or []):
        raise invalid(f"the body must be a PatchOp message ({PATCH_OP})", "invalidSyntax")
    listed = doc.get("Operations", doc.get("operations"))
    if not isinstance(listed, list) or not listed:
        raise invalid("Operations must be a non-empty list", "invalidSyntax")
    if len(listed) > _MAX_OPERATIONS:
        raise invalid(f"at most {_MAX_OPERATIONS} PATCH operations at once", "tooMany")
    operations = []
    for item in listed:
        if not isinstance(item, Mapping):
            raise invalid("each PATCH operation must be an object", "invalidSyntax")
        op = str(item.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise invalid(f"unknown PATCH op {item.get('op')!r} (add, replace or remove)")
        path = None if item.get("path") in (None, "") else PatchPath.parse(item["path"])
        if op == "remove" and path is None:
            raise invalid("a remove operation needs a path", "noTarget")
        if op != "remove" and "value" not in item:
            raise invalid(f"an {op} operation needs a value")
        operations.append((op, path, item.get("value")))
    return operations


def _key(container: Mapping[str, Any], name: str) -> str | None:
    low = name.lower()
    return next((k for k in container if k.lower() == low), None)


def _text(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _compare(op: CompareOp, have: Any, want: Any) -> bool:
    if op is CompareOp.EQ:
        return bool(_text(have) == _text(want))
    if op is CompareOp.NE:
        return bool(_text(have) != _text(want))
    if have is None:
        return False
    if op in (CompareOp.CO, CompareOp.SW, CompareOp.EW):
        if not isinstance(have, str) or not isinstance(want, str):
            return False
        text, part = have.casefold(), want.casefold()
        if op is CompareOp.CO:
            return part in text
        return text.startswith(part) if op is CompareOp.SW else text.endswith(part)
    if isinstance(have, bool) or isinstance(want, bool):
        return False
    first: Any
    second: Any
    if isinstance(have, int | float | Decimal) and isinstance(want, int | float | Decimal):
        first, second = Decimal(str(have)), Decimal(str(want))
    elif isinstance(have, str) and isinstance(want, str):
        first, second = have.casefold(), want.casefold()
    else:
        return False
    return bool(
        {
            CompareOp.GT: first > second,
            CompareOp.GE: first >= second,
            CompareOp.LT: first < second,
            CompareOp.LE: first <= second,
        }[op]
    )


def matches(value: Any, where: Filter) -> bool:
    """Say whether one value of a multi-valued attribute meets a value filter.

    :param value: the value (an object of sub-attributes, or a simple value as ``value``).
    :param where: the filter, its paths naming sub-attributes (``type eq "work"``).
    :returns: whether it matches (strings compare ignoring case).
    """
    item = value if isinstance(value, Mapping) else {"value": value}
    if isinstance(where, And):
        return matches(item, where.left) and matches(item, where.right)
    if isinstance(where, Or):
        return matches(item, where.left) or matches(item, where.right)
    if isinstance(where, Not):
        return not matches(item, where.operand)
    if isinstance(where, Present | Comparison):
        name = where.path.sub or where.path.name
        found = _key(item, name)
        have = item[found] if found is not None else None
        if isinstance(where, Present):
            return have not in (None, "", [], {})
        return _compare(where.op, have, where.value)
    raise invalid("a value filter may not nest another value filter", "invalidFilter")


def _container(
    doc: dict[str, Any], path: PatchPath, core: str, sections: Mapping[str, str]
) -> dict[str, Any]:
    schema = path.schema or sections.get(path.attr.lower())
    if schema is None or schema.lower() == core.lower():
        return doc
    key = _key(doc, schema) or schema
    section = doc.setdefault(key, {})
    if not isinstance(section, dict):
        raise invalid(f"{schema} is not an object", "invalidPath")
    return section


def _merge(target: dict[str, Any], value: Mapping[str, Any]) -> None:
    for name, item in value.items():
        key = _key(target, name) or name
        target[key] = item


def _set(container: dict[str, Any], path: PatchPath, op: str, value: Any) -> None:
    key = _key(container, path.attr) or path.attr
    current = container.get(key)
    if path.filter is not None:
        if not isinstance(current, list):
            raise invalid(f"no value of {path.attr!r} matches the filter", "noTarget")
        hits = [i for i, v in enumerate(current) if matches(v, path.filter)]
        if not hits:
            raise invalid(f"no value of {path.attr!r} matches the filter", "noTarget")
        for i in hits:
            if path.sub is not None:
                if not isinstance(current[i], dict):
                    raise invalid(f"{path.attr!r} has no sub-attributes", "invalidPath")
                current[i][_key(current[i], path.sub) or path.sub] = value
            elif op == "replace":
                current[i] = value
            elif isinstance(current[i], dict) and isinstance(value, Mapping):
                _merge(current[i], value)
            else:
                current[i] = value
        return
    if path.sub is not None:
        if isinstance(current, list):
            for item in current:
                if isinstance(item, dict):
                    item[_key(item, path.sub) or path.sub] = value
            return
        if current is None:
            current = container[key] = {}
        if not isinstance(current, dict):
            raise invalid(f"{path.attr!r} has no sub-attributes", "invalidPath")
        current[_key(current, path.sub) or path.sub] = value
        return
    if op == "add" and isinstance(current, list):
        extra = value if isinstance(value, list) else [value]
        current.extend(v for v in extra if v not in current)
    elif op == "add" and isinstance(current, dict) and isinstance(value, Mapping):
        _merge(current, value)
    else:
        container[key] = value


def _remove(container: dict[str, Any], path: PatchPath, value: Any) -> None:
    key = _key(container, path.attr)
    if key is None:
        return
    current = container[key]
    if path.filter is None and path.sub is None:
        if isinstance(value, list) and isinstance(current, list):
            container[key] = [v for v in current if not any(_same(v, w) for w in value)]
        else:
            del container[key]
        return
    if path.filter is None:
        items = current if isinstance(current, list) else [current]
        for item in items:
            if isinstance(item, dict) and (sub := _key(item, str(path.sub))) is not None:
                del item[sub]
        return
    if not isinstance(current, list):
        return
    if path.sub is None:
        container[key] = [v for v in current if not matches(v, path.filter)]
        return
    for item in current:
        if isinstance(item, dict) and matches(item, path.filter):
            sub = _key(item, path.sub)
            if sub is not None:
                del item[sub]


def _same(have: Any, want: Any) -> bool:
    """Whether a listed value is one a ``remove`` with a value names (by its ``value``)."""
    if isinstance(have, Mapping) and isinstance(want, Mapping):
        h, w = _key(have, "value"), _key(want, "value")
        if h is not None and w is not None:
            return bool(_text(have[h]) == _text(want[w]))
    return bool(have == want)


def apply_patch(
    doc: Mapping[str, Any],
    operations: list[tuple[str, PatchPath | None, Any]],
    *,
    core_schema: str,
    sections: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Apply PATCH operations to a copy of a resource document.

    :param doc: the resource's JSON (extension attributes under their schema URN).
    :param operations: what :func:`patch_operations` returned.
    :param core_schema: the resource's core schema URN (a path may be prefixed with it).
    :param sections: lower-cased name of an attribute written without its URN to the
        extension schema that holds it (``organization`` -> the idconnect extension).
    :returns: the changed copy.
    :raises ApiError: 400 ``noTarget`` when a value filter matches nothing to change,
        ``invalidPath`` / ``invalidValue`` for a path or value that does not fit.
    """
    result = copy.deepcopy(dict(doc))
    where = sections or {}
    for op, path, value in operations:
        if path is None:
            if not isinstance(value, Mapping):
                raise invalid(f"an {op} without a path needs an object of attributes")
            for name, item in value.items():
                if name.lower().startswith("urn:") and isinstance(item, Mapping):
                    section = _container(result, PatchPath(name, "x", None, None), core_schema, {})
                    if op == "replace":
                        _merge(section, item)
                    else:
                        for sub_name, sub_value in item.items():
                            _set(section, PatchPath(None, sub_name, None, None), op, sub_value)
                    continue
                target = PatchPath(None, name, None, None)
                _set(_container(result, target, core_schema, where), target, op, item)
            continue
        container = _container(result, path, core_schema, where)
        if op == "remove":
            _remove(container, path, value)
        else:
            _set(container, path, op, value)
    return result
