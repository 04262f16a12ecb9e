"""Configuration: which stores a hub has, their plugins and settings, and where its state lives.

A config is a TOML file, a dict of the same shape, or nothing (the embedded default)::

    [hub]
    state = "sqlite:////var/lib/idconnect/state.db"   # SQLAlchemy URL of the hub's own state

    [stores.customers]
    plugin = "sql"                                     # a store type from an installed plugin
    url_env = "CUSTOMERS_DB_URL"                       # secrets only through *_env / *_file

Secrets never sit in the file: a key that names a secret (``password``, ``bindPassword``,
``bind_pw``, ``apiKey``, ``client_secret``, ...) or a URL with a password in its user info or
query is refused (the rule is in :mod:`idconnect.core.secrets`); write ``KEY_env = "VAR"`` or
``KEY_file = "/path"`` instead and read it with :meth:`StoreConfig.secret`, which reads it at
its first use, so that one store's unset variable fails only that store's calls.

Every key of a store's table must be one its backend reads: :meth:`StoreConfig.unread_keys`
lists the others once the backend is built, and :meth:`StoreConfig.refuse_unread` refuses them.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

from attrs import field, frozen

from idconnect.core.admins import AdminPolicy, read_admins
from idconnect.core.clientconfig import read_clients
from idconnect.core.clients import ClientCatalog
from idconnect.core.errors import ConfigError, SecretUnavailable
from idconnect.core.impersonation import ImpersonationSettings, read_impersonation
from idconnect.core.model import Secret
from idconnect.core.policies import VerificationPolicy, read_verification
from idconnect.core.secrets import (
    DeferredSecret,
    SecretRefused,
    check_secret_text,
    is_secret_key,
    read_secret_file,
    url_secret,
)

__all__ = [
    "CONFIG_ENV",
    "HOME_ENV",
    "HubConfig",
    "StoreConfig",
    "embedded_default",
    "load_config",
]

CONFIG_ENV = "IDCONNECT_CONFIG"
"""Environment variable naming the config file when none is given."""
HOME_ENV = "IDCONNECT_HOME"
"""Environment variable naming the folder of the embedded default's files (else the cwd)."""

_STORE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$")

T = TypeVar("T")


