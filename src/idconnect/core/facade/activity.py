"""Activity: the audit trail of a store, and one account's timeline (store activity and audit).

:meth:`ActivityOperations.activity` merges what the store recorded of the customer (logins,
lockouts, password changes, ...: ``idconnect_list_activity``) with the hub's audit events about
the account into one newest-first timeline (:class:`~idconnect.core.timeline.Timeline`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from idconnect.core.activity import STORE_KINDS, ActivityKind, ActivityRecord, Detail
from idconnect.core.errors import InvalidInput
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.facade.checks import check_instant, check_limit, check_since
from idconnect.core.instants import utc_now
from idconnect.core.model import Event
from idconnect.core.operations import OPERATIONS
from idconnect.core.opspec import covers
from idconnect.core.query import MAX_PAGE_SIZE, Page
from idconnect.core.records import new_record_id
from idconnect.core.timeline import Timeline

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

    @covers("list_activity")
    def activity(
        self,
        account_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        kinds: Iterable[ActivityKind | str] | None = None,
        count: int = 50,
        cursor: str | None = None,
        actor: str | None = None,
    ) -> Page[ActivityRecord]:
        """Read one page of an account's timeline, newest first.

        The timeline merges the store's own activity records (logins succeeded and failed,
        lockouts, password changes and resets, authenticator enrolments, sessions; source
        ``store``) with the hub's audit events about the account (kind ``admin``, source
        ``audit``: actor, reason, action, changed attribute names, outcome; not the events of
        ``record_activity``, whose records are shown themselves). A store that keeps
        no activity of its own (a SCIM store, a mapped SQL schema) still shows the audit part;
        only asking such a store for store-side kinds alone raises ``NotSupported``.

        :param account_id: the account's id.
        :param since: only records at or after this aware instant.
        :param until: only records at or before this aware instant (not before ``since``).
        :param kinds: only these kinds (``login_failed``, ..., ``admin`` for audit events), a
            list; ``None`` for all.
        :param count: how many records a page holds at most (1 to 1000).
        :param cursor: the ``next_cursor`` of the previous page of the same account, bounds and
            kinds; it resumes in another process.
        :param actor: the acting admin.
        :returns: the page; ``next_cursor`` is ``None`` on the last one.
        :raises InvalidInput: for a bad bound, kind, count or cursor (before any I/O).
        :raises PermissionDenied: without ``activity.read``.
        :raises NotSupported: when ``kinds`` names store-side kinds only and the store keeps
            no activity of its own.
        :raises NotFound: when the store keeps activity and the account does not exist.
        """
        account_id = self._id(account_id)
        timeline = Timeline(
            store=self.name,
            account_id=account_id,
            since=_utc(check_since(since, store=self.name)),
            until=_utc(_check_until(until, since, store=self.name)),
            kinds=_check_kinds(kinds, store=self.name),
        )
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_PAGE_SIZE:
            raise InvalidInput(f"count must be from 1 to {MAX_PAGE_SIZE}", store=self.name)
        if cursor is not None:
            self._id(cursor, "cursor")
        context = self._context(actor, None, need_reason=False)
        op = OPERATIONS["list_activity"]
        self.hub.permissions.check(op, {"context": context, "account_id": account_id})

        def store_pages(page_cursor: str | None, size: int) -> Page[ActivityRecord]:
            page: Page[ActivityRecord] = self._call(
                "list_activity",
                context,
                subject=account_id,
                account_id=account_id,
                since=timeline.since,
                until=timeline.until,
                kinds=timeline.store_kinds,
                count=size,
                cursor=page_cursor,
            )
            return page

        def audit_pages(before: tuple[datetime, str] | None, size: int) -> list[Event]:
            return list(
                self.hub.state.account_events(
                    self.name,
                    account_id,
                    since=timeline.since,
                    until=timeline.until,
                    before=before,
                    skip_actions=_SHOWN_AS_RECORDS,
                    limit=size,
                )
            )

        keeps = op.name in self.capabilities
        if not keeps and not timeline.wants_audit:
            raise self._not_supported(op.name, subject=account_id)
        return timeline.page(
            count, cursor, store_pages=store_pages if keeps else None, audit_pages=audit_pages
        )

    @covers("record_activity")
    def record_activity(
        self,
        account_id: str,
        *,
        kind: ActivityKind | str,
        at: datetime | None = None,
        ip: str | None = None,
        user_agent: str | None = None,
        detail: Detail | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> ActivityRecord:
        """Record something that happened to an account, in the store's own activity.

        For the customer-facing app (a login, a failed login, a password reset, ...) and for
        imports. The detail is a short note or a small map of short texts and never a secret:
        a key naming one (``password``, ``otp``, ``token``, ...) is refused.

        :param account_id: the account's id.
        :param kind: what happened, a store-side kind (not ``admin``).
        :param at: when (aware, not in the future); default now.
        :param ip: the client's IPv4 or IPv6 address.
        :param user_agent: the client's user agent (at most 512 characters).
        :param detail: a text of at most 512 characters, or at most 16 keys to texts of at most
            256 characters.
        :param reason: why, for the audit trail (optional).
        :param actor: the acting admin or application.
        :returns: the record as stored.
        :raises InvalidInput: for any bad value (before any I/O; never repeating a secret).
        :raises NotSupported: when the store keeps no activity of its own.
        :raises NotFound: when the account does not exist.
        """
        account_id = self._id(account_id)
        now = utc_now()
        if at is not None:
            check_instant(at, "at", store=self.name, latest=now)
        if (_check_kinds([kind], store=self.name) or frozenset()) - STORE_KINDS:
            raise InvalidInput(
                "kind 'admin' is the audit trail's; record a store-side kind",
                store=self.name,
                account=account_id,
            )
        try:
            record = ActivityRecord(
                id=new_record_id(),
                account_id=account_id,
                kind=kind,
                at=now if at is None else at,
                ip=ip,
                user_agent=user_agent,
                detail=detail,
            )
        except (ValueError, TypeError) as exc:
            raise InvalidInput(str(exc), store=self.name, account=account_id) from None
        context = self._context(actor, reason, need_reason=False)
        result: ActivityRecord = self._call(
            "record_activity", context, subject=account_id, account_id=account_id, record=record
        )
        return result


_SHOWN_AS_RECORDS = ("record_activity",)
"""Audit actions a timeline leaves out: the records they wrote are in it already."""


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else value.astimezone(UTC)


def _check_until(until: Any, since: datetime | None, *, store: str) -> datetime | None:
    if until is not None and (not isinstance(until, datetime) or until.tzinfo is None):
        raise InvalidInput("until must be a timezone-aware datetime", store=store)
    if until is not None and since is not None and until < since:
        raise InvalidInput("until must not be before since", store=store)
    return until


def _check_kinds(kinds: Any, *, store: str) -> frozenset[ActivityKind] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str) or not isinstance(kinds, Iterable):
        raise InvalidInput("kinds must be a list of activity kinds, not one string", store=store)
    found: set[ActivityKind] = set()
    for kind in kinds:
        try:
            found.add(ActivityKind(kind))
        except ValueError:
            raise InvalidInput(
                f"unknown activity kind {kind!r} (known: {', '.join(ActivityKind)})", store=store
            ) from None
    if not found:
        raise InvalidInput("kinds must name at least one activity kind", store=store)
    return frozenset(found)
