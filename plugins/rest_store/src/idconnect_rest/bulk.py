"""SCIM Bulk (RFC 7644 §3.7): many operations in few requests, one outcome per operation.

Operations are sent in batches that respect the server's ``maxOperations`` and
``maxPayloadSize``; ``failOnErrors`` is not set, so one failure never stops the others.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from idconnect.backend import IdconnectError, StoreUnavailable
from idconnect_rest.discovery import ServerProfile
from idconnect_rest.errors import error_for_response, malformed
from idconnect_rest.http import ScimClient

__all__ = ["BULK_REQUEST", "run_bulk"]

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
_ENVELOPE = 200


class _Answer:
    """An operation's answer inside a BulkResponse, shaped like a response for error mapping."""

    def __init__(self, status: int, body: Any) -> None:
        self.status_code = status
        self.content = json.dumps(body).encode() if body is not None else b""


def _status(answer: Mapping[str, Any]) -> int | None:
    """The HTTP status of one bulk answer (``"201"`` or ``201``), ``None`` when unreadable."""
    text = str(answer.get("status", "")).strip().split(" ")[0]
    return int(text) if text.isdigit() and len(text) == 3 else None


def _batches(
    operations: Sequence[Mapping[str, Any]], max_ops: int, max_bytes: int
) -> list[list[Mapping[str, Any]]]:
    batches: list[list[Mapping[str, Any]]] = []
    current: list[Mapping[str, Any]] = []
    size = _ENVELOPE
    for op in operations:
        op_size = len(json.dumps(op, separators=(",", ":")).encode()) + 1
        if current and (len(current) >= max_ops or (max_bytes and size + op_size > max_bytes)):
            batches.append(current)
            current, size = [], _ENVELOPE
        current.append(op)
        size += op_size
    if current:
        batches.append(current)
    return batches


def run_bulk(
    client: ScimClient,
    profile: ServerProfile,
    operations: Sequence[Mapping[str, Any]],
    whats: Sequence[str],
) -> list[dict[str, Any] | IdconnectError]:
    """Run operations through ``/Bulk`` and return each one's answer or error.

    :param client: the HTTP client.
    :param profile: the server's bulk limits.
    :param operations: ``{"method", "path", "data"?}`` dicts, in order (``bulkId`` is added).
    :param whats: for each operation, what it is about (for error messages).
    :returns: per operation, the server's answer (``status``, ``location``, ``response``...)
        or the mapped error.
    :raises IdconnectError: when a whole batch is refused (then no outcome is known).
    """
    results: list[dict[str, Any] | IdconnectError] = []
    max_ops = profile.bulk_max_operations or 100
    offset = 0
    for batch in _batches(operations, max_ops, profile.bulk_max_payload):
        numbered = [{**op, "bulkId": f"op{offset + n}"} for n, op in enumerate(batch)]
        body = {"schemas": [BULK_REQUEST], "Operations": numbered}
        reply = client.request("POST", "/Bulk", body=body, what="the bulk request")
        listed = reply.json().get("Operations") or []
        if not isinstance(listed, list) or not all(isinstance(a, dict) for a in listed):
            raise malformed(client.store, reply.url, "a BulkResponse whose Operations is no list")
        if len(listed) > len(batch):
            raise malformed(
                client.store,
                reply.url,
                f"a BulkResponse of {len(listed)} answers to {len(batch)} operations",
            )
        answers = {a.get("bulkId"): a for a in listed}
        for n in range(len(batch)):
            answer = answers.get(f"op{offset + n}")
            url = client.base_url + str(batch[n].get("path", ""))
            if answer is None:
                results.append(
                    StoreUnavailable(
                        f"the SCIM server at {client.base_url} gave no answer to a bulk operation",
                        store=client.store,
                        url=url,
                    )
                )
                continue
            status = _status(answer)
            response = answer.get("response")
            if status is None:
                results.append(
                    malformed(client.store, url, "a bulk answer without a readable status")
                )
            elif status >= 400:
                results.append(
                    error_for_response(
                        client.store,
                        url,
                        _Answer(status, response),
                        whats[offset + n],
                        client.hidden,
                    )
                )
            else:
                results.append(answer)
        offset += len(batch)
    return results
