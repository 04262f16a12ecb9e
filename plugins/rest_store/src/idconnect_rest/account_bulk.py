"""Bulk account operations of the ``rest`` backend: create, enable/disable, delete via ``/Bulk``.

Only offered when the server advertises Bulk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attrs import evolve

from idconnect.backend import Account, IdconnectError, Outcome, hookimpl
from idconnect_rest.base import RestBase
from idconnect_rest.bulk import run_bulk
from idconnect_rest.resources import account_to_resource, enable_ops, patch_body

__all__ = ["AccountBulkOps"]


class AccountBulkOps(RestBase):
    """Many accounts per request."""

    @hookimpl
    def idconnect_bulk_create_accounts(
        self, accounts: Sequence[Account]
    ) -> list[Account | IdconnectError]:
        """Create many accounts in ``/Bulk`` requests.

        :param accounts: the new accounts.
        :returns: per account, the created account (as the server answered it; only ``id``
            and ``version`` are certain when the server omits the resource) or the error.
        """
        p = self.profile
        docs = [account_to_resource(a, p) for a in accounts]
        ops = [{"method": "POST", "path": p.users_endpoint, "data": d} for d in docs]
        answers = run_bulk(self.client, p, ops, [f"account {a.user_name!r}" for a in accounts])
        out: list[Account | IdconnectError] = []
        for account, answer in zip(accounts, answers, strict=True):
            if isinstance(answer, IdconnectError):
                out.append(answer)
            elif isinstance(answer.get("response"), Mapping):
                out.append(self._account(answer["response"]))
            else:
                new_id = str(answer.get("location", "")).rstrip("/").rpartition("/")[2]
                out.append(evolve(account, id=new_id, version=answer.get("version")))
        return out

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        """One /Bulk request of PATCH operations per batch.

        :param account_ids: the accounts.
        :param enabled: the new state.
        :returns: one outcome per account, in order.
        """
        body = patch_body(*enable_ops(self.profile, enabled))
        ops = [{"method": "PATCH", "path": self._user_path(i), "data": body} for i in account_ids]
        return self._outcomes(account_ids, ops)

    @hookimpl
    def idconnect_bulk_delete_accounts(self, account_ids: Sequence[str]) -> list[Outcome]:
        """One /Bulk request of DELETE operations per batch (after leaving groups).

        :param account_ids: the accounts.
        :returns: one outcome per account, in order.
        """
        self._leave_groups(account_ids)
        ops = [{"method": "DELETE", "path": self._user_path(i)} for i in account_ids]
        return self._outcomes(account_ids, ops)

    def _outcomes(self, account_ids: Sequence[str], ops: list[dict[str, Any]]) -> list[Outcome]:
        answers = run_bulk(
            self.client, self.profile, ops, [f"account with id {i!r}" for i in account_ids]
        )
        return [
            Outcome(account_id=i, error=a if isinstance(a, IdconnectError) else None)
            for i, a in zip(account_ids, answers, strict=True)
        ]
