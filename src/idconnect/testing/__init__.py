"""The conformance kit: a shared test suite every idconnect backend must pass.

Opt in from a plugin's tests::

    import pytest
    from idconnect.testing import ConformanceSuite

    class TestMyStore(ConformanceSuite):
        expected_capabilities = frozenset({"get_account", "search_accounts", "create_account"})

        @pytest.fixture(scope="class")
        @classmethod
        def make_store(cls):
            def factory():            # a fresh, empty store each call
                ...
            return factory

``expected_capabilities`` is required: ``test_declared_capabilities`` fails when the store's
capabilities differ from it, so a backend that silently loses (or gains) a hook fails its kit.
A test needing an operation the store lacks is skipped with the reason ``store NAME lacks
OPERATION``, while ``test_every_missing_capability_raises_not_supported`` asserts that calling
each lacking operation raises ``NotSupported`` naming the store (one facade call per operation:
:data:`idconnect.testing.suite.KIT_CALLS`). See :mod:`idconnect.testing.suite` for what is
checked, one module per operation family.

Or run the kit against a store of a config, with no test module at all (the ``pytest11`` plugin
:mod:`idconnect.testing.plugin`, or ``-p idconnect.testing.plugin``; one command line)::

    pytest --idconnect-store NAME --idconnect-config idconnect.toml
           --idconnect-capabilities get_account,search_accounts,create_account

The store must be disposable: every ``{kit}`` in its settings becomes a token unique to each
connection (``path = "/tmp/kit-{kit}.json"``), and a store that is not empty is refused.

The kit needs pytest and hypothesis; they are imported only when a name below is used, so the
in-memory store (:mod:`idconnect.testing.memory_store`) loads without them.
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
