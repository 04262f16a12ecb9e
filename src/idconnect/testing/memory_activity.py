"""The in-memory store's activity: records per account in a list, keyset pages on ``(at, id)``."""

from __future__ import annotations

import hashlib
from collections.abc import Set
from datetime import datetime
from typing import Any

from idconnect.core.activity import STORE_KINDS, ActivityKind, ActivityRecord
from idconnect.core.errors import InvalidInput
from idconnect.core.instants import format_instant, parse_instant
from idconnect.core.plugins import hookimpl
from idconnect.core.query import Page, unwrap_position, wrap_position

__all__ = ["MemoryActivity"]


class MemoryActivity:
    """Activity hooks of :class:`~idconnect.testing.memory_store.MemoryStore` (a mixin).

    The store provides ``name``, ``_lock`` and ``_account(account_id)`` (raising NotFound).
    """

    name: str
    _lock: Any

    def _account(self, account_id: str) -> Any:
        raise NotImplementedError

    @property
    def _activity(self) -> dict[str, list[ActivityRecord]]:
        log: dict[str, list[ActivityRecord]] = self.__dict__.setdefault("_activity_log", {})
        return log

    @hookimpl
    def idconnect_list_activity(
        self,
        account_id: str,
        since: datetime | None,
        until: datetime | None,
        kinds: Set[ActivityKind] | None,
        count: int,
        cursor: str | None,
    ) -> Page[ActivityRecord]:
        """Filter the account's records, newest first, and cut one page after the cursor."""
        text = "\x1f".join(
            (
                account_id,
                format_instant(since) if since else "",
                format_instant(until) if until else "",
                ",".join(sorted(kinds)) if kinds is not None else "*",
            )
        )
        fingerprint = "memory-activity:" + hashlib.sha256(text.encode()).hexdigest()[:16]
        wanted = STORE_KINDS if kinds is None else kinds
        with self._lock:
            self._account(account_id)
            records = [
                r
                for r in self._activity.get(account_id, [])
                if r.kind in wanted
                and (since is None or r.at >= since)
                and (until is None or r.at <= until)
            ]
        records.sort(key=lambda r: (r.at, r.id), reverse=True)
        if cursor is not None:
            try:
                at, ident = unwrap_position(cursor, fingerprint)
                after = (parse_instant(at), str(ident))
            except (TypeError, ValueError) as exc:
                raise InvalidInput("the cursor is not valid", store=self.name) from exc
            records = [r for r in records if (r.at, r.id) < after]
        chunk = records[:count]
        next_cursor = None
        if len(records) > count:
            next_cursor = wrap_position(fingerprint, [format_instant(chunk[-1].at), chunk[-1].id])
        return Page(items=chunk, next_cursor=next_cursor)

    @hookimpl
    def idconnect_record_activity(self, account_id: str, record: ActivityRecord) -> ActivityRecord:
        """Append the record to the account's list."""
        with self._lock:
            self._account(account_id)
            self._activity.setdefault(account_id, []).append(record)
        return record
