"""The attribute catalogue: which attributes a store has, their types and SCIM characteristics.

Paths are canonical: ``userName``, ``name.givenName``, ``emails.value``, ``meta.created``, and
idconnect extension attributes by their short name (``organization``, ``lastLogin``,
``failedAttempts.password``). Names are matched ignoring case, as SCIM requires (RFC 7643 §2.1).
A store narrows the default catalogue to what it can hold and search.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator

from attrs import field, frozen

from idconnect.core.errors import InvalidInput

__all__ = [
    "ACCOUNT_ATTRIBUTES",
    "CORE_USER_SCHEMA",
    "CUSTOM_SCHEMA",
    "EXTENSION_SCHEMA",
    "GROUP_CATALOGUE",
    "USER_CATALOGUE",
    "AttrType",
    "AttributeDef",
    "Catalogue",
    "TopLevelAttribute",
]

CORE_USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
"""The SCIM core User schema URN (RFC 7643 §4.1)."""
EXTENSION_SCHEMA = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:User"
"""The idconnect User extension schema URN."""
CUSTOM_SCHEMA = "urn:ietf:params:scim:schemas:extension:idconnect:2.0:Attributes"
"""The schema URN of the attributes a store's config declares (``[stores.X.attributes.Y]``):
canonical JSON carries them under this key, filters name them by their short name."""


class AttrType(enum.StrEnum):
    """SCIM attribute data types used by idconnect."""

    STRING = "string"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATETIME = "dateTime"
    REFERENCE = "reference"


@frozen(kw_only=True)
class AttributeDef:
    """One searchable attribute (a simple attribute or a sub-attribute of a complex one)."""

    path: str
    """Canonical dotted path, e.g. ``emails.value``."""
    type: AttrType
    """The data type of its values."""
    schema: str = CORE_USER_SCHEMA
    """The schema URN the attribute belongs to."""
    multi_valued: bool = False
    """Whether it belongs to a multi-valued attribute (any value may match)."""
    case_exact: bool = False
    """Whether string comparisons respect case."""
    mutable: bool = True
    """Whether support agents may change it (SCIM mutability ``readWrite``; config ``editable``)."""
    visible: bool = True
    """Whether the CLI, exports and JSON show it (config ``visible``)."""
    searchable: bool = True
    """Whether filters and sorting may name it (config ``searchable``)."""
    custom: bool = False
    """Whether the store's config declares it (``CUSTOM_SCHEMA``) rather than idconnect."""
    description: str = ""
    """What it holds, for support agents (``idconnect attributes STORE``)."""

    @property
    def parent(self) -> str:
        """The top-level attribute name, e.g. ``emails`` for ``emails.value``."""
        return self.path.partition(".")[0]

    @property
    def sortable(self) -> bool:
        """Whether results can be sorted by it (searchable, single-valued attributes only)."""
        return self.searchable and not self.multi_valued


@frozen(kw_only=True)
class TopLevelAttribute:
    """One top-level attribute of an account: its SCIM name, its model field, who may write it."""

    name: str
    """The canonical SCIM name, e.g. ``phoneNumbers``."""
    field: str
    """The :class:`~idconnect.core.model.Account` field holding it, e.g. ``phone_numbers``."""
    schema: str = CORE_USER_SCHEMA
    """The schema URN it belongs to (the extension's attributes sit under its URN in JSON)."""
    writable: bool = False
    """Whether an update may change it (``active`` changes only by enable/disable)."""


ACCOUNT_ATTRIBUTES: tuple[TopLevelAttribute, ...] = (
    TopLevelAttribute(name="id", field="id"),
    TopLevelAttribute(name="userName", field="user_name", writable=True),
    TopLevelAttribute(name="name", field="name", writable=True),
    TopLevelAttribute(name="displayName", field="display_name", writable=True),
    TopLevelAttribute(name="emails", field="emails", writable=True),
    TopLevelAttribute(name="phoneNumbers", field="phone_numbers", writable=True),
    TopLevelAttribute(name="active", field="active"),
    TopLevelAttribute(name="groups", field="groups"),
    TopLevelAttribute(
        name="organization", field="organization", schema=EXTENSION_SCHEMA, writable=True
    ),
    TopLevelAttribute(
        name="externalIdentities",
        field="external_identities",
        schema=EXTENSION_SCHEMA,
        writable=True,
    ),
    TopLevelAttribute(name="emailVerified", field="email_verified", schema=EXTENSION_SCHEMA),
    TopLevelAttribute(name="phoneVerified", field="phone_verified", schema=EXTENSION_SCHEMA),
    TopLevelAttribute(name="lastLogin", field="last_login", schema=EXTENSION_SCHEMA),
    TopLevelAttribute(name="failedAttempts", field="failed_attempts", schema=EXTENSION_SCHEMA),
    TopLevelAttribute(name="disabledAt", field="disabled_at", schema=EXTENSION_SCHEMA),
    TopLevelAttribute(name="roleAssignments", field="role_assignments", schema=EXTENSION_SCHEMA),
)
"""Every top-level account attribute but ``meta``: the one list the JSON form, the writable
set and the model field map are derived from (the searchable sub-attributes are in
:data:`USER_CATALOGUE`)."""


