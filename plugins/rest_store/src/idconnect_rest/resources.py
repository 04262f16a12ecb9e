"""Convert between idconnect models and the server's SCIM resources, through the profile.

Canonical attributes live where discovery located them: core attributes under their names,
extension attributes under their schema URN, mapped attributes wherever ``attribute_map`` says,
custom attributes in their advertised extension (:mod:`idconnect_rest.custom`).
A value the server cannot hold is refused with ``InvalidInput``, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import evolve

from idconnect.backend import (
    ACCOUNT_ATTRIBUTES,
    EXTENSION_SCHEMA,
    GROUP_SCHEMA,
    USER_CATALOGUE,
    Account,
    Group,
    GroupRef,
    InvalidInput,
    account_from_json,
    format_instant,
    group_from_json,
    to_json,
    utc_now,
)
from idconnect_rest.custom import custom_from_resource, custom_to_resource
from idconnect_rest.discovery import ServerAttribute, ServerProfile

__all__ = [
    "PATCH_OP",
    "account_from_resource",
    "account_to_resource",
    "change_value",
    "enable_ops",
    "group_from_resource",
    "group_to_resource",
    "patch_body",
    "server_path",
    "with_groups",
]

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
"""The SCIM PATCH message URN."""

_WRITABLE = tuple(a.name for a in ACCOUNT_ATTRIBUTES if a.writable)
"""The attributes a create or replace sends, in the catalogue's order (``active`` aside)."""
_SUBS = {
    parent: {d.path.partition(".")[2] for d in USER_CATALOGUE if d.parent == parent}
    for parent in {d.parent for d in USER_CATALOGUE if "." in d.path}
}
"""Per complex attribute, the sub-attributes idconnect knows (the rest is dropped)."""
_EXTENSION_KEYS = frozenset(a.name for a in ACCOUNT_ATTRIBUTES if a.schema == EXTENSION_SCHEMA)
_CANONICAL = {a.name.lower(): a.name for a in ACCOUNT_ATTRIBUTES}


def server_path(where: ServerAttribute) -> str:
    """Return the attribute path to use in PATCH and sortBy, e.g. ``urn:...:User:organization``.

    :param where: the server attribute.
    :returns: the name, prefixed with its schema URN when it is an extension attribute.
    """
    return f"{where.schema}:{where.name}" if where.extension else where.name


def _get(doc: Mapping[str, Any], where: ServerAttribute) -> Any:
    holder = doc.get(where.schema, {}) if where.extension else doc
    if not isinstance(holder, Mapping):
        return None
    low = where.name.lower()
    return next((v for k, v in holder.items() if k.lower() == low), None)


def _clean(canonical: str, value: Any) -> Any:
    """Keep only the sub-attributes idconnect knows (servers add ``display``, ``$ref``...)."""
    subs = _SUBS.get(canonical)
    if subs is None:
        return value
    if isinstance(value, list):
        return [
            {k: v for k, v in item.items() if k in subs}
            for item in value
            if isinstance(item, Mapping)
        ]
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k in subs}
    return value


def account_from_resource(doc: Mapping[str, Any], profile: ServerProfile, store: str) -> Account:
    """Build an Account from a server's User resource.

    :param doc: the User resource as the server sent it.
    :param profile: where the server keeps each attribute.
    :param store: the store's name, for errors.
    :returns: the account; attributes the server does not hold keep their defaults.
    :raises InvalidInput: when the server sent a malformed value.
    """
    core: dict[str, Any] = {"id": doc.get("id"), "userName": doc.get("userName")}
    ext: dict[str, Any] = {}
    for key, where in profile.attributes.items():
        if key in ("id", "meta"):
            continue
        value = _get(doc, where)
        if value is None:
            continue
        canonical = _canonical(key)
        value = _clean(canonical, value)
        (ext if canonical in _EXTENSION_KEYS else core)[canonical] = value
    meta = _meta(doc)
    core["meta"] = {k: meta[k] for k in ("created", "lastModified", "version") if meta.get(k)}
    ext.pop("emailVerified", None)
    ext.pop("phoneVerified", None)
    core = {k: v for k, v in core.items() if v is not None}
    if ext:
        core[EXTENSION_SCHEMA] = ext
    account = account_from_json(core, strict=False)
    custom = custom_from_resource(doc, profile.custom, store)
    return evolve(account, attributes=custom) if custom else account


