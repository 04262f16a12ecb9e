"""Administrator permissions: every operation is refused before any I/O without its permission.

The store is the in-memory one, subclassed to count every operation hook that reaches it; the
hub state is a real SQLite database. The per-operation tests are parametrized over OPERATIONS,
so an operation added to the hook specs is covered here without writing anything.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import idconnect
from idconnect import hookimpl
from idconnect.core.admins import KNOWN_PERMISSIONS, RESERVED_PERMISSIONS
from idconnect.core.context import CallContext
from idconnect.core.operations import OPERATIONS, Operation
from idconnect.testing.memory_store import MemoryStoreWithOrganizations
from idconnect.testing.suite.calls import KIT_CALLS

README = Path(__file__).parents[1] / "README.md"


def _counted(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)  # keeps the hookimpl mark and (through __wrapped__) the arguments
    def counted(self: CountingStore, *args: Any) -> Any:
        self.calls.append(name)
        return method(self, *args)

    return counted


class CountingStore(MemoryStoreWithOrganizations):
    """The memory store (with organizations), recording every operation hook reaching it."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.calls: list[str] = []


for _op in OPERATIONS.values():
    _method = getattr(MemoryStoreWithOrganizations, _op.hook, None)
    if callable(_method):
        setattr(CountingStore, _op.hook, _counted(_op.name, _method))


class NoSessions(CountingStore):
    """A store lacking the sessions family."""

    idconnect_list_sessions = None
    idconnect_revoke_session = None
    idconnect_revoke_sessions = None


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"counting": CountingStore, "no-sessions": NoSessions}


def connect(tmp_path: Path, admins: dict[str, Any] | None = None) -> idconnect.Hub:
    config: dict[str, Any] = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {
            "main": {"plugin": "counting", "organizations": ["Acme"]},
            "other": {"plugin": "counting"},
            "bare": {"plugin": "no-sessions"},
        },
    }
    if "verify_identity" in OPERATIONS:  # its kit call names policy "p"
        config["verification"] = {"policies": {"p": {"methods": ["document"], "level": "high"}}}
    if admins is not None:
        config["admins"] = admins
    return idconnect.connect(config, plugins=[Types()])


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[idconnect.Hub]:
    """Mallory holds a role without any operation's permission; boss is an owner."""
    admins = {
        "roles": {"exporter": {"permissions": ["accounts.export"]}},
        "members": {"mallory": ["exporter"], "boss": ["owner"]},
    }
    with connect(tmp_path, admins) as hub:
        yield hub


READS = [name for name in KNOWN_PERMISSIONS if name.endswith(".read")]
"""What a facade method may read to check its input (an account before assigning a role)."""


def calls_of(hub: idconnect.Hub, store: str = "main") -> list[str]:
    backend = hub.store(store).backend
    assert isinstance(backend, CountingStore)
    return backend.calls


def kit_call(op: Operation) -> Callable[[idconnect.Store], object]:
    call = KIT_CALLS.get(op.bulk_of or op.name)
    if call is None:
        pytest.skip(f"{op.name} has no kit call yet (test_completeness names it)")
    return call


def denied_events(hub: idconnect.Hub, store: str = "main") -> list[idconnect.Event]:
    return [e for e in hub.state.events(store) if e.outcome == "denied"]


EVERY = pytest.mark.parametrize("op", list(OPERATIONS.values()), ids=list(OPERATIONS))


# -- every operation ------------------------------------------------------------------------------


@EVERY
def test_without_the_permission_the_facade_refuses_before_any_io(
    tmp_path: Path, op: Operation
) -> None:
    """Mallory holds every permission but the operation's own: it alone is named."""
    others = [name for name in KNOWN_PERMISSIONS if name != op.permission]
    admins = {"roles": {"most": {"permissions": others}}, "members": {"mallory": ["most"]}}
    with connect(tmp_path, admins) as hub:
        call = kit_call(op)
        with hub.acting_as("mallory"), pytest.raises(idconnect.PermissionDenied) as info:
            call(hub.store("main"))
        assert calls_of(hub) == []
        error = info.value
        assert (error.store, error.details["actor"]) == ("main", "mallory")
        assert error.details["permission"] == op.permission
        assert all(part in str(error) for part in ("'main'", "'mallory'", repr(op.permission)))
        [event] = denied_events(hub)
        assert (event.actor, event.error_code) == ("mallory", "permission_denied")
        assert event.action == op.audit_action({"enabled": False})  # the kit call disables


