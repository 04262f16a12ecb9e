"""What a directory supports, read once from its root DSE and its subschema.

The root DSE lists the controls (Server Side Sort, Simple Paged Results, Assertion) and
extended operations (Password Modify) the server supports; the subschema subentry lists the
attribute types it defines. ppolicy's ``pwdAccountLockedTime`` and ``pwdFailureTime``, the
memberof overlay's ``memberOf`` and ``pwdLastSuccess`` (``olcLastBind``) exist only when the
overlays are loaded, so their definitions tell whether a profile's feature can work here.
Each definition's syntax, EQUALITY / ORDERING / SUBSTR rules (inherited through ``SUP``),
``SINGLE-VALUE`` and ``NO-USER-MODIFICATION`` are kept (:class:`AttributeType`): they say how
a custom attribute's values and filters work (:mod:`idconnect_ldap.custom`). When the subschema
cannot be read (access refused), every attribute counts as defined and the settings are trusted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import ldap3  # type: ignore[import-untyped]
from attrs import frozen

from idconnect_ldap.entries import Raw, text_values
from idconnect_ldap.errors import check

__all__ = ["AttributeType", "Directory", "discover"]

_NAMES = re.compile(r"NAME\s+(?:'([^']+)'|\(\s*((?:'[^']+'\s*)+)\))", re.IGNORECASE)
_QUOTED = re.compile(r"'([^']*)'")
_KEYWORDS = ("SUP", "EQUALITY", "ORDERING", "SUBSTR", "SYNTAX")


@frozen
class AttributeType:
    """One attribute type as the subschema defines it (rules and syntax inherited from SUP)."""

    syntax: str
    """The syntax OID without its length bound, ``""`` when not given."""
    equality: str
    """The EQUALITY matching rule's name or OID, ``""`` when it has none."""
    ordering: str
    """The ORDERING matching rule, ``""`` when it has none."""
    substr: str
    """The SUBSTR matching rule, ``""`` when it has none."""
    single_value: bool
    """Whether an entry holds at most one value."""
    user_modifiable: bool
    """Whether clients may write it (not ``NO-USER-MODIFICATION``)."""


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
    types: Mapping[str, AttributeType] = MappingProxyType({})
    """The definitions by lower-case name (empty when the schema was unreadable)."""

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

    def type_of(self, name: str) -> AttributeType | None:
        """The definition of an attribute type.

        :param name: the attribute's name, in any case.
        :returns: its definition, ``None`` when undefined or the schema was unreadable.
        """
        return self.types.get(name.lower())


def _names(definition: str) -> list[str]:
    found = _NAMES.search(definition)
    if not found:
        return []
    if found.group(1):
        return [found.group(1).lower()]
    return [n.lower() for n in re.findall(r"'([^']+)'", found.group(2))]


def _fields(definition: str) -> dict[str, str]:
    """The keyword fields of one definition (quoted single words unquoted, DESC text dropped)."""
    bare = _QUOTED.sub(lambda m: m.group(1) if " " not in m.group(1) else "''", definition)
    words = bare.replace("(", " ( ").replace(")", " ) ").split()
    found: dict[str, str] = {}
    for index, word in enumerate(words[:-1]):
        if word.upper() in _KEYWORDS:
            found.setdefault(word.upper(), words[index + 1].split("{")[0])
    found.update({flag: "" for flag in ("SINGLE-VALUE", "NO-USER-MODIFICATION") if flag in words})
    return found


def _types(definitions: list[str]) -> dict[str, AttributeType]:
    """Resolve every definition, inheriting syntax and rules through ``SUP`` chains."""
    parsed = {name: _fields(d) for d in definitions for name in _names(d)}

    def inherited(name: str, key: str) -> str:
        seen: set[str] = set()
        while name in parsed and name not in seen:
            seen.add(name)
            if key in parsed[name]:
                return parsed[name][key]
            name = parsed[name].get("SUP", "").lower()
        return ""

    return {
        name: AttributeType(
            syntax=inherited(name, "SYNTAX"),
            equality=inherited(name, "EQUALITY"),
            ordering=inherited(name, "ORDERING"),
            substr=inherited(name, "SUBSTR"),
            single_value="SINGLE-VALUE" in fields,
            user_modifiable="NO-USER-MODIFICATION" not in fields,
        )
        for name, fields in parsed.items()
    }


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
    types: dict[str, AttributeType] | None = None
    if subentry:
        conn.search(
            subentry[0], "(objectClass=subschema)", ldap3.BASE, attributes=["attributeTypes"]
        )
        answer = [i for i in conn.response or () if i.get("type") == "searchResEntry"]
        if conn.result.get("result") == 0 and answer:
            types = _types(text_values(Raw(answer[0]).get("attributeTypes")))
    return Directory(
        controls=controls,
        extensions=extensions,
        attributes=frozenset(types) if types is not None else None,
        ordered=frozenset(n for n, t in (types or {}).items() if t.ordering),
        types=MappingProxyType(types or {}),
    )
