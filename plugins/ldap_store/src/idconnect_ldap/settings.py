"""Directory profiles and the store's settings, read and checked from its config.

Every key is described, with what each feature needs from the directory, in the plugin's
``README.md``. A profile (``profile = "openldap"``, the default, or ``"active-directory"``) gives
every mapping a directory needs; each part can be overridden in the store's config. What the
directory really holds is discovered on first use (:mod:`idconnect_ldap.discovery`), so a
profile feature the directory lacks (ppolicy, memberOf) is dropped, never half-used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from attrs import evolve, frozen

from idconnect.backend import Secret, StoreConfig, custom_attributes, declared_sources
from idconnect_ldap.custom import Declared, read_custom

__all__ = [
    "ACTIVE_DIRECTORY",
    "OPENLDAP",
    "PROFILES",
    "STATUS_KINDS",
    "Base",
    "IdRange",
    "Profile",
    "Settings",
    "read_settings",
]

STATUS_KINDS = ("ppolicy", "uac", "flag", "shadow", "none")
"""How accounts are disabled: ppolicy's administrative lock, AD's userAccountControl bit, a
boolean flag attribute, posix ``shadowExpire``, or not at all."""


@frozen(kw_only=True)
class Profile:
    """How one kind of directory holds accounts and groups."""

    name: str
    """``openldap`` or ``active-directory``."""
    user_class: str
    """The object class every account entry has (used in search filters)."""
    user_object_classes: tuple[str, ...]
    """Object classes of new account entries."""
    rdn_attribute: str
    """The attribute naming new account entries."""
    id_attribute: str
    """The stable id: ``entryUUID`` or ``objectGUID`` (never the DN)."""
    dn_attribute: str
    """The attribute holding an entry's own DN, usable in filters (``entryDN``)."""
    version_attribute: str
    """The attribute whose value changes on every modification (the account's ``version``)."""
    attributes: Mapping[str, str]
    """Canonical attribute path to LDAP attribute (plain string or time attributes)."""
    placeholders: Mapping[str, str]
    """Required LDAP attributes to fill with a marker when the account has no value."""
    user_name_mirrors: tuple[str, ...]
    """Required LDAP attributes that repeat the userName (``cn`` of ``person``)."""
    ia5_attributes: frozenset[str]
    """IA5String attributes: they cannot hold non-ASCII text."""
    ordering_rule: str
    """The ordering matching rule for extensible-match ``lt`` on string attributes, or ``""``."""
    loose_attributes: frozenset[str]
    """Attributes whose equality ignores more than case and spaces (``telephoneNumber``)."""
    status: str
    """How accounts are disabled: one of :data:`STATUS_KINDS`."""
    password: str
    """How passwords are set: ``exop`` (RFC 3062) or ``unicodePwd``."""
    group_object_class: str
    """Object class of group entries."""
    member_attribute: str
    """Member attribute of groups, holding account DNs."""
    member_of_attribute: str
    """Attribute on accounts listing their groups' DNs, ``""`` when absent."""
    group_name_attribute: str
    """The group attribute holding its display name (also its RDN)."""


OPENLDAP = Profile(
    name="openldap",
    user_class="inetOrgPerson",
    user_object_classes=("inetOrgPerson",),
    rdn_attribute="uid",
    id_attribute="entryUUID",
    dn_attribute="entryDN",
    version_attribute="entryCSN",
    attributes=MappingProxyType(
        {
            "userName": "uid",
            "displayName": "displayName",
            "name.familyName": "sn",
            "name.givenName": "givenName",
            "emails.value": "mail",
            "phoneNumbers.value": "telephoneNumber",
            "organization": "o",
            "meta.created": "createTimestamp",
            "meta.lastModified": "modifyTimestamp",
            "lastLogin": "pwdLastSuccess",
        }
    ),
    placeholders=MappingProxyType({"sn": "-"}),
    user_name_mirrors=("cn",),
    ia5_attributes=frozenset({"mail"}),
    ordering_rule="caseIgnoreOrderingMatch",
    loose_attributes=frozenset({"telephoneNumber"}),
    status="ppolicy",
    password="exop",
    group_object_class="groupOfNames",
    member_attribute="member",
    member_of_attribute="memberOf",
    group_name_attribute="cn",
)
"""OpenLDAP with inetOrgPerson accounts, groupOfNames groups, memberof and ppolicy."""