@EVERY
def test_without_the_permission_the_hook_itself_is_refused(
    hub: idconnect.Hub, op: Operation
) -> None:
    """The wrapper plugin refuses whoever calls the hook (bulk engine, settlement, scripts)."""
    assert op.spec is not None
    arguments: dict[str, Any] = dict.fromkeys(inspect.signature(op.spec).parameters)
    if op.is_bulk and op.subject:
        arguments[op.subject] = ["x", "y"]
    context = CallContext(store="main", actor="mallory", reason="r")
    hook = getattr(hub.store("main")._pm.hook, op.hook)
    with pytest.raises(idconnect.PermissionDenied):
        hook(**{**arguments, "context": context})
    assert calls_of(hub) == []
    assert len(denied_events(hub)) == (2 if op.is_bulk and op.subject else 1)


@EVERY
def test_with_the_permission_the_call_reaches_the_store(tmp_path: Path, op: Operation) -> None:
    admins = {
        "roles": {"exact": {"permissions": [op.permission, *READS]}},
        "members": {"ann": ["exact"]},
    }
    with connect(tmp_path, admins) as hub, hub.acting_as("ann"):
        store = hub.store("main")
        try:
            kit_call(op)(store)
        except idconnect.IdconnectError as exc:  # the kit's ids do not exist: NotFound is fine
            assert not isinstance(exc, idconnect.PermissionDenied), exc
        assert calls_of(hub), "the call never reached the store"
        assert denied_events(hub) == []


# -- permission before capability ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["list_sessions", "revoke_session", "revoke_sessions"])
def test_permission_comes_before_not_supported(hub: idconnect.Hub, name: str) -> None:
    store = hub.store("bare")
    assert name not in store.capabilities
    with hub.acting_as("mallory"), pytest.raises(idconnect.PermissionDenied):
        KIT_CALLS[name](store)
    with hub.acting_as("boss"), pytest.raises(idconnect.NotSupported):
        KIT_CALLS[name](store)
    assert calls_of(hub, "bare") == []


# -- roles: stores, wildcards, fail closed -------------------------------------------------------


def test_a_role_limited_to_some_stores_grants_nothing_elsewhere(tmp_path: Path) -> None:
    admins = {
        "roles": {"agent": {"permissions": ["accounts.read"], "stores": ["main"]}},
        "members": {"alice": ["agent"]},
    }
    with connect(tmp_path, admins) as hub, hub.acting_as("alice"):
        assert hub.store("main").search_accounts().items == ()
        with pytest.raises(idconnect.PermissionDenied, match="store 'other'"):
            hub.store("other").search_accounts()
        with pytest.raises(idconnect.PermissionDenied, match=r"admins\.read"):
            hub.admins.roles()  # hub-wide: only roles on every store grant it


def test_wildcards_grant_a_family_or_everything(tmp_path: Path) -> None:
    admins = {
        "roles": {"accounts": {"permissions": ["accounts.*"]}, "all": {"permissions": ["*"]}},
        "members": {"alice": ["accounts"], "root": ["all"]},
    }
    with connect(tmp_path, admins) as hub:
        store = hub.store("main")
        with hub.acting_as("alice"):
            made = store.create_account({"userName": "zoe"}, reason="signup")
            assert made.id
            assert store.delete_accounts([made.id], reason="gone").ok
            with pytest.raises(idconnect.PermissionDenied, match=r"'sessions\.read'"):
                store.list_sessions("x")
        with hub.acting_as("root"), pytest.raises(idconnect.NotFound):
            store.list_sessions("x")


