"""Render a bound filter as the server's SCIM filter text.

The bound tree is rewritten node by node, then written with the core's
:func:`~idconnect.backend.to_text` (which JSON-escapes every value):

- canonical paths become the server's paths: extension, mapped and custom attributes get their
  full schema URN (``urn:...:idconnect:2.0:User:organization``, ``urn:...:User:loyaltyTier``);
- ``a ne v`` becomes ``not (a eq v)``, which is exactly the contract (a missing attribute
  matches) whatever the server does with ``ne`` on missing values;
- a missing ``failedAttempts`` counter is 0 on the account (the model's default), so a test
  that 0 passes also matches resources without the counter;
- ``emailVerified``/``phoneVerified``, when the server keeps ``verified`` on each address
  instead, become ``emails[verified eq true]`` tests.
"""

from __future__ import annotations

import operator

from idconnect.backend import (
    And,
    AttrPath,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    UnsupportedFilter,
    ValuePath,
    left_operands,
    to_text,
)
from idconnect_rest.discovery import ServerProfile

__all__ = ["render_filter", "server_attr_path"]


def server_attr_path(path: AttrPath, profile: ServerProfile) -> AttrPath:
    """Return the server's path for a canonical path.

    :param path: a bound (canonical) path, e.g. ``AttrPath("organization")``.
    :param profile: where the server keeps each attribute.
    :returns: the server's path, with the schema URN for extension attributes.
    :raises UnsupportedFilter: when the server does not hold the attribute.
    """
    where = profile.attributes.get(path.name.lower())
    custom = profile.custom.get(path.name.lower())
    if custom is not None and where is None:
        return AttrPath(custom.name, None, custom.schema)  # a simple attribute: no sub
    if where is None:
        raise UnsupportedFilter(
            f"this store's SCIM server has no attribute {path.dotted!r}", attribute=path.dotted
        )
    return AttrPath(where.name, path.sub, where.schema if where.extension else None)


def _derived(node: Comparison | Present, profile: ServerProfile) -> Filter | None:
    key = node.path.name.lower()
    if key not in profile.derived_verified:
        return None
    multi = "emails" if key == "emailverified" else "phoneNumbers"
    base = server_attr_path(AttrPath(multi), profile)
    any_verified = ValuePath(
        base, Comparison(AttrPath(base.name, "verified", base.schema), CompareOp.EQ, True)
    )
    if isinstance(node, Present):
        return Present(server_attr_path(AttrPath("id"), profile))
    wanted = node.value is True
    if node.op is CompareOp.NE:
        wanted = not wanted
    return any_verified if wanted else Not(any_verified)


_ZERO_CHECKS = {
    CompareOp.EQ: operator.eq,
    CompareOp.GT: operator.gt,
    CompareOp.GE: operator.ge,
    CompareOp.LT: operator.lt,
    CompareOp.LE: operator.le,
}


def _rewrite(node: Filter, profile: ServerProfile) -> Filter:
    if isinstance(node, Comparison | Present):
        derived = _derived(node, profile)
        if derived is not None:
            return derived
    zero_default = (
        node.path.name.lower() == "failedattempts"
        if isinstance(node, Comparison | Present)
        else False
    )
    if isinstance(node, Comparison):
        path = server_attr_path(node.path, profile)
        if node.op is CompareOp.NE:
            return Not(_rewrite(Comparison(node.path, CompareOp.EQ, node.value), profile))
        compared = Comparison(path, node.op, node.value)
        if zero_default and isinstance(node.value, int) and _ZERO_CHECKS[node.op](0, node.value):
            return Or(compared, Not(Present(path)))
        return compared
    if isinstance(node, Present):
        if zero_default:
            return Present(server_attr_path(AttrPath("id"), profile))
        return Present(server_attr_path(node.path, profile))
    if isinstance(node, Not):
        return Not(_rewrite(node.operand, profile))
    if isinstance(node, ValuePath):
        return ValuePath(server_attr_path(node.path, profile), _rewrite(node.filter, profile))
    operands = [_rewrite(o, profile) for o in left_operands(node)]
    kind = And if isinstance(node, And) else Or
    result = operands[0]
    for operand in operands[1:]:
        result = kind(result, operand)
    return result


def render_filter(f: Filter, profile: ServerProfile) -> str:
    """Render a bound filter as SCIM filter text for the server.

    :param f: a filter bound to the store's catalogue.
    :param profile: where the server keeps each attribute.
    :returns: the filter text, every value escaped by :func:`to_text`.
    :raises UnsupportedFilter: when a node names an attribute the server does not hold.
    """
    return to_text(_rewrite(f, profile))
