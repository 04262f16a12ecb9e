"""Notification templates: Jinja2, per locale with a fallback, secret variables declared.

The templates ship in the package, one folder per template under
``idconnect/core/templates/notifications/``::

    password_reset_requested/
        template.toml      # secret = ["link"]; time_sensitive = true
        en.txt             # blocks: subject, text (email body), short (SMS / voice)
        en.html            # the HTML email body (autoescaped), extending _layout.html
        de.txt, de.html    # further locales

A locale falls back from ``de-CH`` to ``de`` to ``en``. Variables are strict: a template naming
one the caller did not give fails instead of rendering a blank. Every template is rendered
twice: with the real values of its secret variables (only for the channel) and with each
replaced by :data:`~idconnect.core.notification.MASK` (for the notification log).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
from attrs import frozen

from idconnect.core.errors import ConfigError, InvalidInput
from idconnect.core.notification import MASK

__all__ = ["FALLBACK_LOCALE", "Rendered", "TemplateInfo", "Templates"]

FALLBACK_LOCALE = "en"
"""The locale every template has."""


@frozen(kw_only=True)
class Rendered:
    """One template rendered in one locale."""

    locale: str
    """The locale used (after fallback)."""
    subject: str
    """The subject line."""
    text: str
    """The plain-text email body."""
    short: str
    """The SMS or spoken text."""
    html: str
    """The HTML email body."""


@frozen(kw_only=True)
class TemplateInfo:
    """What a template declares in its ``template.toml``."""

    name: str
    """The template's name (its folder)."""
    secret: frozenset[str]
    """The variables whose values are masked in the log."""
    time_sensitive: bool
    """Whether its content expires (a link, a code): the log then keeps the expiry."""


class Templates:
    """The templates of one folder (by default the package's).

    :param root: the folder holding one subfolder per template.
    """

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(str(files("idconnect.core") / "templates" / "notifications"))
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.root),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=False,
        )
        self._info: dict[str, TemplateInfo] = {}

    def info(self, name: str) -> TemplateInfo:
        """Return what a template declares.

        :param name: the template's name.
        :returns: its declarations.
        :raises ConfigError: when there is no such template or its ``template.toml`` is bad.
        """
        if name not in self._info:
            path = self.root / name / "template.toml"
            try:
                with path.open("rb") as fh:
                    doc = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(
                    f"notification template {name!r}: cannot read {path.name}", template=name
                ) from exc
            secret = doc.get("secret", [])
            if not isinstance(secret, list) or not all(isinstance(s, str) for s in secret):
                raise ConfigError(
                    f"notification template {name!r}: 'secret' must be a list of names",
                    template=name,
                )
            self._info[name] = TemplateInfo(
                name=name,
                secret=frozenset(secret),
                time_sensitive=bool(doc.get("time_sensitive", False)),
            )
        return self._info[name]

    def _locale(self, name: str, locale: str) -> str:
        for candidate in (locale, locale.split("-", 1)[0], FALLBACK_LOCALE):
            if (self.root / name / f"{candidate}.txt").is_file():
                return candidate
        raise ConfigError(
            f"notification template {name!r} has no {FALLBACK_LOCALE!r} text", template=name
        )

    def render(
        self,
        name: str,
        locale: str,
        variables: Mapping[str, Any],
        secrets: Mapping[str, str],
    ) -> tuple[Rendered, Rendered]:
        """Render a template with its secrets, and again with them masked.

        :param name: the template's name.
        :param locale: the wanted locale (falls back to the language, then to ``en``).
        :param variables: the template's ordinary variables.
        :param secrets: the values of its secret variables, exactly those it declares.
        :returns: the real rendering (for the channel) and the masked one (for the log).
        :raises InvalidInput: when ``secrets`` does not name exactly the declared secret
            variables, or an ordinary variable carries a declared secret's name.
        :raises ConfigError: for an unknown template or one that fails to render (a variable
            it names is missing).
        """
        info = self.info(name)
        if set(secrets) != info.secret or info.secret & set(variables):
            raise InvalidInput(
                f"notification template {name!r} declares the secret variables"
                f" {sorted(info.secret)}; give exactly those, and only as secrets",
                template=name,
            )
        chosen = self._locale(name, locale)
        real = self._render(name, chosen, {**variables, **secrets})
        masked = self._render(name, chosen, {**variables, **dict.fromkeys(secrets, MASK)})
        return real, masked

    def _render(self, name: str, locale: str, values: Mapping[str, Any]) -> Rendered:
        context = {**values, "locale": locale}
        try:
            text = self._env.get_template(f"{name}/{locale}.txt")
            blocks = {
                block: "".join(text.blocks[block](text.new_context(context))).strip()
                for block in ("subject", "text", "short")
            }
            html = self._env.get_template(f"{name}/{locale}.html").render(context)
        except (jinja2.TemplateError, KeyError) as exc:
            # the message names what failed, never a value
            raise ConfigError(
                f"notification template {name!r} ({locale}) cannot be rendered:"
                f" {type(exc).__name__}",
                template=name,
            ) from None
        return Rendered(locale=locale, html=html, **blocks)
