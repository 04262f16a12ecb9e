"""JSON Schemas of what the admin API answers, derived once from the canonical JSON forms.

The forms are :func:`idconnect.core.convert.to_json`'s (SCIM User and Group, ``BulkResult``,
the records' camelCase documents) and the error body of :func:`idconnect.http.calls.
error_response` (``{"error", "detail"}``). :data:`COMPONENTS` names the shared ones for the
OpenAPI document; :func:`ref` points at them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.core.activity import ActivityKind
from idconnect.core.convert import BULK_RESULT_SCHEMA, LIST_RESPONSE_SCHEMA
from idconnect.core.filter.parse import MAX_LENGTH
from idconnect.core.model import AuthenticatorKind
from idconnect.core.query import MAX_PAGE_SIZE
from idconnect.core.schema import EXTENSION_SCHEMA
from idconnect.http.admin.spec import ID_SCHEMA, TEXT_SCHEMA, Param, Reply

__all__ = [
    "COMPONENTS",
    "ERRORS",
    "ID",
    "TEXT",
    "account_param",
    "array_of",
    "count_param",
    "cursor_param",
    "filter_param",
    "query_param",
    "ref",
    "sort_params",
    "sorting",
    "store_param",
]

TEXT: Mapping[str, Any] = TEXT_SCHEMA
"""Non-empty text of at most 512 characters without control characters."""

ID: Mapping[str, Any] = ID_SCHEMA
"""An id in a path: one segment, not starting with a dot or a space."""

_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_INT = {"type": "integer"}
_INSTANT = {"type": "string", "format": "date-time"}
_STRINGS = {"type": "array", "items": _STR}


def ref(name: str) -> dict[str, str]:
    """Point at a named schema of :data:`COMPONENTS`.

    :param name: its name, e.g. ``Account``.
    :returns: the ``$ref`` object.
    """
    return {"$ref": f"#/components/schemas/{name}"}


def array_of(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Return the schema of a JSON array of ``schema`` items.

    :param schema: the items' schema.
    :returns: the array's schema.
    """
    return {"type": "array", "items": dict(schema)}


def _obj(required: tuple[str, ...], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(required), "properties": properties}


def _multi(**extra: Any) -> dict[str, Any]:
    return array_of(_obj(("value",), value=_STR, type=_STR, primary=_BOOL, verified=_BOOL, **extra))


_ACCOUNT = _obj(
    ("schemas", "id", "userName", "meta"),
    schemas=_STRINGS,
    id=_STR,
    userName=_STR,
    name=_obj((), formatted=_STR, familyName=_STR, givenName=_STR, middleName=_STR),
    displayName=_STR,
    emails=_multi(),
    phoneNumbers=_multi(),
    active=_BOOL,
    groups=array_of(_obj(("value",), value=_STR, display=_STR)),
    meta=_obj(
        ("resourceType",),
        resourceType={"const": "User"},
        created=_INSTANT,
        lastModified=_INSTANT,
        version=_STR,
    ),
    **{
        EXTENSION_SCHEMA: _obj(
            (),
            emailVerified=_BOOL,
            phoneVerified=_BOOL,
            organization=_STR,
            lastLogin=_INSTANT,
            disabledAt=_INSTANT,
            failedAttempts=_obj((), password=_INT, otp=_INT),
            roleAssignments=array_of(_obj(("role",), role=_STR, organization=_STR)),
        )
    },
)

_GROUP = _obj(
    ("schemas", "id", "displayName"),
    schemas=_STRINGS,
    id=_STR,
    displayName=_STR,
    members=array_of(_obj(("value",), value=_STR)),
    meta=_obj(("resourceType",), resourceType={"const": "Group"}, created=_INSTANT),
)

_SCIM_ERROR = _obj(("schemas", "status", "detail"), schemas=_STRINGS, status=_STR, detail=_STR)

