"""One HTTP exchange with a total deadline and a size cap: what the SCIM client builds on.

``requests`` bounds each socket read, not a whole request: a server that trickles its headers
or its body one byte at a time holds the caller for ever, and ``response.json()`` reads any
amount into memory. This module closes both:

- a :class:`Deadline` per request, watched by one background thread (:class:`Watchdog`) that
  shuts down the request's sockets when it passes, whatever phase (connect, TLS, headers,
  body) they are in; the sockets are registered by the connection classes below, which urllib3
  uses for every pooled connection of a :class:`WatchedAdapter`;
- the body is streamed in chunks and refused past ``limit`` bytes *after decoding*: the
  client asks only for ``gzip`` or ``deflate`` and decodes itself with a bounded output, so a
  compressed bomb is refused after ``limit`` bytes of output, not after it filled the memory;
- redirects are never followed here (the client decides, see :mod:`idconnect_rest.http`).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import os
import socket
import threading
import time
import zlib
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error

__all__ = [
    "BodyRefused",
    "Deadline",
    "Exchange",
    "NoRedirectSession",
    "WatchedAdapter",
    "deadline_scope",
    "exchange",
]

_CHUNK = 16384
_ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 32 + 15}


class Deadline:
    """The time limit of one request: past it, the request's sockets are shut down.

    :param seconds: how long the request may take in all.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def remaining(self) -> float:
        """Seconds left (0 when past)."""
        return max(0.0, self.at - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        """Shut ``sock``'s connection down when the deadline passes (at once if it has).

        The deadline keeps its own duplicate of the socket: TLS wrapping detaches the
        original socket object, and the duplicate still reaches the same connection.
        """
        try:
            dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except OSError:
            return  # closed meanwhile: nothing left to interrupt
        with self._lock:
            if not self.expired:
                self._sockets.append(dup)
                return
        _shutdown(dup)
        dup.close()

    def fire(self) -> None:
        """Mark the deadline passed and shut down every watched connection."""
        with self._lock:
            self.expired = True
            for dup in self._sockets:
                _shutdown(dup)

    def release(self) -> None:
        """Stop watching (the request is over; its connections go back to the pool)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for dup in sockets:
            dup.close()


def _shutdown(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed: nothing left to interrupt
        sock.shutdown(socket.SHUT_RDWR)


class Watchdog:
    """One daemon thread firing deadlines in time order (started on first use)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._done: set[int] = set()
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def arm(self, deadline: Deadline) -> int:
        """Fire ``deadline`` when it passes unless disarmed first; return its ticket."""
        with self._cond:
            ticket = next(self._seq)
            heapq.heappush(self._heap, (deadline.at, ticket, deadline))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="idconnect-rest-deadlines", daemon=True
                )
                self._thread.start()
            self._cond.notify()
            return ticket

    def disarm(self, ticket: int) -> None:
        """Forget a ticket (the request ended in time)."""
        with self._cond:
            self._done.add(ticket)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][1] in self._done:
                    self._done.discard(heapq.heappop(self._heap)[1])
                if not self._heap:
                    self._cond.wait()
                    continue
                at, _, deadline = self._heap[0]
                wait = at - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
            deadline.fire()

    def after_fork(self) -> None:
        """Start afresh in a forked child (the parent's thread does not exist there)."""
        self._heap, self._done, self._thread = [], set(), None
        self._cond = threading.Condition()


_WATCHDOG = Watchdog()
os.register_at_fork(after_in_child=_WATCHDOG.after_fork)
_current = threading.local()


@contextmanager
def deadline_scope(seconds: float) -> Iterator[Deadline]:
    """Run the block under a deadline: the sockets it uses are shut down when it passes.

    :param seconds: the time limit.
    :returns: a context manager yielding the :class:`Deadline`.
    """
    deadline = Deadline(seconds)
    outer = getattr(_current, "deadline", None)
    _current.deadline = deadline
    ticket = _WATCHDOG.arm(deadline)
    try:
        yield deadline
    finally:
        _WATCHDOG.disarm(ticket)
        deadline.release()
        _current.deadline = outer


