"""Renaming a group on a SCIM server without PATCH: the group is PUT back, members and all.

scim2-server refuses every PATCH when its ServiceProviderConfig says ``patch: false``, so a
rename reaching it can only have been a PUT; the kit covers the PATCH path on the other servers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from idconnect_rest.testing.scim2 import ScimServer, minimal_config, start_server

from idconnect.testing.suite import REASON


@pytest.fixture(scope="module")
def no_patch_server() -> Iterator[ScimServer]:
    config = minimal_config()
    config["patch"] = {"supported": False}
    server = start_server(extension=False, enterprise=False, config=config)
    yield server
    server.stop()


def test_a_server_without_patch_renames_by_put_keeping_members(no_patch_server, connect_store):
    store = connect_store(no_patch_server.new_url(), memberships="groups")
    assert "rename_group" in store.capabilities
    assert "add_group_member" not in store.capabilities, "the server really has no PATCH"
    member = store.create_account({"userName": "put.member"}, reason=REASON)
    group = store.create_group(
        {"displayName": "put-before", "members": [{"value": member.id}]}, reason=REASON
    )

    renamed = store.rename_group(group.id, "put-after", reason=REASON)

    assert (renamed.id, renamed.display_name, renamed.members) == (
        group.id,
        "put-after",
        (member.id,),
    )
    assert store.get_group(group.id).display_name == "put-after"
    [ref] = store.get_account(member.id).groups
    assert (ref.value, ref.display) == (group.id, "put-after")
