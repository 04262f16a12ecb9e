"""Running a durable job: claim a chunk, record each account's state, act, record outcomes.

Any number of runners (threads, worker processes) share one job through the chunks' leases
(:mod:`idconnect.core.job_state`). For each chunk a runner:

1. resolves the accounts a previous claimant left ``applying`` (it may have died after the
   store's write): an audit event of the job for the account means the change was made and its
   outcome is the event's; else, when the store's state is the one the job leaves while the
   recorded previous state was not, the change was made but its event was lost, and the runner
   writes that event; else the account is acted on again (the action is idempotent);
2. reads the state of the pending accounts that matters to the action, records it as their
   previous state and marks them ``applying`` (an account already in the state the job leaves is
   ``unchanged``; an undo's account no longer in the state its job left is ``skipped``);
3. acts through the facade's bulk engine (the audit trail writes one event per account,
   carrying the job's request id ``job:<id>``) and records every outcome with the chunk done, in
   one transaction fenced by the lease.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from idconnect.core.audit import target_text
from idconnect.core.context import CallContext
from idconnect.core.errors import IdconnectError, NotFound
from idconnect.core.facade.bulk import run_bulk
from idconnect.core.filter import Filter, attr
from idconnect.core.job_state import Claim, JobState, LeaseLost
from idconnect.core.jobs import ACTIONS, Job, JobAction, JobItem, job_request_id
from idconnect.core.model import Account, Outcome, event_outcome
from idconnect.core.operations import OPERATIONS

if TYPE_CHECKING:
    from idconnect.core.facade.calls import StoreCalls

__all__ = ["DEFAULT_LEASE", "new_owner", "owner_is_dead", "run_job"]

DEFAULT_LEASE = timedelta(seconds=60)
"""How long a chunk stays claimed without its runner renewing the lease."""
_POLL = 0.2
"""Seconds between looks at a job whose last chunks other runners hold."""
_READ_BATCH = 500
"""Account ids per search when reading states."""

_ID = attr("id")

Done = dict[int, tuple[str, str | None, str | None]]


def new_owner() -> str:
    """Return a fresh claimant name: ``host:pid:random``."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def owner_is_dead(owner: str) -> bool:
    """Whether a claimant's process is known to be gone (on this host; else unknown: ``False``).

    :param owner: a name :func:`new_owner` made.
    :returns: ``True`` when its process no longer runs here (or is a zombie).
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return False


def run_job(
    store: StoreCalls,
    jobs: JobState,
    job_id: str,
    *,
    wait: bool = True,
    lease: timedelta = DEFAULT_LEASE,
    owner: str | None = None,
) -> None:
    """Work on a job until no chunk is left (or it is cancelled).

    :param store: the job's store.
    :param jobs: the hub's job tables.
    :param job_id: the job.
    :param wait: when the only chunks left are held by other runners, wait for them to finish
        or for their lease to expire (a runner that died), instead of returning.
    :param lease: the lease of this runner's claims.
    :param owner: this runner's name (default :func:`new_owner`).
    :raises NotFound: when the store has no such job.
    :raises StoreUnavailable: when the state database or the store cannot be reached (the job
        stays resumable).
    """
    job = jobs.job(job_id, store=store.name)
    if job.finished:
        return
    action = ACTIONS[job.action]
    me = owner or new_owner()
    jobs.set_status(job_id, "running", only_from=("pending",))
    while True:
        if jobs.status(job_id) == "cancelled":
            return
        claim = jobs.claim(job_id, me, lease, owner_is_dead)
        if claim is None:
            if jobs.open_chunks(job_id) == 0:
                jobs.set_status(job_id, "done", only_from=("running",))
                return
            if not wait:
                return
            time.sleep(_POLL)
            continue
        with contextlib.suppress(LeaseLost):  # another runner took the chunk over: let it be
            _run_chunk(store, jobs, job, action, claim, lease)


def _run_chunk(
    store: StoreCalls, jobs: JobState, job: Job, action: JobAction, claim: Claim, lease: timedelta
) -> None:
    pending, resumed = jobs.chunk_items(claim)
    extra = action.hook_arguments(job.arguments)
    context = CallContext(
        store=store.name, actor=job.actor, reason=job.reason, request_id=job_request_id(job.id)
    )
    done: Done = {}
    act: dict[int, str] = {}
    if resumed:
        _resolve(store, jobs, context, action, job.arguments, resumed, done, act)
    applying: dict[int, Any] = {}
    states = _states(store, context, action, job.arguments, [a for _, a in pending])
    expected = ACTIONS[action.undo].leaves if job.undo_of and action.undo else None
    for position, account_id in pending:
        state = states.get(account_id)
        applying[position] = state
        if job.undo_of is not None and state != expected:
            done[position] = ("skipped", "changed_since", _changed_since(state))
        elif action.state is not None and state == action.leaves:
            done[position] = ("unchanged", None, None)
        elif job.dry_run:
            done[position] = ("would_change", None, None)
        else:
            act[position] = account_id
    if job.dry_run or not act:
        jobs.record(claim, applying=applying, done=done, lease=lease, finish=True)
        return
    jobs.record(claim, applying=applying, done=done, lease=lease)
    ids = list(act.values())
    outcomes = run_bulk(
        store, context, action.single, ids, ids, extra=extra, progress=_renewer(jobs, claim, lease)
    )
    by_id = {o.account_id: o for o in outcomes}
    finished: Done = {p: _outcome(by_id[account_id]) for p, account_id in act.items()}
    jobs.record(claim, done=finished, lease=lease, finish=True)


def _renewer(jobs: JobState, claim: Claim, lease: timedelta) -> Callable[[int], None]:
    """A progress callback renewing the claim's lease a few times per lease while acting."""
    renewed = [time.monotonic()]
    lock = threading.Lock()

    def progress(_: int) -> None:
        with lock:
            if time.monotonic() - renewed[0] < lease.total_seconds() / 4:
                return
            renewed[0] = time.monotonic()
        jobs.renew(claim, lease)

    return progress


