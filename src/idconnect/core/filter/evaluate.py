"""The reference filter evaluator: the semantics every backend must agree with.

:func:`evaluate` runs a *bound* filter (see :func:`~idconnect.core.filter.bind`) against one
:class:`~idconnect.core.model.Account`. The rules, which are the project's contract:

- **Values.** An attribute's values are those :func:`values_at` returns; ``None`` is omitted, so
  an attribute is *missing* when the list is empty. A single-valued attribute has at most one
  value, a multi-valued one (``emails.value``) one per element that has it.
- **Strings** compare ignoring case (``str.lower()`` on both sides) unless the attribute is
  ``case_exact`` (``id``, ``groups.value``, ``externalIdentities.*``). ``co``, ``sw`` and ``ew``
  are substring, prefix and suffix tests; ``gt``, ``ge``, ``lt`` and ``le`` on strings use
  Python's code-point order of the (lowered) strings.
- **Integers** order numerically; **dateTimes** compare as instants, whatever the offset the
  filter was written with; **booleans** take only ``eq`` and ``ne``.
- **pr** is true when at least one value is present and non-empty: not ``None`` and not the
  empty string (``false`` and ``0`` are present).
- **Multi-valued** attributes: a comparison matches when *any* value matches.
- **ne** is exactly ``not eq``: a missing attribute matches ``ne x``, and a multi-valued
  attribute matches ``ne x`` only when none of its values equals ``x``.
- **Missing values**: every operator other than ``ne`` is false on a missing attribute.
- **Value paths**: ``emails[type eq "work" and value co "x"]`` matches when one element of
  ``emails`` meets the whole inner filter on its own; inside, each path has that element's
  single value (or none), so ``not`` and ``ne`` apply per element. This differs from
  ``emails.type eq "work" and emails.value co "x"``, where the two tests may be met by
  different elements.
- **not** is the logical negation of its operand; **and** and **or** are the usual ones.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from idconnect.core.errors import FilterError
from idconnect.core.filter.ast import (
    And,
    AttrPath,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Present,
    ValuePath,
)
from idconnect.core.filter.text import left_operands
from idconnect.core.model import Account
from idconnect.core.schema import USER_CATALOGUE, AttributeDef, Catalogue

__all__ = ["evaluate", "sort_key", "values_at"]

_Getter = Callable[[Account], object]

_SINGLE: dict[str, _Getter] = {
    "id": lambda a: a.id,
    "username": lambda a: a.user_name,
    "displayname": lambda a: a.display_name,
    "name.formatted": lambda a: a.name.formatted if a.name else None,
    "name.familyname": lambda a: a.name.family_name if a.name else None,
    "name.givenname": lambda a: a.name.given_name if a.name else None,
    "name.middlename": lambda a: a.name.middle_name if a.name else None,
    "active": lambda a: a.active,
    "meta.created": lambda a: a.created,
    "meta.lastmodified": lambda a: a.last_modified,
    "organization": lambda a: a.organization,
    "emailverified": lambda a: a.email_verified,
    "phoneverified": lambda a: a.phone_verified,
    "lastlogin": lambda a: a.last_login,
    "disabledat": lambda a: a.disabled_at,
    "failedattempts.password": lambda a: a.failed_attempts.password,
    "failedattempts.otp": lambda a: a.failed_attempts.otp,
}
"""Single-valued canonical paths (lower case) and how to read them from an account."""

_MULTI: dict[str, tuple[Callable[[Account], Sequence[object]], dict[str, str]]] = {
    "emails": (
        lambda a: a.emails,
        {"value": "value", "type": "type", "primary": "primary", "verified": "verified"},
    ),
    "phonenumbers": (
        lambda a: a.phone_numbers,
        {"value": "value", "type": "type", "primary": "primary", "verified": "verified"},
    ),
    "groups": (lambda a: a.groups, {"value": "value", "display": "display"}),
    "externalidentities": (
        lambda a: a.external_identities,
        {"provider": "provider", "subject": "subject"},
    ),
    "roleassignments": (
        lambda a: a.role_assignments,
        {"role": "role", "organization": "organization"},
    ),
}
"""Multi-valued complex attributes (lower case): the account's elements, and for each
sub-attribute (lower case) the element's Python attribute."""


def _element_attribute(path: str) -> tuple[str, str]:
    """Split a multi-valued sub-attribute path into (parent key, element attribute name)."""
    parent, _, sub = path.lower().partition(".")
    if parent in _MULTI and sub in _MULTI[parent][1]:
        return parent, _MULTI[parent][1][sub]
    raise FilterError(f"unknown attribute {path!r}", attribute=path)


def _custom_value(account: Account, name: str) -> object:
    low = name.lower()
    for key, value in account.attributes.items():
        if key.lower() == low:
            return value
    return None


def values_at(account: Account, path: str) -> list[object]:
    """Return the values an account has at a canonical attribute path.

    :param account: the account to read.
    :param path: a canonical dotted path of :data:`~idconnect.core.schema.USER_CATALOGUE`,
        any case, e.g. ``userName``, ``emails.type`` or ``meta.lastModified``.
    :returns: the values, ``None`` omitted: ``[]`` when missing, one value for a single-valued
        attribute, one per element that has it for a multi-valued one.
    :raises FilterError: when ``path`` is not a canonical path of the default catalogue.
    """
    getter = _SINGLE.get(path.lower())
    if getter is not None:
        value = getter(account)
        return [] if value is None else [value]
    if "." not in path and path.lower() not in _MULTI:  # a custom attribute's short name
        custom = _custom_value(account, path)
        if custom is None:
            return []
        return [v for v in custom if v is not None] if isinstance(custom, tuple) else [custom]
    parent, name = _element_attribute(path)
    elements = _MULTI[parent][0](account)
    return [v for v in (getattr(e, name) for e in elements) if v is not None]


