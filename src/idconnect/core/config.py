"""Configuration: which stores a hub has, their plugins and settings, and where its state lives.

A config is a TOML file, a dict of the same shape, or nothing (the embedded default)::

    [hub]
    state = "sqlite:////var/lib/idconnect/state.db"   # SQLAlchemy URL of the hub's own state

    [stores.customers]
    plugin = "sql"                                     # a store type from an installed plugin
    url_env = "CUSTOMERS_DB_URL"                       # secrets only through *_env / *_file

Secrets never sit in the file: a key that names a secret (``password``, ``token``, ``secret``,
``client_secret``, ...) or a URL with a password in it is refused; write ``KEY_env = "VAR"`` or
``KEY_file = "/path"`` instead and read it with :meth:`StoreConfig.secret`.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar, overload

from attrs import field, frozen

from idconnect.core.errors import ConfigError
from idconnect.core.model import Secret

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

_SECRET_WORDS = ("password", "passwd", "token", "secret", "api_key", "private_key", "credentials")
_URL_WITH_PASSWORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]*:[^/@\s]+@")
_STORE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,62}$")

T = TypeVar("T")


def _is_secret_key(key: str) -> bool:
    low = key.lower()
    return any(low == word or low.endswith("_" + word) for word in _SECRET_WORDS)


@frozen(kw_only=True)
class StoreConfig:
    """One configured store: its name, plugin type and the plugin's own settings."""

    name: str
    """The store's name, as callers pass it to ``hub.store(name)``."""
    plugin: str
    """The store type, e.g. ``sql``, ``ldap``, ``rest``."""
    settings: Mapping[str, Any] = field(factory=dict)
    """Every other key of the store's table, as written."""
    source: Path | None = None
    """The file the settings came from, for error messages; ``None`` for a dict."""

    def error(self, key: str, message: str) -> ConfigError:
        """Build the error for a bad setting, naming the file, the store and the key.

        :param key: the setting's key.
        :param message: what is wrong with it.
        :returns: the error, to be raised by the caller.
        """
        where = f"config file {self.source}" if self.source else "config"
        return ConfigError(f"{where}: key {key!r}: {message}", store=self.name, key=key)

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
        """Read a secret from ``<key>_env`` (an environment variable) or ``<key>_file`` (a file).

        :param key: the secret's base key, e.g. ``password`` reads ``password_env`` or
            ``password_file``.
        :param required: whether a missing secret is an error.
        :returns: the secret, or ``None`` when neither key is set and it is not required.
        :raises ConfigError: when the variable is unset or empty, the file is unreadable, both
            keys are set, or a required secret is missing.
        """
        env_key, file_key = f"{key}_env", f"{key}_file"
        env_name = self.get(env_key, str)
        file_name = self.get(file_key, str)
        if env_name and file_name:
            raise self.error(key, f"set {env_key!r} or {file_key!r}, not both")
        if env_name:
            value = os.environ.get(env_name, "")
            if not value:
                raise self.error(env_key, f"environment variable {env_name} is not set or empty")
            return Secret(value)
        if file_name:
            try:
                value = Path(file_name).expanduser().read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise self.error(file_key, f"cannot read {file_name}: {exc.strerror}") from exc
            if not value:
                raise self.error(file_key, f"{file_name} is empty")
            return Secret(value)
        if required:
            raise self.error(key, f"missing required secret: set {env_key} or {file_key}")
        return None


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


def load_config(config: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> HubConfig:
    """Read and check a configuration.

    :param config: a TOML file path, a dict of the same shape, or ``None``: then the file named by
        ``$IDCONNECT_CONFIG``, else :func:`embedded_default`.
    :returns: the checked configuration.
    :raises ConfigError: for an unreadable or malformed file, an unknown key in ``[hub]``, a store
        without ``plugin``, a bad store name, or a literal secret; the message names the file, the
        store and the key.
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

    unknown = set(doc) - {"hub", "stores"}
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
    if _URL_WITH_PASSWORD.match(state_url):
        raise ConfigError(f"{where}: [hub]: key 'state' holds a password; use a socket or trust")
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
        for key, value in settings.items():
            if _is_secret_key(key):
                raise ConfigError(
                    f"{where}: key {key!r}: secrets are not allowed in the config;"
                    f" set {key}_env (an environment variable) or {key}_file (a file) instead",
                    store=name,
                    key=key,
                )
            if isinstance(value, str) and _URL_WITH_PASSWORD.match(value):
                raise ConfigError(
                    f"{where}: key {key!r}: the URL holds a password; put the whole URL in"
                    f" {key}_env or {key}_file, or the password in password_env",
                    store=name,
                    key=key,
                )
        stores[name] = StoreConfig(name=name, plugin=plugin, settings=settings, source=source)
    return HubConfig(state_url=state_url, stores=stores, source=source, concurrency=concurrency)
