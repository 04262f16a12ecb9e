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
from idconnect_rest.errors import malformed, safe_segment
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
            and ``version`` are certain when the server omits the resource) or the error; an
            account the server cannot hold fails alone, before any request, and the others
            are sent.
        """
        p = self.profile
        out: list[Account | IdconnectError | None] = []
        ops: list[dict[str, Any]] = []
        sent: list[tuple[int, Account]] = []
        for account in accounts:
            try:
                doc = account_to_resource(account, p)
            except IdconnectError as exc:
                out.append(exc)
                continue
            sent.append((len(out), account))
            out.append(None)
            ops.append({"method": "POST", "path": p.users_endpoint, "data": doc})
        whats = [f"account {a.user_name!r}" for _, a in sent]
        answers = run_bulk(self.client, p, ops, whats) if ops else []
        for (slot, account), answer in zip(sent, answers, strict=True):
            out[slot] = self._created(account, answer)
        return [r for r in out if r is not None]

    def _created(
        self, account: Account, answer: dict[str, Any] | IdconnectError
    ) -> Account | IdconnectError:
        """Read one bulk answer to a POST: the account created, or the error."""
        if isinstance(answer, IdconnectError):
            return answer
        try:
            if isinstance(answer.get("response"), Mapping):
                return self._account(answer["response"])
            new_id = str(answer.get("location", "")).rstrip("/").rpartition("/")[2]
            if not safe_segment(new_id):
                raise malformed(
                    self.name,
                    self.client.base_url + "/Bulk",
                    f"a bulk answer whose location gives no usable id ({new_id[:80]!r})",
                )
        except IdconnectError as exc:
            return exc
        version = answer.get("version")
        return evolve(account, id=new_id, version=version if isinstance(version, str) else None)

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
