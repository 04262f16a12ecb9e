"""idconnect backend for SCIM 2.0 servers: store type ``rest``.

Configure it with ``plugin = "rest"`` and ``url = "https://scim.example.com/v2"``; see
:class:`idconnect_rest.settings.RestSettings` for every setting.
"""

from idconnect_rest.backend import RestStore

__all__ = ["RestStore"]
