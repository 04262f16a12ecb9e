"""Write races on every SQL schema and dialect, at the full counts of issue 10; prints tallies.

    python benchmarks/sql_races.py
    python benchmarks/sql_races.py --updates 1000 --creates 500 --dialects sqlite,postgresql,mariadb

For each dialect (SQLite, PostgreSQL, MariaDB) and schema (managed ``idc_`` tables; the README's
mapped Django ``auth_user``, whose version is a row digest), two threads released together:

- update the same account with the same ``expected_version`` (``--updates`` rounds): exactly
  one may succeed; ``both_won`` counts lost updates;
- create ``dup-user-N`` and ``DUP-User-N`` (``--creates`` rounds): exactly one may succeed;
  ``both_won`` counts duplicates.

``wrong_state`` counts rounds whose stored state is not the winner's; ``errors`` any outcome
other than success or ``Conflict``. The stores live in fresh databases named like the test
suite's (``idc_sqltest_<pid>_*``), dropped at the end. Not part of CI; exits 1 unless every
round was clean.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from idconnect_sql.testing import (
    Namespaces,
    RaceTally,
    create_races,
    drop_leftovers,
    run_name,
    update_races,
)
from idconnect_sql.testing.django import django_settings

import idconnect

SCHEMAS: dict[str, Callable[[Namespaces], dict[str, object]]] = {
    "managed": lambda namespaces: namespaces.fresh(),
    "mapped": django_settings,
}


def _race(
    namespaces: Namespaces, schema: str, folder: Path, updates: int, creates: int
) -> list[tuple[str, RaceTally]]:
    settings = SCHEMAS[schema](namespaces)
    hub = idconnect.connect(
        {
            "hub": {"state": f"sqlite:///{folder / f'state-{namespaces.dialect}-{schema}.db'}"},
            "stores": {"s": {"plugin": "sql", **settings}},
        }
    )
    try:
        store = hub.store("s")
        label = f"{namespaces.dialect:<10} {schema:<8}"
        return [
            (f"{label} update races", update_races(store, updates)),
            (f"{label} create races", create_races(store, creates)),
        ]
    finally:
        hub.close()


def main() -> int:
    """Run the races; print one line per dialect, schema and race, then the totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1000, help="update races per store")
    parser.add_argument("--creates", type=int, default=500, help="create races per store")
    parser.add_argument("--dialects", default="sqlite,postgresql,mariadb")
    args = parser.parse_args()
    run = run_name()
    for server in ("postgresql", "mariadb"):
        drop_leftovers(server)
    results: list[tuple[str, RaceTally]] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for dialect in args.dialects.split(","):
            namespaces = Namespaces(dialect, folder, run)
            try:
                for schema in SCHEMAS:
                    for label, tally in _race(
                        namespaces, schema, folder, args.updates, args.creates
                    ):
                        print(tally.line(label), flush=True)
                        for error in sorted(set(tally.errors))[:3]:
                            print(f"    e.g. {error}")
                        results.append((label, tally))
            finally:
                namespaces.drop()
    lost = sum(t.both_won for label, t in results if "update" in label)
    duplicates = sum(t.both_won for label, t in results if "create" in label)
    clean = all(t.clean for _, t in results)
    print(f"total: lost updates={lost} duplicates={duplicates} all rounds clean={clean}")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
