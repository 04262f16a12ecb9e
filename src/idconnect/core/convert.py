"""Canonical JSON: models to and from SCIM 2.0 documents, through one private cattrs converter.

An :class:`~idconnect.core.model.Account` is a SCIM User resource (RFC 7643 §4.1) plus the
idconnect extension (:data:`~idconnect.core.schema.EXTENSION_SCHEMA`); a
:class:`~idconnect.core.query.Page` is a SCIM ListResponse with ``nextCursor`` (RFC 9865).
Unset values are omitted, as SCIM does. ``structure(unstructure(x)) == x`` for every model.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from idconnect.core.errors import IdconnectError, InvalidInput
from idconnect.core.instants import format_instant, parse_instant
from idconnect.core.model import (
    Account,
    Authenticator,
    AuthenticatorKind,
    BulkResult,
    Consent,
    Email,
    Event,
    ExternalIdentity,
    FailedAttempts,
    Group,
    GroupRef,
    IdentityVerification,
    Name,
    Organization,
    Outcome,
    PhoneNumber,
    Role,
    RoleAssignment,
    Session,
)
from idconnect.core.query import Page
from idconnect.core.schema import (
    ACCOUNT_ATTRIBUTES,
    CORE_USER_SCHEMA,
    EXTENSION_SCHEMA,
    USER_CATALOGUE,
    AttrType,
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

_CAMEL = {
    "family_name": "familyName",
    "given_name": "givenName",
    "middle_name": "middleName",
    "display_name": "displayName",
    "last_used": "lastUsed",
    "last_seen": "lastSeen",
    "ip_address": "ipAddress",
    "user_agent": "userAgent",
    "granted_at": "grantedAt",
    "revoked_at": "revokedAt",
    "verified_at": "verifiedAt",
    "verified_by": "verifiedBy",
    "request_id": "requestId",
    "account_id": "accountId",
    "error_code": "errorCode",
}

_PLAIN = (
    Name,
    Email,
    PhoneNumber,
    ExternalIdentity,
    FailedAttempts,
    GroupRef,
    RoleAssignment,
    Organization,
    Role,
    Authenticator,
    Session,
    Consent,
    IdentityVerification,
    Event,
)


def make_converter() -> cattrs.Converter:
    """Build the converter for canonical JSON: camelCase names, ISO instants, unset omitted.

    :returns: a new converter; idconnect keeps one private instance and never a global one.
    """
    conv = cattrs.Converter(omit_if_default=False, forbid_extra_keys=True)
    conv.register_unstructure_hook(datetime, format_instant)
    conv.register_structure_hook(datetime, lambda v, _: _instant(v))
    conv.register_unstructure_hook(AuthenticatorKind, lambda k: k.value)
    for cls in _PLAIN:
        renames: dict[str, Any] = {
            a.name: override(rename=_CAMEL[a.name]) for a in attrs.fields(cls) if a.name in _CAMEL
        }
        unstructure = make_dict_unstructure_fn(cls, conv, **renames)
        conv.register_unstructure_hook(cls, lambda obj, fn=unstructure: _drop_none(fn(obj)))
        conv.register_structure_hook(
            cls, make_dict_structure_fn(cls, conv, _cattrs_forbid_extra_keys=True, **renames)
        )
    return conv


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}")
        return value
    return parse_instant(value)


def _drop_none(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v is not None and v != [] and v != ()}


_conv = make_converter()


def _account_to_json(account: Account) -> dict[str, Any]:
    u = _conv.unstructure
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
        "meta": _drop_none(
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
    doc[EXTENSION_SCHEMA] = _drop_none(ext)
    return _drop_none(doc)


_ACCOUNT_KEYS = {
    "schemas",
    "meta",
    EXTENSION_SCHEMA,
    *(a.name for a in ACCOUNT_ATTRIBUTES if a.schema == CORE_USER_SCHEMA),
}
_EXTENSION_KEYS = {a.name for a in ACCOUNT_ATTRIBUTES if a.schema == EXTENSION_SCHEMA}


def _structure(value: Any, cls: type[M], what: str) -> M:
    try:
        return _conv.structure(value, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            reasons = "; ".join(cattrs.transform_error(exc, path=what))
        else:
            reasons = f"{what}: {exc}"
        raise InvalidInput(f"invalid {what}: {reasons}", attribute=what) from exc


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
    user_name = doc.get("userName")
    if not isinstance(user_name, str) or not user_name.strip():
        raise InvalidInput("userName is required and must be non-empty text", attribute="userName")
    active = doc.get("active", True)
    if not isinstance(active, bool):
        raise InvalidInput("active must be true or false", attribute="active")

    def opt(value: Any, cls: type[M], what: str) -> M | None:
        return None if value is None else _structure(value, cls, what)

    def many(value: Any, cls: type[M], what: str) -> tuple[M, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            raise InvalidInput(f"{what} must be a list", attribute=what)
        return tuple(_structure(v, cls, what) for v in value)

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
        )
    except ValueError as exc:
        raise InvalidInput(f"invalid account: {exc}") from exc


def _group_to_json(group: Group) -> dict[str, Any]:
    return _drop_none(
        {
            "schemas": [GROUP_SCHEMA],
            "id": group.id,
            "displayName": group.display_name,
            "members": [{"value": m} for m in group.members],
            "meta": _drop_none(
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
        created=_structure(created, datetime, "meta.created") if created else None,
        version=meta.get("version"),
    )


WRITABLE_ATTRIBUTES = frozenset(a.name for a in ACCOUNT_ATTRIBUTES if a.writable)
"""Top-level attributes an update may change."""

_MODEL_FIELDS = {a.name: a.field for a in ACCOUNT_ATTRIBUTES if a.writable}


def writable_values(account: Account) -> dict[str, Any]:
    """Return every writable attribute of ``account`` as an update's changes would carry it.

    :param account: an account.
    :returns: canonical top-level name (``WRITABLE_ATTRIBUTES``) to typed value.
    """
    return {name: getattr(account, field) for name, field in _MODEL_FIELDS.items()}


def apply_changes(account: Account, changes: Mapping[str, Any]) -> Account:
    """Return ``account`` with typed changes applied (for stores that keep Account objects).

    :param account: the current account.
    :param changes: canonical top-level name to typed value, as ``changes_from_json`` returns.
    :returns: the changed copy.
    :raises InvalidInput: for a name that is not a writable attribute.
    """
    unknown = [k for k in changes if k not in _MODEL_FIELDS]
    if unknown:
        raise InvalidInput(f"attribute {unknown[0]!r} cannot be changed", attribute=unknown[0])
    return attrs.evolve(account, **{_MODEL_FIELDS[k]: v for k, v in changes.items()})


_TEXT = {
    name
    for name in WRITABLE_ATTRIBUTES
    if (d := USER_CATALOGUE.get(name)) is not None and d.type is AttrType.STRING
}
_ITEMS: Mapping[str, type[Any]] = {
    "emails": Email,
    "phoneNumbers": PhoneNumber,
    "externalIdentities": ExternalIdentity,
}
_NAME_SUBS = {s.lower(): s for s in ("formatted", "familyName", "givenName", "middleName")}


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _not_writable(key: str) -> InvalidInput:
    """The error for changing an attribute no update may change: read-only, or unknown."""
    read_only = {a.name.lower() for a in ACCOUNT_ATTRIBUTES if not a.writable}
    if key.lower() in read_only or key in USER_CATALOGUE or key.lower() == "id":
        return InvalidInput(
            f"attribute {key!r} cannot be changed here: it is read-only", attribute=key
        )
    close = difflib.get_close_matches(key, sorted(WRITABLE_ATTRIBUTES), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    writable = ", ".join(sorted(WRITABLE_ATTRIBUTES))
    return InvalidInput(f"unknown attribute {key!r}{hint} (writable: {writable})", attribute=key)


def _check_addresses(emails: tuple[Any, ...]) -> None:
    """Refuse an email entry whose value is not an address."""
    for email in emails:
        if not _EMAIL.fullmatch(email.value):
            raise InvalidInput(
                f"emails: {email.value!r} is not an email address", attribute="emails"
            )


def changes_from_json(changes: Mapping[str, Any], current: Account | None = None) -> dict[str, Any]:
    """Validate and type an update's changes.

    :param changes: canonical attribute name (any case) to its new value, as JSON or already
        typed; ``name.givenName`` style keys change one part of the name, merged into
        ``current.name``; ``None`` clears an attribute.
    :param current: the account as last read, to merge partial ``name`` changes into.
    :returns: canonical top-level name to typed value, as ``idconnect_update_account`` receives.
    :raises InvalidInput: for an unknown or read-only attribute (the message says which, and
        the closest writable name), a wrong type, an ``emails`` value that is not an address,
        or clearing ``userName``.
    """
    canonical = {k.lower(): k for k in WRITABLE_ATTRIBUTES}
    typed: dict[str, Any] = {}
    name_parts: dict[str, Any] = {}
    for key, value in changes.items():
        if not isinstance(key, str):
            raise InvalidInput(f"attribute names must be text, got {key!r}")
        head, _, sub = key.lower().partition(".")
        if head == "name" and sub:
            if sub not in _NAME_SUBS:
                raise InvalidInput(f"unknown attribute {key!r}", attribute=key)
            if value is not None and not isinstance(value, str):
                raise InvalidInput(f"{key} must be text", attribute=key)
            name_parts[_NAME_SUBS[sub]] = value
            continue
        attr = canonical.get(key.lower())
        if attr is None:
            raise _not_writable(key)
        if attr in _TEXT:
            if value is None and attr != "userName":
                typed[attr] = None
            elif not isinstance(value, str) or not value.strip():
                raise InvalidInput(f"{attr} must be non-empty text", attribute=attr)
            else:
                typed[attr] = value
        elif attr == "name":
            typed[attr] = (
                value if value is None or isinstance(value, Name) else _structure(value, Name, attr)
            )
        else:
            item = _ITEMS[attr]
            if value is None:
                value = ()
            if not isinstance(value, list | tuple):
                raise InvalidInput(f"{attr} must be a list", attribute=attr)
            typed[attr] = tuple(
                v if isinstance(v, item) else _structure(v, item, attr) for v in value
            )
            if attr == "emails":
                _check_addresses(typed[attr])
    if name_parts:
        if "name" in typed:
            raise InvalidInput("change name or its parts, not both", attribute="name")
        base = _conv.unstructure(current.name) if current and current.name else {}
        base.update(name_parts)
        base = _drop_none(base)
        typed["name"] = _structure(base, Name, "name") if base else None
    return typed


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
    if isinstance(obj, _PLAIN):
        return _conv.unstructure(obj)
    raise TypeError(f"{type(obj).__name__} has no canonical JSON")


_ALWAYS = {"schemas", "id", "meta", "userName"}


def _held_only(doc: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    held = {definition.parent for definition in catalogue}
    kept = {k: v for k, v in doc.items() if k in _ALWAYS or k in held or k == EXTENSION_SCHEMA}
    extension = {k: v for k, v in doc.get(EXTENSION_SCHEMA, {}).items() if k in held}
    if extension:
        kept[EXTENSION_SCHEMA] = extension
    else:
        kept.pop(EXTENSION_SCHEMA, None)
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
    return _structure(doc, cls, cls.__name__)
