"""The hub: the configured stores, the plugins, the acting admin and the hub's own state."""

from __future__ import annotations

import contextlib
import contextvars
import functools
import getpass
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from idconnect.core.admin_state import AdminState
from idconnect.core.audit import AuditTrail
from idconnect.core.channels import BUILTIN, channel_types, start_channels
from idconnect.core.clients import Application, Client
from idconnect.core.config import HubConfig, StoreConfig, load_config
from idconnect.core.errors import ConfigError, IdconnectError, PluginError, SecretUnavailable
from idconnect.core.facade.admins import Admins
from idconnect.core.facade.checks import check_text
from idconnect.core.facade.federated import FederatedSearch
from idconnect.core.facade.redeem import TokenRedemption
from idconnect.core.facade.store import Store
from idconnect.core.hubrecords import HubRecords
from idconnect.core.impersonation import SigningKey
from idconnect.core.instants import utc_now
from idconnect.core.notification_log import NotificationLog
from idconnect.core.notification_templates import Templates
from idconnect.core.notifier import Notifier
from idconnect.core.permissions import Permissions
from idconnect.core.plugins import (
    make_root_manager,
    make_store_manager,
    provided_operations,
    store_types,
)
from idconnect.core.state import StateDatabase
from idconnect.core.token_state import TokenState

__all__ = ["Hub", "connect"]


def connect(
    config: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    plugins: Iterable[object] = (),
    providers: Iterable[object] = (),
    clock: Callable[[], datetime] = utc_now,
) -> Hub:
    """Open a hub over the configured identity stores.

    :param config: a TOML file path, a dict of the same shape, or ``None`` for
        ``$IDCONNECT_CONFIG`` or else the embedded SQLite default (a store named ``default``).
    :param plugins: extra plugin objects to register besides the ``idconnect`` entry points.
    :param providers: hub-owned objects that answer operations a store's backend lacks (records
        the hub keeps for a store that cannot, DESIGN §11); consulted only for those operations.
    :param clock: returns the current aware instant; the expiry of customer-facing tokens is
        judged by it (tests inject one).
    :returns: the hub; close it with :meth:`Hub.close` or use it as a context manager.
    :raises ConfigError: for a bad config, an unknown store type, settings a backend refuses, or
        a setting no part of idconnect reads (a misspelt key), naming file, store and key.
    :raises PluginError: when a plugin fails to load or implements an unknown hook.
    """
    return Hub(load_config(config), plugins=plugins, providers=providers, clock=clock)


