# mypy: disable-error-code="empty-body"
"""Identity verification: support verifies an account holder's identity under a policy.

A verification is revoked when the identity carries a risk; revoked ones stay in the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import hookspec
from idconnect.core.opspec import operation

if TYPE_CHECKING:
    from idconnect.core.context import CallContext
    from idconnect.core.model import IdentityVerification

__all__ = [
    "idconnect_list_verifications",
    "idconnect_revoke_verification",
    "idconnect_verify_identity",
]


@operation(
    family="verification", mutates=False, permission="verification.read", subject="account_id"
)
@hookspec(firstresult=True)
def idconnect_list_verifications(
    context: CallContext, account_id: str
) -> Sequence[IdentityVerification]:
    """List an account's identity verifications, newest first, revoked and expired ones too.

    :param context: the call context.
    :param account_id: the account's id.
    :returns: every verification recorded for the account (the history).
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.2
    """


@operation(
    family="verification",
    mutates=True,
    permission="verification.verify",
    subject="account_id",
    target="verification",
)
@hookspec(firstresult=True)
def idconnect_verify_identity(
    context: CallContext, account_id: str, verification: IdentityVerification
) -> IdentityVerification:
    """Record that support verified an account holder's identity.

    The facade builds the record (a fresh id, the policy's methods, level and expiry, the acting
    admin, the checked evidence note); the backend stores it as given.

    :param context: the call context (``context.actor`` is ``verification.verified_by``).
    :param account_id: the account's id (``verification.account_id``).
    :param verification: the record to keep.
    :returns: the record as stored.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.2
    """


@operation(
    family="verification",
    mutates=True,
    permission="verification.revoke",
    subject="account_id",
    target="verification_id",
)
@hookspec(firstresult=True)
def idconnect_revoke_verification(
    context: CallContext, account_id: str, verification_id: str, revoked_at: datetime
) -> IdentityVerification:
    """Revoke one identity verification; it stays listed with who revoked it, when and why.

    :param context: the call context; ``context.actor`` becomes ``revoked_by`` and
        ``context.reason`` (always given) ``revoke_reason``.
    :param account_id: the account's id.
    :param verification_id: the verification's id.
    :param revoked_at: the instant to record.
    :returns: the revoked record.
    :raises NotFound: when the account or the verification (of this account) does not exist.
    :raises Conflict: when the verification was revoked already.

    .. versionadded:: 0.2
    """
