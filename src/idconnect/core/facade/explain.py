"""Explain a search, and the scan guard: refuse a full scan of a large store unless allowed."""

from __future__ import annotations

from idconnect.core.context import CallContext
from idconnect.core.errors import UnsupportedFilter
from idconnect.core.explain import Explanation
from idconnect.core.facade.calls import StoreCalls
from idconnect.core.filter import Filter
from idconnect.core.opspec import covers
from idconnect.core.query import Query

__all__ = ["ExplainOperations"]


class ExplainOperations(StoreCalls):
    """``explain`` and the scan guard :meth:`search_accounts` applies before running."""

    @covers("explain_search")
    def explain(
        self,
        filter: str | Filter | None = None,
        *,
        sort_by: str | None = None,
        descending: bool = False,
        actor: str | None = None,
    ) -> Explanation:
        """Say what a search would send to the store, without running it.

        :param filter: as for :meth:`search_accounts`.
        :param sort_by: as for :meth:`search_accounts`.
        :param descending: as for :meth:`search_accounts`.
        :param actor: the acting admin.
        :returns: the explanation; ``str()`` of it is for people.
        :raises FilterError: for a malformed filter or an unknown attribute.
        :raises UnsupportedFilter: when the store cannot answer part of the filter exactly.
        :raises NotSupported: when the store cannot explain (or search, or sort as asked).
        :raises PermissionDenied: without ``accounts.read``.
        """
        query = self._query(self.catalogue, filter, sort_by, descending, 1, None)
        context = self._context(actor, None, need_reason=False)
        explanation: Explanation = self._call(
            "explain_search", context, query=query, threshold=self.scan_threshold
        )
        return explanation

    def _guard_scan(self, query: Query, context: CallContext, allow_scan: bool) -> None:
        """Refuse the first page of a search that would scan a store over ``scan_threshold``.

        Nothing is refused without a threshold, without a filter (a listing pages by the stable
        key), with ``allow_scan``, after the first page, or on a store that cannot explain.

        :raises UnsupportedFilter: naming the cause and how to allow the scan.
        """
        threshold = self.scan_threshold
        if (
            allow_scan
            or threshold is None
            or query.filter is None
            or query.cursor is not None
            or "explain_search" not in self.capabilities
        ):
            return
        explanation: Explanation = self._call(
            "explain_search", context, query=query, threshold=threshold
        )
        if explanation.full_scan and explanation.over_threshold:
            cause = explanation.scan_cause or "no usable index"
            raise UnsupportedFilter(
                f"this search would read every account ({cause}) and the store holds more"
                f" than {threshold:,} (its scan_threshold); search an indexed attribute, or"
                " allow the scan (allow_scan=True, --allow-scan, allowScan=true)",
                store=self.name,
            )
