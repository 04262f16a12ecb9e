"""The job tables of the hub's state database and how their rows become jobs.

``idconnect_jobs`` (one row per job), ``idconnect_job_chunks`` (a job's selection in chunks, each
claimed under a lease) and ``idconnect_job_items`` (one row per account: its state before the
change and its outcome); :data:`EVENTS` names the audit trail's columns a resumed chunk reads.
On PostgreSQL the accounts' pages are filled to 45% only: the two updates of each row (its
previous state, then its outcome) then fit in the same page and touch no index (heap-only
tuples), where full pages made each update write both indexes again.
:class:`~idconnect.core.job_state.JobState` reads and writes them.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from idconnect.core.instants import utc_now
from idconnect.core.jobs import Job, JobItem
from idconnect.core.state_engine import can_copy, copy_rows

__all__ = ["CHUNKS", "EVENTS", "ITEMS", "JOBS", "METADATA", "insert_items", "item_of", "read_jobs"]

METADATA = sa.MetaData()
_AT = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
JOBS = sa.Table(
    "idconnect_jobs",
    METADATA,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("store", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("arguments", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("dry_run", sa.Boolean, nullable=False),
    sa.Column("runner", sa.String(16), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
    sa.Column("created_at", _AT, nullable=False),
    sa.Column("started_at", _AT),
    sa.Column("finished_at", _AT),
    sa.Column("undo_of", sa.String(32)),
    sa.Column("undone_by", sa.String(32)),
    sa.Column("cancelled_by", sa.String(256)),
    sa.Column("cancel_reason", sa.Text),
    sa.Index("ix_idconnect_jobs_store", "store", "created_at"),
)
CHUNKS = sa.Table(
    "idconnect_job_chunks",
    METADATA,
    sa.Column("job_id", sa.String(32), primary_key=True),
    sa.Column("chunk", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("owner", sa.String(256)),
    sa.Column("lease_until", _AT),
    sa.Column("attempts", sa.Integer, nullable=False),
)
ITEMS = sa.Table(
    "idconnect_job_items",
    METADATA,
    sa.Column("job_id", sa.String(32), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("chunk", sa.Integer, nullable=False),
    sa.Column("account_id", sa.String(512), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("outcome", sa.String(16)),
    sa.Column("before", sa.Text),
    sa.Column("error_code", sa.String(64)),
    sa.Column("error", sa.Text),
    sa.Index("ix_idconnect_job_items_chunk", "job_id", "chunk"),
    postgresql_with={"fillfactor": 45},
)
EVENTS = sa.table(
    "idconnect_events",
    sa.column("store"),
    sa.column("request_id"),
    sa.column("account_id"),
    sa.column("action"),
    sa.column("outcome"),
    sa.column("error_code"),
    sa.column("error"),
)
_INSERT_BATCH = 5000
"""Item rows per insert statement when a job is created (without ``COPY``)."""
_ITEM_COLUMNS = ("job_id", "seq", "chunk", "account_id", "status")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def insert_items(conn: sa.Connection, job_id: str, ids: Sequence[str], chunk_size: int) -> None:
    """Insert a new job's accounts, ``pending``: one ``COPY`` on PostgreSQL (psycopg).

    :param conn: a connection to the state database, in the job's creating transaction.
    :param job_id: the job.
    :param ids: the selected account ids, in order.
    :param chunk_size: accounts per chunk.
    """
    rows = (
        (job_id, seq, seq // chunk_size, account_id, "pending")
        for seq, account_id in enumerate(ids)
    )
    if can_copy(conn.dialect):
        copy_rows(conn, ITEMS.name, _ITEM_COLUMNS, rows)
        return
    while batch := [
        dict(zip(_ITEM_COLUMNS, r, strict=True)) for r in itertools.islice(rows, _INSERT_BATCH)
    ]:
        conn.execute(ITEMS.insert(), batch)


def item_of(row: Any) -> JobItem:
    """Return a job account of an ``idconnect_job_items`` row.

    :param row: the row (a mapping).
    :returns: the item.
    """
    return JobItem(
        account_id=row["account_id"],
        status=row["status"],
        outcome=row["outcome"],
        before=None if row["before"] is None else json.loads(row["before"]),
        error_code=row["error_code"],
        error=row["error"],
    )


def read_jobs(
    conn: sa.Connection, store: str, *, job_id: str | None = None, limit: int = 1
) -> list[Job]:
    """Read a store's jobs (or one), newest first, with their counts by outcome.

    :param conn: a connection to the state database.
    :param store: the store.
    :param job_id: only this job.
    :param limit: at most this many.
    :returns: the jobs.
    """
    j, i = JOBS.c, ITEMS.c
    stmt = sa.select(JOBS).where(j.store == store)
    if job_id is not None:
        stmt = stmt.where(j.id == job_id)
    rows = conn.execute(stmt.order_by(j.created_at.desc()).limit(limit)).mappings().all()
    now = utc_now()
    found = []
    for r in rows:
        counts = {
            outcome: n
            for outcome, n in conn.execute(
                sa.select(i.outcome, sa.func.count())
                .where(i.job_id == r["id"], i.status == "done")
                .group_by(i.outcome)
            )
        }
        found.append(
            Job(
                id=r["id"],
                store=r["store"],
                action=r["action"],
                arguments=json.loads(r["arguments"]),
                reason=r["reason"],
                actor=r["actor"],
                status=r["status"],
                dry_run=bool(r["dry_run"]),
                total=r["total"],
                counts=counts,
                created_at=_utc(r["created_at"]) or now,
                started_at=_utc(r["started_at"]),
                finished_at=_utc(r["finished_at"]),
                undo_of=r["undo_of"],
                undone_by=r["undone_by"],
                cancelled_by=r["cancelled_by"],
                cancel_reason=r["cancel_reason"],
                runner=r["runner"],
                now=now,
            )
        )
    return found
