"""What the core knows of each operation, attached once to its hook spec.

``@operation(...)`` stands over an operation's ``@hookspec`` in :mod:`idconnect.core.hookspecs`;
:mod:`idconnect.core.operations` reads it back. Everything that must cover every operation (the
audit trail, the permission names, the conformance kit, the facade, the CLI, the completeness
tests) derives from this one place instead of keeping a list of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from attrs import field, frozen

__all__ = ["ATTRIBUTE", "COVERS", "FAMILIES", "Operation", "covers", "operation"]

ATTRIBUTE = "idconnect_operation"
"""The attribute of a spec function that holds its :class:`Operation`."""

FAMILIES = (
    "accounts",
    "groups",
    "roles",
    "credentials",
    "sessions",
    "verification",
    "consents",
    "activity",
)
"""The operation families: each has a hookspec section, facade module, kit suite and CLI group."""

F = TypeVar("F", bound=Callable[..., Any])


@frozen(kw_only=True)
class Operation:
    """One operation a backend may implement, as the cross-cutting code needs to know it."""

    name: str
    """The hook name without ``idconnect_``, e.g. ``disable_accounts``."""
    family: str
    """One of :data:`FAMILIES`."""
    mutates: bool
    """Whether it changes the store (then it is audited and needs a reason where it is bulk)."""
    permission: str
    """The admin permission it needs, ``family.verb`` (``accounts.delete``)."""
    subject: str | None = None
    """The argument naming the account it concerns (``account_id``; for bulk forms the list,
    ``account_ids`` or ``accounts``); ``None`` when the account comes from the result."""
    target: str | None = None
    """The argument naming the secondary object (a group id, a session id, a role assignment)."""
    action: str | None = None
    """The audit action; defaults to the operation name. See :attr:`switch`."""
    switch: tuple[str, str, str] | None = None
    """``(argument, action if true, action if false)``, for an operation whose audit action
    depends on a flag (``set_account_enabled`` is ``enable_account`` or ``disable_account``)."""
    changed: tuple[str, ...] = ()
    """Attribute names it changes, for audit events; ``("*changes",)`` takes them from the
    ``changes`` argument's keys."""
    bulk_of: str | None = None
    """For a set-based bulk form, the single operation it batches (the kit, the facade and the CLI
    cover both through the single one)."""
    spec: Callable[..., Any] | None = field(default=None, eq=False, repr=False)
    """The hook spec function (set when the operation is read back)."""

    @property
    def hook(self) -> str:
        """The hook's full name, ``idconnect_<name>``."""
        return f"idconnect_{self.name}"

    @property
    def is_bulk(self) -> bool:
        """Whether this is a set-based bulk form of another operation."""
        return self.bulk_of is not None

    def audit_action(self, arguments: Mapping[str, Any]) -> str:
        """Return the audit action of one call.

        :param arguments: the hook call's keyword arguments.
        :returns: the action name written in events.
        """
        if self.switch is not None:
            argument, if_true, if_false = self.switch
            return if_true if arguments[argument] else if_false
        return self.action or self.bulk_of or self.name

    def changed_names(self, arguments: Mapping[str, Any]) -> tuple[str, ...]:
        """Return the attribute names one call changes, for its audit events.

        :param arguments: the hook call's keyword arguments.
        :returns: the names, sorted where they come from ``changes``.
        """
        if self.changed == ("*changes",):
            return tuple(sorted(arguments.get("changes") or ()))
        return self.changed


def operation(**meta: Any) -> Callable[[F], F]:
    """Attach an :class:`Operation` to a hook spec (its ``name`` is the spec's, less the prefix).

    :param meta: the :class:`Operation` fields other than ``name`` and ``spec``.
    :returns: a decorator returning the spec unchanged but for the attached metadata.
    """

    def mark(spec: F) -> F:
        name = spec.__name__.removeprefix("idconnect_")
        setattr(spec, ATTRIBUTE, Operation(name=name, spec=spec, **meta))
        return spec

    return mark


COVERS = "idconnect_covers"
"""The attribute of a facade method or CLI command callback naming the operations it runs."""


def covers(*operations: str) -> Callable[[F], F]:
    """Mark a facade method or a CLI command as the caller-facing form of ``operations``.

    The completeness tests read these marks: every operation of the hook specs must be reached
    by a facade method and by a CLI command (its bulk form through its single operation).

    :param operations: operation names (hook names without ``idconnect_``).
    :returns: a decorator returning the function unchanged but for the mark.
    """

    def mark(fn: F) -> F:
        setattr(fn, COVERS, (*getattr(fn, COVERS, ()), *operations))
        return fn

    return mark
