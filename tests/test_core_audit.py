"""The audit trail: wrappers generated from the operation metadata, events, the local spool."""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pluggy
import pytest

import idconnect
from idconnect.core import hookspecs
from idconnect.core.audit import AuditTrail
from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, NotFound, StoreUnavailable
from idconnect.core.hookspecs import PROJECT
from idconnect.core.instants import utc_now
from idconnect.core.model import Account, AuthenticatorKind, Group, Outcome
from idconnect.core.operations import OPERATIONS, read_operations
from idconnect.core.opspec import operation
from idconnect.core.state import StateDatabase, new_event_ids
from idconnect.testing.memory_store import MemoryStore

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateDatabase]:
    db = StateDatabase(f"sqlite:///{tmp_path / 'state.db'}", spool=tmp_path / "spool.jsonl")
    yield db
    db.close()


def test_every_mutating_operation_is_wrapped_with_its_specs_arguments(
    state: StateDatabase,
) -> None:
    trail = AuditTrail(state)
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.register(trail)
    mutating = {op.hook for op in OPERATIONS.values() if op.mutates}
    assert set(trail.wrapped) == mutating and len(mutating) >= 20
    for op in OPERATIONS.values():
        impls = [i for i in getattr(pm.hook, op.hook).get_hookimpls() if i.plugin is trail]
        if not op.mutates:
            assert impls == [], op.name
            continue
        (impl,) = impls
        assert impl.wrapper, op.name
        # the arguments pluggy passes it, and what inspect shows of it
        assert impl.argnames == tuple(inspect.signature(op.spec).parameters), op.name
        assert inspect.signature(impl.function).parameters.keys() == (
            inspect.signature(op.spec).parameters.keys()
        )


# -- a spec module the audit trail has never seen ---------------------------------------------


@operation(
    family="accounts",
    mutates=True,
    permission="accounts.merge",
    subject="account_id",
    target="into",
    changed=("profile",),
)
@hookspec(firstresult=True)
def idconnect_merge_accounts(context: CallContext, account_id: str, into: str) -> None:
    """Merge an account into another (a spec no hand-written code knows of)."""


@operation(
    family="accounts",
    mutates=True,
    permission="accounts.merge",
    subject="account_ids",
    target="into",
    bulk_of="merge_accounts",
)
@hookspec(firstresult=True)
def idconnect_bulk_merge_accounts(
    context: CallContext, account_ids: Sequence[str], into: str
) -> Sequence[Outcome]:
    """Merge many accounts into another."""


@operation(family="accounts", mutates=False, permission="accounts.read", subject="account_id")
@hookspec(firstresult=True)
def idconnect_merge_preview(context: CallContext, account_id: str) -> str:
    """Show what a merge would do (reads only)."""


SPECS = SimpleNamespace(
    idconnect_merge_accounts=idconnect_merge_accounts,
    idconnect_bulk_merge_accounts=idconnect_bulk_merge_accounts,
    idconnect_merge_preview=idconnect_merge_preview,
)


class Merger:
    """A backend of the extra specs: ``missing`` does not exist."""

    @hookimpl
    def idconnect_merge_accounts(self, account_id: str, into: str) -> None:
        if account_id == "missing":
            raise NotFound(f"no account {account_id}", store="s", account=account_id)

    @hookimpl
    def idconnect_bulk_merge_accounts(self, account_ids: Sequence[str]) -> list[Outcome]:
        return [
            Outcome(account_id=i, error=NotFound("no such account") if i == "missing" else None)
            for i in account_ids
        ]

    @hookimpl
    def idconnect_merge_preview(self, account_id: str) -> str:
        return f"merge {account_id}"


