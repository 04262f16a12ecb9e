"""idconnect backend for SCIM 2.0 servers: store type ``rest``.

Configure it with ``plugin = "rest"`` and ``url = "https://scim.example.com/v2"``; see
:class:`idconnect_rest.settings.RestSettings` for every setting and ``README.md`` for what the
store checks of the server's answers.
"""

from typing import TYPE_CHECKING

from idconnect.backend import lazy_exports

if TYPE_CHECKING:
    from idconnect_rest.backend import RestBackend, RestStore

__all__ = ["RestBackend", "RestStore"]

__getattr__ = lazy_exports(
    {
        "RestBackend": "idconnect_rest.backend:RestBackend",
        "RestStore": "idconnect_rest.backend:RestStore",
    }
)
