"""Custom attributes of a mapped store: where the config says they live, and what is refused.

On the README's Django tables with its custom-attribute DDL, on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from idconnect_sql.testing.django import django_kit_attributes, django_settings

import idconnect
from idconnect import ConfigError, Conflict, InvalidInput
from idconnect.core.schema import CUSTOM_SCHEMA

REASON = "ticket 12"


@pytest.fixture
def custom_store(namespaces, open_hub) -> Callable[..., idconnect.Store]:
    """Open a store over fresh Django tables, with the kit's attributes changed by ``**changes``."""

    def make(**changes: dict[str, Any] | None) -> idconnect.Store:
        attributes = django_kit_attributes()
        for name, entry in changes.items():
            if entry is None:
                attributes.pop(name)
            else:
                attributes[name] = entry
        settings = django_settings(namespaces, custom=True)
        return open_hub({**settings, "attributes": attributes}).store("s")

    return make


def _native(store: idconnect.Store, statement: Any) -> list[Any]:
    """Run a statement on the store's own database (what another application would do)."""
    backend: Any = store.backend
    with backend.engine.begin() as connection:
        result = connection.execute(statement)
        return list(result) if result.returns_rows else []


def _tables(store: idconnect.Store) -> tuple[sa.Table, sa.Table]:
    """The reflected ``auth_user`` and ``accounts_interest`` (schema-qualified where needed)."""
    backend: Any = store.backend
    return backend.mapped, backend.custom.children["interests"][0]


@pytest.mark.parametrize(
    ("name", "entry", "says"),
    [
        ("loyaltyTier", {"type": "string"}, "needs source"),
        ("interests", {"type": "string", "multi_valued": True, "source": "x"}, "one value"),
        ("loyaltyTier", {"type": "string", "source": "t.loyalty_tier"}, "a column name"),
    ],
)
def test_a_source_of_the_wrong_form_is_refused(custom_store, name, entry, says) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        custom_store(**{name: entry}).catalogue  # noqa: B018 - opening the store reads the config
    assert name in str(caught.value)


@pytest.mark.parametrize(
    ("name", "entry", "says"),
    [
        ("loyaltyTier", {"type": "string", "source": "tier"}, "no column 'tier'"),
        ("loyaltyPoints", {"type": "integer", "source": "loyalty_tier"}, "cannot hold integer"),
        ("balance", {"type": "decimal", "source": "loyalty_points"}, "cannot hold decimal"),
        ("newsletter", {"type": "boolean", "source": "member_since"}, "cannot hold boolean"),
        ("memberSince", {"type": "dateTime", "source": "balance"}, "cannot hold dateTime"),
        ("profileUrl", {"type": "reference", "source": "newsletter"}, "cannot hold reference"),
        (
            "interests",
            {"type": "string", "multi_valued": True, "source": "nowhere.interest"},
            "no table 'nowhere'",
        ),
        (
            "interests",
            {"type": "string", "multi_valued": True, "source": "auth_group.name"},
            "exactly one foreign key",
        ),
    ],
)
def test_a_column_that_cannot_hold_the_attribute_is_refused(
    custom_store, name, entry, says
) -> None:
    store = custom_store(**{name: entry})
    with pytest.raises(ConfigError, match=says) as caught:
        store.search_accounts()
    assert name in str(caught.value)


def test_values_live_in_the_mapped_columns_and_the_child_table(custom_store) -> None:
    store = custom_store()
    made = store.create_account(
        {
            "userName": "tiered",
            CUSTOM_SCHEMA: {"loyaltyTier": "Gold", "balance": "2.5", "interests": ["ski", "Golf"]},
        },
        reason=REASON,
    )
    user, interest = _tables(store)
    key = int(made.id)
    [(tier, balance)] = _native(
        store, sa.select(user.c.loyalty_tier, user.c.balance).where(user.c.id == key)
    )
    assert tier == "Gold" and balance == Decimal("2.5")
    rows = sa.select(interest.c.interest).where(interest.c.user_id == key)
    assert [i for (i,) in _native(store, rows.order_by(interest.c.id))] == ["ski", "Golf"]
    _native(store, sa.update(user).where(user.c.id == key).values(loyalty_points=40))
    assert store.get_account(made.id).attributes["loyaltyPoints"] == 40
    assert [a.id for a in store.search_accounts("loyaltyPoints ge 40").items] == [made.id]
    store.delete_accounts([made.id], reason=REASON)
    assert _native(store, rows) == []


def test_a_change_of_child_rows_only_changes_the_version(custom_store) -> None:
    store = custom_store()
    made = store.create_account(
        {"userName": "versioned", CUSTOM_SCHEMA: {"interests": ["a"]}}, reason=REASON
    )
    assert made.id
    after = store.update_account(made.id, {"interests": ["b"]}, reason=REASON)
    assert after.version != made.version
    with pytest.raises(Conflict):
        store.update_account(
            made.id, {"interests": ["c"]}, expected_version=made.version, reason=REASON
        )
    assert store.get_account(made.id).attributes["interests"] == ("b",)


def test_a_value_the_column_cannot_hold_is_refused_before_any_write(custom_store) -> None:
    narrow = {"type": "string", "source": "account_code"}  # a varchar(64)
    store = custom_store(loyaltyTier=narrow, accountCode=None)
    made = store.create_account({"userName": "narrow"}, reason=REASON)
    assert made.id
    with pytest.raises(InvalidInput, match="at most 64 characters") as caught:
        store.update_account(made.id, {"loyaltyTier": "x" * 65}, reason=REASON)
    assert caught.value.details["attribute"] == "loyaltyTier"
    assert caught.value.account == made.id and caught.value.store == "s"
    assert store.get_account(made.id).version == made.version
    assert store.update_account(made.id, {"loyaltyTier": "x" * 64}, reason=REASON).attributes == {
        "loyaltyTier": "x" * 64
    }
