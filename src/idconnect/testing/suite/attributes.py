"""Attributes configured per store: custom attributes held, typed, searched and sorted like any.

A backend that can hold custom attributes overrides the ``make_custom_store`` fixture: a
factory of fresh, empty stores whose config declares :data:`KIT_ATTRIBUTES` under the store's
``attributes``. Without it every test here is skipped, saying so. The suite checks:

- the catalogue lists every declared attribute with its type and visible / editable /
  searchable flags;
- values of every type survive a create and a read, typed;
- filters on custom attributes (``eq``, ``ne``, ``co``, ``sw``, ``ew``, ``pr``, orderings,
  combined with built-in attributes and negated) return what the reference evaluator says of
  the accounts as the store returns them;
- sorting by a searchable single-valued custom attribute, both ways, in the evaluator's order;
- updates change and clear custom values; a non-editable attribute, an unknown one and a value
  of the wrong type are refused (``InvalidInput``) before any write; a non-searchable attribute
  is refused in filters (``FilterError``); an invisible one is left out of the JSON form.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from idconnect import FilterError, InvalidInput, NotSupported, Store
from idconnect.core.convert import to_json
from idconnect.core.filter import bind, evaluate, parse, sort_key, values_at
from idconnect.core.schema import CUSTOM_SCHEMA, AttrType
from idconnect.testing.suite.base import REASON, BaseSuite, needs

__all__ = ["KIT_ATTRIBUTES", "CustomAttributeSuite"]

KIT_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "loyaltyTier": {"type": "string", "description": "Loyalty programme tier"},
    "loyaltyPoints": {"type": "integer"},
    "balance": {"type": "decimal"},
    "memberSince": {"type": "dateTime"},
    "newsletter": {"type": "boolean"},
    "profileUrl": {"type": "reference"},
    "interests": {"type": "string", "multi_valued": True},
    "internalNote": {"type": "string", "visible": False, "searchable": False},
    "accountCode": {"type": "string", "editable": False, "case_exact": True},
}
"""The custom attributes a store under this suite declares (its ``attributes`` setting)."""


def _at(day: int, hour: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


_VALUES: list[dict[str, Any]] = [
    {"loyaltyTier": "Gold", "loyaltyPoints": 1200, "balance": "19.990000", "newsletter": True},
    {"loyaltyTier": "gold", "loyaltyPoints": -5, "balance": -3.5, "interests": ["Golf", "ski"]},
    {"loyaltyTier": "Silver", "loyaltyPoints": 2**62, "memberSince": _at(3, 12)},
    {"loyaltyTier": "straße", "interests": ["ski", "Ski"], "profileUrl": "https://x.example/A"},
    {"loyaltyTier": "ﬁne", "balance": "0.000001", "newsletter": False, "accountCode": "AB-1"},
    {"loyaltyTier": "50%_off", "memberSince": _at(1), "profileUrl": "https://x.example/a"},
    {"loyaltyPoints": 0, "interests": ["golf"], "internalNote": "call back", "accountCode": "ab-1"},
    {},
]
"""Custom values of the kit's accounts ``custom0`` … (one holds none)."""

FILTERS = [
    'loyaltyTier eq "gold"',
    'loyaltyTier ne "gold"',
    'loyaltyTier co "%"',
    'loyaltyTier co "_"',
    'loyaltyTier sw "s"',
    'loyaltyTier sw "STR"',
    'loyaltyTier ew "ER"',
    'loyaltyTier sw "fi"',
    "loyaltyTier pr",
    "not (loyaltyTier pr)",
    'loyaltyTier gt "gold"',
    'loyaltyTier le "silver"',
    "loyaltyPoints gt 0",
    "loyaltyPoints ge 4611686018427387904",
    "loyaltyPoints lt 0 or loyaltyPoints eq 0",
    "loyaltyPoints ne 1200",
    "loyaltyPoints lt 9223372036854775808",
    "balance gt 0",
    "balance eq 19.99",
    "balance le 0.000001",
    "balance lt -3.4",
    'memberSince gt "2024-01-02T00:00:00Z"',
    'memberSince le "2024-01-01T00:00:00+00:00"',
    "newsletter eq true",
    "newsletter eq false",
    "not (newsletter eq true)",
    'profileUrl eq "https://x.example/a"',
    'profileUrl co "/A"',
    'interests eq "ski"',
    'interests eq "golf" and loyaltyPoints pr',
    'interests sw "go" or loyaltyTier eq "silver"',
    'not (interests co "k")',
    'accountCode eq "AB-1"',
    'accountCode sw "ab"',
    'userName sw "custom" and loyaltyTier pr and not (balance gt 0)',
    'loyaltyTier eq "gold" or userName eq "custom7"',
]
"""Filters on the custom attributes, checked against the reference evaluator."""


