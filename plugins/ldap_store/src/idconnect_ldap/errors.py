"""LDAP result codes mapped to the project's errors, with the directory's own diagnostic text.

Every message names what was being done, the result's name and code, and the server's
diagnostic message (slapd says, for instance, which attribute an object class requires), so a
refusal can be understood without the server's logs. A refusal caused by the directory's
schema or configuration (an undefined attribute, an object class violation, an operation the
server will not perform) is an :class:`~idconnect.backend.IdconnectError` itself, never
``InvalidInput``: the user's input was fine, the store's settings do not fit the directory.
"""

from __future__ import annotations

from typing import Any

from idconnect.backend import (
    Conflict,
    IdconnectError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
)

__all__ = ["check", "describe"]

_NOT_FOUND = frozenset({32})
_CONFLICT = frozenset({68, 20})
_INVALID = frozenset({19, 21, 34, 67})
"""Refusals of a value the caller gave: constraint, syntax, DN syntax, RDN."""
_DENIED = frozenset({48, 49, 50})
_UNAVAILABLE = frozenset({3, 11, 51, 52, 80})
_KINDS: tuple[tuple[frozenset[int], type[IdconnectError]], ...] = (
    (_NOT_FOUND, NotFound),
    (_CONFLICT, Conflict),
    (_INVALID, InvalidInput),
    (_DENIED, PermissionDenied),
    (_UNAVAILABLE, StoreUnavailable),
)


def describe(result: dict[str, Any] | None) -> str:
    """Render a result as ``name (code): diagnostic``.

    :param result: ldap3's ``conn.result`` (or a pipelined answer).
    :returns: e.g. ``objectClassViolation (65): object class 'posixAccount' requires attribute
        'uidNumber'``; the diagnostic part is left out when the server sent none.
    """
    found = result or {}
    code = int(found.get("result", 80))
    text = f"{found.get('description', 'unknown')} ({code})"
    diagnostic = str(found.get("message") or "").strip()
    return f"{text}: {diagnostic}" if diagnostic else text


def check(
    result: dict[str, Any] | None,
    *,
    store: str,
    what: str,
    account: str | None = None,
    ok: frozenset[int] = frozenset({0}),
) -> int:
    """Raise the project's error for a failed LDAP result.

    :param result: ldap3's ``conn.result``.
    :param store: the store name.
    :param what: what was being done, e.g. ``"modify account"``.
    :param account: the account concerned, if any.
    :param ok: result codes that are not errors here.
    :returns: the result code when it is in ``ok``.
    :raises NotFound: for noSuchObject.
    :raises Conflict: for entryAlreadyExists, attributeOrValueExists, assertionFailed.
    :raises InvalidInput: for a constraint or syntax violation of a given value.
    :raises PermissionDenied: for access and authentication refusals.
    :raises StoreUnavailable: for busy, unavailable and limit results.
    :raises IdconnectError: for every other refusal (schema, object class, unwilling).
    """
    code = int((result or {}).get("result", 80))
    if code in ok:
        return code
    if code == 122:
        raise Conflict(
            f"{what}: the version is stale (the entry changed meanwhile)",
            store=store,
            account=account,
        )
    message = f"{what} failed: the directory answered {describe(result)}"
    for codes, kind in _KINDS:
        if code in codes:
            raise kind(message, store=store, account=account)
    raise IdconnectError(message, store=store, account=account)
