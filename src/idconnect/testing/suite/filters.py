"""The filters family of checks: searches answer exactly what the reference evaluator answers.

Results are compared with :func:`idconnect.core.filter.evaluate` applied to the accounts as the
store itself returns them, so a store is judged on its query translation, not on data it cannot
hold.
"""

from __future__ import annotations

from datetime import timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings

from idconnect import FilterError, UnsupportedFilter
from idconnect.core.filter import Filter, bind, parse, values_at
from idconnect.core.filter.text import render_value
from idconnect.core.instants import format_instant
from idconnect.testing.dataset import HOSTILE_VALUES
from idconnect.testing.strategies import filters
from idconnect.testing.suite.base import BaseSuite, SeededStore, needs, needs_attribute

__all__ = ["HANDWRITTEN_FILTERS", "FilterSuite"]

_ORDERING = {"gt", "ge", "lt", "le"}

HANDWRITTEN_FILTERS = (
    'userName eq "bjensen"',
    'userName eq "BJENSEN"',
    'userName ne "bjensen"',
    'userName sw "b"',
    'userName ew "E"',
    'userName co "_"',
    'userName co "%"',
    'userName gt "m"',
    'userName le "bjensen"',
    "userName pr",
    "displayName pr",
    "not (displayName pr)",
    'displayName eq "*"',
    'displayName ne "Babs Jensen"',
    'name.familyName eq "jensen"',
    'name.familyName co "\'"',
    'name.givenName sw "al"',
    'emails co "example.com"',
    'emails.value ew "@example.org"',
    'emails.value eq "ALICE.B@example.com"',
    'emails.type eq "work"',
    'emails[type eq "work" and value co "example"]',
    'emails[type eq "home" and primary eq true]',
    'emails.type eq "home" and emails.primary eq true',
    "emails.verified eq true",
    "emails pr",
    "not (emails pr)",
    'phoneNumbers.value sw "+1555"',
    "phoneNumbers pr",
    "active eq false",
    "active ne true",
    'organization eq "ACME"',
    'organization ne "acme"',
    'not (organization eq "acme" or organization eq "globex")',
    "organization pr and active eq true",
    'externalIdentities.provider eq "google"',
    'externalIdentities[provider eq "okta-acme" and subject sw "00u"]',
    'externalIdentities.subject eq "G-0000"',
    "emailVerified eq true",
    'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "user0"',
    'urn:ietf:params:scim:schemas:extension:idconnect:2.0:User:organization eq "initech"',
    '(userName sw "user" and organization eq "acme") or userName eq "alice"',
    'userName sw "user" and not (organization pr)',
    'name.familyName eq "Müller" or name.givenName eq "élodie"',
    'userName eq "élodie.ça"',
    'groups.display eq "beta"',
    'roleAssignments[role eq "admin" and organization eq "initech"]',
    'roleAssignments.role eq "viewer"',
)
"""Filters every store must answer like the reference evaluator (those its catalogue allows)."""


def _sample_values(seeded: SeededStore) -> dict[str, list[object]]:
    """Each catalogue path's distinct values among the seeded accounts, for generated filters."""
    values: dict[str, list[object]] = {}
    for definition in seeded.catalogue:
        seen: list[object] = []
        for account in seeded.accounts.values():
            for value in values_at(account, definition.path):
                if value not in seen:
                    seen.append(value)
        values[definition.path] = seen
    return values


class FilterSuite(BaseSuite):
    """Searches answer exactly what the reference evaluator answers."""

    def _check(self, seeded: SeededStore, text_or_tree: str | Filter) -> None:
        tree = parse(text_or_tree) if isinstance(text_or_tree, str) else text_or_tree
        try:
            bound = bind(tree, seeded.catalogue)
        except FilterError:
            with pytest.raises(FilterError):
                seeded.store.search_accounts(tree)
            return
        found = seeded.found(bound)
        assert len(found) == len(set(found)), f"duplicates for {text_or_tree!r}"
        assert set(found) == seeded.expected(bound), f"wrong result for {text_or_tree!r}"

    @pytest.mark.parametrize("text", HANDWRITTEN_FILTERS)
    def test_handwritten_filter(self, seeded: SeededStore, text: str) -> None:
        """Each hand-written filter finds exactly what the reference evaluator finds."""
        needs(seeded.store, "search_accounts")
        self._check(seeded, text)

    @pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
    @pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt"])
    def test_hostile_value(self, seeded: SeededStore, op: str, value: str) -> None:
        """Values with SQL, LDAP and SCIM metacharacters are matched literally."""
        needs(seeded.store, "search_accounts")
        for path in ("userName", "displayName", "emails.value"):
            if path in seeded.catalogue:
                try:
                    self._check(seeded, f"{path} {op} {render_value(value)}")
                except UnsupportedFilter:
                    # A store may refuse to order an attribute it has no ordering rule for
                    # (LDAP's mail); equality and substrings it must always answer.
                    if op not in _ORDERING:
                        pytest.fail(f"{path} {op} with a hostile value must be answered")

    def test_dates_compare_as_instants(self, seeded: SeededStore) -> None:
        """Instants compare as instants, whatever the offset they are written with."""
        needs_attribute(seeded.store, "meta.created")
        created = sorted(a.created for a in seeded.accounts.values() if a.created)
        middle = created[len(created) // 2]
        shifted = middle.astimezone(timezone(timedelta(hours=5)))
        for op in ("gt", "ge", "lt", "le", "eq", "ne"):
            self._check(seeded, f'meta.created {op} "{shifted.isoformat()}"')
            self._check(seeded, f'meta.created {op} "{format_instant(middle)}"')

    def test_unknown_attribute_is_a_filter_error(self, seeded: SeededStore) -> None:
        """A filter on an unknown attribute is a FilterError naming it."""
        with pytest.raises(FilterError) as info:
            seeded.store.search_accounts('favouriteColour eq "blue"')
        assert "favouriteColour" in str(info.value)

    def test_malformed_filter_names_the_column(self, seeded: SeededStore) -> None:
        """A malformed filter is a FilterError naming the column."""
        with pytest.raises(FilterError) as info:
            seeded.store.search_accounts('userName equals "x"')
        assert info.value.details.get("column") == 10

    def test_generated_filters(self, seeded: SeededStore) -> None:
        """Generated filters find exactly what the reference evaluator finds."""
        needs(seeded.store, "search_accounts")
        values = _sample_values(seeded)
        answered: list[int] = []

        @settings(
            max_examples=120,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            derandomize=True,
        )
        @given(filters(seeded.catalogue, values))
        def check(tree: Filter) -> None:
            try:
                found = seeded.found(tree, page_size=50)
            except UnsupportedFilter:
                return
            answered.append(1)
            assert set(found) == seeded.expected(tree), f"wrong result for {tree!r}"

        check()
        assert len(answered) >= 60, "the store refused most generated filters"
