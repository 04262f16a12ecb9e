"""The cattrs converter of canonical JSON: camelCase names, ISO instants, unset values omitted.

One private instance (:data:`CONVERTER`) serves :mod:`~idconnect.core.convert` (documents) and
:mod:`~idconnect.core.changes` (updates); there is never a global one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from idconnect.core.activity import ActivityKind, ActivityRecord, ActivitySource
from idconnect.core.errors import InvalidInput
from idconnect.core.instants import format_instant, parse_instant
from idconnect.core.model import (
    Authenticator,
    AuthenticatorKind,
    Consent,
    Email,
    Event,
    ExternalIdentity,
    FailedAttempts,
    GroupRef,
    IdentityVerification,
    Name,
    Organization,
    PhoneNumber,
    Role,
    RoleAssignment,
    Session,
)
from idconnect.core.notification import DeliveryStatus, Medium, Notification
from idconnect.core.records import AssuranceLevel, ConsentEnd

__all__ = ["CONVERTER", "PLAIN", "drop_none", "make_converter", "structure"]

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
    "revoked_at": "revokedAt",
    "revoked_by": "revokedBy",
    "revoke_reason": "revokeReason",
    "verified_at": "verifiedAt",
    "verified_by": "verifiedBy",
    "expires_at": "expiresAt",
    "agreed_at": "agreedAt",
    "opted_out_at": "optedOutAt",
    "ended_how": "endedHow",
    "request_id": "requestId",
    "account_id": "accountId",
    "error_code": "errorCode",
}

PLAIN = (
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
    ActivityRecord,
    Notification,
)


def make_converter() -> cattrs.Converter:
    """Build the converter for canonical JSON: camelCase names, ISO instants, unset omitted.

    :returns: a new converter; idconnect keeps one private instance and never a global one.
    """
    conv = cattrs.Converter(omit_if_default=False, forbid_extra_keys=True)
    conv.register_unstructure_hook(datetime, format_instant)
    conv.register_structure_hook(datetime, lambda v, _: _instant(v))
    enums = (AuthenticatorKind, AssuranceLevel, ConsentEnd, ActivityKind, ActivitySource, Medium)
    for kind in (*enums, DeliveryStatus):
        conv.register_unstructure_hook(kind, lambda k: k.value)
    for cls in PLAIN:
        renames: dict[str, Any] = {
            a.name: override(rename=_CAMEL[a.name]) for a in attrs.fields(cls) if a.name in _CAMEL
        }
        unstructure = make_dict_unstructure_fn(cls, conv, **renames)
        conv.register_unstructure_hook(cls, lambda obj, fn=unstructure: drop_none(fn(obj)))
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


def drop_none(doc: dict[str, Any]) -> dict[str, Any]:
    """Return ``doc`` without unset values (``None`` and empty lists), as SCIM omits them.

    :param doc: a JSON object.
    :returns: a new dict.
    """
    return {k: v for k, v in doc.items() if v is not None and v != [] and v != ()}


CONVERTER = make_converter()
"""The one converter of canonical JSON (private to the core)."""


def structure(value: Any, cls: type[M], what: str) -> M:
    """Build a model object from JSON, naming what is wrong in the error.

    :param value: the JSON value.
    :param cls: the model class (or ``datetime``).
    :param what: the attribute path, for the error.
    :returns: the object.
    :raises InvalidInput: naming what is missing or of a wrong type.
    """
    try:
        return CONVERTER.structure(value, cls)
    except (cattrs.BaseValidationError, ValueError, TypeError, KeyError) as exc:
        if isinstance(exc, cattrs.BaseValidationError):
            reasons = "; ".join(cattrs.transform_error(exc, path=what))
        else:
            reasons = f"{what}: {exc}"
        raise InvalidInput(f"invalid {what}: {reasons}", attribute=what) from exc
