"""``explain_search`` for SCIM stores: the filter text and list parameters sent to ``/Users``.

The SCIM server decides how it answers (it has no plan to show), so the verdict on a full scan
is always unknown and the scan guard never refuses a search here. Every page is re-checked by
the reference evaluator, so the whole filter is listed as re-checked too.
"""

from __future__ import annotations

from idconnect.backend import Explanation, NotSupported, Query, hookimpl, to_text
from idconnect_rest.account_ops import AccountOps
from idconnect_rest.filters import render_filter

__all__ = ["ExplainOps"]


class ExplainOps(AccountOps):
    """The ``explain_search`` hook of SCIM stores."""

    @hookimpl
    def idconnect_explain_search(self, query: Query) -> Explanation:
        """Render the filter and the sort for the server, as the search would."""
        p = self.profile
        if query.filter is not None and not p.filter:
            raise NotSupported("this store's SCIM server does not support filters", store=self.name)
        rendered = render_filter(query.filter, p) if query.filter is not None else None
        sort = self._sort_path(query.sort_by)
        parameters = [f"filter={rendered}"] if rendered is not None else []
        if sort is not None:
            parameters.append(f"sortBy={sort}")
            parameters.append(f"sortOrder={'descending' if query.descending else 'ascending'}")
        keyset = not p.cursor and p.sort and p.filter and query.sort_by is None
        paging = "cursor" if p.cursor else "keyset on id" if keyset else "startIndex"
        text = to_text(query.filter) if query.filter is not None else None
        return Explanation(
            store=self.name,
            backend="rest (SCIM 2.0)",
            native=f"GET {p.users_endpoint}" + (f"?{'&'.join(parameters)}" if parameters else ""),
            target=(self.client.base_url + p.users_endpoint,),
            natively=(rendered,) if rendered else (),
            rechecked=(f"{text} (every page, by the reference evaluator)",) if text else (),
            plan=(f"the server decides; paging by {paging}",),
        )
