"""Closing the loop: the conformance kit through the rest store against our own SCIM service.

Our SCIM client (the rest store) talks real HTTP to our SCIM server (``idconnect.http``) under a
real uvicorn on a free port, which fronts our backends: a sql store on SQLite and on PostgreSQL.
One server serves every fresh store the kit asks for as a tenant (``/t{n}/scim/v2/kit``), each
a hub of its own over a new database; the tenants share one state database, so one API token
(issued with ``issue_token``) authenticates the rest store everywhere.
"""

from __future__ import annotations

import getpass
import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from idconnect_sql.testing import Namespaces, run_name
from starlette.applications import Starlette
from starlette.routing import Mount

import idconnect
from idconnect.core.api_tokens import issue_token
from idconnect.http.app import create_app
from idconnect.http.server import serving
from idconnect.testing.suite import KIT_ATTRIBUTES, KIT_VERIFICATION, ConformanceSuite

TOKEN_ENV = "IDCONNECT_TEST_LOOP_TOKEN"

CAPABILITIES = frozenset(
    {
        "get_account",
        "search_accounts",
        "create_account",
        "update_account",
        "set_account_enabled",
        "delete_account",
        "search_groups",
        "get_group",
        "create_group",
        "delete_group",
        "add_group_member",
        "remove_group_member",
        "set_password",
        "list_verifications",
        "verify_identity",
        "revoke_verification",
        "list_consents",
        "record_consent",
        "revoke_consent",
    }
)


def _served(custom: dict[str, Any]) -> dict[str, Any]:
    """The server side of the kit's attributes: every one visible.

    Visibility is the client hub's choice (what its support agents see); the SCIM service shows
    what its store shows, so the server's store declares the attributes visible and the rest
    store, declaring ``internalNote`` invisible, hides it.
    """
    return {name: {**settings, "visible": True} for name, settings in custom.items()}


class Loop:
    """One uvicorn serving idconnect over fresh sql stores, and rest stores pointed at them."""

    def __init__(self, folder: Path, namespaces: Namespaces, base: str, router: Starlette) -> None:
        self.folder = folder
        self.namespaces = namespaces
        self.base = base
        self.router = router
        self.tenants = itertools.count(1)
        self.open: list[tuple[idconnect.Hub, idconnect.Hub, Mount]] = []
        self.token: str | None = None

    def _server_hub(self, settings: dict[str, Any]) -> idconnect.Hub:
        return idconnect.connect(
            {
                "hub": {"state": f"sqlite:///{self.folder / 'state.db'}"},
                "stores": {"kit": {"plugin": "sql", **settings}},
                "admins": {
                    "roles": {"provisioner": {"permissions": ["*"]}},
                    "members": {getpass.getuser(): ["owner"], "kit-client": ["provisioner"]},
                },
            }
        )

    def store(self, **settings: Any) -> idconnect.Store:
        """A rest store over a new tenant: a fresh sql store behind idconnect's SCIM service."""
        custom = settings.pop("attributes", None)
        server_settings = {**self.namespaces.fresh(), **settings}
        if custom is not None:
            server_settings["attributes"] = _served(custom)
        server = self._server_hub(server_settings)
        if self.token is None:
            self.token, _ = issue_token(server, admin="kit-client", reason="closing the loop")
            os.environ[TOKEN_ENV] = self.token
        tenant = f"/t{next(self.tenants)}"
        mount = Mount(tenant, app=create_app(server))
        self.router.router.routes.append(mount)
        rest: dict[str, Any] = {
            "plugin": "rest",
            "url": f"{self.base}{tenant}/scim/v2/kit",
            "token_env": TOKEN_ENV,
        }
        if custom is not None:
            rest["attributes"] = custom
        client = idconnect.connect(
            {
                "hub": {"state": "sqlite://"},
                "stores": {"scim": rest},
                "verification": KIT_VERIFICATION,
            }
        )
        self.open.append((server, client, mount))
        return client.store("scim")

    def close_from(self, mark: int) -> None:
        """Close the tenants opened since ``mark``: both hubs, and stop serving the tenant."""
        while len(self.open) > mark:
            server, client, mount = self.open.pop()
            client.close()
            self.router.router.routes.remove(mount)
            server.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loop]:
    folder = tmp_path_factory.mktemp("loop")
    namespaces = Namespaces(request.param, folder, run_name())
    router = Starlette()
    try:
        with serving(router) as base:
            found = Loop(folder, namespaces, base, router)
            yield found
            found.close_from(0)
    finally:
        namespaces.drop()


@pytest.fixture(scope="class", autouse=True)
def _close_class_tenants(loop: Loop) -> Iterator[None]:
    mark = len(loop.open)
    yield
    loop.close_from(mark)


@pytest.fixture(autouse=True)
def _close_test_tenants(loop: Loop) -> Iterator[None]:
    mark = len(loop.open)
    yield
    loop.close_from(mark)


class TestRestAgainstIdconnect(ConformanceSuite):
    """The rest store's kit against idconnect's SCIM service over sql stores."""

    expected_capabilities = CAPABILITIES

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, loop: Loop) -> Callable[[], idconnect.Store]:
        return loop.store

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls, loop: Loop) -> Callable[[], idconnect.Store]:
        return lambda: loop.store(attributes=KIT_ATTRIBUTES)
