"""Account operations of the ``rest`` backend, one request each on ``/Users``.

Get, search, create, update, enable/disable, delete and set password.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from idconnect.backend import (
    CUSTOM_CHANGES,
    Account,
    AttrPath,
    NotSupported,
    Page,
    Query,
    Secret,
    custom_value_json,
    evaluate,
    hookimpl,
)
from idconnect_rest.base import RestBase
from idconnect_rest.custom import custom_location
from idconnect_rest.filters import render_filter, server_attr_path
from idconnect_rest.paging import ListRequest, fetch_page
from idconnect_rest.resources import account_to_resource, change_value, enable_ops, patch_body

__all__ = ["AccountOps"]

_ALWAYS_PRESENT = frozenset({"id", "username"})


class AccountOps(RestBase):
    """Single-account operations."""

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """GET /Users/{id}.

        :param account_id: the account's id.
        :returns: the account.
        :raises NotFound: when the server has no such account.
        """
        doc = self.client.request(
            "GET", self._user_path(account_id), what=f"account with id {account_id!r}"
        ).json()
        return self._complete([self._account(doc)])[0]

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """GET /Users?filter=... with the bound filter rendered for the server.

        Each page is re-checked against the reference evaluator: what a server broader than
        SCIM adds (e.g. matching NFC-normalised text) is dropped; what a narrower server
        leaves out cannot be recovered (see the README).

        :param query: the bound query.
        :returns: one page.
        :raises NotSupported: when the server cannot filter or sort as asked.
        """
        p = self.profile
        if query.filter is not None and not p.filter:
            raise NotSupported("this store's SCIM server does not support filters", store=self.name)
        req = ListRequest(
            endpoint=p.users_endpoint,
            filter=render_filter(query.filter, p) if query.filter is not None else None,
            sort_by=self._sort_path(query.sort_by),
            sort_always_present=query.sort_by is not None
            and query.sort_by.dotted.lower() in _ALWAYS_PRESENT,
            descending=query.descending,
            use_cursor=p.cursor,
            keyset=not p.cursor and p.sort and p.filter and query.sort_by is None,
            max_results=p.max_results,
        )
        return fetch_page(
            self.client,
            req,
            query,
            self._account,
            self.settings.max_pages,
            lambda accounts: self._recheck(query, self._complete(accounts)),
        )

    def _recheck(self, query: Query, accounts: list[Account]) -> list[Account]:
        """Keep the accounts the reference evaluator says match (a lax server adds others)."""
        if query.filter is None:
            return accounts
        catalogue = self.profile.catalogue
        return [a for a in accounts if evaluate(query.filter, a, catalogue)]

    def _sort_path(self, sort_by: AttrPath | None) -> str | None:
        if sort_by is None:
            return None
        p = self.profile
        if not p.sort:
            raise NotSupported(
                "this store's SCIM server does not support sorting",
                store=self.name,
                operation="sort",
            )
        if sort_by.name.lower() in p.derived_verified:
            raise NotSupported(
                f"this store's SCIM server cannot sort by {sort_by.dotted!r}",
                store=self.name,
                operation="sort",
            )
        return str(server_attr_path(sort_by, p))

    @hookimpl
    def idconnect_create_account(self, account: Account) -> Account:
        """POST /Users.

        :param account: the new account.
        :returns: the account as the server created it.
        :raises InvalidInput: when the server cannot hold one of its values.
        """
        doc = account_to_resource(account, self.profile)
        created = self.client.request(
            "POST", self._users(), body=doc, what=f"account {account.user_name!r}"
        ).json()
        return self._account(created)

    def _patch_user(
        self, account_id: str, operations: list[dict[str, Any]], if_match: str | None = None
    ) -> Account:
        response = self.client.request(
            "PATCH",
            self._user_path(account_id),
            body=patch_body(*operations),
            if_match=if_match,
            what=f"account with id {account_id!r}",
        )
        if response.status_code == 200 and response.content:
            return self._account(response.json())
        return self.idconnect_get_account(account_id)

    @hookimpl
    def idconnect_update_account(
        self, account_id: str, changes: Mapping[str, Any], expected_version: str | None
    ) -> Account:
        """PATCH /Users/{id} with one replace/remove per attribute, If-Match when asked.

        :param account_id: the account's id.
        :param changes: canonical attribute to new value (``None`` clears); custom ones
            under ``CUSTOM_CHANGES``, each a PATCH of its extension path.
        :param expected_version: the version the caller read, or ``None``.
        :returns: the updated account.
        :raises Conflict: when the version is stale.
        """
        if_match = self._if_match(expected_version)
        operations: list[dict[str, Any]] = []
        for name, value in changes.items():
            if name == CUSTOM_CHANGES:
                continue
            path, json_value = change_value(name, value, self.profile)
            if json_value is None:
                operations.append({"op": "remove", "path": path})
            else:
                operations.append({"op": "replace", "path": path, "value": json_value})
        for name, value in changes.get(CUSTOM_CHANGES, {}).items():
            where = custom_location(name, self.profile.custom)
            if value is None:
                operations.append({"op": "remove", "path": where.path})
            else:
                json_value = custom_value_json(value)
                operations.append({"op": "replace", "path": where.path, "value": json_value})
        updated = self._patch_user(account_id, operations, if_match)
        return self._complete([updated])[0]

    @hookimpl
    def idconnect_set_account_enabled(self, account_id: str, enabled: bool) -> None:
        """PATCH active (and ``disabledAt`` when the server holds it).

        :param account_id: the account's id.
        :param enabled: the new state.
        """
        self.client.request(
            "PATCH",
            self._user_path(account_id),
            body=patch_body(*enable_ops(self.profile, enabled)),
            what=f"account with id {account_id!r}",
        )

    @hookimpl
    def idconnect_delete_account(self, account_id: str) -> None:
        """DELETE /Users/{id} (after leaving groups when the server would keep the membership).

        :param account_id: the account's id.
        :raises NotFound: when the server has no such account.
        """
        self._check_account(account_id)
        self._leave_groups([account_id])
        self.client.request(
            "DELETE", self._user_path(account_id), what=f"account with id {account_id!r}"
        )

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """PATCH password (servers advertising changePassword).

        :param account_id: the account's id.
        :param password: the new password.
        """
        self.client.request(
            "PATCH",
            self._user_path(account_id),
            body=patch_body({"op": "replace", "path": "password", "value": password.reveal()}),
            what=f"account with id {account_id!r}",
        )
