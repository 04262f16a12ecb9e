"""The HTTP client of a ``rest`` store: one pooled session, deadlines, limits, retries, errors.

- one :class:`requests.Session` per store, its pool as large as the store's concurrency;
- every request ends within ``deadline`` seconds in all (connect, send, headers, body and
  retries; see :mod:`idconnect_rest.transport`), each read within ``read_timeout``;
- an answer is read streamed and refused past ``max_response_bytes`` (decoded);
- redirects are followed only inside the configured base URL (same scheme, host and port,
  under its path), at most a few times, so credentials never travel to another host;
- GET, PUT and DELETE are retried on 429, 502, 503 and 504 and on connection failures and
  timeouts, with exponential backoff or the server's ``Retry-After``; POST and PATCH never are;
- a 401 makes renewable credentials (OAuth) fetch a new token, once;
- failures become idconnect errors naming the store and the URL, never a credential or any
  other header value (an exception's text is never quoted, only its type).
"""

from __future__ import annotations

import base64
import email.utils
import importlib.metadata
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import SplitResult, parse_qsl, unquote, urljoin, urlsplit

import requests

from idconnect import __version__ as idconnect_version
from idconnect.backend import InvalidInput, StoreUnavailable, current_call
from idconnect_rest.auth import Credentials, make_credentials
from idconnect_rest.errors import error_for_response, header_safe, malformed
from idconnect_rest.settings import RestSettings
from idconnect_rest.transport import (
    BodyRefused,
    Deadline,
    NoRedirectSession,
    WatchedAdapter,
    deadline_scope,
    exchange,
)

__all__ = ["SCIM_MEDIA_TYPE", "USER_AGENT", "Reply", "ScimClient"]

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
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5


class Reply:
    """A server's complete answer, its body parsed on demand.

    :param store: the store name (for errors).
    :param url: the request URL without its query.
    :param status_code: the HTTP status.
    :param headers: the response headers.
    :param content: the decoded body.
    """

    def __init__(
        self, store: str, url: str, status_code: int, headers: Mapping[str, str], content: bytes
    ) -> None:
        self.store = store
        self.url = url
        self.status_code = status_code
        self.headers = headers
        self.content = content

    def json(self) -> dict[str, Any]:
        """Parse the body as a JSON object.

        :returns: the object.
        :raises StoreUnavailable: naming the server, when the body is not JSON or not an object.
        """
        value = self.json_value()
        if not isinstance(value, dict):
            raise malformed(
                self.store, self.url, f"a JSON {type(value).__name__} where an object belongs"
            )
        return value

    def json_value(self) -> Any:
        """Parse the body as any JSON value.

        :returns: the value.
        :raises StoreUnavailable: naming the server, when the body is not JSON.
        """
        try:
            return json.loads(self.content)
        except (ValueError, RecursionError):
            kind = self.headers.get("Content-Type", "no content type").split(";")[0][:60]
            raise malformed(
                self.store,
                self.url,
                f"an answer that is not JSON ({kind}, HTTP {self.status_code},"
                f" {len(self.content)} bytes)",
            ) from None


def _call_headers() -> dict[str, str]:
    """The facade call's request id and reason, for servers that record them (idconnect does).

    ``X-Request-Id`` lets the server's audit events share the caller's request id; the reason
    goes as ``Idconnect-Reason`` (UTF-8 bytes), as the HTTP service requires for changes.
    """
    context = current_call()
    if context is None:
        return {}
    headers = {"X-Request-Id": context.request_id}
    if context.reason:
        reason = context.reason.encode("utf-8").decode("latin-1")
        if all(ord(c) >= 0x20 and c != "\x7f" for c in reason):
            headers["Idconnect-Reason"] = reason
    return headers


