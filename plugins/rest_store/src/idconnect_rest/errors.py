"""Map SCIM error responses (RFC 7644 §3.12) to idconnect errors.

The server's ``detail`` is quoted for a 400 (it says what is wrong with the input) and in
other errors; request headers (where credentials travel) are never looked at.
"""

from __future__ import annotations

from typing import Any

import requests

from idconnect.backend import (
    Conflict,
    FilterError,
    IdconnectError,
    InvalidInput,
    NotFound,
    NotSupported,
    PermissionDenied,
    StoreUnavailable,
)

__all__ = ["error_for_response"]

_MAX_DETAIL = 300


def _detail(response: requests.Response) -> tuple[str | None, str | None]:
    """Return the SCIM ``detail`` and ``scimType`` of an error response, when it has them."""
    try:
        doc: Any = response.json()
    except ValueError:
        return None, None
    if not isinstance(doc, dict):
        return None, None
    detail = doc.get("detail")
    scim_type = doc.get("scimType")
    return (
        detail[:_MAX_DETAIL] if isinstance(detail, str) and detail else None,
        scim_type if isinstance(scim_type, str) else None,
    )


def error_for_response(
    store: str, url: str, response: requests.Response, what: str
) -> IdconnectError:
    """Build the idconnect error for a non-success SCIM response.

    :param store: the store name.
    :param url: the request URL without its query (the query may hold filter values).
    :param response: the server's response (status >= 400).
    :param what: what the request was about, e.g. ``account 'a1'`` or ``the search``.
    :returns: ``NotFound`` (404), ``Conflict`` (409, 412), ``FilterError`` (400 invalidFilter),
        ``InvalidInput`` (other 400, 413), ``PermissionDenied`` (401, 403), ``NotSupported``
        (501) or ``StoreUnavailable`` (other 5xx and anything else), naming the store and URL.
    """
    status = response.status_code
    detail, scim_type = _detail(response)
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
        return FilterError(f"the SCIM server refused the filter{said}", store=store, url=url)
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
