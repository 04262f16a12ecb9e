"""Constructors of models from values the store itself wrote, without re-validating them.

The attrs ``__init__`` of the models runs converters (lists to tuples) and validators (non-empty
names, aware instants) on every call. Rows of the managed tables hold only values idconnect
validated when it wrote them, read back through typed columns (instants come back aware from
:class:`idconnect_sql.types.UtcDateTime`), so building the models of a page from them needs
neither: :func:`trusted` makes a constructor that sets the slots directly. Callers pass every
field, tuples for the multi-valued ones.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import attrs

__all__ = ["trusted"]

T = TypeVar("T")


def trusted(cls: type[T], positional: Sequence[str] = ()) -> Callable[..., T]:
    """Make a constructor of an attrs class that skips converters and validators.

    :param cls: a frozen, slotted attrs class (the models of :mod:`idconnect.backend`).
    :param positional: every field's name, in the order the constructor takes them by position
        (a call with eighteen keywords took twice as long); empty for keyword-only fields.
    :returns: a function taking every field and returning the instance.
    :raises TypeError: when ``positional`` does not name every field exactly once.
    """
    names = [field.name for field in attrs.fields(cls)]  # type: ignore[arg-type]
    if positional and sorted(positional) != sorted(names):
        raise TypeError(f"{cls.__name__} has the fields {names}, not {list(positional)}")
    scope: dict[str, Any] = {"new": object.__new__, "cls": cls}
    scope.update({f"set_{name}": cls.__dict__[name].__set__ for name in names})
    body = "".join(f"    set_{name}(obj, {name})\n" for name in names)
    parameters = ", ".join(positional) if positional else f"*, {', '.join(names)}"
    source = f"def build({parameters}):\n    obj = new(cls)\n{body}    return obj\n"
    exec(compile(source, f"<trusted {cls.__name__}>", "exec"), scope)
    build: Callable[..., T] = scope["build"]
    return build
