"""The Attributes tab: the store's visible attributes, the editable ones as one form.

The form carries the account's version: a change made meanwhile by someone else makes the
update a ``Conflict`` (nothing is overwritten). Only the fields whose text differs from the
account as it is now are sent. "Notify the customer" picks a client by the selection rules
(``store.notification_clients``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen

from idconnect.console.account.parts import Action, Done, Tab, section, told
from idconnect.console.account.web import Form, View
from idconnect.core.convert import to_json
from idconnect.core.errors import Conflict
from idconnect.core.model import Account
from idconnect.core.schema import CORE_USER_SCHEMA, AttributeDef, AttrType
from idconnect.http.calls import ApiError

__all__ = ["ACTIONS", "FIELD_PREFIX", "TAB", "Row", "rows"]

FIELD_PREFIX = "attr:"
"""The form field of an editable attribute is this prefix and its path (``attr:displayName``)."""

_WRITABLE_CORE = ("userName", "displayName", "name.", "organization")
"""The built-in single-valued attributes an update may change (others have their own action)."""

_INPUT = {
    AttrType.INTEGER: "number",
    AttrType.DECIMAL: "text",
    AttrType.DATETIME: "text",
    AttrType.REFERENCE: "url",
}


@frozen(kw_only=True)
class Row:
    """One attribute of the tab.

    :param label: its name as shown (a multi-valued built-in one is one row: ``emails``).
    :param definition: the attribute (of a multi-valued built-in one, its first sub-attribute).
    :param text: its value as text (one value a line for a multi-valued one).
    :param editable: whether it is a field of the form.
    """

    label: str
    definition: AttributeDef
    text: str
    editable: bool

    @property
    def field(self) -> str:
        """The form field's name."""
        return FIELD_PREFIX + self.definition.path

    @property
    def input(self) -> str:
        """The ``<input type>`` (``textarea`` for a multi-valued one, ``select`` for a boolean)."""
        if self.definition.multi_valued:
            return "textarea"
        if self.definition.type is AttrType.BOOLEAN:
            return "select"
        return _INPUT.get(self.definition.type, "text")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "\n".join(_text(v) for v in value)
    return str(value)


def _lookup(doc: Mapping[str, Any], definition: AttributeDef) -> Any:
    """The value of one catalogue path in an account's canonical JSON (a list through lists)."""
    container: Any = doc if definition.schema == CORE_USER_SCHEMA else doc.get(definition.schema)
    if definition.custom:
        return None if container is None else container.get(definition.path)
    for part in definition.path.split("."):
        if isinstance(container, list):
            container = [item.get(part) for item in container if isinstance(item, Mapping)]
        elif isinstance(container, Mapping):
            container = container.get(part)
        else:
            return None
    return container


def _items(doc: Mapping[str, Any], parent: AttributeDef, subs: list[AttributeDef]) -> str:
    """One line per value of a multi-valued built-in attribute: ``a@x.org (type: work, ...)``."""
    container: Any = doc if parent.schema == CORE_USER_SCHEMA else doc.get(parent.schema) or {}
    names = [d.path.partition(".")[2] for d in subs]
    lines = []
    for item in container.get(parent.parent) or ():
        head = _text(item.get(names[0]))
        rest = [f"{n}: {_text(item[n])}" for n in names[1:] if item.get(n) is not None]
        lines.append(f"{head} ({', '.join(rest)})" if rest else head)
    return "\n".join(lines)


def _editable(definition: AttributeDef) -> bool:
    if not definition.mutable:
        return False
    if definition.custom:
        return True
    return not definition.multi_valued and definition.path.startswith(_WRITABLE_CORE)


def rows(view: View, account: Account) -> list[Row]:
    """List the attributes the store makes visible, with their values and whether editable.

    :param view: the request (its store's catalogue and capabilities).
    :param account: the account.
    :returns: one row per visible attribute; editable ones as the store's config allows (the
        page offers the form only to an admin holding ``accounts.update``; the facade refuses
        the others).
    """
    doc = to_json(account, catalogue=view.store.catalogue)
    may = view.supports("update_account")
    shown = [d for d in view.store.catalogue if d.visible and d.path != "id"]
    found: list[Row] = []
    grouped: set[str] = set()
    for d in shown:
        if d.multi_valued and not d.custom:
            if d.parent not in grouped:
                grouped.add(d.parent)
                subs = [s for s in shown if s.parent == d.parent and not s.custom]
                found.append(
                    Row(label=d.parent, definition=d, text=_items(doc, d, subs), editable=False)
                )
            continue
        text = _text(_lookup(doc, d))
        found.append(Row(label=d.path, definition=d, text=text, editable=may and _editable(d)))
    return found


async def _load(view: View, account: Account) -> Mapping[str, Any]:
    clients = None
    if view.can("notifications.send"):
        clients = await section(view, view.store.notification_clients, view.account_id)
    return {"rows": rows(view, account), "clients": clients}


def _typed(definition: AttributeDef, text: str) -> Any:
    """The JSON value of one field's text; blank clears."""
    if not text:
        return None
    if definition.type is AttrType.INTEGER:
        try:
            return int(text)
        except ValueError:
            raise ApiError(
                400, "invalid_input", f"attribute {definition.path!r} must be a whole number"
            ) from None
    if definition.type is AttrType.BOOLEAN:
        if text not in ("true", "false"):
            raise ApiError(
                400, "invalid_input", f"attribute {definition.path!r} must be true or false"
            )
        return text == "true"
    return text


def changes(form: Form, current: list[Row]) -> dict[str, Any]:
    """Return the changes a submitted attribute form asks for, against the account as it is.

    :param form: the submitted form.
    :param current: the rows of the account now.
    :returns: path to JSON value of each editable field whose text differs (``None`` clears).
    :raises ApiError: 400 for a field that is not an editable attribute of the store, or a
        value of the wrong type.
    """
    editable = {row.field: row for row in current if row.editable}
    found: dict[str, Any] = {}
    for name in form.names():
        if not name.startswith(FIELD_PREFIX):
            continue
        row = editable.get(name)
        if row is None:
            raise ApiError(
                400,
                "invalid_input",
                f"attribute {name.removeprefix(FIELD_PREFIX)!r} is not editable here",
            )
        text = "\n".join(line.strip() for line in (form.raw(name) or "").strip().splitlines())
        if text == row.text:
            continue
        d = row.definition
        if d.multi_valued:
            found[d.path] = [_typed(d, line) for line in text.splitlines() if line] or None
        else:
            found[d.path] = _typed(d, text)
    return found


def _stale(exc: ApiError) -> ApiError:
    """Say in words that a stale version means someone changed the account meanwhile."""
    cause = exc.__cause__
    if isinstance(cause, Conflict) and cause.details.get("attribute") == "version":
        return ApiError(
            exc.status,
            exc.code,
            "The account was changed since this page was read, so nothing was saved: review"
            f" the values shown now and make the change again ({exc.detail}).",
        )
    return exc


async def _update(view: View, form: Form) -> Done:
    account = await view.account()
    wanted = changes(form, rows(view, account))
    if not wanted:
        return Done(message="Nothing changed: every field holds its current value.")
    try:
        done = await view.act(
            view.store.update_account,
            form,
            wanted,
            expected_version=form.get("version"),
            notify=form.get("notify"),
        )
    except ApiError as exc:
        raise _stale(exc) from exc
    return told(done, f"Saved: {', '.join(sorted(wanted))}.")


TAB = Tab(name="attributes", title="Attributes", permission="accounts.read", load=_load)
ACTIONS = (Action(name="attributes", tab="attributes", run=_update),)
