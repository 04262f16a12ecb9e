"""LDAP substring and equality filters that are never narrower than the reference evaluator.

The evaluator compares ``str.lower()`` of both sides by code point. A directory's matching rules
(``caseIgnoreMatch``, ``caseIgnoreSubstringsMatch``, ``telephoneNumberMatch``) first normalise
both sides: compatibility folding and composition (NFKC: ``ﬁ`` is ``fi``, ``a`` followed by a
combining acute accent is ``á``), their own case folding (``ẞ`` is not ``ß``), insignificant
spaces, and for telephone numbers no spaces or hyphens at all. So a value sent as it is may
find fewer entries than the evaluator accepts (a stored ``ca\u0301fe`` has no ``ca`` once
composed). :func:`superset` sends only what every such normalisation keeps:

- the value lower-cased like the evaluator does;
- cut into runs of printable ASCII other than the space (and, for a loosely matched attribute,
  the hyphen), the rest becoming wildcards: normalisation leaves printable ASCII as it is;
- a run loses its last character when the stored text may go on with a combining mark that
  composes with it (a letter, ``<``, ``=`` or ``>`` at an open end or before non-ASCII text);
- an equality whose lower-cased value is one plain ASCII run stays an equality.

What this lets through beyond the evaluator is dropped by the local re-check of each page.
"""

from __future__ import annotations

from ldap3.utils.conv import escape_filter_chars  # type: ignore[import-untyped]

from idconnect.backend import CompareOp

__all__ = ["plain", "superset"]

_COMPOSING = frozenset("<=>ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
"""ASCII characters that a following combining mark composes with under NFC (a superset)."""


def plain(value: str) -> bool:
    """Whether LDAP's insignificant-space handling leaves a value as it is.

    :param value: filter text.
    :returns: ``True`` for non-empty text without leading, trailing or repeated spaces.
    """
    return value == " ".join(value.split()) and value != ""


def _kept(char: str, loose: bool) -> bool:
    return "!" <= char <= "~" and not (loose and char == "-")


def _runs(text: str, loose: bool) -> list[tuple[int, int]]:
    """The ``[start, end)`` bounds of the kept runs of ``text``."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, char in enumerate(text):
        if _kept(char, loose):
            if start is None:
                start = index
        elif start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(text)))
    return runs


def superset(name: str, op: CompareOp, value: str, *, loose: bool, fold: bool = True) -> str:
    """An LDAP filter matching every entry whose ``name`` meets ``op value`` by the evaluator.

    :param name: the LDAP attribute (a case-insensitive string syntax).
    :param op: ``eq``, ``co``, ``sw`` or ``ew``.
    :param value: the filter's value (without NUL).
    :param loose: whether the attribute's rule ignores spaces and hyphens (telephone numbers).
    :param fold: whether the rule ignores case (``caseIgnore…``); without, nothing is
        lower-cased (a case-exact attribute under ``caseExact…``).
    :returns: an equality, substring or presence filter, values escaped (RFC 4515).
    """
    low = value.lower() if fold else value
    runs = _runs(low, loose)
    if op is CompareOp.EQ and runs == [(0, len(low))]:
        return f"({name}={escape_filter_chars(value if value.isascii() else low)})"
    start_anchored = op in (CompareOp.EQ, CompareOp.SW)
    end_anchored = op in (CompareOp.EQ, CompareOp.EW)
    initial = final = ""
    middle: list[str] = []
    for start, end in runs:
        run = low[start:end]
        closed = end == len(low) and end_anchored
        open_after = end == len(low) or not low[end].isascii()
        if not closed and open_after and run[-1] in _COMPOSING:
            run = run[:-1]
        if not run:
            continue
        if start == 0 and start_anchored:
            initial = run
        elif closed:
            final = run
        else:
            middle.append(run)
    if not (initial or middle or final):
        return f"({name}=*)"
    pattern = escape_filter_chars(initial) + "*"
    pattern += "".join(escape_filter_chars(part) + "*" for part in middle)
    return f"({name}={pattern}{escape_filter_chars(final)})"
