"""Durable bulk jobs: start one, list them, show one (with its accounts), cancel, undo."""

from __future__ import annotations

from typing import Any

from idconnect.core.jobs import ACTIONS, DEFAULT_CHUNK, item_document, job_document
from idconnect.http.admin.schemas import ID, TEXT, query_param, store_param
from idconnect.http.admin.spec import Call, Endpoint, Param, Reply

__all__ = ["ENDPOINTS"]

_BASE = "/stores/{store}/jobs"
_MAX_IDS = 100_000

_NULLABLE_TEXT = {"type": ["string", "null"]}
_NULLABLE_INSTANT = {"type": ["string", "null"], "format": "date-time"}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_JOB: dict[str, Any] = {
    "type": "object",
    "required": ["id", "store", "action", "status", "total", "done", "counts", "progress"],
    "properties": {
        "id": {"type": "string"},
        "store": {"type": "string"},
        "action": {"enum": list(ACTIONS)},
        "arguments": {"type": "object", "additionalProperties": {"type": "string"}},
        "reason": {"type": "string"},
        "actor": {"type": "string"},
        "status": {"enum": ["pending", "running", "done", "cancelled"]},
        "dryRun": {"type": "boolean"},
        "runner": {"enum": ["thread", "queue", "none"]},
        "total": {"type": "integer", "minimum": 0},
        "done": {"type": "integer", "minimum": 0},
        "counts": {"type": "object", "additionalProperties": {"type": "integer"}},
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "rate": _NULLABLE_NUMBER,
        "etaSeconds": _NULLABLE_NUMBER,
        "createdAt": {"type": "string", "format": "date-time"},
        "startedAt": _NULLABLE_INSTANT,
        "finishedAt": _NULLABLE_INSTANT,
        "undoOf": _NULLABLE_TEXT,
        "undoneBy": _NULLABLE_TEXT,
        "cancelledBy": _NULLABLE_TEXT,
        "cancelReason": _NULLABLE_TEXT,
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["position", "accountId", "status"],
                "properties": {
                    "position": {"type": "integer"},
                    "accountId": {"type": "string"},
                    "status": {"enum": ["pending", "applying", "done"]},
                    "outcome": _NULLABLE_TEXT,
                    "before": {},
                    "errorCode": _NULLABLE_TEXT,
                    "error": _NULLABLE_TEXT,
                },
            },
        },
    },
}


def _runner(call: Call) -> str:
    return "queue" if call.body.get("queue") else "thread"


async def _start(call: Call) -> Any:
    body = call.body
    arguments = {k: body[k] for k in ("group_id", "role", "organization") if k in body}
    job = await call.run(
        call.store.start_job,
        body["action"],
        ids=body.get("ids"),
        filter=body.get("filter"),
        reason=call.reason(),
        dry_run=body.get("dry_run", False),
        runner=_runner(call),
        chunk_size=body.get("chunk_size", DEFAULT_CHUNK),
        **arguments,
    )
    return job_document(job)


async def _list(call: Call) -> Any:
    found = await call.run(call.store.jobs, limit=call.query.get("limit", 100))
    return [job_document(j) for j in found]


async def _show(call: Call) -> Any:
    store, job_id = call.store, call.path["job"]
    job = await call.run(store.job, job_id)
    doc = job_document(job)
    if "outcome" in call.query or "count" in call.query or "after" in call.query:
        items = await call.run(
            store.job_items,
            job_id,
            outcome=call.query.get("outcome"),
            after=call.query.get("after", -1),
            count=call.query.get("count", 100),
        )
        doc["items"] = [item_document(p, i) for p, i in items]
    return doc


async def _cancel(call: Call) -> Any:
    job = await call.run(call.store.cancel_job, call.path["job"], reason=call.reason())
    return job_document(job)


async def _undo(call: Call) -> Any:
    job = await call.run(
        call.store.undo_job, call.path["job"], reason=call.reason(), runner=_runner(call)
    )
    return job_document(job)


def _job_param() -> Param:
    return Param(name="job", schema=ID, description="The job's id.")


_REASON = {**TEXT, "description": "Why (or the Idconnect-Reason header)."}
_QUEUE = {"type": "boolean", "description": "Run on the task queue's workers (idconnect[jobs])."}
_STARTED = Reply(description="The job as started (a dry run: finished).", schema=_JOB)

ENDPOINTS = (
    Endpoint(
        method="POST",
        path=_BASE,
        name="startJob",
        summary="Start a durable bulk job over ids or a filter's accounts (snapshotted now).",
        tag="jobs",
        run=_start,
        params=(store_param(),),
        body={
            "action": {
                "type": "string",
                "enum": list(ACTIONS),
                "description": "What to do to every account.",
            },
            "ids": {
                "type": "array",
                "items": TEXT,
                "minItems": 1,
                "maxItems": _MAX_IDS,
                "description": "Account ids (or give filter).",
            },
            "filter": {**TEXT, "maxLength": 4096, "description": "A SCIM filter (or give ids)."},
            "group_id": {**TEXT, "description": "add_to_group, remove_from_group: the group."},
            "role": {**TEXT, "description": "assign_role, unassign_role: the role."},
            "organization": {**TEXT, "description": "The role's organization."},
            "dry_run": {"type": "boolean", "description": "Only say what would change."},
            "queue": _QUEUE,
            "chunk_size": {"type": "integer", "minimum": 1, "maximum": 10_000},
            "reason": _REASON,
        },
        required=("action",),
        exclusive=("ids", "filter"),
        mutates=True,
        responses={202: _STARTED},
    ),
    Endpoint(
        method="GET",
        path=_BASE,
        name="listJobs",
        summary="The store's jobs, newest first.",
        tag="jobs",
        run=_list,
        params=(
            store_param(),
            query_param(
                "limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "At most this many."
            ),
        ),
        responses={200: Reply(description="The jobs.", schema={"type": "array", "items": _JOB})},
    ),
    Endpoint(
        method="GET",
        path=_BASE + "/{job}",
        name="getJob",
        summary="A job: status, counts by outcome, progress, ETA; its accounts on request.",
        tag="jobs",
        run=_show,
        params=(
            store_param(),
            _job_param(),
            query_param(
                "outcome",
                {
                    "type": "string",
                    "enum": [
                        "ok",
                        "failed",
                        "indeterminate",
                        "unchanged",
                        "skipped",
                        "would_change",
                    ],
                },
                "List the accounts with this outcome.",
            ),
            query_param(
                "count",
                {"type": "integer", "minimum": 1, "maximum": 10_000},
                "List at most this many accounts.",
            ),
            query_param(
                "after",
                {"type": "integer", "minimum": -1},
                "List the accounts after this position (the previous page's last).",
            ),
        ),
        responses={200: Reply(description="The job.", schema=_JOB)},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/{job}/cancel",
        name="cancelJob",
        summary="Cancel a job: no further chunk starts.",
        tag="jobs",
        run=_cancel,
        params=(store_param(), _job_param()),
        body={"reason": _REASON},
        mutates=True,
        responses={200: Reply(description="The job as cancelled.", schema=_JOB)},
    ),
    Endpoint(
        method="POST",
        path=_BASE + "/{job}/undo",
        name="undoJob",
        summary="Undo a finished or cancelled job as a new job (accounts changed since skipped).",
        tag="jobs",
        run=_undo,
        params=(store_param(), _job_param()),
        body={"reason": _REASON, "queue": _QUEUE},
        mutates=True,
        responses={202: Reply(description="The undoing job as started.", schema=_JOB)},
    ),
)
