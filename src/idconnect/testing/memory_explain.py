"""The in-memory store's ``explain_search``: every search is a local scan of its accounts."""

from __future__ import annotations

from typing import Any

from idconnect.core.explain import Explanation
from idconnect.core.filter import to_text
from idconnect.core.plugins import hookimpl
from idconnect.core.query import Query

__all__ = ["MemoryExplain"]


class MemoryExplain:
    """The explain hook of :class:`~idconnect.testing.memory_store.MemoryStore` (a mixin).

    The store provides ``name``, ``_lock`` and ``_accounts`` (id to account).
    """

    name: str
    _lock: Any
    _accounts: dict[str, Any]

    @hookimpl
    def idconnect_explain_search(self, query: Query, threshold: int | None) -> Explanation:
        """Every account is tested by the reference evaluator: a full scan."""
        text = to_text(query.filter) if query.filter is not None else None
        over = None
        if threshold is not None:
            with self._lock:
                over = len(self._accounts) > threshold
        return Explanation(
            store=self.name,
            backend="memory",
            native="every account in memory",
            rechecked=(f"{text} (every account, by the reference evaluator)",) if text else (),
            plan=("local scan",),
            full_scan=True,
            scan_cause="a local scan of the accounts in memory",
            over_threshold=over,
        )
