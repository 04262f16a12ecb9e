"""idconnect backend for SCIM 2.0 servers: store type ``rest``.

Configure it with ``plugin = "rest"`` and ``url = "https://scim.example.com/v2"``; see
:class:`idconnect_rest.settings.RestSettings` for every setting and ``README.md`` for what the
store checks of the server's answers.
"""

from idconnect_rest.backend import RestBackend, RestStore

__all__ = ["RestBackend", "RestStore"]
