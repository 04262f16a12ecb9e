"""A small thread-safe pool of bound ldap3 connections, with timeouts and reconnects.

Each connection is a plain ``SYNC`` ldap3 connection used by one thread at a time (a thread
checks it out, uses it, and gives it back), so no response is ever shared between threads. A
connection that fails with a communication error is dropped; when it came from the pool (it may
simply have outlived a server restart) the operation is retried once on a fresh connection. When
a fresh connection cannot be made, :class:`~idconnect.backend.StoreUnavailable` names the
store and the URL; connect and receive timeouts bound every wait.
"""

from __future__ import annotations

import contextlib
import math
import ssl
import threading
import time
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

import ldap3  # type: ignore[import-untyped]
from ldap3.core.exceptions import (  # type: ignore[import-untyped]
    LDAPCommunicationError,
    LDAPException,
    LDAPResponseTimeoutError,
    LDAPStartTLSError,
)

from idconnect.backend import (
    ConfigError,
    IdconnectError,
    OutcomeUnknown,
    PermissionDenied,
    StoreUnavailable,
)
from idconnect_ldap.errors import describe
from idconnect_ldap.settings import Settings

__all__ = ["TRANSIENT", "ConnectionPool", "answer_lost"]

T = TypeVar("T")

_TRANSIENT = (LDAPCommunicationError, LDAPResponseTimeoutError, OSError)
TRANSIENT = _TRANSIENT
"""The exceptions of a failed connection (the request may have reached the directory)."""


def answer_lost(send: Callable[[], T], *, store: str, what: str, account: str | None = None) -> T:
    """Send one write request; when the connection fails meanwhile, its outcome is unknown.

    A write whose answer was lost may have been applied, so it is neither retried on a fresh
    connection nor reported as "nothing changed".

    :param send: sends the request and reads its answer (e.g. ``lambda: conn.modify(...)``).
    :param store: the store's name.
    :param what: the operation, for the message.
    :param account: the account concerned.
    :returns: what ``send`` returned.
    :raises OutcomeUnknown: when the connection failed after the request was handed to it.
    """
    try:
        return send()
    except _TRANSIENT as exc:
        raise OutcomeUnknown(
            f"the connection to the directory failed during {what}: {type(exc).__name__};"
            " the change may or may not have been made",
            store=store,
            account=account,
        ) from exc


