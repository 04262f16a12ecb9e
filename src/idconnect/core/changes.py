"""Updates: which account attributes an update may change, and checking and typing the changes.

:data:`WRITABLE_ATTRIBUTES` and the model field map derive from
:data:`~idconnect.core.schema.ACCOUNT_ATTRIBUTES`; :func:`changes_from_json` turns what a caller
sent (canonical JSON or typed values) into what ``idconnect_update_account`` receives.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from typing import Any

import attrs

from idconnect.core.attributes import CUSTOM_CHANGES, check_custom_value
from idconnect.core.converter import CONVERTER, drop_none, structure
from idconnect.core.errors import InvalidInput
from idconnect.core.model import Account, Email, ExternalIdentity, Name, PhoneNumber
from idconnect.core.schema import (
    ACCOUNT_ATTRIBUTES,
    CUSTOM_SCHEMA,
    USER_CATALOGUE,
    AttributeDef,
    AttrType,
)

__all__ = [
    "CUSTOM_CHANGES",
    "WRITABLE_ATTRIBUTES",
    "apply_changes",
    "changes_from_json",
    "writable_values",
]

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
    :param changes: canonical top-level name to typed value, as ``changes_from_json`` returns;
        custom attributes under :data:`CUSTOM_CHANGES`.
    :returns: the changed copy.
    :raises InvalidInput: for a name that is not a writable attribute.
    """
    unknown = [k for k in changes if k not in _MODEL_FIELDS and k != CUSTOM_CHANGES]
    if unknown:
        raise InvalidInput(f"attribute {unknown[0]!r} cannot be changed", attribute=unknown[0])
    fields = {_MODEL_FIELDS[k]: v for k, v in changes.items() if k != CUSTOM_CHANGES}
    if CUSTOM_CHANGES in changes:
        merged = dict(account.attributes)
        for name, value in changes[CUSTOM_CHANGES].items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
        fields["attributes"] = merged
    return attrs.evolve(account, **fields)


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


def _custom_changes(
    changes: Mapping[str, Any], custom: Mapping[str, AttributeDef], store: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split custom attributes (by short name, or under their schema URN) from the rest."""
    rest: dict[str, Any] = {}
    found: dict[str, Any] = {}
    for key, value in changes.items():
        if isinstance(key, str) and key.lower() == CUSTOM_SCHEMA.lower():
            if not isinstance(value, Mapping):
                raise InvalidInput("the custom attributes must be a JSON object")
            inner, _ = _custom_changes(value, custom, store)
            unknown = [k for k in value if str(k).lower() not in custom]
            if unknown:
                raise _unknown_custom(unknown[0], custom)
            found.update(inner)
        elif isinstance(key, str) and key.lower() in custom:
            definition = custom[key.lower()]
            found[definition.path] = check_custom_value(definition, value, store=store or "")
        else:
            rest[key] = value
    return found, rest


def _unknown_custom(key: Any, custom: Mapping[str, AttributeDef]) -> InvalidInput:
    names = ", ".join(sorted(d.path for d in custom.values())) or "none"
    return InvalidInput(
        f"unknown custom attribute {key!r} (this store's: {names})", attribute=str(key)
    )


def changes_from_json(
    changes: Mapping[str, Any],
    current: Account | None = None,
    *,
    custom: Mapping[str, AttributeDef] | None = None,
    store: str | None = None,
) -> dict[str, Any]:
    """Validate and type an update's changes.

    :param changes: canonical attribute name (any case) to its new value, as JSON or already
        typed; ``name.givenName`` style keys change one part of the name, merged into
        ``current.name``; ``None`` clears an attribute. Custom attributes go by their short
        name or under :data:`~idconnect.core.schema.CUSTOM_SCHEMA`.
    :param current: the account as last read, to merge partial ``name`` changes into.
    :param custom: the store's custom attributes by lower-cased name.
    :param store: the store's name, for errors.
    :returns: canonical top-level name to typed value, as ``idconnect_update_account`` receives;
        custom attributes under :data:`CUSTOM_CHANGES`.
    :raises InvalidInput: for an unknown or read-only attribute (the message says which, and
        the closest writable name), a wrong type, an ``emails`` value that is not an address,
        or clearing ``userName``.
    """
    canonical = {k.lower(): k for k in WRITABLE_ATTRIBUTES}
    typed: dict[str, Any] = {}
    name_parts: dict[str, Any] = {}
    found, changes = _custom_changes(changes, custom or {}, store)
    if found:
        typed[CUSTOM_CHANGES] = found
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
                value if value is None or isinstance(value, Name) else structure(value, Name, attr)
            )
        else:
            item = _ITEMS[attr]
            if value is None:
                value = ()
            if not isinstance(value, list | tuple):
                raise InvalidInput(f"{attr} must be a list", attribute=attr)
            typed[attr] = tuple(
                v if isinstance(v, item) else structure(v, item, attr) for v in value
            )
            if attr == "emails":
                _check_addresses(typed[attr])
    if name_parts:
        if "name" in typed:
            raise InvalidInput("change name or its parts, not both", attribute="name")
        base = CONVERTER.unstructure(current.name) if current and current.name else {}
        base.update(name_parts)
        base = drop_none(base)
        typed["name"] = structure(base, Name, "name") if base else None
    return typed