def test_an_operation_the_audit_trail_never_saw_is_audited_from_its_metadata(
    state: StateDatabase,
) -> None:
    operations = read_operations(SPECS)
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(SPECS)
    pm.register(Merger())
    trail = AuditTrail(state, operations=operations)
    pm.register(trail)
    assert set(trail.wrapped) == {"idconnect_merge_accounts", "idconnect_bulk_merge_accounts"}
    context = CallContext(store="s", actor="ann", reason="duplicate signup")

    pm.hook.idconnect_merge_accounts(context=context, account_id="a1", into="a2")
    with pytest.raises(NotFound):
        pm.hook.idconnect_merge_accounts(context=context, account_id="missing", into="a2")
    bulk = CallContext(store="s", actor="ann", reason="cleanup")
    pm.hook.idconnect_bulk_merge_accounts(context=bulk, account_ids=["b1", "missing"], into="a2")
    assert pm.hook.idconnect_merge_preview(context=context, account_id="a1") == "merge a1"

    got = [
        (e.action, e.account_id, e.target, e.changed, e.outcome, e.error_code, e.reason)
        for e in state.events("s")
    ]
    assert got == [
        ("merge_accounts", "a1", "a2", ("profile",), "success", None, "duplicate signup"),
        (
            "merge_accounts",
            "missing",
            "a2",
            ("profile",),
            "failure",
            "not_found",
            "duplicate signup",
        ),
        ("merge_accounts", "b1", "a2", (), "success", None, "cleanup"),
        ("merge_accounts", "missing", "a2", (), "failure", "not_found", "cleanup"),
    ]
    events = state.events("s")
    assert {e.request_id for e in events[2:]} == {bulk.request_id}
    assert events[2].at == events[3].at  # one bulk write, one instant


def test_a_spec_argument_that_is_not_a_name_is_refused(state: StateDatabase) -> None:
    op = OPERATIONS["delete_account"]
    odd = {"delete_account": type(op)(**{**_fields(op), "spec": _spec_with("_secret")})}
    with pytest.raises(TypeError, match="cannot be wrapped"):
        AuditTrail(state, operations=odd)


def _fields(op: Any) -> dict[str, Any]:
    return {f: getattr(op, f) for f in ("name", "family", "mutates", "permission", "subject")}


def _spec_with(argument: str) -> Any:
    def spec(context: Any, **kwargs: Any) -> None:
        """A spec whose signature is rewritten below."""

    parameters = [
        inspect.Parameter("context", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter(argument, inspect.Parameter.POSITIONAL_OR_KEYWORD),
    ]
    spec.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    return spec


# -- the events of the core's own operations, through the facade -------------------------------


class BulkMemory(MemoryStore):
    """The memory store plus a set-based bulk creation (one taken userName fails alone)."""

    @hookimpl
    def idconnect_bulk_create_accounts(
        self, accounts: Sequence[Account]
    ) -> list[Account | IdconnectError]:
        results: list[Account | IdconnectError] = []
        for account in accounts:
            try:
                results.append(self.idconnect_create_account(account))
            except IdconnectError as exc:
                results.append(exc)
        return results


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"bulk-memory": BulkMemory}


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[idconnect.Hub]:
    config = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"mem": {"plugin": "bulk-memory"}},
        "admins": {"members": {"ann": ["owner"]}},
    }
    with idconnect.connect(config, plugins=[Types()]) as hub, hub.acting_as("ann"):
        yield hub


def _shape(store: idconnect.Store, since: Any) -> list[tuple[Any, ...]]:
    return [
        (e.action, e.account_id, e.target, e.changed, e.outcome) for e in store.events(since=since)
    ]


