"""The idconnect CLI, driven through click's CliRunner.

Runs against a SQLite store when the sql plugin is installed, else the in-memory store (then the
CLI's ``connect`` is pointed at one shared hub, since a memory store lives only in its process).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import idconnect
import idconnect.cli.context as cli_context
from idconnect import Page, Session, to_json
from idconnect.cli import cli
from idconnect.cli.accounts import parse_assignment
from idconnect.cli.audit import parse_since
from idconnect.cli.context import complete_store
from idconnect.testing.servers import in_ci

HAVE_SQL = importlib.util.find_spec("idconnect_sql") is not None


class CliEnv:
    """A store, a config naming it, and a way to run the CLI against it."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql: bool) -> None:
        state = f"sqlite:///{tmp_path / 'state.db'}"
        if sql:
            store = {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'store.db'}"}
        else:
            store = {"plugin": "memory"}
        self.config = tmp_path / "idconnect.toml"
        table = "\n".join(f'{k} = "{v}"' for k, v in store.items())
        self.config.write_text(f'[hub]\nstate = "{state}"\n\n[stores.main]\n{table}\n')
        self.hub = idconnect.connect(self.config)
        self.store = self.hub.store("main")
        if sql:
            import idconnect_sql  # type: ignore[import-not-found]

            idconnect_sql.init_store(self.store.config)
        else:
            monkeypatch.setattr(cli_context, "connect", lambda config: self.hub)

    def run(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.config), *args], input=input)

    def add(self, user_name: str, **extra: Any) -> str:
        doc = {
            "userName": user_name,
            "emails": [{"value": f"{user_name}@example.com", "primary": True}],
            **extra,
        }
        created = self.store.create_account(doc)
        assert created.id is not None
        return created.id

    def seed_session(self, account_id: str, session_id: str) -> None:
        backend = self.store.backend
        if not hasattr(backend, "record_session"):
            pytest.skip("this backend has no test helper to record sessions")
        now = datetime.now(UTC)
        backend.record_session(
            account_id, Session(id=session_id, created=now, last_seen=now, ip_address="192.0.2.7")
        )

    def seed_failed_attempts(self, account_id: str, password: int) -> None:
        backend = self.store.backend
        if not hasattr(backend, "record_failed_attempts"):
            pytest.skip("this backend has no test helper to record failed attempts")
        backend.record_failed_attempts(account_id, password, 0)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliEnv]:
    made = CliEnv(tmp_path, monkeypatch, sql=HAVE_SQL)
    yield made
    made.hub.close()


@pytest.fixture
def mem_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliEnv]:
    """The memory store, for commands whose test needs state only its test helpers can make."""
    made = CliEnv(tmp_path, monkeypatch, sql=False)
    yield made
    made.hub.close()


@pytest.fixture
def people(env: CliEnv) -> dict[str, str]:
    return {
        "ann": env.add(
            "ann", emails=[{"value": "ann@example.com", "verified": True, "primary": True}]
        ),
        "bob": env.add("bob", displayName="Bob Builder"),
        "cid": env.add("cid", phoneNumbers=[{"value": "+447700900123", "verified": True}]),
        "dee": env.add("dee", active=False),
    }


# -- stores -----------------------------------------------------------------------------------


def test_stores_lists_plugin_health_and_capabilities(env: CliEnv) -> None:
    result = env.run("stores")
    assert result.exit_code == 0, result.output
    assert "main" in result.stdout and "reachable" in result.stdout
    assert "search_accounts" in result.stdout
    doc = json.loads(env.run("stores", "--json").stdout)
    assert doc == [
        {
            "name": "main",
            "plugin": env.store.config.plugin,
            "reachable": True,
            "capabilities": sorted(env.store.capabilities),
        }
    ]


def test_unknown_store_is_a_config_error_naming_the_configured_ones(env: CliEnv) -> None:
    result = env.run("accounts", "list", "nope")
    assert result.exit_code == 2
    assert "no store named 'nope'" in result.stderr and "main" in result.stderr
    assert "Traceback" not in result.output


