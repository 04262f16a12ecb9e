"""The SCIM 2.0 filter language: parse text, build in Python, render, bind, evaluate.

- :func:`parse` turns filter text into an immutable AST (:mod:`.ast`), raising
  :class:`~idconnect.core.errors.FilterError` with a 1-based column on bad input.
- :func:`attr` builds the same AST in Python: ``attr("userName").eq("bjensen") & ...``.
- :func:`to_text` renders an AST back to canonical filter text (``parse(to_text(f)) == f``).
- :func:`bind` checks an AST against a store's :class:`~idconnect.core.schema.Catalogue` and
  returns it with canonical paths and typed values: the form backends translate.
- :func:`evaluate` is the reference evaluator: the semantics every backend must agree with.
"""

from idconnect.core.filter.ast import (
    And,
    AttrPath,
    AttrRef,
    CompareOp,
    Comparison,
    Filter,
    Not,
    Or,
    Present,
    Value,
    ValuePath,
    attr,
)
from idconnect.core.filter.bind import bind, resolve_path
from idconnect.core.filter.evaluate import evaluate, sort_key, values_at
from idconnect.core.filter.parse import parse
from idconnect.core.filter.text import to_text

__all__ = [
    "And",
    "AttrPath",
    "AttrRef",
    "CompareOp",
    "Comparison",
    "Filter",
    "Not",
    "Or",
    "Present",
    "Value",
    "ValuePath",
    "attr",
    "bind",
    "evaluate",
    "parse",
    "resolve_path",
    "sort_key",
    "to_text",
    "values_at",
]