class ConnectionPool:
    """Bound connections to one directory, reused across calls.

    :param settings: the store's settings (URL, TLS, bind identity, sizes, timeouts).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        parts = urlsplit(settings.url)
        self.use_ssl = parts.scheme.lower() == "ldaps"
        port = parts.port or (636 if self.use_ssl else 389)
        tls = None
        if self.use_ssl or settings.start_tls:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_file=settings.ca_file,
                version=ssl.PROTOCOL_TLS_CLIENT,
            )
        self.server = ldap3.Server(
            parts.hostname or "localhost",
            port=port,
            use_ssl=self.use_ssl,
            tls=tls,
            get_info=ldap3.NONE,
            connect_timeout=settings.connect_timeout,
        )
        self._idle: list[ldap3.Connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.pool_size)
        self._closed = False

    @property
    def secure(self) -> bool:
        """Whether connections are encrypted (LDAPS or StartTLS)."""
        return self.use_ssl or self.settings.start_tls

    def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        return StoreUnavailable(
            f"cannot reach the directory at {self.settings.url}: {type(exc).__name__}",
            store=self.settings.store,
            url=self.settings.url,
        )

    def _open(self) -> ldap3.Connection:
        s = self.settings
        conn = ldap3.Connection(
            self.server,
            user=s.bind_dn,
            password=s.bind_password.reveal() if s.bind_password else None,
            client_strategy=ldap3.SYNC,
            auto_bind=ldap3.AUTO_BIND_NONE,
            receive_timeout=max(1, math.ceil(s.receive_timeout)),  # ldap3 packs an int
            raise_exceptions=False,
            return_empty_attributes=False,
        )
        try:
            self.server.reset_availability()  # ldap3 remembers a failed address: retry it
            conn.open(read_server_info=False)
            if s.start_tls and not self.use_ssl and not conn.start_tls(read_server_info=False):
                raise LDAPStartTLSError("StartTLS refused")
            if not conn.bind(read_server_info=False):
                result = conn.result or {}
                conn.unbind()
                if result.get("result") in (49, 50, 53):
                    raise PermissionDenied(
                        f"the directory refused the bind as {s.bind_dn or 'anonymous'}:"
                        f" {describe(result)}",
                        store=s.store,
                    )
                raise StoreUnavailable(
                    f"the directory at {s.url} refused the bind: {describe(result)}",
                    store=s.store,
                )
        except LDAPStartTLSError as exc:
            conn.unbind()
            raise ConfigError(
                f"StartTLS with {s.url} failed: {exc}", store=s.store, key="start_tls"
            ) from exc
        except _TRANSIENT as exc:
            raise self._unavailable(exc) from exc
        except LDAPException as exc:
            raise self._unavailable(exc) from exc
        return conn

    def _checkout(self) -> tuple[ldap3.Connection, bool]:
        with self._lock:
            if self._closed:
                raise StoreUnavailable("the store is closed", store=self.settings.store)
            if self._idle:
                return self._idle.pop(), True
        return self._open(), False

    def _checkin(self, conn: ldap3.Connection) -> None:
        with self._lock:
            if not self._closed and not conn.closed:
                self._idle.append(conn)
                return
        conn.unbind()

    def run(self, operation: Callable[[ldap3.Connection], T]) -> T:
        """Run ``operation`` on a pooled connection, reconnecting once after a stale one failed.

        :param operation: does the LDAP calls; it may raise idconnect errors of its own.
        :returns: what ``operation`` returned.
        :raises StoreUnavailable: when the directory cannot be reached within the timeouts, or
            every pooled connection stays busy for longer than both timeouts together.
        """
        wait = self.settings.connect_timeout + self.settings.receive_timeout
        if not self._slots.acquire(timeout=wait):
            raise StoreUnavailable(
                f"all {self.settings.pool_size} connections to {self.settings.url} stayed busy"
                f" for {wait:g}s",
                store=self.settings.store,
            )
        try:
            conn, reused = self._checkout()
            try:
                return self._use(conn, operation)
            except _TRANSIENT as exc:
                if not reused:
                    raise self._unavailable(exc) from exc
                self._drop_idle()  # the server probably restarted: every idle one is stale
            try:
                return self._use(self._open(), operation)
            except _TRANSIENT as exc:
                raise self._unavailable(exc) from exc
        finally:
            self._slots.release()

    def _use(self, conn: ldap3.Connection, operation: Callable[[ldap3.Connection], T]) -> T:
        try:
            result = operation(conn)
        except BaseException:
            _discard(conn)
            raise
        self._checkin(conn)
        return result

    def _drop_idle(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            _discard(conn)

    def reconnect(self, within: float) -> bool:
        """Wait for the directory to accept a connection again, and pool that connection.

        After a connection failed mid-way (the server restarted, a proxy dropped it), this lets
        the next operation (the facade re-reading accounts whose outcome is unknown) find the
        directory back instead of failing at once.

        :param within: the most seconds to keep trying.
        :returns: whether a connection was made.
        """
        self._drop_idle()
        deadline = time.monotonic() + within
        pause = 0.05
        while True:
            try:
                conn = self._open()
            except StoreUnavailable:
                if time.monotonic() + pause > deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
                continue
            except IdconnectError:
                return False  # reachable, but refusing the bind: nothing to wait for
            self._checkin(conn)
            return True

    def close(self) -> None:
        """Unbind every idle connection; connections in use are unbound when returned."""
        with self._lock:
            self._closed = True
        self._drop_idle()


def _discard(conn: ldap3.Connection) -> None:
    with contextlib.suppress(LDAPException, OSError):
        conn.unbind()
