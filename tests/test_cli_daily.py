"""The CLI as a daily tool (issue 11 §1), through click's CliRunner on the in-memory store.

Totals and cursors, bulk limits and argument checks before any work, accounts named by userName
or email, ``--set`` errors, email and password checks, dry runs with unknown ids, membership
that is already there, summarised failures and whole JSON documents.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

import idconnect
import idconnect.cli.context as cli_context
from idconnect.cli import cli
from idconnect.core.errors import ConfigError, StoreUnavailable
from idconnect.core.plugins import hookimpl
from idconnect.core.query import Page, Query
from idconnect.testing.memory_store import MemoryStore


class FailsOnSecondPage(MemoryStore):
    """A memory store whose second page of a search fails, as a store going down would.

    A fake: a store cannot be made to fail between two pages on cue here.
    """

    @hookimpl
    def idconnect_search_accounts(self, query: Query) -> Page[Any]:
        """Answer the first page; refuse any page after it."""
        if query.cursor is not None:
            raise StoreUnavailable("the store went away", store=self.name)
        return super().idconnect_search_accounts(query)


class Types:
    @hookimpl
    def idconnect_store_types(self) -> dict[str, Any]:
        return {"fails-on-second-page": FailsOnSecondPage}


class Env:
    """A memory store and the CLI run against it (the CLI's hub is this test's hub)."""

    def __init__(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str = "", plugin="memory"
    ) -> None:
        self.config = tmp_path / "idconnect.toml"
        self.config.write_text(
            f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n'
            f'[stores.main]\nplugin = "{plugin}"\n{settings}'
        )
        self.hub = idconnect.connect(self.config, plugins=[Types()])
        self.store = self.hub.store("main")
        monkeypatch.setattr(cli_context, "connect", lambda config: self.hub)

    def run(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.config), *args], input=input)

    def add(self, user_name: str, **extra: Any) -> str:
        doc = {"userName": user_name, "emails": [{"value": f"{user_name}@example.com"}], **extra}
        created = self.store.create_account(doc, reason="setup")
        assert created.id is not None
        return created.id


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    made = Env(tmp_path, monkeypatch, 'organizations = ["Acme", "Globex"]\n')
    yield made
    made.hub.close()


@pytest.fixture
def people(env: Env) -> dict[str, str]:
    return {
        "ann": env.add(
            "ann", emails=[{"value": "ann@example.com", "primary": True, "verified": True}]
        ),
        "bob": env.add("bob"),
        "cid": env.add("cid"),
    }


# -- lists --------------------------------------------------------------------------------------


def test_list_shows_the_total_and_the_cursor_on_its_own_line(env: Env, people: dict[str, str]):
    result = env.run("accounts", "list", "main", "--count", "2", "--sort-by", "userName")
    assert result.exit_code == 0, result.output
    assert "2 of 3 account(s)" in result.stdout
    cursor = env.store.search_accounts(count=2, sort_by="userName").next_cursor
    assert cursor is not None
    assert f"--cursor {cursor}" in result.stdout.splitlines()


def test_list_all_json_failing_part_way_is_still_one_json_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = Env(tmp_path, monkeypatch, plugin="fails-on-second-page")
    for n in range(3):
        env.add(f"user{n}")
    result = env.run("accounts", "list", "main", "--all", "--count", "2", "--json")
    env.hub.close()
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert len(doc["Resources"]) == 2 and doc["itemsPerPage"] == 2
    assert doc["incomplete"] is True
    assert doc["error"]["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert "went away" in doc["error"]["detail"]
    assert "went away" in result.stderr


# -- bulk ---------------------------------------------------------------------------------------


def test_max_refuses_a_larger_selection_and_changes_nothing(env: Env, people: dict[str, str]):
    result = env.run(
        "accounts", "disable", "main", "--filter", "active eq true", "--max", "2",
        "--reason", "cleanup", "--yes",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "more than 2 accounts are selected" in result.stderr and "--max 2" in result.stderr
    assert all(a.active for a in env.store.iter_accounts())
    assert env.store.events(action="disable_account") == []
    by_name = env.run(
        "accounts", "disable", "main", "ann", "bob", "cid", "--max", "2", "--reason", "r"
    )
    assert by_name.exit_code == 2 and "3 accounts are selected" in by_name.stderr
    within = env.run(
        "accounts", "disable", "main", "--filter", "active eq true", "--max", "3",
        "--reason", "cleanup", "--yes",
    )  # fmt: skip
    assert within.exit_code == 0, within.output
    assert within.stdout.index("3 account(s) will be disabled") < within.stdout.index("Outcome")


def test_an_empty_reason_is_refused_before_any_work(env: Env, people: dict[str, str]) -> None:
    result = env.run(
        "accounts", "disable", "main", "--filter", "active eq true", "--reason", "  ", "--yes"
    )
    assert result.exit_code == 2
    assert "--reason" in result.stderr and "must not be empty" in result.stderr
    assert "will be disabled" not in result.stdout and "Disabled" not in result.stderr
    assert all(a.active for a in env.store.iter_accounts())


def test_a_dry_run_names_the_unknown_ids(env: Env, people: dict[str, str]) -> None:
    ghosts = [f"ghost-{n}" for n in range(3)]
    result = env.run(
        "accounts", "disable", "main", people["ann"], *ghosts, "--reason", "x", "--dry-run"
    )
    assert result.exit_code == 0, result.output
    assert "1 account(s) would be disabled" in result.stdout
    assert "3 unknown" in result.stdout and "ghost-0, ghost-1, ghost-2" in result.stdout
    many = [f"ghost-{n:02d}" for n in range(30)]
    only_ghosts = env.run("accounts", "disable", "main", *many, "--reason", "x", "--dry-run")
    assert "0 account(s) would be disabled" in only_ghosts.stdout
    assert "30 unknown" in only_ghosts.stdout and "and 10 more" in only_ghosts.stdout
    rows = [line for line in only_ghosts.stdout.splitlines() if "not found (would fail)" in line]
    assert len(rows) == 20


def test_many_failures_are_summarised_by_error_with_the_first_twenty(env: Env) -> None:
    ghosts = [f"ghost-{n:02d}" for n in range(30)]
    result = env.run("accounts", "disable", "main", *ghosts, "--reason", "x", "--yes")
    assert result.exit_code == 1
    assert "Failures by error" in result.stdout
    rows = [line for line in result.stdout.splitlines() if "ghost-" in line]
    assert len(rows) == 20
    assert "10 more failures" in result.stdout and "--json" in result.stdout
    by_code = next(line for line in result.stdout.splitlines() if "not_found" in line)
    assert "30" in by_code


def test_adding_a_member_twice_says_already_a_member(env: Env, people: dict[str, str]) -> None:
    group = env.store.create_group({"displayName": "beta testers"}, reason="setup")
    assert group.id is not None
    env.store.add_to_group(group.id, [people["ann"]], reason="setup")
    result = env.run(
        "groups", "add", "main", "beta testers", "ann", "bob", "--reason", "beta", "--yes"
    )
    assert result.exit_code == 0, result.output
    assert "1 account(s) will be added" in result.stdout
    lines = result.stdout.splitlines()
    assert any("added" in line and line.rstrip(" │").endswith("1") for line in lines)
    assert any("already a member" in line and line.rstrip(" │").endswith("1") for line in lines)
    adds = env.store.events(action="add_group_member")
    assert [e.account_id for e in adds if e.reason == "beta"] == [people["bob"]]
    again = env.run("groups", "add", "main", "beta testers", "ann", "--reason", "b", "--yes")
    assert again.exit_code == 0 and "1 account(s) already a member" in again.stdout
    removed = env.run("groups", "remove", "main", "beta testers", "cid", "--reason", "b", "-y")
    assert removed.exit_code == 0 and "1 account(s) not a member" in removed.stdout
    assert env.store.events(action="remove_group_member") == []


# -- accounts by userName or email ---------------------------------------------------------------


def test_accounts_are_named_by_id_user_name_or_email(env: Env, people: dict[str, str]) -> None:
    by_name = env.run("accounts", "show", "main", "ann", "--json")
    by_email = env.run("accounts", "show", "main", "ANN@example.com", "--json")
    assert json.loads(by_name.stdout)["id"] == json.loads(by_email.stdout)["id"] == people["ann"]
    reset = env.run("failed-attempts", "reset", "main", "bob@example.com", "--reason", "call")
    assert reset.exit_code == 0 and people["bob"] in reset.stdout
    sessions = env.run("sessions", "list", "main", "cid")
    assert sessions.exit_code == 0, sessions.output
    disabled = env.run(
        "accounts", "disable", "main", "bob", "cid@example.com", "--reason", "x", "-y"
    )
    assert disabled.exit_code == 0, disabled.output
    assert {a.user_name for a in env.store.iter_accounts("active eq false")} == {"bob", "cid"}
    events = env.run("events", "main", "bob", "--json")
    assert {e["accountId"] for e in json.loads(events.stdout)} == {people["bob"]}


def test_an_ambiguous_email_is_refused_listing_the_matches(env: Env, people: dict[str, str]):
    env.add("dan", emails=[{"value": "family@example.com"}])
    env.add("eve", emails=[{"value": "family@example.com"}])
    result = env.run("accounts", "show", "main", "family@example.com")
    assert result.exit_code == 2
    assert "matches several accounts" in result.stderr
    assert "dan (" in result.stderr and "eve (" in result.stderr
    missing = env.run("accounts", "show", "main", "nobody@example.com")
    assert missing.exit_code == 1 and "no account has this id, userName or email" in missing.stderr


# -- update, create, passwords --------------------------------------------------------------------


def test_set_errors_name_the_attribute_in_one_line(env: Env, people: dict[str, str]) -> None:
    read_only = env.run(
        "accounts", "update", "main", "bob", "--set", "meta.created=x", "--reason", "r"
    )
    assert read_only.exit_code == 2 and "'meta.created'" in read_only.stderr
    assert "read-only" in read_only.stderr
    unknown = env.run("accounts", "update", "main", "bob", "--set", "displayNam=x", "--reason", "r")
    assert unknown.exit_code == 2 and "unknown attribute 'displayNam'" in unknown.stderr
    assert "did you mean 'displayName'" in unknown.stderr
    no_value = env.run("accounts", "update", "main", "bob", "--set", "displayName", "--reason", "r")
    assert no_value.exit_code == 2 and "expected ATTR=VALUE" in no_value.stderr
    for result in (read_only, unknown, no_value):
        assert "Usage:" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_update_validates_emails_and_keeps_the_verified_primary(env: Env, people: dict[str, str]):
    for value in ('[{"value": "not-an-email"}]', "5", "not-an-email"):
        bad = env.run(
            "accounts", "update", "main", "bob", "--set", f"emails={value}", "--reason", "r"
        )
        assert bad.exit_code == 2, (value, bad.output)
        assert "emails" in bad.stderr
    assert [e.value for e in env.store.get_account(people["bob"]).emails] == ["bob@example.com"]
    new = '[{"value": "ann@new.example", "primary": true}]'
    lost = env.run("accounts", "update", "main", "ann", "--set", f"emails={new}", "--reason", "r")
    assert lost.exit_code == 2 and "verified primary email 'ann@example.com'" in lost.stderr
    assert "--force" in lost.stderr
    assert env.store.get_account(people["ann"]).primary_email == "ann@example.com"
    forced = env.run(
        "accounts", "update", "main", "ann", "--set", f"emails={new}", "--reason", "r", "--force"
    )
    assert forced.exit_code == 0, forced.output
    assert env.store.get_account(people["ann"]).primary_email == "ann@new.example"


def test_update_and_create_need_a_reason(env: Env, people: dict[str, str]) -> None:
    update = env.run("accounts", "update", "main", "bob", "--set", "displayName=Bob")
    assert update.exit_code == 2 and "--reason" in update.stderr
    create = env.run("accounts", "create", "main", "--from-json", "-", input='{"userName": "x"}')
    assert create.exit_code == 2 and "--reason" in create.stderr
    assert env.store.events(action="update_account") == []
    ok = env.run("accounts", "update", "main", "bob", "--set", "displayName=Bob", "--reason", "t1")
    assert ok.exit_code == 0, ok.output
    assert [e.reason for e in env.store.events(action="update_account")] == ["t1"]


def test_a_short_password_is_refused_before_the_store_is_called(
    env: Env, people: dict[str, str]
) -> None:
    result = env.run("password", "set", "main", "bob", "--reason", "call", input="1234567\n")
    assert result.exit_code == 2 and "at least 8 characters" in result.stderr
    backend = env.store.backend
    assert isinstance(backend, MemoryStore)
    assert not backend.check_password(people["bob"], "1234567")
    assert env.store.events(action="set_password") == []


def test_the_password_policy_is_configured_per_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = Env(tmp_path, monkeypatch, "[stores.main.password_policy]\nmin_length = 12\n")
    bob = env.add("bob")
    short = env.run("password", "set", "main", "bob", "--reason", "call", input="eleven-char\n")
    assert short.exit_code == 2 and "at least 12 characters" in short.stderr
    long = env.run("password", "set", "main", "bob", "--reason", "call", input="twelve-chars\n")
    assert long.exit_code == 0, long.output
    backend = env.store.backend
    assert isinstance(backend, MemoryStore) and backend.check_password(bob, "twelve-chars")
    env.hub.close()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "s.db"}"\n[stores.main]\nplugin = "memory"\n'
        "[stores.main.password_policy]\nmin_lenght = 12\n"
    )
    with pytest.raises(ConfigError) as info:
        idconnect.connect(bad)
    assert "password_policy.min_lenght" in str(info.value) and str(bad) in str(info.value)


def test_many_ids_and_names_are_resolved_in_chunks(env: Env, people: dict[str, str]) -> None:
    ids = [env.add(f"bulk{n:03d}") for n in range(120)]
    result = env.run(
        "accounts", "disable", "main", *ids, "ann", "ghost", "--reason", "r", "--yes", "--json"
    )
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    outcomes = [(o["accountId"], o["status"]) for o in doc["outcomes"]]
    assert outcomes == [*((i, "ok") for i in ids), (people["ann"], "ok"), ("ghost", "failed")]
    assert {a.user_name for a in env.store.iter_accounts("active eq true")} == {"bob", "cid"}
