"""Activity: the audit trail of a store."""

from __future__ import annotations

from datetime import datetime

from idconnect.core.facade.calls import StoreCalls
from idconnect.core.facade.checks import check_limit, check_since
from idconnect.core.model import Event

__all__ = ["ActivityOperations"]


class ActivityOperations(StoreCalls):
    """The activity family of :class:`~idconnect.core.facade.store.Store`."""

    def events(
        self,
        account_id: str | None = None,
        *,
        since: datetime | None = None,
        action: str | None = None,
        limit: int = 1000,
        actor: str | None = None,
    ) -> list[Event]:
        """Read the audit trail of this store.

        :param account_id: only events about this account.
        :param since: only events at or after this aware instant.
        :param action: only this action, e.g. ``disable_account``.
        :param limit: at most this many, the newest (1 to 100,000).
        :param actor: the acting admin.
        :returns: events, oldest first.
        :raises InvalidInput: for a naive ``since`` or a bad limit.
        :raises PermissionDenied: without ``activity.read``.
        """
        if account_id is not None:
            account_id = self._id(account_id)
        check_since(since, store=self.name)
        check_limit(limit, store=self.name)
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(
            context, "activity.read", "read_events", account_id=account_id
        )
        return list(
            self.hub.state.events(
                self.name, account_id=account_id, since=since, action=action, limit=limit
            )
        )
