"""Backends use only the public API; the core and the apps never name a backend package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLUGIN_SOURCES = sorted(
    [*ROOT.glob("plugins/*/src/*/**/*.py"), *ROOT.glob("examples/*/src/*/**/*.py")]
)
PUBLIC = re.compile(r"^idconnect(\.backend|\.testing(\..+)?)?$")
PLUGIN_PACKAGES = re.compile(r"\bidconnect_(sql|ldap|rest|json_store)\b")


def _idconnect_imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found += [(node.lineno, n) for n in names if n.split(".")[0] == "idconnect"]
    return found


def test_there_are_plugin_sources_to_check() -> None:
    assert len({p.parts[len(ROOT.parts) + 1] for p in PLUGIN_SOURCES}) >= 4


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_public_idconnect_modules(path: Path) -> None:
    private = [f"line {n}: {m}" for n, m in _idconnect_imports(path) if not PUBLIC.match(m)]
    assert private == [], f"{path.relative_to(ROOT)} imports internals: {private}"


def test_the_public_check_refuses_internals() -> None:
    assert PUBLIC.match("idconnect.backend") and PUBLIC.match("idconnect.testing.suite")
    assert not PUBLIC.match("idconnect.core.plugins")
    assert not PUBLIC.match("idconnect.backendx")


def test_nothing_under_src_names_a_plugin_package() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "src").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if PLUGIN_PACKAGES.search(line)
    ]
    assert offenders == []


def test_loading_every_plugin_imports_no_driver() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from idconnect.core.plugins import make_root_manager\n"
        "make_root_manager()\n"
        "print(sorted(m for m in ('sqlalchemy', 'ldap3', 'requests') if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
