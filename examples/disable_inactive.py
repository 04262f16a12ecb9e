"""Disable accounts whose last login is older than N days.

    python examples/disable_inactive.py --store customers --days 365 --dry-run
    python examples/disable_inactive.py --store customers --days 365 --reason "dormant, policy 7"

Uses the filter ``lastLogin lt "<cutoff>" and active eq true`` (built with ``idconnect.attr`` so
the date is bound, not pasted into text); ``--include-never`` also takes accounts that never
logged in and were created before the cutoff.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta

import idconnect
from idconnect import attr
from idconnect.core.filter import Filter


def inactive_filter(cutoff: datetime, include_never: bool) -> Filter:
    """Build the filter for enabled accounts not seen since ``cutoff``."""
    stale = attr("lastLogin").lt(cutoff)
    if include_never:
        stale = stale | (~attr("lastLogin").pr() & attr("meta.created").lt(cutoff))
    return stale & attr("active").eq(True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", help="hub config (TOML); default $IDCONNECT_CONFIG or the embedded store"
    )
    parser.add_argument("--store", default="default")
    parser.add_argument(
        "--days", type=int, required=True, help="inactive for more than this many days"
    )
    parser.add_argument(
        "--include-never",
        action="store_true",
        help="also accounts that never logged in, created before the cutoff",
    )
    parser.add_argument("--dry-run", action="store_true", help="list the accounts, change nothing")
    parser.add_argument("--reason", help="why (required unless --dry-run)")
    args = parser.parse_args()
    if not args.dry_run and not args.reason:
        parser.error("--reason is required unless --dry-run")

    cutoff = datetime.now(UTC) - timedelta(days=args.days)
    with idconnect.connect(args.config) as hub:
        store = hub.store(args.store)
        found = list(store.iter_accounts(inactive_filter(cutoff, args.include_never)))
        print(f"{len(found)} account(s) inactive since {cutoff:%Y-%m-%d} in store {store.name!r}")
        if args.dry_run:
            for account in found:
                last = f"{account.last_login:%Y-%m-%d}" if account.last_login else "never"
                print(f"would disable {account.id} {account.user_name} (last login {last})")
            return 0
        result = store.disable_accounts([a.id for a in found if a.id], reason=args.reason)
        for outcome in result.outcomes:
            print(
                f"{outcome.account_id}: {'disabled' if outcome.ok else f'FAILED: {outcome.error}'}"
            )
        print(f"{len(result.succeeded)} disabled, {len(result.failed)} failed")
        return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
