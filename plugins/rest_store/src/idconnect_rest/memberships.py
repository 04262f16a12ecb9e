"""Group memberships read from and removed through ``/Groups``.

For servers that do not fill ``User.groups`` (``memberships = "groups"``): an account's groups
are found by searching ``/Groups`` for ``members.value eq <id>``, a few accounts per search.
"""

from __future__ import annotations

from collections.abc import Sequence

from idconnect.backend import GroupRef, render_value
from idconnect_rest.errors import malformed, safe_segment
from idconnect_rest.http import ScimClient
from idconnect_rest.paging import list_resources
from idconnect_rest.resources import patch_body

__all__ = ["read_memberships", "remove_members"]

_MEMBER_CHUNK = 40
_PAGE = 200


def read_memberships(
    client: ScimClient, groups_endpoint: str, account_ids: Sequence[str], max_pages: int
) -> dict[str, list[GroupRef]]:
    """Read the groups of some accounts from ``/Groups``.

    :param client: the HTTP client.
    :param groups_endpoint: e.g. ``/Groups``.
    :param account_ids: the accounts.
    :param max_pages: the most pages one search may take.
    :returns: per account id, the groups listing it as a member.
    :raises StoreUnavailable: when the server cannot be reached, answers a malformed list,
        a group id that is not a path segment, or pages without end.
    """
    found: dict[str, list[GroupRef]] = {i: [] for i in account_ids}
    url = client.base_url + groups_endpoint
    for start in range(0, len(account_ids), _MEMBER_CHUNK):
        chunk = account_ids[start : start + _MEMBER_CHUNK]
        text = " or ".join(f"members.value eq {render_value(i)}" for i in chunk)
        index = 1
        seen: set[str] = set()
        for _ in range(max_pages):
            listing = list_resources(
                client,
                groups_endpoint,
                {
                    "filter": text,
                    "startIndex": index,
                    "count": _PAGE,
                    "attributes": "displayName,members",
                },
                "the group memberships",
            )
            fresh = 0
            for g in listing.resources:
                group_id, members = g.get("id"), g.get("members") or []
                if not safe_segment(group_id) or not isinstance(members, list):
                    raise malformed(client.store, url, "a group idconnect cannot read")
                assert isinstance(group_id, str)
                fresh += group_id not in seen
                seen.add(group_id)
                display = g.get("displayName")
                for m in members:
                    value = m.get("value") if isinstance(m, dict) else None
                    if isinstance(value, str) and value in found:
                        found[value].append(
                            GroupRef(
                                value=group_id,
                                display=display if isinstance(display, str) else None,
                            )
                        )
            index += len(listing.resources)
            if listing.resources and not fresh:
                raise malformed(client.store, url, "the same groups again on the next page")
            if not listing.resources or index > (listing.total or 0):
                break
        else:
            raise malformed(client.store, url, f"pages without end (max_pages={max_pages})")
    return found


def remove_members(
    client: ScimClient, group_path: str, what: str, account_ids: Sequence[str]
) -> None:
    """Remove accounts from one group with a PATCH ``remove members[value eq ...]``.

    :param client: the HTTP client.
    :param group_path: e.g. ``/Groups/abc`` (quoted).
    :param what: the group, for error messages (``group with id 'abc'``).
    :param account_ids: the members to remove.
    :raises IdconnectError: the mapped error of the server's answer.
    """
    text = " or ".join(f"value eq {render_value(i)}" for i in account_ids)
    client.request(
        "PATCH",
        group_path,
        body=patch_body({"op": "remove", "path": f"members[{text}]"}),
        what=what,
    )