@frozen(kw_only=True)
class StoreConfig:
    """One configured store: its name, plugin type and the plugin's own settings.

    It remembers which keys were read (:meth:`get`, :meth:`require`, :meth:`secret`,
    :meth:`declare`), so that keys no backend reads can be refused (:meth:`refuse_unread`).
    """

    name: str
    """The store's name, as callers pass it to ``hub.store(name)``."""
    plugin: str
    """The store type, e.g. ``sql``, ``ldap``, ``rest``."""
    settings: Mapping[str, Any] = field(factory=dict)
    """Every other key of the store's table, as written."""
    source: Path | None = None
    """The file the settings came from, for error messages; ``None`` for a dict."""
    _read: set[str] = field(factory=set, init=False, eq=False, repr=False)

    def error(self, key: str, message: str) -> ConfigError:
        """Build the error for a bad setting, naming the file, the store and the key.

        :param key: the setting's key.
        :param message: what is wrong with it.
        :returns: the error, to be raised by the caller.
        """
        where = f"config file {self.source}" if self.source else "config"
        return ConfigError(f"{where}: key {key!r}: {message}", store=self.name, key=key)

    def _unavailable(self, key: str, message: str) -> SecretUnavailable:
        where = f"config file {self.source}" if self.source else "config"
        return SecretUnavailable(f"{where}: key {key!r}: {message}", store=self.name, key=key)

    def declare(self, *keys: str) -> None:
        """Mark keys as read by the backend without reading them now.

        A backend that reads some settings only later, at first use, declares them when it is
        built, so that :meth:`refuse_unread` accepts them.

        :param keys: settings keys.
        """
        self._read.update(keys)

    def unread_keys(self) -> tuple[str, ...]:
        """Return the keys of the store's table that nothing read or declared so far.

        :returns: the keys, sorted.
        """
        return tuple(sorted(set(self.settings) - self._read))

    def refuse_unread(self) -> None:
        """Refuse the store's table when a key was never read: call it once the backend is built.

        :raises ConfigError: naming the file, the store and the first unread key, with the
            closest key that was read when one is close (a misspelling).
        """
        unread = self.unread_keys()
        if not unread:
            return
        key = unread[0]
        close = difflib.get_close_matches(key, sorted(self._read), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise self.error(
            key,
            f"unknown setting: a {self.plugin!r} store does not read it with this config{hint}",
        )

    @overload
    def get(self, key: str, kind: type[T]) -> T | None: ...

    @overload
    def get(self, key: str, kind: type[T], default: T) -> T: ...

    def get(self, key: str, kind: type[T], default: T | None = None) -> T | None:
        """Read an optional setting of the given type.

        :param key: the setting's key.
        :param kind: the expected Python type (``str``, ``int``, ``bool``, ``float``, ``list``,
            ``dict``); an ``int`` is accepted for ``float``.
        :param default: returned when the key is absent.
        :returns: the value.
        :raises ConfigError: when the value has another type.
        """
        self._read.add(key)
        if key not in self.settings:
            return default
        value = self.settings[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(key, f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    def require(self, key: str, kind: type[T]) -> T:
        """Read a required setting of the given type.

        :param key: the setting's key.
        :param kind: the expected Python type.
        :returns: the value.
        :raises ConfigError: when it is missing or has another type.
        """
        value = self.get(key, kind)
        if value is None:
            raise self.error(key, "missing required setting")
        return value

    def secret(self, key: str, *, required: bool = False) -> Secret | None:
        """Name a secret from ``<key>_env`` (an environment variable) or ``<key>_file`` (a file).

        The keys are checked now; the variable or file is read at the secret's first
        :meth:`~idconnect.core.model.Secret.reveal` (and again at the next one while that
        fails), so an unset variable fails only the calls that need the secret. The text must
        be one line of UTF-8 (one trailing newline is dropped), a file a regular file of at
        most 64 KiB (:func:`~idconnect.core.secrets.read_secret_file`).

        :param key: the secret's base key, e.g. ``password`` reads ``password_env`` or
            ``password_file``.
        :param required: whether a missing secret is an error.
        :returns: the secret, or ``None`` when neither key is set and it is not required.
        :raises ConfigError: now, when both keys are set, one is not a non-empty string, or a
            required secret is missing; at ``reveal``, when the variable is unset or empty or
            the file or text is refused, its subclass
            :class:`~idconnect.core.errors.SecretUnavailable`. The message names the file,
            store and key, never the value.
        """
        env_key, file_key = f"{key}_env", f"{key}_file"
        env_name = self.get(env_key, str)
        file_name = self.get(file_key, str)
        if env_name is not None and file_name is not None:
            raise self.error(key, f"set {env_key!r} or {file_key!r}, not both")
        if env_name is not None:
            if not env_name:
                raise self.error(env_key, "expected the name of an environment variable")
            return DeferredSecret(lambda: self._from_env(env_key, env_name))
        if file_name is not None:
            if not file_name:
                raise self.error(file_key, "expected the path of a file")
            return DeferredSecret(lambda: self._from_file(file_key, file_name))
        if required:
            raise self.error(key, f"missing required secret: set {env_key} or {file_key}")
        return None

    def _from_env(self, env_key: str, env_name: str) -> str:
        value = os.environ.get(env_name, "")
        if not value:
            raise self._unavailable(env_key, f"environment variable {env_name} is not set or empty")
        try:
            return check_secret_text(value)
        except SecretRefused as exc:
            raise self._unavailable(env_key, f"environment variable {env_name} {exc}") from None

    def _from_file(self, file_key: str, file_name: str) -> str:
        try:
            return read_secret_file(Path(file_name).expanduser())
        except SecretRefused as exc:
            raise self._unavailable(file_key, f"the file {file_name} {exc}") from None


@frozen(kw_only=True)
class HubConfig:
    """A whole configuration: the hub's state database and its stores."""

    state_url: str
    """SQLAlchemy URL of the hub's own state (audit events)."""
    stores: Mapping[str, StoreConfig]
    """The configured stores by name."""
    source: Path | None = None
    """The file it was read from, ``None`` for a dict or the embedded default."""
    concurrency: int = 4
    """How many single operations a bulk action runs at once when the store has no bulk hook."""
    verification_policies: Mapping[str, VerificationPolicy] = field(factory=dict)
    """Identity verification policies by name, from ``[verification.policies]``."""
    admins: AdminPolicy = field(factory=AdminPolicy)
    """Admin roles and their members from ``[admins]`` (:mod:`idconnect.core.admins`)."""
    clients: ClientCatalog = field(factory=ClientCatalog)
    """Applications, clients, organizations' branding, notification policies and channels
    (:mod:`idconnect.core.clients`)."""
    impersonation: ImpersonationSettings = field(factory=ImpersonationSettings)
    """The ``[impersonation]`` signing key file, link lifetime and issuer
    (:mod:`idconnect.core.impersonation`)."""


def _home() -> Path:
    return Path(os.environ.get(HOME_ENV) or Path.cwd())


def embedded_default() -> dict[str, Any]:
    """Return the config used when none is given: one SQLite store named ``default``.

    Its files live in ``$IDCONNECT_HOME`` or else the current directory:
    ``idconnect.db`` (the store) and ``idconnect-state.db`` (the hub's state).

    :returns: a config dict.
    """
    home = _home()
    return {
        "hub": {"state": f"sqlite:///{home / 'idconnect-state.db'}"},
        "stores": {"default": {"plugin": "sql", "url": f"sqlite:///{home / 'idconnect.db'}"}},
    }


def _refuse_literal_secrets(store: StoreConfig) -> None:
    """Refuse a secret-looking key, or a URL with a password anywhere in a store's table."""
    for key, value in store.settings.items():
        if not isinstance(key, str):
            raise store.error(repr(key), "setting keys must be strings")
        if is_secret_key(key):
            raise store.error(
                key,
                "secrets are not allowed in the config;"
                f" set {key}_env (an environment variable) or {key}_file (a file) instead",
            )
        _refuse_secret_urls(store, key, key, value)


def _refuse_secret_urls(store: StoreConfig, top: str, path: str, value: object) -> None:
    if isinstance(value, str):
        held_by = url_secret(value)
        if held_by is not None:
            raise store.error(
                path,
                f"the URL holds a password in {held_by}; put the whole URL in {top}_env or"
                f" {top}_file, or the password in password_env",
            )
    elif isinstance(value, Mapping):
        for sub, item in value.items():
            _refuse_secret_urls(store, top, f"{path}.{sub}", item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_secret_urls(store, top, f"{path}[{index}]", item)


def load_config(config: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> HubConfig:
    """Read and check a configuration.

    :param config: a TOML file path, a dict of the same shape, or ``None``: then the file named by
        ``$IDCONNECT_CONFIG``, else :func:`embedded_default`.
    :returns: the checked configuration.
    :raises ConfigError: for an unreadable or malformed file, an unknown key in ``[hub]``, a store
        without ``plugin``, a bad store name, a secret-looking key, a URL with a password
        (:mod:`idconnect.core.secrets`), or a bad ``[admins]`` table
        (:func:`~idconnect.core.admins.read_admins`), or bad applications, clients,
        organizations or notifications (:func:`~idconnect.core.clientconfig.read_clients`); the
        message names the file, the store and the key, never the secret.
    """
    source: Path | None = None
    if config is None and os.environ.get(CONFIG_ENV):
        config = os.environ[CONFIG_ENV]
    if config is None:
        doc: Mapping[str, Any] = embedded_default()
    elif isinstance(config, Mapping):
        doc = config
    else:
        source = Path(config)
        try:
            with source.open("rb") as fh:
                doc = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"config file {source}: cannot read it: {exc.strerror}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {source}: not valid TOML: {exc}") from exc
    where = f"config file {source}" if source else "config"

    unknown = set(doc) - {
        "hub",
        "stores",
        "admins",
        "verification",
        "applications",
        "clients",
        "organizations",
        "notifications",
        "impersonation",
    }
    if unknown:
        raise ConfigError(f"{where}: unknown top-level key {sorted(unknown)[0]!r}")
    hub = doc.get("hub", {})
    if not isinstance(hub, Mapping):
        raise ConfigError(f"{where}: [hub] must be a table")
    unknown = set(hub) - {"state", "concurrency"}
    if unknown:
        raise ConfigError(f"{where}: [hub]: unknown key {sorted(unknown)[0]!r}")
    state_url = hub.get("state", f"sqlite:///{_home() / 'idconnect-state.db'}")
    if not isinstance(state_url, str) or not state_url:
        raise ConfigError(f"{where}: [hub]: key 'state' must be a SQLAlchemy URL")
    held_by = url_secret(state_url)
    if held_by is not None:
        raise ConfigError(
            f"{where}: [hub]: key 'state': the URL holds a password in {held_by};"
            " use a socket or trust authentication"
        )
    concurrency = hub.get("concurrency", 4)
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= 64
    ):
        raise ConfigError(f"{where}: [hub]: key 'concurrency' must be a whole number from 1 to 64")

    raw_stores = doc.get("stores", {})
    if not isinstance(raw_stores, Mapping):
        raise ConfigError(f"{where}: [stores] must be a table of tables")
    stores: dict[str, StoreConfig] = {}
    for name, table in raw_stores.items():
        if not _STORE_NAME.match(name):
            raise ConfigError(
                f"{where}: store name {name!r} must start with a letter and hold only letters,"
                " digits, '_', '-' and '.'"
            )
        if not isinstance(table, Mapping):
            raise ConfigError(f"{where}: [stores.{name}] must be a table", store=name)
        plugin = table.get("plugin")
        if not isinstance(plugin, str) or not plugin:
            raise ConfigError(f"{where}: key 'plugin': missing required setting", store=name)
        settings = {k: v for k, v in table.items() if k != "plugin"}
        store = StoreConfig(name=name, plugin=plugin, settings=settings, source=source)
        _refuse_literal_secrets(store)
        stores[name] = store
    admins = read_admins(doc.get("admins"), where=where, stores=stores)
    return HubConfig(
        state_url=state_url,
        stores=stores,
        source=source,
        concurrency=concurrency,
        admins=admins,
        verification_policies=read_verification(doc.get("verification"), where=where),
        clients=read_clients(doc, where=where),
        impersonation=read_impersonation(doc.get("impersonation"), where=where),
    )
