"""The conformance suite: what every idconnect backend must do, checked through the facade.

Subclass :class:`ConformanceSuite` (or single suites such as :class:`FilterSuite`) in a test
module and provide ``make_store``: a class-scoped fixture returning a zero-argument callable that
gives a fresh, empty :class:`~idconnect.Store`. Read-only suites seed the canonical data set
(:mod:`idconnect.testing.dataset`) once per class; mutating tests take a fresh store each.

Every test is gated on the store's capabilities: a capability the store has is exercised, and a
capability it lacks must raise ``NotSupported`` -- nothing is skipped. Search results are compared
with the reference evaluator (:func:`idconnect.core.filter.evaluate`) applied to the accounts as
the store itself returns them, so a store is judged on its query translation, not on data it
cannot hold.

Optional fixtures a backend may override (both default to ``None``):

- ``seed_sessions``: ``(store, account_id) -> list[str]`` inserts two sessions natively and
  returns their ids; for stores that keep sessions.
- ``seed_failed_attempts``: ``(store, account_id, password, otp) -> None`` sets the counters
  natively, as failed logins would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from idconnect.core.convert import account_from_json, to_json
from idconnect.core.errors import (
    Conflict,
    FilterError,
    InvalidInput,
    NotFound,
    NotSupported,
    UnsupportedFilter,
)
from idconnect.core.facade import Store
from idconnect.core.filter import Filter, bind, evaluate, parse, sort_key, values_at
from idconnect.core.filter.text import render_value
from idconnect.core.instants import format_instant, utc_now
from idconnect.core.model import Account, AuthenticatorKind, Email, Group, Name
from idconnect.core.plugins import OPERATIONS
from idconnect.core.schema import Catalogue
from idconnect.testing.dataset import DATASET, GROUPS, HOSTILE_VALUES, fit_to_catalogue
from idconnect.testing.strategies import filters

__all__ = [
    "AccountSuite",
    "AuthenticatorSuite",
    "BulkSuite",
    "ConformanceSuite",
    "FilterSuite",
    "GroupSuite",
    "PagingSuite",
    "RoleSuite",
    "SeededStore",
    "SessionSuite",
    "SortingSuite",
]

REASON = "conformance kit"
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


class SeededStore:
    """A store seeded with the canonical data set, and the accounts as the store returns them.

    :param store: a fresh, empty store.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.catalogue: Catalogue = store.catalogue
        caps = store.capabilities
        self.ids: list[str] = []
        by_name: dict[str, str] = {}
        for seed in DATASET:
            account = store.create_account(
                fit_to_catalogue(seed.account, self.catalogue), reason=REASON
            )
            assert account.id, "create_account must return the new id"
            self.ids.append(account.id)
            by_name[seed.account.user_name] = account.id
        disabled = [by_name[s.account.user_name] for s in DATASET if s.disabled]
        if disabled and "set_account_enabled" in caps | {"bulk_set_accounts_enabled"}:
            store.disable_accounts(disabled, reason=REASON).raise_for_failures()
        self.groups: dict[str, str] = {}
        if "create_group" in caps:
            for name in GROUPS:
                group = store.create_group(Group(display_name=name), reason=REASON)
                assert group.id
                self.groups[name] = group.id
                members = [by_name[s.account.user_name] for s in DATASET if name in s.groups]
                if members and caps & {"add_group_member", "bulk_add_group_members"}:
                    store.add_to_group(group.id, members, reason=REASON).raise_for_failures()
        if "assign_role" in caps:
            for seed in DATASET:
                for role in seed.roles:
                    store.assign_role(
                        by_name[seed.account.user_name],
                        role.role,
                        organization=role.organization,
                        reason=REASON,
                    )
        self.by_name = by_name
        self.accounts: dict[str, Account] = {i: store.get_account(i) for i in self.ids}

    def expected(self, bound: Filter) -> set[str]:
        """The ids the reference evaluator says match ``bound``.

        :param bound: a filter bound to this store's catalogue.
        :returns: matching account ids.
        """
        return {i for i, a in self.accounts.items() if evaluate(bound, a, self.catalogue)}

    def found(self, filter: Filter | str, **kwargs: Any) -> list[str]:
        """Every id the store's search returns for ``filter``, walking all pages.

        :param filter: filter text or tree.
        :param kwargs: passed to ``iter_accounts``.
        :returns: ids in the order returned.
        """
        return [a.id for a in self.store.iter_accounts(filter, **kwargs) if a.id]


