# mypy: disable-error-code="empty-body"
"""Consents: the consent log of an account.

What the account holder agreed to and when each consent ended (superseded by a newer version of
its purpose, revoked by the customer or by support).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import hookspec
from idconnect.core.opspec import operation

if TYPE_CHECKING:
    from idconnect.core.context import CallContext
    from idconnect.core.model import Consent
    from idconnect.core.records import ConsentEnd

__all__ = [
    "idconnect_list_consents",
    "idconnect_record_consent",
    "idconnect_revoke_consent",
]


@operation(family="consents", mutates=False, permission="consents.read", subject="account_id")
@hookspec(firstresult=True)
def idconnect_list_consents(context: CallContext, account_id: str) -> Sequence[Consent]:
    """List an account's consent log, newest agreement first, ended consents too.

    :param context: the call context.
    :param account_id: the account's id.
    :returns: every consent recorded for the account.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.2
    """


@operation(
    family="consents",
    mutates=True,
    permission="consents.record",
    subject="account_id",
    target="consent",
)
@hookspec(firstresult=True)
def idconnect_record_consent(context: CallContext, account_id: str, consent: Consent) -> Consent:
    """Record that the account holder agreed to a version of a purpose's consent text.

    In the same transaction, every consent of the same purpose that still holds ends: its
    ``opted_out_at`` becomes ``consent.agreed_at`` and its ``ended_how`` ``superseded``.

    :param context: the call context.
    :param account_id: the account's id (``consent.account_id``).
    :param consent: the new record (a fresh id, purpose, version, agreed at), built by the
        facade; the backend stores it as given.
    :returns: the record as stored.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.2
    """


@operation(
    family="consents",
    mutates=True,
    permission="consents.revoke",
    subject="account_id",
    target="consent_id",
)
@hookspec(firstresult=True)
def idconnect_revoke_consent(
    context: CallContext,
    account_id: str,
    consent_id: str,
    ended_how: ConsentEnd,
    revoked_at: datetime,
) -> Consent:
    """End one consent that still holds; it stays in the log with who ended it, when and why.

    :param context: the call context; ``context.actor`` becomes ``revoked_by`` and
        ``context.reason`` (always given) ``reason``.
    :param account_id: the account's id.
    :param consent_id: the consent's id.
    :param ended_how: ``revoked_by_customer`` or ``revoked_by_support``.
    :param revoked_at: the instant to record as ``opted_out_at``.
    :returns: the ended record.
    :raises NotFound: when the account or the consent (of this account) does not exist.
    :raises Conflict: when the consent had ended already.

    .. versionadded:: 0.2
    """
