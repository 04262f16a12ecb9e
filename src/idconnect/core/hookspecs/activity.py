# mypy: disable-error-code="empty-body"
"""Activity: what happened to an account, as the store itself recorded it.

Logins succeeded and failed, lockouts, password changes and resets, authenticator enrolments,
sessions: the store-side half of an account's timeline. The facade merges it with the hub's
audit events about the account (``Store.activity``); a store without these hooks still shows
the audit half.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import TYPE_CHECKING

from idconnect.core.hookspecs.markers import hookspec
from idconnect.core.opspec import operation

if TYPE_CHECKING:
    from idconnect.core.activity import ActivityKind, ActivityRecord
    from idconnect.core.context import CallContext
    from idconnect.core.query import Page

__all__ = ["idconnect_list_activity", "idconnect_record_activity"]


@operation(family="activity", mutates=False, permission="activity.read", subject="account_id")
@hookspec(firstresult=True)
def idconnect_list_activity(
    context: CallContext,
    account_id: str,
    since: datetime | None,
    until: datetime | None,
    kinds: Set[ActivityKind] | None,
    count: int,
    cursor: str | None,
) -> Page[ActivityRecord]:
    """List one page of an account's store-side activity, newest first.

    Records are ordered by ``at`` descending, ties by ``id`` descending (code point order), so
    the facade can merge them with the audit trail and resume inside a page.

    :param context: the call context.
    :param account_id: the account's id.
    :param since: only records at or after this aware UTC instant, or ``None``.
    :param until: only records at or before this aware UTC instant, or ``None``.
    :param kinds: only records of these kinds (never ``admin``), or ``None`` for all.
    :param count: how many records the page holds at most (1 to 1000).
    :param cursor: the ``next_cursor`` of the previous page of the same account, bounds and
        kinds, or ``None`` for the first page; opaque, and it resumes in another process.
    :returns: the page; ``next_cursor`` is ``None`` on the last one.
    :raises NotFound: when the account does not exist.
    :raises InvalidInput: for a cursor of another listing.

    .. versionadded:: 0.2
    """


@operation(
    family="activity",
    mutates=True,
    permission="activity.record",
    subject="account_id",
    target="record",
)
@hookspec(firstresult=True)
def idconnect_record_activity(
    context: CallContext, account_id: str, record: ActivityRecord
) -> ActivityRecord:
    """Keep one store-side activity record (for the customer-facing app, and imports).

    :param context: the call context.
    :param account_id: the account's id (``record.account_id``).
    :param record: the record, checked and given a fresh id by the facade (kind never
        ``admin``, detail without secrets); the backend stores it as given.
    :returns: the record as stored.
    :raises NotFound: when the account does not exist.

    .. versionadded:: 0.2
    """
