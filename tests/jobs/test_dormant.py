"""The dormant-account policy on a sql store (SQLite and PostgreSQL) with the hub's clock
injected and a real SMTP server (aiosmtpd): dry run, warn first, grace, a customer who logs in
during grace is not acted on, re-runs are idempotent, disable then delete as durable jobs whose
reason names the policy, exemptions; the CLI's dry run; the config's refusals."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from click.testing import CliRunner

import idconnect
from idconnect.cli import cli
from idconnect.core.errors import ConfigError, NotFound
from idconnect.core.model import Account, Email
from tests.jobs.job_env import job_config

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


class Inbox:
    def __init__(self) -> None:
        self.recipients: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.recipients.extend(envelope.rcpt_tos)
        return "250 OK"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def _with_policy(config: dict[str, Any], port: int, **policy: Any) -> dict[str, Any]:
    config["stores"]["main"]["policies"] = {"dormant": policy}
    config["applications"] = {"shop": {}}
    config["clients"] = {
        "shop-web": {"application": "shop", "login_url": "https://shop.example/login"}
    }
    config["notifications"] = {
        "channels": {
            "email": {
                "plugin": "smtp",
                "host": "127.0.0.1",
                "port": port,
                "security": "none",
                "sender": "support@example.com",
            }
        }
    }
    return config


def _set_dates(
    store: Any, account_id: str, *, created: datetime, last_login: datetime | None
) -> None:
    engine = sa.create_engine(store.config.settings["url"])
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE idc_accounts SET created = :c, last_login = :l WHERE id = :i"),
            {"c": created, "l": last_login, "i": account_id},
        )
    engine.dispose()


def _account(store: Any, name: str) -> str:
    email = Email(value=f"{name}@example.org", primary=True, verified=True)
    made = store.create_account(Account(user_name=name, emails=(email,)), reason="seed")
    return str(made.id)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_warn_grace_login_disable_then_delete(
    backend: str, tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    clock = Clock()
    with job_config(backend, tmp_path) as base:
        config = _with_policy(
            base,
            port,
            inactive_after="365d",
            never_logged_in_after="90d",
            delete_after="180d",
            exempt_groups=["staff"],
            warn_client="shop-web",
            grace="30d",
        )
        with idconnect.connect(config, clock=clock) as hub:
            store = hub.store("main")
            store.provision()
            old = _account(store, "old")  # last login 400 days ago: dormant
            back = _account(store, "back")  # dormant, logs in during grace
            never = _account(store, "never")  # never logged in, created 200 days ago
            fresh = _account(store, "fresh")  # never logged in, created 10 days ago
            recent = _account(store, "recent")  # logged in 20 days ago
            staff = _account(store, "staffer")  # dormant, exempt
            for ident in (old, back, staff):
                _set_dates(
                    store,
                    ident,
                    created=T0 - timedelta(days=900),
                    last_login=T0 - timedelta(days=400),
                )
            _set_dates(store, never, created=T0 - timedelta(days=200), last_login=None)
            _set_dates(store, fresh, created=T0 - timedelta(days=10), last_login=None)
            _set_dates(
                store, recent, created=T0 - timedelta(days=900), last_login=T0 - timedelta(days=20)
            )
            group = store.create_group({"displayName": "staff"}, reason="setup")
            assert group.id is not None
            store.add_to_group(group.id, [staff], reason="setup")

            dry = store.run_dormant_policy(dry_run=True)
            assert {d.account_id: d.action for d in dry.decisions} == {
                old: "warn",
                back: "warn",
                never: "warn",
            }
            assert "never logged in, created 200 days ago" in next(
                d.why for d in dry.decisions if d.account_id == never
            )
            assert inbox.recipients == [] and dry.jobs == ()

            first = store.run_dormant_policy()
            assert sorted(n.account_id for n in first.warnings) == sorted([old, back, never])
            assert [n.cause for n in first.warnings if n.failed] == [] and first.jobs == ()
            assert sorted(inbox.recipients) == sorted(
                f"{n}@example.org" for n in ("old", "back", "never")
            )

            clock.now = T0 + timedelta(days=10)
            again = store.run_dormant_policy()
            assert {d.action for d in again.decisions} == {"wait"} and again.warnings == ()
            assert len(inbox.recipients) == 3

            _set_dates(
                store, back, created=T0 - timedelta(days=900), last_login=T0 + timedelta(days=15)
            )
            clock.now = T0 + timedelta(days=31)
            acted = store.run_dormant_policy(runner="none")
            assert {d.account_id: d.action for d in acted.decisions} == {
                old: "disable",
                never: "disable",
                back: "clear",
            }
            [job] = acted.jobs
            assert job.action == "disable" and job.reason.startswith("dormant policy:")
            store.run_job(job.id)
            assert store.job(job.id).counts == {"ok": 2}
            assert [
                store.get_account(i).active for i in (old, never, back, staff, recent, fresh)
            ] == [
                False,
                False,
                True,
                True,
                True,
                True,
            ]
            events = [e for e in store.events(old) if e.request_id == job.request_id]
            assert [(e.action, e.reason) for e in events] == [("disable_account", job.reason)]

            rerun = store.run_dormant_policy()
            assert rerun.jobs == () and rerun.warnings == () and len(inbox.recipients) == 3

            clock.now = T0 + timedelta(days=31 + 181)
            later = store.run_dormant_policy(runner="none")
            assert {d.account_id: d.action for d in later.decisions if d.action != "warn"} == {
                old: "delete",
                never: "delete",
            }
            deleting = next(j for j in later.jobs if j.action == "delete")
            store.run_job(deleting.id)
            assert store.job(deleting.id).counts == {"ok": 2}
            assert {a.id for a in store.iter_accounts()} == {back, staff, recent, fresh}


def test_cli_dry_run_and_config_refusals(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    _, port = smtp
    path = tmp_path / "idconnect.toml"
    path.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n\n'
        f'[stores.main]\nplugin = "sql"\nurl = "sqlite:///{tmp_path / "store.db"}"\n\n'
        '[stores.main.policies.dormant]\ninactive_after = 365\naction = "disable"\n'
    )
    with idconnect.connect(path) as hub:
        store = hub.store("main")
        store.provision()
        old = _account(store, "old")
        now = datetime.now(UTC)
        _set_dates(
            store, old, created=now - timedelta(days=900), last_login=now - timedelta(days=400)
        )
    run = ["--config", str(path), "policy", "run", "dormant", "main"]
    result = CliRunner().invoke(cli, [*run, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would be disabled" in result.stdout and "400 days" in result.stdout
    with idconnect.connect(path) as hub:
        assert hub.store("main").get_account(old).active
    result = CliRunner().invoke(cli, run)
    assert result.exit_code == 0, result.output
    assert "1 disabling" in result.stdout and ": done, 1/1 done" in result.stdout
    with idconnect.connect(path) as hub:
        assert not hub.store("main").get_account(old).active
    config = _with_policy(
        {
            "hub": {"state": f"sqlite:///{tmp_path / 'state.db'}"},
            "stores": {"main": {"plugin": "sql", "url": f"sqlite:///{tmp_path / 'store.db'}"}},
        },
        port,
        action="freeze",
        inactive_after="30d",
    )
    with pytest.raises(ConfigError, match=r"policies\.dormant\.action"):
        idconnect.connect(config)
    del config["stores"]["main"]["policies"]
    with idconnect.connect(config) as hub, pytest.raises(NotFound, match="no dormant policy"):
        hub.store("main").run_dormant_policy()
