"""Compiled LDAP filter text and its combinators, folding constants."""

from __future__ import annotations

__all__ = ["Compiled", "conjoin", "disjoin", "negate"]

Compiled = str | bool
"""A compiled node: RFC 4515 text, or a constant when the answer is known without the server."""


def conjoin(parts: list[Compiled]) -> Compiled:
    """AND compiled nodes, folding constants.

    :param parts: compiled operands.
    :returns: the conjunction.
    """
    texts: list[str] = []
    for part in parts:
        if part is False:
            return False
        if isinstance(part, str):
            texts.append(part)
    if not texts:
        return True
    return texts[0] if len(texts) == 1 else "(&" + "".join(texts) + ")"


def disjoin(parts: list[Compiled]) -> Compiled:
    """OR compiled nodes, folding constants.

    :param parts: compiled operands.
    :returns: the disjunction.
    """
    texts: list[str] = []
    for part in parts:
        if part is True:
            return True
        if isinstance(part, str):
            texts.append(part)
    if not texts:
        return False
    return texts[0] if len(texts) == 1 else "(|" + "".join(texts) + ")"


def negate(part: Compiled) -> Compiled:
    """NOT a compiled node.

    :param part: the operand.
    :returns: its negation.
    """
    return (not part) if isinstance(part, bool) else f"(!{part})"
