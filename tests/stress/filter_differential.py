"""Differential run: the same accounts in every store, the same generated filters, one evaluator.

    .venv/bin/python tests/stress/filter_differential.py [--accounts 300] [--filters 2000]
        [--seed 10] [--stores sqlite,postgresql,mariadb,ldap,ldap-plain,scim2] [--show 5]

Loads the kit's data set plus generated accounts with hostile values (SQL/LDAP/SCIM
metacharacters, compatibility characters, combining marks, escapes, irregular spaces, phone
numbers with hyphens) into SQLite, PostgreSQL and MariaDB (managed schema), two throwaway slapd
directories (with overlays; the plain one of the LDAP tests) and scim2-server (the rest store),
then runs the same generated filters (:func:`idconnect.testing.strategies.filters`, over the
attributes every store holds) on each store and compares each answer with the reference
evaluator applied to the accounts as that store returns them.

Per store it prints: accounts held, filters answered, deviations (a different set of ids),
errors (anything but an answer or ``UnsupportedFilter``), refusals (``UnsupportedFilter``), and
refusals that needed I/O: after the run each refused filter is asked again with the server
stopped (slapd) — a refusal made before any I/O is still ``UnsupportedFilter`` then. The first
``--show`` deviations and errors of each store are printed with the filter, the expected and the
returned ids' user names. Exits 1 when a SQL store deviates or errs, or LDAP deviates, errs or
needed I/O to refuse.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import seed as seed_of

import idconnect
from idconnect import Account, Email, Name, PhoneNumber, UnsupportedFilter
from idconnect.core.filter import Filter, bind, evaluate, to_text, values_at
from idconnect.core.schema import USER_CATALOGUE
from idconnect.testing.dataset import DATASET, fit_to_catalogue
from idconnect.testing.strategies import HOSTILE_PIECES, NORMALISING_PIECES, filters

_LDAP_TESTS = Path(__file__).resolve().parents[2] / "plugins/ldap_store/tests"
_SQL = ("sqlite", "postgresql", "mariadb")
_LDAP = ("ldap", "ldap-plain")


@dataclass
class Tally:
    """What one store did with the filters."""

    name: str
    accounts: int = 0
    answered: int = 0
    deviations: list[tuple[str, int, list[str], list[str]]] = field(default_factory=list)
    """Filter, how many the evaluator expects, user names missing and user names extra."""
    errors: list[tuple[str, str]] = field(default_factory=list)
    refused: list[Filter] = field(default_factory=list)
    refused_with_io: int = 0


# -- data ------------------------------------------------------------------------------------


def _hostile_text(rng: random.Random) -> str:
    pieces = [*HOSTILE_PIECES, *NORMALISING_PIECES, "\u0130", "  ", "Ab", "x", "Z", "0"]
    text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 4))).strip()
    if not text or text[0] in "\u0301\u0308":
        text = "v" + text
    return text.replace("\x00", "")


def accounts(count: int, rng: random.Random) -> list[Account]:
    """The kit's data set plus generated accounts with hostile values, ``count`` in all.

    :param count: how many accounts.
    :param rng: the random source (seeded, so every store gets the same accounts).
    :returns: new accounts (no ids).
    """
    made = [seed.account for seed in DATASET][:count]
    for n in range(len(made), count):
        given = _hostile_text(rng) if rng.random() < 0.8 else None
        family = _hostile_text(rng) if rng.random() < 0.8 else None
        local = "".join(rng.choice("abcxyzK0._-+'") for _ in range(rng.randint(1, 8)))
        phone = rng.choice(["+1 555-01", "+1555-01", "+44 20 ", "555 ", "+1-555-"])
        made.append(
            Account(
                user_name=f"u{n:03d}-{_hostile_text(rng)}",
                display_name=_hostile_text(rng) if rng.random() < 0.8 else None,
                name=Name(given_name=given, family_name=family) if given or family else None,
                emails=(Email(value=f"{local}{n}@ex-{n % 7}.org"),) if rng.random() < 0.9 else (),
                phone_numbers=(PhoneNumber(value=f"{phone}{n:02d}"),) if rng.random() < 0.7 else (),
                organization=rng.choice([None, "acme", "Globex", "ﬁrm", "o'reilly"]),
            )
        )
    return made


# -- stores ------------------------------------------------------------------------------------


@dataclass
class Opened:
    """A store under test, and how to take its server away (``None``: no such check)."""

    store: idconnect.Store
    stop: Callable[[], None] | None = None


def _hub(folder: Path, name: str, settings_: dict[str, Any]) -> idconnect.Hub:
    return idconnect.connect(
        {
            "hub": {"state": f"sqlite:///{folder / f'state-{name}.db'}", "concurrency": 4},
            "stores": {name: settings_},
        }
    )


@contextmanager
def open_store(kind: str, folder: Path) -> Iterator[Opened]:
    """Start (or reach) one store's server and open a fresh, empty store on it.

    :param kind: ``sqlite``, ``postgresql``, ``mariadb``, ``ldap``, ``ldap-plain`` or ``scim2``.
    :param folder: a scratch folder.
    :returns: the store, closed (and its server stopped or its database dropped) on exit.
    """
    if kind in _SQL:
        from idconnect_sql.testing.servers import Namespaces, run_name

        namespaces = Namespaces(kind, folder, run_name())
        try:
            hub = _hub(folder, kind, {"plugin": "sql", **namespaces.fresh()})
            try:
                yield Opened(hub.store(kind))
            finally:
                hub.close()
        finally:
            namespaces.drop()
    elif kind in _LDAP:
        sys.path.insert(0, str(_LDAP_TESTS))
        from idconnect_ldap.testing import Slapd

        import conftest as ldap_fixtures  # the LDAP tests' layouts and tenants

        plain = kind == "ldap-plain"
        server = Slapd(overlays=not plain)
        if plain:
            server.load_ldif(ldap_fixtures.PLAIN_LDIF)
        server.start()
        try:
            os.environ[ldap_fixtures.PASSWORD_ENV] = server.password
            layout = "plain" if plain else "openldap"
            hub = _hub(folder, kind, ldap_fixtures.make_tenant(server, layout))
            try:
                yield Opened(hub.store(kind), stop=server.stop)
            finally:
                hub.close()
        finally:
            server.close()
    elif kind == "scim2":
        from idconnect_rest.testing.scim2 import full_config, start_server

        scim = start_server(extension=True, enterprise=True, config=full_config())
        try:
            hub = _hub(folder, kind, {"plugin": "rest", "url": scim.new_url()})
            try:
                yield Opened(hub.store(kind))
            finally:
                hub.close()
        finally:
            scim.stop()
    else:
        raise ValueError(f"unknown store kind {kind!r}")


# -- the run ---------------------------------------------------------------------------------------


def generate(
    count: int, catalogue: Any, values: dict[str, list[object]], seed: int
) -> list[Filter]:
    """``count`` filters from the kit's strategy (deterministic for a seed).

    :param count: how many.
    :param catalogue: the attributes they may use.
    :param values: sample values by path.
    :param seed: the random seed.
    :returns: bound filter trees.
    """
    found: list[Filter] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(filters(catalogue, values))
    @seed_of(seed)
    def collect(tree: Filter) -> None:
        found.append(tree)

    collect()
    return found[:count]


def run_store(opened: Opened, name: str, trees: list[Filter], data: list[Account]) -> Tally:
    """Load the accounts, run the filters, and tally the answers against the evaluator.

    :param opened: the store.
    :param name: its label.
    :param trees: the filters.
    :param data: the accounts to create.
    :returns: the tally.
    """
    store = opened.store
    tally = Tally(name)
    result = store.create_accounts(
        [fit_to_catalogue(a, store.catalogue) for a in data], reason="differential run"
    )
    held = {a.id: a for a in store.iter_accounts(page_size=500) if a.id}
    tally.accounts = len(held)
    names = {i: a.user_name for i, a in held.items()}
    if len(result.failed):
        print(f"  {name}: {len(result.failed)} accounts refused, e.g. {result.failed[0].error}")
    for tree in trees:
        try:
            bound = bind(tree, store.catalogue)
            found = [a.id for a in store.iter_accounts(bound, page_size=50)]
        except UnsupportedFilter:
            tally.refused.append(tree)
            continue
        except Exception as exc:  # everything else is an error to report
            tally.errors.append((to_text(tree), f"{type(exc).__name__}: {exc}"))
            continue
        tally.answered += 1
        expected = {i for i, a in held.items() if evaluate(bound, a, store.catalogue)}
        if set(found) != expected or len(found) != len(set(found)):
            got = set(found)
            tally.deviations.append(
                (
                    to_text(tree),
                    len(expected),
                    sorted(names[i] for i in expected - got),
                    sorted(names.get(i or "", "?") for i in got - expected),
                )
            )
    if opened.stop is not None and tally.refused:
        opened.stop()
        for tree in tally.refused:
            try:
                store.search_accounts(bind(tree, store.catalogue))
            except UnsupportedFilter:
                continue
            except Exception:
                tally.refused_with_io += 1
                continue
            tally.refused_with_io += 1
    return tally


def main() -> int:
    """Run the differential comparison; print the per-store table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=300)
    parser.add_argument("--filters", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--stores", default="sqlite,postgresql,mariadb,ldap,ldap-plain,scim2")
    parser.add_argument("--show", type=int, default=5)
    args = parser.parse_args()
    kinds = args.stores.split(",")
    data = accounts(args.accounts, random.Random(args.seed))
    tallies: list[Tally] = []
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        opened = {kind: stack.enter_context(open_store(kind, folder)) for kind in kinds}
        common = [
            d.path
            for d in USER_CATALOGUE
            if all(d.path in o.store.catalogue for o in opened.values())
        ]
        catalogue = USER_CATALOGUE.only(common)
        values: dict[str, list[object]] = {}
        for account in data:
            for path in common:
                values.setdefault(path, []).extend(values_at(account, path))
        trees = generate(args.filters, catalogue, values, args.seed)
        print(f"{len(data)} accounts, {len(trees)} filters over {len(common)} common attributes")
        for kind in kinds:
            print(f"  running {kind}...", flush=True)
            try:
                tallies.append(run_store(opened[kind], kind, trees, data))
            except Exception:
                traceback.print_exc()
                tallies.append(Tally(kind, errors=[("(the run)", "crashed")]))
    header = ("store", "accounts", "answered", "deviations", "errors", "refused", "refused+I/O")
    print(" ".join(f"{h:>11}" for h in header))
    for t in tallies:
        row = (t.name, t.accounts, t.answered, len(t.deviations), len(t.errors), len(t.refused))
        cells = [*row, t.refused_with_io if t.name in _LDAP else "-"]
        print(" ".join(f"{c:>11}" for c in cells))
    for t in tallies:
        for text, expected, missing, extra in t.deviations[: args.show]:
            print(f"{t.name} DEVIATION {text[:120]!r} (evaluator: {expected} accounts)")
            print(f"  missing {len(missing)}: {missing[:6]}\n  extra {len(extra)}: {extra[:6]}")
        for text, error in t.errors[: args.show]:
            print(f"{t.name} ERROR {text!r}: {error}")
    bad = [
        t.name
        for t in tallies
        if (t.name in _SQL and (t.deviations or t.errors))
        or (t.name in _LDAP and (t.deviations or t.errors or t.refused_with_io))
    ]
    print("failing:", ", ".join(bad) if bad else "none")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
