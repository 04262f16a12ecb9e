"""Render a filter AST as canonical SCIM filter text.

The text is what :func:`~idconnect.core.filter.parse` reads back into the same tree: operators in
lower case, strings JSON-encoded (non-ASCII kept as is), instants as quoted canonical UTC text,
one space around operators, and parentheses only where precedence needs them (an ``or`` inside an
``and``, a right-nested ``and``/``or`` of the same kind) plus the ones ``not (...)`` always has.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from decimal import Decimal

from idconnect.core.errors import FilterError
from idconnect.core.filter.ast import (
    And,
    AttrPath,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    Value,
    ValuePath,
)
from idconnect.core.instants import format_instant

__all__ = ["left_operands", "render_value", "to_text"]


def left_operands(node: And | Or) -> list[Filter]:
    """Flatten the left spine of a chain of one kind of node, without recursion.

    ``And(And(a, b), c)`` gives ``[a, b, c]``; a right operand of the same kind stays whole, so
    ``And(a, And(b, c))`` gives ``[a, And(b, c)]``.

    :param node: an :class:`And` or :class:`Or`.
    :returns: the operands, leftmost first, at least two.
    """
    kind = type(node)
    rights: list[Filter] = []
    current: Filter = node
    while isinstance(current, kind):
        rights.append(current.right)
        current = current.left
    rights.append(current)
    rights.reverse()
    return rights


def render_value(value: Value) -> str:
    """Render a comparison value as a SCIM compValue.

    :param value: a string, boolean, number, ``None`` or aware ``datetime``.
    :returns: ``"text"`` (JSON-encoded), ``true``, ``false``, ``null``, a JSON number, or a
        quoted canonical UTC instant.
    :raises FilterError: when the value is a non-finite float or a naive datetime.
    """
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise FilterError(f"a datetime in a filter must be timezone-aware, got {value!r}")
        return json.dumps(format_instant(value), ensure_ascii=False)
    if isinstance(value, float) and not math.isfinite(value):
        raise FilterError(f"a filter number must be finite, got {value!r}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FilterError(f"a filter number must be finite, got {value!r}")
        return format(value, "f") if value == value.to_integral_value() else str(value)
    return json.dumps(value, ensure_ascii=False)


def _path(path: AttrPath, parent: AttrPath | None) -> str:
    if parent is not None and path.sub is not None and path.name.lower() == parent.name.lower():
        return path.sub
    return str(path)


def _render(node: Filter, parent: AttrPath | None) -> str:
    if isinstance(node, Comparison):
        return f"{_path(node.path, parent)} {node.op.value} {render_value(node.value)}"
    if isinstance(node, Present):
        return f"{_path(node.path, parent)} pr"
    if isinstance(node, Not):
        return f"not ({_render(node.operand, parent)})"
    if isinstance(node, ValuePath):
        return f"{node.path}[{_render(node.filter, node.path)}]"
    keyword, needs_parens = ("and", (And, Or)) if isinstance(node, And) else ("or", (Or,))
    parts = []
    for operand in left_operands(node):
        text = _render(operand, parent)
        parts.append(f"({text})" if isinstance(operand, needs_parens) else text)
    return f" {keyword} ".join(parts)


def to_text(f: Filter) -> str:
    """Render a filter as canonical SCIM filter text.

    Inside a value path, paths of a bound tree (absolute, ``emails.type``) are written relative
    to the value path (``emails[type eq "work"]``); schema URN prefixes are kept.

    :param f: a filter tree, bound or not.
    :returns: text such that ``parse(to_text(f)) == f`` for any tree :func:`parse` returns.
    :raises FilterError: when a value cannot be written (a non-finite float, a naive datetime).
    """
    return _render(f, None)