ACTIVE_DIRECTORY = Profile(
    name="active-directory",
    user_class="user",
    user_object_classes=("top", "person", "organizationalPerson", "user"),
    rdn_attribute="cn",
    id_attribute="objectGUID",
    dn_attribute="distinguishedName",
    version_attribute="uSNChanged",
    attributes=MappingProxyType(
        {
            "userName": "sAMAccountName",
            "displayName": "displayName",
            "name.familyName": "sn",
            "name.givenName": "givenName",
            "emails.value": "mail",
            "phoneNumbers.value": "telephoneNumber",
            "organization": "company",
            "meta.created": "whenCreated",
            "meta.lastModified": "whenChanged",
            "lastLogin": "lastLogonTimestamp",
        }
    ),
    placeholders=MappingProxyType({}),
    user_name_mirrors=("cn",),
    ia5_attributes=frozenset(),
    ordering_rule="",
    loose_attributes=frozenset({"telephoneNumber"}),
    status="uac",
    password="unicodePwd",
    group_object_class="group",
    member_attribute="member",
    member_of_attribute="memberOf",
    group_name_attribute="cn",
)
"""Active Directory: ``user`` objects, userAccountControl, unicodePwd, objectGUID ids."""

PROFILES = MappingProxyType({p.name: p for p in (OPENLDAP, ACTIVE_DIRECTORY)})
"""Profiles by the name used in config."""

_SCOPES = ("one", "sub")
_TEMPLATE_FIELD = re.compile(r"{([^{}]*)}")


@frozen
class Base:
    """A search base and its scope."""

    dn: str
    """The base entry's DN."""
    scope: str
    """``one`` or ``sub``."""


@frozen
class IdRange:
    """An integer attribute of new entries, allocated from a closed range."""

    attribute: str
    """The attribute, e.g. ``uidNumber``."""
    low: int
    """The smallest number handed out."""
    high: int
    """The largest number handed out."""


@frozen(kw_only=True)
class Settings:
    """A store's checked settings."""

    store: str
    """The store's name (for error messages)."""
    url: str
    """The server URL, ``ldap://`` or ``ldaps://``."""
    start_tls: bool
    """Whether to upgrade a plain connection with StartTLS."""
    ca_file: str | None
    """CA certificates to verify the server with; ``None``: the system's."""
    bind_dn: str | None
    """The DN to bind as; ``None`` for an anonymous bind."""
    bind_password: Secret | None
    """The bind password."""
    user_bases: tuple[Base, ...]
    """Where accounts live, each base with its scope."""
    users_create_base: str
    """Where new accounts are created."""
    groups_base: str
    """Where groups live (and are created)."""
    groups_scope: str
    """``one`` or ``sub``."""
    empty_member: str
    """The placeholder member DN of an otherwise empty group."""
    profile: Profile
    """The profile with the config's overrides applied."""
    pool_size: int
    """The most connections kept open."""
    connect_timeout: float
    """Seconds to wait for a TCP connection."""
    receive_timeout: float
    """Seconds to wait for an answer."""
    page_size: int
    """Entries per server round trip in paged searches."""
    status_attribute: str
    """The flag attribute of ``status = "flag"`` (e.g. ``nsAccountLock``), else ``""``."""
    status_flag_means: str
    """``disabled`` (TRUE disables, the 389-DS sense) or ``enabled`` (TRUE enables)."""
    templates: Mapping[str, tuple[str, ...]]
    """Attribute values of new account entries; ``{userName}`` and ``{<allocated>}`` are filled."""
    id_range: IdRange | None
    """A number attribute of new entries allocated from a range (``uidNumber``), or ``None``."""
    custom: tuple[Declared, ...] = ()
    """The custom attributes and the LDAP attributes holding them."""


