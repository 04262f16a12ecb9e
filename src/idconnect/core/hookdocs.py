"""Render the hook reference (``docs/hooks.md``) from the hook specs' docstrings.

Run ``python -m idconnect.core.hookdocs > docs/hooks.md``; a test fails when the committed file
differs from what this prints, so the reference never drifts from the specs.
"""

from __future__ import annotations

import inspect
import re

from idconnect.core import hookspecs

__all__ = ["render"]

_FIELD = re.compile(r"^:(?P<kind>param|returns|raises)\s*(?P<name>\w*):\s*", re.MULTILINE)


def _markdown(doc: str) -> str:
    lines: list[str] = []
    for line in doc.splitlines():
        line = line.replace(".. versionadded::", "*Added in*")
        match = _FIELD.match(line)
        if match:
            kind, name = match["kind"], match["name"]
            label = {
                "param": f"`{name}`",
                "returns": "**Returns**",
                "raises": f"**Raises** `{name}`",
            }
            line = f"- {label[kind]}: {line[match.end() :]}"
        elif line.startswith("    ") and lines and lines[-1].startswith("- "):
            lines[-1] += " " + line.strip()
            continue
        lines.append(line)
    return re.sub(r":\w+:`~?([\w.]+)`", lambda m: f"`{m[1].rsplit('.', 1)[-1]}`", "\n".join(lines))


def render() -> str:
    """Return the Markdown reference of every hook, one section per hook spec module, in order.

    :returns: the document's text.
    """
    out = ["# Hook reference", "", _markdown(inspect.getdoc(hookspecs) or ""), ""]
    for module in hookspecs.SPEC_MODULES:
        title, _, intro = (inspect.getdoc(module) or module.__name__).partition(": ")
        out += [f"## {title}", "", intro[:1].upper() + intro[1:], ""]
        specs = [
            (inspect.getsourcelines(fn)[1], name, fn)
            for name, fn in inspect.getmembers(module, inspect.isfunction)
            if name.startswith("idconnect_") and fn.__module__ == module.__name__
        ]
        for _, name, fn in sorted(specs):
            opts = getattr(fn, "idconnect_spec", {})
            signature = str(inspect.signature(fn)).replace("'", "")
            out += [f"### `{name}{signature}`", ""]
            if opts.get("firstresult"):
                out += ["*firstresult: the first implementation's answer is the result.*", ""]
            out += [_markdown(inspect.getdoc(fn) or ""), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
