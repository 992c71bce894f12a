"""Outgoing mail over SMTP: one message in plain text and HTML, sent by the worker."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template


class MailNotConfigured(RuntimeError):
    """SMTP_HOST is unset: nothing can be sent."""


def compose(
    to: str, subject: str, template: str, headers: dict[str, str] | None = None, **context
) -> EmailMessage:
    """A message from ``notifications/<template>.txt`` and ``.html`` (autoescaped: every
    value from readers is escaped there), with extra ``headers``."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_FROM"].rpartition("@")[2])
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(render_template(f"notifications/{template}.txt", **context))
    message.add_alternative(
        render_template(f"notifications/{template}.html", **context), subtype="html"
    )
    return message


def send(message: EmailMessage) -> None:
    """Hand ``message`` to the SMTP server; raises on any failure (the job is retried)."""
    config = current_app.config
    if not config["SMTP_HOST"]:
        raise MailNotConfigured("SMTP_HOST is not set")
    with smtplib.SMTP(
        config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]
    ) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
