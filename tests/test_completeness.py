"""Every operation of the hook specs is audited, in the kit, in the facade and in the CLI.

The operation metadata on the specs (``core/opspec.py``) is the one list; each check below
derives what must exist from it, and a test with a deliberately incomplete spec module proves
that each check names the operation that lacks its entry.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping
from types import SimpleNamespace
from typing import Any

import click
import pluggy
import pytest

from idconnect import Store
from idconnect.cli import cli
from idconnect.core.audit import AuditTrail
from idconnect.core.hookspecs import PROJECT
from idconnect.core.operations import OPERATIONS, Operation, read_operations
from idconnect.core.opspec import COVERS, operation
from idconnect.core.state import StateDatabase
from idconnect.testing.suite import KIT_CALLS

EXEMPT_FROM_CLI: frozenset[str] = frozenset()
"""Operations with no CLI command, each with a reason. None today."""


def _caller_facing(operations: Mapping[str, Operation]) -> set[str]:
    # a bulk form is reached through its single operation's method and command
    return {name for name, op in operations.items() if not op.is_bulk}


def _covered(functions: Iterable[Any]) -> set[str]:
    found: set[str] = set()
    for fn in functions:
        while fn is not None:
            found.update(getattr(fn, COVERS, ()))
            fn = getattr(fn, "__wrapped__", None)
    return found


def _commands(group: click.Group) -> Iterator[click.Command]:
    for command in group.commands.values():
        yield command
        if isinstance(command, click.Group):
            yield from _commands(command)


def missing_in_facade(operations: Mapping[str, Operation]) -> set[str]:
    """Operations no public :class:`Store` method covers."""
    methods = [fn for name, fn in inspect.getmembers(Store) if not name.startswith("_")]
    return _caller_facing(operations) - _covered(methods)


def missing_in_cli(operations: Mapping[str, Operation], root: click.Group) -> set[str]:
    """Operations no CLI command covers (less the exemptions)."""
    callbacks = [command.callback for command in _commands(root)]
    return _caller_facing(operations) - _covered(callbacks) - EXEMPT_FROM_CLI


def missing_in_audit(operations: Mapping[str, Operation], audit: object) -> set[str]:
    """Mutating operations the audit trail does not wrap."""
    missing = set()
    for name, op in operations.items():
        impl = getattr(audit, op.hook, None)
        opts = getattr(impl, f"{PROJECT}_impl", None)
        if op.mutates and not (opts and opts.get("wrapper")):
            missing.add(name)
    return missing


def missing_in_kit(operations: Mapping[str, Operation], calls: Mapping[str, Any]) -> set[str]:
    """Operations the conformance kit's NotSupported check cannot call."""
    return _caller_facing(operations) - set(calls)


def test_every_operation_has_a_facade_method() -> None:
    assert missing_in_facade(OPERATIONS) == set()


def test_every_operation_has_a_cli_command() -> None:
    assert missing_in_cli(OPERATIONS, cli) == set()


def test_every_mutating_operation_is_audited(tmp_path: Any) -> None:
    state = StateDatabase(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        assert missing_in_audit(OPERATIONS, AuditTrail(state)) == set()
    finally:
        state.close()


def test_every_operation_has_a_kit_entry() -> None:
    assert missing_in_kit(OPERATIONS, KIT_CALLS) == set()


def test_the_checks_name_an_operation_that_lacks_its_entries(tmp_path: Any) -> None:
    hookspec = pluggy.HookspecMarker(PROJECT)

    @operation(family="accounts", mutates=True, permission="accounts.merge", subject="account_id")
    @hookspec(firstresult=True)
    def idconnect_merge_accounts(context: object, account_id: str, into: str) -> None:
        """Merge an account into another (a spec no code knows of yet)."""

    incomplete = read_operations(SimpleNamespace(idconnect_merge_accounts=idconnect_merge_accounts))
    assert set(incomplete) == {"merge_accounts"}
    assert missing_in_facade(incomplete) == {"merge_accounts"}
    assert missing_in_cli(incomplete, cli) == {"merge_accounts"}
    state = StateDatabase(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        assert missing_in_audit(incomplete, AuditTrail(state)) == {"merge_accounts"}
    finally:
        state.close()
    assert missing_in_kit(incomplete, KIT_CALLS) == {"merge_accounts"}


def test_a_spec_without_metadata_or_with_a_wrong_argument_is_refused() -> None:
    hookspec = pluggy.HookspecMarker(PROJECT)

    @hookspec(firstresult=True)
    def idconnect_unmarked(context: object) -> None:
        """No metadata."""

    with pytest.raises(TypeError, match="no @operation metadata"):
        read_operations(SimpleNamespace(idconnect_unmarked=idconnect_unmarked))

    @operation(family="accounts", mutates=True, permission="x.y", subject="account")
    @hookspec(firstresult=True)
    def idconnect_misnamed(context: object, account_id: str) -> None:
        """Metadata names an argument the spec does not take."""

    with pytest.raises(TypeError, match="does not take"):
        read_operations(SimpleNamespace(idconnect_misnamed=idconnect_misnamed))


def test_bulk_forms_batch_an_existing_operation() -> None:
    for op in OPERATIONS.values():
        if op.is_bulk:
            single = OPERATIONS[op.bulk_of or ""]
            assert single.family == op.family and single.permission == op.permission
            assert single.audit_action({"enabled": True}) == op.audit_action({"enabled": True})
