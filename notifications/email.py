"""E-mail out through the institution's SMTP server (MCS_SMTP_*), with aiosmtplib."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from core.settings import Settings

TIMEOUT_SECONDS = 30


class EmailUnavailable(Exception):
    """The SMTP server could not be reached or refused the message: tried again later."""


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class Mailer:
    host: str
    port: int
    security: str
    user: str | None
    password: str | None
    sender: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "Mailer":
        return cls(
            settings.smtp_host or "",
            settings.smtp_port,
            settings.smtp_security,
            settings.smtp_user,
            settings.smtp_password,
            settings.smtp_from,
        )

    def build(self, message: Message) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(domain="mcs")
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies back to us
        email.set_content(message.text)
        email.add_alternative(message.html, subtype="html")
        return email

    def connection(self) -> "MailConnection":
        return MailConnection(self)


class MailConnection:
    """One SMTP connection for a pass's messages, opened at the first and again after a failure:
    a connection per message (TCP, EHLO, TLS, AUTH) was most of the cost of sending one
    (bench/NOTIFICATIONS.md)."""

    def __init__(self, mailer: Mailer):
        self.mailer = mailer
        self.client: aiosmtplib.SMTP | None = None

    async def send(self, message: Message) -> None:
        mailer = self.mailer
        try:
            if self.client is None or not self.client.is_connected:
                self.client = aiosmtplib.SMTP(
                    hostname=mailer.host,
                    port=mailer.port,
                    timeout=TIMEOUT_SECONDS,
                    use_tls=mailer.security == "tls",
                    start_tls=True if mailer.security == "starttls" else False,
                )
                await self.client.connect()
                if mailer.user:
                    await self.client.login(mailer.user, mailer.password or "")
            await self.client.send_message(mailer.build(message))
        except (aiosmtplib.SMTPException, OSError) as error:
            await self.close()
            raise EmailUnavailable(f"{type(error).__name__}: {error}") from error

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
