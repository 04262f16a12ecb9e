"""Helpers for test suites that need a real server (PostgreSQL, MariaDB, slapd, a SCIM server)."""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["in_ci", "require_server"]


def in_ci() -> bool:
    """Whether the tests run under CI (``CI=true``), where no backend suite may be skipped."""
    return os.environ.get("CI", "").lower() in ("true", "1", "yes")


def require_server(what: str, how_to_enable: str) -> NoReturn:
    """Stop a test whose server is not available: skip on a laptop, fail under CI.

    :param what: what is missing, e.g. ``PostgreSQL at 127.0.0.1:5432 is not reachable``.
    :param how_to_enable: the command or setting that enables the suite.
    :raises pytest.skip.Exception: outside CI, with both texts as the reason.
    :raises pytest.fail.Exception: under ``CI=true``, with the same message.
    """
    message = f"{what}; to run this suite: {how_to_enable}"
    if in_ci():
        pytest.fail(f"backend suite cannot run under CI=true: {message}", pytrace=False)
    pytest.skip(message)
