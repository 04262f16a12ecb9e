"""The printable HTML page of an account export: one self-contained file, nothing interpreted.

:func:`render_export` turns the JSON document of :meth:`Store.export_account` into one HTML
page: Jinja2 with autoescaping on every value, inline CSS, no script, no remote asset, and a
Content-Security-Policy that forbids both should a value ever slip through. Values are isolated
for bidirectional text (``<bdi>``) and long ones wrap, so a right-to-left name or a
5,000-character value cannot reorder or hide what is around it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import jinja2
from attrs import frozen

__all__ = ["SECTION_TITLES", "render_export"]

SECTION_TITLES: Mapping[str, str] = {
    "account": "Profile",
    "verifications": "Identity verifications",
    "consents": "Consents",
    "authenticators": "Authenticators",
    "sessions": "Sessions",
    "activity": "Account activity",
    "notifications": "Notifications",
    "events": "Support actions (audit trail)",
}
"""The document's sections in the order the page shows them, with their headings; a section the
document holds that is not named here follows them, under its key."""

_ENVIRONMENT = jinja2.Environment(
    loader=jinja2.PackageLoader("idconnect.core", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@frozen
class Node:
    """One value of the document, shaped for the template."""

    kind: str
    """``text``, ``fields`` (a mapping), ``table`` (a list of mappings) or ``items``."""
    text: str = ""
    """For ``text``: the value as shown."""
    fields: Sequence[tuple[str, Node]] = ()
    """For ``fields``: name and value; for ``items``: the items (names empty)."""
    columns: Sequence[str] = ()
    """For ``table``: the column names, in first-seen order."""
    rows: Sequence[Sequence[Node]] = ()
    """For ``table``: one node per column and row."""


_EMPTY = Node("text", text="—")


def _node(value: Any) -> Node:
    if value is None or value == "" or value == [] or value == {}:
        return _EMPTY
    if isinstance(value, Mapping):
        return Node("fields", fields=[(str(k), _node(v)) for k, v in value.items()])
    if isinstance(value, list | tuple):
        if all(isinstance(v, Mapping) for v in value):
            columns = list(dict.fromkeys(str(k) for v in value for k in v))
            rows = [[_node(v.get(c)) for c in columns] for v in value]
            return Node("table", columns=columns, rows=rows)
        return Node("items", fields=[("", _node(v)) for v in value])
    if isinstance(value, bool):
        return Node("text", text="yes" if value else "no")
    return Node("text", text=str(value))


def render_export(doc: Mapping[str, Any], *, actor: str, exported_at: datetime) -> str:
    """Render an export document as one printable, self-contained HTML page.

    :param doc: the document of :meth:`~idconnect.core.facade.store.Store.export_account`
        (``store``, ``account`` and the record lists the store has).
    :param actor: who exported it, shown in the page's header.
    :param exported_at: when (an aware instant).
    :returns: the page, UTF-8 text.
    """
    account = doc.get("account") or {}
    known = [k for k in SECTION_TITLES if k in doc]
    others = [k for k in doc if k not in SECTION_TITLES and k != "store"]
    sections = [
        (SECTION_TITLES.get(key, key), _node(_without_schemas(doc[key])))
        for key in (*known, *others)
    ]
    return _ENVIRONMENT.get_template("account_export.html").render(
        store=str(doc.get("store", "")),
        account_id=str(account.get("id", "")),
        user_name=str(account.get("userName", "")),
        actor=actor,
        exported_at=exported_at.isoformat(timespec="seconds"),
        sections=sections,
    )


def _without_schemas(value: Any) -> Any:
    """Drop SCIM's ``schemas`` list (URNs no reader of the page needs)."""
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k != "schemas"}
    return value