def _defs() -> Iterator[AttributeDef]:
    s, b, i, d = AttrType.STRING, AttrType.BOOLEAN, AttrType.INTEGER, AttrType.DATETIME
    yield AttributeDef(path="id", type=s, case_exact=True, mutable=False)
    yield AttributeDef(path="userName", type=s)
    yield AttributeDef(path="displayName", type=s)
    for sub in ("formatted", "familyName", "givenName", "middleName"):
        yield AttributeDef(path=f"name.{sub}", type=s)
    for multi in ("emails", "phoneNumbers"):
        yield AttributeDef(path=f"{multi}.value", type=s, multi_valued=True)
        yield AttributeDef(path=f"{multi}.type", type=s, multi_valued=True)
        yield AttributeDef(path=f"{multi}.primary", type=b, multi_valued=True)
        yield AttributeDef(path=f"{multi}.verified", type=b, multi_valued=True)
    yield AttributeDef(path="active", type=b)
    yield AttributeDef(
        path="groups.value", type=s, multi_valued=True, case_exact=True, mutable=False
    )
    yield AttributeDef(path="groups.display", type=s, multi_valued=True, mutable=False)
    yield AttributeDef(path="meta.created", type=d, mutable=False)
    yield AttributeDef(path="meta.lastModified", type=d, mutable=False)
    x = EXTENSION_SCHEMA
    yield AttributeDef(path="organization", type=s, schema=x)
    yield AttributeDef(path="emailVerified", type=b, schema=x, mutable=False)
    yield AttributeDef(path="phoneVerified", type=b, schema=x, mutable=False)
    yield AttributeDef(path="lastLogin", type=d, schema=x, mutable=False)
    yield AttributeDef(path="disabledAt", type=d, schema=x, mutable=False)
    yield AttributeDef(path="failedAttempts.password", type=i, schema=x, mutable=False)
    yield AttributeDef(path="failedAttempts.otp", type=i, schema=x, mutable=False)
    for sub in ("provider", "subject"):
        yield AttributeDef(
            path=f"externalIdentities.{sub}", type=s, schema=x, multi_valued=True, case_exact=True
        )
    yield AttributeDef(
        path="roleAssignments.role", type=s, schema=x, multi_valued=True, mutable=False
    )
    yield AttributeDef(
        path="roleAssignments.organization", type=s, schema=x, multi_valued=True, mutable=False
    )


def _to_tuple(attributes: Iterable[AttributeDef]) -> tuple[AttributeDef, ...]:
    return tuple(attributes)


@frozen
class Catalogue:
    """The attributes of one store, looked up by canonical path ignoring case."""

    attributes: tuple[AttributeDef, ...] = field(converter=_to_tuple)
    """Every attribute the store can hold and filter on."""
    _by_key: dict[str, AttributeDef] = field(init=False, eq=False, repr=False)
    shown_parents: frozenset[str] = field(init=False, eq=False, repr=False)
    """The top-level attributes an account's JSON shows: held, and none of their parts
    configured invisible (computed once; every rendered account asks)."""

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_by_key", {a.path.lower(): a for a in self.attributes})
        shown = {a.parent for a in self.attributes if a.visible}
        hidden = {a.parent for a in self.attributes if not a.visible}
        object.__setattr__(self, "shown_parents", frozenset(shown - hidden))

    def __iter__(self) -> Iterator[AttributeDef]:
        return iter(self.attributes)

    def __contains__(self, path: object) -> bool:
        return isinstance(path, str) and path.lower() in self._by_key

    def get(self, path: str) -> AttributeDef | None:
        """Return the attribute with this canonical path (any case), or ``None``.

        :param path: a dotted path without schema URN.
        :returns: the definition, or ``None`` when the store does not have it.
        """
        return self._by_key.get(path.lower())

    def is_complex(self, name: str) -> bool:
        """Whether ``name`` is a complex attribute (one with sub-attributes) in this catalogue.

        :param name: a top-level attribute name, any case.
        :returns: ``True`` when some attribute path starts with ``name.``.
        """
        prefix = name.lower() + "."
        return any(key.startswith(prefix) for key in self._by_key)

    def canonical_name(self, name: str) -> str | None:
        """Return the canonical spelling of a top-level attribute name, or ``None``.

        :param name: a top-level name, any case, e.g. ``EMAILS``.
        :returns: e.g. ``emails``.
        """
        low = name.lower()
        for a in self.attributes:
            if a.parent.lower() == low:
                return a.parent
        return None

    def without(self, *parents: str) -> Catalogue:
        """Return a narrower catalogue, dropping every attribute under the given top-level names.

        :param parents: top-level names such as ``phoneNumbers`` or ``roleAssignments``.
        :returns: the narrower catalogue.
        """
        drop = {p.lower() for p in parents}
        return Catalogue(tuple(a for a in self.attributes if a.parent.lower() not in drop))

    def only(self, paths: Iterable[str]) -> Catalogue:
        """Return a narrower catalogue with just the named attributes.

        :param paths: canonical paths to keep.
        :returns: the narrower catalogue.
        :raises InvalidInput: when a path is not in this catalogue.
        """
        kept = []
        for path in paths:
            found = self.get(path)
            if found is None:
                raise InvalidInput(f"unknown attribute {path!r}", attribute=path)
            kept.append(found)
        return Catalogue(tuple(kept))


USER_CATALOGUE = Catalogue(tuple(_defs()))
"""Every attribute of the canonical account: the SCIM core User plus the idconnect extension."""

GROUP_CATALOGUE = Catalogue(
    (
        AttributeDef(path="id", type=AttrType.STRING, case_exact=True, mutable=False),
        AttributeDef(path="displayName", type=AttrType.STRING),
    )
)
"""The attributes groups can be filtered and sorted on."""