def _scope(config: StoreConfig, key: str) -> str:
    value = config.get(key, str, "sub")
    if value not in _SCOPES:
        raise config.error(key, f"expected one of {', '.join(_SCOPES)}, got {value!r}")
    return value


def _user_bases(config: StoreConfig) -> tuple[Base, ...]:
    """``users_bases = [{ base = "...", scope = "one" }, ...]``, else ``users_base``."""
    listed = config.get("users_bases", list)
    if listed is None:
        return (Base(config.require("users_base", str), _scope(config, "users_scope")),)
    if "users_base" in config.settings:
        raise config.error("users_bases", "give users_bases or users_base, not both")
    bases: list[Base] = []
    for item in listed:
        if not isinstance(item, dict) or not isinstance(item.get("base"), str) or not item["base"]:
            raise config.error("users_bases", 'expected tables like { base = "ou=people,..." }')
        scope = item.get("scope", "sub")
        if scope not in _SCOPES or set(item) - {"base", "scope"}:
            raise config.error("users_bases", f"scope must be one of {', '.join(_SCOPES)}")
        bases.append(Base(item["base"], scope))
    if not bases:
        raise config.error("users_bases", "expected at least one base")
    return tuple(bases)


def _templates(config: StoreConfig, id_range: IdRange | None) -> Mapping[str, tuple[str, ...]]:
    """``new_entry_attributes = { homeDirectory = "/home/{userName}", gidNumber = 10000 }``."""
    allocated = id_range.attribute if id_range is not None else "userName"
    found = config.get("new_entry_attributes", dict, {})
    out: dict[str, tuple[str, ...]] = {}
    for name, value in found.items():
        values = value if isinstance(value, list) else [value]
        if not values or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in values
        ):
            raise config.error(
                "new_entry_attributes", f"{name!r}: expected text, a number or a list"
            )
        texts = tuple(str(v) for v in values)
        for text in texts:
            fields = set(_TEMPLATE_FIELD.findall(text))
            if fields - {"userName", allocated}:
                raise config.error(
                    "new_entry_attributes",
                    f"{name!r}: only {{userName}} or the allocated number can be filled in",
                )
        out[name] = texts
    return MappingProxyType(out)


def _id_range(config: StoreConfig) -> IdRange | None:
    """``allocate = { attribute = "uidNumber", low = 10000, high = 59999 }``."""
    found = config.get("allocate", dict)
    if found is None:
        return None
    attribute, low, high = found.get("attribute"), found.get("low"), found.get("high")
    if (
        not isinstance(attribute, str)
        or not attribute
        or not all(isinstance(n, int) and not isinstance(n, bool) for n in (low, high))
        or set(found) - {"attribute", "low", "high"}
    ):
        raise config.error("allocate", "expected { attribute = NAME, low = N, high = M }")
    assert isinstance(low, int) and isinstance(high, int)
    if not 0 <= low <= high:
        raise config.error("allocate", "expected 0 <= low <= high")
    return IdRange(attribute, low, high)


def _mapping(config: StoreConfig) -> dict[str, object] | None:
    """The ``attributes`` mapping: its string entries, and built-in tables' ``source``.

    ``[attributes.lastLogin] source = ""`` is the table form of ``attributes = { lastLogin =
    "" }``; tables of custom attributes are read by :func:`idconnect_ldap.custom.read_custom`.
    """
    mapping = config.get("attributes", dict)
    if mapping is None:
        return None
    custom = {d.path for d in custom_attributes(config)}
    found: dict[str, object] = {k: v for k, v in mapping.items() if not isinstance(v, Mapping)}
    found.update({k: v for k, v in declared_sources(config).items() if k not in custom})
    return found