def test_once_a_role_is_configured_an_actor_without_one_can_do_nothing(tmp_path: Path) -> None:
    admins = {"roles": {"agent": {"permissions": ["*"]}}}  # a role, and nobody holds it
    with connect(tmp_path, admins) as hub:
        assert hub.permissions.configured
        with pytest.raises(idconnect.PermissionDenied, match="hold no admin role"):
            hub.store("main").search_accounts()  # not even the local user
        with pytest.raises(idconnect.PermissionDenied):
            hub.store("main").events()


def test_with_nothing_configured_only_the_local_user_acts_as_owner(tmp_path: Path) -> None:
    with connect(tmp_path) as hub:
        local = hub.actor
        assert hub.permissions.describe() == (
            f"permissions: none configured; local user {local!r} acts as owner"
        )
        assert hub.store("main").search_accounts().items == ()
        with hub.acting_as(f"not-{local}"), pytest.raises(idconnect.PermissionDenied) as info:
            hub.store("main").search_accounts()
        assert f"only the local user {local!r} acts" in str(info.value)


def test_export_and_the_audit_trail_need_their_own_permissions(tmp_path: Path) -> None:
    admins = {
        "roles": {"agent": {"permissions": ["accounts.read", "activity.read"]}},
        "members": {"alice": ["agent"], "boss": ["owner"]},
    }
    with connect(tmp_path, admins) as hub:
        store = hub.store("main")
        with hub.acting_as("boss"):
            made = store.create_account({"userName": "zoe"}, reason="signup")
        assert made.id
        with hub.acting_as("alice"):
            assert [e.action for e in store.events(made.id)] == ["create_account"]
            with pytest.raises(idconnect.PermissionDenied, match=r"'accounts\.export'"):
                store.export_account(made.id, reason="data request")
        with hub.acting_as("boss"):
            assert store.export_account(made.id, reason="data request")["account"]["id"] == made.id
            [denied] = denied_events(hub)
            assert (denied.action, denied.actor, denied.account_id) == (
                "export_account",
                "alice",
                made.id,
            )


# -- config --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("admins", "message"),
    [
        ({"roles": {"x": {"permissions": ["accounts.fly", "nope.*"]}}}, "'accounts.fly', 'nope.*'"),
        ({"roles": {"x": {"permissions": ["*"], "stores": ["main", "ghost"]}}}, "store(s) 'ghost'"),
        ({"roles": {"x": {"permissions": []}}}, "at least one permission"),
        ({"roles": {"x": {"permissions": "accounts.read"}}}, "expected a list of names"),
        ({"roles": {"x": {"permission": ["accounts.read"]}}}, "did you mean 'permissions'"),
        ({"roles": {"owner": {"permissions": ["*"]}}}, "'owner' is built in"),
        ({"roles": {"1st": {"permissions": ["*"]}}}, "starts with a letter"),
        ({"members": {"alice": ["ghost"]}}, "'alice' holds unknown role(s) 'ghost'"),
        ({"member": {}}, "unknown key 'member'; did you mean 'members'"),
    ],
)
def test_a_bad_admins_table_is_refused(
    tmp_path: Path, admins: dict[str, Any], message: str
) -> None:
    with pytest.raises(idconnect.ConfigError, match=re.escape(message)):
        connect(tmp_path, admins)


def test_the_issue_names_are_known_and_every_name_is_family_dot_verb() -> None:
    required = {
        "accounts.read",
        "accounts.update",
        "accounts.enable",
        "accounts.delete",
        "accounts.export",
        "accounts.impersonate",
        "credentials.password",
        "verification.verify",
        "consents.revoke",
    }
    assert required <= set(KNOWN_PERMISSIONS)
    assert all(re.fullmatch(r"[a-z]+\.[a-z]+", name) for name in KNOWN_PERMISSIONS)
    assert {op.permission for op in OPERATIONS.values()} | set(RESERVED_PERMISSIONS) == set(
        KNOWN_PERMISSIONS
    )


def test_the_readme_lists_every_permission_name() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Administrator permissions", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^- `([a-z*]+\.[a-z*]+)`", section, flags=re.MULTILINE)
    expected = "\n".join(f"- `{n}` — ..." for n in KNOWN_PERMISSIONS)
    assert listed == list(KNOWN_PERMISSIONS), f"README's list should read:\n{expected}"
