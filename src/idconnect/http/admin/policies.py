"""Account policies: run a store's dormant-account policy (or only plan it)."""

from __future__ import annotations

from typing import Any

from idconnect.http.admin.schemas import store_param
from idconnect.http.admin.spec import Call, Endpoint, Reply

__all__ = ["ENDPOINTS"]

_TEXT = {"type": "string"}
_RUN: dict[str, Any] = {
    "type": "object",
    "required": ["dryRun", "decisions", "warnings", "jobs"],
    "properties": {
        "dryRun": {"type": "boolean"},
        "decisions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["accountId", "userName", "action", "why"],
                "properties": {
                    "accountId": _TEXT,
                    "userName": _TEXT,
                    "action": {"enum": ["warn", "disable", "delete", "wait", "clear"]},
                    "why": _TEXT,
                },
            },
        },
        "warnings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["accountId", "status"],
                "properties": {
                    "accountId": _TEXT,
                    "status": _TEXT,
                    "cause": {"type": ["string", "null"]},
                },
            },
        },
        "jobs": {"type": "array", "items": {"type": "object"}},
    },
}


async def _run(call: Call) -> Any:
    done = await call.run(call.store.run_dormant_policy, dry_run=call.body.get("dry_run", False))
    return done.document()


ENDPOINTS = (
    Endpoint(
        method="POST",
        path="/stores/{store}/policies/dormant/run",
        name="runDormantPolicy",
        summary="Apply the store's dormant-account policy now (or, with dry_run, only plan it).",
        description="Warnings go out through the policy's client; the accounts due are"
        " disabled or deleted by durable jobs whose reason names the policy.",
        tag="policies",
        run=_run,
        params=(store_param(),),
        body={"dry_run": {"type": "boolean", "description": "Only say who would be acted on."}},
        responses={200: Reply(description="Every decision and what was done.", schema=_RUN)},
    ),
)
