"""idconnect backend for LDAP directories: OpenLDAP, 389-DS-like and AD-like directories.

Configure a store with ``plugin = "ldap"``; every setting, what each feature needs from the
directory (with or without overlays) and worked configs are in the plugin's ``README.md``.
"""

__all__: list[str] = []
