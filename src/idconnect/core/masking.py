"""Masked labels: show enough of an email or phone number to recognise it, never all of it."""

from __future__ import annotations

import uuid

from idconnect.core.errors import InvalidInput
from idconnect.core.instants import utc_now
from idconnect.core.model import Authenticator, AuthenticatorKind

__all__ = ["SUPPORT_ADDABLE", "mask", "new_authenticator"]

SUPPORT_ADDABLE = frozenset({AuthenticatorKind.EMAIL, AuthenticatorKind.PHONE})
"""The authenticator kinds support may add for a customer; others need the customer's enrolment."""


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


def new_authenticator(kind: AuthenticatorKind, value: str, verified: bool) -> Authenticator:
    """Build the authenticator a store records when support adds an email or phone method.

    :param kind: the method's kind.
    :param value: the address or number (only its masked form is kept).
    :param verified: whether support verified it.
    :returns: a new authenticator with a random id, a masked label and ``created`` now.
    :raises InvalidInput: for a kind support cannot add.
    """
    if kind not in SUPPORT_ADDABLE:
        raise InvalidInput(f"support cannot add a {kind} authenticator; the customer must enrol it")
    return Authenticator(
        id=uuid.uuid4().hex,
        kind=kind,
        label=mask(kind, value),
        verified=verified,
        created=utc_now(),
    )
