"""The HTTP client of a ``rest`` store: one pooled session, timeouts, retries, auth, errors.

- one :class:`requests.Session` per store, its pool as large as the store's concurrency;
- a (connect, read) timeout on every request;
- GET, PUT and DELETE are retried on 429, 502, 503 and 504 and on connection failures and
  timeouts, with exponential backoff or the server's ``Retry-After``; POST and PATCH never are;
- a 401 makes renewable credentials (OAuth) fetch a new token, once;
- failures become idconnect errors naming the store and the URL, never a credential.
"""

from __future__ import annotations

import email.utils
import importlib.metadata
import logging
import time
from collections.abc import Mapping
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from idconnect import __version__ as idconnect_version
from idconnect.backend import StoreUnavailable
from idconnect_rest.auth import Credentials, make_credentials
from idconnect_rest.errors import error_for_response
from idconnect_rest.settings import RestSettings

__all__ = ["SCIM_MEDIA_TYPE", "USER_AGENT", "ScimClient"]

log = logging.getLogger("idconnect.rest")

SCIM_MEDIA_TYPE = "application/scim+json"
"""The SCIM media type (RFC 7644 §8.1)."""
USER_AGENT = (
    f"idconnect/{idconnect_version}"
    f" (+idconnect-rest; python-requests/{importlib.metadata.version('requests')})"
)
"""The User-Agent every request carries."""

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_RETRY_STATUS = frozenset({429, 502, 503, 504})


class ScimClient:
    """Sends SCIM requests to one server.

    :param store: the store name, for errors and logs.
    :param settings: the store's settings.
    """

    def __init__(self, store: str, settings: RestSettings) -> None:
        self.store = store
        self.base_url = settings.url
        self._settings = settings
        self._timeout = (settings.connect_timeout, settings.read_timeout)
        self.session = requests.Session()
        adapter = HTTPAdapter(
            pool_connections=2, pool_maxsize=max(settings.concurrency, 4), max_retries=0
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = settings.verify
        if settings.cert is not None:
            self.session.cert = settings.cert
        self.session.headers.update(
            {"User-Agent": USER_AGENT, "Accept": f"{SCIM_MEDIA_TYPE}, application/json"}
        )
        self.session.trust_env = False
        self._credentials: Credentials = make_credentials(
            store, settings.auth, self.session, self._timeout
        )

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        if_match: str | None = None,
        allow: tuple[int, ...] = (),
    ) -> requests.Response:
        """Send one request and return its successful response.

        :param method: ``GET``, ``POST``, ``PUT``, ``PATCH`` or ``DELETE``.
        :param path: the path under the base URL, e.g. ``/Users/abc``.
        :param what: what the request is about, for error messages (``account 'abc'``).
        :param params: query parameters.
        :param body: a JSON body.
        :param if_match: an ETag for ``If-Match``.
        :param allow: error statuses returned to the caller instead of raised.
        :returns: the response (2xx, or a status in ``allow``).
        :raises IdconnectError: the mapped error for any other status.
        :raises StoreUnavailable: when the server cannot be reached or times out.
        """
        url = self.base_url + path
        headers: dict[str, str] = {}
        if body is not None:
            headers["Content-Type"] = SCIM_MEDIA_TYPE
        if if_match is not None:
            headers["If-Match"] = if_match
        retryable = method in _IDEMPOTENT
        attempt = 0
        renewed = False
        while True:
            auth = self._credentials.header()
            if auth is not None:
                headers["Authorization"] = auth
            try:
                response = self.session.request(
                    method, url, params=params, json=body, headers=headers, timeout=self._timeout
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                kind = "timed out" if isinstance(exc, requests.Timeout) else "cannot be reached"
                if retryable and attempt < self._settings.retries:
                    attempt += 1
                    self._sleep(self._delay(attempt, None), method, url, kind)
                    continue
                raise StoreUnavailable(
                    f"the SCIM server at {url} {kind} ({type(exc).__name__},"
                    f" {method}, after {attempt + 1} attempt{'s' if attempt else ''})",
                    store=self.store,
                    url=url,
                ) from None
            status = response.status_code
            if status < 400 or status in allow:
                return response
            if status == 401 and not renewed and self._credentials.renew():
                renewed = True
                continue
            if retryable and status in _RETRY_STATUS and attempt < self._settings.retries:
                delay = self._delay(attempt + 1, response.headers.get("Retry-After"))
                if delay is not None:
                    attempt += 1
                    self._sleep(delay, method, url, f"answered {status}")
                    continue
            raise error_for_response(self.store, url, response, what)

    def _delay(self, attempt: int, retry_after: str | None) -> float | None:
        """Seconds to wait before retry number ``attempt``; ``None`` when too long to wait."""
        wanted = self._settings.backoff * 2.0 ** (attempt - 1)
        if retry_after is not None:
            parsed = _parse_retry_after(retry_after)
            if parsed is not None:
                wanted = parsed
        if wanted > self._settings.max_retry_delay:
            return None if retry_after is not None else self._settings.max_retry_delay
        return wanted

    def _sleep(self, delay: float | None, method: str, url: str, why: str) -> None:
        wait = self._settings.max_retry_delay if delay is None else delay
        log.info("store %r: %s %s %s; retrying in %.2fs", self.store, method, url, why, wait)
        time.sleep(wait)


def _parse_retry_after(value: str) -> float | None:
    """Read a ``Retry-After`` header: seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when.timestamp()) - time.time())