def _resolve(
    store: StoreCalls,
    jobs: JobState,
    context: CallContext,
    action: JobAction,
    arguments: Mapping[str, Any],
    resumed: Sequence[tuple[int, JobItem]],
    done: Done,
    act: dict[int, str],
) -> None:
    """Settle the accounts a dead runner left ``applying``; the rest go to ``act``."""
    extra = action.hook_arguments(arguments)
    audit_action = OPERATIONS[action.single].audit_action(extra)
    events = jobs.events(
        store.name, context.request_id, audit_action, [i.account_id for _, i in resumed]
    )
    unknown = []
    for position, item in resumed:
        found = events.get(item.account_id)
        if found is None:
            unknown.append((position, item))
            continue
        outcome, code, error = found
        done[position] = (_named(outcome), code, error)
    if not unknown:
        return
    states = _states(store, context, action, arguments, [i.account_id for _, i in unknown])
    lost = []
    for position, item in unknown:
        state = states.get(item.account_id)
        if action.state is not None and state == action.leaves and item.before != action.leaves:
            lost.append(item.account_id)
            done[position] = ("ok", None, None)
        else:
            act[position] = item.account_id
    if lost:
        op = OPERATIONS[action.single]
        target = target_text(extra.get(op.target)) if op.target else None
        audit = store.hub.audit
        audit.state.record(
            audit.event(context, audit_action, account_id=account_id, target=target)
            for account_id in lost
        )


def _states(
    store: StoreCalls,
    context: CallContext,
    action: JobAction,
    arguments: Mapping[str, Any],
    ids: Sequence[str],
) -> dict[str, Any]:
    """Read the state that matters to ``action`` of each account (missing ones: ``None``)."""
    if action.state is None or not ids:
        return {}
    state = action.state
    found: dict[str, Account] = {}
    if action.needs_account or "search_accounts" not in store.capabilities:
        for account_id, account in zip(
            ids, store._map(ids, functools.partial(_get, store, context), None), strict=True
        ):
            if isinstance(account, Account):
                found[account_id] = account
            elif isinstance(account, IdconnectError):
                raise account
    else:
        for start in range(0, len(ids), _READ_BATCH):
            batch = ids[start : start + _READ_BATCH]
            query = store._query(
                store.catalogue, _any_id(batch), None, False, len(batch), None, ("active",)
            )
            page = store._call("search_accounts", context, query=query)
            found.update((a.id, a) for a in page.items if a.id is not None)
    return {account_id: state(found.get(account_id), arguments) for account_id in ids}


def _get(store: StoreCalls, context: CallContext, account_id: str) -> Account | None:
    try:
        account: Account = store._call(
            "get_account", context, subject=account_id, account_id=account_id
        )
    except NotFound:
        return None
    return account


def _any_id(ids: Sequence[str]) -> Filter:
    """``id eq a or id eq b or ...`` as a balanced tree (shallow for every translator)."""
    if len(ids) == 1:
        return _ID.eq(ids[0])
    middle = len(ids) // 2
    return _any_id(ids[:middle]) | _any_id(ids[middle:])


def _outcome(outcome: Outcome) -> tuple[str, str | None, str | None]:
    error = outcome.error
    if error is None:
        return "ok", None, None
    code = getattr(error, "code", "plugin")
    return _named(event_outcome(error)), code, str(error)[:2000]


def _named(event: str) -> str:
    """The job outcome of an audit event's outcome."""
    return {"success": "ok", "indeterminate": "indeterminate"}.get(event, "failed")


def _changed_since(state: Any) -> str:
    if state is None:
        return "the account no longer exists"
    return "the account was changed since the job by someone else"
