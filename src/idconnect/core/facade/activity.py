"""Activity: the audit trail of a store, and the export of everything known about an account."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from idconnect.core.convert import to_json
from idconnect.core.errors import IdconnectError
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.facade.checks import check_limit, check_since
from idconnect.core.model import Event

__all__ = ["ActivityOperations"]

_EXPORTED = (("list_authenticators", "authenticators"), ("list_sessions", "sessions"))


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

    def export_account(
        self, account_id: str, *, reason: str, actor: str | None = None
    ) -> dict[str, Any]:
        """Gather everything the store and the hub know about an account, for a data request.

        Holds the canonical account, its authenticators (masked), sessions and audit events, as
        far as the store has them; never a secret. The export itself is audited.

        :param account_id: the account's id.
        :param reason: why (required: this is a sensitive read).
        :param actor: the acting admin.
        :returns: a JSON-ready dict.
        :raises NotFound: when the account does not exist.
        :raises PermissionDenied: without ``accounts.export``, or without the read permission of
            a part it holds (``accounts.read``, ``credentials.read``, ``sessions.read``,
            ``activity.read``).
        """
        account_id = self._id(account_id)
        context = self._context(actor, reason, need_reason=True)
        self.hub.permissions.check_action(
            context, "accounts.export", "export_account", account_id=account_id
        )
        read = self._context(context.actor, None, need_reason=False)
        try:
            doc: dict[str, Any] = {
                "store": self.name,
                "account": to_json(
                    self._call("get_account", read, subject=account_id, account_id=account_id),
                    catalogue=self.catalogue,
                ),
            }
            for op, key in _EXPORTED:
                if op in self.capabilities:
                    found = self._call(op, read, subject=account_id, account_id=account_id)
                    doc[key] = to_json(list(found))
            doc["events"] = to_json(self.events(account_id, actor=context.actor))
        except IdconnectError as exc:
            self.hub.state.record(
                [self.hub.audit.event(context, "export_account", account_id=account_id, error=exc)]
            )
            raise
        self.hub.state.record(
            [self.hub.audit.event(context, "export_account", account_id=account_id)]
        )
        return doc
