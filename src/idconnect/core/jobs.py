"""Durable bulk jobs: the actions a job can run, and what a job and its accounts look like.

A job (``store.start_job``) runs one action over a snapshotted selection of accounts, in chunks,
recording in the hub's state database each account's state *before* the change and its outcome.
Each :class:`JobAction` says which operation it runs, with which hook arguments, how to read the
state of an account that matters to it (enabled, member of the group, holding the role), which
state it leaves, and which action undoes it.

Outcomes of an account: ``ok`` (acted on, one audit event), ``failed`` (acted on, refused, one
audit event), ``indeterminate`` (the store's answer was lost), ``unchanged`` (already in the
state the job leaves: not acted on, no event), ``skipped`` (an undo found the account changed
since by someone else: not acted on), ``would_change`` (a dry run).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from attrs import field, frozen

from idconnect.core.errors import InvalidInput
from idconnect.core.model import Account, RoleAssignment

__all__ = [
    "ACTED",
    "ACTIONS",
    "DEFAULT_CHUNK",
    "Job",
    "JobAction",
    "JobItem",
    "item_document",
    "job_action",
    "job_document",
    "job_request_id",
]

ACTED = frozenset({"ok", "failed", "indeterminate"})
"""Outcomes of accounts the job acted on: exactly these have an audit event carrying the job."""

DEFAULT_CHUNK = 1000
"""Accounts per chunk of a job, by default: a store's default batch, so one bulk hook call each
(a chunk's claim, state read and writes cost about the same whatever its size; a cancel waits
for the chunks under way)."""

State = Callable[[Account | None, Mapping[str, Any]], Any]
"""An account's state that matters to an action (``None`` account: it does not exist)."""


def _enabled(account: Account | None, _: Mapping[str, Any]) -> Any:
    return None if account is None else account.active


def _exists(account: Account | None, _: Mapping[str, Any]) -> Any:
    return account is not None


def _member(account: Account | None, arguments: Mapping[str, Any]) -> Any:
    if account is None:
        return None
    return any(ref.value == arguments["group_id"] for ref in account.groups)


def _holds(account: Account | None, arguments: Mapping[str, Any]) -> Any:
    if account is None:
        return None
    return _assignment(arguments) in account.role_assignments


def _assignment(arguments: Mapping[str, Any]) -> RoleAssignment:
    return RoleAssignment(role=arguments["role"], organization=arguments.get("organization"))


