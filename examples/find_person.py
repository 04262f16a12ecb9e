"""Find a person by email address in every configured store.

    python examples/find_person.py ann@example.com [--config hub.toml]

Stores that cannot search (or cannot search by email) are skipped, and the script says so.
"""

from __future__ import annotations

import argparse

import idconnect
from idconnect import IdconnectError, NotSupported, UnsupportedFilter, attr


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("email")
    parser.add_argument(
        "--config", help="hub config (TOML); default $IDCONNECT_CONFIG or the embedded store"
    )
    args = parser.parse_args()

    found = 0
    with idconnect.connect(args.config) as hub:
        for name in hub.stores:
            store = hub.store(name)
            try:
                if "search_accounts" not in store.capabilities:
                    print(f"{name}: skipped (this store cannot search)")
                    continue
                if "emails.value" not in store.catalogue:
                    print(f"{name}: skipped (this store holds no email addresses)")
                    continue
                page = store.search_accounts(attr("emails.value").eq(args.email), count=10)
            except (NotSupported, UnsupportedFilter) as exc:
                print(f"{name}: skipped ({exc.message})")
                continue
            except IdconnectError as exc:
                print(f"{name}: error: {exc}")
                continue
            for account in page.items:
                found += 1
                status = "enabled" if account.active else "disabled"
                print(f"{name}: {account.id} {account.user_name} ({status})")
            if not page.items:
                print(f"{name}: no match")
    return 0 if found else 1


if __name__ == "__main__":
    raise SystemExit(main())
