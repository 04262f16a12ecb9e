"""The call context every hook receives: which store, who acts, why, and the request id."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from types import TracebackType

from attrs import field, frozen

__all__ = ["CallContext", "call_scope", "current_call", "new_request_id", "request_scope"]

_REQUEST_ID: ContextVar[str | None] = ContextVar("idconnect_request_id", default=None)

_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (0x4000 << 64) | (0x8000 << 48)
"""The version (4) and variant (RFC 4122) bits of a random UUID, as ``uuid.uuid4`` sets them."""


def new_request_id() -> str:
    """Return the request id of the enclosing :func:`request_scope`, else a fresh one.

    :returns: the scope's id, or a random UUID in hex outside any scope.
    """
    scoped = _REQUEST_ID.get()
    if scoped:
        return scoped
    # uuid.uuid4().hex, without building a UUID object (a third of the time)
    bits = int.from_bytes(os.urandom(16)) & _UUID4_CLEAR | _UUID4_SET
    return f"{bits:032x}"


@contextmanager
def request_scope(request_id: str) -> Iterator[str]:
    """Make every facade call inside the block use ``request_id`` (an HTTP request's id).

    Context variables follow the code into threads started with ``contextvars.copy_context``
    (Starlette's thread pool does), so the audit events of the request carry its id.

    :param request_id: the id to use; must not be empty.
    :returns: a context manager yielding ``request_id``.
    :raises ValueError: for an empty ``request_id``.
    """
    if not request_id:
        raise ValueError("request_id must not be empty")
    token = _REQUEST_ID.set(request_id)
    try:
        yield request_id
    finally:
        _REQUEST_ID.reset(token)


@frozen(kw_only=True)
class CallContext:
    """Who asks a store to do what, and why. Passed as ``context`` to every operation hook."""

    store: str
    """The configured store name the call is for."""
    actor: str
    """The acting admin (a person or a service account)."""
    reason: str | None = None
    """Why the admin acts, as they wrote it; required for bulk and destructive actions."""
    request_id: str = field(factory=new_request_id)
    """Shared by everything one facade call does, so events of a bulk action group together."""


_CALL: ContextVar[CallContext | None] = ContextVar("idconnect_call", default=None)


def current_call() -> CallContext | None:
    """Return the context of the operation hook running in this thread, if any.

    A backend that talks to another service (the rest store to a SCIM server) reads it to pass
    the reason and the request id along without threading them through every helper.

    :returns: the context the facade is calling a hook with, else ``None``.
    """
    return _CALL.get()


class call_scope:
    """Make :func:`current_call` return ``context`` inside the block (the facade's hook calls).

    A class rather than a generator context manager: every hook call enters one.

    :param context: the context of the hook call.
    """

    __slots__ = ("_context", "_token")

    def __init__(self, context: CallContext) -> None:
        self._context = context
        self._token: Token[CallContext | None] | None = None

    def __enter__(self) -> CallContext:
        self._token = _CALL.set(self._context)
        return self._context

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        assert self._token is not None
        _CALL.reset(self._token)
