"""The store's errors, and the checks that keep a bad value out of a request.

Errors: SCIM error responses (RFC 7644 §3.12) and answers idconnect cannot read. Checks:
header values (:func:`header_safe`) and path segments (:func:`safe_segment`).

The server's ``detail`` is quoted for a 400 (it says what is wrong with the input) and in
other errors; request headers (where credentials travel) are never looked at, and no message
repeats a header value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from idconnect.backend import (
    Conflict,
    IdconnectError,
    InvalidInput,
    NotFound,
    NotSupported,
    PermissionDenied,
    StoreUnavailable,
    UnsupportedFilter,
)

__all__ = ["Answer", "error_for_response", "header_safe", "malformed", "safe_segment"]

_MAX_DETAIL = 300
_SCIM_TYPES = frozenset(
    {
        "invalidFilter",
        "tooMany",
        "uniqueness",
        "mutability",
        "invalidSyntax",
        "invalidPath",
        "noTarget",
        "invalidValue",
        "invalidVers",
        "sensitive",
        "invalidCursor",
        "expiredCursor",
        "invalidCount",
    }
)
"""The ``scimType`` values of RFC 7644 §3.12 and RFC 9865; any other is not quoted."""


class Answer(Protocol):
    """What error mapping reads of an answer."""

    status_code: int
    content: bytes


def malformed(store: str, url: str, what: str) -> StoreUnavailable:
    """Build the error for an answer idconnect cannot use.

    :param store: the store name.
    :param url: the request URL without its query.
    :param what: what the server sent, e.g. ``a JSON list where an object belongs``.
    :returns: a ``StoreUnavailable`` naming the server and what was wrong.
    """
    return StoreUnavailable(f"the SCIM server at {url} sent {what}", store=store, url=url)


def header_safe(value: str, *, spaces: bool = False) -> bool:
    """Tell whether a value can travel in an HTTP header as it is.

    :param value: the value (a token, an ETag).
    :param spaces: whether inner spaces are allowed.
    :returns: ``False`` for an empty value or one holding a control character, a line break,
        a non-ASCII character or (unless ``spaces``) a space.
    """
    low = 0x20 if spaces else 0x21
    return bool(value) and all(low <= ord(c) <= 0x7E for c in value)


def safe_segment(value: object) -> bool:
    """Tell whether an id can be one path segment of a resource URL as it is.

    :param value: an id (from a caller or a server).
    :returns: ``False`` for a non-string, an empty string, ``.``, ``..``, or one holding a
        slash, a backslash or a control character (which a server or proxy could read as
        another path); quoting makes every other string one segment.
    """
    return (
        isinstance(value, str)
        and value not in ("", ".", "..")
        and not any(c in "/\\" or ord(c) < 0x20 or ord(c) == 0x7F for c in value)
    )


def _detail(response: Answer, hide: Sequence[str]) -> tuple[str | None, str | None]:
    """Return the ``detail`` and ``scimType`` of an error response, ``hide`` values replaced."""
    try:
        doc: Any = json.loads(response.content)
    except (ValueError, RecursionError):
        return None, None
    if not isinstance(doc, dict):
        return None, None
    detail = doc.get("detail")
    scim_type = doc.get("scimType")
    return (
        _hidden(detail, hide)[:_MAX_DETAIL] if isinstance(detail, str) and detail else None,
        scim_type if scim_type in _SCIM_TYPES else None,
    )


def _hidden(text: str, hide: Sequence[str]) -> str:
    for value in hide:
        text = text.replace(value, "[redacted]")
    return text


def error_for_response(
    store: str, url: str, response: Answer, what: str, hide: Sequence[str] = ()
) -> IdconnectError:
    """Build the idconnect error for a non-success SCIM response.

    :param store: the store name.
    :param url: the request URL without its query (the query may hold filter values).
    :param response: the server's response (status >= 400).
    :param what: what the request was about, e.g. ``account 'a1'`` or ``the search``.
    :param hide: values never to quote (the credentials sent), should the server echo them.
    :returns: ``NotFound`` (404), ``Conflict`` (409, 412), ``UnsupportedFilter`` (400
        invalidFilter, a ``FilterError``), ``InvalidInput`` (other 400, 413),
        ``PermissionDenied`` (401, 403), ``NotSupported`` (501) or ``StoreUnavailable`` (other
        5xx and anything else), naming the store and URL.
    """
    status = response.status_code
    detail, scim_type = _detail(response, hide)
    said = f": {detail}" if detail else ""
    if status == 404:
        return NotFound(f"no {what} (the SCIM server answered 404 for {url})", store=store, url=url)
    if status == 412:
        return Conflict(
            f"{what} was changed meanwhile: the version given is stale (HTTP 412){said}",
            store=store,
            url=url,
            attribute="version",
        )
    if status == 409:
        return Conflict(
            f"{what}: a unique value is taken{said}",
            store=store,
            url=url,
            server_scim_type=scim_type,
        )
    if status == 400 and scim_type == "invalidFilter":
        # The facade checked the filter against the store's catalogue before it was sent, so
        # the server refuses a valid filter: a comparison it cannot answer (RFC 7644 §3.12).
        return UnsupportedFilter(f"the SCIM server refused the filter{said}", store=store, url=url)
    if status in (400, 413):
        return InvalidInput(
            f"the SCIM server refused {what} (HTTP {status}"
            f"{', ' + scim_type if scim_type else ''}){said}",
            store=store,
            url=url,
            server_scim_type=scim_type,
        )
    if status in (401, 403):
        return PermissionDenied(
            f"the SCIM server at {url} refused idconnect's credentials (HTTP {status}){said}",
            store=store,
            url=url,
        )
    if status == 501:
        return NotSupported(
            f"the SCIM server at {url} does not implement this (HTTP 501){said}",
            store=store,
            url=url,
        )
    return StoreUnavailable(
        f"the SCIM server at {url} failed (HTTP {status}){said}",
        store=store,
        url=url,
        status=status,
    )
