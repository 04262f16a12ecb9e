"""Fixtures: real scim2-server instances (see :mod:`idconnect_rest.testing.scim2`)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from idconnect_rest.testing.scim2 import (
    TOKEN,
    ScimServer,
    full_config,
    minimal_config,
    start_server,
)

import idconnect
from idconnect.testing.suite import KIT_VERIFICATION


@pytest.fixture(scope="session")
def full_server() -> Iterator[ScimServer]:
    server = start_server(extension=True, enterprise=True, config=full_config())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kit_server() -> Iterator[ScimServer]:
    """The full server, also advertising a User extension with the kit's custom attributes."""
    server = start_server(extension=True, enterprise=True, config=full_config(), kit=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def minimal_server() -> Iterator[ScimServer]:
    server = start_server(
        extension=False, enterprise=False, config=minimal_config(), bearer=True, tokens=(TOKEN,)
    )
    yield server
    server.stop()


def _connect(url: str, **settings: Any) -> idconnect.Store:
    hub = idconnect.connect(
        {
            "hub": {"state": "sqlite://"},
            "stores": {"scim": {"plugin": "rest", "url": url, **settings}},
            "verification": KIT_VERIFICATION,
        }
    )
    return hub.store("scim")


@pytest.fixture(scope="session")
def connect_store() -> Callable[..., idconnect.Store]:
    """``connect_store(url, **settings)``: a hub with one rest store named ``scim``."""
    return _connect


@pytest.fixture(scope="session")
def bearer_env() -> str:
    os.environ["IDCONNECT_TEST_SCIM_TOKEN"] = TOKEN
    return "IDCONNECT_TEST_SCIM_TOKEN"
