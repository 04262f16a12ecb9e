"""Run one job in this process and kill it (SIGKILL) at a chosen point: a crash test's child.

``python crash_child.py CONFIG_JSON JOB_ID PHASE AT [STORE]``: runs the job of store ``STORE``
(default ``main``) with ``store.run_job`` and,
on the ``AT``-th set-based bulk call of the store, kills itself ``before`` the backend writes,
after the backend wrote but before the audit trail recorded it (``unaudited``), or after the
audit trail recorded it but before the job recorded the outcomes (``unrecorded``). Any other
phase kills nothing (the parent kills the child at a random instant instead).
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Generator
from typing import Any

import idconnect
from idconnect.core.plugins import hookimpl

PHASE, AT = sys.argv[3], int(sys.argv[4])
_calls = [0]


def _tick(phase: str) -> None:
    if phase == PHASE and _calls[0] == AT:
        os.kill(os.getpid(), signal.SIGKILL)


class Before:
    """Counts bulk calls; kills before the backend runs (wraps everything)."""

    @hookimpl(wrapper=True, tryfirst=True)
    def idconnect_bulk_set_accounts_enabled(self) -> Generator[None, Any, Any]:
        _calls[0] += 1
        _tick("before")
        result = yield
        _tick("unrecorded")
        return result

    @hookimpl(wrapper=True, tryfirst=True)
    def idconnect_bulk_add_group_members(self) -> Generator[None, Any, Any]:
        _calls[0] += 1
        _tick("before")
        result = yield
        _tick("unrecorded")
        return result


class Unaudited:
    """Kills right after the backend returned, inside the audit trail's wrapper."""

    @hookimpl(wrapper=True, trylast=True)
    def idconnect_bulk_set_accounts_enabled(self) -> Generator[None, Any, Any]:
        result = yield
        _tick("unaudited")
        return result

    @hookimpl(wrapper=True, trylast=True)
    def idconnect_bulk_add_group_members(self) -> Generator[None, Any, Any]:
        result = yield
        _tick("unaudited")
        return result


def main() -> None:
    config = json.loads(sys.argv[1])
    with idconnect.connect(config, plugins=[Before(), Unaudited()]) as hub:
        print("running", flush=True)
        hub.store(sys.argv[5] if len(sys.argv) > 5 else "main").run_job(sys.argv[2])


if __name__ == "__main__":
    main()
