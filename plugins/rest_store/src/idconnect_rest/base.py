"""What every operation family of the ``rest`` backend shares.

The client, the discovered profile, resource paths, conversions that name the store, and
memberships read from ``/Groups``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from idconnect.backend import Account, Group, InvalidInput, NotSupported, StoreConfig
from idconnect_rest.discovery import ServerProfile, discover
from idconnect_rest.errors import malformed, safe_segment
from idconnect_rest.http import ScimClient
from idconnect_rest.memberships import read_memberships, remove_members
from idconnect_rest.resources import (
    account_from_resource,
    group_from_resource,
    with_groups,
)
from idconnect_rest.settings import RestSettings

__all__ = ["RestBase"]


class RestBase:
    """The plumbing of a ``rest`` store; the operation families subclass it.

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

        :raises StoreUnavailable: when the server cannot be reached or its discovery documents
            are malformed.
        """
        ttl = self.settings.discovery_ttl
        profile = self._profile
        if profile is None or (ttl and time.monotonic() - self._profile_at > ttl):
            profile = discover(
                self.client,
                self.settings.attribute_map,
                self.settings.memberships,
                self.settings.custom,
            )
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

    def _users(self) -> str:
        return self.profile.users_endpoint

    def _groups(self) -> str:
        endpoint = self.profile.groups_endpoint
        if endpoint is None:
            raise NotSupported(
                "this store's SCIM server has no Group resource type", store=self.name
            )
        return endpoint

    def _segment(self, value: str, kind: str) -> str:
        """Quote an id for a URL path, refusing one that is not a single safe segment."""
        if not safe_segment(value):
            raise InvalidInput(
                f"{value[:80]!r} is not a valid {kind} id for a SCIM server"
                " (empty, '.', '..', or holding a slash or control character)",
                store=self.name,
                attribute="id",
            )
        return quote(value, safe="")

    def _user_path(self, account_id: str) -> str:
        return f"{self._users()}/{self._segment(account_id, 'account')}"

    def _group_path(self, group_id: str) -> str:
        return f"{self._groups()}/{self._segment(group_id, 'group')}"

    def _account(self, doc: Mapping[str, Any]) -> Account:
        """Read a User resource the server sent.

        :raises StoreUnavailable: when it is malformed or its id is not a safe path segment.
        """
        if not safe_segment(doc.get("id")):
            raise malformed(
                self.name,
                self.client.base_url + self._users(),
                f"an account whose id {str(doc.get('id'))[:80]!r} is not a single path segment",
            )
        try:
            return account_from_resource(doc, self.profile, self.name)
        except (InvalidInput, TypeError, ValueError, AttributeError) as exc:
            why = exc.message if isinstance(exc, InvalidInput) else type(exc).__name__
            raise malformed(
                self.name,
                self.client.base_url + self._users(),
                f"an account idconnect cannot read (id {str(doc.get('id'))[:80]!r}: {why})",
            ) from None

    def _group(self, doc: Mapping[str, Any]) -> Group:
        """Read a Group resource the server sent.

        :raises StoreUnavailable: when it is malformed or an id in it is not a safe segment.
        """
        where = self.client.base_url + (self.profile.groups_endpoint or "")
        try:
            group = group_from_resource(doc)
        except (InvalidInput, TypeError, ValueError, AttributeError) as exc:
            why = exc.message if isinstance(exc, InvalidInput) else type(exc).__name__
            raise malformed(self.name, where, f"a group idconnect cannot read ({why})") from None
        bad = next((i for i in (group.id, *group.members) if not safe_segment(i)), None)
        if bad is not None or group.id is None:
            raise malformed(
                self.name, where, f"a group holding the id {str(bad)[:80]!r}, not a path segment"
            )
        return group

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

    def _complete(self, accounts: list[Account]) -> list[Account]:
        """Fill in group memberships from ``/Groups`` when the server does not fill User.groups."""
        if self.settings.memberships != "groups" or not accounts:
            return accounts
        if self.profile.groups_endpoint is None:
            return accounts
        refs = read_memberships(
            self.client,
            self.profile.groups_endpoint,
            [a.id for a in accounts if a.id],
            self.settings.max_pages,
        )
        return [with_groups(a, refs.get(a.id or "", [])) for a in accounts]

    def _check_account(self, account_id: str) -> None:
        self.client.request(
            "GET",
            self._user_path(account_id),
            params={"attributes": "id"},
            what=f"account with id {account_id!r}",
        )

    def _leave_groups(self, account_ids: Sequence[str]) -> None:
        """Remove accounts from their groups (servers that keep deleted users as members)."""
        endpoint = self.profile.groups_endpoint
        if self.settings.memberships != "groups" or endpoint is None:
            return
        refs = read_memberships(self.client, endpoint, list(account_ids), self.settings.max_pages)
        by_group: dict[str, list[str]] = {}
        for account_id, groups in refs.items():
            for g in groups:
                by_group.setdefault(g.value, []).append(account_id)
        for group_id, members in by_group.items():
            remove_members(
                self.client, self._group_path(group_id), f"group with id {group_id!r}", members
            )
