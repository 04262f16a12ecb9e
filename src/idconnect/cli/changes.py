"""``--set ATTR=VALUE`` of ``accounts update``: parsing, and what the CLI refuses to lose."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

import click

from idconnect.core.errors import InvalidInput
from idconnect.core.model import Account
from idconnect.core.schema import AttributeDef, AttrType

__all__ = ["OneLineBadParameter", "parse_assignment", "refuse_losing_verified_email"]


class OneLineBadParameter(click.BadParameter):
    """A bad option value reported in one line, without the command's usage block."""

    def show(self, file: IO[Any] | None = None) -> None:
        """Print ``Error: ...`` on stderr (or ``file``)."""
        click.ClickException.show(self, file)


def parse_assignment(
    text: str, custom: Mapping[str, AttributeDef] | None = None
) -> tuple[str, Any]:
    """Split one ``--set ATTR=VALUE``; VALUE is JSON when it parses, else the text itself.

    A JSON number or boolean is kept as text (``--set displayName=2024`` means the text), except
    for a custom attribute of a number or boolean type (``--set points=41``).

    :param text: ``ATTR=VALUE``.
    :param custom: the store's custom attributes by lower-cased name.
    :returns: the attribute and its value.
    :raises click.BadParameter: without ``=`` or with an empty attribute (shown as one line,
        without the usage block).
    """
    attribute, sep, raw = text.partition("=")
    if not sep or not attribute.strip():
        raise OneLineBadParameter(f"expected ATTR=VALUE, got {text!r}", param_hint="--set")
    try:
        value: Any = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    definition = (custom or {}).get(attribute.strip().lower())
    typed = definition is not None and definition.type in _TYPED
    if isinstance(value, bool | int | float) and not typed:
        value = raw
    return attribute.strip(), value


_TYPED = (AttrType.INTEGER, AttrType.DECIMAL, AttrType.BOOLEAN)
"""Custom attribute types whose ``--set`` values are JSON numbers or booleans."""


def refuse_losing_verified_email(
    account: Account, changes: Mapping[str, Any], *, store: str
) -> None:
    """Refuse an ``emails`` change that drops the account's verified primary address.

    :param account: the account as it is.
    :param changes: the ``--set`` changes (canonical JSON).
    :param store: the store, for the error.
    :raises InvalidInput: when the verified primary address would no longer be there, verified
        and primary (``--force`` allows it).
    """
    key = next((k for k in changes if k.lower() == "emails"), None)
    kept = next((e for e in account.emails if e.primary and e.verified), None)
    if key is None or kept is None:
        return
    new = changes[key] if isinstance(changes[key], list) else []
    still = any(
        isinstance(e, Mapping)
        and isinstance(e.get("value"), str)
        and e["value"].lower() == kept.value.lower()
        and e.get("primary") is True
        and e.get("verified") is True
        for e in new
    )
    if not still:
        raise InvalidInput(
            f"the change drops the verified primary email {kept.value!r} (it would be lost or"
            " no longer verified and primary); keep it in the list, or add --force",
            store=store,
            account=account.id,
            attribute="emails",
        )
