"""Canonical JSON: models to and from SCIM 2.0 documents, through one private cattrs converter.

An :class:`~idconnect.core.model.Account` is a SCIM User resource (RFC 7643 §4.1) plus the
idconnect extension (:data:`~idconnect.core.schema.EXTENSION_SCHEMA`); a
:class:`~idconnect.core.query.Page` is a SCIM ListResponse with ``nextCursor`` (RFC 9865).
Unset values are omitted, as SCIM does. ``structure(unstructure(x)) == x`` for every model.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from idconnect.core.changes import (
    WRITABLE_ATTRIBUTES,
    apply_changes,
    changes_from_json,
    writable_values,
)
from idconnect.core.converter import CONVERTER, PLAIN, drop_none, make_converter, structure
from idconnect.core.errors import IdconnectError, InvalidInput
from idconnect.core.instants import format_instant
from idconnect.core.model import (
    Account,
    BulkResult,
    Email,
    ExternalIdentity,
    FailedAttempts,
    Group,
    GroupRef,
    Name,
    Outcome,
    PhoneNumber,
    RoleAssignment,
)
from idconnect.core.query import Page
from idconnect.core.schema import (
    ACCOUNT_ATTRIBUTES,
    CORE_USER_SCHEMA,
    CUSTOM_SCHEMA,
    EXTENSION_SCHEMA,
    Catalogue,
)

__all__ = [
    "BULK_RESULT_SCHEMA",
    "ERROR_SCHEMA",
    "GROUP_SCHEMA",
    "LIST_RESPONSE_SCHEMA",
    "WRITABLE_ATTRIBUTES",
    "account_from_json",
    "apply_changes",
    "changes_from_json",
    "custom_value_json",
    "from_json",
    "group_from_json",
    "make_converter",
    "outcome_status",
    "to_json",
    "writable_values",
]

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
"""The SCIM core Group schema URN."""
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

BULK_RESULT_SCHEMA = "urn:ietf:params:scim:api:messages:idconnect:2.0:BulkResult"
"""The canonical JSON of a bulk action's result: per-account outcomes with SCIM Error details
(the CLI's ``--json``, the HTTP API and exports share it)."""
"""The SCIM ListResponse message URN."""

M = TypeVar("M")


def _account_to_json(account: Account) -> dict[str, Any]:
    u = CONVERTER.unstructure
    doc: dict[str, Any] = {
        "schemas": [CORE_USER_SCHEMA, EXTENSION_SCHEMA],
        "id": account.id,
        "userName": account.user_name,
        "name": u(account.name) if account.name is not None else None,
        "displayName": account.display_name,
        "emails": [u(e) for e in account.emails],
        "phoneNumbers": [u(p) for p in account.phone_numbers],
        "active": account.active,
        "groups": [u(g) for g in account.groups],
        "meta": drop_none(
            {
                "resourceType": "User",
                "created": u(account.created) if account.created else None,
                "lastModified": u(account.last_modified) if account.last_modified else None,
                "version": account.version,
            }
        ),
    }
    ext = {
        "emailVerified": account.email_verified,
        "phoneVerified": account.phone_verified,
        "organization": account.organization,
        "externalIdentities": [u(x) for x in account.external_identities],
        "lastLogin": u(account.last_login) if account.last_login else None,
        "failedAttempts": u(account.failed_attempts),
        "disabledAt": u(account.disabled_at) if account.disabled_at else None,
        "roleAssignments": [u(r) for r in account.role_assignments],
    }
    doc[EXTENSION_SCHEMA] = drop_none(ext)
    if account.attributes:
        doc["schemas"].append(CUSTOM_SCHEMA)
        doc[CUSTOM_SCHEMA] = {k: custom_value_json(v) for k, v in account.attributes.items()}
    return drop_none(doc)


def custom_value_json(value: Any) -> Any:
    """Return a custom attribute's typed value as JSON: instants as text, decimals as numbers.

    :param value: a typed value (a tuple or list of them for a multi-valued attribute).
    :returns: its JSON form.
    """
    if isinstance(value, tuple | list):
        return [custom_value_json(v) for v in value]
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


_ACCOUNT_KEYS = {
    "schemas",
    "meta",
    EXTENSION_SCHEMA,
    CUSTOM_SCHEMA,
    *(a.name for a in ACCOUNT_ATTRIBUTES if a.schema == CORE_USER_SCHEMA),
}
_EXTENSION_KEYS = {a.name for a in ACCOUNT_ATTRIBUTES if a.schema == EXTENSION_SCHEMA}


def _lower_keys(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in doc.items()}


def account_from_json(doc: Mapping[str, Any], *, strict: bool = True) -> Account:
    """Build an Account from a canonical JSON (SCIM User) document.

    :param doc: a SCIM User resource; extension attributes go under the extension URN key.
    :param strict: refuse attributes idconnect does not know (for user input); backends reading
        a server's resource pass ``False`` to ignore them.
    :returns: the account.
    :raises InvalidInput: naming the first attribute that is missing, unknown or of a wrong type.
    """
    if not isinstance(doc, Mapping):
        raise InvalidInput("an account must be a JSON object")
    if strict:
        unknown = {k for k in doc if k not in _ACCOUNT_KEYS}
        if unknown:
            raise InvalidInput(f"unknown attribute {sorted(unknown)[0]!r}", attribute="account")
    ext = doc.get(EXTENSION_SCHEMA) or {}
    if not isinstance(ext, Mapping):
        raise InvalidInput("the idconnect extension must be a JSON object")
    if strict:
        unknown = {k for k in ext if k not in _EXTENSION_KEYS}
        if unknown:
            raise InvalidInput(
                f"unknown extension attribute {sorted(unknown)[0]!r}", attribute="extension"
            )
    meta = doc.get("meta") or {}
    if not isinstance(meta, Mapping):
        raise InvalidInput("meta must be a JSON object", attribute="meta")
    custom = doc.get(CUSTOM_SCHEMA) or {}
    if not isinstance(custom, Mapping) or not all(isinstance(k, str) for k in custom):
        raise InvalidInput("the custom attributes must be a JSON object", attribute="attributes")
    user_name = doc.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise InvalidInput("userName is required and must be non-empty text", attribute="userName")
    active = doc.get("active", True)
    if not isinstance(active, bool):
        raise InvalidInput("active must be true or false", attribute="active")

    def opt(value: Any, cls: type[M], what: str) -> M | None:
        return None if value is None else structure(value, cls, what)

    def many(value: Any, cls: type[M], what: str) -> tuple[M, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise InvalidInput(f"{what} must be a list", attribute=what)
        return tuple(structure(v, cls, what) for v in value)

    def text(value: Any, what: str) -> str | None:
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{what} must be text", attribute=what)
        return value

    try:
        return Account(
            id=text(doc.get("id"), "id"),
            user_name=user_name,
            name=opt(doc.get("name"), Name, "name"),
            display_name=text(doc.get("displayName"), "displayName"),
            emails=many(doc.get("emails"), Email, "emails"),
            phone_numbers=many(doc.get("phoneNumbers"), PhoneNumber, "phoneNumbers"),
            active=active,
            groups=many(doc.get("groups"), GroupRef, "groups"),
            created=opt(meta.get("created"), datetime, "meta.created"),
            last_modified=opt(meta.get("lastModified"), datetime, "meta.lastModified"),
            version=text(meta.get("version"), "meta.version"),
            organization=text(ext.get("organization"), "organization"),
            external_identities=many(
                ext.get("externalIdentities"), ExternalIdentity, "externalIdentities"
            ),
            last_login=opt(ext.get("lastLogin"), datetime, "lastLogin"),
            failed_attempts=opt(ext.get("failedAttempts"), FailedAttempts, "failedAttempts")
            or FailedAttempts(),
            disabled_at=opt(ext.get("disabledAt"), datetime, "disabledAt"),
            role_assignments=many(ext.get("roleAssignments"), RoleAssignment, "roleAssignments"),
            attributes={
                k: tuple(v) if isinstance(v, list) else v
                for k, v in custom.items()
                if v is not None
            },
        )
    except ValueError as exc:
        raise InvalidInput(f"invalid account: {exc}") from exc


def _group_to_json(group: Group) -> dict[str, Any]:
    return drop_none(
        {
            "schemas": [GROUP_SCHEMA],
            "id": group.id,
            "displayName": group.display_name,
            "members": [{"value": m} for m in group.members],
            "meta": drop_none(
                {
                    "resourceType": "Group",
                    "created": format_instant(group.created) if group.created else None,
                    "version": group.version,
                }
            ),
        }
    )


def group_from_json(doc: Mapping[str, Any]) -> Group:
    """Build a Group from a SCIM Group document.

    :param doc: a SCIM Group resource (``displayName`` required, ``members`` by ``value``).
    :returns: the group.
    :raises InvalidInput: when a value is missing or of a wrong type.
    """
    if not isinstance(doc, Mapping):
        raise InvalidInput("a group must be a JSON object")
    name = doc.get("displayName")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("displayName is required", attribute="displayName")
    members = doc.get("members") or []
    if not isinstance(members, list) or not all(
        isinstance(m, Mapping) and isinstance(m.get("value"), str) for m in members
    ):
        raise InvalidInput('members must be a list of {"value": id}', attribute="members")
    meta = doc.get("meta") or {}
    created = meta.get("created")
    return Group(
        id=doc.get("id"),
        display_name=name,
        members=tuple(m["value"] for m in members),
        created=structure(created, datetime, "meta.created") if created else None,
        version=meta.get("version"),
    )


def to_json(obj: Any, *, catalogue: Catalogue | None = None) -> Any:
    """Return the canonical JSON of a model object, a Page, or a list of them.

    :param obj: an Account (SCIM User), Group (SCIM Group), Page (SCIM ListResponse with
        ``nextCursor``), any other model object, or a list/tuple of them.
    :param catalogue: the store's catalogue: accounts then carry only the attributes the store
        holds (a directory without failure counters shows none, never zeros); ``None`` for all.
    :returns: plain dicts, lists, strings, numbers and booleans, ready for ``json.dumps``.
    :raises TypeError: for an object that has no canonical JSON.
    """
    if isinstance(obj, Account):
        doc = _account_to_json(obj)
        return doc if catalogue is None else _held_only(doc, catalogue)
    if isinstance(obj, Group):
        return _group_to_json(obj)
    if isinstance(obj, Page):
        page: dict[str, Any] = {
            "schemas": [LIST_RESPONSE_SCHEMA],
            "itemsPerPage": len(obj.items),
            "Resources": [to_json(item, catalogue=catalogue) for item in obj.items],
        }
        if obj.total is not None:
            page["totalResults"] = obj.total
        if obj.next_cursor is not None:
            page["nextCursor"] = obj.next_cursor
        return page
    if isinstance(obj, BulkResult):
        return _bulk_result_to_json(obj)
    if isinstance(obj, list | tuple):
        return [to_json(item, catalogue=catalogue) for item in obj]
    if isinstance(obj, PLAIN):
        return CONVERTER.unstructure(obj)
    raise TypeError(f"{type(obj).__name__} has no canonical JSON")


_ALWAYS = {"schemas", "id", "meta", "userName"}


def _held_only(doc: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    """Keep what the store holds and shows: no attribute it lacks, none configured invisible."""
    held = catalogue.shown_parents
    kept = {
        k: v
        for k, v in doc.items()
        if k in _ALWAYS or k in held or k in (EXTENSION_SCHEMA, CUSTOM_SCHEMA)
    }
    for schema in (EXTENSION_SCHEMA, CUSTOM_SCHEMA):
        section = {k: v for k, v in doc.get(schema, {}).items() if k in held}
        if section:
            kept[schema] = section
        else:
            kept.pop(schema, None)
    if CUSTOM_SCHEMA not in kept and CUSTOM_SCHEMA in kept.get("schemas", ()):
        kept["schemas"] = [s for s in kept["schemas"] if s != CUSTOM_SCHEMA]
    return kept


def _bulk_result_to_json(result: BulkResult) -> dict[str, Any]:
    outcomes = []
    for outcome in result.outcomes:
        doc: dict[str, Any] = {"accountId": outcome.account_id, "status": outcome_status(outcome)}
        if outcome.error is not None:
            error = outcome.error
            doc["error"] = (
                error.to_scim()
                if isinstance(error, IdconnectError)
                else {"schemas": [ERROR_SCHEMA], "status": "500", "detail": type(error).__name__}
            )
        if outcome.account is not None:
            doc["account"] = _account_to_json(outcome.account)
        outcomes.append(doc)
    unknown = len(result.indeterminate)
    failed = len(result.failed) - unknown
    return {
        "schemas": [BULK_RESULT_SCHEMA],
        "action": result.action,
        "total": len(outcomes),
        "succeeded": len(outcomes) - failed - unknown,
        "failed": failed,
        "indeterminate": unknown,
        "outcomes": outcomes,
    }


def outcome_status(outcome: Outcome) -> str:
    """Name what happened to one account of a bulk action, as the JSON form and the CLI say it.

    :param outcome: the outcome.
    :returns: ``ok``, ``failed`` or ``indeterminate``.
    """
    return outcome.status


def from_json(doc: Any, cls: type[M]) -> M:
    """Build a model object other than Account and Group from its canonical JSON.

    :param doc: the JSON value.
    :param cls: the model class, e.g. :class:`~idconnect.core.model.Session`.
    :returns: the object.
    :raises InvalidInput: naming what is missing or of a wrong type.
    """
    return structure(doc, cls, cls.__name__)
