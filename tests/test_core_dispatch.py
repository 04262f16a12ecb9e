"""How the facade calls a store's hooks: straight to the one implementation when only the
permission check wraps it, through pluggy otherwise, with the same checks and results."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import idconnect
from idconnect import hookimpl
from idconnect.core.context import CallContext, current_call
from idconnect.core.plugins import sole_answer


class Calls:
    """A backend recording the context of every call and answering ``None`` for a missing id."""

    def __init__(self, config: Any) -> None:
        self.contexts: list[CallContext | None] = []

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> idconnect.Account | None:
        self.contexts.append(current_call())
        if account_id == "missing":
            return None
        return idconnect.Account(id=account_id, user_name="u")


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"calls": Calls}


class Seen:
    """A wrapper plugin noting the account ids it sees."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    @hookimpl(wrapper=True)
    def idconnect_get_account(self, account_id: str) -> Iterator[None]:
        self.ids.append(account_id)
        return (yield)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[idconnect.Hub]:
    config = {
        "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
        "stores": {"s": {"plugin": "calls"}},
    }
    with idconnect.connect(config, plugins=[Types()]) as hub:  # the local user acts as owner
        yield hub


def test_only_the_permission_wrapper_means_the_backend_is_called_straight(
    hub: idconnect.Hub,
) -> None:
    store = hub.store("s")
    caller = store._pm.hook.idconnect_get_account
    impl = sole_answer(caller, caller.get_hookimpls(), hub.permissions)
    assert impl is not None and impl.plugin is store.backend
    assert sole_answer(caller, caller.get_hookimpls(), object()) is None
    close = store._pm.hook.idconnect_close  # not firstresult: pluggy collects every result
    assert sole_answer(close, close.get_hookimpls(), hub.permissions) is None


def test_the_straight_call_keeps_the_context_and_the_result(hub: idconnect.Hub) -> None:
    store = hub.store("s")
    assert store.get_account("a1").id == "a1"
    backend: Calls = store.backend  # type: ignore[assignment]
    context = backend.contexts[-1]
    assert context is not None and context.store == "s" and context.actor == hub.actor
    assert current_call() is None
    assert store.get_account("missing") is None  # as pluggy answers when no result is given


def test_the_straight_call_still_runs_the_wrappers_check(hub: idconnect.Hub) -> None:
    store = hub.store("s")
    backend: Calls = store.backend  # type: ignore[assignment]
    mallory = CallContext(store="s", actor="mallory")
    with pytest.raises(idconnect.PermissionDenied):  # the facade's own check not asked
        store._hook("get_account", mallory, subject="a1", account_id="a1")
    assert backend.contexts == []
    assert [(e.actor, e.outcome) for e in hub.state.events("s")] == [("mallory", "denied")]


def test_a_wrapper_registered_later_is_called_from_then_on(hub: idconnect.Hub) -> None:
    store = hub.store("s")
    store.get_account("before")
    seen = Seen()
    store._pm.register(seen)
    store.get_account("after")
    assert seen.ids == ["after"]
    store._pm.unregister(seen)
    store.get_account("again")
    assert seen.ids == ["after"]
