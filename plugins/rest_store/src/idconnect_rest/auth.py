"""Credentials for the SCIM server: none, bearer token, HTTP basic, OAuth 2.0 client credentials.

Each kind gives the ``Authorization`` header of a request and may be told that the server
answered 401, so that a cached OAuth token is fetched again (once). Secrets stay inside
:class:`~idconnect.backend.Secret` until the header is built and never reach a message.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import TYPE_CHECKING, Any, Protocol

import requests

from idconnect.backend import PermissionDenied, StoreUnavailable
from idconnect_rest.errors import header_safe
from idconnect_rest.settings import AuthSettings
from idconnect_rest.transport import Deadline

if TYPE_CHECKING:
    from idconnect_rest.http import ScimClient

__all__ = ["Credentials", "OAuthClientCredentials", "make_credentials"]

_EXPIRY_MARGIN = 30.0


class Credentials(Protocol):
    """What the HTTP client needs from an authentication method."""

    def header(self, deadline: Deadline) -> str | None:
        """Return the ``Authorization`` header value, or ``None`` for no header.

        :param deadline: the current request's deadline (a token fetch counts against it).
        """

    def renew(self) -> bool:
        """Forget cached credentials after a 401; return whether a retry may succeed."""


class _Static:
    """A fixed header (bearer token, basic) or none."""

    def __init__(self, value: str | None) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "<credentials>"

    def header(self, deadline: Deadline) -> str | None:
        """Return the fixed header (``deadline`` is not needed)."""
        return self._value

    def renew(self) -> bool:
        """A fixed credential cannot be renewed."""
        return False


class OAuthClientCredentials:
    """OAuth 2.0 client credentials grant (RFC 6749 §4.4), the token cached until it expires.

    The token endpoint is reached through the store's client (same deadline, size limit, no
    redirect followed); a token that cannot travel in a header is refused, never shown.

    :param store: the store name, for errors.
    :param settings: ``token_url``, ``client_id``, ``secret`` and ``scope``.
    :param client: the store's HTTP client.
    """

    def __init__(self, store: str, settings: AuthSettings, client: ScimClient) -> None:
        assert settings.token_url and settings.client_id and settings.secret
        self._store = store
        self._settings = settings
        self._client = client
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def __repr__(self) -> str:
        return f"<OAuthClientCredentials {self._settings.token_url}>"

    def header(self, deadline: Deadline) -> str | None:
        """Return ``Bearer <token>``, fetching a token when none is cached or it expired.

        :param deadline: the current request's deadline.
        :raises PermissionDenied: when the token endpoint refuses the client.
        :raises StoreUnavailable: when it cannot be reached or gives no usable token.
        """
        with self._lock:
            if self._token is None or time.monotonic() >= self._expires:
                self._fetch(deadline)
            return f"Bearer {self._token}"

    def renew(self) -> bool:
        """Drop the cached token so that the next request fetches a new one."""
        with self._lock:
            self._token = None
        return True

    def _fetch(self, deadline: Deadline) -> None:
        s = self._settings
        url = s.token_url
        assert url and s.client_id and s.secret
        data = {"grant_type": "client_credentials"}
        if s.scope:
            data["scope"] = s.scope
        try:
            reply = self._client.send(
                "POST",
                url,
                deadline,
                data=data,
                auth=(s.client_id, s.secret.reveal()),
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise StoreUnavailable(
                f"the OAuth token endpoint {url} cannot be reached ({type(exc).__name__})",
                store=self._store,
                url=url,
            ) from None
        if reply.status_code in (400, 401, 403):
            raise PermissionDenied(
                f"the OAuth token endpoint {url} refused client {s.client_id!r}"
                f" (HTTP {reply.status_code})",
                store=self._store,
                url=url,
            )
        doc = _object(reply.content) if 200 <= reply.status_code < 300 else {}
        token = doc.get("access_token")
        if not isinstance(token, str) or not header_safe(token):
            raise StoreUnavailable(
                f"the OAuth token endpoint {url} gave no access token that idconnect can send"
                f" (HTTP {reply.status_code})",
                store=self._store,
                url=url,
            )
        lifetime = doc.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) else 3600.0
        self._token = token
        self._expires = time.monotonic() + max(seconds - _EXPIRY_MARGIN, seconds / 2)


def _object(content: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(content)
    except (ValueError, RecursionError):
        return {}
    return doc if isinstance(doc, dict) else {}


def make_credentials(store: str, settings: AuthSettings, client: ScimClient) -> Credentials:
    """Build the credentials the settings describe.

    :param store: the store name, for errors.
    :param settings: the authentication settings (token and user name already checked to be
        header-safe by :mod:`idconnect_rest.settings`).
    :param client: the store's HTTP client (used by OAuth to reach the token endpoint).
    :returns: the credentials.
    """
    if settings.kind == "bearer":
        assert settings.secret is not None
        return _Static(f"Bearer {settings.secret.reveal()}")
    if settings.kind == "basic":
        assert settings.secret is not None and settings.username is not None
        pair = f"{settings.username}:{settings.secret.reveal()}".encode()
        return _Static(f"Basic {base64.b64encode(pair).decode('ascii')}")
    if settings.kind == "oauth":
        return OAuthClientCredentials(store, settings, client)
    return _Static(None)
