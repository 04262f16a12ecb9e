"""Render the hook reference (``docs/hooks.md``) from the hook specs' docstrings.

Run ``python -m idconnect.core.hookdocs > docs/hooks.md``; a test fails when the committed file
differs from what this prints, so the reference never drifts from the specs.
"""

from __future__ import annotations

import inspect
import re

from idconnect.core import hookspecs

__all__ = ["render"]

_BANNER = re.compile(r"^# -{20,}\n# (?P<title>[^\n]+)\n# -{20,}$", re.MULTILINE)
_FIELD = re.compile(r"^:(?P<kind>param|returns|raises)\s*(?P<name>\w*):\s*", re.MULTILINE)


def _sections() -> list[tuple[int, str]]:
    source = inspect.getsource(hookspecs)
    return [(source[: m.start()].count("\n"), m["title"]) for m in _BANNER.finditer(source)]


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
    """Return the Markdown reference of every hook, in the order and sections of the spec file.

    :returns: the document's text.
    """
    out = ["# Hook reference", "", _markdown(inspect.getdoc(hookspecs) or ""), ""]
    sections = _sections()
    specs = [
        (inspect.getsourcelines(fn)[1], name, fn)
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("idconnect_")
    ]
    for line, name, fn in sorted(specs):
        while sections and sections[0][0] < line:
            out += [f"## {sections.pop(0)[1]}", ""]
        opts = getattr(fn, "idconnect_spec", {})
        signature = str(inspect.signature(fn)).replace("'", "")
        out += [f"### `{name}{signature}`", ""]
        if opts.get("firstresult"):
            out += ["*firstresult: the first implementation's answer is the result.*", ""]
        out += [_markdown(inspect.getdoc(fn) or ""), ""]
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
