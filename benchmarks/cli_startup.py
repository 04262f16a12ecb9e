"""Benchmark how long the ``idconnect`` command takes to start, against bare Python in the same run.

    python benchmarks/cli_startup.py --runs 21

Measures the wall time (median of N subprocess runs, with the range) of ``python -c pass`` (the
baseline), ``idconnect --help`` and ``idconnect accounts show STORE ID`` of one account on the
embedded SQLite store (a temporary one, seeded with a single account), and prints each as a ratio
of the baseline. Then runs each command once under ``python -X importtime`` and prints the
import time per top-level package (own times of its modules), so that what the plugins'
entry-point modules and their drivers cost is visible. Not part of CI; the issue's goal is under
0.3 s on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import idconnect

_ENTRY = "import sys; from idconnect.cli import main; sys.argv[0] = 'idconnect'; main()"


def _command(*args: str) -> list[str]:
    return [sys.executable, "-c", _ENTRY, *args]


def _wall(argv: list[str], env: dict[str, str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"{argv!r} failed: {done.stderr.decode(errors='replace')}")
    return times


def _importtime(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    """Import time in ms per top-level package (the sum of its modules' own times).

    Own (self) times are summed, not cumulative ones, so that a driver imported by a plugin
    counts for the driver and a plugin loaded by the core's plugin manager for the plugin.
    """
    done = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]], env=env, capture_output=True, text=True
    )
    per_root: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own_us, _, name = line.removeprefix("import time:").split("|")
        per_root[name.strip().split(".")[0]] += int(own_us) / 1000
    return dict(per_root)


def main() -> None:
    """Seed a temporary embedded store, time the commands, print the table and the imports."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="runs per command (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "idconnect.toml"
        config.write_text(
            f'[hub]\nstate = "sqlite:///{Path(tmp) / "state.db"}"\n'
            f'[stores.default]\nplugin = "sql"\nurl = "sqlite:///{Path(tmp) / "store.db"}"\n'
        )
        with idconnect.connect(config) as hub:
            store = hub.store("default")
            store.provision()
            ann = store.create_account(
                {"userName": "ann", "emails": [{"value": "ann@example.com", "primary": True}]},
                reason="benchmark",
            )
        env = {**os.environ, "IDCONNECT_CONFIG": str(config), "COLUMNS": "120"}
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "idconnect --help": _command("--help"),
            "idconnect accounts show": _command("accounts", "show", "default", str(ann.id)),
        }
        _wall(cases["idconnect accounts show"], env, 2)  # warm the file cache
        results = {name: _wall(argv, env, args.runs) for name, argv in cases.items()}
        base = statistics.median(results["python -c pass"])
        print(f"CLI startup, median of {args.runs} runs (wall, subprocess)")
        print(f"{'command':<26} {'median':>9} {'min':>9} {'max':>9} {'x python':>9}")
        for name, times in results.items():
            median = statistics.median(times)
            print(
                f"{name:<26} {median * 1000:>7.1f}ms {min(times) * 1000:>7.1f}ms"
                f" {max(times) * 1000:>7.1f}ms {median / base:>8.1f}x"
            )
        for name in ("idconnect --help", "idconnect accounts show"):
            imports = _importtime(cases[name], env)
            total = sum(imports.values())
            print(f"\nimports of `{name}` (python -X importtime, one run): {total:.0f} ms")
            for root, ms in sorted(imports.items(), key=lambda item: -item[1])[:10]:
                print(f"  {root:<24} {ms:>7.1f} ms  {ms / total:>5.0%}")


if __name__ == "__main__":
    main()