_BULK = _obj(
    ("schemas", "action", "total", "succeeded", "failed", "indeterminate", "outcomes"),
    schemas={"type": "array", "items": {"const": BULK_RESULT_SCHEMA}},
    action=_STR,
    total=_INT,
    succeeded=_INT,
    failed=_INT,
    indeterminate=_INT,
    outcomes=array_of(
        _obj(
            ("accountId", "status"),
            accountId=_STR,
            status={"enum": ["ok", "failed", "indeterminate"]},
            error=ref("ScimError"),
            account=ref("Account"),
        )
    ),
    notifications=array_of(ref("NotificationOutcome")),
)

_DRY_RUN = _obj(
    ("action", "dryRun", "count", "accounts", "unknown"),
    action=_STR,
    dryRun={"const": True},
    count=_INT,
    accounts=array_of(_obj(("id", "userName", "active"), id=_STR, userName=_STR, active=_BOOL)),
    unknown=_STRINGS,
)

_NOTIFICATION = _obj(
    ("id", "store", "accountId", "at", "event", "client", "status", "actor"),
    id=_STR,
    store=_STR,
    accountId=_STR,
    at=_INSTANT,
    event=_STR,
    client=_STR,
    policy=_STR,
    template=_STR,
    locale=_STR,
    channel=_STR,
    medium=_STR,
    target=_STR,
    subject=_STR,
    content=_STR,
    expiresAt=_INSTANT,
    status={"enum": ["queued", "sent", "failed"]},
    cause=_STR,
    actor=_STR,
    reason=_STR,
)

COMPONENTS: dict[str, Any] = {
    "Error": _obj(("error", "detail"), error=_STR, detail=_STR),
    "ScimError": _SCIM_ERROR,
    "Account": _ACCOUNT,
    "Group": _GROUP,
    "GroupList": _obj(
        ("schemas", "itemsPerPage", "Resources"),
        schemas={"type": "array", "items": {"const": LIST_RESPONSE_SCHEMA}},
        itemsPerPage=_INT,
        totalResults=_INT,
        Resources=array_of(ref("Group")),
        nextCursor=_STR,
    ),
    "BulkResult": _BULK,
    "DryRun": _DRY_RUN,
    "NotificationOutcome": _obj(
        ("id", "accountId", "status"),
        id=_STR,
        accountId=_STR,
        status={"enum": ["queued", "sent", "failed"]},
        cause=_STR,
    ),
    "Notification": _NOTIFICATION,
    "Authenticator": _obj(
        ("id", "kind", "verified"),
        id=_STR,
        kind={"enum": [k.value for k in AuthenticatorKind]},
        label=_STR,
        verified=_BOOL,
        created=_INSTANT,
        lastUsed=_INSTANT,
    ),
    "Session": _obj(
        ("id",),
        id=_STR,
        created=_INSTANT,
        lastSeen=_INSTANT,
        expires=_INSTANT,
        ipAddress=_STR,
        userAgent=_STR,
        location=_STR,
    ),
    "Verification": _obj(
        ("id", "accountId", "policy", "methods", "level", "evidence", "verifiedAt", "status"),
        id=_STR,
        accountId=_STR,
        policy=_STR,
        methods=_STRINGS,
        level={"enum": ["low", "substantial", "high"]},
        evidence=_STR,
        verifiedAt=_INSTANT,
        verifiedBy=_STR,
        expiresAt=_INSTANT,
        revokedAt=_INSTANT,
        revokedBy=_STR,
        revokeReason=_STR,
        status={"enum": ["valid", "expired", "revoked"]},
    ),
    "Consent": _obj(
        ("id", "accountId", "purpose", "version", "agreedAt"),
        id=_STR,
        accountId=_STR,
        purpose=_STR,
        version=_STR,
        agreedAt=_INSTANT,
        optedOutAt=_INSTANT,
        endedHow={"enum": ["superseded", "revoked_by_customer", "revoked_by_support"]},
        revokedBy=_STR,
        reason=_STR,
    ),
    "ActivityRecord": _obj(
        ("id", "accountId", "kind", "at", "source"),
        id=_STR,
        accountId=_STR,
        kind={"enum": [k.value for k in ActivityKind]},
        at=_INSTANT,
        source=_STR,
        ip=_STR,
        userAgent=_STR,
        detail={"type": ["string", "object"]},
        actor=_STR,
        reason=_STR,
        action=_STR,
        changed=_STRINGS,
        outcome=_STR,
    ),
    "Grant": _obj(
        ("id", "status", "store", "accountId", "client", "admin", "issuedAt", "expiresAt"),
        id=_STR,
        status={"enum": ["pending", "redeemed", "revoked", "expired"]},
        store=_STR,
        accountId=_STR,
        client=_STR,
        admin=_STR,
        reason=_STR,
        eventId=_STR,
        issuedAt=_INSTANT,
        expiresAt=_INSTANT,
        redeemedAt={"type": ["string", "null"]},
        revokedAt={"type": ["string", "null"]},
        revokedBy={"type": ["string", "null"]},
        revokeReason={"type": ["string", "null"]},
    ),
}
"""The named schemas of the OpenAPI document (``#/components/schemas/NAME``)."""

