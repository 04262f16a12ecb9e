"""``idconnect jobs ...`` on a sql store over SQLite: start, list, show, watch, cancel, undo,
resume, and the refusals (exit 2 for bad usage, a named cause for a job that cannot be undone).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import idconnect
from idconnect.cli import cli
from idconnect.core.facade.store import Store
from tests.jobs.job_env import seed


class Env:
    def __init__(self, tmp_path: Path) -> None:
        self.config = tmp_path / "idconnect.toml"
        self.config.write_text(
            f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n\n'
            f'[stores.main]\nplugin = "sql"\nurl = "sqlite:///{tmp_path / "store.db"}"\n'
        )
        self.hub = idconnect.connect(self.config)
        self.store: Store = self.hub.store("main")
        self.store.provision()

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, ["--config", str(self.config), *args])

    def json(self, *args: str) -> object:
        result = self.run(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    made = Env(tmp_path)
    yield made
    made.hub.close()


def test_start_show_list_watch_and_undo(env: Env) -> None:
    ids = seed(env.store, 5)
    env.store.disable_accounts(ids[:1], reason="before")
    started = env.json(
        "jobs", "start", "main", "disable", "--ids", ",".join(ids), "--reason", "fraud"
    )
    assert isinstance(started, dict)
    assert started["status"] == "done" and started["counts"] == {"ok": 4, "unchanged": 1}
    assert started["progress"] == 1.0 and started["etaSeconds"] == 0.0
    job_id = started["id"]
    shown = env.json("jobs", "show", "main", job_id, "--outcome", "unchanged")
    assert isinstance(shown, dict)
    assert [(i["accountId"], i["before"]) for i in shown["items"]] == [(ids[0], False)]
    listed = env.run("jobs", "list", "main")
    assert listed.exit_code == 0 and job_id in listed.stdout and "fraud" in listed.stdout
    watched = env.run("jobs", "watch", "main", job_id)
    assert watched.exit_code == 0 and "done, 5/5 done (100%)" in watched.stdout
    undone = env.json("jobs", "undo", "main", job_id, "--reason", "wrong selection")
    assert isinstance(undone, dict)
    assert undone["undoOf"] == job_id and undone["counts"] == {"ok": 4}
    assert [env.store.get_account(i).active for i in ids] == [False, True, True, True, True]
    again = env.run("jobs", "undo", "main", job_id, "--reason", "again")
    assert again.exit_code == 1 and "undone already" in again.stderr


def test_filter_dry_run_group_and_refusals(env: Env) -> None:
    ids = seed(env.store, 3)
    group = env.store.create_group({"displayName": "vip"}, reason="r")
    assert group.id is not None
    dry = env.run(
        "jobs",
        "start",
        "main",
        "add_to_group",
        "--filter",
        'userName sw "u"',
        "--group",
        group.id,
        "--dry-run",
        "--reason",
        "r",
    )
    assert dry.exit_code == 0 and "3 would_change" in dry.stdout
    assert env.store.get_group(group.id).members == ()
    both = env.run(
        "jobs", "start", "main", "disable", ids[0], "--filter", "active eq true", "--reason", "r"
    )
    assert both.exit_code == 2 and "not both" in both.output
    unknown = env.run("jobs", "start", "main", "freeze", ids[0], "--reason", "r")
    assert unknown.exit_code == 2
    deleted = env.json("jobs", "start", "main", "delete", ids[0], "--reason", "gdpr")
    assert isinstance(deleted, dict)
    refused = env.run("jobs", "undo", "main", deleted["id"], "--reason", "oops")
    assert refused.exit_code != 0 and "irreversible" in refused.stderr
    finished = env.run("jobs", "cancel", "main", deleted["id"], "--reason", "late")
    assert finished.exit_code != 0 and "finished already" in finished.stderr


def test_detach_then_resume_a_job(env: Env) -> None:
    ids = seed(env.store, 4)
    job = env.store.start_job("disable", ids=ids, reason="r", runner="none")
    resumed = env.run("jobs", "resume", "main", job.id)
    assert resumed.exit_code == 0 and "done, 4/4" in resumed.stdout
    cancelled = env.store.start_job("enable", ids=ids, reason="r", runner="none")
    result = env.run("jobs", "cancel", "main", cancelled.id, "--reason", "not needed")
    assert result.exit_code == 0 and "cancelled" in result.stdout
    assert not any(env.store.get_account(i).active for i in ids)
