"""The conformance suite: what every idconnect backend must do, checked through the facade.

Subclass :class:`ConformanceSuite` (or single suites such as :class:`FilterSuite`) in a test
module, declare ``expected_capabilities`` and provide ``make_store``: a class-scoped fixture
returning a zero-argument callable that gives a fresh, empty :class:`~idconnect.Store`::

    class TestMyStore(ConformanceSuite):
        expected_capabilities = frozenset({"get_account", "search_accounts", "create_account"})

        @pytest.fixture(scope="class")
        @classmethod
        def make_store(cls):
            return lambda: idconnect.connect(CONFIG).store("mine")

Read-only tests seed the canonical data set (:mod:`idconnect.testing.dataset`) once per class;
mutating tests take a fresh store each. One module per operation family: :mod:`.accounts`,
:mod:`.filters`, :mod:`.paging`, :mod:`.sorting`, :mod:`.bulk`, :mod:`.groups`, :mod:`.roles`,
:mod:`.credentials`, :mod:`.sessions`, :mod:`.verification`, :mod:`.consents`,
:mod:`.activity`, :mod:`.attributes`; :mod:`.base` holds what they share.

Capabilities:

- ``test_declared_capabilities`` fails unless the store's capabilities are exactly the suite's
  ``expected_capabilities`` (a backend that silently loses or gains a hook fails);
- a test needing an operation the store lacks is skipped, with the reason
  ``store NAME lacks OPERATION``;
- ``test_every_missing_capability_raises_not_supported`` calls each operation the store lacks
  through the facade (:data:`KIT_CALLS`, one entry per operation, bulk forms through their single
  operation) and asserts ``NotSupported`` naming the store; it also fails when an operation of
  the hook specs has no entry in :data:`KIT_CALLS`.

Search results are compared with the reference evaluator (:func:`idconnect.core.filter.evaluate`)
applied to the accounts as the store itself returns them, so a store is judged on its query
translation, not on data it cannot hold.

The verification suite needs a configured verification policy: connect the stores under test
with ``"verification": KIT_VERIFICATION`` in the config. The custom attribute suite runs where
the backend's kit overrides ``make_custom_store`` with stores declaring ``KIT_ATTRIBUTES``.

Optional fixtures a backend may override (both default to ``None``):

- ``seed_sessions``: ``(store, account_id) -> list[str]`` inserts two sessions natively and
  returns their ids; for stores that keep sessions.
- ``seed_failed_attempts``: ``(store, account_id, password, otp) -> None`` sets the counters
  natively, as failed logins would.
"""

from __future__ import annotations

from idconnect.testing.suite.accounts import AccountSuite
from idconnect.testing.suite.activity import ActivitySuite
from idconnect.testing.suite.attributes import KIT_ATTRIBUTES, CustomAttributeSuite
from idconnect.testing.suite.base import REASON, BaseSuite, SeededStore, needs
from idconnect.testing.suite.bulk import BulkSuite
from idconnect.testing.suite.calls import KIT_CALLS, uncovered_operations
from idconnect.testing.suite.consents import ConsentSuite
from idconnect.testing.suite.credentials import AuthenticatorSuite
from idconnect.testing.suite.filters import HANDWRITTEN_FILTERS, FilterSuite
from idconnect.testing.suite.groups import GroupSuite
from idconnect.testing.suite.paging import PagingSuite
from idconnect.testing.suite.roles import RoleSuite
from idconnect.testing.suite.sessions import SessionSuite
from idconnect.testing.suite.sorting import SortingSuite
from idconnect.testing.suite.verification import KIT_VERIFICATION, VerificationSuite

__all__ = [
    "HANDWRITTEN_FILTERS",
    "KIT_ATTRIBUTES",
    "KIT_CALLS",
    "KIT_VERIFICATION",
    "REASON",
    "AccountSuite",
    "ActivitySuite",
    "AuthenticatorSuite",
    "BaseSuite",
    "BulkSuite",
    "ConformanceSuite",
    "ConsentSuite",
    "CustomAttributeSuite",
    "FilterSuite",
    "GroupSuite",
    "PagingSuite",
    "RoleSuite",
    "SeededStore",
    "SessionSuite",
    "SortingSuite",
    "VerificationSuite",
    "needs",
    "uncovered_operations",
]


class ConformanceSuite(
    AccountSuite,
    FilterSuite,
    PagingSuite,
    SortingSuite,
    BulkSuite,
    GroupSuite,
    RoleSuite,
    AuthenticatorSuite,
    SessionSuite,
    VerificationSuite,
    ConsentSuite,
    ActivitySuite,
    CustomAttributeSuite,
):
    """Every suite at once: subclass it, declare ``expected_capabilities``, give ``make_store``."""
