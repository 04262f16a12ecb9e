"""Export: everything known about an account, as JSON or as one printable HTML page."""

from __future__ import annotations

from typing import Any, Literal, overload

from idconnect.core.context import CallContext
from idconnect.core.convert import to_json
from idconnect.core.errors import IdconnectError, InvalidInput
from idconnect.core.facade.activity import ActivityOperations
from idconnect.core.facade.notifications import NotificationOperations
from idconnect.core.instants import utc_now
from idconnect.core.query import MAX_PAGE_SIZE

__all__ = ["ExportOperations"]

EXPORTED = (
    ("list_verifications", "verifications"),
    ("list_consents", "consents"),
    ("list_authenticators", "authenticators"),
    ("list_sessions", "sessions"),
)
"""The record lists an export holds where the store (or the hub, for it) has them: the read
operation and the document's key."""

FORMATS = ("json", "html")

_LOG_PAGE = 500
"""The largest page of the notification log, read page by page into the export."""


class ExportOperations(ActivityOperations, NotificationOperations):
    """The export of :class:`~idconnect.core.facade.store.Store` (audit trail, notification log)."""

    @overload
    def export_account(
        self,
        account_id: str,
        *,
        format: Literal["json"] = "json",
        reason: str,
        actor: str | None = None,
    ) -> dict[str, Any]: ...

    @overload
    def export_account(
        self, account_id: str, *, format: Literal["html"], reason: str, actor: str | None = None
    ) -> str: ...

    def export_account(
        self, account_id: str, *, format: str = "json", reason: str, actor: str | None = None
    ) -> dict[str, Any] | str:
        """Gather everything the store and the hub know about an account, for a data request.

        Holds the canonical account (the attributes the store shows), its identity
        verifications, consents, authenticators (masked), sessions, the store's own activity
        records (logins, lockouts, password changes...) as far as the store (or the hub's state,
        for it) has them, the messages sent to the customer (the notification log, every page,
        content masked as logged) and the audit events about it; never a secret. The export
        itself is audited.

        :param account_id: the account's id.
        :param format: ``json`` (a JSON-ready dict) or ``html`` (one self-contained, printable
            page: :func:`idconnect.core.export_page.render_export`).
        :param reason: why (required: this is a sensitive read).
        :param actor: the acting admin.
        :returns: the dict, or the page's text.
        :raises InvalidInput: for another format, or a missing reason.
        :raises NotFound: when the account does not exist.
        :raises PermissionDenied: without ``accounts.export``, or without the read permission of
            a part it holds (``accounts.read``, ``verification.read``, ``consents.read``,
            ``credentials.read``, ``sessions.read``, ``activity.read``, ``notifications.read``).
        """
        if format not in FORMATS:
            raise InvalidInput(
                f"unknown export format {format!r} (expected json or html)", store=self.name
            )
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
            for op, key in EXPORTED:
                if op in self.capabilities:
                    found = self._call(op, read, subject=account_id, account_id=account_id)
                    doc[key] = to_json(list(found))
            if "list_activity" in self.capabilities:
                doc["activity"] = to_json(self._store_activity(read, account_id))
            doc["notifications"] = to_json(self._notification_log(account_id, context.actor))
            doc["events"] = to_json(self.events(account_id, actor=context.actor))
            page = None
            if format == "html":
                from idconnect.core.export_page import render_export

                page = render_export(doc, actor=context.actor, exported_at=utc_now())
        except IdconnectError as exc:
            self.hub.state.record(
                [self.hub.audit.event(context, "export_account", account_id=account_id, error=exc)]
            )
            raise
        self.hub.state.record(
            [self.hub.audit.event(context, "export_account", account_id=account_id)]
        )
        return doc if page is None else page

    def _notification_log(self, account_id: str, actor: str) -> list[Any]:
        """Every entry of an account's notification log, newest first, page by page."""
        found: list[Any] = []
        cursor = None
        while True:
            page = self.notifications(account_id, count=_LOG_PAGE, cursor=cursor, actor=actor)
            found.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return found

    def _store_activity(self, read: CallContext, account_id: str) -> list[Any]:
        """Every store-side activity record of an account, newest first, page by page."""
        found: list[Any] = []
        cursor = None
        while True:
            page = self._call(
                "list_activity",
                read,
                subject=account_id,
                account_id=account_id,
                since=None,
                until=None,
                kinds=None,
                count=MAX_PAGE_SIZE,
                cursor=cursor,
            )
            found.extend(page.items)
            cursor = page.next_cursor
            if cursor is None:
                return found
