"""A hostile SCIM server on a loopback address: every way a broken or malicious server answers.

Raw sockets and threads (no HTTP library on the server side, so that it can answer what no
library would send). ``url(behaviour)`` is a base URL ``http://HOST:PORT/<behaviour>/v2``:
discovery (``/ServiceProviderConfig``, ``/ResourceTypes``, ``/Schemas``) is valid unless the
behaviour breaks it, and the behaviour decides every other answer. A plain server answers a
TLS ClientHello (``https://`` to it) with a handshake trickled one byte at a time. Every
request is recorded (:attr:`HostileServer.seen`), so a test can prove that none reached
another host.

Behaviours (see :data:`BEHAVIOURS`): ``ok``, ``trickle-headers``, ``trickle-body``,
``endless``, ``big``, ``big-chunked``, ``gzip-bomb``, ``gzip-ok``, ``redirect-host``,
``redirect-port``, ``redirect-name``, ``redirect-outside``, ``redirect-badport``,
``redirect-inside``, ``bad-json``, ``html``, ``list``, ``bad-spc``, ``bad-types``,
``bad-schemas``, ``bad-endpoint``,
``loop-cursor``, ``lying-total``, ``endless-ids``, ``oversized-page`` (5,000 resources),
``huge-page`` (250,000), ``dot-ids``, ``echo`` (a 400 repeating the credentials).
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from attrs import frozen

from idconnect.testing.servers import require_server

__all__ = [
    "BEHAVIOURS",
    "BIG",
    "BOMB",
    "HostileServer",
    "Seen",
    "search_in_subprocess",
    "self_signed",
]

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
BIG = 50 * 1024 * 1024
"""The size of the ``big`` answers (50 MB)."""
BOMB = 512 * 1024 * 1024
"""The decoded size of the ``gzip-bomb`` answer (512 MB, about 0.5 MB compressed)."""
_TRICKLE_FOR = 120.0
_STEP = 0.05


@frozen
class Seen:
    """One request the server received."""

    method: str
    path: str
    host: str
    """The ``Host`` header."""
    authorization: str | None


def _attr(name: str, kind: str = "string", multi: bool = False, **more: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "required": False,
        **more,
    }


_SPC = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
    "patch": {"supported": True},
    "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
    "filter": {"supported": True, "maxResults": 1000},
    "changePassword": {"supported": False},
    "sort": {"supported": False},
    "etag": {"supported": False},
    "authenticationSchemes": [],
}
_TYPES = {
    "Resources": [
        {"id": "User", "name": "User", "endpoint": "/Users", "schema": CORE_USER},
        {"id": "Group", "name": "Group", "endpoint": "/Groups", "schema": CORE_GROUP},
    ]
}
_SCHEMAS = {
    "Resources": [
        {
            "id": CORE_USER,
            "attributes": [
                _attr("userName"),
                _attr("displayName"),
                _attr("active", "boolean"),
                _attr(
                    "emails",
                    "complex",
                    True,
                    subAttributes=[_attr("value"), _attr("type"), _attr("primary", "boolean")],
                ),
            ],
        },
        {"id": CORE_GROUP, "attributes": [_attr("displayName"), _attr("members", "complex", True)]},
    ]
}


def _user(n: int | str) -> dict[str, Any]:
    return {"schemas": [CORE_USER], "id": f"u{n}", "userName": f"user{n}"}


def _listing(resources: list[dict[str, Any]], total: int, **more: Any) -> dict[str, Any]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
        "totalResults": total,
        "itemsPerPage": len(resources),
        "Resources": resources,
        **more,
    }


class _Request:
    def __init__(self, method: str, target: str, headers: dict[str, str]) -> None:
        parts = urlsplit(target)
        self.method = method
        self.path = parts.path
        self.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.headers = headers


_Answer = Iterator[bytes]


def _response(
    status: int,
    body: bytes | Iterator[bytes] = b"",
    *,
    content_type: str = "application/scim+json",
    headers: dict[str, str] | None = None,
    length: int | None = None,
) -> _Answer:
    """Yield a response: the head, then the body (chunked when ``length`` is not known)."""
    if isinstance(body, bytes):
        length = len(body)
    lines = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    lines.append(
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    )
    yield ("\r\n".join(lines) + "\r\n\r\n").encode()
    if isinstance(body, bytes):
        yield body
        return
    for chunk in body:
        yield chunk if length is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk)
    if length is None:
        yield b"0\r\n\r\n"


def _json(status: int, doc: Any, **kwargs: Any) -> _Answer:
    return _response(status, json.dumps(doc).encode(), **kwargs)


def _big_body(size: int) -> Iterator[bytes]:
    head = b'{"Resources": [], "totalResults": 0, "padding": "'
    yield head
    block = b"x" * 65536
    left = size - len(head) - 2
    while left > 0:
        yield block[: min(left, len(block))]
        left -= len(block)
    yield b'"}'


class HostileServer:
    """A SCIM server on ``host`` (a loopback address) answering each kind of wrong.

    :param host: the address to listen on, e.g. ``127.0.0.1`` or ``127.0.0.2``.
    :param other: the origin of another server on another loopback host
        (``http://127.0.0.2:PORT``) that ``redirect-host`` points to.
    :param other_port: the origin of another server on the same host, another port, that
        ``redirect-port`` points to.
    :param tls: a certificate and key file to serve HTTPS with (see :func:`self_signed`).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        other: str | None = None,
        other_port: str | None = None,
        tls: tuple[str, str] | None = None,
    ) -> None:
        self.host = host
        self.other = other
        self.other_port = other_port
        self._tls: ssl.SSLContext | None = None
        if tls is not None:
            self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._tls.load_cert_chain(*tls)
        self.seen: list[Seen] = []
        self._listener = socket.create_server((host, 0))
        self.port: int = self._listener.getsockname()[1]
        self._stopped = threading.Event()
        self._bomb: bytes | None = None
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, behaviour: str) -> str:
        """The base URL of one behaviour."""
        scheme = "https" if self._tls is not None else "http"
        return f"{scheme}://{self.host}:{self.port}/{behaviour}/v2"

    def stop(self) -> None:
        """Stop accepting and end every trickling answer."""
        self._stopped.set()
        self._listener.close()

    def requests_to(self, behaviour: str) -> list[Seen]:
        """The requests received for one behaviour's base URL."""
        return [s for s in self.seen if s.path.startswith(f"/{behaviour}/")]

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(10)
            try:
                if self._tls is None and conn.recv(1, socket.MSG_PEEK) == b"\x16":
                    self._trickle_handshake(conn)
                    return
                if self._tls is not None:
                    conn = self._tls.wrap_socket(conn, server_side=True)
                request = self._read(conn)
                if request is None:
                    return
                for data in self._answer(request):
                    if self._stopped.is_set():
                        return
                    conn.sendall(data)
            except OSError:  # ssl.SSLError included
                return  # the client gave up (deadline, size limit): what the tests expect

    def _trickle_handshake(self, conn: socket.socket) -> None:
        """Answer a TLS ClientHello with a handshake record trickled one byte at a time."""
        conn.recv(65536)
        for data in self._trickle(b"\x16\x03\x03\x40\x00", b"\x00"):
            conn.sendall(data)

    def _read(self, conn: socket.socket) -> _Request | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        with self._lock:
            self.seen.append(
                Seen(
                    method,
                    target.split("?")[0],
                    headers.get("host", ""),
                    headers.get("authorization"),
                )
            )
        return _Request(method, target, headers)

    def _answer(self, request: _Request) -> _Answer:
        behaviour, _, rest = request.path.lstrip("/").partition("/")
        endpoint = rest.removeprefix("v2")
        handler = BEHAVIOURS.get(behaviour)
        if handler is None:
            return _json(404, {"detail": "no such behaviour"})
        if endpoint == "/ServiceProviderConfig":
            return _json(200, _DISCOVERY_SPC.get(behaviour, _SPC))
        if endpoint == "/ResourceTypes":
            return _json(200, _DISCOVERY_TYPES.get(behaviour, _TYPES))
        if endpoint == "/Schemas":
            return _json(200, _DISCOVERY_SCHEMAS.get(behaviour, _SCHEMAS))
        return handler(self, request, endpoint)

    def _trickle(self, head: bytes, byte: bytes) -> _Answer:
        yield head
        end = time.monotonic() + _TRICKLE_FOR
        while time.monotonic() < end and not self._stopped.is_set():
            time.sleep(_STEP)
            yield byte

    def bomb(self) -> bytes:
        """The gzip body decoding to :data:`BOMB` bytes (made once)."""
        with self._lock:
            if self._bomb is None:
                packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                block = b" " * (1024 * 1024)
                parts = [packer.compress(block) for _ in range(BOMB // len(block))]
                self._bomb = b"".join(parts) + packer.flush()
            return self._bomb


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[str, str]:
    """Make a self-signed certificate for ``host`` with the ``openssl`` command.

    :param directory: where to write ``cert.pem`` and ``key.pem``.
    :param host: the IP address the certificate names.
    :returns: the certificate and key paths (the certificate is its own CA bundle).
    """
    if shutil.which("openssl") is None:
        require_server("openssl is not installed", "apt-get install openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            f"/CN={host}",
            "-addext",
            f"subjectAltName=IP:{host}",
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)


_SEARCH_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2 * 1024**3, 2 * 1024**3))
    import idconnect
    from idconnect.backend import StoreUnavailable
    out = {}
    for url in sys.argv[1:]:
        hub = idconnect.connect({"hub": {"state": "sqlite://"}, "stores": {"scim": {
            "plugin": "rest", "url": url, "deadline": 20.0, "retries": 0}}})
        try:
            hub.store("scim").search_accounts()
            out[url] = "no error"
        except StoreUnavailable as exc:
            out[url] = "StoreUnavailable: " + exc.message
        except BaseException as exc:
            out[url] = type(exc).__name__
    # VmHWM: this process's own peak (ru_maxrss would include the parent's before exec)
    with open("/proc/self/status") as status:
        peak = next(line for line in status if line.startswith("VmHWM:"))
    out["peak_kib"] = int(peak.split()[1])
    print(json.dumps(out))
    """
)


def search_in_subprocess(urls: list[str]) -> dict[str, Any]:
    """Search a rest store at each URL in a fresh process and report its peak memory.

    :param urls: base URLs (of this server's behaviours).
    :returns: per URL ``"no error"``, ``"StoreUnavailable: <message>"`` or another error's
        type name, and ``peak_kib``: the child's own peak resident size (``VmHWM``), under an
        address-space limit of 2 GiB.
    :raises subprocess.CalledProcessError: when the child crashes.
    """
    run = subprocess.run(
        [sys.executable, "-c", _SEARCH_CHILD, *urls],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result: dict[str, Any] = json.loads(run.stdout)
    return result


_Handler = Callable[[HostileServer, _Request, str], _Answer]


def _ok(server: HostileServer, request: _Request, endpoint: str) -> _Answer:
    if endpoint.startswith("/Users/"):
        return _json(200, _user(endpoint.rpartition("/")[2].removeprefix("u")))
    return _json(200, _listing([_user(1), _user(2)], 2))


def _redirect(status: int, where: Callable[[HostileServer, str], str]) -> _Handler:
    def handler(server: HostileServer, request: _Request, endpoint: str) -> _Answer:
        return _response(status, b"", headers={"Location": where(server, endpoint)})

    return handler


def _other(server: HostileServer, endpoint: str) -> str:
    return f"{server.other}/ok/v2{endpoint}"


def _other_port(server: HostileServer, endpoint: str) -> str:
    return f"{server.other_port}/ok/v2{endpoint}"


def _loop_cursor(server: HostileServer, request: _Request, endpoint: str) -> _Answer:
    cycle = {"": "A", "A": "B", "B": "C", "C": "A"}
    cursor = request.query.get("cursor", "")
    return _json(200, _listing([_user(cursor or "0")], 10**6, nextCursor=cycle.get(cursor, "A")))


def _lying_total(server: HostileServer, request: _Request, endpoint: str) -> _Answer:
    return _json(200, _listing([_user(1), _user(2)], 10**9))


def _endless_ids(server: HostileServer, request: _Request, endpoint: str) -> _Answer:
    start = int(request.query.get("startIndex", "1"))
    count = int(request.query.get("count", "50"))
    return _json(200, _listing([_user(start + n) for n in range(count)], 10**9))


def _oversized(size: int) -> _Handler:
    def handler(server: HostileServer, request: _Request, endpoint: str) -> _Answer:
        users = [{"id": f"u{n}", "userName": f"u{n}"} for n in range(size)]
        return _json(200, _listing(users, 1))

    return handler


def _echo(server: HostileServer, request: _Request, endpoint: str) -> _Answer:
    """A 400 whose detail repeats the request's credentials (decoded too, for basic)."""
    auth = request.headers.get("authorization", "")
    scheme, _, credential = auth.partition(" ")
    decoded = ""
    if scheme.lower() == "basic":
        decoded = base64.b64decode(credential).decode()
    detail = f"bad request; you sent {auth!r} ({decoded}, {decoded.partition(':')[2]})"
    return _json(400, {"status": "400", "scimType": credential[:30], "detail": detail})


def _dot_ids(server: HostileServer, request: _Request, endpoint: str) -> _Answer:
    if endpoint.startswith("/Users/"):
        return _json(200, {"schemas": [CORE_USER], "id": "..", "userName": "dots"})
    users = [{"schemas": [CORE_USER], "id": i, "userName": f"n{n}"} for n, i in enumerate(DOTS)]
    return _json(200, _listing(users, len(users)))


DOTS = ["..", ".", "", "a/b"]
"""The ids the ``dot-ids`` server hands out."""

BEHAVIOURS: dict[str, _Handler] = {
    "ok": _ok,
    "trickle-headers": lambda s, r, e: s._trickle(b"HTTP/1.1 200 OK\r\nX-Slow: ", b"a"),
    "trickle-body": lambda s, r, e: s._trickle(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\n"
        b"Content-Length: 1000000\r\n\r\n{",
        b" ",
    ),
    "endless": lambda s, r, e: _response(
        200, (b" " * 65536 for _ in iter(int, 1)), content_type="application/scim+json"
    ),
    "big": lambda s, r, e: _response(200, _big_body(BIG), length=BIG),
    "big-chunked": lambda s, r, e: _response(200, _big_body(BIG)),
    "gzip-bomb": lambda s, r, e: _response(200, s.bomb(), headers={"Content-Encoding": "gzip"}),
    "gzip-ok": lambda s, r, e: _response(
        200,
        gzip.compress(json.dumps(_listing([_user(1), _user(2)], 2)).encode()),
        headers={"Content-Encoding": "gzip"},
    ),
    "redirect-host": _redirect(307, _other),
    "redirect-port": _redirect(302, _other_port),
    "redirect-name": _redirect(301, lambda s, e: f"http://localhost:{s.port}/ok/v2{e}"),
    "redirect-outside": _redirect(301, lambda s, e: f"/elsewhere/v2{e}"),
    "redirect-badport": _redirect(302, lambda s, e: f"http://{s.host}:99999/ok/v2{e}"),
    "redirect-inside": lambda s, r, e: (
        _redirect(302, lambda s2, e2: f"/redirect-inside/v2{e2}/moved")(s, r, e)
        if not e.endswith("/moved")
        else _ok(s, r, e.removesuffix("/moved"))
    ),
    "bad-json": lambda s, r, e: _response(200, b'{"Resources": [{"id": "u1", '),
    "html": lambda s, r, e: _response(
        200, b"<html><body>Welcome! Please log in.</body></html>", content_type="text/html"
    ),
    "list": lambda s, r, e: _json(200, [1, 2, 3]),
    "bad-spc": _ok,
    "bad-types": _ok,
    "bad-schemas": _ok,
    "bad-endpoint": _ok,
    "loop-cursor": _loop_cursor,
    "lying-total": _lying_total,
    "endless-ids": _endless_ids,
    "oversized-page": _oversized(5_000),
    "huge-page": _oversized(250_000),
    "dot-ids": _dot_ids,
    "echo": _echo,
}
"""Behaviour name to the handler answering every non-discovery request."""

_DISCOVERY_SPC: dict[str, Any] = {
    "bad-spc": {**_SPC, "bulk": "yes", "filter": {"supported": True, "maxResults": "lots"}},
    "loop-cursor": {**_SPC, "pagination": {"cursor": True, "index": False}},
}
_DISCOVERY_TYPES: dict[str, Any] = {
    "bad-types": {"Resources": "User,Group"},
    "bad-endpoint": {
        "Resources": [{"id": "User", "endpoint": "/../../admin", "schema": CORE_USER}]
    },
}
_DISCOVERY_SCHEMAS: dict[str, Any] = {
    "bad-schemas": {"Resources": [{"id": CORE_USER, "attributes": {"userName": "string"}}]},
}