def _expect_not_supported(call: Callable[[], object]) -> None:
    with pytest.raises(NotSupported):
        call()


class _Base:
    """Fixtures shared by all suites."""

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls) -> Callable[[], Store]:
        """Override: return a callable giving a fresh, empty store."""
        raise NotImplementedError("a conformance suite needs a make_store fixture")

    @pytest.fixture
    def seed_sessions(self) -> Callable[[Store, str], list[str]] | None:
        """Override for stores that keep sessions: insert two sessions natively."""
        return None

    @pytest.fixture
    def seed_failed_attempts(self) -> Callable[[Store, str, int, int], None] | None:
        """Override for stores that count failed logins: set the counters natively."""
        return None

    @pytest.fixture(scope="class")
    @classmethod
    def seeded(cls, make_store: Callable[[], Store]) -> SeededStore:
        """A store with the canonical data set, shared by a class's read-only tests."""
        return SeededStore(make_store())

    @pytest.fixture
    def store(self, make_store: Callable[[], Store]) -> Store:
        """A fresh, empty store for one mutating test."""
        return make_store()

    @staticmethod
    def _one(store: Store, user_name: str = "kit.user") -> Account:
        account = Account(
            user_name=user_name,
            name=Name(given_name="Kit", family_name="User", formatted="Kit User"),
            emails=(Email(value=f"{user_name}@example.net", type="work", primary=True),),
        )
        return store.create_account(fit_to_catalogue(account, store.catalogue), reason=REASON)


