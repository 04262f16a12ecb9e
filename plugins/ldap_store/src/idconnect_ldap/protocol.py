"""LDAP protocol pieces ldap3 does not build: controls, paged and size-limited reads.

- The Server Side Sort request control (RFC 2891) on one attribute, BER-encoded here.
- The Assertion control (RFC 4528), whose value is an LDAP filter encoded with ldap3's own
  filter compiler.
- The Relax Rules control (OpenLDAP), needed to delete ppolicy's NO-USER-MODIFICATION counters.
- Result codes become the project's errors in :mod:`idconnect_ldap.errors`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ldap3  # type: ignore[import-untyped]
from ldap3.operation.search import compile_filter, parse_filter  # type: ignore[import-untyped]
from pyasn1.codec.ber import encoder  # type: ignore[import-untyped]

from idconnect_ldap.errors import check

__all__ = [
    "ASSERTION_OID",
    "PAGED_OID",
    "PASSWORD_MODIFY_OID",
    "RELAX",
    "SORT_OID",
    "Control",
    "assertion",
    "ber",
    "entries_within",
    "paged_entries",
    "sort_by",
]

Control = tuple[str, bool, bytes | None]
"""A request control as ldap3 takes it: OID, criticality, encoded value."""

SORT_OID = "1.2.840.113556.1.4.473"
"""Server Side Sort request (RFC 2891)."""
PAGED_OID = "1.2.840.113556.1.4.319"
"""Simple Paged Results (RFC 2696)."""
PASSWORD_MODIFY_OID = "1.3.6.1.4.1.4203.1.11.1"
"""The Password Modify extended operation (RFC 3062)."""
ASSERTION_OID = "1.3.6.1.1.12"
"""Assertion control (RFC 4528)."""
RELAX: Control = ("1.3.6.1.4.1.4203.666.5.12", True, None)
"""OpenLDAP's Relax Rules control: lets a manager change NO-USER-MODIFICATION attributes."""


def ber(tag: int, body: bytes) -> bytes:
    """Encode one definite-length BER/DER element.

    :param tag: the identifier octet, e.g. ``0x04`` for an OCTET STRING.
    :param body: the encoded contents.
    :returns: tag, length and contents.
    """
    size = len(body)
    if size < 0x80:
        return bytes([tag, size]) + body
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + body


def sort_by(attribute: str) -> Control:
    """Build a critical sort control ordering results by one attribute, ascending.

    :param attribute: the attribute type, e.g. ``entryUUID``; its ORDERING rule is used.
    :returns: the control.
    """
    key = ber(0x30, ber(0x04, attribute.encode()))
    return (SORT_OID, True, ber(0x30, key))


def assertion(ldap_filter: str) -> Control:
    """Build a critical assertion control: the operation runs only if the entry matches.

    :param ldap_filter: an RFC 4515 filter with escaped values, e.g. ``(entryCSN=...)``.
    :returns: the control.
    """
    node = parse_filter(ldap_filter, None, False, True, None, False)
    return (ASSERTION_OID, True, encoder.encode(compile_filter(node.elements[0])))


def entries_within(
    conn: ldap3.Connection,
    *,
    base: str,
    scope: str,
    ldap_filter: str,
    attributes: list[str],
    limit: int,
    store: str,
) -> list[dict[str, Any]] | None:
    """Read every match in one unsorted request, if there are at most ``limit`` of them.

    The request carries a size limit of ``limit + 1`` and no sort control, so a small result
    costs the directory no sorting and no paging state.

    :param conn: a bound connection, used by this thread only.
    :param base: the search base.
    :param scope: ``one`` or ``sub``.
    :param ldap_filter: the RFC 4515 filter.
    :param attributes: attributes to return.
    :param limit: the most entries wanted.
    :param store: the store name, for errors.
    :returns: ldap3 response dicts with ``dn`` and ``raw_attributes``, in the server's order;
        ``None`` when there are more than ``limit`` matches (or a server limit cut the answer).
    :raises StoreUnavailable: for an unreachable server (others as :func:`check`).
    """
    conn.search(
        base,
        ldap_filter,
        search_scope=ldap3.LEVEL if scope == "one" else ldap3.SUBTREE,
        attributes=attributes,
        size_limit=limit + 1,
    )
    if check(conn.result, store=store, what="search", ok=frozenset({0, 4, 32})) == 4:
        return None
    found = [i for i in conn.response or () if i.get("type") == "searchResEntry"]
    return found if len(found) <= limit else None


def paged_entries(
    conn: ldap3.Connection,
    *,
    base: str,
    scope: str,
    ldap_filter: str,
    attributes: list[str],
    page_size: int,
    limit: int | None,
    controls: list[Control],
    store: str,
) -> Iterator[dict[str, Any]]:
    """Yield entries of a Simple Paged Results search (RFC 2696), one server page at a time.

    Memory stays at one server page. A ``limit`` within ``page_size`` is read in one plain
    request with a size limit. When ``limit`` entries were read the server-side state is
    released (a request with page size 0), so sort results do not pile up on the connection.

    :param conn: a bound connection, used by this thread only.
    :param base: the search base.
    :param scope: ``one`` or ``sub``.
    :param ldap_filter: the RFC 4515 filter.
    :param attributes: attributes to return.
    :param page_size: entries per round trip.
    :param limit: stop after this many entries; ``None`` for all.
    :param controls: further controls (sort).
    :param store: the store name, for errors.
    :returns: ldap3 response dicts with ``dn`` and ``raw_attributes``.
    :raises StoreUnavailable: for limits and unreachable servers (others as :func:`check`).
    """
    search_scope = ldap3.LEVEL if scope == "one" else ldap3.SUBTREE
    if limit is not None and limit <= page_size:
        # one round trip within the server's limit: a size limit is enough, no paging state
        conn.search(
            base,
            ldap_filter,
            search_scope=search_scope,
            attributes=attributes,
            size_limit=limit,
            controls=controls or None,
        )
        check(conn.result, store=store, what="search", ok=frozenset({0, 4, 32}))
        yield from (i for i in conn.response or () if i.get("type") == "searchResEntry")
        return
    cookie: bytes | None = None
    seen = 0
    while True:
        size = page_size if limit is None else max(1, min(page_size, limit - seen))
        conn.search(
            base,
            ldap_filter,
            search_scope=search_scope,
            attributes=attributes,
            paged_size=size,
            paged_cookie=cookie,
            controls=controls or None,
        )
        check(conn.result, store=store, what="search", ok=frozenset({0, 32}))
        for item in conn.response or ():
            if item.get("type") == "searchResEntry":
                seen += 1
                yield item
        cookie = conn.result.get("controls", {}).get(PAGED_OID, {}).get("value", {}).get("cookie")
        if not cookie:
            return
        if limit is not None and seen >= limit:
            conn.search(
                base,
                ldap_filter,
                search_scope=search_scope,
                attributes=["1.1"],
                paged_size=0,
                paged_cookie=cookie,
                controls=controls or None,
            )
            return
