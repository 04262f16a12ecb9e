"""The facade: ``connect()`` gives a Hub; ``hub.store(name)`` gives a Store with every operation.

Support tools, the CLI, the HTTP service, examples and tests call only this. A Store checks every
user-supplied value, refuses an operation its backend lacks with ``NotSupported`` before any I/O,
passes a :class:`~idconnect.core.context.CallContext` to the backend through its own plugin
manager, and makes sure that what escapes is an :class:`~idconnect.core.errors.IdconnectError`
naming the store and the account.

The package, by job: :mod:`.hub` (connect, the hub), :mod:`.calls` (per-call plumbing),
:mod:`.bulk` (the one bulk engine), :mod:`.checks` (input checks), and one module per operation
family — :mod:`.accounts`, :mod:`.groups`, :mod:`.roles`, :mod:`.credentials`,
:mod:`.sessions`, :mod:`.activity` — joined in :class:`~.store.Store`.
"""

from idconnect.core.facade.hub import Hub, connect
from idconnect.core.facade.store import Store

__all__ = ["Hub", "Store", "connect"]
