"""``GET /api/stores/{store}/accounts/explain``: what a search would send to a store (no run).

The answer is the :class:`~idconnect.core.explain.Explanation` as JSON: the native query with
its bound parameter names (never the values), where it runs, the parts answered natively and
re-checked locally, the database's plan, whether it would read every account, and ``text``,
the explanation as a person reads it.
"""

from __future__ import annotations

from typing import Any

from attrs import asdict

from idconnect.http.admin.schemas import filter_param, sort_params, sorting, store_param
from idconnect.http.admin.spec import Call, Endpoint, Reply

__all__ = ["ENDPOINTS"]

_TEXTS = {"type": "array", "items": {"type": "string"}}

_EXPLANATION = {
    "type": "object",
    "required": ["store", "backend", "native", "full_scan", "text"],
    "properties": {
        "store": {"type": "string"},
        "backend": {"type": "string"},
        "native": {"type": "string"},
        "parameters": _TEXTS,
        "target": _TEXTS,
        "natively": _TEXTS,
        "rechecked": _TEXTS,
        "plan": _TEXTS,
        "full_scan": {"type": ["boolean", "null"]},
        "scan_cause": {"type": ["string", "null"]},
        "indexes": _TEXTS,
        "over_threshold": {"type": ["boolean", "null"]},
        "text": {"type": "string"},
    },
}


async def _explain(call: Call) -> Any:
    explanation = await call.run(
        call.store.explain, call.query.get("filter"), **sorting(call.query)
    )
    return {**asdict(explanation), "text": str(explanation)}


ENDPOINTS = (
    Endpoint(
        method="GET",
        path="/stores/{store}/accounts/explain",
        name="explainSearch",
        summary="Say what a search would send to the store and its plan, without running it.",
        description=__doc__ or "",
        tag="accounts",
        run=_explain,
        params=(store_param(), filter_param(), *sort_params("A single-valued attribute.")),
        responses={200: Reply(description="The explanation.", schema=_EXPLANATION)},
    ),
)
