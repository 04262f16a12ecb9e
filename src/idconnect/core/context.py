"""The call context every hook receives: which store, who acts, why, and the request id."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from attrs import field, frozen

__all__ = ["CallContext", "call_scope", "current_call", "new_request_id", "request_scope"]

_REQUEST_ID: ContextVar[str | None] = ContextVar("idconnect_request_id", default=None)


def new_request_id() -> str:
    """Return the request id of the enclosing :func:`request_scope`, else a fresh one.

    :returns: the scope's id, or a random UUID in hex outside any scope.
    """
    return _REQUEST_ID.get() or uuid.uuid4().hex


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


@contextmanager
def call_scope(context: CallContext) -> Iterator[CallContext]:
    """Make :func:`current_call` return ``context`` inside the block (the facade's hook calls).

    :param context: the context of the hook call.
    :returns: a context manager yielding ``context``.
    """
    token = _CALL.set(context)
    try:
        yield context
    finally:
        _CALL.reset(token)
