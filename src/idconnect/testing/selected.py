"""The conformance kit for the store named by ``--idconnect-store`` (:mod:`.plugin`).

pytest collects this module only when :mod:`idconnect.testing.plugin` adds it for that option.
"""

from __future__ import annotations

import contextlib
import itertools
import secrets
from collections.abc import Callable, Iterator

import pytest

import idconnect
from idconnect import NotSupported, Store
from idconnect.testing.plugin import PLACEHOLDER, fresh_config, selected_capabilities
from idconnect.testing.suite import ConformanceSuite

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
