"""Durable jobs in the hub's state database: the job, its chunks (with leases), its accounts.

Three tables next to the audit trail, created on first use: ``idconnect_jobs`` (one row per
job), ``idconnect_job_chunks`` (a job's selection cut into chunks; a worker *claims* one with a
conditional ``UPDATE`` that only one claimant can win, ``SELECT ... FOR UPDATE SKIP LOCKED`` on
PostgreSQL, and holds it under a lease it renews) and ``idconnect_job_items`` (one row per
account: its state before the change and its outcome). Every write that records outcomes is
fenced by the lease: it commits only while the writer still holds its chunk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from idconnect.core.errors import NotFound
from idconnect.core.instants import utc_now
from idconnect.core.job_tables import (
    CHUNKS,
    EVENTS,
    ITEMS,
    JOBS,
    METADATA,
    insert_items,
    item_of,
    read_jobs,
)
from idconnect.core.jobs import Job, JobItem
from idconnect.core.state import StateDatabase
from idconnect.core.state_tables import StateTables

__all__ = ["Claim", "JobState"]

T = TypeVar("T")
K = TypeVar("K")


class Claim:
    """A chunk a worker holds: which job, which chunk, whether it was claimed before.

    :param job_id: the job.
    :param chunk: the chunk's number.
    :param owner: the claimant.
    :param attempts: how many times it was claimed, this time included (above 1: a resume).
    """

    def __init__(self, job_id: str, chunk: int, owner: str, attempts: int) -> None:
        self.job_id, self.chunk, self.owner, self.attempts = job_id, chunk, owner, attempts


class LeaseLost(Exception):
    """The worker's lease on its chunk expired and another claimed it: its writes are refused."""


_TABLES = StateTables(METADATA, "jobs")


