"""Bulk commands print one canonical JSON document with --json: per-account outcomes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import idconnect
from idconnect.cli import cli
from idconnect.core.convert import BULK_RESULT_SCHEMA

TAIL = ("--reason", "ticket 7", "--yes", "--json")


@pytest.fixture
def config(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    path = tmp_path / "idconnect.toml"
    path.write_text(
        f'[hub]\nstate = "sqlite:///{tmp_path / "state.db"}"\n[stores.main]\nplugin = "sql"\n'
        f'url = "sqlite:///{tmp_path / "store.db"}"\n'
    )
    with idconnect.connect(path) as hub:
        store = hub.store("main")
        ids = [store.create_account({"userName": n}).id or "" for n in ("ann", "bob")]
    yield path, ids


def test_disable_with_json_reports_each_account_and_an_error_document(
    config: tuple[Path, list[str]],
) -> None:
    path, ids = config
    result = CliRunner().invoke(
        cli,
        ["--config", str(path), "accounts", "disable", "main", ids[0], "ghost", ids[1], *TAIL],
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    assert doc["schemas"] == [BULK_RESULT_SCHEMA]
    assert (doc["action"], doc["total"], doc["succeeded"], doc["failed"]) == (
        "disable_account",
        3,
        2,
        1,
    )
    assert [(o["accountId"], o["status"]) for o in doc["outcomes"]] == [
        (ids[0], "ok"),
        ("ghost", "failed"),
        (ids[1], "ok"),
    ]
    error = doc["outcomes"][1]["error"]
    assert error["status"] == "404" and "ghost" in error["detail"]
    assert "will be disabled" in result.stderr


def test_import_with_json_carries_the_created_accounts(
    config: tuple[Path, list[str]], tmp_path: Path
) -> None:
    path, _ = config
    source = tmp_path / "people.json"
    source.write_text(json.dumps([{"userName": "cy"}, {"userName": "ann"}, {"nope": 1}]))
    result = CliRunner().invoke(
        cli,
        [
            "--config",
            str(path),
            "accounts",
            "create",
            "main",
            "--from-json",
            str(source),
            "--reason",
            "import",
            "--json",
        ],
    )
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    statuses = [o["status"] for o in doc["outcomes"]]
    assert statuses == ["ok", "failed", "failed"]
    assert doc["outcomes"][0]["account"]["userName"] == "cy"
    assert doc["outcomes"][1]["error"]["scimType"] == "uniqueness"
