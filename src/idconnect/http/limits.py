"""The hard limits of the HTTP service; each one exceeded is a clear 4xx, never a 5xx."""

from __future__ import annotations

from attrs import frozen

__all__ = ["Limits"]


@frozen(kw_only=True)
class Limits:
    """How much one request may ask of the service.

    Every field has a safe default; ``create_app(hub, limits=Limits(max_count=200))`` tightens
    one of them.
    """

    max_body_bytes: int = 1_048_576
    """A request body larger than this is refused with 413 before it is parsed."""
    max_filter_length: int = 4096
    """A SCIM filter longer than this (characters) is refused with 400 ``invalidFilter``."""
    max_filter_depth: int = 16
    """A SCIM filter nested deeper than this (``and``/``or``/``not``/brackets) is refused."""
    max_filter_terms: int = 64
    """A SCIM filter with more comparisons than this is refused with 400 ``invalidFilter``."""
    max_count: int = 1000
    """A page never holds more; a larger ``count`` is refused with 400 ``tooMany``."""
    max_bulk_operations: int = 100
    """A Bulk request with more operations is refused with 413 (advertised as ``maxOperations``)."""
    max_bulk_payload: int = 1_048_576
    """A Bulk request body larger than this is refused with 413 (``maxPayloadSize``)."""
    threads: int = 16
    """At most this many blocking facade calls run at once in one process."""

    def __attrs_post_init__(self) -> None:
        for name in (
            "max_body_bytes",
            "max_filter_length",
            "max_filter_depth",
            "max_filter_terms",
            "max_count",
            "max_bulk_operations",
            "max_bulk_payload",
            "threads",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"Limits.{name} must be 1 or more")