class JobState:
    """The job tables of one hub's state database.

    :param state: the hub's state database (its engine is shared).
    """

    def __init__(self, state: StateDatabase) -> None:
        self.state = state

    def _begin(self, what: str) -> AbstractContextManager[sa.Connection]:
        return _TABLES.begin(self.state, doing=what)

    def _run(self, what: str, work: Callable[[sa.Connection], T]) -> T:
        with self._begin(what) as conn:
            return work(conn)

    # -- creating and reading jobs ----------------------------------------------------------------

    def create(self, job: Job, ids: Sequence[str], *, chunk_size: int) -> None:
        """Write a new job with its snapshotted selection, in one transaction.

        :param job: the job (status ``pending``).
        :param ids: the selected account ids, in order.
        :param chunk_size: accounts per chunk.
        :raises StoreUnavailable: when the database cannot be written.
        """
        row = {
            "id": job.id,
            "store": job.store,
            "action": job.action,
            "arguments": json.dumps(dict(job.arguments)),
            "reason": job.reason,
            "actor": job.actor,
            "status": job.status,
            "dry_run": job.dry_run,
            "runner": job.runner,
            "total": len(ids),
            "created_at": job.created_at,
            "undo_of": job.undo_of,
        }
        chunks = [
            {"job_id": job.id, "chunk": n, "status": "pending", "attempts": 0}
            for n in range((len(ids) + chunk_size - 1) // chunk_size)
        ]

        def write(conn: sa.Connection) -> None:
            conn.execute(JOBS.insert(), row)
            if chunks:
                conn.execute(CHUNKS.insert(), chunks)
            insert_items(conn, job.id, ids, chunk_size)
            if job.undo_of is not None:
                conn.execute(JOBS.update().where(JOBS.c.id == job.undo_of), {"undone_by": job.id})

        self._run("create", write)

    def job(self, job_id: str, *, store: str) -> Job:
        """Read one job with its counts by outcome.

        :param job_id: the job's id.
        :param store: the store it must belong to.
        :returns: the job.
        :raises NotFound: when the store has no such job.
        :raises StoreUnavailable: when the database cannot be read.
        """
        found = self._run("read", lambda c: read_jobs(c, store, job_id=job_id))
        if not found:
            raise NotFound(f"no job {job_id!r}", store=store)
        return found[0]

    def jobs(self, store: str, *, limit: int = 100) -> list[Job]:
        """Read a store's jobs, newest first.

        :param store: the store.
        :param limit: at most this many.
        :returns: the jobs.
        :raises StoreUnavailable: when the database cannot be read.
        """
        return self._run("read", lambda c: read_jobs(c, store, limit=limit))

    def status(self, job_id: str) -> str | None:
        """Read a job's status alone (cheap: no counting).

        :param job_id: the job.
        :returns: its status, or ``None`` when there is no such job.
        :raises StoreUnavailable: when the database cannot be read.
        """
        stmt = sa.select(JOBS.c.status).where(JOBS.c.id == job_id)
        return self._run("read", lambda c: c.execute(stmt).scalar_one_or_none())

    def items(
        self, job_id: str, *, outcome: str | None = None, after: int = -1, limit: int = 1000
    ) -> list[tuple[int, JobItem]]:
        """Read a job's accounts in selection order.

        :param job_id: the job.
        :param outcome: only accounts with this outcome.
        :param after: only accounts after this position (the last one of the previous page).
        :param limit: at most this many.
        :returns: ``(position, item)`` pairs.
        :raises StoreUnavailable: when the database cannot be read.
        """
        i = ITEMS.c
        stmt = sa.select(ITEMS).where(i.job_id == job_id, i.seq > after)
        if outcome is not None:
            stmt = stmt.where(i.outcome == outcome)
        stmt = stmt.order_by(i.seq).limit(limit)
        rows = self._run("read", lambda c: c.execute(stmt).mappings().all())
        return [(r["seq"], item_of(r)) for r in rows]

    def set_status(
        self,
        job_id: str,
        status: str,
        *,
        only_from: Sequence[str],
        by: str | None = None,
        reason: str | None = None,
    ) -> bool:
        """Move a job to ``status`` if it is in one of ``only_from`` (one conditional update).

        :param job_id: the job.
        :param status: ``running``, ``done`` or ``cancelled``.
        :param only_from: the statuses it may move from.
        :param by: who cancelled it.
        :param reason: why it was cancelled.
        :returns: whether it moved.
        :raises StoreUnavailable: when the database cannot be written.
        """
        values: dict[str, Any] = {"status": status}
        now = utc_now()
        if status == "running":
            values["started_at"] = now
        else:
            values["finished_at"] = now
        if by is not None:
            values.update(cancelled_by=by, cancel_reason=reason)
        stmt = (
            JOBS.update()
            .where(JOBS.c.id == job_id, JOBS.c.status.in_(tuple(only_from)))
            .values(values)
        )
        return self._run("write", lambda c: bool(c.execute(stmt).rowcount))

    # -- chunks: claim, lease, finish -------------------------------------------------------------

    def claim(
        self, job_id: str, owner: str, lease: timedelta, dead: Callable[[str], bool]
    ) -> Claim | None:
        """Claim the next chunk nobody holds.

        Free chunks are pending ones, and running ones under an expired lease or an owner that
        is ``dead``.

        :param job_id: the job.
        :param owner: the claimant (host, process and a random part).
        :param lease: how long the claim holds without renewal.
        :param dead: whether an owner's process is known to be gone.
        :returns: the claim, or ``None`` when no chunk is free now.
        :raises StoreUnavailable: when the database cannot be written.
        """
        c = CHUNKS.c

        def work(conn: sa.Connection) -> Claim | None:
            now = utc_now()
            free = sa.or_(
                c.status == "pending", sa.and_(c.status == "running", c.lease_until < now)
            )
            stmt = (
                sa.select(c.chunk, c.owner, c.attempts)
                .where(c.job_id == job_id, free)
                .order_by(c.chunk)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            row = conn.execute(stmt).first()
            if row is None:
                held = conn.execute(
                    sa.select(c.chunk, c.owner, c.attempts).where(
                        c.job_id == job_id, c.status == "running"
                    )
                ).all()
                row = next((r for r in held if r.owner and dead(r.owner)), None)
                if row is None:
                    return None
            claimed = conn.execute(
                CHUNKS.update()
                .where(
                    c.job_id == job_id,
                    c.chunk == row.chunk,
                    c.attempts == row.attempts,
                    c.status != "done",
                )
                .values(
                    status="running",
                    owner=owner,
                    lease_until=now + lease,
                    attempts=row.attempts + 1,
                )
            ).rowcount
            return Claim(job_id, row.chunk, owner, row.attempts + 1) if claimed else None

        return self._run("claim", work)

    def renew(self, claim: Claim, lease: timedelta) -> bool:
        """Extend a claim's lease (while a long chunk is under way).

        :param claim: the claim.
        :param lease: the new lease, from now.
        :returns: whether the claim still held its chunk.
        :raises StoreUnavailable: when the database cannot be written.
        """
        c = CHUNKS.c
        stmt = (
            CHUNKS.update()
            .where(c.job_id == claim.job_id, c.chunk == claim.chunk, c.owner == claim.owner)
            .values(lease_until=utc_now() + lease)
        )
        return self._run("write", lambda conn: bool(conn.execute(stmt).rowcount))

    def open_chunks(self, job_id: str) -> int:
        """Count a job's chunks not done yet.

        :param job_id: the job.
        :returns: how many.
        :raises StoreUnavailable: when the database cannot be read.
        """
        c = CHUNKS.c
        stmt = sa.select(sa.func.count()).where(c.job_id == job_id, c.status != "done")
        return int(self._run("read", lambda conn: conn.execute(stmt).scalar_one()))

    def chunk_items(self, claim: Claim) -> tuple[list[tuple[int, str]], list[tuple[int, JobItem]]]:
        """Read the accounts of a claimed chunk that are not done.

        :param claim: the claim.
        :returns: the ``pending`` ones as ``(position, account id)`` and the ``applying`` ones
            (a previous claimant's, with their recorded state) as ``(position, item)``, each in
            selection order.
        :raises StoreUnavailable: when the database cannot be read.
        """
        i = ITEMS.c
        stmt = (
            sa.select(i.seq, i.account_id, i.status)
            .where(i.job_id == claim.job_id, i.chunk == claim.chunk, i.status != "done")
            .order_by(i.seq)
        )
        applying = stmt.with_only_columns(ITEMS).where(i.status == "applying")

        def read(conn: sa.Connection) -> tuple[list[tuple[int, str]], list[tuple[int, JobItem]]]:
            rows = conn.execute(stmt).all()
            pending = [(seq, account_id) for seq, account_id, status in rows if status == "pending"]
            if len(pending) == len(rows):
                return pending, []
            found = conn.execute(applying).mappings().all()
            return pending, [(r["seq"], item_of(r)) for r in found]

        return self._run("read", read)

    def record(
        self,
        claim: Claim,
        *,
        applying: Mapping[int, Any] = {},
        done: Mapping[int, tuple[str, str | None, str | None]] = {},
        lease: timedelta,
        finish: bool = False,
    ) -> None:
        """Record accounts' states before the change and outcomes, renewing the lease.

        One transaction, committed only while ``claim`` still holds its chunk. Each run of
        consecutive positions that get the same values is one update of a range of the primary
        key: a chunk's accounts mostly share their previous state and their outcome.

        :param claim: the claim.
        :param applying: position -> state before; those accounts move to ``applying``.
        :param done: position -> ``(outcome, error code, error)``; those accounts are done.
        :param lease: the renewed lease.
        :param finish: mark the chunk done too.
        :raises LeaseLost: when another worker holds the chunk now (nothing is written).
        :raises StoreUnavailable: when the database cannot be written.
        """
        c = CHUNKS.c

        def write(conn: sa.Connection) -> None:
            values: dict[str, Any] = {"lease_until": utc_now() + lease}
            if finish:
                values["status"] = "done"
            held = conn.execute(
                CHUNKS.update()
                .where(
                    c.job_id == claim.job_id,
                    c.chunk == claim.chunk,
                    c.owner == claim.owner,
                    c.status == "running",
                )
                .values(values)
            ).rowcount
            if not held:
                raise LeaseLost(claim.chunk)
            i = ITEMS.c
            runs = (i.job_id == claim.job_id) & i.seq.between(
                sa.bindparam("lo"), sa.bindparam("hi")
            )
            if applying:
                conn.execute(
                    ITEMS.update().where(runs).values(status="applying", before=sa.bindparam("b")),
                    [{"lo": lo, "hi": hi, "b": json.dumps(b)} for b, lo, hi in _runs(applying)],
                )
            if done:
                conn.execute(
                    ITEMS.update()
                    .where(runs)
                    .values(
                        status="done",
                        outcome=sa.bindparam("o"),
                        error_code=sa.bindparam("c"),
                        error=sa.bindparam("e"),
                    ),
                    [
                        {"lo": lo, "hi": hi, "o": o, "c": code, "e": e}
                        for (o, code, e), lo, hi in _runs(done)
                    ],
                )

        self._run("write", write)

    def events(
        self, store: str, request_id: str, action: str, account_ids: Sequence[str]
    ) -> dict[str, tuple[str, str | None, str | None]]:
        """Read the audit events a job wrote for some accounts (a resume's check).

        :param store: the store.
        :param request_id: the job's request id.
        :param action: the audit action.
        :param account_ids: the accounts.
        :returns: account id -> ``(event outcome, error code, error)``.
        :raises StoreUnavailable: when the database cannot be read.
        """
        e = EVENTS.c
        stmt = sa.select(e.account_id, e.outcome, e.error_code, e.error).where(
            e.store == store,
            e.request_id == request_id,
            e.action == action,
            e.account_id.in_(list(account_ids)),
        )
        return self._run(
            "read", lambda c: {r[0]: (r[1], r[2], r[3]) for r in c.execute(stmt) if r[0]}
        )


def _runs(values: Mapping[int, K]) -> list[tuple[K, int, int]]:
    """``(value, first, last)`` for each run of consecutive positions getting the same value."""
    runs: list[tuple[K, int, int]] = []
    for seq in sorted(values):
        value = values[seq]
        if runs and runs[-1][2] == seq - 1 and runs[-1][0] == value:
            runs[-1] = (value, runs[-1][1], seq)
        else:
            runs.append((value, seq, seq))
    return runs
