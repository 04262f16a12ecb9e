"""Test servers for the ``rest`` store: scim2-server (:mod:`.scim2`) and a hostile SCIM server."""
