"""Closing the loop: the conformance kit through the rest store against our own SCIM service.

Our SCIM client (the rest store) talks real HTTP to our SCIM server (``idconnect.http``) under a
real uvicorn on a free port, which fronts our backends: a sql store on SQLite and on PostgreSQL,
and the ldap store on slapd (the memberof overlay; the kit's custom attributes, which need the
LDAP suite's schema, are left to the sql runs). One server serves every fresh store the kit asks
for as a tenant (``/t{n}/scim/v2/kit``), each a hub of its own over a new database or subtree;
the tenants share one state database, so one API token (issued with ``issue_token``)
authenticates the rest store everywhere.
"""

from __future__ import annotations

import getpass
import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import ldap3
import pytest
from idconnect_ldap.testing import Slapd, slapd_available
from idconnect_sql.testing import Namespaces, run_name
from starlette.applications import Starlette
from starlette.routing import Mount

import idconnect
from idconnect.core.api_tokens import issue_token
from idconnect.http.app import create_app
from idconnect.http.server import serving
from idconnect.testing.servers import require_server
from idconnect.testing.suite import KIT_ATTRIBUTES, KIT_VERIFICATION, ConformanceSuite

TOKEN_ENV = "IDCONNECT_TEST_LOOP_TOKEN"
LDAP_PASSWORD_ENV = "IDCONNECT_TEST_LOOP_LDAP_PASSWORD"

CAPABILITIES = frozenset(
    {
        "get_account",
        "search_accounts",
        "explain_search",
        "create_account",
        "update_account",
        "set_account_enabled",
        "delete_account",
        "bulk_create_accounts",
        "bulk_set_accounts_enabled",
        "bulk_delete_accounts",
        "search_groups",
        "get_group",
        "create_group",
        "delete_group",
        "rename_group",
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

    def __init__(
        self, folder: Path, backend: Callable[[], dict[str, Any]], base: str, router: Starlette
    ) -> None:
        self.folder = folder
        self.backend = backend
        self.base = base
        self.router = router
        self.tenants = itertools.count(1)
        self.open: list[tuple[idconnect.Hub, idconnect.Hub, Mount]] = []
        self.token: str | None = None
        self.ldap = False

    def _server_hub(self, settings: dict[str, Any]) -> idconnect.Hub:
        return idconnect.connect(
            {
                "hub": {"state": f"sqlite:///{self.folder / 'state.db'}"},
                "stores": {"kit": settings},
                "admins": {
                    "roles": {"provisioner": {"permissions": ["*"]}},
                    "members": {getpass.getuser(): ["owner"], "kit-client": ["provisioner"]},
                },
            }
        )

    def store(self, **settings: Any) -> idconnect.Store:
        """A rest store over a new tenant: a fresh sql store behind idconnect's SCIM service."""
        custom = settings.pop("attributes", None)
        server_settings = {**self.backend(), **settings}
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


def _ldap_tenants(folder: Path) -> Iterator[Callable[[], dict[str, Any]]]:
    """A slapd with the memberof overlay; each store gets an empty subtree of its own."""
    if not slapd_available():
        require_server("slapd is not installed", "apt-get install -y slapd ldap-utils")
    with Slapd() as server:
        server.start()
        os.environ[LDAP_PASSWORD_ENV] = server.password
        counter = itertools.count(1)

        def tenant() -> dict[str, Any]:
            base = f"ou=loop{next(counter)},{server.suffix}"
            connection = ldap3.Connection(
                ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE),
                server.root_dn,
                server.password,
                auto_bind=True,
            )
            for dn in (base, f"ou=people,{base}", f"ou=groups,{base}"):
                connection.add(dn, ["organizationalUnit"])
                assert connection.result["result"] == 0, connection.result
            connection.unbind()
            return {
                "plugin": "ldap",
                "url": server.url,
                "bind_dn": server.service_dn,
                "bind_password_env": LDAP_PASSWORD_ENV,
                "users_base": f"ou=people,{base}",
                "groups_base": f"ou=groups,{base}",
                "empty_member": server.placeholder,
            }

        yield tenant


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "ldap"])
def loop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loop]:
    folder = tmp_path_factory.mktemp("loop")
    with ExitStack() as stack:
        if request.param == "ldap":
            backend = stack.enter_context(contextmanager(_ldap_tenants)(folder))
        else:
            namespaces = Namespaces(request.param, folder, run_name())
            stack.callback(namespaces.drop)

            def backend() -> dict[str, Any]:
                return {"plugin": "sql", **namespaces.fresh()}

        router = Starlette()
        base = stack.enter_context(serving(router))
        found = Loop(folder, backend, base, router)
        found.ldap = request.param == "ldap"
        stack.callback(found.close_from, 0)
        yield found


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
        if loop.ldap:
            pytest.skip("the kit's custom attributes need the LDAP schema of the ldap suite")
        return lambda: loop.store(attributes=KIT_ATTRIBUTES)
