"""Settings of the LDAP store: every new key is checked, naming the store and the key."""

from __future__ import annotations

from typing import Any

import pytest
from idconnect_ldap.settings import Base, IdRange, read_settings

from idconnect.backend import ConfigError, StoreConfig

BASE = {"url": "ldap://x", "users_base": "ou=people,dc=x", "groups_base": "ou=groups,dc=x"}


def settings(**extra: Any):
    merged = {k: v for k, v in {**BASE, **extra}.items() if v is not None}
    return read_settings(StoreConfig(name="dir", plugin="ldap", settings=merged))


def test_defaults_keep_the_placeholder_inside_the_directory() -> None:
    s = settings()
    assert s.user_bases == (Base("ou=people,dc=x", "sub"),)
    assert s.empty_member == "ou=groups,dc=x"
    assert s.users_create_base == "ou=people,dc=x"
    assert s.profile.status == "ppolicy" and s.id_range is None and dict(s.templates) == {}


def test_several_bases_with_their_scopes() -> None:
    s = settings(
        users_base=None,
        users_bases=[{"base": "ou=a,dc=x", "scope": "one"}, {"base": "ou=b,dc=x"}],
    )
    assert s.user_bases == (Base("ou=a,dc=x", "one"), Base("ou=b,dc=x", "sub"))
    assert s.users_create_base == "ou=a,dc=x"


def test_templates_and_allocation() -> None:
    s = settings(
        new_entry_attributes={"homeDirectory": "/home/{uidNumber}", "gidNumber": 10000},
        allocate={"attribute": "uidNumber", "low": 10, "high": 20},
        status="shadow",
    )
    assert dict(s.templates) == {"homeDirectory": ("/home/{uidNumber}",), "gidNumber": ("10000",)}
    assert s.id_range == IdRange("uidNumber", 10, 20)
    assert s.profile.status == "shadow"


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        ({"users_bases": [{"base": "ou=a,dc=x"}]}, "users_bases"),  # and users_base
        ({"users_base": None, "users_bases": []}, "users_bases"),
        ({"users_base": None, "users_bases": [{"base": "ou=a", "scope": "all"}]}, "users_bases"),
        ({"users_base": None, "users_bases": ["ou=a"]}, "users_bases"),
        ({"status": "locked"}, "status"),
        ({"status": "flag"}, "status_attribute"),
        ({"status_flag_means": "maybe"}, "status_flag_means"),
        ({"new_entry_attributes": {"homeDirectory": "/home/{cn}"}}, "new_entry_attributes"),
        ({"new_entry_attributes": {"gidNumber": True}}, "new_entry_attributes"),
        ({"allocate": {"attribute": "uidNumber", "low": 5}}, "allocate"),
        ({"allocate": {"attribute": "uidNumber", "low": 9, "high": 5}}, "allocate"),
    ],
)
def test_bad_settings_name_the_key(extra: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings(**extra)
    assert key in str(info.value) and "dir" in str(info.value)
