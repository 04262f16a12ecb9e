"""Durable bulk jobs of a store: start, read, cancel, undo, run (see :mod:`idconnect.core.jobs`)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from idconnect.core.errors import Conflict, IdconnectError, InvalidInput, NotSupported
from idconnect.core.facade.accounts import AccountOperations
from idconnect.core.facade.checks import check_ids
from idconnect.core.facade.job_runner import DEFAULT_LEASE, run_job
from idconnect.core.filter import Filter
from idconnect.core.instants import utc_now
from idconnect.core.job_state import JobState
from idconnect.core.jobs import ACTIONS, DEFAULT_CHUNK, Job, JobAction, JobItem, job_action
from idconnect.core.operations import OPERATIONS
from idconnect.core.state import new_event_id

__all__ = ["JobOperations"]

log = logging.getLogger("idconnect")

_RUNNERS = ("thread", "queue", "none")


class JobOperations(AccountOperations):
    """The durable jobs of :class:`~idconnect.core.facade.store.Store`."""

    @property
    def _jobs(self) -> JobState:
        found: JobState | None = getattr(self, "_job_state", None)
        if found is None:
            found = self._job_state = JobState(self.hub.state)
        return found

    def start_job(
        self,
        action: str,
        *,
        ids: list[str] | None = None,
        filter: str | Filter | None = None,
        reason: str,
        dry_run: bool = False,
        actor: str | None = None,
        runner: str = "thread",
        chunk_size: int = DEFAULT_CHUNK,
        undo_of: str | None = None,
        **arguments: Any,
    ) -> Job:
        """Start a durable job running ``action`` over a snapshotted selection of accounts.

        The selection (``ids``, or the ids ``filter`` matches now) is stored with the job; each
        account's state before the change and its outcome become rows of the hub's state
        database, and its audit event carries the request id ``job:<id>``.

        :param action: one of :data:`~idconnect.core.jobs.ACTIONS`: ``enable``, ``disable``,
            ``delete``, ``add_to_group`` (``group_id=``), ``remove_from_group`` (``group_id=``),
            ``assign_role`` / ``unassign_role`` (``role=``, ``organization=``),
            ``revoke_sessions``.
        :param ids: the accounts, by id.
        :param filter: or a filter selecting them (exactly one of ``ids`` and ``filter``).
        :param reason: why (required; every event of the job carries it).
        :param dry_run: only say, per account, whether it would change (nothing is changed).
        :param actor: the acting admin (the job acts, and is checked, as them).
        :param runner: ``thread`` (in this process, the default), ``queue`` (workers of the
            task queue, ``idconnect jobs worker``) or ``none`` (whoever calls :meth:`run_job`).
        :param chunk_size: accounts per chunk, 1 to 10,000.
        :param undo_of: (set by :meth:`undo_job`) the job this one undoes.
        :param arguments: the action's arguments.
        :returns: the job as started (a dry run: as finished).
        :raises InvalidInput: for an unknown action, a bad argument, a missing reason, or not
            exactly one of ``ids`` and ``filter``.
        :raises PermissionDenied: without the action's permission or ``accounts.read`` (the job
            reads each account's state before changing it).
        :raises NotSupported: when the store cannot do the action (before any I/O).
        """
        chosen = job_action(action, store=self.name)
        checked = chosen.check(arguments, store=self.name)
        if (ids is None) == (filter is None):
            raise InvalidInput("give exactly one of ids and filter", store=self.name)
        if runner not in _RUNNERS:
            raise InvalidInput(f"runner must be one of {', '.join(_RUNNERS)}", store=self.name)
        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
            raise InvalidInput("chunk_size must be a whole number", store=self.name)
        if not 1 <= chunk_size <= 10_000:
            raise InvalidInput("chunk_size must be from 1 to 10000", store=self.name)
        context = self._context(actor, reason, need_reason=True)
        extra = chosen.hook_arguments(checked)
        self.hub.permissions.check(OPERATIONS[chosen.single], {"context": context, **extra})
        read = "get_account" if chosen.needs_account else "search_accounts"
        if chosen.state is not None or filter is not None:
            self.hub.permissions.check(OPERATIONS[read], {"context": context})
        self._refuse_unsupported(chosen, filter is not None)
        if runner == "queue":
            from idconnect.core.job_queue import check_queue  # the optional extra idconnect[jobs]

            check_queue(self.hub)
        wanted = (
            check_ids(ids, store=self.name)
            if ids is not None
            else [a.id for a in self.iter_accounts(filter, actor=context.actor) if a.id]
        )
        job = Job(
            id=new_event_id(),
            store=self.name,
            action=chosen.name,
            arguments=checked,
            reason=context.reason or "",
            actor=context.actor,
            status="pending",
            dry_run=bool(dry_run),
            total=len(wanted),
            counts={},
            created_at=utc_now(),
            undo_of=undo_of,
            runner=runner,
        )
        self._jobs.create(job, wanted, chunk_size=chunk_size)
        self.hub.state.record(
            [self.hub.audit.event(context, "start_job", account_id=None, target=job.id)]
        )
        if dry_run:
            self.run_job(job.id)
        elif runner == "thread":
            self._start_thread(job.id)
        elif runner == "queue":
            from idconnect.core.job_queue import enqueue  # the optional extra idconnect[jobs]

            enqueue(self.hub, self.name, job.id)
        return self._jobs.job(job.id, store=self.name)

    def _refuse_unsupported(self, chosen: JobAction, by_filter: bool) -> None:
        if chosen.single not in self.capabilities:
            raise self._not_supported(chosen.single)
        reads = {"get_account", "search_accounts"} & self.capabilities
        if chosen.needs_account:
            reads &= {"get_account"}
        if chosen.state is not None and not reads:
            raise NotSupported(
                f"this store ({self.config.plugin}) cannot read accounts, so a job cannot"
                f" record their state before {chosen.name!r}",
                store=self.name,
                operation=chosen.single,
            )
        if by_filter and "search_accounts" not in self.capabilities:
            raise self._not_supported("search_accounts")

    def _start_thread(self, job_id: str) -> None:
        threads: dict[str, threading.Thread] = self.__dict__.setdefault("_job_threads", {})
        thread = threading.Thread(
            target=self._run_in_thread,
            args=(job_id,),
            name=f"idconnect-job-{job_id[:8]}",
            daemon=True,
        )
        threads[job_id] = thread
        thread.start()

    def _run_in_thread(self, job_id: str) -> None:
        try:
            self.run_job(job_id)
        except IdconnectError as exc:  # the job stays resumable; say so instead of a traceback
            log.warning("job %s stopped: %s (resume it with store.run_job)", job_id, exc)

    def run_job(self, job_id: str, *, wait: bool = True, lease: timedelta = DEFAULT_LEASE) -> None:
        """Work on a job in this thread until it is finished: start it, or resume it after a crash.

        Chunks other runners hold are left to them; with ``wait``, this waits for them and takes
        over a chunk whose runner died (its process is gone, or its lease expired).

        :param job_id: the job.
        :param wait: wait for chunks other runners hold instead of returning.
        :param lease: how long this runner's claim of a chunk holds without renewal.
        :raises NotFound: when the store has no such job.
        :raises StoreUnavailable: when the state database or the store cannot be reached (the job
            stays resumable).
        """
        run_job(self, self._jobs, self._id(job_id, "job id"), wait=wait, lease=lease)

    def wait_job(self, job_id: str, *, timeout: float | None = None) -> Job:
        """Wait for a job this process runs in a thread, then read it.

        :param job_id: the job.
        :param timeout: at most this many seconds.
        :returns: the job as it is then.
        :raises NotFound: when the store has no such job.
        """
        thread = self.__dict__.get("_job_threads", {}).get(job_id)
        if thread is not None:
            thread.join(timeout)
        return self._jobs.job(self._id(job_id, "job id"), store=self.name)

    def job(self, job_id: str, *, actor: str | None = None) -> Job:
        """Read a job: its status, counts by outcome, progress and ETA.

        :param job_id: the job's id.
        :param actor: the acting admin.
        :returns: the job.
        :raises PermissionDenied: without ``jobs.read``.
        :raises NotFound: when the store has no such job.
        """
        job_id = self._id(job_id, "job id")
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(context, "jobs.read", "read_job", target=job_id)
        return self._jobs.job(job_id, store=self.name)

    def jobs(self, *, limit: int = 100, actor: str | None = None) -> list[Job]:
        """List the store's jobs, newest first.

        :param limit: at most this many, 1 to 1000.
        :param actor: the acting admin.
        :returns: the jobs.
        :raises PermissionDenied: without ``jobs.read``.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidInput("limit must be from 1 to 1000", store=self.name)
        context = self._context(actor, None, need_reason=False)
        self.hub.permissions.check_action(context, "jobs.read", "list_jobs")
        return self._jobs.jobs(self.name, limit=limit)

    def job_items(
        self,
        job_id: str,
        *,
        outcome: str | None = None,
        after: int = -1,
        count: int = 1000,
        actor: str | None = None,
    ) -> list[tuple[int, JobItem]]:
        """Read a job's accounts: each one's outcome and recorded previous state.

        :param job_id: the job.
        :param outcome: only those with this outcome (``ok``, ``failed``, ``skipped``, ...).
        :param after: only those after this position (the last of the previous page).
        :param count: at most this many, 1 to 10,000.
        :param actor: the acting admin.
        :returns: ``(position, item)`` pairs in selection order.
        :raises PermissionDenied: without ``jobs.read``.
        :raises NotFound: when the store has no such job.
        """
        job = self.job(job_id, actor=actor)
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
            raise InvalidInput("count must be from 1 to 10000", store=self.name)
        return self._jobs.items(job.id, outcome=outcome, after=int(after), limit=count)

    def cancel_job(self, job_id: str, *, reason: str, actor: str | None = None) -> Job:
        """Stop a job: no further chunk is started (the accounts done stay done).

        :param job_id: the job.
        :param reason: why (required, audited).
        :param actor: the acting admin.
        :returns: the job as cancelled.
        :raises PermissionDenied: without ``jobs.cancel``.
        :raises NotFound: when the store has no such job.
        :raises Conflict: when it is finished already.
        """
        job_id = self._id(job_id, "job id")
        context = self._context(actor, reason, need_reason=True)
        self.hub.permissions.check_action(context, "jobs.cancel", "cancel_job", target=job_id)
        self._jobs.job(job_id, store=self.name)
        moved = self._jobs.set_status(
            job_id,
            "cancelled",
            only_from=("pending", "running"),
            by=context.actor,
            reason=context.reason,
        )
        if not moved:
            raise Conflict(f"job {job_id} is finished already", store=self.name)
        self.hub.state.record(
            [self.hub.audit.event(context, "cancel_job", account_id=None, target=job_id)]
        )
        return self._jobs.job(job_id, store=self.name)

    def undo_job(
        self, job_id: str, *, reason: str, actor: str | None = None, runner: str = "thread"
    ) -> Job:
        """Undo a finished or cancelled job as a new job restoring each account's previous state.

        Only the accounts the job changed (outcome ``ok``) are restored; one changed since by
        someone else (no longer in the state the job left) is ``skipped``, with the reason.

        :param job_id: the job to undo.
        :param reason: why (required).
        :param actor: the acting admin (needs the undoing action's permission).
        :param runner: as for :meth:`start_job`.
        :returns: the new job.
        :raises NotFound: when the store has no such job.
        :raises NotSupported: for an irreversible action (delete, revoke sessions).
        :raises Conflict: when the job is still running, was a dry run, or is undone already.
        """
        job = self.job(job_id, actor=actor)
        undo = ACTIONS[job.action].undo
        if undo is None:
            raise NotSupported(
                f"job {job.id} ran {job.action!r}, which is irreversible: it cannot be undone",
                store=self.name,
                operation="undo_job",
            )
        if not job.finished or job.dry_run or job.undone_by is not None:
            why = (
                "is still running"
                if not job.finished
                else "was a dry run"
                if job.dry_run
                else f"is undone already (by job {job.undone_by})"
            )
            raise Conflict(f"job {job.id} {why}", store=self.name)
        changed = [
            item.account_id for _, item in self._jobs.items(job.id, outcome="ok", limit=10_000_000)
        ]
        return self.start_job(
            undo,
            ids=changed,
            reason=reason,
            actor=actor,
            runner=runner,
            undo_of=job.id,
            **job.arguments,
        )
