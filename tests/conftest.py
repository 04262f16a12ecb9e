"""Shared fixtures of the core tests, and hypothesis' CI profile.

Under ``CI=true`` (:func:`idconnect.testing.servers.in_ci`) hypothesis runs with the ``ci``
profile (hypothesis' own, derandomized, made explicit here): no per-example deadline and no
``too_slow`` health check, which a loaded 2-core machine fails although nothing is wrong.
Elsewhere the ``default`` profile, also when ``CI`` is set to something else (hypothesis would
pick its ``ci`` profile for any value).
"""

from hypothesis import HealthCheck, settings

from idconnect.testing.servers import in_ci

pytest_plugins = ["pytester"]

settings.register_profile(
    "ci",
    settings.get_profile("ci"),
    suppress_health_check=[HealthCheck.too_slow],
    deadline=None,
)
settings.load_profile("ci" if in_ci() else "default")
