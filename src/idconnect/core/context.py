"""The call context every hook receives: which store, who acts, why, and the request id."""

from __future__ import annotations

import uuid

from attrs import field, frozen

__all__ = ["CallContext", "new_request_id"]


def new_request_id() -> str:
    """Return a fresh request id (a random UUID in hex)."""
    return uuid.uuid4().hex


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
