"""The conformance kit: a shared test suite every idconnect backend must pass.

Opt in from a plugin's tests::

    import pytest
    from idconnect.testing import ConformanceSuite

    class TestMyStore(ConformanceSuite):
        @pytest.fixture(scope="class")
        def make_store(self):
            def factory():            # a fresh, empty store each call
                ...
            return factory

See :mod:`idconnect.testing.suite` for what is checked.
"""

from idconnect.testing.servers import require_server

__all__ = ["require_server"]
