"""Stress: PostgreSQL state backends terminated mid-way through bulk disables (issue 10 §3).

    .venv/bin/python tests/stress/audit_pg_terminate.py [--trials 10] [--accounts 5000]

Runs ``tests/test_core_audit_postgres.py``'s mid-bulk trial that many times for each of its two
termination rates (each in a fresh database, the hub's state in the store's own database, a
thread terminating the state engine's backends throughout) and prints each trial's counts:
accounts, backends terminated, outcomes that differ from the store's state, missing and
duplicate events, events spooled and left unreplayed. Exits non-zero if any trial lost or
doubled an event or misreported an outcome.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import pytest


def main() -> int:
    """Run the trials; return pytest's exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=5000)
    args = parser.parse_args()
    os.environ["IDCONNECT_STRESS_TRIALS"] = str(args.trials)
    os.environ["IDCONNECT_STRESS_ACCOUNTS"] = str(args.accounts)
    test = Path(__file__).resolve().parent.parent / "test_core_audit_postgres.py"
    return int(
        pytest.main(
            [
                "-q",
                "-s",
                "-p",
                "no:cacheprovider",
                f"{test}::test_no_audit_event_is_lost_when_state_backends_are_terminated_mid_bulk",
            ]
        )
    )


if __name__ == "__main__":
    sys.exit(main())