def _watch(sock: socket.socket | None) -> None:
    deadline: Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None and sock is not None:
        deadline.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _watch(sock)
        return sock

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedTLSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """An adapter whose connections register their sockets with the current deadline."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        """Create the pool manager with the watched connection pools."""
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _WatchedPool, "https": _WatchedTLSPool}


class NoRedirectSession(requests.Session):
    """A session that never looks at a redirect itself.

    With ``allow_redirects=False`` requests still prepares the next hop and, to do so, reads
    the whole body of a redirect answer into memory whatever its size; here it does nothing and
    the client decides (:mod:`idconnect_rest.http`).
    """

    def resolve_redirects(
        self, resp: requests.Response, req: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> Generator[requests.Response, None, None]:
        """Yield no further request."""
        yield from ()


class BodyRefused(Exception):
    """The answer's body was too large or could not be decoded; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Exchange:
    """A complete answer: status, headers and the decoded body (at most the limit)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: Mapping[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content


def exchange(
    session: requests.Session,
    method: str,
    url: str,
    *,
    deadline: Deadline,
    connect_timeout: float,
    read_timeout: float,
    limit: int,
    **kwargs: Any,
) -> Exchange:
    """Send one request (no redirect followed) and read its whole answer within the deadline.

    :param session: the session (mounted with :class:`WatchedAdapter`).
    :param method: the HTTP method.
    :param url: the full URL.
    :param deadline: the request's deadline (from :func:`deadline_scope`).
    :param connect_timeout: the longest wait to connect (bounded by the deadline).
    :param read_timeout: the longest wait for one read (bounded by the deadline).
    :param limit: the largest decoded body accepted, in bytes.
    :param kwargs: more :meth:`requests.Session.request` arguments (``params``, ``data``...).
    :returns: the answer.
    :raises requests.RequestException: when the exchange fails (also when the deadline shut
        the connection down: check ``deadline.expired``).
    :raises BodyRefused: for a body over the limit or in an encoding idconnect cannot decode.
    """
    left = deadline.remaining()
    if left <= 0:
        raise requests.Timeout("the deadline passed before the request was sent")
    response = session.request(
        method,
        url,
        timeout=(min(connect_timeout, left), min(read_timeout, left)),
        allow_redirects=False,
        stream=True,
        **kwargs,
    )
    try:
        content = _read(response, limit)
    except (Urllib3Error, OSError) as exc:
        raise requests.ConnectionError(type(exc).__name__) from None
    finally:
        response.close()
    if deadline.expired:
        # the shut-down socket may have ended the headers or the body early: not an answer
        raise requests.Timeout("the deadline passed during the exchange")
    return Exchange(response.status_code, response.headers, content)


def _read(response: requests.Response, limit: int) -> bytes:
    """Read the body, decoding gzip/deflate with bounded output; refuse past ``limit``."""
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    decoder = None
    if encoding not in ("", "identity"):
        wbits = _ENCODINGS.get(encoding)
        if wbits is None:
            raise BodyRefused(f"a body in the content encoding {encoding[:40]!r}")
        decoder = zlib.decompressobj(wbits)
    else:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise BodyRefused(f"a body of {int(declared)} bytes (the limit is {limit})")
    body = bytearray()
    for chunk in response.raw.stream(_CHUNK, decode_content=False):
        if decoder is None:
            body += chunk
        else:
            data = chunk
            while data:
                try:
                    body += decoder.decompress(data, limit + 1 - len(body))
                except zlib.error:
                    raise BodyRefused(f"a {encoding} body that does not decode") from None
                if len(body) > limit:
                    break
                data = decoder.unconsumed_tail
        if len(body) > limit:
            raise BodyRefused(f"a body over {limit} bytes{' decoded' if decoder else ''}")
    if decoder is not None:
        try:
            body += decoder.flush()
        except zlib.error:
            raise BodyRefused(f"a {encoding} body that does not decode") from None
        if len(body) > limit:
            raise BodyRefused(f"a body over {limit} bytes decoded")
    return bytes(body)