def _meta(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = doc.get("meta")
    return meta if isinstance(meta, Mapping) else {}


def _canonical(key: str) -> str:
    return _CANONICAL.get(key, key)


def with_groups(account: Account, refs: list[GroupRef]) -> Account:
    """Return the account with its group memberships replaced.

    :param account: the account.
    :param refs: the groups it belongs to.
    :returns: the new account.
    """
    return evolve(account, groups=tuple(refs))


def account_to_resource(account: Account, profile: ServerProfile) -> dict[str, Any]:
    """Build the User resource to create or replace an account.

    :param account: the account; read-only attributes are ignored.
    :param profile: where the server keeps each attribute.
    :returns: the SCIM document.
    :raises InvalidInput: when the account has a value the server cannot hold.
    """
    canonical = to_json(account)
    ext = canonical.get(EXTENSION_SCHEMA, {})
    doc: dict[str, Any] = {"schemas": [profile.user_schemas[0]], "active": account.active}
    for name in _WRITABLE:
        value = ext.get(name) if name in _EXTENSION_KEYS else canonical.get(name)
        if name == "active" or value in (None, [], {}):
            continue
        _put(doc, name, value, profile)
    custom_to_resource(doc, account.attributes, profile.custom)
    return doc


def _put(doc: dict[str, Any], name: str, value: Any, profile: ServerProfile) -> None:
    where = profile.attributes.get(name.lower())
    if where is None or not where.mutable:
        raise InvalidInput(f"this store's SCIM server cannot hold {name!r}", attribute=name)
    value = _fit(name, value, profile)
    if where.extension:
        holder = doc.setdefault(where.schema, {})
        if where.schema not in doc["schemas"]:
            doc["schemas"].append(where.schema)
        holder[where.name] = value
    else:
        doc[where.name] = value


def _fit(name: str, value: Any, profile: ServerProfile) -> Any:
    """Drop sub-attributes the server lacks; refuse a meaningful value it cannot hold."""
    if name in ("emails", "phoneNumbers") and isinstance(value, list):
        held = profile.catalogue.get(f"{name}.verified") is not None
        if not held:
            if any(item.get("verified") for item in value):
                raise InvalidInput(
                    f"this store's SCIM server cannot hold {name}.verified", attribute=name
                )
            value = [{k: v for k, v in item.items() if k != "verified"} for item in value]
        return value
    return value


def change_value(name: str, value: Any, profile: ServerProfile) -> tuple[str, Any]:
    """Return the PATCH path and JSON value for one canonical change (``None`` clears).

    :param name: a canonical top-level writable attribute, e.g. ``emails``.
    :param value: its new typed value (tuple, Name, text) or ``None``.
    :param profile: where the server keeps each attribute.
    :returns: (server path, JSON value or ``None`` to remove).
    :raises InvalidInput: when the server cannot hold the attribute.
    """
    where = profile.attributes.get(name.lower())
    if where is None or not where.mutable:
        raise InvalidInput(f"this store's SCIM server cannot hold {name!r}", attribute=name)
    if value is None or value == ():
        return server_path(where), None
    raw = (
        to_json(list(value))
        if isinstance(value, tuple)
        else (value if isinstance(value, str) else to_json(value))
    )
    return server_path(where), _fit(name, raw, profile)


def group_from_resource(doc: Mapping[str, Any]) -> Group:
    """Build a Group from a server's Group resource (member groups are left out).

    :param doc: the Group resource.
    :returns: the group.
    :raises InvalidInput: when it has no display name.
    """
    members = [
        m["value"]
        for m in doc.get("members") or []
        if isinstance(m, Mapping)
        and isinstance(m.get("value"), str)
        and str(m.get("type") or "User").lower() == "user"
    ]
    meta = _meta(doc)
    return group_from_json(
        {
            "id": doc.get("id"),
            "displayName": doc.get("displayName"),
            "members": [{"value": m} for m in members],
            "meta": {k: meta[k] for k in ("created", "version") if meta.get(k)},
        }
    )


def group_to_resource(group: Group) -> dict[str, Any]:
    """Build the Group resource to create a group.

    :param group: the group.
    :returns: the SCIM document.
    """
    doc: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "displayName": group.display_name}
    if group.members:
        doc["members"] = [{"value": m} for m in group.members]
    return doc


def patch_body(*operations: Mapping[str, Any]) -> dict[str, Any]:
    """Build a SCIM PATCH message.

    :param operations: ``{"op", "path", "value"?}`` operations.
    :returns: the PatchOp document.
    """
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def enable_ops(profile: ServerProfile, enabled: bool) -> list[dict[str, Any]]:
    """Return the PATCH operations that enable or disable an account.

    :param profile: where the server keeps ``disabledAt`` (if it does).
    :param enabled: the new state.
    :returns: replace ``active``, and set or remove ``disabledAt`` when the server holds it.
    """
    ops: list[dict[str, Any]] = [{"op": "replace", "path": "active", "value": enabled}]
    where = profile.attributes.get("disabledat")
    if where is not None and where.mutable:
        path = f"{where.schema}:{where.name}"
        ops.append(
            {"op": "remove", "path": path}
            if enabled
            else {"op": "replace", "path": path, "value": format_instant(utc_now())}
        )
    return ops
