"""Wrapper hook implementations generated from operation metadata (audit, permissions).

A built-in cross-cutting plugin does not write one wrapper per operation by hand: it passes one
*shape* (what to do around any operation, given the call's arguments) to :func:`generate`, once
per operation of :data:`~idconnect.core.operations.OPERATIONS`, and sets the results as its
``idconnect_<operation>`` attributes.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable, Generator, Mapping
from typing import Any

import pluggy

from idconnect.core.hookspecs import PROJECT
from idconnect.core.operations import Operation

__all__ = ["Shape", "Wrapped", "generate"]

_impl = pluggy.HookimplMarker(PROJECT)

Wrapped = Generator[None, Any, Any]
"""A new-style pluggy wrapper: yields once to the inner implementations, returns the result."""

Shape = Callable[[Operation, Mapping[str, Any]], Wrapped]
"""What a wrapper does around one call: given the operation and the call's keyword arguments."""


def generate(op: Operation, shape: Shape, *, owner: str, **opts: Any) -> Callable[..., Wrapped]:
    """Build the wrapper of one operation: a generator function with the spec's argument names.

    pluggy passes an implementation the arguments its code object names, so the wrapper is
    compiled from a two-line template over the spec's own (checked) argument names.

    :param op: the operation (its spec must be set).
    :param shape: what the wrapper does, ``shape(op, arguments)``.
    :param owner: who generates it, for the wrapper's name in tracebacks (``audit``).
    :param opts: further ``hookimpl`` options (``tryfirst=True``).
    :returns: the ``hookimpl(wrapper=True)`` function.
    :raises TypeError: when an argument name of the spec is not a plain identifier.
    """
    assert op.spec is not None
    signature = inspect.signature(op.spec)
    names = tuple(signature.parameters)
    for name in names:
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise TypeError(f"{op.hook}: argument {name!r} cannot be wrapped")
    listed = ", ".join(names)
    namespace: dict[str, Any] = {"_shape": shape, "_op": op, "_names": names}
    source = (
        f"def {op.hook}({listed}):\n"
        f"    return (yield from _shape(_op, dict(zip(_names, ({listed},)))))\n"
    )
    exec(compile(source, f"<{owner} wrapper of {op.hook}>", "exec"), namespace)
    wrapper: Callable[..., Wrapped] = namespace[op.hook]
    wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
        return_annotation=Wrapped
    )
    wrapper.__doc__ = f"{owner.capitalize()} ``{op.name}`` (generated from its operation metadata)."
    wrapper.__module__ = __name__
    marked: Callable[..., Wrapped] = _impl(wrapper=True, **opts)(wrapper)
    return marked
