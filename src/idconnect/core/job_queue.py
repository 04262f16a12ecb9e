"""Jobs on a distributed task queue: procrastinate on the hub's PostgreSQL state database.

Why procrastinate: the hub's state database already holds the jobs, their chunks and the audit
trail, so a queue in the same PostgreSQL needs no further broker to run, secure or back up, and
a task is deferred in the database the job lives in. The queue only *dispatches*: starting a
job with ``runner="queue"`` defers a few ``run_job`` tasks (one per chunk, at most
:data:`FANOUT`); each worker that picks one works on the job through
:func:`~idconnect.core.facade.job_runner.run_job`, claiming chunks under leases in the state
database, until the job is finished. Exactly-once per account comes from the chunks and
outcome rows, not from the queue: a worker killed mid-chunk leaves its chunk to the others (at
once on the same host, whose process table says it is gone; elsewhere when its lease expires).

Needs the optional extra ``idconnect[jobs]`` (``procrastinate``).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from idconnect.core.errors import ConfigError, InvalidInput

if TYPE_CHECKING:
    from idconnect.core.facade.hub import Hub

__all__ = ["FANOUT", "QUEUE", "check_queue", "enqueue", "run_worker"]

QUEUE = "idconnect-jobs"
"""The procrastinate queue idconnect's tasks go to."""
FANOUT = 16
"""At most this many tasks per job: how many workers can share it."""
_TASK = "idconnect.run_job"
_SCHEMA_LOCK = 0x1DC0_0B5
"""The advisory lock held while the queue's tables are created."""


def _conninfo(hub: Hub) -> str:
    url = sa.make_url(hub.state.url)
    if url.get_backend_name() != "postgresql":
        raise InvalidInput(
            "jobs on the task queue need the hub's state database on PostgreSQL"
            f" (it is {url.get_backend_name()}); run them in-process (runner='thread')",
            store="hub-state",
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _procrastinate() -> Any:
    try:
        import procrastinate
    except ImportError as exc:
        raise ConfigError(
            "jobs on the task queue need procrastinate: pip install 'idconnect[jobs]'"
        ) from exc
    return procrastinate


def check_queue(hub: Hub) -> None:
    """Check, before a job is stored, that it can go to the task queue.

    :param hub: the hub.
    :raises InvalidInput: when the state database is not PostgreSQL.
    :raises ConfigError: when procrastinate is not installed.
    """
    _conninfo(hub)
    _procrastinate()


def _app(hub: Hub) -> Any:
    """A procrastinate app on the state database with idconnect's task (bound to ``hub``)."""
    procrastinate = _procrastinate()
    app = procrastinate.App(
        connector=procrastinate.PsycopgConnector(conninfo=_conninfo(hub), min_size=1, max_size=4)
    )
    app.task(name=_TASK, queue=QUEUE)(functools.partial(_run, hub))
    return app


def _run(hub: Hub, store: str, job_id: str) -> None:
    """The task: work on one job until it is finished."""
    hub.store(store).run_job(job_id)


def _ensure_schema(hub: Hub, app: Any) -> None:
    """Create procrastinate's tables in the state database once (under an advisory lock)."""
    with hub.state.engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
        if conn.execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar() is None:
            schema = app.schema_manager.get_schema()
            conn.connection.dbapi_connection.execute(schema)  # type: ignore[union-attr]


def enqueue(hub: Hub, store: str, job_id: str) -> int:
    """Defer the tasks that let workers share a job.

    :param hub: the hub (its state database holds the queue).
    :param store: the job's store.
    :param job_id: the job.
    :returns: how many tasks were deferred.
    :raises InvalidInput: when the state database is not PostgreSQL.
    :raises ConfigError: when procrastinate is not installed.
    """
    app = _app(hub)
    _ensure_schema(hub, app)
    chunks = hub.store(store)._jobs.open_chunks(job_id)
    count = max(1, min(chunks, FANOUT))
    with app.open():
        task = app.tasks[_TASK]
        for _ in range(count):
            task.defer(store=store, job_id=job_id)
    return count


def run_worker(hub: Hub, *, concurrency: int = 1, once: bool = False) -> None:
    """Run a worker of the task queue in this process until stopped (SIGINT, SIGTERM).

    :param hub: the hub whose stores the jobs run on.
    :param concurrency: jobs this worker works on at the same time (threads).
    :param once: stop when the queue is empty.
    :raises InvalidInput: when the state database is not PostgreSQL.
    :raises ConfigError: when procrastinate is not installed.
    """
    app = _app(hub)
    _ensure_schema(hub, app)
    app.run_worker(queues=[QUEUE], concurrency=concurrency, wait=not once)