_ERROR = ref("Error")

ERRORS: Mapping[int, Reply] = {
    400: Reply(
        description="Bad input: a type, a limit, an unknown field, a missing reason.", schema=_ERROR
    ),
    401: Reply(description="No valid API token.", schema=_ERROR),
    403: Reply(
        description="The token's admin lacks the permission (nothing was read or changed).",
        schema=_ERROR,
    ),
    404: Reply(description="No such store, account or record.", schema=_ERROR),
    409: Reply(description="A conflict: taken, stale, or ended already.", schema=_ERROR),
    413: Reply(description="The body is too large.", schema=_ERROR),
    429: Reply(
        description="Too many refused tokens from this address; see Retry-After.",
        schema=_ERROR,
    ),
    501: Reply(description="The store cannot do this.", schema=_ERROR),
    503: Reply(description="The store cannot be reached.", schema=_ERROR),
}
"""The error responses every endpoint declares (the body of
:func:`~idconnect.http.calls.error_response`)."""


def store_param() -> Param:
    """The ``{store}`` path parameter."""
    return Param(name="store", schema=ID, description="A configured store's name.")


def account_param() -> Param:
    """The ``{account}`` path parameter."""
    return Param(name="account", schema=ID, description="The account's id in the store.")


def query_param(name: str, schema: Mapping[str, Any], description: str = "") -> Param:
    """An optional query parameter.

    :param name: its name.
    :param schema: its JSON Schema.
    :param description: what it does, for the OpenAPI document.
    """
    return Param(name=name, where="query", required=False, schema=schema, description=description)


def count_param(most: int = MAX_PAGE_SIZE) -> Param:
    """The ``count`` query parameter (page size).

    :param most: the largest page.
    """
    return query_param(
        "count", {"type": "integer", "minimum": 1, "maximum": most}, "Entries per page."
    )


def cursor_param(longest: int = 4096) -> Param:
    """The ``cursor`` query parameter (the previous page's ``nextCursor``).

    :param longest: the longest cursor accepted.
    """
    return query_param("cursor", {**TEXT, "maxLength": longest}, "The previous page's nextCursor.")


def filter_param(description: str = "A SCIM filter; every account without one.") -> Param:
    """The optional ``filter`` query parameter of a search (SCIM filter text).

    :param description: what it filters, for its description.
    """
    return query_param("filter", {**TEXT, "maxLength": MAX_LENGTH}, description)


def sort_params(sort_by: str) -> tuple[Param, Param]:
    """The ``sortBy`` and ``sortOrder`` query parameters of a search.

    :param sort_by: what ``sortBy`` does, for its description.
    """
    return (
        query_param("sortBy", TEXT, sort_by),
        query_param("sortOrder", {"enum": ["ascending", "descending"]}, "The order of sortBy."),
    )


def sorting(query: Mapping[str, Any]) -> dict[str, Any]:
    """The facade's ``sort_by`` and ``descending`` arguments from :func:`sort_params`' values.

    :param query: the typed query parameters.
    """
    return {"sort_by": query.get("sortBy"), "descending": query.get("sortOrder") == "descending"}