class AccountSuite(_Base):
    """Create, read, update, enable/disable, delete; errors; optimistic concurrency."""

    def test_created_accounts_read_back(self, seeded: SeededStore) -> None:
        for seed, account_id in zip(DATASET, seeded.ids, strict=True):
            want = fit_to_catalogue(seed.account, seeded.catalogue)
            got = seeded.accounts[account_id]
            assert got.id == account_id
            assert got.user_name == want.user_name
            assert got.display_name == want.display_name
            assert got.organization == want.organization
            assert (got.name.given_name if got.name else None) == (
                want.name.given_name if want.name else None
            )
            assert (got.name.family_name if got.name else None) == (
                want.name.family_name if want.name else None
            )
            assert sorted(e.value for e in got.emails) == sorted(e.value for e in want.emails)
            assert sorted(p.value for p in got.phone_numbers) == sorted(
                p.value for p in want.phone_numbers
            )
            assert set(got.external_identities) == set(want.external_identities)
            assert got.active is not seed.disabled
            assert got.version, "every account must carry a version"
            if "meta.created" in seeded.catalogue:
                assert got.created is not None

    def test_canonical_json_round_trips(self, seeded: SeededStore) -> None:
        for account in seeded.accounts.values():
            assert account_from_json(to_json(account)) == account

    def test_created_is_the_instant_of_creation(self, store: Store) -> None:
        before = utc_now()
        account = self._one(store)
        if "meta.created" not in store.catalogue:
            return
        assert account.created is not None
        # a store writing local time as UTC (or the reverse) is off by hours, not seconds
        assert before - timedelta(minutes=5) <= account.created <= utc_now() + timedelta(minutes=5)

    def test_get_unknown_account_is_not_found(self, seeded: SeededStore) -> None:
        with pytest.raises(NotFound) as info:
            seeded.store.get_account("no-such-account-4711")
        assert seeded.store.name in str(info.value)

    def test_user_name_is_unique_ignoring_case(self, store: Store) -> None:
        if "create_account" not in store.capabilities:
            _expect_not_supported(lambda: self._one(store))
            return
        self._one(store, "dup.user")
        with pytest.raises(Conflict):
            self._one(store, "DUP.User")

    def test_update_changes_attributes_and_version(self, store: Store) -> None:
        if "update_account" not in store.capabilities:
            account = self._one(store)
            _expect_not_supported(
                lambda: store.update_account(account.id or "", {"displayName": "x"})
            )
            return
        account = self._one(store)
        changes: dict[str, Any] = {"userName": "kit.renamed"}
        if "displayName" in store.catalogue:
            changes["displayName"] = "Kit Renamed"
        if "name.givenName" in store.catalogue:
            changes["name.givenName"] = "Kitty"
        assert account.id
        updated = store.update_account(
            account.id, changes, expected_version=account.version, reason=REASON
        )
        assert updated.id == account.id
        assert updated.user_name == "kit.renamed"
        assert updated.version != account.version
        again = store.get_account(account.id)
        assert again.user_name == "kit.renamed"
        if "displayName" in store.catalogue:
            assert again.display_name == "Kit Renamed"
        if "name.givenName" in store.catalogue:
            assert again.name is not None and again.name.given_name == "Kitty"
            assert again.name.family_name == "User"

    def test_stale_update_is_a_conflict_and_changes_nothing(self, store: Store) -> None:
        if "update_account" not in store.capabilities:
            return self.test_update_changes_attributes_and_version(store)
        account = self._one(store)
        assert account.id
        store.update_account(
            account.id, {"userName": "kit.first"}, expected_version=account.version
        )
        with pytest.raises(Conflict):
            store.update_account(
                account.id, {"userName": "kit.second"}, expected_version=account.version
            )
        assert store.get_account(account.id).user_name == "kit.first"

    def test_disable_then_enable(self, store: Store) -> None:
        account = self._one(store)
        assert account.id
        caps = store.capabilities
        if not caps & {"set_account_enabled", "bulk_set_accounts_enabled"}:
            _expect_not_supported(lambda: store.disable_accounts([account.id or ""], reason=REASON))
            return
        assert store.disable_accounts([account.id], reason=REASON).ok
        disabled = store.get_account(account.id)
        assert disabled.active is False
        if "disabledAt" in store.catalogue:
            assert disabled.disabled_at is not None
        assert store.enable_accounts([account.id], reason=REASON).ok
        enabled = store.get_account(account.id)
        assert enabled.active is True
        assert enabled.disabled_at is None
        events = store.events(account.id)
        actions = [e.action for e in events]
        assert actions[-2:] == ["disable_account", "enable_account"]
        assert all(e.reason == REASON and e.outcome == "success" for e in events[-2:])

    def test_delete(self, store: Store) -> None:
        account = self._one(store)
        assert account.id
        caps = store.capabilities
        if not caps & {"delete_account", "bulk_delete_accounts"}:
            _expect_not_supported(lambda: store.delete_accounts([account.id or ""], reason=REASON))
            return
        assert store.delete_accounts([account.id], reason=REASON).ok
        with pytest.raises(NotFound):
            store.get_account(account.id)

    def test_every_missing_capability_raises_not_supported(self, store: Store) -> None:
        missing = OPERATIONS - store.capabilities
        for op in sorted(missing):
            call = _CALLS.get(op)
            if call is None:
                continue  # a bulk variant: its single operation's test covers it
            with pytest.raises(NotSupported) as info:
                call(store)
            assert store.name in str(info.value)


_CALLS: dict[str, Callable[[Store], object]] = {
    "get_account": lambda s: s.get_account("x"),
    "search_accounts": lambda s: s.search_accounts(),
    "create_account": lambda s: s.create_account({"userName": "x"}),
    "update_account": lambda s: s.update_account("x", {"displayName": "x"}),
    "search_groups": lambda s: s.search_groups(),
    "get_group": lambda s: s.get_group("x"),
    "create_group": lambda s: s.create_group({"displayName": "x"}),
    "delete_group": lambda s: s.delete_group("x", reason=REASON),
    "list_roles": lambda s: s.list_roles(),
    "assign_role": lambda s: s.assign_role("x", "r", reason=REASON),
    "unassign_role": lambda s: s.unassign_role("x", "r", reason=REASON),
    "list_authenticators": lambda s: s.list_authenticators("x"),
    "add_authenticator": lambda s: s.add_authenticator("x", "email", "a@b.co", reason=REASON),
    "remove_authenticator": lambda s: s.remove_authenticator("x", "y", reason=REASON),
    "set_password": lambda s: s.set_password("x", "correct horse", reason=REASON),
    "reset_failed_attempts": lambda s: s.reset_failed_attempts("x", reason=REASON),
    "list_sessions": lambda s: s.list_sessions("x"),
    "revoke_session": lambda s: s.revoke_session("x", "y", reason=REASON),
    "revoke_sessions": lambda s: s.revoke_sessions("x", reason=REASON),
}