class CustomAttributeSuite(BaseSuite):
    """Custom attributes declared in the store's config (see the module's doc)."""

    @pytest.fixture(scope="class")
    @classmethod
    def make_custom_store(cls) -> Callable[[], Store] | None:
        """A factory of fresh stores declaring :data:`KIT_ATTRIBUTES`; ``None``: not held."""
        return None

    @pytest.fixture
    def custom_store(self, make_custom_store: Callable[[], Store] | None) -> Store:
        """A fresh store declaring :data:`KIT_ATTRIBUTES`."""
        if make_custom_store is None:
            pytest.skip("this backend's kit declares no store holding custom attributes")
        store = make_custom_store()
        needs(store, "create_account", "search_accounts", "get_account")
        return store

    @pytest.fixture(scope="class")
    @classmethod
    def seeded_custom(
        cls, make_custom_store: Callable[[], Store] | None
    ) -> tuple[Store, dict[str, Any]] | None:
        """A store holding the kit's accounts with custom values, and them as it returns them."""
        if make_custom_store is None:
            return None
        store = make_custom_store()
        if "create_account" not in store.capabilities:
            return None
        accounts: dict[str, Any] = {}
        for n, values in enumerate(_VALUES):
            made = store.create_account(
                {"userName": f"custom{n}", CUSTOM_SCHEMA: values}, reason=REASON
            )
            assert made.id, "create_account must return the new id"
            accounts[made.id] = store.get_account(made.id)
        return store, accounts

    def _seeded(self, seeded: tuple[Store, dict[str, Any]] | None) -> tuple[Store, dict[str, Any]]:
        if seeded is None:
            pytest.skip("this backend's kit declares no store holding custom attributes")
        return seeded

    def test_the_catalogue_lists_declared_attributes(self, custom_store: Store) -> None:
        """The catalogue lists each declared attribute with its type and flags."""
        custom = {d.path: d for d in custom_store.catalogue if d.custom}
        assert set(custom) == set(KIT_ATTRIBUTES)
        for name, declared in KIT_ATTRIBUTES.items():
            definition = custom[name]
            assert definition.type is AttrType(declared["type"])
            assert definition.multi_valued is declared.get("multi_valued", False)
            assert definition.visible is declared.get("visible", True)
            assert definition.mutable is declared.get("editable", True)
            assert definition.searchable is declared.get("searchable", True)
        assert custom["loyaltyTier"].description == "Loyalty programme tier"

    def test_values_of_every_type_survive_create_and_read(self, seeded_custom: Any) -> None:
        """Values of every type come back typed from a create and a read."""
        _, accounts = self._seeded(seeded_custom)
        by_name = {a.user_name: a for a in accounts.values()}
        first = by_name["custom0"].attributes
        assert first["loyaltyTier"] == "Gold" and first["loyaltyPoints"] == 1200
        assert first["balance"] == Decimal("19.99") and first["newsletter"] is True
        assert by_name["custom1"].attributes["interests"] == ("Golf", "ski")
        assert by_name["custom1"].attributes["balance"] == Decimal("-3.5")
        assert by_name["custom2"].attributes["loyaltyPoints"] == 2**62
        assert by_name["custom2"].attributes["memberSince"] == _at(3, 12)
        assert by_name["custom3"].attributes["loyaltyTier"] == "straße"
        assert by_name["custom4"].attributes["newsletter"] is False
        assert by_name["custom6"].attributes["internalNote"] == "call back"
        assert by_name["custom7"].attributes == {}

    @pytest.mark.parametrize("text", FILTERS)
    def test_filters_agree_with_the_evaluator(self, seeded_custom: Any, text: str) -> None:
        """A filter on custom attributes returns what the reference evaluator says."""
        store, accounts = self._seeded(seeded_custom)
        tree = bind(parse(text), store.catalogue)
        expected = {i for i, a in accounts.items() if evaluate(tree, a, store.catalogue)}
        found = [a.id for a in store.iter_accounts(text, page_size=3)]
        assert len(found) == len(set(found)), "paging returned an account twice"
        assert set(found) == expected, text

    @pytest.mark.parametrize("path", ["loyaltyTier", "loyaltyPoints", "balance", "memberSince"])
    @pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
    def test_sorting_by_a_custom_attribute(
        self, seeded_custom: Any, path: str, descending: bool
    ) -> None:
        """Sorted by a custom attribute: the core's order, missing values last, across pages."""
        store, accounts = self._seeded(seeded_custom)
        definition = store.catalogue.get(path)
        assert definition is not None
        try:
            got = list(store.iter_accounts(sort_by=path, descending=descending, page_size=3))
        except NotSupported as exc:
            pytest.skip(f"store {store.name} cannot sort by {path}: {exc}")
        keys = [sort_key((values_at(a, path) or [None])[0], definition.case_exact) for a in got]
        present = [k for k in keys if k[0] == 0]
        assert keys == present + [k for k in keys if k[0] == 1], "missing values must come last"
        values = [k[1] for k in present]
        assert values == sorted(values, reverse=descending)
        assert sorted(a.id or "" for a in got) == sorted(accounts)

    def test_updates_change_and_clear_custom_values(self, custom_store: Store) -> None:
        """An update sets and clears custom values; a read shows the same."""
        made = custom_store.create_account(
            {"userName": "changed", CUSTOM_SCHEMA: {"loyaltyTier": "Gold", "interests": ["a"]}},
            reason=REASON,
        )
        assert made.id
        needs(custom_store, "update_account")
        after = custom_store.update_account(
            made.id,
            {"loyaltyTier": None, "loyaltyPoints": 7, "interests": ["b", "c"]},
            reason=REASON,
        )
        assert after.attributes == {"loyaltyPoints": 7, "interests": ("b", "c")}
        assert custom_store.get_account(made.id).attributes == after.attributes
        assert custom_store.search_accounts("loyaltyTier pr").items == ()

    def test_refusals_come_before_any_write(self, custom_store: Store) -> None:
        """Read-only, unknown and badly typed changes are refused before any write."""
        made = custom_store.create_account(
            {"userName": "guarded", CUSTOM_SCHEMA: {"accountCode": "X1"}}, reason=REASON
        )
        assert made.id
        needs(custom_store, "update_account")
        for changes, named in (
            ({"accountCode": "X2"}, "accountCode"),
            ({"nickname": "x"}, "nickname"),
            ({"loyaltyPoints": "many"}, "loyaltyPoints"),
            ({"balance": 10**16}, "balance"),
            ({"memberSince": "yesterday"}, "memberSince"),
            ({"interests": "not a list"}, "interests"),
        ):
            with pytest.raises(InvalidInput, match=named):
                custom_store.update_account(made.id, changes, reason=REASON)
        assert custom_store.get_account(made.id).version == made.version
        with pytest.raises(FilterError, match="not searchable"):
            custom_store.search_accounts('internalNote eq "x"')
        with pytest.raises(InvalidInput, match="not editable"):
            custom_store.update_account(
                made.id, {CUSTOM_SCHEMA: {"accountCode": "X3"}}, reason=REASON
            )

    def test_invisible_attributes_are_left_out_of_json(self, seeded_custom: Any) -> None:
        """An attribute configured invisible is left out of the JSON form."""
        store, accounts = self._seeded(seeded_custom)
        noted = next(a for a in accounts.values() if "internalNote" in a.attributes)
        shown = to_json(noted, catalogue=store.catalogue)[CUSTOM_SCHEMA]
        assert "internalNote" not in shown and shown["accountCode"] == "ab-1"
