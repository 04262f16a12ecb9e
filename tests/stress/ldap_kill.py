"""Stress: slapd killed (SIGKILL) at random points of a bulk disable (issue 10 §4).

    .venv/bin/python tests/stress/ldap_kill.py [--trials 10] [--accounts 5000] [--seed 10]

Runs ``plugins/ldap_store/tests/test_ldap_killed_mid_bulk.py`` with that many trials and
accounts (one slapd, killed and restarted on the same port and data once per trial) and prints
each trial's tallies: outcomes ok, failed and indeterminate after settlement, how many
indeterminate outcomes the facade settled (extra audit events), accounts disabled in the
directory, and outcomes or last audit events that differ from the directory (must be 0). Exits
with pytest's status: non-zero if any trial misreported an outcome.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

_TEST = (
    Path(__file__).resolve().parents[2] / "plugins/ldap_store/tests/test_ldap_killed_mid_bulk.py"
)
_COLUMNS = ("ok", "failed", "indeterminate", "settled", "disabled", "wrong")


def main() -> int:
    """Run the trials, print their tallies; return pytest's exit status."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "tallies.json"
        os.environ["IDCONNECT_STRESS_TRIALS"] = str(args.trials)
        os.environ["IDCONNECT_STRESS_ACCOUNTS"] = str(args.accounts)
        os.environ["IDCONNECT_STRESS_SEED"] = str(args.seed)
        os.environ["IDCONNECT_STRESS_REPORT"] = str(report)
        status = int(pytest.main(["-q", "-p", "no:cacheprovider", str(_TEST)]))
        tallies = json.loads(report.read_text()) if report.exists() else []
    print(f"{'trial':>5} " + " ".join(f"{c:>13}" for c in _COLUMNS))
    for n, row in enumerate(tallies, 1):
        print(f"{n:>5} " + " ".join(f"{row[c]:>13}" for c in _COLUMNS))
    totals = {c: sum(row[c] for row in tallies) for c in _COLUMNS}
    print(f"{'all':>5} " + " ".join(f"{totals[c]:>13}" for c in _COLUMNS))
    print(f"{len(tallies)} trials of {args.accounts} accounts; pytest status {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