def test_targets_and_ids_of_single_operations(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    cut = utc_now()
    account = store.create_account({"userName": "zoe"}, reason="signup")
    group = store.create_group(Group(display_name="staff"), reason="setup")
    store.assign_role(account.id, "admin", organization="acme", reason="x")
    store.add_authenticator(account.id, AuthenticatorKind.EMAIL, "zoe@example.org", reason="x")
    store.update_account(account.id, {"displayName": "Zoe", "emails": []}, reason="x")
    store.reset_failed_attempts(account.id, reason="x")
    assert _shape(store, cut) == [
        ("create_account", account.id, "zoe", (), "success"),
        ("create_group", None, group.id, (), "success"),
        ("assign_role", account.id, "admin@acme", (), "success"),
        ("add_authenticator", account.id, "email", (), "success"),
        ("update_account", account.id, None, ("displayName", "emails"), "success"),
        ("reset_failed_attempts", account.id, None, ("failedAttempts",), "success"),
    ]


def test_bulk_forms_write_one_event_per_outcome_and_per_result(hub: idconnect.Hub) -> None:
    store = hub.store("mem")
    first = store.create_accounts([{"userName": "amy"}, {"userName": "bob"}], reason="import")
    amy, bob = (o.account_id for o in first.outcomes)
    cut = utc_now()
    while cut <= store.events()[-1].at:  # instants have milliseconds: cut after the first import
        cut = utc_now()
    again = store.create_accounts([{"userName": "cid"}, {"userName": "amy"}], reason="import")
    cid = again.outcomes[0].account_id
    result = store.disable_accounts([amy, "nobody", bob], reason="offboarding")
    assert [o.ok for o in result.outcomes] == [True, False, True]
    assert _shape(store, cut) == [
        ("create_account", cid, None, (), "success"),
        ("create_account", None, "amy", (), "failure"),
        ("disable_account", amy, None, (), "success"),
        ("disable_account", "nobody", None, (), "failure"),
        ("disable_account", bob, None, (), "success"),
    ]


# -- durability: the local spool ---------------------------------------------------------------


def _rows(n: int, store: str = "s") -> list[Any]:
    at = utc_now()
    return [
        (i, at, "ann", store, "disable_account", "success", "r1", f"acc{k}", "why", *(None,) * 4)
        for k, i in enumerate(new_event_ids(n))
    ]


def test_events_go_to_the_spool_while_the_database_is_unreachable_and_are_replayed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDCONNECT_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    later = tmp_path / "not-yet"  # SQLite cannot create a file in a missing directory
    db = StateDatabase(f"sqlite:///{later / 'state.db'}")
    assert db.spool.parent == tmp_path / "home"
    try:
        first, second = _rows(3), _rows(2)
        db.write(first)
        assert db.pending() == 3 and db.spool.stat().st_mode & 0o777 == 0o600
        with pytest.raises(StoreUnavailable):
            db.events("s")  # reading needs the database; the spool stays
        assert db.pending() == 3
        later.mkdir()
        db.write(second)
        assert db.pending() == 0 and db.spool.stat().st_size == 0
        events = db.events("s")
        assert [e.id for e in events] == [r[0] for r in first + second]
        assert events[0].at == first[0][1] and events[0].account_id == "acc0"
    finally:
        db.close()


def test_an_applied_change_is_never_reported_failed_while_the_spool_holds_its_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDCONNECT_HOME", str(tmp_path))
    later = tmp_path / "state"
    config = {
        "hub": {"state": f"sqlite:///{later / 'state.db'}"},
        "stores": {"mem": {"plugin": "bulk-memory"}},
    }
    with idconnect.connect(config, plugins=[Types()]) as hub:
        store = hub.store("mem")
        made = store.create_accounts([{"userName": "amy"}, {"userName": "bob"}], reason="import")
        assert made.ok
        result = store.disable_accounts([o.account_id for o in made.outcomes], reason="leaving")
        assert result.ok and hub.state.pending() == 4
        later.mkdir()
        assert [(e.action, e.outcome) for e in store.events()] == [
            ("create_account", "success"),
            ("create_account", "success"),
            ("disable_account", "success"),
            ("disable_account", "success"),
        ]
        assert hub.state.pending() == 0


def test_a_refused_row_is_an_error_and_is_not_spooled(state: StateDatabase) -> None:
    row = _rows(1)[0]
    with pytest.raises(StoreUnavailable, match="cannot write audit events"):
        state.write([(row[0], row[1], None, *row[3:])])  # actor is NOT NULL
    assert state.pending() == 0 and state.events("s") == []


def test_a_replay_cut_short_does_not_write_an_event_twice(state: StateDatabase) -> None:
    rows = _rows(3)
    state.write(rows[:2])
    # As if the process had died after the replay's commit but before it removed the spool.
    state._spool(rows, RuntimeError("simulated"))
    state.write(_rows(1))
    ids = [e.id for e in state.events("s")]
    assert ids[:3] == [r[0] for r in rows] and len(ids) == 4


def test_a_line_torn_by_a_crash_mid_spool_is_skipped(state: StateDatabase) -> None:
    rows = _rows(2)
    state._spool(rows[:1], RuntimeError("simulated"))
    with state.spool.open("a", encoding="utf-8") as fh:
        fh.write('["' + rows[1][0][:10])  # the process died here: its call never returned
    assert state.pending() == 1
    state.write(_rows(1))
    assert state.events("s")[0].id == rows[0][0]
    assert len(state.events("s")) == 2 and state.pending() == 0
