"""What a store will send for a search, and whether it would scan the whole store.

A backend's ``idconnect_explain_search`` hook answers an :class:`Explanation`: the native query
(SQL with bound parameter names, an LDAP filter with its bases and scopes, SCIM filter text),
which parts of the filter the store answers natively and which the backend re-checks locally,
and, where the store has a planner, its plan summary. The facade's scan guard
(:mod:`idconnect.core.facade.explain`) refuses a search whose explanation says it would scan a
store larger than the store's ``scan_threshold`` setting.
"""

from __future__ import annotations

from attrs import frozen

from idconnect.core.config import StoreConfig

__all__ = ["MAX_SCAN_THRESHOLD", "Explanation", "read_scan_threshold"]

MAX_SCAN_THRESHOLD = 1_000_000_000
"""The largest ``scan_threshold`` a store may set."""


@frozen(kw_only=True)
class Explanation:
    """How one store would answer one search, without running it.

    ``full_scan`` is the backend's verdict: ``True`` when no usable index narrows the search
    (every account is read), ``False`` when one does, ``None`` when the backend cannot tell.
    """

    store: str
    """The configured store name."""
    backend: str
    """The kind of store, e.g. ``sql (postgresql)``, ``ldap``, ``rest``."""
    native: str
    """What the backend sends: SQL text with bound parameter names, an LDAP filter, SCIM text."""
    parameters: tuple[str, ...] = ()
    """The names of the bound parameters in ``native`` (never their values)."""
    target: tuple[str, ...] = ()
    """Where the query runs: a table, LDAP bases with their scope, an endpoint."""
    natively: tuple[str, ...] = ()
    """The parts of the filter the store itself answers."""
    rechecked: tuple[str, ...] = ()
    """The parts the backend re-checks locally with the reference evaluator."""
    plan: tuple[str, ...] = ()
    """The database's plan summary, one line per step (empty without a planner)."""
    full_scan: bool | None = None
    """Whether the search reads every account (``None``: unknown)."""
    scan_cause: str | None = None
    """Why it would scan (e.g. ``co on unindexed attribute 'o'``), when ``full_scan``."""
    indexes: tuple[str, ...] = ()
    """The indexes the plan uses."""
    over_threshold: bool | None = None
    """Whether the store holds more accounts than the threshold asked about (``None``: not
    asked or unknown)."""

    def __str__(self) -> str:
        """Render the explanation for a support engineer, one fact per line."""
        lines = [f"store {self.store!r} ({self.backend})", f"sends: {self.native}"]
        if self.parameters:
            lines.append(f"bound parameters: {', '.join(self.parameters)}")
        lines += [f"on: {t}" for t in self.target]
        lines += [f"answered natively: {p}" for p in self.natively]
        lines += [f"re-checked locally: {p}" for p in self.rechecked]
        if self.plan:
            lines.append("plan:")
            lines += [f"  {step}" for step in self.plan]
        if self.indexes:
            lines.append(f"indexes: {', '.join(self.indexes)}")
        if self.full_scan is None:
            lines.append("full scan: unknown")
        elif self.full_scan:
            lines.append(f"full scan: yes ({self.scan_cause or 'no usable index'})")
        else:
            lines.append("full scan: no")
        return "\n".join(lines)


def read_scan_threshold(config: StoreConfig) -> int | None:
    """Read a store's ``scan_threshold`` setting.

    :param config: the store's settings.
    :returns: the number of accounts above which a full scan is refused, or ``None`` (the
        default: never refused).
    :raises ConfigError: when the value is not a whole number from 0 to 1,000,000,000.
    """
    value = config.get("scan_threshold", int)
    if value is not None and not 0 <= value <= MAX_SCAN_THRESHOLD:
        raise config.error("scan_threshold", f"must be from 0 to {MAX_SCAN_THRESHOLD}")
    return value
