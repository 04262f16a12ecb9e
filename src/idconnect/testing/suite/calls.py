"""One facade call per operation, for checking that a store refuses what it lacks.

:data:`KIT_CALLS` is keyed by operation name and covers every single operation of
:data:`idconnect.core.operations.OPERATIONS`; a set-based bulk form (``Operation.bulk_of``) is
covered through its single operation, since the facade uses whichever of the two the store has.
A new operation without an entry here makes
:meth:`~idconnect.testing.suite.base.BaseSuite.test_every_missing_capability_raises_not_supported`
fail in every backend's kit, and :func:`uncovered_operations` names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from idconnect import Store
from idconnect.core.operations import OPERATIONS, Operation

__all__ = ["KIT_CALLS", "REASON", "uncovered_operations"]

REASON = "conformance kit"
"""The reason the kit gives for every change it makes."""

KitCall = Callable[[Store], object]

KIT_CALLS: Mapping[str, KitCall] = MappingProxyType(
    {
        "get_account": lambda s: s.get_account("x"),
        "search_accounts": lambda s: s.search_accounts(),
        "explain_search": lambda s: s.explain(),
        "create_account": lambda s: s.create_account({"userName": "x"}, reason=REASON),
        "update_account": lambda s: s.update_account("x", {"displayName": "x"}, reason=REASON),
        "set_account_enabled": lambda s: s.disable_accounts(["x"], reason=REASON),
        "delete_account": lambda s: s.delete_accounts(["x"], reason=REASON),
        "search_groups": lambda s: s.search_groups(),
        "get_group": lambda s: s.get_group("x"),
        "create_group": lambda s: s.create_group({"displayName": "x"}, reason=REASON),
        "delete_group": lambda s: s.delete_group("x", reason=REASON),
        "rename_group": lambda s: s.rename_group("x", "y", reason=REASON),
        "add_group_member": lambda s: s.add_to_group("x", ["y"], reason=REASON),
        "remove_group_member": lambda s: s.remove_from_group("x", ["y"], reason=REASON),
        "list_roles": lambda s: s.list_roles(),
        "list_organizations": lambda s: s.list_organizations(),
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
        "list_verifications": lambda s: s.verifications("x"),
        "verify_identity": lambda s: s.verify_identity(
            "x",
            policy=min(s.hub.config.verification_policies, default="p"),
            evidence="e",
            reason=REASON,
        ),
        "revoke_verification": lambda s: s.revoke_verification("x", "y", reason=REASON),
        "list_consents": lambda s: s.consents("x"),
        "record_consent": lambda s: s.record_consent("x", purpose="p", version="1"),
        "revoke_consent": lambda s: s.revoke_consent("x", "y", reason=REASON),
        "list_activity": lambda s: s.activity("x", kinds=["login_failed"]),
        "record_activity": lambda s: s.record_activity("x", kind="login_failed"),
    }
)
"""Operation name to a facade call that needs it; every single operation has one."""


def uncovered_operations(
    operations: Mapping[str, Operation] = OPERATIONS, calls: Mapping[str, KitCall] = KIT_CALLS
) -> list[str]:
    """Name what a kit call table gets wrong against the operations of the hook specs.

    :param operations: the operations to cover (default: the core's hook specs).
    :param calls: the table to check (default: :data:`KIT_CALLS`).
    :returns: sorted problems: each single operation without an entry, each bulk form whose
        single operation has none, and each entry naming no single operation; empty when the
        table is complete.
    """
    problems: list[str] = []
    for op in operations.values():
        single = op.bulk_of or op.name
        if single not in calls:
            problems.append(op.name if op.bulk_of is None else f"{op.name} (via {single})")
    for name in calls:
        if name not in operations or operations[name].bulk_of is not None:
            problems.append(f"{name} (not a single operation)")
    return sorted(problems)
