"""``explain_search`` for LDAP stores: the escaped filter, its bases and scopes, the scan verdict.

The filter shown is the one the search sends (``(&(objectClass=...)(compiled filter))``, every
value escaped per RFC 4515 by the compiler); the search adds only the id window or keyset bound
of each page. Every candidate is re-checked with the reference evaluator (LDAP matching may be
broader), so the whole filter is listed as re-checked.

**Would it scan?** A directory's indexes live in ``cn=config`` (``olcDbIndex``), which a service
account can seldom read, so the store *declares* them: ``indexed_attributes`` maps an LDAP
attribute to its index types, as in ``olcDbIndex`` (``eq``, ``pres``, ``sub``, ``approx``)::

    indexed_attributes = { uid = ["eq", "sub"], mail = ["eq", "sub"], o = ["eq"] }

A test is indexed when its attribute has the index its kind needs (equality and ordering:
``eq``; ``attr=*``: ``pres``; substrings: ``sub``; ``~=``: ``approx``); an AND is indexed when
one of its operands is, an OR when all are, a NOT never; ``objectClass`` never narrows (every
account has it). Without ``indexed_attributes`` the verdict is unknown and nothing is refused.
The store's size, when asked about, is counted by a paged search for the account object class
reading no attributes and stopping at the threshold plus one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ldap3  # type: ignore[import-untyped]
from attrs import frozen

from idconnect.backend import Explanation, NotSupported, Query, StoreConfig, hookimpl, to_text
from idconnect_ldap.base import LdapBase
from idconnect_ldap.expressions import conjoin
from idconnect_ldap.protocol import paged_entries

__all__ = ["INDEX_TYPES", "ExplainMixin", "read_indexes"]

_NOT_NARROWING = "objectClass does not narrow the accounts"

INDEX_TYPES = frozenset({"eq", "pres", "sub", "approx"})
"""The index types ``indexed_attributes`` may name (``olcDbIndex``'s)."""


def read_indexes(config: StoreConfig) -> Mapping[str, frozenset[str]] | None:
    """Read the ``indexed_attributes`` setting.

    :param config: the store's config.
    :returns: lower-cased LDAP attribute name to its index types, or ``None`` when not set.
    :raises ConfigError: for a value that is not a table of lists of known index types.
    """
    declared = config.get("indexed_attributes", dict)
    if declared is None:
        return None
    indexes: dict[str, frozenset[str]] = {}
    for name, kinds in declared.items():
        if not isinstance(kinds, list) or not kinds or not set(kinds) <= INDEX_TYPES:
            raise config.error(
                "indexed_attributes",
                f"{name!r}: expected a list of index types among {', '.join(sorted(INDEX_TYPES))}",
            )
        indexes[str(name).lower()] = frozenset(kinds)
    return indexes


@frozen
class _Test:
    """One parsed node of an RFC 4515 filter."""

    kind: str  # "&", "|", "!" or the test's index type
    attribute: str = ""
    operands: tuple[_Test, ...] = ()


def _parse(text: str, at: int = 0) -> tuple[_Test, int]:
    """Parse the filter starting at ``text[at]`` (a ``(``); return it and where it ends."""
    if text[at + 1] in "&|!":
        operator, at = text[at + 1], at + 2
        operands = []
        while text[at] == "(":
            operand, at = _parse(text, at)
            operands.append(operand)
        return _Test(operator, operands=tuple(operands)), at + 1
    end = text.index(")", at)  # values are escaped: no bare parenthesis inside a test
    item = text[at + 1 : end]
    for operator, kind in (("~=", "approx"), (">=", "eq"), ("<=", "eq"), ("=", "")):
        if operator in item:
            attribute, value = item.split(operator, 1)
            if not kind:
                kind = "pres" if value == "*" else "sub" if "*" in value else "eq"
            return _Test(kind, attribute.lower()), end + 1
    raise ValueError(f"not an LDAP filter item: {item!r}")


def _unindexed(test: _Test, indexes: Mapping[str, frozenset[str]]) -> str | None:
    """Why ``test`` cannot be answered from indexes, or ``None`` when it can."""
    if test.kind == "!":
        return "a NOT cannot use an index"
    if test.kind == "&":
        causes = [_unindexed(t, indexes) for t in test.operands]
        if None in causes:
            return None
        named = [c for c in causes if c != _NOT_NARROWING]
        return (named or causes or ["an empty AND"])[0]
    if test.kind == "|":
        return next((c for t in test.operands if (c := _unindexed(t, indexes))), None)
    if test.attribute == "objectclass":
        return _NOT_NARROWING
    if test.kind not in indexes.get(test.attribute, frozenset()):
        return f"no {test.kind} index on {test.attribute!r}"
    return None


class ExplainMixin(LdapBase):
    """The ``explain_search`` hook of LDAP stores.

    :param config: the store's config.
    """

    def __init__(self, config: StoreConfig) -> None:
        super().__init__(config)
        self.indexes = read_indexes(config)
        """The declared indexes (``indexed_attributes``), or ``None``."""

    @hookimpl
    def idconnect_explain_search(self, query: Query, threshold: int | None) -> Explanation:
        """Compile the filter as the search does; judge it by the declared indexes."""
        if query.sort_by is not None:
            raise NotSupported("this LDAP store cannot sort", store=self.name, operation="sort")
        view = self.view
        compiled = view.compiler.compile(query.filter) if query.filter is not None else True
        matcher = conjoin([f"(objectClass={self.configured.user_class})", compiled])
        targets = tuple(f"base {b.dn} scope {b.scope}" for b in self.settings.user_bases)
        if matcher is False:
            return Explanation(
                store=self.name,
                backend="ldap",
                native="nothing: the filter can match no entry",
                target=targets,
                full_scan=False,
            )
        full_scan, cause = self._verdict(str(matcher) if query.filter is not None else None)
        over = None
        if threshold is not None and full_scan:
            over = self._exceeds(threshold)
        text = to_text(query.filter) if query.filter is not None else None
        return Explanation(
            store=self.name,
            backend="ldap",
            native=str(matcher),
            target=targets,
            natively=(f"{text} (as a possibly broader LDAP filter)",) if text else (),
            rechecked=(f"{text} (every candidate, by the reference evaluator)",) if text else (),
            plan=(f"keyset paging by {self.configured.id_attribute}",),
            full_scan=full_scan,
            scan_cause=cause,
            over_threshold=over,
        )

    def _verdict(self, ldap_filter: str | None) -> tuple[bool | None, str | None]:
        if ldap_filter is None:
            return False, None  # a listing: each page is an id window
        if self.indexes is None:
            return None, None
        cause = _unindexed(_parse(ldap_filter)[0], self.indexes)
        return cause is not None, cause

    def _exceeds(self, threshold: int) -> bool:
        def count(conn: ldap3.Connection) -> int:
            found = 0
            for base in self.settings.user_bases:
                want = threshold + 1 - found
                entries: Any = paged_entries(
                    conn,
                    base=base.dn,
                    scope=base.scope,
                    ldap_filter=f"(objectClass={self.configured.user_class})",
                    attributes=["1.1"],
                    page_size=min(self.settings.page_size, want),
                    limit=want,
                    controls=[],
                    store=self.name,
                )
                found += sum(1 for _ in entries)
                if found > threshold:
                    break
            return found

        return self.run(count) > threshold
