"""Notifications to IT: an e-mail (SMTP) and an incoming webhook (Teams, Slack, Mattermost …).

Used by the budget alerts (``audit.alerts``) and by anything else that must tell IT something
(trial decisions). Configured from ``settings.notify`` (secrets from the environment only); a
channel that is not configured is skipped. Sending never raises: each channel's result is
returned, so the caller can audit what reached whom and retry what did not.

The webhook body is ``{"text": ...}``, which Slack, Mattermost and Teams' incoming webhooks
(and Power Automate's "When a Teams webhook request is received") all accept.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

import anyio.to_thread
import httpx

from gateway.kernel.settings import NotifySettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int = 587
    sender: str = "kakehashi@localhost"
    recipients: tuple[str, ...] = ()
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    ssl: bool = False  # SMTPS (port 465) instead of STARTTLS
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Message:
    subject: str
    body: str  # plain text, Japanese first


@dataclass(frozen=True)
class Delivery:
    """What happened on each configured channel: ``"ok"`` or the error, in short."""

    results: dict[str, str]

    @property
    def delivered(self) -> bool:
        return any(v == "ok" for v in self.results.values())

    @property
    def configured(self) -> bool:
        return bool(self.results)


def _mail(smtp: Smtp, message: Message) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = smtp.sender
    mail["To"] = ", ".join(smtp.recipients)
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=smtp.sender.rpartition("@")[2] or "localhost")
    mail.set_content(message.body, charset="utf-8")
    return mail


def _send_mail(smtp: Smtp, mail: EmailMessage) -> None:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.ssl:
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout_s, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    with client:
        if smtp.starttls and not smtp.ssl:
            client.starttls(context=context)
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(mail)


class Notifier:
    """Sends one message to every configured channel."""

    def __init__(
        self, *, smtp: Smtp | None = None, webhook_url: str | None = None, timeout_s: float = 10.0
    ) -> None:
        self._smtp = smtp if smtp is not None and smtp.recipients else None
        self._webhook = webhook_url
        self._timeout = timeout_s

    @property
    def configured(self) -> bool:
        return self._smtp is not None or self._webhook is not None

    async def send(self, message: Message) -> Delivery:
        results: dict[str, str] = {}
        if self._smtp is not None:
            results["email"] = await self._email(self._smtp, message)
        if self._webhook is not None:
            results["webhook"] = await self._post(self._webhook, message)
        return Delivery(results)

    @staticmethod
    async def _email(smtp: Smtp, message: Message) -> str:
        try:
            # smtplib blocks: a worker thread keeps the event loop free.
            await anyio.to_thread.run_sync(_send_mail, smtp, _mail(smtp, message))
        except (OSError, smtplib.SMTPException) as exc:
            log.error("notification e-mail via %s:%s failed: %s", smtp.host, smtp.port, exc)
            return f"error: {type(exc).__name__}: {exc}"[:200]
        return "ok"

    async def _post(self, url: str, message: Message) -> str:
        payload = {"text": f"{message.subject}\n\n{message.body}"}
        try:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(url, json=payload)
        except httpx.HTTPError as exc:
            log.error("notification webhook failed: %s", type(exc).__name__)
            return f"error: {type(exc).__name__}"
        if response.status_code >= 300:
            log.error("notification webhook answered %s", response.status_code)
            return f"error: HTTP {response.status_code}"
        return "ok"


def from_settings(notify: NotifySettings) -> Notifier:
    """The notifier ``settings.notify`` describes (no channel: sends nothing)."""
    smtp = None
    if notify.smtp_host:
        smtp = Smtp(
            host=notify.smtp_host,
            port=notify.smtp_port,
            sender=notify.mail_from,
            recipients=tuple(notify.mail_to),
            user=notify.smtp_user,
            password=notify.smtp_password.get_secret_value() if notify.smtp_password else None,
            starttls=notify.smtp_starttls,
            ssl=notify.smtp_ssl,
            timeout_s=notify.timeout_s,
        )
    webhook = notify.webhook_url.get_secret_value() if notify.webhook_url else None
    return Notifier(smtp=smtp, webhook_url=webhook, timeout_s=notify.timeout_s)