class ScimClient:
    """Sends SCIM requests to one server.

    :param store: the store name, for errors and logs.
    :param settings: the store's settings.
    """

    def __init__(self, store: str, settings: RestSettings) -> None:
        self.store = store
        self.base_url = settings.url
        self._base = urlsplit(settings.url)
        self._settings = settings
        self.session = NoRedirectSession()
        adapter = WatchedAdapter(
            pool_connections=2, pool_maxsize=max(settings.concurrency, 4), max_retries=0
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.verify = settings.verify
        if settings.cert is not None:
            self.session.cert = settings.cert
        self.session.headers.update(
            {
                "User-Agent": USER_AGENT,
                "Accept": f"{SCIM_MEDIA_TYPE}, application/json",
                "Accept-Encoding": "gzip, deflate",
            }
        )
        self.session.trust_env = False
        self._credentials: Credentials = make_credentials(store, settings.auth, self)
        self.hidden: tuple[str, ...] = ()
        """The parts of the last credentials sent: never quoted from a server's answer."""

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def send(self, method: str, url: str, deadline: Deadline, **kwargs: Any) -> Reply:
        """Send one request, no retry, no redirect, within ``deadline`` and the size limit.

        :param method: the HTTP method.
        :param url: the full URL.
        :param deadline: the current request's deadline.
        :param kwargs: more :meth:`requests.Session.request` arguments.
        :returns: the answer, whatever its status.
        :raises requests.RequestException: when the exchange fails.
        :raises StoreUnavailable: when the body is refused (too large, undecodable).
        """
        s = self._settings
        try:
            got = exchange(
                self.session,
                method,
                url,
                deadline=deadline,
                connect_timeout=s.connect_timeout,
                read_timeout=s.read_timeout,
                limit=s.max_response_bytes,
                **kwargs,
            )
        except BodyRefused as exc:
            raise malformed(self.store, url, exc.reason) from None
        return Reply(self.store, url, got.status_code, got.headers, got.content)

    def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        if_match: str | None = None,
    ) -> Reply:
        """Send one request and return its successful answer.

        :param method: ``GET``, ``POST``, ``PUT``, ``PATCH`` or ``DELETE``.
        :param path: the path under the base URL, e.g. ``/Users/abc``.
        :param what: what the request is about, for error messages (``account 'abc'``).
        :param params: query parameters.
        :param body: a JSON body.
        :param if_match: an ETag for ``If-Match``.
        :returns: the answer (a status below 400).
        :raises InvalidInput: when ``if_match`` cannot be sent in a header.
        :raises IdconnectError: the mapped error for any other status.
        :raises StoreUnavailable: when the server cannot be reached, misses the deadline,
            redirects outside the base URL or sends an answer too large to accept.
        """
        headers: dict[str, str] = {}
        data = None
        if body is not None:
            headers["Content-Type"] = SCIM_MEDIA_TYPE
            data = json.dumps(body, separators=(",", ":")).encode()
        if if_match is not None:
            if not header_safe(if_match, spaces=True):
                raise InvalidInput(
                    "the expected version holds a character an HTTP header cannot carry",
                    store=self.store,
                    attribute="version",
                )
            headers["If-Match"] = if_match
        headers.update(_call_headers())
        with deadline_scope(self._settings.deadline) as deadline:
            return self._run(method, self.base_url + path, what, params, data, headers, deadline)

    def _run(
        self,
        method: str,
        url: str,
        what: str,
        params: Mapping[str, Any] | list[tuple[str, str]] | None,
        data: bytes | None,
        headers: dict[str, str],
        deadline: Deadline,
    ) -> Reply:
        attempt = 0
        renewed = False
        hops = 0
        while True:
            auth = self._credentials.header(deadline)
            if auth is not None:
                headers["Authorization"] = auth
                self.hidden = _credential_parts(auth)
            try:
                reply = self.send(method, url, deadline, params=params, data=data, headers=headers)
            except requests.RequestException as exc:
                transient = isinstance(exc, requests.ConnectionError | requests.Timeout)
                kind = "timed out" if isinstance(exc, requests.Timeout) else "cannot be reached"
                if deadline.expired:
                    kind = f"did not answer within the deadline of {deadline.seconds:g}s"
                elif not transient:
                    kind = "cannot be sent this request"
                if transient and method in _IDEMPOTENT and attempt < self._settings.retries:
                    delay = self._delay(attempt + 1, None)
                    if delay is not None and delay < deadline.remaining():
                        attempt += 1
                        self._sleep(delay, method, url, kind)
                        continue
                raise StoreUnavailable(
                    f"the SCIM server at {url} {kind} ({type(exc).__name__},"
                    f" {method}, after {attempt + 1} attempt{'s' if attempt else ''})",
                    store=self.store,
                    url=url,
                ) from None
            status = reply.status_code
            if status in _REDIRECTS:
                hops += 1
                url, params = self._redirect(reply, method, hops)
                continue
            if status < 400:
                return reply
            if status == 401 and not renewed and self._credentials.renew():
                renewed = True
                continue
            if (
                method in _IDEMPOTENT
                and status in _RETRY_STATUS
                and attempt < self._settings.retries
            ):
                delay = self._delay(attempt + 1, reply.headers.get("Retry-After"))
                if delay is not None and delay < deadline.remaining():
                    attempt += 1
                    self._sleep(delay, method, url, f"answered {status}")
                    continue
            raise error_for_response(self.store, url, reply, what, self.hidden)

    def _redirect(self, reply: Reply, method: str, hops: int) -> tuple[str, list[tuple[str, str]]]:
        """Return where to follow a redirect: (URL without query, query parameters).

        :raises StoreUnavailable: for a redirect that leaves the base URL.
        """
        location = reply.headers.get("Location")
        target = urlsplit(urljoin(reply.url, location)) if location else None
        why = None
        if target is None:
            why = "without a Location"
        elif not self._inside_base(target):
            shown = f"{target.scheme}://{target.netloc.rpartition('@')[2]}{target.path}"
            why = f"to {shown[:200]}, outside the configured base URL {self.base_url}"
        elif reply.status_code not in (307, 308) and method != "GET":
            why = f"{method} with HTTP {reply.status_code} (the method would change)"
        elif hops > _MAX_REDIRECTS:
            why = f"more than {_MAX_REDIRECTS} times"
        if why is not None or target is None:
            raise StoreUnavailable(
                f"the SCIM server at {reply.url} redirected {why}: not followed",
                store=self.store,
                url=reply.url,
            )
        return target._replace(query="", fragment="").geturl(), parse_qsl(target.query)

    def _inside_base(self, target: SplitResult) -> bool:
        """Whether a redirect target is under the base URL (same origin, no user info, no dots)."""
        base = self._base
        defaults = {"http": 80, "https": 443}
        base_path = base.path.rstrip("/")
        path = target.path
        segments = {unquote(part) for part in path.split("/")}
        try:
            same_port = (target.port or defaults.get(target.scheme)) == (
                base.port or defaults.get(base.scheme)
            )
        except ValueError:
            return False
        return (
            target.scheme == base.scheme
            and target.hostname is not None
            and target.hostname == base.hostname
            and same_port
            and target.username is None
            and target.password is None
            and (path == base_path or path.startswith(base_path + "/"))
            and not segments & {".", ".."}
        )

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

    def _sleep(self, delay: float, method: str, url: str, why: str) -> None:
        log.info("store %r: %s %s %s; retrying in %.2fs", self.store, method, url, why, delay)
        time.sleep(delay)


def _credential_parts(header: str) -> tuple[str, ...]:
    """The parts of an ``Authorization`` value a server could echo (basic: decoded too)."""
    scheme, _, credential = header.partition(" ")
    parts = [header, credential]
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(credential, validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            pair = ""
        parts += [pair, pair.partition(":")[2]]
    return tuple(p for p in parts if len(p) >= 4)


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
