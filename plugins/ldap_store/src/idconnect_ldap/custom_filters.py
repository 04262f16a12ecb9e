"""Filters on custom attributes: exact LDAP tests, or supersets that the re-check narrows.

Each test is answered by the LDAP attribute's own matching rules (:class:`CustomAttribute`'s
``type``), never narrower than the reference evaluator; what the rules cannot answer is refused
(:class:`UnsupportedFilter`) while compiling, before any I/O:

- ``integer`` (INTEGER, ``integerMatch`` / ``integerOrderingMatch``) and ``boolean`` (Boolean,
  ``booleanMatch``): exact tests (``gt n`` is ``>= n+1``), so also under ``not``;
- ``string`` / ``reference``: like the built-in text attributes
  (:func:`idconnect_ldap.matching.superset`): the equality rule must ignore case for a
  case-insensitive attribute (``caseIgnoreMatch``, ``caseIgnoreIA5Match``; a case-exact one
  also takes ``caseExact…``); ``co`` / ``sw`` / ``ew`` (and ``eq`` with text beyond printable
  ASCII) need a SUBSTR rule of the same kind, orderings an ORDERING rule (answered over every
  entry holding the attribute); under ``not`` every entry is a candidate;
- ``dateTime`` (Generalized Time with ``generalizedTimeOrderingMatch``): whole-second ranges
  around the bound (stored values may carry fractions), every entry under ``not``;
- ``decimal`` (text: no numeric matching rule exists): every entry holding the attribute.

A single-valued custom attribute over a multi-valued LDAP attribute is read as its first value,
so under ``not`` its exact tests give way to the re-check too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from idconnect.backend import AttrType, CompareOp, Comparison, UnsupportedFilter
from idconnect_ldap.custom import CustomAttribute
from idconnect_ldap.expressions import Compiled
from idconnect_ldap.matching import plain, superset
from idconnect_ldap.values import ceil_second, format_generalized_time

__all__ = ["compile_custom", "present"]

Refuse = Callable[[str], UnsupportedFilter]
"""Builds the refusal of the node being compiled, naming why."""

_ORDERING = frozenset({CompareOp.GT, CompareOp.GE, CompareOp.LT, CompareOp.LE})
_IGNORING = {
    "equality": frozenset({"caseignorematch", "caseignoreia5match"}),
    "substr": frozenset({"caseignoresubstringsmatch", "caseignoreia5substringsmatch"}),
    "ordering": frozenset({"caseignoreorderingmatch"}),
}
_EXACT = {
    "equality": frozenset({"caseexactmatch", "caseexactia5match"}),
    "substr": frozenset({"caseexactsubstringsmatch", "caseexactia5substringsmatch"}),
    "ordering": frozenset({"caseexactorderingmatch"}),
}
_RULES = {
    AttrType.INTEGER: ("integermatch", "integerorderingmatch"),
    AttrType.BOOLEAN: ("booleanmatch", ""),
    AttrType.DATETIME: ("", "generalizedtimeorderingmatch"),
}
"""The equality and ordering rules an exact (or ranged) test of each type needs."""


def compile_custom(
    attr: CustomAttribute, node: Comparison, negated: bool, refuse: Refuse
) -> Compiled:
    """Compile a comparison on a custom attribute (``ne`` arrives as a negated ``eq``).

    :param attr: the custom attribute.
    :param node: the bound comparison (its value typed).
    :param negated: whether the comparison is under an odd number of ``not``.
    :param refuse: builds the :class:`UnsupportedFilter` for this node.
    :returns: LDAP filter text (values escaped) or a constant; never narrower than the
        evaluator when ``negated`` is false, never broader when it is true.
    :raises UnsupportedFilter: when the attribute's matching rules cannot answer the test.
    """
    kind = attr.definition.type
    if kind in (AttrType.STRING, AttrType.REFERENCE):
        return _text(attr, node, negated, refuse)
    if kind is AttrType.DECIMAL:
        return False if negated else f"({attr.name}=*)"
    equality, ordering = _RULES[kind]
    needed = ordering if node.op in _ORDERING or kind is AttrType.DATETIME else equality
    rule = attr.type.ordering if needed == ordering else attr.type.equality
    if not needed or rule.lower() != needed:
        shown = rule or "none"
        raise refuse(f"{attr.name!r} has no such matching rule ({needed or 'ordering'}: {shown})")
    if kind is AttrType.DATETIME:
        return False if negated else _instant(attr.name, node)
    if negated and not attr.type.single_value and not attr.definition.multi_valued:
        return False  # the account shows the first value only: the re-check decides
    return _exact(attr.name, node)


def _exact(name: str, node: Comparison) -> str:
    """An exact test of an integer or a boolean."""
    value = node.value
    if isinstance(value, bool):
        return f"({name}={'TRUE' if value else 'FALSE'})"
    assert isinstance(value, int)
    bound = {
        CompareOp.EQ: ("=", value),
        CompareOp.GT: (">=", value + 1),
        CompareOp.GE: (">=", value),
        CompareOp.LT: ("<=", value - 1),
        CompareOp.LE: ("<=", value),
    }
    op, number = bound[node.op]
    return f"({name}{op}{number})"


def _instant(name: str, node: Comparison) -> str:
    """Whole-second bounds around the instant (the re-check narrows them)."""
    value = node.value
    assert isinstance(value, datetime)
    floor, ceil = value.replace(microsecond=0), ceil_second(value)
    low = f"({name}>={format_generalized_time(floor)})"
    high = f"({name}<={format_generalized_time(ceil)})"
    if node.op is CompareOp.EQ:
        end = floor + timedelta(seconds=1)
        return f"(&{low}({name}<={format_generalized_time(end)}))"
    return low if node.op in (CompareOp.GT, CompareOp.GE) else high


def _usable(attr: CustomAttribute, which: str) -> bool:
    rule = getattr(attr.type, which).lower()
    return rule in _IGNORING[which] or (attr.definition.case_exact and rule in _EXACT[which])


def _text(attr: CustomAttribute, node: Comparison, negated: bool, refuse: Refuse) -> Compiled:
    """A text test, like the built-in text attributes' (see :mod:`idconnect_ldap.filters`)."""
    value, op, name = node.value, node.op, attr.name
    assert isinstance(value, str)
    case = "case-exact" if attr.definition.case_exact else "case-insensitive"
    if op in _ORDERING:
        if not _usable(attr, "ordering"):
            raise refuse(f"{name!r} has no ordering rule for {case} text")
        return False if negated else f"({name}=*)"
    if not _usable(attr, "equality"):
        raise refuse(f"{name!r} has no equality rule for {case} text")
    if "\x00" in value:
        return False  # no stored text holds NUL
    if attr.ia5 and not (value if attr.definition.case_exact else value.lower()).isascii():
        return False  # an IA5 String holds ASCII only
    if negated:
        if not plain(value):
            raise refuse(
                f"LDAP matching of {name!r} ignores spaces that the filter counts, which cannot"
                " be negated exactly"
            )
        return False  # under 'not': every entry is a candidate, rechecked locally
    found = superset(name, op, value, loose=False, fold=attr.folds)
    wildcards = op is not CompareOp.EQ or (found != f"({name}=*)" and "*" in found)
    if wildcards and not _usable(attr, "substr"):
        raise refuse(f"{name!r} has no substring rule for {case} text")
    return found


def present(attr: CustomAttribute) -> str:
    """The presence test of a custom attribute.

    :param attr: the custom attribute.
    :returns: ``(name=*)``.
    """
    return f"({attr.name}=*)"
