"""idconnect backend for LDAP directories: OpenLDAP (ppolicy) and Active Directory profiles.

Configure a store with ``plugin = "ldap"``; see :mod:`idconnect_ldap.settings` for the keys.
"""

__all__: list[str] = []
