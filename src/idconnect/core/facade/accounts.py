"""Accounts: search, read, create (one or an import), update, enable, disable, delete."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

from idconnect.core.attributes import refuse_not_editable, typed_custom_values
from idconnect.core.changes import CUSTOM_CHANGES, changes_from_json, writable_values
from idconnect.core.convert import account_from_json
from idconnect.core.errors import IdconnectError, InvalidInput, NotSupported
from idconnect.core.facade.bulk import bulk_by_id, run_bulk
from idconnect.core.facade.calls import with_cursor
from idconnect.core.facade.explain import ExplainOperations
from idconnect.core.facade.notifications import NotificationOperations
from idconnect.core.filter import Filter
from idconnect.core.model import Account, BulkResult, Outcome
from idconnect.core.notification import Notified
from idconnect.core.opspec import covers
from idconnect.core.query import Page, iterate_pages

__all__ = ["AccountOperations"]


class AccountOperations(ExplainOperations, NotificationOperations):
    """The accounts family of :class:`~idconnect.core.facade.store.Store`."""

    @covers("search_accounts")
    def search_accounts(
        self,
        filter: str | Filter | None = None,
        *,
        sort_by: str | None = None,
        descending: bool = False,
        count: int = 50,
        cursor: str | None = None,
        attributes: Sequence[str] = (),
        include_total: bool = False,
        allow_scan: bool = False,
        actor: str | None = None,
    ) -> Page[Account]:
        """Find accounts: one page of those matching ``filter``.

        :param filter: SCIM filter text (``emails.value ew "@example.org"``) or a builder
            expression (``attr("active").eq(False)``); ``None`` for every account.
        :param sort_by: a single-valued attribute, e.g. ``meta.created``.
        :param descending: sort in descending order.
        :param count: page size, 1 to 1000.
        :param cursor: the ``next_cursor`` of the previous page of the same search.
        :param attributes: canonical attributes needed (a hint; stores may return more).
        :param include_total: ask for ``Page.total`` (may cost a count).
        :param allow_scan: run even a search that would read every account of a store larger
            than its ``scan_threshold`` (refused otherwise, before running).
        :param actor: the acting admin, else the hub's.
        :returns: the page.
        :raises FilterError: for a malformed filter (with the column) or an unknown attribute.
        :raises UnsupportedFilter: when the store cannot answer part of the filter exactly, or
            the search would scan a large store without ``allow_scan``.
        :raises NotSupported: when the store cannot search or sort.
        :raises InvalidInput: for a bad page size or cursor.
        """
        query = self._query(
            self.catalogue, filter, sort_by, descending, count, cursor, attributes, include_total
        )
        context = self._context(actor, None, need_reason=False)
        self._guard_scan(query, context, allow_scan)
        page: Page[Account] = self._call("search_accounts", context, query=query)
        return page

    @covers("search_accounts")
    def iter_accounts(
        self,
        filter: str | Filter | None = None,
        *,
        sort_by: str | None = None,
        descending: bool = False,
        page_size: int = 200,
        allow_scan: bool = False,
        actor: str | None = None,
    ) -> Iterator[Account]:
        """Iterate over every matching account, fetching one page at a time (flat memory).

        :param filter: as for :meth:`search_accounts`.
        :param sort_by: as for :meth:`search_accounts`.
        :param descending: as for :meth:`search_accounts`.
        :param page_size: accounts fetched per round trip, 1 to 1000.
        :param allow_scan: as for :meth:`search_accounts`.
        :param actor: the acting admin.
        :returns: an iterator of accounts.
        :raises FilterError: as :meth:`search_accounts`, when iteration starts.
        """
        query = self._query(self.catalogue, filter, sort_by, descending, page_size, None)

        def fetch(cursor: str | None) -> Page[Account]:
            context = self._context(actor, None, need_reason=False)
            if cursor is None:
                self._guard_scan(query, context, allow_scan)
            page: Page[Account] = self._call(
                "search_accounts", context, query=with_cursor(query, cursor)
            )
            return page

        return iterate_pages(fetch)

    @covers("get_account")
    def get_account(self, account_id: str, *, actor: str | None = None) -> Account:
        """Read one account.

        :param account_id: the store's stable id.
        :param actor: the acting admin.
        :returns: the account.
        :raises NotFound: when it does not exist.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        account: Account = self._call(
            "get_account", context, subject=account_id, account_id=account_id
        )
        return account

    @covers("create_account")
    def create_account(
        self,
        resource: Account | Mapping[str, Any],
        *,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Account:
        """Create an account.

        :param resource: an Account, or its canonical JSON (SCIM User document).
        :param reason: why.
        :param actor: the acting admin.
        :returns: the account as stored, with its ``id``.
        :raises InvalidInput: for an invalid resource.
        :raises Conflict: when the userName is taken.
        """
        try:
            account = self._typed(
                resource if isinstance(resource, Account) else account_from_json(resource)
            )
        except IdconnectError as exc:
            raise exc.in_context(store=self.name) from exc.__cause__
        context = self._context(actor, reason, need_reason=False)
        created: Account = self._call("create_account", context, account=account)
        return created

    def _typed(self, account: Account) -> Account:
        return typed_custom_values(account, self.custom_attributes, store=self.name)

    @covers("create_account")
    def create_accounts(
        self,
        resources: Iterable[Account | Mapping[str, Any]],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Create many accounts (an import); one bad resource never stops the others.

        :param resources: Accounts or canonical JSON documents.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: one outcome per resource, in order: ``account_id`` is the new id and
            ``account`` the account as stored, or, on failure, ``account_id`` is the requested
            ``userName`` (``#N`` for a resource without one) and ``error`` says why.
        :raises InvalidInput: for a missing reason.
        :raises NotSupported: when the store cannot create accounts.
        """
        context = self._context(actor, reason, need_reason=True)
        parsed: list[Account | Outcome] = []
        for n, resource in enumerate(resources):
            try:
                parsed.append(
                    self._typed(
                        resource if isinstance(resource, Account) else account_from_json(resource)
                    )
                )
            except IdconnectError as exc:
                name = resource.get("userName") if isinstance(resource, Mapping) else None
                label = name if isinstance(name, str) and name.strip() else f"#{n}"
                parsed.append(Outcome(account_id=label, error=exc.in_context(store=self.name)))
        valid = [p for p in parsed if isinstance(p, Account)]
        created = iter(
            run_bulk(
                self,
                context,
                "create_account",
                valid,
                [a.user_name for a in valid],
                progress=progress,
            )
        )
        outcomes = []
        for item in parsed:
            if isinstance(item, Outcome):
                outcomes.append(item)
                if progress is not None:
                    progress(1)
            else:
                outcomes.append(next(created))
        return self._report(BulkResult(action="create_account", outcomes=outcomes))

    @overload
    def update_account(
        self,
        account_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
        notify: None = None,
    ) -> Account: ...

    @overload
    def update_account(
        self,
        account_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
        notify: str,
    ) -> Notified[Account]: ...

    @covers("update_account")
    def update_account(
        self,
        account_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
        notify: str | None = None,
    ) -> Account | Notified[Account]:
        """Change some attributes of an account.

        Partial name changes (``{"name.givenName": "Barbara"}``) are merged into the current name;
        then, without an ``expected_version``, the version just read is used, so a concurrent
        change is never overwritten.

        :param account_id: the store's stable id.
        :param changes: attribute name to new value (canonical JSON or typed); ``None`` clears.
        :param expected_version: the version the caller saw (SCIM ETag), to refuse stale updates.
        :param reason: why.
        :param actor: the acting admin.
        :param notify: a client to tell the customer through (event ``profile_updated``, the
            changed attribute names only), checked against the selection rules before the
            change and sent after it.
        :returns: the account after the change; with ``notify``, a
            :class:`~idconnect.core.notification.Notified` holding it and the notification
            (a failed send is reported there, the change stands).
        :raises InvalidInput: for an unknown, read-only or badly typed attribute, or a client
            the selection rules refuse (before anything changes).
        :raises NotFound: when the account does not exist.
        :raises Conflict: when ``expected_version`` is stale or a unique value is taken.
        :raises PermissionDenied: with ``notify``, without ``notifications.send``.
        """
        account_id = self._id(account_id)
        if not isinstance(changes, Mapping) or not changes:
            raise InvalidInput("changes must be a non-empty mapping", store=self.name)
        current = None
        if any("." in key for key in changes):
            current = self.get_account(account_id, actor=actor)
            if expected_version is None:
                expected_version = current.version
        try:
            typed = changes_from_json(
                changes, current, custom=self.custom_attributes, store=self.name
            )
        except IdconnectError as exc:
            raise exc.in_context(store=self.name, account=account_id) from exc.__cause__
        unknown = [k for k in typed if k != CUSTOM_CHANGES and not self._holds(k)]
        if unknown:
            raise NotSupported(
                f"this store does not hold {unknown[0]!r}", store=self.name, account=account_id
            )
        refuse_not_editable(self.catalogue, typed, store=self.name, account_id=account_id)
        context = self._context(actor, reason, need_reason=False)
        pending = self._before_notify(notify, context, (account_id,))
        updated: Account = self._call(
            "update_account",
            context,
            subject=account_id,
            account_id=account_id,
            changes=typed,
            expected_version=expected_version,
        )
        if pending is None:
            return updated
        changed = {"changed": sorted(k for k in typed if k != CUSTOM_CHANGES)}
        return self._after_notify(pending, updated, "profile_updated", (account_id,), changed)

    @covers("update_account")
    def replace_account(
        self,
        account_id: str,
        resource: Account | Mapping[str, Any],
        *,
        expected_version: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Account:
        """Replace every writable attribute of an account with the resource's values.

        :param account_id: the store's stable id.
        :param resource: the new state, an Account or canonical JSON; read-only parts are ignored.
        :param expected_version: the version the caller saw; defaults to ``resource``'s version.
        :param reason: why.
        :param actor: the acting admin.
        :returns: the account after the change.
        :raises InvalidInput: for an invalid resource.
        :raises Conflict: when the version is stale.
        """
        try:
            account = self._typed(
                resource if isinstance(resource, Account) else account_from_json(resource)
            )
        except IdconnectError as exc:
            raise exc.in_context(store=self.name, account=account_id) from exc.__cause__
        changes = writable_values(account)
        changes = {
            k: v
            for k, v in changes.items()
            if (self._holds(k) and self._editable(k)) or v not in (None, ())
        }
        changes.update(
            {
                d.path: account.attributes.get(d.path)
                for d in self.custom_attributes.values()
                if d.mutable
            }
        )
        return self.update_account(
            account_id,
            changes,
            expected_version=expected_version or account.version,
            reason=reason,
            actor=actor,
        )

    @overload
    def enable_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
        notify: None = None,
    ) -> BulkResult: ...

    @overload
    def enable_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
        notify: str,
    ) -> Notified[BulkResult]: ...

    @covers("set_account_enabled")
    def enable_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
        notify: str | None = None,
    ) -> BulkResult | Notified[BulkResult]:
        """Enable accounts: their holders can log in again.

        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome.
        :raises InvalidInput: for a missing reason or a malformed id (before anything changes).
        :raises NotSupported: when the store cannot enable accounts.

        With ``notify`` (a client), each account the change succeeded for is told (event
        ``account_enabled``) and the result is a :class:`~idconnect.core.notification.Notified`
        holding the bulk result and one notification per such account.
        """
        return self._set_enabled_many(ids, True, reason, actor, progress, notify)

    @overload
    def disable_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
        notify: None = None,
    ) -> BulkResult: ...

    @overload
    def disable_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
        notify: str,
    ) -> Notified[BulkResult]: ...

    @covers("set_account_enabled")
    def disable_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
        notify: str | None = None,
    ) -> BulkResult | Notified[BulkResult]:
        """Disable accounts: their holders cannot log in; their data stays.

        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome.
        :raises InvalidInput: for a missing reason or a malformed id (before anything changes).
        :raises NotSupported: when the store cannot disable accounts.

        With ``notify`` (a client), each account the change succeeded for is told (event
        ``account_disabled``) and the result is a :class:`~idconnect.core.notification.Notified`
        holding the bulk result and one notification per such account.
        """
        return self._set_enabled_many(ids, False, reason, actor, progress, notify)

    def _set_enabled_many(
        self,
        ids: Iterable[str],
        enabled: bool,
        reason: str,
        actor: str | None,
        progress: Callable[[int], None] | None,
        notify: str | None,
    ) -> BulkResult | Notified[BulkResult]:
        """Enable or disable accounts, telling each changed one through ``notify`` if given."""
        action = "enable" if enabled else "disable"
        pending = self._before_notify(notify, self._context(actor, reason, need_reason=True))
        result = bulk_by_id(
            self,
            f"{action}_account",
            "set_account_enabled",
            ids,
            reason=reason,
            actor=actor,
            extra={"enabled": enabled},
            progress=progress,
        )
        if pending is None:
            return result
        return self._after_notify(pending, result, f"account_{action}d", result.succeeded)

    @covers("delete_account")
    def delete_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Delete accounts and everything hanging off them. Irreversible.

        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome.
        :raises InvalidInput: for a missing reason or a malformed id (before anything changes).
        :raises NotSupported: when the store cannot delete accounts.
        """
        return bulk_by_id(
            self,
            "delete_account",
            "delete_account",
            ids,
            reason=reason,
            actor=actor,
            progress=progress,
        )
