"""The kit's pytest plugin: ``pytest --idconnect-store NAME`` runs the kit on a configured store.

The plugin is loaded through a ``pytest11`` entry point exactly like the one the root project
declares (a dist-info put on ``PYTHONPATH`` here, so the check does not depend on how idconnect
was installed), and with ``-p idconnect.testing.plugin``.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

import idconnect
from idconnect.core.operations import operations_of

MEMORY_CAPABILITIES = ",".join(
    sorted(
        idconnect.connect({"hub": {"state": "sqlite://"}, "stores": {"m": {"plugin": "memory"}}})
        .store("m")
        .capabilities
    )
)
"""The memory store's capabilities, read from it (its own kit test declares them literally)."""

ENTRY_POINT = "[pytest11]\nidconnect.testing.plugin = idconnect.testing.plugin\n"


@pytest.fixture
def kit(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose subprocesses see the plugin's entry point, and a config of stores."""
    dist = pytester.mkdir("site") / "idconnect_kit_check-0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: idconnect-kit-check\nVersion: 0\n")
    (dist / "entry_points.txt").write_text(ENTRY_POINT)
    monkeypatch.setenv("PYTHONPATH", str(pytester.path / "site"))
    pytester.makefile(".toml", stores='[stores.mem]\nplugin = "memory"\n')
    return pytester


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-v", "-p", "no:cacheprovider", "-W", "ignore::DeprecationWarning", *args
    )


def _kit_args(store: str = "mem", config: str = "stores.toml") -> list[str]:
    return ["--idconnect-store", store, "--idconnect-config", config]


def _passed(result: pytest.RunResult) -> list[str]:
    return [line.split()[0] for line in result.outlines if " PASSED" in line]


def test_the_kit_runs_against_the_named_store(kit: pytest.Pytester) -> None:
    result = _run(kit, *_kit_args(), "--idconnect-capabilities", MEMORY_CAPABILITIES)
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()
    assert set(outcomes) == {"passed"}
    passed = _passed(result)
    assert len(passed) == outcomes["passed"] > 150
    assert all("::TestSelectedStore::" in nodeid for nodeid in passed)
    for test in ("test_declared_capabilities", "test_generated_filters", "test_sessions"):
        assert any(nodeid.endswith(f"::{test}") for nodeid in passed), test


def test_undeclared_capabilities_fail_only_that_check(kit: pytest.Pytester) -> None:
    result = _run(kit, *_kit_args())
    failed = [line for line in result.outlines if line.startswith("FAILED")]
    assert len(failed) == 1 and "::test_declared_capabilities" in failed[0], result.stdout.str()
    assert "TestSelectedStore must declare expected_capabilities; store mem has" in (
        result.stdout.str()
    )


def test_a_capability_the_store_lacks_fails_the_declaration(kit: pytest.Pytester) -> None:
    declared = MEMORY_CAPABILITIES + ",bulk_delete_accounts"
    result = _run(kit, *_kit_args(), "--idconnect-capabilities", declared)
    assert "store mem: lost ['bulk_delete_accounts'], gained []" in result.stdout.str()
    assert result.parseoutcomes().get("failed") == 1


def test_dash_p_loads_it_too(kit: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    with_entry_point = _run(kit, "-p", "idconnect.testing.plugin", *_kit_args(), "-x")
    monkeypatch.delenv("PYTHONPATH")
    without = _run(kit, "-p", "idconnect.testing.plugin", *_kit_args(), "-x")
    for result in (with_entry_point, without):
        assert "::TestSelectedStore::" in result.stdout.str(), result.stdout.str()
        assert "already registered" not in result.stdout.str() + result.stderr.str()


def test_explicit_paths_run_with_the_kit(kit: pytest.Pytester) -> None:
    kit.makepyfile(test_own="def test_own():\n    assert True\n")
    alone = _run(kit, "test_own.py")
    assert alone.parseoutcomes() == {"passed": 1}
    both = _run(kit, "test_own.py", *_kit_args(), "--idconnect-capabilities", MEMORY_CAPABILITIES)
    passed = _passed(both)
    assert "test_own.py::test_own" in passed
    assert len(passed) == both.parseoutcomes()["passed"] > 150


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--idconnect-config", "stores.toml"], "--idconnect-config needs --idconnect-store NAME"),
        (["--idconnect-capabilities", "get_account"], "--idconnect-capabilities needs"),
        (_kit_args("nope"), "stores.toml has no store 'nope' (it has: mem)"),
        (_kit_args(config="missing.toml"), "config file missing.toml: cannot read it"),
        (
            [*_kit_args(), "--idconnect-capabilities", "get_account,frobnicate"],
            "--idconnect-capabilities: unknown operations frobnicate",
        ),
    ],
)
def test_bad_options_are_usage_errors(kit: pytest.Pytester, args: list[str], message: str) -> None:
    result = _run(kit, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


needs_json_example = pytest.mark.skipif(
    importlib.util.find_spec("idconnect_json_store") is None,
    reason="the json example store is not installed: pip install -e examples/json_store",
)


@needs_json_example
def test_kit_placeholder_gives_each_connection_its_own_store(kit: pytest.Pytester) -> None:
    folder = kit.mkdir("files")
    kit.makefile(
        ".toml", json=f'[stores.files]\nplugin = "json"\npath = "{folder}/a-{{kit}}.json"\n'
    )
    kept = [op.name for family in ("verification", "consents") for op in operations_of(family)]
    own = ["get_account", "search_accounts", "explain_search", "create_account", "update_account"]
    caps = ",".join([*own, *kept, "set_account_enabled"])
    result = _run(
        kit, *_kit_args("files", "json.toml"), "--idconnect-capabilities", caps + ",delete_account"
    )
    outcomes = result.parseoutcomes()
    assert result.ret == 0, result.stdout.str()
    assert set(outcomes) == {"passed", "skipped"}
    assert len(list(folder.glob("a-*.json"))) > 10


@needs_json_example
def test_a_store_that_is_not_empty_is_refused(kit: pytest.Pytester, tmp_path: Path) -> None:
    path = tmp_path / "taken.json"
    config = {
        "hub": {"state": "sqlite://"},
        "stores": {"files": {"plugin": "json", "path": str(path)}},
    }
    with idconnect.connect(config) as hub:
        hub.store("files").create_account({"userName": "precious"})
    kit.makefile(".toml", json=f'[stores.files]\nplugin = "json"\npath = "{path}"\n')
    result = _run(kit, *_kit_args("files", "json.toml"), "-x")
    assert "store files is not empty: the kit needs a fresh, empty store" in result.stdout.str()
    assert result.parseoutcomes().get("passed") is None
    assert [a["userName"] for a in json.loads(path.read_text())["accounts"].values()] == [
        "precious"
    ]
