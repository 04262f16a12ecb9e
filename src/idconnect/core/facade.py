"""The facade: ``connect()`` gives a Hub; ``hub.store(name)`` gives a Store with every operation.

Support tools, the CLI, examples and tests call only this. A Store checks every user-supplied
value, refuses an operation its backend lacks with ``NotSupported`` before any I/O, passes a
:class:`~idconnect.core.context.CallContext` to the backend through its own plugin manager, and
makes sure that what escapes is an :class:`~idconnect.core.errors.IdconnectError` naming the store
and the account.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import getpass
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

import pluggy
from attrs import evolve

from idconnect.core.audit import AuditTrail
from idconnect.core.config import HubConfig, StoreConfig, load_config
from idconnect.core.context import CallContext, new_request_id
from idconnect.core.convert import (
    account_from_json,
    changes_from_json,
    group_from_json,
    to_json,
    writable_values,
)
from idconnect.core.errors import (
    ConfigError,
    IdconnectError,
    InvalidInput,
    NotSupported,
    PluginError,
)
from idconnect.core.filter import Filter, bind, parse, resolve_path
from idconnect.core.filter.ast import AttrPath
from idconnect.core.masking import SUPPORT_ADDABLE
from idconnect.core.model import (
    Account,
    Authenticator,
    AuthenticatorKind,
    BulkResult,
    Event,
    Group,
    Outcome,
    Role,
    RoleAssignment,
    Secret,
    Session,
)
from idconnect.core.plugins import (
    implemented_operations,
    make_root_manager,
    make_store_manager,
    store_types,
)
from idconnect.core.query import Page, Query, iterate_pages
from idconnect.core.schema import GROUP_CATALOGUE, USER_CATALOGUE, Catalogue
from idconnect.core.state import StateDatabase

__all__ = ["Hub", "Store", "connect"]

log = logging.getLogger("idconnect")

T = TypeVar("T")

_MAX_ID = 512
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DEFAULT_BATCH = 1000
_PLUGIN_HINTS = {
    "sql": "pip install idconnect-sql (in this repository: pip install -e plugins/sql_store)",
    "ldap": "pip install idconnect-ldap (in this repository: pip install -e plugins/ldap_store)",
    "rest": "pip install idconnect-rest (in this repository: pip install -e plugins/rest_store)",
}


def connect(
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    plugins: Iterable[object] = (),
) -> Hub:
    """Open a hub over the configured identity stores.

    :param config: a TOML file path, a dict of the same shape, or ``None`` for
        ``$IDCONNECT_CONFIG`` or else the embedded SQLite default (a store named ``default``).
    :param plugins: extra plugin objects to register besides the ``idconnect`` entry points.
    :returns: the hub; close it with :meth:`Hub.close` or use it as a context manager.
    :raises ConfigError: for a bad config, an unknown store type, or settings a backend refuses.
    :raises PluginError: when a plugin fails to load or implements an unknown hook.
    """
    return Hub(load_config(config), plugins=plugins)


def _check_text(value: Any, what: str, *, store: str | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} must be non-empty text, got {value!r}", store=store)
    if len(value) > _MAX_ID or _CONTROL.search(value):
        raise InvalidInput(
            f"{what} must be at most {_MAX_ID} characters without control characters", store=store
        )
    return value


class Hub:
    """The configured stores, their plugins and the hub's state (audit trail).

    Build it with :func:`connect`.
    """

    def __init__(self, config: HubConfig, *, plugins: Iterable[object] = ()) -> None:
        self.config = config
        self.state = StateDatabase(config.state_url)
        self.audit = AuditTrail(self.state)
        self._actor: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            "idconnect_actor", default=None
        )
        self._root = make_root_manager(plugins)
        types = store_types(self._root)
        cross_cutting = [self.audit, *(p for p in self._root.get_plugins())]
        self._stores: dict[str, Store] = {}
        for name, store_config in config.stores.items():
            factory = types.get(store_config.plugin)
            if factory is None:
                hint = _PLUGIN_HINTS.get(store_config.plugin)
                raise store_config.error(
                    "plugin",
                    f"unknown store type {store_config.plugin!r}"
                    f" (installed: {', '.join(sorted(types)) or 'none'})"
                    + (f"; {hint}" if hint else ""),
                )
            try:
                backend = factory(store_config)
            except IdconnectError as exc:
                raise exc.in_context(store=name) from exc.__cause__
            except Exception as exc:
                raise PluginError(
                    f"store type {store_config.plugin!r} failed to start: {type(exc).__name__}",
                    store=name,
                ) from exc
            pm = make_store_manager(name, backend, cross_cutting)
            self._stores[name] = Store(self, store_config, backend, pm)

    @property
    def stores(self) -> tuple[str, ...]:
        """The configured store names, in config order."""
        return tuple(self._stores)

    def store(self, name: str) -> Store:
        """Return the facade of one store.

        :param name: a configured store name.
        :returns: the store.
        :raises ConfigError: when no store has that name (the message lists the configured ones).
        """
        try:
            return self._stores[name]
        except KeyError:
            where = f"config file {self.config.source}" if self.config.source else "config"
            known = ", ".join(self._stores) or "none"
            raise ConfigError(
                f"{where}: no store named {name!r} (configured: {known})",
                store=name,
            ) from None

    @property
    def actor(self) -> str:
        """The acting admin: set by :meth:`acting_as`, else the operating-system user."""
        return self._actor.get() or self._os_user

    @functools.cached_property
    def _os_user(self) -> str:
        return getpass.getuser()

    @contextlib.contextmanager
    def acting_as(self, actor: str) -> Iterator[Hub]:
        """Attribute every call inside the ``with`` block to ``actor``.

        :param actor: the admin's name or id.
        :returns: a context manager yielding the hub.
        :raises InvalidInput: when ``actor`` is empty or not text.
        """
        token = self._actor.set(_check_text(actor, "actor"))
        try:
            yield self
        finally:
            self._actor.reset(token)

    def close(self) -> None:
        """Close every store's connections and the state database."""
        for store in self._stores.values():
            store.close()
        self.state.close()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store:
    """One store's operations. Get it from :meth:`Hub.store`.

    Every method takes an optional keyword ``actor`` (else the hub's); mutations take ``reason``,
    required for bulk and destructive ones. Bulk methods return a :class:`BulkResult` with each
    account's outcome and never raise for one account's failure; a backend's set-based bulk hook
    receives at most ``batch_size`` ids per call (the store's ``batch_size`` setting, default
    1000).
    """

    def __init__(self, hub: Hub, config: StoreConfig, backend: object, pm: pluggy.PluginManager):
        self.hub = hub
        self.name = config.name
        self.config = config
        self.backend = backend
        self._pm = pm
        self._implemented = implemented_operations(pm, backend)
        self.batch_size = config.get("batch_size", int, _DEFAULT_BATCH)
        if not 1 <= self.batch_size <= 100_000:
            raise config.error("batch_size", "must be from 1 to 100000")
        self._capabilities: frozenset[str] | None = None
        self._catalogue: Catalogue | None = None

    def __repr__(self) -> str:
        return f"<Store {self.name!r} plugin={self.config.plugin!r}>"

    # -- plumbing ---------------------------------------------------------------------------------

    def _context(self, actor: str | None, reason: str | None, *, need_reason: bool) -> CallContext:
        if need_reason or reason is not None:
            _check_text(reason, "reason", store=self.name)
        who = _check_text(actor, "actor", store=self.name) if actor is not None else self.hub.actor
        return CallContext(store=self.name, actor=who, reason=reason, request_id=new_request_id())

    def _call(
        self, op: str, context: CallContext, *, subject: str | None = None, **kwargs: Any
    ) -> Any:
        if op not in self.capabilities:
            raise NotSupported(
                f"this store ({self.config.plugin}) cannot {op.replace('_', ' ')}",
                store=self.name,
                account=subject,
                operation=op,
            )
        return self._hook(op, context, subject=subject, **kwargs)

    def _hook(self, name: str, context: CallContext, *, subject: str | None, **kwargs: Any) -> Any:
        try:
            return getattr(self._pm.hook, f"idconnect_{name}")(context=context, **kwargs)
        except IdconnectError as exc:
            raise exc.in_context(store=self.name, account=subject) from exc.__cause__
        except Exception as exc:
            log.debug("backend of store %r raised in %s", self.name, name, exc_info=True)
            raise PluginError(
                f"the {self.config.plugin!r} backend failed in {name}: {type(exc).__name__}"
                " (a bug in the plugin)",
                store=self.name,
                account=subject,
            ) from exc

    def _system_context(self) -> CallContext:
        return CallContext(store=self.name, actor=self.hub.actor)

    @property
    def capabilities(self) -> frozenset[str]:
        """The operations this store can do, e.g. ``{"get_account", "search_accounts", ...}``.

        Derived from the hooks its backend implements, narrowed by what the backend says is
        available (a mapped schema without sessions, a SCIM server without bulk).

        :raises StoreUnavailable: when narrowing needs the store and it is down.
        """
        if self._capabilities is None:
            narrowed = self._hook(
                "available_operations",
                self._system_context(),
                subject=None,
                implemented=self._implemented,
            )
            self._capabilities = (
                self._implemented if narrowed is None else frozenset(narrowed) & self._implemented
            )
        return self._capabilities

    @property
    def catalogue(self) -> Catalogue:
        """The account attributes this store holds and can filter on."""
        if self._catalogue is None:
            found = self._hook("catalogue", self._system_context(), subject=None)
            self._catalogue = found if found is not None else USER_CATALOGUE
        return self._catalogue

    def ping(self) -> bool:
        """Check that the store answers.

        :returns: ``True``; a store whose backend has no health check is assumed reachable.
        :raises StoreUnavailable: when it cannot be reached.
        """
        return bool(self._hook("ping", self._system_context(), subject=None) in (None, True))

    def refresh(self) -> None:
        """Make the backend learn the store anew, then derive capabilities and catalogue again.

        :raises StoreUnavailable: when the store cannot be asked.
        """
        self._hook("refresh", self._system_context(), subject=None)
        self._capabilities = None
        self._catalogue = None

    def close(self) -> None:
        """Release the store's connections."""
        self._hook("close", self._system_context(), subject=None)

    def _id(self, value: Any, what: str = "account id") -> str:
        return _check_text(value, what, store=self.name)

    def _query(
        self,
        catalogue: Catalogue,
        filter: str | Filter | None,
        sort_by: str | None,
        descending: bool,
        count: int,
        cursor: str | None,
        attributes: Sequence[str] = (),
        include_total: bool = False,
    ) -> Query:
        try:
            bound = None
            if filter is not None:
                tree = parse(filter) if isinstance(filter, str) else filter
                bound = bind(tree, catalogue)
            sort_path = None
            if sort_by is not None:
                definition = resolve_path(AttrPath.of(_check_text(sort_by, "sort_by")), catalogue)
                if not definition.sortable:
                    raise InvalidInput(f"cannot sort by multi-valued attribute {definition.path!r}")
                sort_path = AttrPath.of(definition.path)
            if cursor is not None:
                _check_text(cursor, "cursor")
            for name in attributes:
                resolve_path(AttrPath.of(name), catalogue)
            return Query(
                filter=bound,
                sort_by=sort_path,
                descending=bool(descending),
                count=count,
                cursor=cursor,
                attributes=tuple(attributes),
                include_total=include_total,
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), store=self.name) from exc
        except IdconnectError as exc:
            raise exc.in_context(store=self.name) from exc.__cause__

    # -- accounts ---------------------------------------------------------------------------------

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
        :param actor: the acting admin, else the hub's.
        :returns: the page.
        :raises FilterError: for a malformed filter (with the column) or an unknown attribute.
        :raises UnsupportedFilter: when the store cannot answer part of the filter exactly.
        :raises NotSupported: when the store cannot search or sort.
        :raises InvalidInput: for a bad page size or cursor.
        """
        query = self._query(
            self.catalogue, filter, sort_by, descending, count, cursor, attributes, include_total
        )
        context = self._context(actor, None, need_reason=False)
        page: Page[Account] = self._call("search_accounts", context, query=query)
        return page

    def iter_accounts(
        self,
        filter: str | Filter | None = None,
        *,
        sort_by: str | None = None,
        descending: bool = False,
        page_size: int = 200,
        actor: str | None = None,
    ) -> Iterator[Account]:
        """Iterate over every matching account, fetching one page at a time (flat memory).

        :param filter: as for :meth:`search_accounts`.
        :param sort_by: as for :meth:`search_accounts`.
        :param descending: as for :meth:`search_accounts`.
        :param page_size: accounts fetched per round trip, 1 to 1000.
        :param actor: the acting admin.
        :returns: an iterator of accounts.
        :raises FilterError: as :meth:`search_accounts`, when iteration starts.
        """
        query = self._query(self.catalogue, filter, sort_by, descending, page_size, None)

        def fetch(cursor: str | None) -> Page[Account]:
            context = self._context(actor, None, need_reason=False)
            page: Page[Account] = self._call(
                "search_accounts", context, query=_with_cursor(query, cursor)
            )
            return page

        return iterate_pages(fetch)

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
            account = resource if isinstance(resource, Account) else account_from_json(resource)
        except IdconnectError as exc:
            raise exc.in_context(store=self.name) from exc.__cause__
        context = self._context(actor, reason, need_reason=False)
        created: Account = self._call("create_account", context, account=account)
        return created

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
                    resource if isinstance(resource, Account) else account_from_json(resource)
                )
            except IdconnectError as exc:
                name = resource.get("userName") if isinstance(resource, Mapping) else None
                label = name if isinstance(name, str) and name.strip() else f"#{n}"
                parsed.append(Outcome(account_id=label, error=exc.in_context(store=self.name)))
        valid = [p for p in parsed if isinstance(p, Account)]
        caps = self.capabilities
        created: list[Account | Exception] = []
        if "bulk_create_accounts" in caps:
            for start in range(0, len(valid), self.batch_size):
                batch = valid[start : start + self.batch_size]
                try:
                    got = list(
                        self._hook("bulk_create_accounts", context, subject=None, accounts=batch)
                    )
                except IdconnectError as exc:
                    got = [exc] * len(batch)
                if len(got) != len(batch):
                    raise PluginError(
                        "bulk_create_accounts returned a result count that does not match",
                        store=self.name,
                    )
                created.extend(got)
                if progress is not None:
                    progress(len(batch))
        elif "create_account" in caps:
            created = self._map(
                valid,
                lambda a: self._hook("create_account", context, subject=None, account=a),
                progress,
            )
        else:
            raise NotSupported(
                f"this store ({self.config.plugin}) cannot create accounts",
                store=self.name,
                operation="create_account",
            )
        answers = iter(created)
        outcomes = []
        for item in parsed:
            if isinstance(item, Outcome):
                outcomes.append(item)
                if progress is not None:
                    progress(1)
                continue
            answer = next(answers)
            if isinstance(answer, Account) and answer.id:
                outcomes.append(Outcome(account_id=answer.id, account=answer))
            else:
                error = (
                    answer
                    if isinstance(answer, IdconnectError)
                    else PluginError(
                        "the backend returned neither an account nor an error", store=self.name
                    )
                )
                outcomes.append(
                    Outcome(account_id=item.user_name, error=error.in_context(store=self.name))
                )
        return self._report(BulkResult(action="create_account", outcomes=outcomes))

    def update_account(
        self,
        account_id: str,
        changes: Mapping[str, Any],
        *,
        expected_version: str | None = None,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Account:
        """Change some attributes of an account.

        Partial name changes (``{"name.givenName": "Barbara"}``) are merged into the current name;
        then, without an ``expected_version``, the version just read is used, so a concurrent
        change is never overwritten.

        :param account_id: the store's stable id.
        :param changes: attribute name to new value (canonical JSON or typed); ``None`` clears.
        :param expected_version: the version the caller saw (SCIM ETag), to refuse stale updates.
        :param reason: why.
        :param actor: the acting admin.
        :returns: the account after the change.
        :raises InvalidInput: for an unknown, read-only or badly typed attribute.
        :raises NotFound: when the account does not exist.
        :raises Conflict: when ``expected_version`` is stale or a unique value is taken.
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
            typed = changes_from_json(changes, current)
        except IdconnectError as exc:
            raise exc.in_context(store=self.name, account=account_id) from exc.__cause__
        unknown = [k for k in typed if not self._holds(k)]
        if unknown:
            raise NotSupported(
                f"this store does not hold {unknown[0]!r}", store=self.name, account=account_id
            )
        context = self._context(actor, reason, need_reason=False)
        updated: Account = self._call(
            "update_account",
            context,
            subject=account_id,
            account_id=account_id,
            changes=typed,
            expected_version=expected_version,
        )
        return updated

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
            account = resource if isinstance(resource, Account) else account_from_json(resource)
        except IdconnectError as exc:
            raise exc.in_context(store=self.name, account=account_id) from exc.__cause__
        changes = writable_values(account)
        changes = {k: v for k, v in changes.items() if self._holds(k) or v not in (None, ())}
        return self.update_account(
            account_id,
            changes,
            expected_version=expected_version or account.version,
            reason=reason,
            actor=actor,
        )

    def _holds(self, top_level: str) -> bool:
        catalogue = self.catalogue
        return top_level in catalogue or catalogue.is_complex(top_level)

    def enable_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Enable accounts: their holders can log in again.

        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome.
        :raises InvalidInput: for a missing reason or a malformed id (before anything changes).
        :raises NotSupported: when the store cannot enable accounts.
        """
        return self._set_enabled(ids, True, reason, actor, progress)

    def disable_accounts(
        self,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Disable accounts: their holders cannot log in; their data stays.

        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome.
        :raises InvalidInput: for a missing reason or a malformed id (before anything changes).
        :raises NotSupported: when the store cannot disable accounts.
        """
        return self._set_enabled(ids, False, reason, actor, progress)

    def _set_enabled(
        self,
        ids: Iterable[str],
        enabled: bool,
        reason: str,
        actor: str | None,
        progress: Callable[[int], None] | None,
    ) -> BulkResult:
        action = "enable_account" if enabled else "disable_account"
        return self._bulk(
            action,
            ids,
            reason,
            actor,
            bulk="bulk_set_accounts_enabled",
            single="set_account_enabled",
            extra={"enabled": enabled},
            progress=progress,
        )

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
        return self._bulk(
            "delete_account",
            ids,
            reason,
            actor,
            bulk="bulk_delete_accounts",
            single="delete_account",
            progress=progress,
        )

    def _bulk(
        self,
        action: str,
        ids: Iterable[str],
        reason: str,
        actor: str | None,
        *,
        bulk: str,
        single: str,
        extra: Mapping[str, Any] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        if isinstance(ids, str):
            raise InvalidInput("ids must be a list of account ids, not one string", store=self.name)
        wanted = list(dict.fromkeys(self._id(i) for i in ids))
        context = self._context(actor, reason, need_reason=True)
        extra = dict(extra or {})
        caps = self.capabilities
        if bulk in caps:
            outcomes: list[Outcome] = []
            size = self.batch_size
            for start in range(0, len(wanted), size):
                batch = wanted[start : start + size]
                try:
                    got = self._hook(bulk, context, subject=None, account_ids=batch, **extra)
                except IdconnectError as exc:
                    outcomes.extend(Outcome(account_id=i, error=exc) for i in batch)
                    if progress is not None:
                        progress(len(batch))
                    continue
                if [o.account_id for o in got] != batch:
                    raise PluginError(
                        f"{bulk} returned outcomes that do not match the ids asked for",
                        store=self.name,
                    )
                for outcome in got:
                    if isinstance(outcome.error, IdconnectError):
                        outcome.error.in_context(store=self.name, account=outcome.account_id)
                outcomes.extend(got)
                if progress is not None:
                    progress(len(batch))
            result = BulkResult(action=action, outcomes=outcomes)
        elif single in caps:
            result = BulkResult(
                action=action,
                outcomes=self._each(
                    wanted,
                    lambda i: self._hook(single, context, subject=i, account_id=i, **extra),
                    progress,
                ),
            )
        else:
            raise NotSupported(
                f"this store ({self.config.plugin}) cannot {action.replace('_', ' ')}",
                store=self.name,
                operation=single,
            )
        return self._report(result)

    def _report(self, result: BulkResult) -> BulkResult:
        if not result.ok:
            log.warning(
                "store %r: %s failed for %d of %d accounts",
                self.name,
                result.action,
                len(result.failed),
                len(result.outcomes),
            )
        return result

    def _each(
        self,
        ids: Sequence[str],
        run: Callable[[str], Any],
        progress: Callable[[int], None] | None,
    ) -> list[Outcome]:
        results = self._map(ids, run, progress)
        return [
            Outcome(account_id=i, error=r if isinstance(r, IdconnectError) else None)
            for i, r in zip(ids, results, strict=True)
        ]

    def _map(
        self,
        items: Sequence[T],
        run: Callable[[T], Any],
        progress: Callable[[int], None] | None,
    ) -> list[Any]:
        """Run ``run`` on each item with the hub's bounded concurrency, in order.

        :returns: per item, what ``run`` returned or the IdconnectError it raised.
        """

        def one(item: T) -> Any:
            try:
                return run(item)
            except IdconnectError as exc:
                return exc
            finally:
                if progress is not None:
                    progress(1)

        if len(items) <= 1 or self.hub.config.concurrency == 1:
            return [one(i) for i in items]
        with ThreadPoolExecutor(max_workers=self.hub.config.concurrency) as pool:
            return list(pool.map(one, items))

    # -- groups -----------------------------------------------------------------------------------

    def search_groups(
        self,
        filter: str | Filter | None = None,
        *,
        sort_by: str | None = None,
        descending: bool = False,
        count: int = 50,
        cursor: str | None = None,
        actor: str | None = None,
    ) -> Page[Group]:
        """Find groups by ``displayName`` or ``id``.

        :param filter: SCIM filter text or builder expression over ``id`` and ``displayName``.
        :param sort_by: ``displayName`` or ``id``.
        :param descending: sort in descending order.
        :param count: page size, 1 to 1000.
        :param cursor: the ``next_cursor`` of the previous page.
        :param actor: the acting admin.
        :returns: a page of groups (without members).
        :raises FilterError: for a malformed filter.
        """
        query = self._query(GROUP_CATALOGUE, filter, sort_by, descending, count, cursor)
        context = self._context(actor, None, need_reason=False)
        page: Page[Group] = self._call("search_groups", context, query=query)
        return page

    def iter_groups(
        self, filter: str | Filter | None = None, *, actor: str | None = None
    ) -> Iterator[Group]:
        """Iterate over every matching group, one page at a time.

        :param filter: as for :meth:`search_groups`.
        :param actor: the acting admin.
        :returns: an iterator of groups.
        """
        query = self._query(GROUP_CATALOGUE, filter, None, False, 200, None)

        def fetch(cursor: str | None) -> Page[Group]:
            context = self._context(actor, None, need_reason=False)
            page: Page[Group] = self._call(
                "search_groups", context, query=_with_cursor(query, cursor)
            )
            return page

        return iterate_pages(fetch)

    def get_group(self, group_id: str, *, actor: str | None = None) -> Group:
        """Read a group with its members.

        :param group_id: the group's id.
        :param actor: the acting admin.
        :returns: the group.
        :raises NotFound: when it does not exist.
        """
        group_id = self._id(group_id, "group id")
        context = self._context(actor, None, need_reason=False)
        group: Group = self._call("get_group", context, group_id=group_id)
        return group

    def create_group(
        self,
        resource: Group | Mapping[str, Any],
        *,
        reason: str | None = None,
        actor: str | None = None,
    ) -> Group:
        """Create a group.

        :param resource: a Group or a SCIM Group document.
        :param reason: why.
        :param actor: the acting admin.
        :returns: the group as stored.
        :raises InvalidInput: for an invalid resource.
        :raises Conflict: when the name is taken.
        """
        try:
            group = resource if isinstance(resource, Group) else group_from_json(resource)
        except IdconnectError as exc:
            raise exc.in_context(store=self.name) from exc.__cause__
        context = self._context(actor, reason, need_reason=False)
        created: Group = self._call("create_group", context, group=group)
        return created

    def delete_group(self, group_id: str, *, reason: str, actor: str | None = None) -> None:
        """Delete a group; its members stay.

        :param group_id: the group's id.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises NotFound: when it does not exist.
        """
        group_id = self._id(group_id, "group id")
        context = self._context(actor, reason, need_reason=True)
        self._call("delete_group", context, group_id=group_id)

    def add_to_group(
        self,
        group_id: str,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Add accounts to a group.

        :param group_id: the group's id.
        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome (an unknown group fails every account).
        """
        group_id = self._id(group_id, "group id")
        return self._bulk(
            "add_group_member",
            ids,
            reason,
            actor,
            bulk="bulk_add_group_members",
            single="add_group_member",
            extra={"group_id": group_id},
            progress=progress,
        )

    def remove_from_group(
        self,
        group_id: str,
        ids: Iterable[str],
        *,
        reason: str,
        actor: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> BulkResult:
        """Remove accounts from a group.

        :param group_id: the group's id.
        :param ids: account ids.
        :param reason: why (required).
        :param actor: the acting admin.
        :param progress: called with how many more accounts are done, as they get done.
        :returns: each account's outcome.
        """
        group_id = self._id(group_id, "group id")
        return self._bulk(
            "remove_group_member",
            ids,
            reason,
            actor,
            bulk="bulk_remove_group_members",
            single="remove_group_member",
            extra={"group_id": group_id},
            progress=progress,
        )

    # -- roles ------------------------------------------------------------------------------------

    def list_roles(self, *, actor: str | None = None) -> list[Role]:
        """List the roles the store can assign.

        :param actor: the acting admin.
        :returns: the roles.
        """
        context = self._context(actor, None, need_reason=False)
        return list(self._call("list_roles", context))

    def assign_role(
        self,
        account_id: str,
        role: str,
        *,
        organization: str | None = None,
        reason: str,
        actor: str | None = None,
    ) -> None:
        """Give an account a role, in an organization or globally.

        :param account_id: the account's id.
        :param role: the role's name.
        :param organization: the organization the role applies to; ``None`` for global.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises NotFound: when the account does not exist.
        """
        self._role_call("assign_role", account_id, role, organization, reason, actor)

    def unassign_role(
        self,
        account_id: str,
        role: str,
        *,
        organization: str | None = None,
        reason: str,
        actor: str | None = None,
    ) -> None:
        """Take a role away from an account.

        :param account_id: the account's id.
        :param role: the role's name.
        :param organization: the organization it applied to; ``None`` for global.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises NotFound: when the account does not hold it.
        """
        self._role_call("unassign_role", account_id, role, organization, reason, actor)

    def _role_call(
        self,
        op: str,
        account_id: str,
        role: str,
        organization: str | None,
        reason: str,
        actor: str | None,
    ) -> None:
        account_id = self._id(account_id)
        assignment = RoleAssignment(
            role=self._id(role, "role"),
            organization=None if organization is None else self._id(organization, "organization"),
        )
        context = self._context(actor, reason, need_reason=True)
        self._call(op, context, subject=account_id, account_id=account_id, assignment=assignment)

    # -- authenticators ---------------------------------------------------------------------------

    def list_authenticators(
        self, account_id: str, *, actor: str | None = None
    ) -> list[Authenticator]:
        """List an account's authentication methods (masked, no secrets).

        :param account_id: the account's id.
        :param actor: the acting admin.
        :returns: the methods.
        :raises NotFound: when the account does not exist.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        return list(
            self._call("list_authenticators", context, subject=account_id, account_id=account_id)
        )

    def add_authenticator(
        self,
        account_id: str,
        kind: str | AuthenticatorKind,
        value: str,
        *,
        verified: bool = False,
        reason: str,
        actor: str | None = None,
    ) -> Authenticator:
        """Add an email address or phone number as an authentication method.

        :param account_id: the account's id.
        :param kind: ``email`` or ``phone``.
        :param value: the address or the number (E.164, e.g. ``+447700900123``).
        :param verified: whether support verified it with the customer.
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: the new method with a masked label.
        :raises InvalidInput: for another kind or a malformed value.
        """
        account_id = self._id(account_id)
        try:
            kind = AuthenticatorKind(kind)
        except ValueError:
            raise InvalidInput(f"unknown authenticator kind {kind!r}", store=self.name) from None
        _check_text(value, "value", store=self.name)
        if kind is AuthenticatorKind.EMAIL and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
            raise InvalidInput("not an email address", store=self.name, account=account_id)
        if kind is AuthenticatorKind.PHONE and not re.fullmatch(r"\+[1-9][0-9]{6,14}", value):
            raise InvalidInput(
                "not a phone number in E.164 form (e.g. +447700900123)",
                store=self.name,
                account=account_id,
            )
        if kind not in SUPPORT_ADDABLE:
            raise InvalidInput(
                f"support cannot add a {kind} authenticator; the customer must enrol it",
                store=self.name,
                account=account_id,
            )
        context = self._context(actor, reason, need_reason=True)
        added: Authenticator = self._call(
            "add_authenticator",
            context,
            subject=account_id,
            account_id=account_id,
            kind=kind,
            value=value,
            verified=bool(verified),
        )
        return added

    def remove_authenticator(
        self, account_id: str, authenticator_id: str, *, reason: str, actor: str | None = None
    ) -> None:
        """Remove an authentication method.

        :param account_id: the account's id.
        :param authenticator_id: the method's id.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises NotFound: when the account or the method does not exist.
        """
        account_id = self._id(account_id)
        authenticator_id = self._id(authenticator_id, "authenticator id")
        context = self._context(actor, reason, need_reason=True)
        self._call(
            "remove_authenticator",
            context,
            subject=account_id,
            account_id=account_id,
            authenticator_id=authenticator_id,
        )

    def set_password(
        self, account_id: str, password: str | Secret, *, reason: str, actor: str | None = None
    ) -> None:
        """Set an account's password directly (when a reset email is not an option).

        :param account_id: the account's id.
        :param password: the new password; it is never logged or echoed.
        :param reason: why (required).
        :param actor: the acting admin.
        :raises InvalidInput: for an empty password or one longer than 1024 characters.
        """
        account_id = self._id(account_id)
        secret = password if isinstance(password, Secret) else None
        if secret is None:
            if not isinstance(password, str) or not password:
                raise InvalidInput("the password must be non-empty text", store=self.name)
            secret = Secret(password)
        if len(secret.reveal()) > 1024:
            raise InvalidInput("the password is longer than 1024 characters", store=self.name)
        context = self._context(actor, reason, need_reason=True)
        self._call(
            "set_password", context, subject=account_id, account_id=account_id, password=secret
        )

    def reset_failed_attempts(
        self, account_id: str, *, reason: str, actor: str | None = None
    ) -> None:
        """Reset the failed password and OTP counters and lift the lockout they caused.

        :param account_id: the account's id.
        :param reason: why (required).
        :param actor: the acting admin.
        """
        account_id = self._id(account_id)
        context = self._context(actor, reason, need_reason=True)
        self._call("reset_failed_attempts", context, subject=account_id, account_id=account_id)

    # -- sessions ---------------------------------------------------------------------------------

    def list_sessions(self, account_id: str, *, actor: str | None = None) -> list[Session]:
        """List an account's active sessions.

        :param account_id: the account's id.
        :param actor: the acting admin.
        :returns: the sessions, most recently seen first.
        """
        account_id = self._id(account_id)
        context = self._context(actor, None, need_reason=False)
        return list(self._call("list_sessions", context, subject=account_id, account_id=account_id))

    def revoke_session(
        self, account_id: str, session_id: str, *, reason: str, actor: str | None = None
    ) -> None:
        """End one session.

        :param account_id: the account's id.
        :param session_id: the session's id.
        :param reason: why (required).
        :param actor: the acting admin.
        """
        account_id = self._id(account_id)
        session_id = self._id(session_id, "session id")
        context = self._context(actor, reason, need_reason=True)
        self._call(
            "revoke_session",
            context,
            subject=account_id,
            account_id=account_id,
            session_id=session_id,
        )

    def revoke_sessions(self, account_id: str, *, reason: str, actor: str | None = None) -> int:
        """End every session of an account.

        :param account_id: the account's id.
        :param reason: why (required).
        :param actor: the acting admin.
        :returns: how many sessions ended.
        """
        account_id = self._id(account_id)
        context = self._context(actor, reason, need_reason=True)
        return int(
            self._call("revoke_sessions", context, subject=account_id, account_id=account_id)
        )

    # -- audit and export -------------------------------------------------------------------------

    def events(
        self,
        account_id: str | None = None,
        *,
        since: datetime | None = None,
        action: str | None = None,
        limit: int = 1000,
    ) -> list[Event]:
        """Read the audit trail of this store.

        :param account_id: only events about this account.
        :param since: only events at or after this aware instant.
        :param action: only this action, e.g. ``disable_account``.
        :param limit: at most this many, the newest (1 to 100,000).
        :returns: events, oldest first.
        :raises InvalidInput: for a naive ``since`` or a bad limit.
        """
        if account_id is not None:
            account_id = self._id(account_id)
        if since is not None and (not isinstance(since, datetime) or since.tzinfo is None):
            raise InvalidInput("since must be a timezone-aware datetime", store=self.name)
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 100_000:
            raise InvalidInput("limit must be from 1 to 100000", store=self.name)
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
        """
        account_id = self._id(account_id)
        context = self._context(actor, reason, need_reason=True)
        try:
            doc: dict[str, Any] = {
                "store": self.name,
                "account": to_json(self.get_account(account_id, actor=context.actor)),
            }
            caps = self.capabilities
            if "list_authenticators" in caps:
                doc["authenticators"] = to_json(
                    self.list_authenticators(account_id, actor=context.actor)
                )
            if "list_sessions" in caps:
                doc["sessions"] = to_json(self.list_sessions(account_id, actor=context.actor))
            doc["events"] = to_json(self.events(account_id))
        except IdconnectError as exc:
            self.hub.state.record(
                [self.hub.audit.event(context, "export_account", account_id=account_id, error=exc)]
            )
            raise
        self.hub.state.record(
            [self.hub.audit.event(context, "export_account", account_id=account_id)]
        )
        return doc


def _with_cursor(query: Query, cursor: str | None) -> Query:
    return evolve(query, cursor=cursor)
