"""The json example store against the idconnect conformance kit, plus its own file behaviour."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest

import idconnect
from idconnect import ConfigError, Store
from idconnect.testing.suite import KIT_VERIFICATION, ConformanceSuite


def _connect(path: Path) -> idconnect.Hub:
    return idconnect.connect(
        {
            "stores": {"files": {"plugin": "json", "path": str(path)}},
            "hub": {"state": "sqlite://"},
            "verification": KIT_VERIFICATION,
        }
    )


class TestJsonStoreConformance(ConformanceSuite):
    expected_capabilities = frozenset(
        {
            "get_account",
            "search_accounts",
            "explain_search",
            "create_account",
            "update_account",
            "set_account_enabled",
            "delete_account",
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
        }
    )

    @pytest.fixture(scope="class")
    @classmethod
    def make_store(cls, tmp_path_factory: pytest.TempPathFactory) -> Callable[[], Store]:
        counter = itertools.count()

        def factory() -> Store:
            path = tmp_path_factory.mktemp("json") / f"accounts-{next(counter)}.json"
            return _connect(path).store("files")

        return factory


def test_accounts_survive_a_new_hub(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    with _connect(path) as hub:
        created = hub.store("files").create_account({"userName": "ann"})
    assert json.loads(path.read_text())["accounts"][created.id]["userName"] == "ann"
    with _connect(path) as hub:
        assert hub.store("files").get_account(created.id or "").user_name == "ann"


def test_missing_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"key 'path'.*does not exist"):
        _connect(tmp_path / "nowhere" / "accounts.json")


def test_only_the_implemented_operations_are_capabilities(tmp_path: Path) -> None:
    with _connect(tmp_path / "a.json") as hub:
        assert hub.store("files").capabilities == {
            "get_account",
            "search_accounts",
            "explain_search",
            "create_account",
            "update_account",
            "set_account_enabled",
            "delete_account",
            # kept for it in the hub's state database
            "list_verifications",
            "verify_identity",
            "revoke_verification",
            "list_consents",
            "record_consent",
            "revoke_consent",
        }


def test_explain_says_every_search_is_a_local_scan(tmp_path: Path) -> None:
    config = {
        "stores": {
            "files": {"plugin": "json", "path": str(tmp_path / "a.json"), "scan_threshold": 1}
        },
        "hub": {"state": "sqlite://"},
    }
    with idconnect.connect(config) as hub:
        store = hub.store("files")
        store.create_account({"userName": "ann"}, reason="test")
        explanation = store.explain('userName eq "ann"')
        assert explanation.full_scan is True and explanation.plan == ("local scan",)
        assert len(store.search_accounts('userName eq "ann"').items) == 1  # one: not above 1
        store.create_account({"userName": "bob"}, reason="test")
        with pytest.raises(idconnect.UnsupportedFilter, match="local scan"):
            store.search_accounts('userName eq "ann"')
        assert len(store.search_accounts('userName eq "ann"', allow_scan=True).items) == 1