@frozen(kw_only=True)
class JobAction:
    """One action a job can run."""

    name: str
    """The action as callers name it: ``disable``, ``add_to_group``."""
    single: str
    """The single operation it runs per account (its bulk form per chunk where the store has it)."""
    arguments: tuple[str, ...] = ()
    """The keyword arguments ``start_job`` requires for it (``group_id``; ``role``)."""
    optional: tuple[str, ...] = ()
    """Further keyword arguments it accepts (``organization``)."""
    fixed: Mapping[str, Any] = field(factory=dict)
    """Hook arguments that are always the same (``enabled``)."""
    state: State | None = None
    """How to read an account's state that matters; ``None``: always act (revoke sessions)."""
    leaves: Any = None
    """The state the action leaves an account in."""
    undo: str | None = None
    """The action restoring the previous state; ``None``: irreversible."""
    needs_account: bool = False
    """Whether the state is read with ``get_account`` (groups, roles), not a search."""

    def hook_arguments(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Return the hook's keyword arguments besides the account id.

        :param arguments: the job's checked arguments.
        :returns: e.g. ``{"enabled": False}`` or ``{"assignment": RoleAssignment(...)}``.
        """
        extra = dict(self.fixed)
        if "group_id" in self.arguments:
            extra["group_id"] = arguments["group_id"]
        if "role" in self.arguments:
            extra["assignment"] = _assignment(arguments)
        return extra

    def check(self, arguments: Mapping[str, Any], *, store: str) -> dict[str, Any]:
        """Check the keyword arguments given to ``start_job`` for this action.

        :param arguments: the extra keyword arguments.
        :param store: the store, for the error.
        :returns: the arguments, as text.
        :raises InvalidInput: for a missing, unknown or malformed argument.
        """
        unknown = sorted(set(arguments) - set(self.arguments) - set(self.optional))
        if unknown:
            raise InvalidInput(
                f"action {self.name!r} takes no argument {', '.join(unknown)}"
                f" (it takes: {', '.join(self.arguments + self.optional) or 'none'})",
                store=store,
            )
        checked: dict[str, Any] = {}
        for name in self.arguments + self.optional:
            value = arguments.get(name)
            if value is None and name in self.optional:
                continue
            if not isinstance(value, str) or not value.strip() or len(value) > 512:
                raise InvalidInput(
                    f"action {self.name!r} needs {name} (non-empty text, at most 512 characters)",
                    store=store,
                    attribute=name,
                )
            checked[name] = value
        return checked


ACTIONS: Mapping[str, JobAction] = MappingProxyType(
    {
        a.name: a
        for a in (
            JobAction(
                name="enable",
                single="set_account_enabled",
                fixed={"enabled": True},
                state=_enabled,
                leaves=True,
                undo="disable",
            ),
            JobAction(
                name="disable",
                single="set_account_enabled",
                fixed={"enabled": False},
                state=_enabled,
                leaves=False,
                undo="enable",
            ),
            JobAction(name="delete", single="delete_account", state=_exists, leaves=False),
            JobAction(
                name="add_to_group",
                single="add_group_member",
                arguments=("group_id",),
                state=_member,
                leaves=True,
                undo="remove_from_group",
                needs_account=True,
            ),
            JobAction(
                name="remove_from_group",
                single="remove_group_member",
                arguments=("group_id",),
                state=_member,
                leaves=False,
                undo="add_to_group",
                needs_account=True,
            ),
            JobAction(
                name="assign_role",
                single="assign_role",
                arguments=("role",),
                optional=("organization",),
                state=_holds,
                leaves=True,
                undo="unassign_role",
                needs_account=True,
            ),
            JobAction(
                name="unassign_role",
                single="unassign_role",
                arguments=("role",),
                optional=("organization",),
                state=_holds,
                leaves=False,
                undo="assign_role",
                needs_account=True,
            ),
            JobAction(name="revoke_sessions", single="revoke_sessions"),
        )
    }
)
"""Every action a job can run, by name."""


def job_action(name: Any, *, store: str) -> JobAction:
    """Return the action named ``name``.

    :param name: an action name, e.g. ``disable``.
    :param store: the store, for the error.
    :returns: the action.
    :raises InvalidInput: for an unknown name (the message lists the known ones).
    """
    found = ACTIONS.get(name) if isinstance(name, str) else None
    if found is None:
        raise InvalidInput(
            f"unknown job action {name!r} (known: {', '.join(ACTIONS)})", store=store
        )
    return found


@frozen(kw_only=True)
class Job:
    """A durable bulk job as the state database holds it (read again for fresh progress)."""

    id: str
    """The job's id (32 hex characters); its audit events carry ``job:<id>`` as request id."""
    store: str
    """The store it runs on."""
    action: str
    """The :data:`ACTIONS` name."""
    arguments: Mapping[str, Any]
    """The action's arguments (``group_id``, ``role``, ``organization``)."""
    reason: str
    """Why, as the admin gave it (every audit event of the job carries it)."""
    actor: str
    """Who started it (its changes are made, and checked, as this admin)."""
    status: str
    """``pending``, ``running``, ``done`` or ``cancelled``."""
    dry_run: bool
    """Whether it only reports what it would change."""
    total: int
    """Accounts in the snapshotted selection."""
    counts: Mapping[str, int]
    """Accounts done so far, by outcome (``ok``, ``failed``, ``unchanged``, ...)."""
    created_at: datetime
    """When it was started."""
    started_at: datetime | None = None
    """When the first chunk was claimed."""
    finished_at: datetime | None = None
    """When it finished or was cancelled."""
    undo_of: str | None = None
    """The job this one undoes."""
    undone_by: str | None = None
    """The job that undoes this one."""
    cancelled_by: str | None = None
    """Who cancelled it."""
    cancel_reason: str | None = None
    """Why it was cancelled."""
    runner: str = "thread"
    """``thread`` (in-process) or ``queue`` (workers of the task queue)."""
    now: datetime | None = None
    """When this was read (progress and ETA are judged at that instant)."""

    @property
    def request_id(self) -> str:
        """The request id every audit event of the job carries: ``job:<id>``."""
        return job_request_id(self.id)

    @property
    def done(self) -> int:
        """How many accounts are done (any outcome)."""
        return sum(self.counts.values())

    @property
    def finished(self) -> bool:
        """Whether it is done or cancelled."""
        return self.status in ("done", "cancelled")

    @property
    def progress(self) -> float:
        """The fraction done, from 0.0 to 1.0 (1.0 for an empty selection)."""
        return 1.0 if self.total == 0 else self.done / self.total

    @property
    def rate(self) -> float | None:
        """Accounts done per second since it started (``None`` before any is done)."""
        if self.started_at is None or self.done == 0:
            return None
        end = self.finished_at or self.now or self.started_at
        seconds = (end - self.started_at).total_seconds()
        return None if seconds <= 0 else self.done / seconds

    @property
    def eta(self) -> timedelta | None:
        """The time left at the current rate (``None`` when unknown, zero when finished)."""
        if self.finished or self.done >= self.total:
            return timedelta(0)
        rate = self.rate
        return None if rate is None else timedelta(seconds=(self.total - self.done) / rate)


@frozen(kw_only=True)
class JobItem:
    """One account of a job: its state before the change and its outcome."""

    account_id: str
    """The account."""
    status: str
    """``pending``, ``applying`` (its state before is recorded, the change may be under way)
    or ``done``."""
    outcome: str | None = None
    """Once done: ``ok``, ``failed``, ``indeterminate``, ``unchanged``, ``skipped`` or
    ``would_change``."""
    before: Any = None
    """Its state before the change (``True``/``False``), as the action reads it."""
    error_code: str | None = None
    """Why it failed or was skipped: an error code (``not_found``) or ``changed_since``."""
    error: str | None = None
    """The message (never a secret)."""


def job_request_id(job_id: str) -> str:
    """Return the request id of a job's audit events.

    :param job_id: the job's id.
    :returns: ``job:<id>``.
    """
    return f"job:{job_id}"


def job_document(job: Job) -> dict[str, Any]:
    """Return a job as JSON (the CLI's ``--json`` and the admin API's answer).

    :param job: the job.
    :returns: its fields, instants as ISO 8601 text, progress and ETA in seconds.
    """
    eta = job.eta
    rate = job.rate
    return {
        "id": job.id,
        "store": job.store,
        "action": job.action,
        "arguments": dict(job.arguments),
        "reason": job.reason,
        "actor": job.actor,
        "status": job.status,
        "dryRun": job.dry_run,
        "runner": job.runner,
        "total": job.total,
        "done": job.done,
        "counts": dict(job.counts),
        "progress": round(job.progress, 4),
        "rate": None if rate is None else round(rate, 1),
        "etaSeconds": None if eta is None else round(eta.total_seconds(), 1),
        "createdAt": job.created_at.isoformat(),
        "startedAt": None if job.started_at is None else job.started_at.isoformat(),
        "finishedAt": None if job.finished_at is None else job.finished_at.isoformat(),
        "undoOf": job.undo_of,
        "undoneBy": job.undone_by,
        "cancelledBy": job.cancelled_by,
        "cancelReason": job.cancel_reason,
    }


def item_document(position: int, item: JobItem) -> dict[str, Any]:
    """Return one account of a job as JSON.

    :param position: its position in the selection.
    :param item: the account's row.
    :returns: position, account id, status, outcome, previous state and error.
    """
    return {
        "position": position,
        "accountId": item.account_id,
        "status": item.status,
        "outcome": item.outcome,
        "before": item.before,
        "errorCode": item.error_code,
        "error": item.error,
    }
