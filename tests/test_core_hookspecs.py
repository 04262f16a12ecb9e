"""Every hook spec is documented per the house recipe; a spec leaving an argument out fails."""

from __future__ import annotations

import inspect
import re

import pytest

from idconnect.core import hookspecs
from idconnect.core.plugins import OPERATIONS

SPECS = [
    (name, fn)
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("idconnect_")
]


def test_there_is_one_spec_per_operation_the_issue_names() -> None:
    wanted = {
        "get_account",
        "search_accounts",
        "create_account",
        "update_account",
        "set_account_enabled",
        "delete_account",
        "bulk_set_accounts_enabled",
        "bulk_delete_accounts",
        "search_groups",
        "get_group",
        "add_group_member",
        "remove_group_member",
        "list_roles",
        "assign_role",
        "unassign_role",
        "list_authenticators",
        "add_authenticator",
        "remove_authenticator",
        "set_password",
        "reset_failed_attempts",
        "list_sessions",
        "revoke_session",
        "revoke_sessions",
    }
    assert wanted <= OPERATIONS


@pytest.mark.parametrize(("name", "spec"), SPECS, ids=[n for n, _ in SPECS])
def test_spec_documents_every_argument_and_its_result(name: str, spec: object) -> None:
    doc = inspect.getdoc(spec) or ""
    summary = doc.splitlines()[0] if doc else ""
    assert summary.endswith("."), f"{name}: the summary line must be a sentence"
    params = list(inspect.signature(spec).parameters)  # type: ignore[arg-type]
    for param in params:
        assert re.search(rf":param {param}:", doc), f"{name}: argument {param!r} is undocumented"
    documented = re.findall(r":param (\w+):", doc)
    assert set(documented) <= set(params), f"{name}: documents arguments it does not take"
    returns = inspect.signature(spec).return_annotation  # type: ignore[arg-type]
    if returns not in ("None", None):
        assert ":returns:" in doc, f"{name}: the result is undocumented"
    assert "versionadded" in doc, f"{name}: says nothing of when it was added"


@pytest.mark.parametrize(("name", "spec"), SPECS, ids=[n for n, _ in SPECS])
def test_operation_hooks_take_the_call_context(name: str, spec: object) -> None:
    params = list(inspect.signature(spec).parameters)  # type: ignore[arg-type]
    if name in ("idconnect_store_types", "idconnect_notification_channels"):
        assert params == []
    elif name == "idconnect_cli_commands":
        assert params == ["cli"]
    else:
        assert params[0] == "context"


def test_operation_specs_are_firstresult() -> None:
    for name, spec in SPECS:
        opts = spec.idconnect_spec
        if name.removeprefix("idconnect_") in OPERATIONS:
            assert opts["firstresult"], name


def test_committed_hook_reference_matches_the_specs() -> None:
    from pathlib import Path

    from idconnect.core.hookdocs import render

    committed = Path(__file__).parents[1] / "docs" / "hooks.md"
    assert committed.read_text(encoding="utf-8") == render(), (
        "docs/hooks.md is stale: run python -m idconnect.core.hookdocs > docs/hooks.md"
    )