def _profile(config: StoreConfig) -> Profile:
    name = config.get("profile", str, "openldap")
    base = PROFILES.get(name)
    if base is None:
        raise config.error("profile", f"unknown profile {name!r} (known: {', '.join(PROFILES)})")
    overrides: dict[str, object] = {}
    keys = (
        "rdn_attribute",
        "group_object_class",
        "member_attribute",
        "member_of_attribute",
        "status",
    )
    for key in keys:
        value = config.get(key, str)
        if value is not None:
            if not value and key != "member_of_attribute":
                raise config.error(key, "must not be empty")
            overrides[key] = value
    if overrides.get("status", base.status) not in STATUS_KINDS:
        raise config.error("status", f"expected one of {', '.join(STATUS_KINDS)}")
    classes = config.get("user_object_classes", list)
    if classes is not None:
        if not classes or not all(isinstance(c, str) and c for c in classes):
            raise config.error("user_object_classes", "expected a non-empty list of names")
        overrides["user_object_classes"] = tuple(classes)
    mapping = _mapping(config)
    if mapping is not None:
        merged = dict(base.attributes)
        for canonical, ldap_name in mapping.items():
            if canonical not in base.attributes:
                raise config.error(
                    "attributes",
                    f"cannot map {canonical!r} (mappable: {', '.join(base.attributes)})",
                )
            if not isinstance(ldap_name, str):
                raise config.error("attributes", f"{canonical!r}: expected an attribute name")
            if ldap_name:
                merged[canonical] = ldap_name
            else:
                merged.pop(canonical)
        if "userName" not in merged:
            raise config.error("attributes", "userName must stay mapped")
        overrides["attributes"] = MappingProxyType(merged)
    return evolve(base, **overrides)  # type: ignore[arg-type]


def read_settings(config: StoreConfig) -> Settings:
    """Read and check an LDAP store's settings (no connection is made).

    :param config: the store's config.
    :returns: the settings.
    :raises ConfigError: naming the store and key for a missing or malformed setting.
    """
    url = config.require("url", str)
    if not url.lower().startswith(("ldap://", "ldaps://")):
        raise config.error("url", f"expected an ldap:// or ldaps:// URL, got {url!r}")
    pool_size = config.get("pool_size", int, 4)
    if not 1 <= pool_size <= 64:
        raise config.error("pool_size", "expected a whole number from 1 to 64")
    page_size = config.get("page_size", int, 500)
    if not 1 <= page_size <= 10_000:
        raise config.error("page_size", "expected a whole number from 1 to 10000")
    timeouts = {}
    for key, default in (("connect_timeout", 5.0), ("receive_timeout", 10.0)):
        value = config.get(key, float, default)
        if not 0 < value <= 600:
            raise config.error(key, "expected seconds, more than 0 and at most 600")
        timeouts[key] = value
    profile = _profile(config)
    user_bases = _user_bases(config)
    id_range = _id_range(config)
    groups_base = config.require("groups_base", str)
    status_attribute = config.get("status_attribute", str, "")
    if profile.status == "flag" and not status_attribute:
        raise config.error("status_attribute", 'status = "flag" needs the flag attribute')
    means = config.get("status_flag_means", str, "disabled")
    if means not in ("disabled", "enabled"):
        raise config.error("status_flag_means", 'expected "disabled" or "enabled"')
    return Settings(
        store=config.name,
        url=url,
        start_tls=config.get("start_tls", bool, False),
        ca_file=config.get("ca_file", str),
        bind_dn=config.get("bind_dn", str),
        bind_password=config.secret("bind_password"),
        user_bases=user_bases,
        users_create_base=config.get("users_create_base", str, user_bases[0].dn),
        groups_base=groups_base,
        groups_scope=_scope(config, "groups_scope"),
        empty_member=config.get("empty_member", str, groups_base),
        profile=profile,
        pool_size=pool_size,
        connect_timeout=timeouts["connect_timeout"],
        receive_timeout=timeouts["receive_timeout"],
        page_size=page_size,
        status_attribute=status_attribute,
        status_flag_means=means,
        templates=_templates(config, id_range),
        id_range=id_range,
        custom=read_custom(config),
    )