class Hub(TokenRedemption, FederatedSearch):
    """The configured stores, their plugins and the hub's state (audit trail).

    Build it with :func:`connect`. Built-in cross-cutting features are named plugins registered
    on every store's manager like third-party ones (:attr:`default_plugins`): the audit trail
    and the permission check (:mod:`idconnect.core.permissions`).
    """

    def __init__(
        self,
        config: HubConfig,
        *,
        plugins: Iterable[object] = (),
        providers: Iterable[object] = (),
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.config = config
        self.state = StateDatabase(config.state_url)
        self.clock = clock
        """The current instant, by which token expiry is judged."""
        self.tokens = TokenState(self.state)
        """Password reset tokens (as digests) and impersonation grants in the state database."""
        self.signing_key = SigningKey(config.impersonation)
        """The impersonation signing key, read from ``signing_key_file`` at first use."""
        self.audit = AuditTrail(self.state)
        self.permissions = Permissions(
            config.admins, AdminState(self.state), self.audit, local_user=lambda: self._os_user
        )
        """The permission check every operation goes through (the ``idconnect.permissions``
        plugin)."""
        self.admins = Admins(self)
        """Admin roles and their members: list them, define and grant them in the state."""
        self.default_plugins: dict[str, object] = {
            "idconnect.audit": self.audit,
            "idconnect.permissions": self.permissions,
        }
        """The built-in cross-cutting plugins by name."""
        self._actor: contextvars.ContextVar[str | None] = contextvars.ContextVar(
            "idconnect_actor", default=None
        )
        self._root = make_root_manager(plugins)
        self._root.register(BUILTIN, name="idconnect.channels")
        self.notifier = Notifier(
            config.clients,
            start_channels(config.clients, channel_types(self._root), source=config.source),
            NotificationLog(self.state),
            Templates(),
            self.audit,
        )
        """Sends customer notifications and keeps their log (:mod:`idconnect.core.notifier`)."""
        self._providers = tuple(providers)
        self.records = HubRecords(self.state, self.store)
        """The hub's own identity verifications and consents, provided (after ``providers``) to
        every store whose backend lacks them and can read its accounts (DESIGN §11)."""
        types = store_types(self._root)
        cross_cutting = [*self.default_plugins.items(), *self._loaded_plugins()]
        self._stores: dict[str, Store] = {}
        self._unavailable: dict[str, SecretUnavailable] = {}
        for name, store_config in config.stores.items():
            try:
                backend = self._start_backend(store_config, types)
            except SecretUnavailable as exc:
                # only calls on this store fail; the others work without its secret
                self._unavailable[name] = exc
                continue
            kept = self.records.for_backend(backend)
            providers = (*self._providers, *([] if kept is None else [kept]))
            pm = make_store_manager(name, backend, cross_cutting, providers=providers)
            self._stores[name] = Store(
                self, store_config, backend, pm, fallbacks=provided_operations(pm, backend)
            )
            store_config.refuse_unread()

    def _loaded_plugins(self) -> list[tuple[str | None, object]]:
        return [(None, p) for p in self._root.get_plugins()]

    @staticmethod
    def _start_backend(store_config: StoreConfig, types: Mapping[str, Any]) -> object:
        factory = types.get(store_config.plugin)
        if factory is None:
            raise store_config.error(
                "plugin",
                f"unknown store type {store_config.plugin!r}"
                f" (installed: {', '.join(sorted(types)) or 'none'});"
                f" install the plugin that provides it, e.g. pip install"
                f" idconnect-{store_config.plugin}",
            )
        try:
            return factory(store_config)
        except IdconnectError as exc:
            raise exc.in_context(store=store_config.name) from exc.__cause__
        except Exception as exc:
            raise PluginError(
                f"store type {store_config.plugin!r} failed to start: {type(exc).__name__}",
                store=store_config.name,
            ) from exc

    @property
    def plugin_manager(self) -> Any:
        """The root plugin manager (entry points and extra plugins), for apps such as the CLI."""
        return self._root

    @property
    def stores(self) -> tuple[str, ...]:
        """The configured store names, in config order (those missing a secret too)."""
        return tuple(self.config.stores)

    def store(self, name: str) -> Store:
        """Return the facade of one store.

        :param name: a configured store name.
        :returns: the store.
        :raises ConfigError: when no store has that name (the message lists the configured ones).
        :raises SecretUnavailable: when the store's secret (an unset variable, an unreadable
            file) kept its backend from starting.
        """
        if name in self._unavailable:
            raise self._unavailable[name]
        try:
            return self._stores[name]
        except KeyError:
            where = f"config file {self.config.source}" if self.config.source else "config"
            known = ", ".join(self.config.stores) or "none"
            raise ConfigError(
                f"{where}: no store named {name!r} (configured: {known})",
                store=name,
            ) from None

    def clients(self) -> tuple[Client, ...]:
        """Return every configured client, in config order (:mod:`idconnect.core.clients`).

        :returns: the clients.
        """
        return tuple(self.config.clients.clients.values())

    def applications(self) -> tuple[Application, ...]:
        """Return every configured application, in config order.

        :returns: the applications.
        """
        return tuple(self.config.clients.applications.values())

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
        token = self._actor.set(check_text(actor, "actor"))
        try:
            yield self
        finally:
            self._actor.reset(token)

    def close(self) -> None:
        """Close every store's connections and the state database."""
        self.close_federated_search()
        for store in self._stores.values():
            store.close()
        self.notifier.close()
        self.state.close()

    def __enter__(self) -> Hub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
