"""The conformance kit for the store named by ``--idconnect-store`` (:mod:`.plugin`).

pytest collects this module only when :mod:`idconnect.testing.plugin` adds it for that option.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
from collections.abc import Callable, Generator, Iterator

import pytest

import idconnect
from idconnect import ConfigError, NotSupported, Store
from idconnect.testing.plugin import PLACEHOLDER, fresh_config, selected_capabilities
from idconnect.testing.suite import KIT_ATTRIBUTES, ConformanceSuite

__all__ = ["TestSelectedStore"]


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
        yield from _stores(pytestconfig, {})

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls, pytestconfig: pytest.Config) -> Iterator[Callable[[], Store] | None]:
        """The chosen store declaring the kit's custom attributes, where it can hold them."""
        stores = _stores(pytestconfig, {"attributes": KIT_ATTRIBUTES})
        factory = next(stores)
        try:
            held = factory().catalogue
        except ConfigError:  # the store type keeps no custom attributes (with this config)
            yield None
        else:
            yield factory if held.get("loyaltyTier") is not None else None
        stores.close()


def _stores(
    pytestconfig: pytest.Config, extra: dict[str, object]
) -> Generator[Callable[[], Store], None, None]:
    """Yield a factory of fresh connections to the chosen store, with ``extra`` settings."""
    name: str = pytestconfig.getoption("idconnect_store")
    config: str | None = pytestconfig.getoption("idconnect_config")
    run = secrets.token_hex(4)
    counter = itertools.count()
    hubs: list[idconnect.Hub] = []

    def factory() -> Store:
        fresh = fresh_config(config, name, f"{run}{next(counter)}")
        fresh["stores"][name].update(extra)
        hub = idconnect.connect(fresh)
        hubs.append(hub)
        store = hub.store(name)
        with contextlib.suppress(NotSupported):
            store.provision()
        _check_empty(store)
        return store

    try:
        yield factory
    finally:
        for hub in hubs:
            hub.close()
