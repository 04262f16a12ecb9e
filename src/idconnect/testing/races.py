"""Two writers racing on one store: lost updates and case-variant duplicates, counted.

:func:`update_races` has two threads update the same account with the same ``expected_version``
at the same instant; exactly one may succeed, the other must get ``Conflict``. Both succeeding
is a lost update. :func:`create_races` has two threads create ``race-N`` and ``RACE-n`` at the
same instant; exactly one may succeed. Both succeeding is a duplicate (userName is unique
ignoring case). Anything else (neither succeeding, another error, a final state that is not the
winner's) is counted too. Through the facade, so it races any backend: the sql and ldap race
tests use it with few rounds, ``benchmarks/sql_races.py`` with the full counts.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from attrs import define, field

from idconnect import Conflict, IdconnectError, Store

__all__ = ["RaceTally", "create_races", "update_races"]

REASON = "write race test"


@define
class RaceTally:
    """What the rounds of one race ended with."""

    rounds: int = 0
    one_winner: int = 0
    """Rounds where exactly one writer succeeded and the other got ``Conflict``."""
    both_won: int = 0
    """Lost updates (update races) or duplicates (create races)."""
    none_won: int = 0
    wrong_state: int = 0
    """Rounds where the store's state afterwards is not the winner's."""
    errors: list[str] = field(factory=list)
    """Errors other than ``Conflict``, as ``Type: message``."""

    @property
    def clean(self) -> bool:
        """Whether every round had exactly one winner, the winner's state and no other error."""
        return self.one_winner == self.rounds and self.wrong_state == 0 and not self.errors

    def line(self, label: str) -> str:
        """Return a one-line summary, e.g. for the benchmark's output."""
        return (
            f"{label}: rounds={self.rounds} one_winner={self.one_winner}"
            f" both_won={self.both_won} none_won={self.none_won}"
            f" wrong_state={self.wrong_state} errors={len(self.errors)}"
        )


def _race(call: Callable[[str], Any], values: tuple[str, str]) -> list[Any]:
    """Run ``call(value)`` for both values in two threads released together.

    :returns: each call's result, or its error.
    """
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = call(values[i])
        except IdconnectError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _count(tally: RaceTally, results: list[Any]) -> list[int]:
    """Add one round's results to the tally; return the indexes of the winners."""
    tally.rounds += 1
    winners = [i for i, r in enumerate(results) if not isinstance(r, IdconnectError)]
    losers = [r for r in results if isinstance(r, IdconnectError)]
    tally.errors += [f"{type(e).__name__}: {e}" for e in losers if not isinstance(e, Conflict)]
    if len(winners) == 2:
        tally.both_won += 1
    elif not winners:
        tally.none_won += 1
    elif all(isinstance(e, Conflict) for e in losers):
        tally.one_winner += 1
    return winners


def _update(store: Store, account_id: str, version: str | None, family_name: str) -> Any:
    return store.update_account(
        account_id, {"name.familyName": family_name}, expected_version=version, reason=REASON
    )


def _create(store: Store, user_name: str) -> Any:
    return store.create_account({"userName": user_name}, reason=REASON)


def update_races(store: Store, rounds: int) -> RaceTally:
    """Race two updates of one account with the same ``expected_version``, ``rounds`` times.

    :param store: an empty or populated store that can create and update accounts.
    :param rounds: how many races.
    :returns: the tally.
    """
    account_id = store.create_account({"userName": "update.race"}, reason=REASON).id
    assert account_id is not None
    tally = RaceTally()
    for n in range(rounds):
        names = (f"first-{n}", f"second-{n}")
        update = functools.partial(
            _update, store, account_id, store.get_account(account_id).version
        )
        results = _race(update, names)
        winners = _count(tally, results)
        now = store.get_account(account_id)
        family = now.name.family_name if now.name else None
        if len(winners) == 1 and family != names[winners[0]]:
            tally.wrong_state += 1
    return tally


def create_races(store: Store, rounds: int) -> RaceTally:
    """Race two creates of userNames differing only in case, ``rounds`` times.

    :param store: a store that can create and search accounts.
    :param rounds: how many races.
    :returns: the tally.
    """
    tally = RaceTally()
    for n in range(rounds):
        names = (f"dup-user-{n}", f"DUP-User-{n}")
        results = _race(functools.partial(_create, store), names)
        winners = _count(tally, results)
        held = store.search_accounts(f'userName eq "{names[0]}"', count=10).items
        if len(held) != len(winners):
            tally.wrong_state += 1
    return tally
