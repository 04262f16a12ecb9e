"""idconnect-json-store: an example third-party idconnect backend keeping accounts in a JSON file.

Configure a store with ``plugin = "json"`` and ``path = "accounts.json"``. See README.md for how
it is built; :mod:`idconnect_json_store.plugin` holds the backend.
"""

from idconnect_json_store.plugin import JsonStore

__all__ = ["JsonStore"]
