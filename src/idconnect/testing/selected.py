"""The conformance kit for the store named by ``--idconnect-store`` (:mod:`.plugin`).

pytest collects this module only when :mod:`idconnect.testing.plugin` adds it for that option.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

import idconnect
from idconnect import NotSupported, Store
from idconnect.core.config import load_config
from idconnect.testing.plugin import selected_capabilities
from idconnect.testing.suite import ConformanceSuite

__all__ = ["PLACEHOLDER", "TestSelectedStore", "fresh_config"]

PLACEHOLDER = "{kit}"
"""Replaced, in the store's text settings, by a token unique to each connection."""


def fresh_config(config: str | None, name: str, token: str) -> dict[str, Any]:
    """Build the config of one kit connection to store ``name``.

    :param config: the config file, or ``None`` for idconnect's default.
    :param name: the store's name in it.
    :param token: replaces every :data:`PLACEHOLDER` in the store's text settings.
    :returns: a config dict with only that store and an in-memory hub state.
    :raises ConfigError: when the config is invalid.
    :raises pytest.UsageError: when it has no store ``name``.
    """
    loaded = load_config(config)
    if name not in loaded.stores:
        where = config or "the default config"
        raise pytest.UsageError(
            f"--idconnect-store: {where} has no store {name!r}"
            f" (it has: {', '.join(loaded.stores) or 'none'})"
        )
    chosen = loaded.stores[name]
    settings = {key: _fill(value, token) for key, value in chosen.settings.items()}
    return {"hub": {"state": "sqlite://"}, "stores": {name: {"plugin": chosen.plugin, **settings}}}


def _fill(value: object, token: str) -> object:
    if isinstance(value, str):
        return value.replace(PLACEHOLDER, token)
    if isinstance(value, Mapping):
        return {k: _fill(v, token) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, token) for v in value]
    return value


def _check_empty(store: Store) -> None:
    if "search_accounts" in store.capabilities and store.search_accounts(count=1).items:
        pytest.fail(
            f"store {store.name} is not empty: the kit needs a fresh, empty store on every"
            f" connection; put {PLACEHOLDER} in a setting (e.g. a file name or database name)",
            pytrace=False,
        )


class TestSelectedStore(ConformanceSuite):
    """The whole kit against ``--idconnect-store NAME``."""

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _declared(cls, pytestconfig: pytest.Config) -> None:
        cls.expected_capabilities = selected_capabilities(pytestconfig)

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, pytestconfig: pytest.Config) -> Iterator[Callable[[], Store]]:
        """Connect to the chosen store anew for each fresh store the kit asks for."""
        name: str = pytestconfig.getoption("idconnect_store")
        config: str | None = pytestconfig.getoption("idconnect_config")
        run = secrets.token_hex(4)
        counter = itertools.count()
        hubs: list[idconnect.Hub] = []

        def factory() -> Store:
            hub = idconnect.connect(fresh_config(config, name, f"{run}{next(counter)}"))
            hubs.append(hub)
            store = hub.store(name)
            with contextlib.suppress(NotSupported):
                store.provision()
            _check_empty(store)
            return store

        yield factory
        for hub in hubs:
            hub.close()
