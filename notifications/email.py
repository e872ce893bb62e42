"""E-mail out through the institution's SMTP server (MCS_SMTP_*), with aiosmtplib."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import aiosmtplib

from mcs.settings import Settings

SECURITY = ("none", "starttls", "tls")
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
        if settings.smtp_security not in SECURITY:
            raise ValueError(f"MCS_SMTP_SECURITY must be one of {', '.join(SECURITY)}, not {settings.smtp_security!r}")
        return cls(settings.smtp_host or "", settings.smtp_port, settings.smtp_security, settings.smtp_user,
                   settings.smtp_password, settings.smtp_from)

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

    async def send(self, message: Message) -> None:
        try:
            await aiosmtplib.send(
                self.build(message), hostname=self.host, port=self.port, username=self.user, password=self.password,
                use_tls=self.security == "tls", start_tls=True if self.security == "starttls" else False,
                timeout=TIMEOUT_SECONDS)
        except (aiosmtplib.SMTPException, OSError) as error:
            raise EmailUnavailable(f"{type(error).__name__}: {error}") from error
