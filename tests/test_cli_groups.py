"""``idconnect groups rename``: by id or name, audited with its reason, refusals on stderr.

A name the facade refuses never reaches the store (no event); a name the store refuses is a
failed event.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_cli_commands import HAVE_SQL, CliEnv


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliEnv]:
    made = CliEnv(tmp_path, monkeypatch, sql=HAVE_SQL)
    yield made
    made.hub.close()


def test_rename_by_name_keeps_id_and_members(env: CliEnv) -> None:
    member = env.add("ann")
    group = env.store.create_group({"displayName": "beta", "members": [{"value": member}]})
    result = env.run("groups", "rename", "main", "beta", "beta testers", "--reason", "ticket 9")
    assert result.exit_code == 0, result.output
    assert f"Renamed group 'beta' to 'beta testers' ({group.id})" in result.stdout
    renamed = env.store.get_group(str(group.id))
    assert (renamed.display_name, renamed.members) == ("beta testers", (member,))
    [event] = env.store.events(action="rename_group")
    assert (event.target, event.reason, event.changed) == (group.id, "ticket 9", ("displayName",))
    as_json = env.run(
        "groups", "rename", "main", str(group.id), "Beta", "--reason", "case", "--json"
    )
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout)["displayName"] == "Beta"


def test_rename_refusals(env: CliEnv) -> None:
    env.store.create_group({"displayName": "ops"})
    env.store.create_group({"displayName": "sales"})
    no_reason = env.run("groups", "rename", "main", "ops", "operations")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    taken = env.run("groups", "rename", "main", "ops", "SALES", "--reason", "r")
    assert taken.exit_code == 1 and "store 'main'" in taken.stderr, taken.output
    blank = env.run("groups", "rename", "main", "ops", "  ", "--reason", "r")
    assert blank.exit_code == 2 and "displayName must be non-empty text" in blank.stderr
    unknown = env.run("groups", "rename", "main", "nope", "x", "--reason", "r")
    assert unknown.exit_code == 1 and "no group with id or name 'nope'" in unknown.stderr
    assert sorted(g.display_name for g in env.store.iter_groups()) == ["ops", "sales"]
    [refused] = env.store.events(action="rename_group")
    assert (refused.outcome, refused.error_code) == ("failure", "conflict"), (
        "only the store's refusal"
    )
