"""The conformance kit: a shared test suite every idconnect backend must pass.

Opt in from a plugin's tests::

    import pytest
    from idconnect.testing import ConformanceSuite

    class TestMyStore(ConformanceSuite):
        @pytest.fixture(scope="class")
        @classmethod
        def make_store(cls):
            def factory():            # a fresh, empty store each call
                ...
            return factory

See :mod:`idconnect.testing.suite` for what is checked. The kit needs pytest and hypothesis;
they are imported only when a name below is used, so the in-memory store
(:mod:`idconnect.testing.memory_store`) loads without them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ConformanceSuite", "require_server"]


def __getattr__(name: str) -> Any:
    if name == "ConformanceSuite":
        from idconnect.testing.suite import ConformanceSuite

        return ConformanceSuite
    if name == "require_server":
        from idconnect.testing.servers import require_server

        return require_server
    raise AttributeError(f"module 'idconnect.testing' has no attribute {name!r}")
