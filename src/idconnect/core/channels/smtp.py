"""The ``smtp`` channel: email through an SMTP server (smtplib), one connection reused.

::

    [notifications.channels.email]
    plugin = "smtp"
    host = "smtp.example.com"
    port = 587                       # default: 587 for starttls, 465 for tls, 25 for none
    security = "starttls"            # starttls (default), tls, or none (only to this machine)
    username = "idconnect"           # optional; then password_env or password_file
    password_env = "SMTP_PASSWORD"
    sender = "support@example.com"   # the From address when the branding names none
    timeout = 10                     # seconds per SMTP command

Every message is ``multipart/alternative`` (text, and HTML when the template has it) with a
``Message-ID`` built from the notification's id. The connection is opened at the first message,
kept for the next ones, and opened again once when the server dropped it. A refusal becomes
:class:`~idconnect.core.errors.NotificationFailed` with the SMTP code, never the content.
"""

from __future__ import annotations

import contextlib
import smtplib
import ssl
import threading
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate

from idconnect.core.channels import ChannelConfig, Message
from idconnect.core.errors import NotificationFailed
from idconnect.core.model import Secret
from idconnect.core.notification import Medium

__all__ = ["SmtpChannel"]

_PORTS = {"starttls": 587, "tls": 465, "none": 25}
_LOCAL = frozenset({"127.0.0.1", "::1", "localhost"})


class SmtpChannel:
    """Sends email through one SMTP server.

    :param name: the channel's name, for messages.
    :param host: the server.
    :param port: its port.
    :param security: ``starttls``, ``tls`` or ``none``.
    :param sender: the default From address.
    :param username: the login, if the server wants one.
    :param password: its password.
    :param timeout: seconds per SMTP command.
    """

    medium = Medium.EMAIL

    def __init__(
        self,
        *,
        name: str,
        host: str,
        port: int,
        security: str,
        sender: str,
        username: str | None = None,
        password: Secret | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self.security = security
        self.sender = sender
        self._username = username
        self._password = password
        self._timeout = timeout
        self._smtp: smtplib.SMTP | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_config(cls, config: ChannelConfig) -> SmtpChannel:
        """Build the channel from its settings.

        :param config: the channel's settings.
        :returns: the channel (not connected yet).
        :raises ConfigError: for a missing host or sender, an unknown security, a port outside
            1-65535, ``security = "none"`` to another machine, or a username without a password.
        """
        host = config.require("host", str)
        security = config.get("security", str, "starttls")
        if security not in _PORTS:
            raise config.error("security", "expected starttls, tls or none")
        if security == "none" and host not in _LOCAL:
            raise config.error(
                "security", "plain SMTP is allowed only to this machine (tests); use starttls"
            )
        port = config.get("port", int, _PORTS[security])
        if not 1 <= port <= 65535:
            raise config.error("port", "must be from 1 to 65535")
        username = config.get("username", str)
        password = config.secret("password", required=username is not None)
        timeout = config.get("timeout", float, 10.0)
        if not 0 < timeout <= 300:
            raise config.error("timeout", "must be more than 0 and at most 300 seconds")
        return cls(
            name=config.name,
            host=host,
            port=port,
            security=security,
            sender=config.require("sender", str),
            username=username,
            password=password,
            timeout=timeout,
        )

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self._timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self._timeout)
            if self.security == "starttls":
                smtp.starttls(context=context)
        if self._username is not None and self._password is not None:
            smtp.login(self._username, self._password.reveal())
        return smtp

    def build(self, message: Message) -> EmailMessage:
        """Build the MIME message for ``message``.

        :param message: the message.
        :returns: the email (text part, and an HTML alternative when there is one).
        """
        email = EmailMessage()
        sender = message.sender or self.sender
        email["From"] = (
            Address(display_name=message.sender_name, addr_spec=sender)
            if message.sender_name
            else sender
        )
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False, usegmt=True)
        email["Message-ID"] = f"<{message.id}@idconnect>"
        for key, value in message.headers.items():
            email[key] = value
        email.set_content(message.text)
        if message.html is not None:
            email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: Message) -> None:
        """Send one email, reusing the connection.

        :param message: the message.
        :raises NotificationFailed: when the server cannot be reached, refuses the login, the
            sender or the recipient (with the SMTP code), naming the channel.
        """
        email = self.build(message)
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._smtp is None:
                        self._smtp = self._connect()
                    self._smtp.send_message(email)
                    return
                except smtplib.SMTPServerDisconnected as exc:
                    self._smtp = None
                    if attempt == 2:
                        raise self._failed("the server closed the connection") from exc
                except smtplib.SMTPResponseException as exc:
                    self._drop()
                    raise self._failed(f"the server answered {exc.smtp_code}") from None
                except smtplib.SMTPRecipientsRefused:
                    raise self._failed("the server refused the recipient") from None
                except (OSError, smtplib.SMTPException) as exc:
                    self._drop()
                    raise self._failed(f"cannot reach the server ({type(exc).__name__})") from None

    def _failed(self, cause: str) -> NotificationFailed:
        return NotificationFailed(
            f"channel {self.name!r} (smtp {self.host}:{self.port}): {cause}", channel=self.name
        )

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            with contextlib.suppress(OSError):
                smtp.close()

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        with self._lock:
            smtp, self._smtp = self._smtp, None
            if smtp is not None:
                try:
                    smtp.quit()
                except (OSError, smtplib.SMTPException):
                    smtp.close()
