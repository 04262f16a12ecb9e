"""Fixtures: throwaway slapd servers (with and without overlays) and fresh, empty LDAP stores."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ldap3
import pytest
from idconnect_ldap.testing import Slapd, slapd_available

import idconnect
from idconnect.testing.servers import require_server
from idconnect.testing.suite import KIT_VERIFICATION
from idconnect.testing.suite.attributes import KIT_ATTRIBUTES

PASSWORD_ENV = "IDCONNECT_LDAP_TEST_BIND_PASSWORD"
_counter = itertools.count()

LAYOUTS: dict[str, dict[str, Any]] = {
    # inetOrgPerson under one OU named by uid, groupOfNames/member
    "openldap": {"ous": ["people"], "settings": {}},
    # accounts spread over two OUs (subtree scope), named by cn; groupOfUniqueNames/uniqueMember
    "unique": {
        "ous": ["staff", "contractors"],
        "settings": {
            "rdn_attribute": "cn",
            "group_object_class": "groupOfUniqueNames",
            "member_attribute": "uniqueMember",
            "users_scope": "sub",
        },
    },
    # the plain directory (no overlays): posix accounts in ou=staff (one level) and
    # ou=contractors,ou=external (subtree), groupOfUniqueNames, status by shadowExpire,
    # required posix attributes from templates, uidNumber allocated from a range
    "plain": {
        "ous": ["staff", "external", "contractors,ou=external"],
        "bases": [("staff", "one"), ("contractors,ou=external", "sub")],
        "settings": {
            "user_object_classes": ["inetOrgPerson", "posixAccount", "shadowAccount"],
            "group_object_class": "groupOfUniqueNames",
            "member_attribute": "uniqueMember",
            "status": "shadow",
            "new_entry_attributes": {
                "homeDirectory": "/home/u{uidNumber}",
                "gidNumber": 10000,
                "loginShell": "/bin/sh",
            },
            "allocate": {"attribute": "uidNumber", "low": 10000, "high": 19999},
        },
    },
}


KIT_SOURCES = {
    "loyaltyTier": "idcLoyaltyTier",
    "loyaltyPoints": "idcLoyaltyPoints",
    "balance": "idcBalance",
    "memberSince": "idcMemberSince",
    "newsletter": "idcNewsletter",
    "profileUrl": "idcProfileUrl",
    "interests": "idcInterests",
    "internalNote": "idcInternalNote",
    "accountCode": "idcAccountCode",
}
"""The LDAP attribute of each of the kit's custom attributes (the test slapd's idcKitPerson)."""


def custom_settings(layout: str) -> dict[str, Any]:
    """The settings declaring the kit's custom attributes on a layout's new entries."""
    classes = LAYOUTS[layout]["settings"].get("user_object_classes", ["inetOrgPerson"])
    return {
        "attributes": {n: {**d, "source": KIT_SOURCES[n]} for n, d in KIT_ATTRIBUTES.items()},
        "user_object_classes": [*classes, "idcKitPerson"],
    }


PLAIN_LDIF = Path(__file__).parent / "data" / "plain_directory.ldif"
"""Entries of the plain directory under ``ou=seeded,dc=example,dc=org``, as found in the wild."""


def _server(ldif: Path | None = None, **kwargs: Any) -> Iterator[Slapd]:
    if not slapd_available():
        require_server("slapd is not installed", "apt-get install -y slapd ldap-utils")
    server = Slapd(**kwargs)
    if ldif is not None:
        server.load_ldif(ldif)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def slapd_server() -> Iterator[Slapd]:
    """slapd with groupOfNames/member groups."""
    yield from _server()


@pytest.fixture(scope="session")
def slapd_plain() -> Iterator[Slapd]:
    """slapd without any overlay (no memberOf, ppolicy, sort control), seeded with PLAIN_LDIF."""
    yield from _server(PLAIN_LDIF, overlays=False)


@pytest.fixture(scope="session")
def slapd_unique() -> Iterator[Slapd]:
    """slapd whose memberof overlay follows groupOfUniqueNames/uniqueMember."""
    yield from _server(group_class="groupOfUniqueNames", member_attribute="uniqueMember")


def admin(server: Slapd) -> ldap3.Connection:
    """A rootdn connection for seeding and inspecting the directory natively."""
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    return ldap3.Connection(srv, server.root_dn, server.password, auto_bind=True)


def make_tenant(server: Slapd, layout: str) -> dict[str, Any]:
    """Create an empty subtree for one store and return its store settings."""
    conn = admin(server)
    base = f"ou=t{next(_counter)}-{os.getpid()},{server.suffix}"
    conn.add(base, ["organizationalUnit"])
    ous = LAYOUTS[layout]["ous"]
    for ou in [*ous, "groups"]:
        conn.add(f"ou={ou},{base}", ["organizationalUnit"])
        assert conn.result["result"] == 0, conn.result
    conn.unbind()
    bases: dict[str, Any] = {"users_base": base if len(ous) > 1 else f"ou={ous[0]},{base}"}
    if "bases" in LAYOUTS[layout]:
        bases = {
            "users_bases": [
                {"base": f"ou={ou},{base}", "scope": scope}
                for ou, scope in LAYOUTS[layout]["bases"]
            ]
        }
    placeholder = {} if not server.overlays else {"empty_member": server.placeholder}
    return {
        "plugin": "ldap",
        "url": server.url,
        "bind_dn": server.service_dn,
        "bind_password_env": PASSWORD_ENV,
        **bases,
        "users_create_base": f"ou={ous[0]},{base}",
        "groups_base": f"ou=groups,{base}",
        **placeholder,
        "connect_timeout": 2.0,
        "receive_timeout": 5.0,
        **LAYOUTS[layout]["settings"],
    }


@pytest.fixture(scope="session")
def store_factory(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[Slapd, str], idconnect.Store]]:
    """Build fresh, empty stores on a server; every hub is closed at the end of the session."""
    hubs: list[idconnect.Hub] = []
    state_dir: Path = tmp_path_factory.mktemp("ldap-state")

    def make(server: Slapd, layout: str, **extra: Any) -> idconnect.Store:
        os.environ[PASSWORD_ENV] = server.password
        settings = {**make_tenant(server, layout), **extra}
        n = next(_counter)
        hub = idconnect.connect(
            {
                "hub": {"state": f"sqlite:///{state_dir / f'state-{n}.db'}", "concurrency": 4},
                "stores": {"directory": settings},
                "verification": KIT_VERIFICATION,
            }
        )
        hubs.append(hub)
        return hub.store("directory")

    yield make
    for hub in hubs:
        hub.close()


def entry_dn(server: Slapd, account_id: str) -> str:
    """The DN of an account, found natively by entryUUID."""
    conn = admin(server)
    conn.search(server.suffix, f"(entryUUID={account_id})", attributes=["1.1"])
    dn = conn.response[0]["dn"]
    conn.unbind()
    return str(dn)


def fail_logins(server: Slapd, account_id: str, times: int) -> None:
    """Give the account a password natively, then bind with a wrong one ``times`` times."""
    dn = entry_dn(server, account_id)
    conn = admin(server)
    conn.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, ["right-password"])]})
    conn.unbind()
    srv = ldap3.Server(server.host, port=server.port, get_info=ldap3.NONE)
    for _ in range(times):
        assert not ldap3.Connection(srv, dn, "wrong-password").bind()


@pytest.fixture(scope="session")
def failed_logins() -> Callable[[Slapd, str, int], None]:
    """:func:`fail_logins`, for test modules (which cannot import this conftest)."""
    return fail_logins


@pytest.fixture(scope="session")
def custom_store_factory(
    store_factory: Callable[..., idconnect.Store],
) -> Callable[[Slapd, str], idconnect.Store]:
    """Build fresh stores declaring the kit's custom attributes (:func:`custom_settings`)."""
    return lambda server, layout: store_factory(server, layout, **custom_settings(layout))
