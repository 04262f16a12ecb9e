"""Connect a hub from a TOML file, search with a filter, disable two accounts, print the audit.

Run it from anywhere: ``python examples/connect_and_disable.py`` (uses examples/hub.toml).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import idconnect
from idconnect import attr

HERE = Path(__file__).resolve().parent

CUSTOMERS = [
    {"userName": "ann", "emails": [{"value": "ann@shop.example", "verified": True}]},
    {"userName": "bob", "emails": [{"value": "bob@fraud.example"}]},
    {"userName": "cid", "emails": [{"value": "cid@fraud.example"}]},
    {"userName": "dee", "emails": [{"value": "dee@shop.example"}]},
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default=str(HERE / "hub.toml"), help="hub config (TOML)")
    parser.add_argument("--store", default="customers")
    args = parser.parse_args()

    with idconnect.connect(args.config) as hub, hub.acting_as("example-script"):
        store = hub.store(args.store)
        for doc in CUSTOMERS:  # the memory store starts empty; a real store has its customers
            store.create_account(doc, reason="example data")

        # The same filter as text: 'emails.value ew "@fraud.example" and active eq true'
        suspects = store.search_accounts(
            attr("emails.value").ew("@fraud.example") & attr("active").eq(True),
            sort_by="userName",
        ).items
        print("found:", ", ".join(a.user_name for a in suspects))

        result = store.disable_accounts(
            [a.id for a in suspects[:2] if a.id], reason="ticket 4711: card fraud"
        )
        for outcome in result.outcomes:
            print(f"disable {outcome.account_id}: {'ok' if outcome.ok else outcome.error}")

        print("audit trail:")
        for event in store.events(action="disable_account"):
            print(
                f"  {event.at:%H:%M:%S} {event.actor} {event.action} {event.account_id}"
                f" {event.outcome} reason={event.reason!r}"
            )
        return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
