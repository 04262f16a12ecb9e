"""Pipelined modify requests: many LDAP Modify operations in flight on one connection.

ldap3's ``SYNC`` strategy waits for each response before sending the next request, and builds
every request through pyasn1, which costs more client time than the directory spends on a
small modify. For bulk status changes this module writes the Modify requests (RFC 4511 §4.6)
itself, BER-encoded by hand, keeps up to ``window`` of them outstanding on the connection's
socket, and reads the Modify responses as they come (the server may answer out of order; they
are matched by message id). Each result comes back as ldap3's ``conn.result``-like dict, so
:func:`idconnect_ldap.protocol.check` maps it to the project's errors per entry.

The connection must be idle (no ldap3 operation in progress) and is idle again when
:func:`modify_many` returns. A closed stream, a Notice of Disconnection, a malformed answer or a
socket error raises :class:`Interrupted`, which tells apart the changes answered, those sent but
never answered (the directory may or may not have applied them) and those never sent; the caller
must discard the connection.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping, Sequence
from typing import Any

import ldap3  # type: ignore[import-untyped]
from ldap3.core.results import RESULT_CODES  # type: ignore[import-untyped]

from idconnect_ldap.protocol import ber

__all__ = ["Change", "Interrupted", "modify_many"]

Change = Mapping[str, list[tuple[str, list[Any]]]]
"""A modify as ldap3 takes it: attribute → ``[(ldap3.MODIFY_REPLACE, [values])]``."""

_OPERATIONS = {ldap3.MODIFY_ADD: 0, ldap3.MODIFY_DELETE: 1, ldap3.MODIFY_REPLACE: 2}
_MODIFY_REQUEST = 0x66
_MODIFY_RESPONSE = 0x67
_EXTENDED_RESPONSE = 0x78


class Interrupted(Exception):
    """The connection failed part-way through :func:`modify_many`.

    :param results: the answer of each change, ``None`` where none came.
    :param sent: the indexes of the changes that were sent (answered or not).
    :param cause: what broke the connection.
    """

    def __init__(
        self, results: list[dict[str, Any] | None], sent: int, cause: BaseException
    ) -> None:
        super().__init__(f"the connection failed after {sent} requests: {cause}")
        self.results = results
        self.sent = sent
        """How many changes, from the first, were (at least partly) sent."""
        self.cause = cause


def _integer(tag: int, value: int) -> bytes:
    return ber(tag, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _octets(value: Any) -> bytes:
    return ber(0x04, value if isinstance(value, bytes) else str(value).encode("utf-8"))


def encode_modify(message_id: int, dn: str, change: Change) -> bytes:
    """Encode one LDAPMessage holding a ModifyRequest (no controls).

    :param message_id: the message id (1 to 2**31 - 1).
    :param dn: the entry's DN.
    :param change: the modifications, in ldap3's shape.
    :returns: the BER-encoded message.
    :raises ValueError: for an operation other than add, delete or replace.
    """
    items = b""
    for attribute, operations in change.items():
        for operation, values in operations:
            if operation not in _OPERATIONS:
                raise ValueError(f"cannot pipeline a {operation} modification")
            partial = ber(
                0x30, _octets(attribute) + ber(0x31, b"".join(_octets(v) for v in values))
            )
            items += ber(0x30, _integer(0x0A, _OPERATIONS[operation]) + partial)
    request = ber(_MODIFY_REQUEST, _octets(dn) + ber(0x30, items))
    return ber(0x30, _integer(0x02, message_id) + request)


def _element(data: bytes | memoryview, pos: int) -> tuple[int, int, int] | None:
    """Read the tag and bounds of the element at ``pos``; ``None`` when it is incomplete."""
    if pos + 2 > len(data):
        return None
    tag, first = data[pos], data[pos + 1]
    start = pos + 2
    if first & 0x80:
        size_len = first & 0x7F
        if size_len == 0 or size_len > 4:
            raise ConnectionError("the directory sent an undecodable message")
        if start + size_len > len(data):
            return None
        size = int.from_bytes(data[start : start + size_len], "big")
        start += size_len
    else:
        size = first
    end = start + size
    return (tag, start, end) if end <= len(data) else None


def _result(message: memoryview) -> tuple[int, dict[str, Any]]:
    """Decode an LDAPMessage holding a ModifyResponse into its id and a result dict.

    The dict has the code, its name and the server's diagnostic message (when it sent one).
    """
    head = _element(message, 0)
    if head is None or message[0] != 0x02:
        raise ConnectionError("the directory sent an undecodable message")
    message_id = int.from_bytes(message[head[1] : head[2]], "big")
    op = _element(message, head[2])
    if op is None:
        raise ConnectionError("the directory sent an undecodable message")
    tag, start, _ = op
    if tag == _EXTENDED_RESPONSE:
        raise ConnectionError("the directory closed the connection (notice of disconnection)")
    code_element = _element(message, start)
    if tag != _MODIFY_RESPONSE or code_element is None or message[start] != 0x0A:
        raise ConnectionError("the directory sent an unexpected answer to a modify")
    code = int.from_bytes(message[code_element[1] : code_element[2]], "big")
    result: dict[str, Any] = {"result": code, "description": RESULT_CODES.get(code, "unknown")}
    matched = _element(message, code_element[2])
    diagnostic = _element(message, matched[2]) if matched is not None else None
    if diagnostic is not None and message[matched[2] if matched else 0] == 0x04:
        result["message"] = bytes(message[diagnostic[1] : diagnostic[2]]).decode("utf-8", "replace")
    return message_id, result


def modify_many(
    conn: ldap3.Connection, changes: Sequence[tuple[str, Change]], *, window: int = 200
) -> list[dict[str, Any]]:
    """Apply many modifies over one bound, idle ``SYNC`` connection, pipelined.

    :param conn: the connection (its socket's receive timeout bounds every wait).
    :param changes: ``(dn, change)`` pairs.
    :param window: the most requests outstanding at once.
    :returns: one ``{"result": code, "description": name, "message": diagnostic}`` per change,
        in the same order.
    :raises Interrupted: when the stream ends, holds something other than the answers, or the
        socket fails or times out; it holds the answers received and how many were sent.
    """
    results: list[dict[str, Any] | None] = [None] * len(changes)
    progress = [0]
    try:
        _exchange(conn, changes, window, results, progress)
    except (ConnectionError, OSError) as exc:
        raise Interrupted(results, progress[0], exc) from exc
    return [r if r is not None else {} for r in results]


def _exchange(
    conn: ldap3.Connection,
    changes: Sequence[tuple[str, Change]],
    window: int,
    results: list[dict[str, Any] | None],
    progress: list[int],
) -> None:
    """Send the changes and read their answers into ``results``; ``progress[0]`` counts sends."""
    sock: socket.socket = conn.socket
    pending: dict[int, int] = {}
    buffer = bytearray()
    sent = 0
    step = max(1, window // 4)
    while sent < len(changes) or pending:
        room = min(window - len(pending), len(changes) - sent)
        if room >= step or (room > 0 and not pending):
            batch = []
            for index in range(sent, sent + room):
                message_id = conn.server.next_message_id()
                pending[message_id] = index
                dn, change = changes[index]
                batch.append(encode_modify(message_id, dn, change))
            progress[0] = sent + room  # a failing sendall may have sent any part of the batch
            sock.sendall(b"".join(batch))
            sent += room
            continue
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the directory closed the connection")
        buffer += chunk
        view = memoryview(buffer)
        pos = 0
        try:
            while (found := _element(view, pos)) is not None:
                tag, start, end = found
                if tag != 0x30:
                    raise ConnectionError("the directory sent an undecodable message")
                message_id, result = _result(view[start:end])
                if message_id not in pending:
                    raise ConnectionError("the directory answered a request that was not sent")
                results[pending.pop(message_id)] = result
                pos = end
        finally:
            view.release()
        del buffer[:pos]