_Lookup = Callable[[AttrPath], list[object]]


_ORDERINGS: dict[CompareOp, Callable[[Any, Any], Any]] = {
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
}


def _same_kind(actual: object, expected: object) -> bool:
    kinds: tuple[type | tuple[type, ...], ...] = (bool, (int, Decimal), str, datetime)
    return any(isinstance(actual, k) and isinstance(expected, k) for k in kinds) and (
        isinstance(actual, bool) == isinstance(expected, bool)
    )


def _matches(definition: AttributeDef, op: CompareOp, actual: object, expected: object) -> bool:
    """Whether one value meets ``op expected`` (``op`` is not ``ne``)."""
    if not _same_kind(actual, expected):
        raise FilterError(
            f"cannot compare {definition.path!r} ({definition.type.value}) with "
            f"{expected!r}: bind the filter to the catalogue first",
            attribute=definition.path,
        )
    if isinstance(actual, str) and isinstance(expected, str):
        if not definition.case_exact:
            actual, expected = actual.lower(), expected.lower()
        if op is CompareOp.CO:
            return expected in actual
        if op is CompareOp.SW:
            return actual.startswith(expected)
        if op is CompareOp.EW:
            return actual.endswith(expected)
    if op is CompareOp.EQ:
        return actual == expected
    return bool(_ORDERINGS[op](actual, expected))


def _definition(path: AttrPath, catalogue: Catalogue) -> AttributeDef:
    definition = catalogue.get(path.dotted)
    if definition is None:
        raise FilterError(
            f"unknown attribute {path.dotted!r}: bind the filter to the catalogue first",
            attribute=str(path),
        )
    return definition


def _evaluate(node: Filter, lookup: _Lookup, account: Account, catalogue: Catalogue) -> bool:
    if isinstance(node, Comparison):
        definition = _definition(node.path, catalogue)
        values = lookup(node.path)
        op = CompareOp.EQ if node.op is CompareOp.NE else node.op
        found = any(_matches(definition, op, v, node.value) for v in values)
        return not found if node.op is CompareOp.NE else found
    if isinstance(node, Present):
        _definition(node.path, catalogue)
        return any(v != "" for v in lookup(node.path))
    if isinstance(node, Not):
        return not _evaluate(node.operand, lookup, account, catalogue)
    if isinstance(node, ValuePath):
        return _evaluate_value_path(node, account, catalogue)
    if isinstance(node, And):
        return all(_evaluate(o, lookup, account, catalogue) for o in left_operands(node))
    return any(_evaluate(o, lookup, account, catalogue) for o in left_operands(node))


def _evaluate_value_path(node: ValuePath, account: Account, catalogue: Catalogue) -> bool:
    parent = node.path.name.lower()
    if parent not in _MULTI or node.path.sub is not None:
        raise FilterError(
            f"attribute {str(node.path)!r} is not a multi-valued complex attribute",
            attribute=str(node.path),
        )
    for element in _MULTI[parent][0](account):

        def lookup(path: AttrPath, element: object = element) -> list[object]:
            key, name = _element_attribute(path.dotted)
            if key != parent:
                raise FilterError(
                    f"attribute {path.dotted!r} is outside {str(node.path)!r}[...]: "
                    "bind the filter to the catalogue first",
                    attribute=str(path),
                )
            value = getattr(element, name)
            return [] if value is None else [value]

        if _evaluate(node.filter, lookup, account, catalogue):
            return True
    return False


def evaluate(f: Filter, account: Account, catalogue: Catalogue = USER_CATALOGUE) -> bool:
    """Decide whether an account matches a bound filter, by the rules in this module's doc.

    :param f: a filter bound to ``catalogue`` (:func:`~idconnect.core.filter.bind`).
    :param account: the account to test.
    :param catalogue: the catalogue ``f`` was bound to; it gives each attribute's type and
        case sensitivity.
    :returns: whether the account matches.
    :raises FilterError: when ``f`` is not bound to ``catalogue`` (an unknown path, a value of
        the wrong type, a value path outside a multi-valued attribute).
    """
    return _evaluate(f, lambda path: values_at(account, path.dotted), account, catalogue)


def sort_key(value: Any, case_exact: bool) -> list[Any]:
    """Return a JSON-safe key ordering values the way every store must sort them.

    Missing values come last; strings compare by code point after ``lower()`` unless case-exact;
    instants as instants.

    :param value: a value from :func:`~idconnect.core.filter.values_at`, or ``None``.
    :param case_exact: whether the attribute is case-exact.
    :returns: a two-item list usable in ``sorted()`` and in a cursor.
    """
    if value is None:
        return [1, ""]
    if isinstance(value, datetime):
        return [0, value.timestamp()]
    if isinstance(value, str) and not case_exact:
        return [0, value.lower()]
    if isinstance(value, bool):
        return [0, int(value)]
    if isinstance(value, Decimal):  # exact, and JSON-safe in a cursor: millionths as an int
        return [0, int(value.scaleb(6))]
    return [0, value]
