"""Customer notifications: eligible clients, sending one, the notification log, notify-after.

Not operation hooks: the hub sends and logs (:mod:`idconnect.core.notifier`) for every store,
so each action asks :meth:`~idconnect.core.permissions.Permissions.check_action` itself
(``notifications.send``, ``notifications.read``); each message sent is an audit event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import frozen

from idconnect.core.clients import Client
from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.instants import utc_now
from idconnect.core.model import Account
from idconnect.core.notification import DeliveryStatus, Medium, Notification, Notified
from idconnect.core.query import Page
from idconnect.core.state import new_event_id

__all__ = ["NotificationOperations"]

T = TypeVar("T")


@frozen(kw_only=True)
class _Pending:
    """A notification checked before a change, to be sent after it."""

    client: str
    context: CallContext


class NotificationOperations(StoreCalls):
    """The notifications of :class:`~idconnect.core.facade.store.Store`."""

    def _account(self, context: CallContext, account_id: str) -> Account:
        read = self._context(context.actor, None, need_reason=False)
        account: Account = self._call(
            "get_account", read, subject=account_id, account_id=account_id
        )
        return account

    def notification_clients(
        self, account_id: str, *, actor: str | None = None
    ) -> tuple[Client, ...]:
        """List the clients an account may be notified through (the selection rules).

        :param account_id: the account's id.
        :param actor: the acting admin.
        :returns: clients of organizational applications for a member of an organization,
            else of non-organizational ones.
        :raises PermissionDenied: without ``notifications.send`` (or ``accounts.read``).
        :raises NotFound: when the account does not exist.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(
            context, "notifications.send", "notification_clients", account_id=account_id
        )
        account = self._account(context, account_id)
        return self.hub.config.clients.eligible(account.organization)

    def notify(
        self, account_id: str, event: str, *, client: str, reason: str, actor: str | None = None
    ) -> Notification:
        """Send the customer a notification about ``event`` through ``client``, and log it.

        :param account_id: the account's id.
        :param event: one of :data:`~idconnect.core.clients.EVENTS`.
        :param client: the client; the selection rules decide branding and policy.
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: the logged notification, ``sent`` or ``failed`` with the cause.
        :raises InvalidInput: for a missing reason, an unknown event or client, or a client the
            selection rules refuse (naming the rule).
        :raises PermissionDenied: without ``notifications.send``.
        :raises NotFound: when the account does not exist.
        """
        account_id = self._id(account_id)
        context = self._context(actor, reason, need_reason=True)
        self.hub.permissions.check_action(
            context, "notifications.send", "notify", account_id=account_id, target=client
        )
        account = self._account(context, account_id)
        return self.hub.notifier.send(context, account, event, client=client)

    def notifications(
        self,
        account_id: str,
        *,
        count: int = 50,
        cursor: str | None = None,
        actor: str | None = None,
    ) -> Page[Notification]:
        """List an account's notification log, newest first (content masked).

        :param account_id: the account's id.
        :param count: entries per page, 1 to 500.
        :param cursor: the previous page's ``next_cursor``.
        :param actor: the acting admin.
        :returns: one page, with the total.
        :raises PermissionDenied: without ``notifications.read``.
        :raises InvalidInput: for a bad count or cursor.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(
            context, "notifications.read", "list_notifications", account_id=account_id
        )
        return self.hub.notifier.log.page(self.name, account_id, count=count, cursor=cursor)

    def notification(
        self, account_id: str, notification_id: str, *, actor: str | None = None
    ) -> Notification:
        """Return one entry of an account's notification log (content masked).

        :param account_id: the account's id.
        :param notification_id: the entry's id.
        :param actor: the acting admin.
        :returns: the entry.
        :raises PermissionDenied: without ``notifications.read``.
        :raises NotFound: when the account has no such entry.
        """
        account_id = self._id(account_id)
        notification_id = self._id(notification_id, "notification id")
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(
            context, "notifications.read", "get_notification", account_id=account_id
        )
        return self.hub.notifier.log.get(self.name, account_id, notification_id)

    # -- notify= on changes -----------------------------------------------------------------------

    def _before_notify(
        self, notify: str | None, context: CallContext, account_ids: tuple[str, ...] = ()
    ) -> _Pending | None:
        """Check, before a change, that its notification may be sent (permission, rules)."""
        if notify is None:
            return None
        self._id(notify, "client")
        self.hub.permissions.check_action(
            context, "notifications.send", "notify", account_id=None, target=notify
        )
        for account_id in account_ids:
            self.hub.notifier.select(self._account(context, account_id), notify)
        return _Pending(client=notify, context=context)

    def _after_notify(
        self,
        pending: _Pending,
        result: T,
        event: str,
        account_ids: tuple[str, ...],
        variables: Mapping[str, Any] | None = None,
    ) -> Notified[T]:
        """Send the notifications of a change that succeeded; a failure is a failed entry."""
        sent: list[Notification] = []
        for account_id in account_ids:
            try:
                account = self._account(pending.context, account_id)
                sent.append(
                    self.hub.notifier.send(
                        pending.context, account, event, client=pending.client, variables=variables
                    )
                )
            except IdconnectError as exc:
                sent.append(self._unsent(pending, account_id, event, exc))
        return Notified(result=result, notifications=tuple(sent))

    def _unsent(
        self, pending: _Pending, account_id: str, event: str, exc: IdconnectError
    ) -> Notification:
        """A notification that could not even be logged or rendered, reported all the same."""
        return Notification(
            id=new_event_id(),
            store=self.name,
            account_id=account_id,
            at=utc_now(),
            event=event,
            client=pending.client,
            policy="",
            template="",
            locale="",
            channel="",
            medium=Medium.EMAIL,
            target=None,
            subject="",
            content="",
            status=DeliveryStatus.FAILED,
            cause=str(exc),
            actor=pending.context.actor,
            reason=pending.context.reason,
        )
