"""Hypothesis' CI profile: loaded under ``CI=true`` only (see tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

from idconnect.testing.servers import in_ci


def test_the_profile_follows_the_environment() -> None:
    if in_ci():
        assert settings.default.deadline is None
        assert HealthCheck.too_slow in settings.default.suppress_health_check
    else:
        assert settings.default.deadline is not None
        assert HealthCheck.too_slow not in settings.default.suppress_health_check


def _run_profile_test(ci: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CI": ci}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"{Path(__file__)}::test_the_profile_follows_the_environment",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=env,
        cwd=Path(__file__).parents[1],
    )


def test_ci_true_loads_the_ci_profile_and_ci_false_keeps_the_default() -> None:
    for ci in ("true", "false"):
        result = _run_profile_test(ci)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 passed" in result.stdout
