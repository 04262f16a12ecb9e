"""The ``rest`` backend: an idconnect store over a SCIM 2.0 server.

Accounts are SCIM Users, groups SCIM Groups. What the store can do comes from the server's
discovery endpoints (cached for ``discovery_ttl`` seconds, or until :meth:`RestStore.refresh`).
Sessions, roles and authenticators are not part of SCIM and are not implemented.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from attrs import evolve

from idconnect.core.config import StoreConfig
from idconnect.core.errors import IdconnectError, InvalidInput, NotSupported
from idconnect.core.filter import AttrPath, to_text
from idconnect.core.filter.text import render_value
from idconnect.core.instants import format_instant, utc_now
from idconnect.core.model import Account, Group, GroupRef, Outcome, Secret
from idconnect.core.plugins import GROUP_OPERATIONS, hookimpl
from idconnect.core.query import Page, Query
from idconnect.core.schema import Catalogue
from idconnect_rest.bulk import run_bulk
from idconnect_rest.discovery import ServerProfile, discover
from idconnect_rest.filters import render_filter, server_attr_path
from idconnect_rest.http import ScimClient
from idconnect_rest.paging import ListRequest, fetch_page
from idconnect_rest.resources import (
    account_from_resource,
    account_to_resource,
    change_value,
    group_from_resource,
    group_to_resource,
    with_groups,
)
from idconnect_rest.settings import RestSettings

__all__ = ["PATCH_OP", "RestStore"]

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
"""The SCIM PATCH message URN."""

_NEEDS_PATCH = frozenset(
    {
        "update_account",
        "set_account_enabled",
        "bulk_set_accounts_enabled",
        "add_group_member",
        "remove_group_member",
        "set_password",
    }
)
_NEEDS_BULK = frozenset(
    {"bulk_create_accounts", "bulk_set_accounts_enabled", "bulk_delete_accounts"}
)
_ALWAYS_PRESENT = frozenset({"id", "username"})
_MEMBER_CHUNK = 40


def _patch(*operations: Mapping[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


class RestStore:
    """A store over one SCIM 2.0 server.

    :param config: the store's config; see :mod:`idconnect_rest.settings`.
    :raises ConfigError: for a missing or malformed setting.
    """

    def __init__(self, config: StoreConfig) -> None:
        self.name = config.name
        self.settings = RestSettings.from_config(config)
        self._client: ScimClient | None = None
        self._profile: ServerProfile | None = None
        self._profile_at = 0.0
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RestStore {self.name!r} {self.settings.url}>"

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def client(self) -> ScimClient:
        """The HTTP client, created on first use."""
        with self._lock:
            if self._client is None:
                self._client = ScimClient(self.name, self.settings)
            return self._client

    @property
    def profile(self) -> ServerProfile:
        """What the server advertises, discovered on first use and cached.

        :raises StoreUnavailable: when the server cannot be reached.
        """
        ttl = self.settings.discovery_ttl
        profile = self._profile
        if profile is None or (ttl and time.monotonic() - self._profile_at > ttl):
            profile = discover(self.client, self.settings.attribute_map, self.settings.memberships)
            self._profile, self._profile_at = profile, time.monotonic()
        return profile

    def refresh(self) -> ServerProfile:
        """Read the server's discovery endpoints again (after the server changed).

        Callers use ``store.refresh()``, which also makes the facade derive the capabilities
        and the catalogue anew.

        :returns: the new profile.
        :raises StoreUnavailable: when the server cannot be reached.
        """
        self._profile = None
        return self.profile

    @hookimpl
    def idconnect_refresh(self) -> None:
        """Forget the cached discovery and read it again."""
        self.refresh()

    def _users(self) -> str:
        return self.profile.users_endpoint

    def _groups(self) -> str:
        endpoint = self.profile.groups_endpoint
        if endpoint is None:
            raise NotSupported(
                "this store's SCIM server has no Group resource type", store=self.name
            )
        return endpoint

    def _user_path(self, account_id: str) -> str:
        return f"{self._users()}/{quote(account_id, safe='')}"

    def _group_path(self, group_id: str) -> str:
        return f"{self._groups()}/{quote(group_id, safe='')}"

    def _account(self, doc: Mapping[str, Any]) -> Account:
        try:
            return account_from_resource(doc, self.profile)
        except InvalidInput as exc:
            raise InvalidInput(
                f"the SCIM server sent an account idconnect cannot read: {exc.message}",
                store=self.name,
                account=str(doc.get("id")),
            ) from exc

    # -- store-wide -------------------------------------------------------------------------------

    @hookimpl
    def idconnect_catalogue(self) -> Catalogue:
        """Return the canonical attributes the server holds (discovered)."""
        return self.profile.catalogue

    @hookimpl
    def idconnect_available_operations(self, implemented: frozenset[str]) -> frozenset[str]:
        """Narrow the operations to what the server advertises."""
        p = self.profile
        drop: set[str] = set()
        if not p.patch:
            drop |= _NEEDS_PATCH
        if not p.change_password:
            drop.add("set_password")
        if not p.bulk:
            drop |= _NEEDS_BULK
        if p.groups_endpoint is None:
            drop |= GROUP_OPERATIONS
        if p.catalogue.get("active") is None:
            drop |= {"set_account_enabled", "bulk_set_accounts_enabled"}
        return implemented - drop

    @hookimpl
    def idconnect_ping(self) -> bool:
        """Read ``/ServiceProviderConfig``."""
        self.client.request("GET", "/ServiceProviderConfig", what="the service provider config")
        return True

    @hookimpl
    def idconnect_close(self) -> None:
        """Close the pooled connections."""
        if self._client is not None:
            self._client.close()

    # -- accounts ---------------------------------------------------------------------------------

    def _memberships(self, account_ids: Sequence[str]) -> dict[str, list[GroupRef]]:
        """Read group memberships from ``/Groups`` (for servers that do not fill User.groups)."""
        found: dict[str, list[GroupRef]] = {i: [] for i in account_ids}
        for start in range(0, len(account_ids), _MEMBER_CHUNK):
            chunk = account_ids[start : start + _MEMBER_CHUNK]
            text = " or ".join(f"members.value eq {render_value(i)}" for i in chunk)
            index = 1
            while True:
                doc = self.client.request(
                    "GET",
                    self._groups(),
                    what="the group memberships",
                    params={
                        "filter": text,
                        "startIndex": index,
                        "count": 200,
                        "attributes": "displayName,members",
                    },
                ).json()
                resources = doc.get("Resources") or []
                for g in resources:
                    for m in g.get("members") or []:
                        if m.get("value") in found:
                            found[m["value"]].append(
                                GroupRef(value=g["id"], display=g.get("displayName"))
                            )
                index += len(resources)
                if not resources or index > int(doc.get("totalResults") or 0):
                    break
        return found

    def _complete(self, accounts: list[Account]) -> list[Account]:
        if self.settings.memberships != "groups" or not accounts:
            return accounts
        if self.profile.groups_endpoint is None:
            return accounts
        refs = self._memberships([a.id for a in accounts if a.id])
        return [with_groups(a, refs.get(a.id or "", [])) for a in accounts]

    @hookimpl
    def idconnect_get_account(self, account_id: str) -> Account:
        """GET /Users/{id}."""
        doc = self.client.request(
            "GET", self._user_path(account_id), what=f"account with id {account_id!r}"
        ).json()
        return self._complete([self._account(doc)])[0]

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Account]:
        """GET /Users?filter=... with the bound filter rendered for the server."""
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
        page = fetch_page(self.client, req, query, self._account)
        return Page(
            items=self._complete(list(page.items)), next_cursor=page.next_cursor, total=page.total
        )

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
        """POST /Users."""
        doc = account_to_resource(account, self.profile)
        created = self.client.request(
            "POST", self._users(), body=doc, what=f"account {account.user_name!r}"
        ).json()
        return self._account(created)

    @hookimpl
    def idconnect_bulk_create_accounts(
        self, accounts: Sequence[Account]
    ) -> list[Account | IdconnectError]:
        """Create many accounts in ``/Bulk`` requests (only offered when the server has Bulk).

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

    def _if_match(self, expected_version: str | None) -> str | None:
        if expected_version is None:
            return None
        if not self.profile.etag:
            raise NotSupported(
                "this store's SCIM server has no ETags: idconnect cannot refuse a stale update",
                store=self.name,
                operation="expected_version",
            )
        return expected_version

    def _patch_user(
        self, account_id: str, operations: list[dict[str, Any]], if_match: str | None = None
    ) -> Account:
        response = self.client.request(
            "PATCH",
            self._user_path(account_id),
            body=_patch(*operations),
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
        """PATCH /Users/{id} with one replace/remove per attribute, If-Match when asked."""
        if_match = self._if_match(expected_version)
        operations = []
        for name, value in changes.items():
            path, json_value = change_value(name, value, self.profile)
            if json_value is None:
                operations.append({"op": "remove", "path": path})
            else:
                operations.append({"op": "replace", "path": path, "value": json_value})
        updated = self._patch_user(account_id, operations, if_match)
        return self._complete([updated])[0]

    def _enable_ops(self, enabled: bool) -> list[dict[str, Any]]:
        ops: list[dict[str, Any]] = [{"op": "replace", "path": "active", "value": enabled}]
        where = self.profile.attributes.get("disabledat")
        if where is not None and where.mutable:
            path = f"{where.schema}:{where.name}"
            ops.append(
                {"op": "remove", "path": path}
                if enabled
                else {"op": "replace", "path": path, "value": format_instant(utc_now())}
            )
        return ops

    @hookimpl
    def idconnect_set_account_enabled(self, account_id: str, enabled: bool) -> None:
        """PATCH active."""
        self.client.request(
            "PATCH",
            self._user_path(account_id),
            body=_patch(*self._enable_ops(enabled)),
            what=f"account with id {account_id!r}",
        )

    @hookimpl
    def idconnect_bulk_set_accounts_enabled(
        self, account_ids: Sequence[str], enabled: bool
    ) -> list[Outcome]:
        """One /Bulk request of PATCH operations per batch."""
        body = _patch(*self._enable_ops(enabled))
        ops = [{"method": "PATCH", "path": self._user_path(i), "data": body} for i in account_ids]
        return self._outcomes(account_ids, ops)

    def _outcomes(self, account_ids: Sequence[str], ops: list[dict[str, Any]]) -> list[Outcome]:
        answers = run_bulk(
            self.client, self.profile, ops, [f"account with id {i!r}" for i in account_ids]
        )
        return [
            Outcome(account_id=i, error=a if isinstance(a, IdconnectError) else None)
            for i, a in zip(account_ids, answers, strict=True)
        ]

    def _leave_groups(self, account_ids: Sequence[str]) -> None:
        """Remove accounts from their groups (servers that keep deleted users as members)."""
        if self.settings.memberships != "groups" or self.profile.groups_endpoint is None:
            return
        refs = self._memberships(list(account_ids))
        by_group: dict[str, list[str]] = {}
        for account_id, groups in refs.items():
            for g in groups:
                by_group.setdefault(g.value, []).append(account_id)
        for group_id, members in by_group.items():
            self._remove_members(group_id, members)

    @hookimpl
    def idconnect_delete_account(self, account_id: str) -> None:
        """DELETE /Users/{id} (after leaving groups when the server would keep the membership)."""
        self.client.request(
            "GET",
            self._user_path(account_id),
            params={"attributes": "id"},
            what=f"account with id {account_id!r}",
        )
        self._leave_groups([account_id])
        self.client.request(
            "DELETE", self._user_path(account_id), what=f"account with id {account_id!r}"
        )

    @hookimpl
    def idconnect_bulk_delete_accounts(self, account_ids: Sequence[str]) -> list[Outcome]:
        """One /Bulk request of DELETE operations per batch."""
        self._leave_groups(account_ids)
        ops = [{"method": "DELETE", "path": self._user_path(i)} for i in account_ids]
        return self._outcomes(account_ids, ops)

    @hookimpl
    def idconnect_set_password(self, account_id: str, password: Secret) -> None:
        """PATCH password (servers advertising changePassword)."""
        self.client.request(
            "PATCH",
            self._user_path(account_id),
            body=_patch({"op": "replace", "path": "password", "value": password.reveal()}),
            what=f"account with id {account_id!r}",
        )

    # -- groups -----------------------------------------------------------------------------------

    @hookimpl
    def idconnect_search_groups(self, query: Query) -> Page[Group]:
        """GET /Groups without members."""
        p = self.profile
        if query.sort_by is not None and not p.sort:
            raise NotSupported(
                "this store's SCIM server does not support sorting",
                store=self.name,
                operation="sort",
            )
        req = ListRequest(
            endpoint=self._groups(),
            filter=to_text(query.filter) if query.filter is not None else None,
            sort_by=query.sort_by.dotted if query.sort_by is not None else None,
            sort_always_present=True,
            descending=query.descending,
            use_cursor=p.cursor,
            max_results=p.max_results,
            extra={"excludedAttributes": "members"},
        )
        return fetch_page(self.client, req, query, group_from_resource)

    @hookimpl
    def idconnect_get_group(self, group_id: str) -> Group:
        """GET /Groups/{id}."""
        doc = self.client.request(
            "GET", self._group_path(group_id), what=f"group with id {group_id!r}"
        ).json()
        return group_from_resource(doc)

    @hookimpl
    def idconnect_create_group(self, group: Group) -> Group:
        """POST /Groups (members are checked to exist first)."""
        for member in group.members:
            self._check_account(member)
        doc = self.client.request(
            "POST",
            self._groups(),
            body=group_to_resource(group),
            what=f"group {group.display_name!r}",
        ).json()
        return group_from_resource(doc)

    @hookimpl
    def idconnect_delete_group(self, group_id: str) -> None:
        """DELETE /Groups/{id}."""
        self.client.request(
            "DELETE", self._group_path(group_id), what=f"group with id {group_id!r}"
        )

    def _check_account(self, account_id: str) -> None:
        self.client.request(
            "GET",
            self._user_path(account_id),
            params={"attributes": "id"},
            what=f"account with id {account_id!r}",
        )

    @hookimpl
    def idconnect_add_group_member(self, group_id: str, account_id: str) -> None:
        """PATCH add members (the account is checked to exist: servers may not check)."""
        self._check_account(account_id)
        self.client.request(
            "PATCH",
            self._group_path(group_id),
            body=_patch({"op": "add", "path": "members", "value": [{"value": account_id}]}),
            what=f"group with id {group_id!r}",
        )

    def _remove_members(self, group_id: str, account_ids: Sequence[str]) -> None:
        text = " or ".join(f"value eq {render_value(i)}" for i in account_ids)
        self.client.request(
            "PATCH",
            self._group_path(group_id),
            body=_patch({"op": "remove", "path": f"members[{text}]"}),
            what=f"group with id {group_id!r}",
        )

    @hookimpl
    def idconnect_remove_group_member(self, group_id: str, account_id: str) -> None:
        """PATCH remove members[value eq id]."""
        self._check_account(account_id)
        group = self.idconnect_get_group(group_id)
        if account_id in group.members:
            self._remove_members(group_id, [account_id])
