"""Organizations and role assignments from the CLI, and the demo's guided tour.

``roles organizations`` lists what a store keeps; ``roles assign`` refuses, before any write, a
role not in ``roles list``, an organization the store does not have and a case-variant of a held
assignment. The kit's role suite also runs here on a memory store that keeps organizations, the
one store type in this repository that can list them.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import idconnect
import idconnect.cli.context as cli_context
from idconnect.cli import cli
from idconnect.cli.demo import tour
from idconnect.testing.memory_store import MemoryStoreWithOrganizations
from idconnect.testing.suite import RoleSuite

MEMORY_WITH_ORGANIZATIONS = {
    "memory": {"plugin": "memory", "organizations": ["Acme", "Globex", "acme", "globex"]}
}


class Env:
    """A memory store keeping the organizations Acme and Globex, and the CLI run against it."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings: str) -> None:
        self.config = tmp_path / "idconnect.toml"
        self.config.write_text(
            f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n'
            f'[stores.main]\nplugin = "memory"\n{settings}'
        )
        self.hub = idconnect.connect(self.config)
        self.store = self.hub.store("main")
        monkeypatch.setattr(cli_context, "connect", lambda config: self.hub)

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    made = Env(tmp_path, monkeypatch, 'organizations = ["Globex", "Acme"]\n')
    yield made
    made.hub.close()


def test_roles_organizations_lists_what_the_store_keeps(env: Env) -> None:
    result = env.run("roles", "organizations", "main")
    assert result.exit_code == 0, result.output
    assert "Acme" in result.stdout and "Globex" in result.stdout
    assert "2 organization(s)" in result.stdout
    assert json.loads(env.run("roles", "organizations", "main", "--json").stdout) == [
        "Acme",
        "Globex",
    ]


def test_a_store_without_organizations_says_it_cannot_list_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = Env(tmp_path, monkeypatch, "")
    result = env.run("roles", "organizations", "main")
    env.hub.close()
    assert result.exit_code == 1
    assert "cannot list organizations" in result.stderr and "store 'main'" in result.stderr


def test_roles_assign_refuses_unknown_roles_organizations_and_case_variants(env: Env) -> None:
    created = env.store.create_account({"userName": "ann"}, reason="setup")
    assert created.id is not None
    ann = created.id
    first = env.run(
        "roles", "assign", "main", "ann", "billing-admin", "--organization", "Acme",
        "--reason", "promotion", "--new-role",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    refused = {
        "unknown role": (["auditor"], "no role 'auditor' in `roles list`"),
        "role in another case": (["Billing-Admin"], "did you mean 'billing-admin'?"),
        "unknown organization": (
            ["billing-admin", "--organization", "Initech"],
            "no organization 'Initech'",
        ),
        "organization in another case": (
            ["billing-admin", "--organization", "acme", "--new-role"],
            "did you mean 'Acme'?",
        ),
    }
    for what, (args, message) in refused.items():
        result = env.run("roles", "assign", "main", "ann", *args, "--reason", "r")
        assert result.exit_code == 2, (what, result.output)
        assert message in result.stderr, what
        assert "store 'main'" in result.stderr
    variant = env.store.create_account({"userName": "bob"}, reason="setup")
    assert variant.id is not None
    env.store.assign_role(variant.id, "viewer", reason="setup")
    result = env.run("roles", "assign", "main", "bob", "Viewer", "--reason", "r", "--new-role")
    assert result.exit_code == 2 and "differs from it only in case" in result.stderr
    held = env.store.get_account(ann).role_assignments
    assert [(r.role, r.organization) for r in held] == [("billing-admin", "Acme")]
    assert [r.role for r in env.store.get_account(variant.id).role_assignments] == ["viewer"]
    assert len(env.store.events(action="assign_role")) == 2


def test_the_demo_tour_returns_results_on_the_seeded_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = Env(tmp_path, monkeypatch, "")
    seeded = env.run("demo", "--accounts", "300", "--store", "main")
    assert seeded.exit_code == 0, seeded.output
    steps = tour(env.store)
    whats = [what for what, _ in steps]
    assert "Customers of Acme" in whats and "Who tests the beta?" in whats
    for what, command in steps:
        args = shlex.split(command)[1:]
        result = env.run(*args)
        assert result.exit_code == 0, (what, result.output)
        out = result.stdout
        if args[:2] == ["accounts", "list"]:
            assert not out.splitlines()[-1].startswith("0 "), (what, out)
            assert "account(s)" in out
        elif args[0] == "accounts" and args[1] == "disable":
            assert "Dry run:" in out and " 0 account(s)" not in out, what
        elif args[0] == "events":
            assert not out.splitlines()[-1].startswith("0 ") and "success" in out, what
        elif args[:2] == ["groups", "show"]:
            assert not out.splitlines()[-1].startswith("0 "), what
            assert out.splitlines()[-1].endswith("member(s)")
        elif args[:2] == ["roles", "list"]:
            assert "support-agent" in out or "billing-admin" in out
        elif args[:2] == ["accounts", "show"]:
            assert "@" in out
    readme = (
        'emails.value ew "@example.org" and active eq true',
        'emails[type eq "work" and verified eq false]',
        'lastLogin lt "2024-01-01T00:00:00Z" or not (lastLogin pr)',
        'meta.created gt "2025-01-01" and organization eq "Acme"',
        'groups.display eq "beta testers"',
        'roleAssignments[role eq "billing-admin" and organization eq "acme"]',
    )
    for expression in readme:
        assert env.store.search_accounts(expression, count=1).items, expression
    env.hub.close()


class TestMemoryStoreWithOrganizations(RoleSuite):
    """The kit's role suite on the memory store that keeps organizations."""

    expected_capabilities = frozenset(
        {
            "get_account",
            "search_accounts",
            "explain_search",
            "create_account",
            "update_account",
            "set_account_enabled",
            "bulk_set_accounts_enabled",
            "delete_account",
            "search_groups",
            "get_group",
            "create_group",
            "delete_group",
            "rename_group",
            "add_group_member",
            "remove_group_member",
            "list_roles",
            "list_organizations",
            "assign_role",
            "unassign_role",
            "list_authenticators",
            "add_authenticator",
            "remove_authenticator",
            "set_password",
            "reset_failed_attempts",
            "list_sessions",
            "revoke_session",
            "revoke_sessions",
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
            "list_activity",
            "record_activity",
        }
    )

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls) -> Iterator[Callable[[], idconnect.Store]]:
        hubs: list[idconnect.Hub] = []

        def factory() -> idconnect.Store:
            hub = idconnect.connect(
                {"hub": {"state": "sqlite://"}, "stores": MEMORY_WITH_ORGANIZATIONS}
            )
            hubs.append(hub)
            store = hub.store("memory")
            assert isinstance(store.backend, MemoryStoreWithOrganizations)
            return store

        yield factory
        for hub in hubs:
            hub.close()
