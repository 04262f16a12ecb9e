"""Resources as SCIM documents: the core's canonical JSON plus ``meta``, and what a change is.

Documents come from :func:`idconnect.core.convert.to_json` only (no second converter); this
module adds ``meta.location`` and the ETag form of ``meta.version``, and turns the difference
between a User document and its changed copy (PATCH) into the facade's update.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attrs import frozen

from idconnect.core.convert import WRITABLE_ATTRIBUTES, to_json
from idconnect.core.facade import Store
from idconnect.core.model import Account, Group
from idconnect.core.schema import ACCOUNT_ATTRIBUTES, CORE_USER_SCHEMA, CUSTOM_SCHEMA
from idconnect.http.scim.common import etag, invalid

__all__ = ["AccountChange", "account_change", "account_doc", "group_doc", "user_sections"]

_WRITABLE = {name.lower(): name for name in WRITABLE_ATTRIBUTES}
_IGNORED = {"schemas"}


def _with_meta(doc: dict[str, Any], location: str) -> dict[str, Any]:
    meta = dict(doc.get("meta") or {})
    meta["location"] = location
    if meta.get("version") is not None:
        meta["version"] = etag(meta["version"])
    doc["meta"] = meta
    return doc


def account_doc(store: Store, account: Account, base: str) -> dict[str, Any]:
    """Return an account as a SCIM User with what the store holds and shows.

    :param store: the store (its catalogue decides which attributes appear).
    :param account: the account.
    :param base: the store's SCIM base URL (``.../scim/v2/{store}``).
    :returns: the document, ``meta.version`` as an ETag, ``meta.location`` set.
    """
    doc: dict[str, Any] = to_json(account, catalogue=store.catalogue)
    return _with_meta(doc, f"{base}/Users/{account.id}")


def group_doc(group: Group, base: str) -> dict[str, Any]:
    """Return a group as a SCIM Group document.

    :param group: the group.
    :param base: the store's SCIM base URL.
    :returns: the document with ``meta.location`` (and the ETag form of ``meta.version``).
    """
    doc: dict[str, Any] = to_json(group)
    return _with_meta(doc, f"{base}/Groups/{group.id}")


def user_sections(store: Store) -> dict[str, str]:
    """Map attributes a PATCH path may name without their URN to the extension holding them.

    :param store: the store (its custom attributes live under the custom schema).
    :returns: lower-cased attribute name to schema URN.
    """
    sections = {
        a.name.lower(): a.schema for a in ACCOUNT_ATTRIBUTES if a.schema != CORE_USER_SCHEMA
    }
    sections.update({name: CUSTOM_SCHEMA for name in store.custom_attributes})
    return sections


@frozen
class AccountChange:
    """What a changed User document asks of the facade."""

    changes: dict[str, Any]
    """Writable attributes to change (``update_account``); ``None`` clears one."""
    active: bool | None
    """The new ``active`` when it changed (enable or disable), else ``None``."""
    password: str | None
    """A new password (``set_password``), else ``None``."""


def _flat(doc: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
    """Every attribute of a User document by lower-cased name, with its name as written."""
    flat: dict[str, tuple[str, Any]] = {}
    for key, value in doc.items():
        low = key.lower()
        if low in _IGNORED:
            continue
        if low.startswith("urn:") and isinstance(value, Mapping):
            for sub, item in value.items():
                flat[sub.lower()] = (sub, item)
        else:
            flat[low] = (key, value)
    return flat


def account_change(
    store: Store,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    *,
    ignore_read_only: bool = False,
) -> AccountChange:
    """Compare a User document with its changed copy.

    :param store: the store (its custom attributes may change too).
    :param before: the document as read.
    :param after: the document after PATCH operations, or a PUT's resource.
    :param ignore_read_only: leave read-only attributes as they are instead of refusing a
        change to them (a PUT, RFC 7644 §3.5.1).
    :returns: the change.
    :raises ApiError: 400 ``mutability`` for a change to a read-only attribute (``id``,
        ``groups``, ``lastLogin``, ...), ``invalidValue`` for a non-boolean ``active`` or a
        password that is not text.
    """
    old, new = _flat(before), _flat(after)
    custom = store.custom_attributes
    changes: dict[str, Any] = {}
    active: bool | None = None
    password: str | None = None
    for low in old.keys() | new.keys():
        was = old.get(low, (low, None))[1]
        name, value = new.get(low, (old[low][0] if low in old else low, None))
        if was == value:
            continue
        if low == "active":
            if not isinstance(value, bool):
                raise invalid("active must be true or false")
            active = value
        elif low == "password":
            if not isinstance(value, str):
                raise invalid("password must be text")
            password = value
        elif low in _WRITABLE:
            changes[_WRITABLE[low]] = value
        elif low in custom:
            changes[custom[low].path] = value
        elif not ignore_read_only:
            raise invalid(f"attribute {name!r} cannot be changed: it is read-only", "mutability")
    return AccountChange(changes, active, password)
