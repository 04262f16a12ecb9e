# mypy: disable-error-code="empty-body"
"""Sessions: an account's active sessions, and ending them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import hookspec
from idconnect.core.opspec import operation

if TYPE_CHECKING:
    from idconnect.core.context import CallContext
    from idconnect.core.model import (
        Session,
    )

__all__ = [
    "idconnect_list_sessions",
    "idconnect_revoke_session",
    "idconnect_revoke_sessions",
]


@operation(family="sessions", mutates=False, permission="sessions.read", subject="account_id")
@hookspec(firstresult=True)
def idconnect_list_sessions(context: CallContext, account_id: str) -> Sequence[Session]:
    """List an account's active sessions, most recently seen first.

    :param context: the call context.
    :param account_id: the account's id.
    :returns: the sessions that have not expired or been revoked.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.1
    """


@operation(
    family="sessions",
    mutates=True,
    permission="sessions.revoke",
    subject="account_id",
    target="session_id",
)
@hookspec(firstresult=True)
def idconnect_revoke_session(context: CallContext, account_id: str, session_id: str) -> None:
    """End one session: the browser must re-authenticate.

    :param context: the call context.
    :param account_id: the account's id.
    :param session_id: the session's id.
    :raises NotFound: when the account or the session does not exist.

    .. versionadded:: 0.1
    """


@operation(family="sessions", mutates=True, permission="sessions.revoke", subject="account_id")
@hookspec(firstresult=True)
def idconnect_revoke_sessions(context: CallContext, account_id: str) -> int:
    """End every session of an account.

    :param context: the call context.
    :param account_id: the account's id.
    :returns: how many sessions were ended.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.1
    """
