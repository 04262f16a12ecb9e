"""The filters family of checks: searches answer exactly what the reference evaluator answers.

Results are compared with :func:`idconnect.core.filter.evaluate` applied to the accounts as the
store itself returns them, so a store is judged on its query translation, not on data it cannot
hold.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idconnect import Account, Conflict, FilterError, InvalidInput, Name, Store, UnsupportedFilter
from idconnect.core.filter import (
    CompareOp,
    Comparison,
    Filter,
    Not,
    bind,
    evaluate,
    parse,
    values_at,
)
from idconnect.core.filter.bind import canonical_path
from idconnect.core.filter.text import render_value
from idconnect.core.instants import format_instant
from idconnect.testing.dataset import HOSTILE_VALUES, fit_to_catalogue
from idconnect.testing.strategies import filters, normalising_texts
from idconnect.testing.suite.base import REASON, BaseSuite, SeededStore, needs, needs_attribute

__all__ = ["HANDWRITTEN_FILTERS", "FilterSuite"]

_ORDERING = {"gt", "ge", "lt", "le"}

NORMALISING_NAMES = (
    "\ufb01ona",
    "fiona",
    "\u212aelvin",
    "kz",
    "KZa",
    "cafe\u0301",
    "caf\u00e9",
    "\u00dfig",
    "\u2168th",
    "\uff46ull",
    "\\5cback",
    "{#brace",
    "~tilde",
    "a\u0308b",
)
"""Stored text that directories normalise: compatibility characters, combining marks, escapes."""
_NORMALISING_PATHS = ("userName", "displayName", "name.givenName")

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

    server_may_be_narrower: ClassVar[bool | None] = None
    """Whether the store forwards filters to a service whose own matching (e.g. NFC-normalised
    text) may find fewer accounts than the evaluator, which no client can correct: then the
    normalising-values check only asserts nothing beyond the evaluator. ``None``: true for the
    ``rest`` plugin (a remote SCIM service), false otherwise."""

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

    def test_normalising_values_order_and_match_like_the_evaluator(self, store: Store) -> None:
        """Ordering and substring tests over stored and generated normalising text are exact.

        The accounts hold compatibility characters, combining marks and escape-like text; a
        store must find exactly what the evaluator finds (never fewer, never more), or refuse
        the filter before any I/O, also under ``not``.
        """
        needs(store, "search_accounts")
        needs(store, "create_account")
        ids: list[str] = []
        for n, text in enumerate(NORMALISING_NAMES):
            account = Account(
                user_name=f"norm{n}-{text}",
                display_name=text,
                name=Name(given_name=text, family_name="Norm"),
            )
            try:
                created = store.create_account(
                    fit_to_catalogue(account, store.catalogue), reason=REASON
                )
            except (Conflict, InvalidInput):
                continue  # a store may fold two spellings to one name, or refuse a character
            assert created.id
            ids.append(created.id)
        assert len(ids) >= len(NORMALISING_NAMES) // 2, "the store refused most of the names"
        accounts = {i: store.get_account(i) for i in ids}
        paths = [p for p in _NORMALISING_PATHS if p in store.catalogue]
        stored = [v for a in accounts.values() for p in paths for v in values_at(a, p)]
        value = st.one_of(
            normalising_texts(), st.sampled_from([v for v in stored if isinstance(v, str)])
        )
        ops = st.sampled_from([op for op in CompareOp if op is not CompareOp.NE])
        leaf = st.builds(
            Comparison,
            st.sampled_from([canonical_path(d) for d in store.catalogue if d.path in paths]),
            ops,
            value,
        )
        answered: list[int] = []
        narrower_allowed = type(self).server_may_be_narrower
        if narrower_allowed is None:
            narrower_allowed = store.config.plugin == "rest"

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
            derandomize=True,
        )
        @given(st.one_of(leaf, st.builds(Not, leaf)))
        def check(tree: Filter) -> None:
            try:
                found = {a.id or "" for a in store.iter_accounts(tree, page_size=7)}
            except UnsupportedFilter:
                return
            answered.append(1)
            expected = {i for i, a in accounts.items() if evaluate(tree, a, store.catalogue)}
            if not narrower_allowed:
                assert expected <= found, f"{tree!r} missed {sorted(expected - found)}"
            assert found <= expected, f"{tree!r} also found {sorted(found - expected)}"

        check()
        assert len(answered) >= 75, "the store refused most normalising filters"

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