def test_bad_config_file_exits_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    result = CliRunner().invoke(cli, ["--config", str(missing), "stores"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        f"error: config file {missing}: cannot read it: No such file or directory"
    ]


def test_debug_prints_the_traceback(env: CliEnv) -> None:
    result = env.run("--debug", "accounts", "show", "main", "nobody")
    assert result.exit_code == 1
    assert "Traceback" in result.stderr and "NotFound" in result.stderr


# -- accounts list ----------------------------------------------------------------------------


def test_list_shows_accounts_with_status_labels(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run("accounts", "list", "main", "--sort-by", "userName")
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[2].strip(): line
        for line in result.stdout.splitlines()
        if line.count("│") > 3
    }
    assert set(lines) >= {"ann", "bob", "cid", "dee"}
    assert "Email verified" in lines["ann"] and "Enabled" in lines["ann"]
    assert "Phone verified" in lines["cid"]
    assert "Disabled" in lines["dee"]
    assert "Bob Builder" in lines["bob"]
    assert "4 account(s)" in result.stdout


def test_list_json_is_the_canonical_list_response(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run("accounts", "list", "main", "--json", "--count", "2", "--sort-by", "userName")
    assert result.exit_code == 0, result.output
    expected = env.store.search_accounts(count=2, sort_by="userName")
    assert json.loads(result.stdout) == to_json(expected)
    assert [r["userName"] for r in json.loads(result.stdout)["Resources"]] == ["ann", "bob"]


def test_list_all_json_streams_every_page(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run(
        "--json",
        "accounts",
        "list",
        "main",
        "--all",
        "--count",
        "1",
        "--sort-by",
        "userName",
        "--desc",
    )
    assert result.exit_code == 0, result.output
    everything = list(env.store.iter_accounts(sort_by="userName", descending=True))
    assert json.loads(result.stdout) == to_json(Page(items=everything))
    assert [a.user_name for a in everything] == ["dee", "cid", "bob", "ann"]


def test_list_filter_and_cursor_continue_the_search(env: CliEnv, people: dict[str, str]) -> None:
    first = env.run(
        "accounts",
        "list",
        "main",
        "--filter",
        "active eq true",
        "--count",
        "2",
        "--sort-by",
        "userName",
    )
    assert first.exit_code == 0, first.output
    assert "ann" in first.stdout and "bob" in first.stdout and "cid" not in first.stdout
    cursor = first.stdout.split("--cursor ")[1].split()[0]
    rest = env.run(
        "accounts",
        "list",
        "main",
        "--filter",
        "active eq true",
        "--count",
        "2",
        "--sort-by",
        "userName",
        "--cursor",
        cursor,
    )
    assert rest.exit_code == 0, rest.output
    assert "cid" in rest.stdout and "bob" not in rest.stdout and "dee" not in rest.stdout
    assert "--cursor" not in rest.stdout


def test_bad_filter_exits_2_and_points_at_the_column(env: CliEnv) -> None:
    result = env.run("accounts", "list", "main", "--filter", 'userName eq "x" and')
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: store 'main': column 20:")
    assert lines[1] == '  userName eq "x" and'
    assert lines[2] == "  " + " " * 19 + "^"


def test_unknown_attribute_in_filter_gets_a_caret_under_it(env: CliEnv) -> None:
    result = env.run("accounts", "list", "main", "--filter", "active eq true and shoeSize gt 3")
    assert result.exit_code == 2
    assert "unknown attribute 'shoeSize'" in result.stderr
    assert result.stderr.splitlines()[2] == "  " + " " * 19 + "^"


# -- accounts show / create / update ------------------------------------------------------------


def test_show_gives_the_overview(env: CliEnv, people: dict[str, str]) -> None:
    env.store.update_account(people["ann"], {"organization": "acme"})
    result = env.run("accounts", "show", "main", people["ann"])
    assert result.exit_code == 0, result.output
    for text in (
        "ann",
        "Enabled, Email verified",
        "acme",
        "ann@example.com (primary) (verified)",
        "Last login",
        "Created",
        "Failed attempts",
    ):
        assert text in result.stdout
    shown = env.run("accounts", "show", "main", people["ann"], "--json")
    assert json.loads(shown.stdout) == to_json(env.store.get_account(people["ann"]))


def test_show_unknown_account_names_store_and_account(env: CliEnv) -> None:
    result = env.run("accounts", "show", "main", "nobody")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: store 'main': account 'nobody':")


def test_create_from_stdin_and_file(env: CliEnv, tmp_path: Path) -> None:
    doc = {"userName": "eve", "displayName": "Eve", "emails": [{"value": "eve@example.org"}]}
    result = env.run(
        "accounts",
        "create",
        "main",
        "--from-json",
        "-",
        "--json",
        "--reason",
        "x",
        input=json.dumps(doc),
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert created == to_json(env.store.get_account(created["id"]))
    path = tmp_path / "fay.json"
    path.write_text(json.dumps({"userName": "fay"}))
    result = env.run("accounts", "create", "main", "--from-json", str(path), "--reason", "x")
    assert result.exit_code == 0, result.output
    assert [a.user_name for a in env.store.iter_accounts('userName eq "fay"')] == ["fay"]


def test_accounts_create_many_reports_each_and_exits_1_on_a_failure(env: CliEnv) -> None:
    env.add("taken")
    docs = [{"userName": "new.one"}, {"userName": "TAKEN"}, {"userName": "new.two"}]
    listed = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "Resources": docs}
    no_reason = env.run("accounts", "create", "main", "--from-json", "-", input=json.dumps(docs))
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    result = env.run(
        "accounts",
        "create",
        "main",
        "--from-json",
        "-",
        "--reason",
        "import",
        input=json.dumps(listed),
    )
    assert result.exit_code == 1, result.output
    assert "TAKEN" in result.stdout and "conflict" in result.stdout
    names = {a.user_name for a in env.store.iter_accounts('userName sw "new."')}
    assert names == {"new.one", "new.two"}


def test_create_refuses_bad_json_and_taken_names(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run(
        "accounts", "create", "main", "--from-json", "-", "--reason", "x", input="{nope"
    )
    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr
    result = env.run(
        "accounts",
        "create",
        "main",
        "--from-json",
        "-",
        "--reason",
        "x",
        input='{"userName": "ANN"}',
    )
    assert result.exit_code == 1
    assert "store 'main'" in result.stderr and "taken" in result.stderr


def test_update_sets_values_parsed_as_json_or_text(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run(
        "accounts",
        "update",
        "main",
        people["bob"],
        "--set",
        "displayName=2024",
        "--set",
        'emails=[{"value": "bob@new.example", "primary": true}]',
        "--set",
        "name.givenName=Robert",
        "--reason",
        "ticket 7",
    )
    assert result.exit_code == 0, result.output
    bob = env.store.get_account(people["bob"])
    assert bob.display_name == "2024"
    assert [e.value for e in bob.emails] == ["bob@new.example"]
    assert bob.name is not None and bob.name.given_name == "Robert"


def test_update_with_a_stale_version_is_refused(env: CliEnv, people: dict[str, str]) -> None:
    seen = env.store.get_account(people["bob"]).version
    env.store.update_account(people["bob"], {"displayName": "changed meanwhile"})
    result = env.run(
        "accounts",
        "update",
        "main",
        people["bob"],
        "--set",
        "displayName=mine",
        "--if-match",
        str(seen),
        "--reason",
        "x",
    )
    assert result.exit_code == 1
    assert "store 'main': account" in result.stderr
    assert env.store.get_account(people["bob"]).display_name == "changed meanwhile"


def test_update_refuses_read_only_attributes(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run(
        "accounts", "update", "main", people["bob"], "--set", "active=false", "--reason", "x"
    )
    assert result.exit_code == 2
    assert "'active' cannot be changed here" in result.stderr


def test_parse_assignment() -> None:
    assert parse_assignment("displayName=Barbara") == ("displayName", "Barbara")
    assert parse_assignment("organization=null") == ("organization", None)
    assert parse_assignment("displayName=007") == ("displayName", "007")
    assert parse_assignment('emails=[{"value": "a@b.c"}]') == ("emails", [{"value": "a@b.c"}])
    assert parse_assignment("displayName=a=b") == ("displayName", "a=b")
    with pytest.raises(click.BadParameter):
        parse_assignment("displayName")


# -- bulk actions -----------------------------------------------------------------------------


def test_disable_with_one_bad_id_reports_it_and_exits_1(
    env: CliEnv, people: dict[str, str]
) -> None:
    result = env.run(
        "accounts",
        "disable",
        "main",
        people["ann"],
        "ghost",
        people["bob"],
        "--reason",
        "ticket 42",
        "--yes",
    )
    assert result.exit_code == 1, result.output
    assert "3 account(s) will be disabled in store 'main'" in result.stdout
    failures = result.stdout.split("Failures")[1]
    assert "ghost" in failures and "not_found" in failures
    assert people["ann"] not in failures
    assert not env.store.get_account(people["ann"]).active
    assert not env.store.get_account(people["bob"]).active
    assert env.store.get_account(people["cid"]).active
    reasons = {e.reason for e in env.store.events(action="disable_account")}
    assert reasons == {"ticket 42"}


def test_enable_by_filter_succeeds_with_exit_0(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run(
        "accounts", "enable", "main", "--filter", "active eq false", "--reason", "back", "--yes"
    )
    assert result.exit_code == 0, result.output
    assert "1 account(s) will be enabled" in result.stdout
    assert env.store.get_account(people["dee"]).active


def test_dry_run_lists_and_changes_nothing(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run(
        "accounts",
        "disable",
        "main",
        "--filter",
        'userName sw "a" or userName sw "b"',
        "--reason",
        "x",
        "--dry-run",
    )
    assert result.exit_code == 0, result.output
    assert people["ann"] in result.stdout and people["bob"] in result.stdout
    assert people["cid"] not in result.stdout
    assert "2 account(s) would be disabled" in result.stdout and "nothing changed" in result.stdout
    assert all(env.store.get_account(people[n]).active for n in ("ann", "bob"))
    assert env.store.events(action="disable_account") == []


def test_dry_run_by_id_marks_unknown_ids(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run(
        "accounts", "delete", "main", people["ann"], "ghost", "--reason", "x", "--dry-run"
    )
    assert result.exit_code == 0
    assert "not found (would fail)" in result.stdout.split("ghost")[1].splitlines()[0]
    assert env.store.get_account(people["ann"]).user_name == "ann"


def test_delete_asks_and_says_it_is_irreversible(env: CliEnv, people: dict[str, str]) -> None:
    declined = env.run("accounts", "delete", "main", people["ann"], "--reason", "gdpr", input="n\n")
    assert declined.exit_code == 1
    assert "irreversible" in declined.stdout
    assert env.store.get_account(people["ann"]).user_name == "ann"
    accepted = env.run("accounts", "delete", "main", people["ann"], "--reason", "gdpr", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    with pytest.raises(idconnect.NotFound):
        env.store.get_account(people["ann"])


def test_bulk_needs_a_reason_and_one_kind_of_selection(env: CliEnv, people: dict[str, str]) -> None:
    no_reason = env.run("accounts", "disable", "main", people["ann"], "--yes")
    assert no_reason.exit_code == 2 and "--reason" in no_reason.stderr
    both = env.run(
        "accounts",
        "disable",
        "main",
        people["ann"],
        "--filter",
        "active eq true",
        "--reason",
        "x",
        "--yes",
    )
    assert both.exit_code == 2 and "not both" in both.stderr
    neither = env.run("accounts", "disable", "main", "--reason", "x", "--yes")
    assert neither.exit_code == 2
    blank = env.run("accounts", "disable", "main", people["ann"], "--reason", " ", "--yes")
    assert blank.exit_code == 2 and "reason" in blank.stderr
    assert env.store.get_account(people["ann"]).active


def test_bulk_filter_error_exits_2(env: CliEnv) -> None:
    result = env.run("accounts", "disable", "main", "--filter", "userName eq", "--reason", "x")
    assert result.exit_code == 2
    assert "column 12" in result.stderr and result.stderr.splitlines()[2].endswith(" " * 13 + "^")


def test_bulk_over_many_accounts_is_one_audited_request(env: CliEnv) -> None:
    ids = [env.add(f"bulk{i:03d}") for i in range(230)]
    result = env.run(
        "accounts",
        "disable",
        "main",
        "--filter",
        'userName sw "bulk"',
        "--reason",
        "cleanup",
        "--yes",
    )
    assert result.exit_code == 0, result.output
    assert "230 account(s) will be disabled" in result.stdout
    assert not any(a.active for a in env.store.iter_accounts('userName sw "bulk"'))
    events = env.store.events(action="disable_account")
    assert sorted(e.account_id or "" for e in events) == sorted(ids)
    assert len({e.request_id for e in events}) == 1


# -- groups, roles, authenticators, password, failed attempts, sessions ------------------------


def test_groups_list_add_and_remove(env: CliEnv, people: dict[str, str]) -> None:
    group = env.store.create_group({"displayName": "beta testers"})
    assert group.id is not None
    listed = env.run("groups", "list", "main")
    assert listed.exit_code == 0 and "beta testers" in listed.stdout
    as_json = json.loads(env.run("groups", "list", "main", "--json").stdout)
    assert as_json["Resources"] == to_json(list(env.store.iter_groups()))
    added = env.run(
        "groups",
        "add",
        "main",
        "beta testers",
        people["ann"],
        people["bob"],
        "--reason",
        "pilot",
        "--yes",
    )
    assert added.exit_code == 0, added.output
    assert set(env.store.get_group(group.id).members) == {people["ann"], people["bob"]}
    removed = env.run(
        "groups",
        "remove",
        "main",
        group.id,
        "--filter",
        'userName eq "bob"',
        "--reason",
        "left",
        "--yes",
    )
    assert removed.exit_code == 0, removed.output
    assert env.store.get_group(group.id).members == (people["ann"],)
    unknown = env.run("groups", "add", "main", "no such group", people["ann"], "--reason", "x")
    assert unknown.exit_code == 1 and "no group with id or name 'no such group'" in unknown.stderr


def test_roles_assign_and_unassign(env: CliEnv, people: dict[str, str]) -> None:
    result = env.run(
        "roles",
        "assign",
        "main",
        people["bob"],
        "billing-admin",
        "--organization",
        "acme",
        "--reason",
        "promotion",
        "--new-role",
    )
    assert result.exit_code == 0, result.output
    held = env.store.get_account(people["bob"]).role_assignments
    assert [(r.role, r.organization) for r in held] == [("billing-admin", "acme")]
    shown = env.run("accounts", "show", "main", people["bob"])
    assert "billing-admin @ acme" in shown.stdout
    result = env.run(
        "roles",
        "unassign",
        "main",
        people["bob"],
        "billing-admin",
        "--organization",
        "acme",
        "--reason",
        "demotion",
    )
    assert result.exit_code == 0, result.output
    assert env.store.get_account(people["bob"]).role_assignments == ()


def test_authenticators_list_and_remove(env: CliEnv, people: dict[str, str]) -> None:
    added = env.store.add_authenticator(people["cid"], "phone", "+447700900123", reason="setup")
    listed = env.run("authenticators", "list", "main", people["cid"])
    assert listed.exit_code == 0, listed.output
    assert added.label is not None and added.label in listed.stdout
    assert "+447700900123" not in listed.stdout
    as_json = json.loads(env.run("authenticators", "list", "main", people["cid"], "--json").stdout)
    assert as_json == to_json(env.store.list_authenticators(people["cid"]))
    removed = env.run(
        "authenticators", "remove", "main", people["cid"], added.id, "--reason", "lost phone"
    )
    assert removed.exit_code == 0, removed.output
    assert added.id not in [a.id for a in env.store.list_authenticators(people["cid"])]


def test_password_set_reads_stdin_and_never_echoes(env: CliEnv, people: dict[str, str]) -> None:
    secret = "correct horse battery staple"
    result = env.run(
        "password", "set", "main", people["ann"], "--reason", "locked out", input=secret + "\n"
    )
    assert result.exit_code == 0, result.output
    assert secret not in result.output
    backend = env.store.backend
    if hasattr(backend, "check_password"):
        assert backend.check_password(people["ann"], secret)
    events = env.store.events(people["ann"], action="set_password")
    assert [e.outcome for e in events] == ["success"]
    assert secret not in json.dumps(to_json(events))
    empty = env.run("password", "set", "main", people["ann"], "--reason", "x", input="\n")
    assert empty.exit_code == 2


def test_failed_attempts_reset(mem_env: CliEnv) -> None:
    env = mem_env
    people = {"bob": env.add("bob")}
    env.seed_failed_attempts(people["bob"], 5)
    assert env.store.get_account(people["bob"]).failed_attempts.password == 5
    result = env.run("failed-attempts", "reset", "main", people["bob"], "--reason", "verified")
    assert result.exit_code == 0, result.output
    assert env.store.get_account(people["bob"]).failed_attempts.password == 0


def test_sessions_list_and_revoke(mem_env: CliEnv) -> None:
    env = mem_env
    people = {"ann": env.add("ann")}
    for sid in ("s-1", "s-2", "s-3"):
        env.seed_session(people["ann"], sid)
    listed = env.run("sessions", "list", "main", people["ann"])
    assert listed.exit_code == 0 and "192.0.2.7" in listed.stdout and "s-2" in listed.stdout
    as_json = json.loads(env.run("sessions", "list", "main", people["ann"], "--json").stdout)
    assert as_json == to_json(env.store.list_sessions(people["ann"]))
    one = env.run("sessions", "revoke", "main", people["ann"], "s-1", "--reason", "stolen laptop")
    assert one.exit_code == 0, one.output
    assert {s.id for s in env.store.list_sessions(people["ann"])} == {"s-2", "s-3"}
    every = env.run("sessions", "revoke", "main", people["ann"], "--all", "--reason", "reset")
    assert every.exit_code == 0 and "Revoked 2 session(s)" in every.stdout
    assert env.store.list_sessions(people["ann"]) == []
    neither = env.run("sessions", "revoke", "main", people["ann"], "--reason", "x")
    assert neither.exit_code == 2


# -- export, events, store init, completion ----------------------------------------------------


def test_export_to_file_is_audited(env: CliEnv, people: dict[str, str], tmp_path: Path) -> None:
    for who in (env.hub.actor, "agent-7"):  # another actor acts only with a role
        env.hub.admins.grant(who, "owner", reason="agents of this test")
    out = tmp_path / "ann.json"
    result = env.run(
        "--actor",
        "agent-7",
        "export",
        "main",
        people["ann"],
        "-o",
        str(out),
        "--reason",
        "data request 99",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["account"] == to_json(env.store.get_account(people["ann"]))
    [event] = env.store.events(people["ann"], action="export_account")
    assert (event.actor, event.reason) == ("agent-7", "data request 99")
    to_stdout = env.run("export", "main", people["ann"], "--reason", "again")
    assert json.loads(to_stdout.stdout)["account"]["userName"] == "ann"


def test_export_as_an_html_page(env: CliEnv, people: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "ann.html"
    result = env.run(
        "export", "main", people["ann"], "--format", "html", "-o", str(out), "--reason", "dsr 7"
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "Account information: <bdi>ann</bdi>" in page
    [event] = env.store.events(people["ann"], action="export_account")
    assert event.reason == "dsr 7"
    refused = env.run("export", "main", people["ann"], "--format", "pdf", "--reason", "x")
    assert refused.exit_code == 2 and "'pdf' is not one of 'json', 'html'" in refused.output


def test_events_filters_and_json(env: CliEnv, people: dict[str, str]) -> None:
    for who in (env.hub.actor, "agent-7"):  # another actor acts only with a role
        env.hub.admins.grant(who, "owner", reason="agents of this test")
    env.run(
        "--actor",
        "agent-7",
        "accounts",
        "disable",
        "main",
        people["bob"],
        "--reason",
        "fraud",
        "--yes",
    )
    result = env.run("events", "main", people["bob"], "--action", "disable_account")
    assert result.exit_code == 0, result.output
    assert "agent-7" in result.stdout and "fraud" in result.stdout and "1 event(s)" in result.stdout
    as_json = json.loads(env.run("events", "main", "--since", "1h", "--json").stdout)
    assert as_json == to_json(env.store.events(since=datetime.now(UTC) - timedelta(hours=1)))
    assert {e["action"] for e in as_json} >= {"create_account", "disable_account"}
    future = env.run("events", "main", "--since", "2999-01-01", "--json")
    assert json.loads(future.stdout) == []
    bad = env.run("events", "main", "--since", "last tuesday")
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_parse_since() -> None:
    now = datetime(2024, 5, 10, 12, tzinfo=UTC)
    assert parse_since("7d", now) == datetime(2024, 5, 3, 12, tzinfo=UTC)
    assert parse_since("30m", now) == datetime(2024, 5, 10, 11, 30, tzinfo=UTC)
    assert parse_since("2w", now) == datetime(2024, 4, 26, 12, tzinfo=UTC)
    assert parse_since("2024-05-01T12:00:00+02:00") == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_store_init_refuses_other_store_types(mem_env: CliEnv) -> None:
    result = mem_env.run("store", "init", "main")
    assert result.exit_code == 1
    assert "store 'main'" in result.stderr and "cannot provision" in result.stderr


@pytest.mark.skipif(
    not HAVE_SQL and not in_ci(), reason="needs the sql plugin (pip install -e plugins/sql_store)"
)
def test_store_init_creates_sql_tables(tmp_path: Path) -> None:
    config = tmp_path / "sql.toml"
    config.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "s.db"}"\n'
        f'[stores.fresh]\nplugin = "sql"\nurl = "sqlite:///{tmp_path / "fresh.db"}"\n'
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "store", "init", "fresh"])
    assert result.exit_code == 0, result.output
    assert "Store 'fresh' is initialised" in result.stdout
    listed = CliRunner().invoke(cli, ["--config", str(config), "accounts", "list", "fresh"])
    assert listed.exit_code == 0 and "0 account(s)" in listed.stdout


def test_store_names_complete_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[stores.customers]\nplugin = "memory"\n[stores.staff]\nplugin = "memory"\n'
        '[stores.partners]\nplugin = "memory"\n'
    )
    ctx = click.Context(cli, info_name="idconnect")
    ctx.params["config"] = str(config)
    names = [item.value for item in complete_store(ctx, cli.params[0], "")]
    assert names == ["customers", "staff", "partners"]
    assert [i.value for i in complete_store(ctx, cli.params[0], "st")] == ["staff"]


@pytest.mark.skipif(
    not HAVE_SQL and not in_ci(), reason="needs the sql plugin (pip install -e plugins/sql_store)"
)
def test_demo_seeds_the_embedded_store_once_and_prints_a_working_tour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IDCONNECT_CONFIG", raising=False)
    monkeypatch.setenv("IDCONNECT_HOME", str(tmp_path))
    first = CliRunner().invoke(cli, ["demo", "--accounts", "300", "--seed", "7"])
    assert first.exit_code == 0, first.output
    assert "accounts" in first.stdout and "300" in first.stdout
    assert (tmp_path / "idconnect.db").exists()
    show = next(line.split() for line in first.stdout.splitlines() if "accounts show" in line)
    shown = CliRunner().invoke(cli, show[1:])
    assert shown.exit_code == 0, shown.output
    with idconnect.connect() as hub:
        assert sum(1 for _ in hub.store("default").iter_accounts()) == 300
    again = CliRunner().invoke(cli, ["demo", "--accounts", "50"])
    assert again.exit_code == 0, again.output
    assert "already has accounts; not seeding again" in again.stdout
    with idconnect.connect() as hub:
        assert sum(1 for _ in hub.store("default").iter_accounts()) == 300