def _sample_values(seeded: SeededStore) -> dict[str, list[object]]:
    values: dict[str, list[object]] = {}
    for definition in seeded.catalogue:
        seen: list[object] = []
        for account in seeded.accounts.values():
            for value in values_at(account, definition.path):
                if value not in seen:
                    seen.append(value)
        values[definition.path] = seen
    return values


class FilterSuite(_Base):
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
        if "search_accounts" not in seeded.store.capabilities:
            _expect_not_supported(lambda: seeded.store.search_accounts(text))
            return
        self._check(seeded, text)

    @pytest.mark.parametrize("value", HOSTILE_VALUES, ids=range(len(HOSTILE_VALUES)))
    @pytest.mark.parametrize("op", ["eq", "ne", "co", "sw", "ew", "gt"])
    def test_hostile_value(self, seeded: SeededStore, op: str, value: str) -> None:
        if "search_accounts" not in seeded.store.capabilities:
            return
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
        if "meta.created" not in seeded.catalogue:
            return
        created = sorted(a.created for a in seeded.accounts.values() if a.created)
        middle = created[len(created) // 2]
        shifted = middle.astimezone(timezone(timedelta(hours=5)))
        for op in ("gt", "ge", "lt", "le", "eq", "ne"):
            self._check(seeded, f'meta.created {op} "{shifted.isoformat()}"')
            self._check(seeded, f'meta.created {op} "{format_instant(middle)}"')

    def test_unknown_attribute_is_a_filter_error(self, seeded: SeededStore) -> None:
        with pytest.raises(FilterError) as info:
            seeded.store.search_accounts('favouriteColour eq "blue"')
        assert "favouriteColour" in str(info.value)

    def test_malformed_filter_names_the_column(self, seeded: SeededStore) -> None:
        with pytest.raises(FilterError) as info:
            seeded.store.search_accounts('userName equals "x"')
        assert info.value.details.get("column") == 10

    def test_generated_filters(self, seeded: SeededStore) -> None:
        if "search_accounts" not in seeded.store.capabilities:
            return
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


class PagingSuite(_Base):
    """Cursors: no duplicates, no gaps, honest totals, resumable, tied to their query."""

    def test_walk_every_page(self, seeded: SeededStore) -> None:
        store = seeded.store
        seen: list[str] = []
        page = store.search_accounts(count=4, include_total=True)
        if page.total is not None:
            assert page.total == len(seeded.ids), "total must count every result, not the page"
        while True:
            assert len(page.items) <= 4
            seen.extend(a.id for a in page.items if a.id)
            if page.next_cursor is None:
                break
            page = store.search_accounts(count=4, cursor=page.next_cursor)
        assert len(seen) == len(set(seen)), "an account came twice"
        assert set(seen) == set(seeded.ids), "an account was skipped"

    def test_walk_filtered_sorted_pages(self, seeded: SeededStore) -> None:
        store = seeded.store
        text = "active eq true"
        try:
            expected = seeded.expected(bind(parse(text), seeded.catalogue))
            got = [a.id for a in store.iter_accounts(text, sort_by="userName", page_size=3)]
        except NotSupported:
            got = [a.id for a in store.iter_accounts(text, page_size=3)]
        assert len(got) == len(set(got))
        assert set(got) == expected

    def test_cursor_of_another_query_is_refused(self, seeded: SeededStore) -> None:
        page = seeded.store.search_accounts('userName sw "user"', count=2)
        assert page.next_cursor is not None
        with pytest.raises(InvalidInput):
            seeded.store.search_accounts('userName sw "b"', count=2, cursor=page.next_cursor)

    def test_garbage_cursor_is_refused(self, seeded: SeededStore) -> None:
        with pytest.raises(InvalidInput):
            seeded.store.search_accounts(count=2, cursor="not-a-cursor!!")

    def test_cursor_survives_inserts(self, store: Store) -> None:
        ids = {self._one(store, f"page.{n:02d}").id for n in range(7)}
        first = store.search_accounts(count=3)
        for n in range(3):
            self._one(store, f"late.{n:02d}")
        seen = [a.id for a in first.items]
        cursor = first.next_cursor
        while cursor:
            page = store.search_accounts(count=3, cursor=cursor)
            seen.extend(a.id for a in page.items)
            cursor = page.next_cursor
        assert len(seen) == len(set(seen))
        assert ids <= set(seen)


class SortingSuite(_Base):
    """sortBy/sortOrder: code-point order of lowered strings, instants, missing values last."""

    @pytest.mark.parametrize("path", ["userName", "meta.created", "name.familyName", "displayName"])
    @pytest.mark.parametrize("descending", [False, True])
    def test_sorted(self, seeded: SeededStore, path: str, descending: bool) -> None:
        store = seeded.store
        definition = seeded.catalogue.get(path)
        if definition is None:
            with pytest.raises(FilterError):
                store.search_accounts(sort_by=path)
            return
        try:
            got = list(store.iter_accounts(sort_by=path, descending=descending, page_size=5))
        except NotSupported:
            return
        keys = [sort_key((values_at(a, path) or [None])[0], definition.case_exact)[:2] for a in got]
        present = [k for k in keys if k[0] == 0]
        missing = [k for k in keys if k[0] == 1]
        assert keys == present + missing, "missing values must come last"
        values = [k[1] for k in present]
        assert values == sorted(values, reverse=descending)
        assert len(got) == len({a.id for a in got}), "an account came twice across pages"
        assert {a.id for a in got} == set(seeded.ids)

    def test_sort_by_multi_valued_attribute_is_refused(self, seeded: SeededStore) -> None:
        with pytest.raises(InvalidInput):
            seeded.store.search_accounts(sort_by="emails.value")


class BulkSuite(_Base):
    """Bulk actions report each account; one bad id never stops the others."""

    def test_bulk_disable_reports_each_account(self, store: Store) -> None:
        ids = [self._one(store, f"bulk.{n}").id or "" for n in range(5)]
        if not store.capabilities & {"set_account_enabled", "bulk_set_accounts_enabled"}:
            _expect_not_supported(lambda: store.disable_accounts(ids, reason=REASON))
            return
        result = store.disable_accounts([*ids[:3], "no-such-id", *ids[3:]], reason=REASON)
        assert [o.account_id for o in result.outcomes] == [*ids[:3], "no-such-id", *ids[3:]]
        assert [o.ok for o in result.outcomes] == [True, True, True, False, True, True]
        assert isinstance(result.failed[0].error, NotFound)
        assert "no-such-id" in str(result.failed[0].error)
        assert all(not store.get_account(i).active for i in ids)
        failures = [e for e in store.events(action="disable_account") if e.outcome == "failure"]
        assert [e.account_id for e in failures] == ["no-such-id"]

    def test_bulk_delete_reports_each_account(self, store: Store) -> None:
        ids = [self._one(store, f"gone.{n}").id or "" for n in range(3)]
        if not store.capabilities & {"delete_account", "bulk_delete_accounts"}:
            _expect_not_supported(lambda: store.delete_accounts(ids, reason=REASON))
            return
        result = store.delete_accounts(["missing-1", *ids], reason=REASON)
        assert [o.ok for o in result.outcomes] == [False, True, True, True]
        assert store.search_accounts().items == ()

    def test_bulk_create_reports_each_account(self, store: Store) -> None:
        taken = self._one(store, "taken.name")
        resources: list[Any] = [
            {"userName": "import.one"},
            {"userName": "TAKEN.name"},
            {"userName": "import.two", "emails": "not-a-list"},
            {"displayName": "no user name"},
            {"userName": "import.three"},
        ]
        if "create_account" not in store.capabilities:
            _expect_not_supported(lambda: store.create_accounts(resources, reason=REASON))
            return
        result = store.create_accounts(resources, reason=REASON)
        assert [o.ok for o in result.outcomes] == [True, False, False, False, True]
        assert [o.account_id for o in result.outcomes[1:4]] == ["TAKEN.name", "import.two", "#3"]
        assert isinstance(result.outcomes[1].error, Conflict)
        assert isinstance(result.outcomes[2].error, InvalidInput)
        for outcome in (result.outcomes[0], result.outcomes[4]):
            assert outcome.account is not None and outcome.account.id == outcome.account_id
            assert store.get_account(outcome.account_id).user_name == outcome.account.user_name
        assert taken.id and store.get_account(taken.id).user_name == "taken.name"
        failures = [e for e in store.events(action="create_account") if e.outcome == "failure"]
        assert [e.target for e in failures] == ["TAKEN.name"]

    def test_bulk_needs_a_reason(self, store: Store) -> None:
        with pytest.raises(InvalidInput):
            store.disable_accounts(["x"], reason="")


class GroupSuite(_Base):
    """Groups and memberships, single and bulk."""

    def test_memberships_read_back(self, seeded: SeededStore) -> None:
        store = seeded.store
        if "create_group" not in store.capabilities:
            _expect_not_supported(lambda: store.create_group({"displayName": "x"}))
            return
        for name, group_id in seeded.groups.items():
            expected = {seeded.by_name[s.account.user_name] for s in DATASET if name in s.groups}
            if "get_group" in store.capabilities:
                assert set(store.get_group(group_id).members) == expected
            for account_id, account in seeded.accounts.items():
                in_group = any(g.value == group_id for g in account.groups)
                assert in_group == (account_id in expected), f"{name} membership of {account_id}"

    def test_search_groups(self, seeded: SeededStore) -> None:
        store = seeded.store
        if "search_groups" not in store.capabilities:
            _expect_not_supported(lambda: store.search_groups())
            return
        names = [g.display_name for g in store.iter_groups('displayName sw "ADM"')]
        assert names == (["admins"] if seeded.groups else [])

    def test_add_and_remove_members(self, store: Store) -> None:
        caps = store.capabilities
        if "create_group" not in caps:
            return
        group = store.create_group({"displayName": "kit-group"}, reason=REASON)
        ids = [self._one(store, f"member.{n}").id or "" for n in range(3)]
        assert group.id
        added = store.add_to_group(group.id, [*ids, "missing"], reason=REASON)
        assert [o.ok for o in added.outcomes] == [True, True, True, False]
        assert {g.value for g in store.get_account(ids[0]).groups} == {group.id}
        removed = store.remove_from_group(group.id, ids[:2], reason=REASON)
        assert removed.ok
        assert store.get_account(ids[0]).groups == ()
        assert [g.value for g in store.get_account(ids[2]).groups] == [group.id]
        unknown = store.add_to_group("no-such-group", ids[:1], reason=REASON)
        assert not unknown.ok and isinstance(unknown.failed[0].error, NotFound)
        if "delete_group" in caps:
            store.delete_group(group.id, reason=REASON)
            with pytest.raises(NotFound):
                store.get_group(group.id)
            assert store.get_account(ids[2]).groups == ()


class RoleSuite(_Base):
    """Roles per organization."""

    def test_assign_and_unassign(self, store: Store) -> None:
        account = self._one(store)
        assert account.id
        if "assign_role" not in store.capabilities:
            _expect_not_supported(
                lambda: store.assign_role(account.id or "", "admin", reason=REASON)
            )
            return
        store.assign_role(account.id, "admin", organization="acme", reason=REASON)
        store.assign_role(account.id, "admin", organization="globex", reason=REASON)
        store.assign_role(account.id, "viewer", reason=REASON)
        pairs = {(r.role, r.organization) for r in store.get_account(account.id).role_assignments}
        assert pairs == {("admin", "acme"), ("admin", "globex"), ("viewer", None)}
        store.unassign_role(account.id, "admin", organization="acme", reason=REASON)
        pairs = {(r.role, r.organization) for r in store.get_account(account.id).role_assignments}
        assert pairs == {("admin", "globex"), ("viewer", None)}
        with pytest.raises(NotFound):
            store.unassign_role(account.id, "admin", organization="acme", reason=REASON)
        if "list_roles" in store.capabilities:
            assert {"admin", "viewer"} <= {r.name for r in store.list_roles()}


class AuthenticatorSuite(_Base):
    """Authenticators, passwords and failed attempts."""

    def test_add_list_remove(self, store: Store) -> None:
        account = self._one(store)
        assert account.id
        if "add_authenticator" not in store.capabilities:
            return
        added = store.add_authenticator(
            account.id, "phone", "+447700900123", verified=True, reason=REASON
        )
        assert added.kind is AuthenticatorKind.PHONE
        assert added.label and "+447700900123" not in added.label
        listed = store.list_authenticators(account.id)
        assert added.id in {m.id for m in listed}
        store.remove_authenticator(account.id, added.id, reason=REASON)
        assert added.id not in {m.id for m in store.list_authenticators(account.id)}
        with pytest.raises(NotFound):
            store.remove_authenticator(account.id, added.id, reason=REASON)

    def test_set_password_leaves_no_trace(self, store: Store) -> None:
        account = self._one(store)
        assert account.id
        secret = "Tr0ub4dor&3-kit"
        if "set_password" not in store.capabilities:
            _expect_not_supported(
                lambda: store.set_password(account.id or "", secret, reason=REASON)
            )
            return
        store.set_password(account.id, secret, reason=REASON)
        events = store.events(account.id, action="set_password")
        assert events and events[-1].changed == ("password",)
        assert secret not in repr(events) + repr(store.get_account(account.id))
        with pytest.raises(NotFound) as info:
            store.set_password("no-such-id", secret, reason=REASON)
        assert secret not in str(info.value)

    def test_reset_failed_attempts(
        self,
        store: Store,
        seed_failed_attempts: Callable[[Store, str, int, int], None] | None,
    ) -> None:
        account = self._one(store)
        assert account.id
        if "reset_failed_attempts" not in store.capabilities:
            return
        if seed_failed_attempts is not None:
            seed_failed_attempts(store, account.id, 3, 2)
            counts = store.get_account(account.id).failed_attempts
            assert (counts.password, counts.otp) != (0, 0)
        store.reset_failed_attempts(account.id, reason=REASON)
        counts = store.get_account(account.id).failed_attempts
        assert (counts.password, counts.otp) == (0, 0)


class SessionSuite(_Base):
    """Sessions: list, revoke one, revoke all."""

    def test_sessions(
        self, store: Store, seed_sessions: Callable[[Store, str], list[str]] | None
    ) -> None:
        account = self._one(store)
        assert account.id
        if "list_sessions" not in store.capabilities:
            _expect_not_supported(lambda: store.list_sessions(account.id or ""))
            return
        if seed_sessions is None:
            assert store.list_sessions(account.id) == []
            with pytest.raises(NotFound):
                store.revoke_session(account.id, "no-such-session", reason=REASON)
            return
        ids = seed_sessions(store, account.id)
        assert {s.id for s in store.list_sessions(account.id)} == set(ids)
        store.revoke_session(account.id, ids[0], reason=REASON)
        assert {s.id for s in store.list_sessions(account.id)} == set(ids[1:])
        assert store.revoke_sessions(account.id, reason=REASON) == len(ids) - 1
        assert store.list_sessions(account.id) == []


class ConformanceSuite(
    AccountSuite,
    FilterSuite,
    PagingSuite,
    SortingSuite,
    BulkSuite,
    GroupSuite,
    RoleSuite,
    AuthenticatorSuite,
    SessionSuite,
):
    """Every suite at once: subclass this and provide ``make_store``."""
