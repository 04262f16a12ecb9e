"""What a directory supports, read once from its root DSE and its subschema.

The root DSE lists the controls (Server Side Sort, Simple Paged Results, Assertion) and
extended operations (Password Modify) the server supports; the subschema subentry lists the
attribute types it defines. ppolicy's ``pwdAccountLockedTime`` and ``pwdFailureTime``, the
memberof overlay's ``memberOf`` and ``pwdLastSuccess`` (``olcLastBind``) exist only when the
overlays are loaded, so their definitions tell whether a profile's feature can work here.
When the subschema cannot be read (access refused), every attribute counts as defined and the
settings are trusted.
"""

from __future__ import annotations

import re

import ldap3  # type: ignore[import-untyped]
from attrs import frozen

from idconnect_ldap.entries import Raw, text_values
from idconnect_ldap.errors import check

__all__ = ["Directory", "discover"]

_NAMES = re.compile(r"NAME\s+(?:'([^']+)'|\(\s*((?:'[^']+'\s*)+)\))", re.IGNORECASE)
_ORDERING = re.compile(r"\sORDERING\s", re.IGNORECASE)


@frozen
class Directory:
    """The facts discovered about one directory."""

    controls: frozenset[str]
    """OIDs of supported request controls."""
    extensions: frozenset[str]
    """OIDs of supported extended operations."""
    attributes: frozenset[str] | None
    """Lower-case names of the defined attribute types; ``None`` when the schema was unreadable."""
    ordered: frozenset[str]
    """Lower-case names of attribute types that have an ORDERING matching rule."""

    def defines(self, name: str) -> bool:
        """Whether the schema defines an attribute type (``True`` when it could not be read).

        :param name: the attribute's name, in any case.
        :returns: whether it can be used.
        """
        return self.attributes is None or name.lower() in self.attributes

    def orders(self, name: str) -> bool:
        """Whether ``>=`` filters work on an attribute (it has an ORDERING rule).

        :param name: the attribute's name, in any case.
        :returns: ``True`` when the schema gives it an ordering rule.
        """
        return name.lower() in self.ordered


def _names(definition: str) -> list[str]:
    found = _NAMES.search(definition)
    if not found:
        return []
    if found.group(1):
        return [found.group(1).lower()]
    return [n.lower() for n in re.findall(r"'([^']+)'", found.group(2))]


def discover(conn: ldap3.Connection, store: str) -> Directory:
    """Read the root DSE and the subschema.

    :param conn: a bound connection.
    :param store: the store name, for errors.
    :returns: the facts.
    :raises StoreUnavailable: when the directory cannot be asked (others as
        :func:`idconnect_ldap.errors.check`).
    """
    conn.search(
        "",
        "(objectClass=*)",
        ldap3.BASE,
        attributes=["supportedControl", "supportedExtension", "subschemaSubentry"],
    )
    check(conn.result, store=store, what="read the root DSE")
    root = next((Raw(i) for i in conn.response or () if i.get("type") == "searchResEntry"), None)
    controls = frozenset(text_values(root.get("supportedControl"))) if root else frozenset()
    extensions = frozenset(text_values(root.get("supportedExtension"))) if root else frozenset()
    subentry = text_values(root.get("subschemaSubentry")) if root else []
    attributes: set[str] | None = None
    ordered: set[str] = set()
    if subentry:
        conn.search(
            subentry[0], "(objectClass=subschema)", ldap3.BASE, attributes=["attributeTypes"]
        )
        answer = [i for i in conn.response or () if i.get("type") == "searchResEntry"]
        if conn.result.get("result") == 0 and answer:
            attributes = set()
            for definition in text_values(Raw(answer[0]).get("attributeTypes")):
                names = _names(definition)
                attributes.update(names)
                if _ORDERING.search(definition):
                    ordered.update(names)
    return Directory(
        controls=controls,
        extensions=extensions,
        attributes=frozenset(attributes) if attributes is not None else None,
        ordered=frozenset(ordered),
    )
