"""Directory profiles and the store's settings, read and checked from its config.

A profile (``profile = "openldap"``, the default, or ``"active-directory"``) gives every mapping
a directory needs; each part can be overridden in the store's config::

    [stores.directory]
    plugin = "ldap"
    url = "ldap://ldap.example.org"          # or ldaps://...
    start_tls = true                         # upgrade ldap:// with StartTLS
    ca_file = "/etc/ssl/certs/ldap-ca.pem"
    bind_dn = "cn=idconnect,ou=services,dc=example,dc=org"
    bind_password_env = "LDAP_BIND_PASSWORD" # or bind_password_file
    users_base = "ou=people,dc=example,dc=org"
    users_scope = "sub"                      # or "one"
    users_create_base = "ou=people,dc=example,dc=org"   # default: users_base
    groups_base = "ou=groups,dc=example,dc=org"
    groups_scope = "sub"
    profile = "openldap"
    rdn_attribute = "uid"                    # the RDN of new account entries
    user_object_classes = ["inetOrgPerson"]  # object classes of new account entries
    group_object_class = "groupOfNames"      # or "groupOfUniqueNames"
    member_attribute = "member"              # or "uniqueMember"
    member_of_attribute = "memberOf"         # "" when the memberof overlay is absent
    empty_member = "cn=nobody,dc=example,dc=org"  # placeholder member of an empty group
    attributes = { "phoneNumbers.value" = "mobile", "organization" = "" }  # "" unmaps
    pool_size = 4
    connect_timeout = 5.0
    receive_timeout = 10.0
    page_size = 500                          # entries per server round trip (paged results)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from attrs import evolve, frozen

from idconnect.core.config import StoreConfig
from idconnect.core.model import Secret

__all__ = ["ACTIVE_DIRECTORY", "OPENLDAP", "PROFILES", "Profile", "Settings", "read_settings"]


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
    """How accounts are disabled: ``ppolicy`` or ``uac``."""
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
    users_base: str
    """Where accounts live."""
    users_scope: str
    """``one`` or ``sub``."""
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


def _scope(config: StoreConfig, key: str) -> str:
    value = config.get(key, str, "sub")
    if value not in _SCOPES:
        raise config.error(key, f"expected one of {', '.join(_SCOPES)}, got {value!r}")
    return value


def _profile(config: StoreConfig) -> Profile:
    name = config.get("profile", str, "openldap")
    base = PROFILES.get(name)
    if base is None:
        raise config.error("profile", f"unknown profile {name!r} (known: {', '.join(PROFILES)})")
    overrides: dict[str, object] = {}
    for key in ("rdn_attribute", "group_object_class", "member_attribute", "member_of_attribute"):
        value = config.get(key, str)
        if value is not None:
            if not value and key != "member_of_attribute":
                raise config.error(key, "must not be empty")
            overrides[key] = value
    classes = config.get("user_object_classes", list)
    if classes is not None:
        if not classes or not all(isinstance(c, str) and c for c in classes):
            raise config.error("user_object_classes", "expected a non-empty list of names")
        overrides["user_object_classes"] = tuple(classes)
    mapping = config.get("attributes", dict)
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
    users_base = config.require("users_base", str)
    suffix = users_base.split(",", 1)[-1]
    profile = _profile(config)
    return Settings(
        store=config.name,
        url=url,
        start_tls=config.get("start_tls", bool, False),
        ca_file=config.get("ca_file", str),
        bind_dn=config.get("bind_dn", str),
        bind_password=config.secret("bind_password"),
        users_base=users_base,
        users_scope=_scope(config, "users_scope"),
        users_create_base=config.get("users_create_base", str, users_base),
        groups_base=config.require("groups_base", str),
        groups_scope=_scope(config, "groups_scope"),
        empty_member=config.get("empty_member", str, f"cn=nobody,{suffix}"),
        profile=profile,
        pool_size=pool_size,
        connect_timeout=timeouts["connect_timeout"],
        receive_timeout=timeouts["receive_timeout"],
        page_size=page_size,
    )
