"""Group memberships read from and removed through ``/Groups``.

For servers that do not fill ``User.groups`` (``memberships = "groups"``): an account's groups
are found by searching ``/Groups`` for ``members.value eq <id>``, a few accounts per search.
"""

from __future__ import annotations

from collections.abc import Sequence

from idconnect.backend import GroupRef, render_value
from idconnect_rest.http import ScimClient
from idconnect_rest.resources import patch_body

__all__ = ["read_memberships", "remove_members"]

_MEMBER_CHUNK = 40
_PAGE = 200


def read_memberships(
    client: ScimClient, groups_endpoint: str, account_ids: Sequence[str]
) -> dict[str, list[GroupRef]]:
    """Read the groups of some accounts from ``/Groups``.

    :param client: the HTTP client.
    :param groups_endpoint: e.g. ``/Groups``.
    :param account_ids: the accounts.
    :returns: per account id, the groups listing it as a member.
    :raises StoreUnavailable: when the server cannot be reached or answers a malformed list.
    """
    found: dict[str, list[GroupRef]] = {i: [] for i in account_ids}
    for start in range(0, len(account_ids), _MEMBER_CHUNK):
        chunk = account_ids[start : start + _MEMBER_CHUNK]
        text = " or ".join(f"members.value eq {render_value(i)}" for i in chunk)
        index = 1
        while True:
            doc = client.request(
                "GET",
                groups_endpoint,
                what="the group memberships",
                params={
                    "filter": text,
                    "startIndex": index,
                    "count": _PAGE,
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
