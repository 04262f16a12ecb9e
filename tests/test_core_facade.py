"""The facade: per-store dispatch, derived capabilities, validation, error mapping, audit."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import idconnect
from idconnect import hookimpl
from idconnect.core.filter import attr
from idconnect.core.operations import operations_of
from idconnect.testing.memory_store import MemoryStore


class Calls:
    """A backend that only counts calls: proves dispatch and NotSupported-before-I/O."""

    def __init__(self, config: Any) -> None:
        self.name = config.name
        self.calls: list[str] = []

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> idconnect.Account:
        self.calls.append(account_id)
        return idconnect.Account(id=account_id, user_name=f"{self.name}-user")


class Explodes:
    def __init__(self, config: Any) -> None:
        pass

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> idconnect.Account:
        raise KeyError("driver detail")


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"calls": Calls, "explodes": Explodes}


@pytest.fixture
def hub() -> Iterator[idconnect.Hub]:
    config = {
        "hub": {"state": "sqlite://"},
        "stores": {
            "one": {"plugin": "calls"},
            "two": {"plugin": "calls"},
            "boom": {"plugin": "explodes"},
            "mem": {"plugin": "memory"},
        },
    }
    with idconnect.connect(config, plugins=[Types()]) as hub:
        yield hub


def backend(hub: idconnect.Hub, name: str) -> Any:
    return hub.store(name).backend


def test_a_call_reaches_only_its_stores_backend(hub: idconnect.Hub) -> None:
    assert hub.store("one").get_account("a1").user_name == "one-user"
    assert hub.store("two").get_account("a2").user_name == "two-user"
    assert backend(hub, "one").calls == ["a1"]
    assert backend(hub, "two").calls == ["a2"]


def test_capabilities_are_derived_from_hookimpls(hub: idconnect.Hub) -> None:
    # what the backend implements, plus the records the hub keeps for a store that can read
    # its accounts (identity verifications and consents, DESIGN §11)
    kept = {op.name for family in ("verification", "consents") for op in operations_of(family)}
    assert hub.store("one").capabilities == {"get_account", *kept}
    assert "search_accounts" in hub.store("mem").capabilities
    assert "bulk_delete_accounts" not in hub.store("mem").capabilities


def test_missing_capability_raises_before_any_io(hub: idconnect.Hub) -> None:
    with pytest.raises(idconnect.NotSupported) as info:
        hub.store("one").search_accounts('userName eq "x"')
    assert "store 'one'" in str(info.value) and "search accounts" in str(info.value)
    assert backend(hub, "one").calls == []


def test_raw_backend_exception_becomes_plugin_error(hub: idconnect.Hub) -> None:
    with pytest.raises(idconnect.PluginError) as info:
        hub.store("boom").get_account("a1")
    assert "store 'boom'" in str(info.value) and "account 'a1'" in str(info.value)
    assert "KeyError" in str(info.value)
    assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.parametrize("bad", ["", "   ", "x" * 513, "a\x00b", "tab\there", None, 42])
def test_ids_are_validated(hub: idconnect.Hub, bad: Any) -> None:
    with pytest.raises(idconnect.InvalidInput):
        hub.store("one").get_account(bad)
    assert backend(hub, "one").calls == []


def test_unknown_hook_is_rejected_by_check_pending() -> None:
    class Misspelt:
        def __init__(self, config: Any) -> None:
            pass

        @hookimpl
        def idconnect_get_acount(self, account_id: str) -> None:
            """Misspelt on purpose."""

    class MisspeltTypes:
        @hookimpl
        def idconnect_store_types(self) -> dict[str, Any]:
            return {"misspelt": Misspelt}

    with pytest.raises(idconnect.PluginError) as info:
        idconnect.connect(
            {"hub": {"state": "sqlite://"}, "stores": {"m": {"plugin": "misspelt"}}},
            plugins=[MisspeltTypes()],
        )
    assert "idconnect_get_acount" in str(info.value)


def test_cross_cutting_plugins_must_be_wrappers() -> None:
    class Answers:
        @hookimpl
        def idconnect_get_account(self, account_id: str) -> None:
            """Would answer for every store."""

    with pytest.raises(idconnect.PluginError) as info:
        idconnect.connect(
            {"hub": {"state": "sqlite://"}, "stores": {"m": {"plugin": "memory"}}},
            plugins=[Answers()],
        )
    assert "wrapper=True" in str(info.value)


def test_a_wrapper_plugin_sees_every_stores_calls() -> None:
    seen: list[tuple[str, str]] = []

    class Timing:
        @hookimpl(wrapper=True)
        def idconnect_get_account(self, context: Any, account_id: str) -> Any:
            seen.append((context.store, account_id))
            return (yield)

    config = {"hub": {"state": "sqlite://"}, "stores": {"a": {"plugin": "memory"}}}
    with idconnect.connect(config, plugins=[Timing()]) as hub:
        account = hub.store("a").create_account({"userName": "w"})
        assert account.id
        hub.store("a").get_account(account.id)
    assert seen == [("a", account.id)]


def test_filters_as_text_or_builder_give_the_same_result(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    for name in ("alice", "bob", "carol"):
        store.create_account({"userName": name, "emails": [{"value": f"{name}@example.org"}]})
    text = store.search_accounts('userName sw "a" or emails.value co "bob"')
    built = store.search_accounts(attr("userName").sw("a") | attr("emails.value").co("bob"))
    assert [a.user_name for a in text.items] == [a.user_name for a in built.items]
    assert {a.user_name for a in text.items} == {"alice", "bob"}


def test_bad_filter_error_names_store_and_column(hub: idconnect.Hub) -> None:
    with pytest.raises(idconnect.FilterError) as info:
        hub.store("mem").search_accounts('userName eq "x" and (active eq true')
    assert str(info.value).startswith("store 'mem': column 36:")


def test_acting_as_attributes_events(hub: idconnect.Hub) -> None:
    for who in (hub.actor, "agent.smith", "agent.jones"):  # others act only with a role
        hub.admins.grant(who, "owner", reason="agents of this test")
    store = hub.store("mem")
    account = store.create_account({"userName": "target"})
    assert account.id
    with hub.acting_as("agent.smith"):
        store.disable_accounts([account.id], reason="ticket 42")
    store.enable_accounts([account.id], reason="ticket 43", actor="agent.jones")
    events = store.events(account.id)
    assert [(e.action, e.actor, e.reason) for e in events[-2:]] == [
        ("disable_account", "agent.smith", "ticket 42"),
        ("enable_account", "agent.jones", "ticket 43"),
    ]
    assert {e.request_id for e in events[-2:]} != {events[-1].request_id}


def test_failures_are_audited_too(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    store.create_account({"userName": "dup"})
    with pytest.raises(idconnect.Conflict):
        store.create_account({"userName": "DUP"}, reason="second try")
    last = store.events(action="create_account")[-1]
    assert (last.outcome, last.error_code, last.reason) == ("failure", "conflict", "second try")


def test_events_filter_by_since_and_action(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "ev"})
    assert account.id
    [created] = store.events(account.id)
    cut = idconnect.core.instants.utc_now()
    while cut <= created.at:  # instants have milliseconds: the cut must come after the creation
        cut = idconnect.core.instants.utc_now()
    store.disable_accounts([account.id], reason="r")
    assert [e.action for e in store.events(account.id, since=cut)] == ["disable_account"]
    assert [e.action for e in store.events(action="create_account")] == ["create_account"]
    with pytest.raises(idconnect.InvalidInput):
        store.events(since=cut.replace(tzinfo=None))


def test_password_never_reaches_events_or_errors(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "pw"})
    assert account.id
    store.set_password(account.id, "s3cret-Passw0rd", reason="customer locked out")
    backend_store = store.backend
    assert isinstance(backend_store, MemoryStore)
    assert backend_store.check_password(account.id, "s3cret-Passw0rd")
    dumped = repr(store.events(account.id)) + repr(store.export_account(account.id, reason="dsr"))
    assert "s3cret-Passw0rd" not in dumped


def test_update_merges_name_parts_with_the_version_it_read(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    account = store.create_account(
        {"userName": "n", "name": {"givenName": "Ann", "familyName": "Lee"}}
    )
    assert account.id
    updated = store.update_account(account.id, {"name.givenName": "Anne"})
    assert updated.name == idconnect.Name(given_name="Anne", family_name="Lee")
    with pytest.raises(idconnect.InvalidInput) as info:
        store.update_account(account.id, {"meta.created": "2020-01-01T00:00:00Z"})
    assert "meta.created" in str(info.value)
    with pytest.raises(idconnect.InvalidInput):
        store.update_account(account.id, {"userName": None})


def test_bulk_deduplicates_and_keeps_order(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    ids = [store.create_account({"userName": f"b{n}"}).id or "" for n in range(3)]
    result = store.delete_accounts([ids[2], ids[0], ids[2], "nope", ids[1]], reason="cleanup")
    assert [o.account_id for o in result.outcomes] == [ids[2], ids[0], "nope", ids[1]]
    assert result.succeeded == (ids[2], ids[0], ids[1])
    with pytest.raises(idconnect.NotFound):
        result.raise_for_failures()
    with pytest.raises(idconnect.InvalidInput):
        store.delete_accounts("not-a-list", reason="x")


def test_export_holds_account_authenticators_sessions_events(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "dsr"})
    assert account.id
    store.add_authenticator(account.id, "email", "dsr@example.org", reason="r")
    doc = store.export_account(account.id, reason="data subject request")
    assert doc["account"]["userName"] == "dsr"
    assert doc["authenticators"][0]["label"] == "d**@example.org"
    assert doc["sessions"] == []
    assert [e["action"] for e in doc["events"]] == ["create_account", "add_authenticator"]
    assert store.events(account.id)[-1].action == "export_account"


@pytest.mark.parametrize(
    ("kind", "value"), [("email", "not-an-email"), ("phone", "0770 0900"), ("totp", "x")]
)
def test_add_authenticator_validates(hub: idconnect.Hub, kind: str, value: str) -> None:
    store = hub.store("mem")
    account = store.create_account({"userName": "auth"})
    with pytest.raises(idconnect.InvalidInput):
        store.add_authenticator(account.id or "", kind, value, reason="r")


@pytest.mark.parametrize("method", ["disable_accounts", "delete_accounts"])
def test_bulk_progress_counts_every_account(hub: idconnect.Hub, method: str) -> None:
    # disable goes through the memory store's bulk hook, delete through the per-account fallback
    store = hub.store("mem")
    ids = [store.create_account({"userName": f"p{n}"}).id or "" for n in range(7)]
    done: list[int] = []
    result = getattr(store, method)([*ids, "missing"], reason="r", progress=done.append)
    assert sum(done) == 8 and len(result.outcomes) == 8


def test_bulk_hooks_receive_at_most_batch_size_ids() -> None:
    batches: list[int] = []

    class Count:
        @hookimpl(wrapper=True)
        def idconnect_bulk_set_accounts_enabled(self, account_ids: Any) -> Any:
            batches.append(len(account_ids))
            return (yield)

    config = {"hub": {"state": "sqlite://"}, "stores": {"m": {"plugin": "memory", "batch_size": 2}}}
    with idconnect.connect(config, plugins=[Count()]) as hub:
        store = hub.store("m")
        ids = [store.create_account({"userName": f"x{n}"}).id or "" for n in range(5)]
        assert store.disable_accounts(ids, reason="r").ok
    assert batches == [2, 2, 1]
    with pytest.raises(idconnect.ConfigError, match="batch_size"):
        idconnect.connect({"stores": {"m": {"plugin": "memory", "batch_size": 0}}})


def test_replace_account_sets_every_writable_attribute(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    account = store.create_account(
        idconnect.Account(
            user_name="r",
            display_name="Old",
            organization="acme",
            name=idconnect.Name(given_name="A"),
        )
    )
    assert account.id
    replaced = store.replace_account(
        account.id, {"userName": "r2", "meta": {"version": account.version}}
    )
    assert (replaced.user_name, replaced.display_name, replaced.organization, replaced.name) == (
        "r2",
        None,
        None,
        None,
    )
    with pytest.raises(idconnect.Conflict):
        store.replace_account(account.id, {"userName": "r3", "meta": {"version": account.version}})
