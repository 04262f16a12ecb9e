"""Masked labels: show enough of an email or phone number to recognise it, never all of it."""

from __future__ import annotations

from idconnect.core.model import AuthenticatorKind

__all__ = ["mask"]


def mask(kind: AuthenticatorKind, value: str) -> str:
    """Return a label safe to show to a support agent.

    ``barbara@example.com`` becomes ``b******@example.com``; ``+447700900123`` becomes
    ``+44*******123``; other kinds get their kind's name.

    :param kind: the authenticator's kind.
    :param value: the address or number.
    :returns: the masked label.
    """
    if kind is AuthenticatorKind.EMAIL and "@" in value:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}{'*' * max(len(local) - 1, 1)}@{domain}"
    if kind is AuthenticatorKind.PHONE and len(value) > 6:
        return f"{value[:3]}{'*' * (len(value) - 6)}{value[-3:]}"
    return str(kind)
