# mypy: disable-error-code="empty-body"
"""Credentials: authenticators, the password and the failed-attempt counters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import hookspec
from idconnect.core.opspec import operation

if TYPE_CHECKING:
    from idconnect.core.context import CallContext
    from idconnect.core.model import (
        Authenticator,
        AuthenticatorKind,
        Secret,
    )

__all__ = [
    "idconnect_add_authenticator",
    "idconnect_list_authenticators",
    "idconnect_remove_authenticator",
    "idconnect_reset_failed_attempts",
    "idconnect_set_password",
]


@operation(family="credentials", mutates=False, permission="credentials.read", subject="account_id")
@hookspec(firstresult=True)
def idconnect_list_authenticators(context: CallContext, account_id: str) -> Sequence[Authenticator]:
    """List an account's authentication methods, with masked labels and no secrets.

    :param context: the call context.
    :param account_id: the account's id.
    :returns: the methods, oldest first.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.1
    """


@operation(
    family="credentials",
    mutates=True,
    permission="credentials.manage",
    subject="account_id",
    target="kind",
)
@hookspec(firstresult=True)
def idconnect_add_authenticator(
    context: CallContext,
    account_id: str,
    kind: AuthenticatorKind,
    value: str,
    verified: bool,
) -> Authenticator:
    """Add an authentication method support may add for a customer: an email or a phone number.

    :param context: the call context.
    :param account_id: the account's id.
    :param kind: :attr:`~idconnect.core.model.AuthenticatorKind.EMAIL` or ``PHONE``; other kinds
        need the customer's own enrolment.
    :param value: the address or number (validated by the facade).
    :param verified: whether support verified it with the customer.
    :returns: the new authenticator, with a masked label.
    :raises NotFound: when the account does not exist.
    :raises InvalidInput: for a kind support cannot add.

    .. versionadded:: 0.1
    """


@operation(
    family="credentials",
    mutates=True,
    permission="credentials.manage",
    subject="account_id",
    target="authenticator_id",
)
@hookspec(firstresult=True)
def idconnect_remove_authenticator(
    context: CallContext, account_id: str, authenticator_id: str
) -> None:
    """Remove an authentication method (a lost phone, an abandoned mailbox).

    :param context: the call context.
    :param account_id: the account's id.
    :param authenticator_id: the method's id, from ``list_authenticators``.
    :raises NotFound: when the account or the method does not exist.

    .. versionadded:: 0.1
    """


@operation(
    family="credentials",
    mutates=True,
    permission="credentials.password",
    subject="account_id",
    changed=("password",),
)
@hookspec(firstresult=True)
def idconnect_set_password(context: CallContext, account_id: str, password: Secret) -> None:
    """Set an account's password; the backend hashes it or hands it to the store's own operation.

    :param context: the call context.
    :param account_id: the account's id.
    :param password: the new password; never logged, never in an error message.
    :raises NotFound: when the account does not exist.
    :raises InvalidInput: when the store's password policy refuses it (without quoting it).

    .. versionadded:: 0.1
    """


@operation(
    family="credentials",
    mutates=True,
    permission="credentials.unlock",
    subject="account_id",
    changed=("failedAttempts",),
)
@hookspec(firstresult=True)
def idconnect_reset_failed_attempts(context: CallContext, account_id: str) -> None:
    """Reset the failed password and OTP counters and lift a lockout caused by them.

    :param context: the call context.
    :param account_id: the account's id.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.1
    """
