"""A visitor over the filter AST: one method per node type, dispatched by the node's class.

Backends translate a bound filter by subclassing :class:`FilterVisitor` and writing one method
per node kind; a node kind they leave out raises
:class:`~idconnect.core.errors.UnsupportedFilter` naming it, never a silent wrong answer.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from idconnect.core.errors import UnsupportedFilter
from idconnect.core.filter.ast import And, Comparison, Filter, Not, Or, Present, ValuePath
from idconnect.core.filter.text import to_text

__all__ = ["FilterVisitor"]

R = TypeVar("R")

_METHODS = {
    Comparison: "visit_comparison",
    Present: "visit_present",
    And: "visit_and",
    Or: "visit_or",
    Not: "visit_not",
    ValuePath: "visit_value_path",
}


class FilterVisitor(Generic[R]):
    """Translate a filter tree into ``R`` (a SQL expression, an LDAP filter string, ...)."""

    def visit(self, node: Filter) -> R:
        """Translate one node by calling the method for its type.

        :param node: a node of a bound filter.
        :returns: the translation.
        :raises UnsupportedFilter: when this visitor has no method for the node's type.
        """
        method = getattr(self, _METHODS[type(node)], None)
        if method is None:
            raise UnsupportedFilter(f"this store cannot evaluate {to_text(node)!r}")
        result: R = method(node)
        return result
