"""Telling people that an observation changed status: the log, and e-mail when configured.

E-mail is configured in the store's ``tom-tui.toml``::

    [notifications.email]
    host = "smtp.example.org"
    port = 587
    starttls = true
    sender = "tom-tui@example.org"
    recipients = ["observer@example.org"]
    username = "tom-tui"          # optional; the password comes from $TOM_TUI_SMTP_PASSWORD

One message per update run lists every change, so a night of completions is one e-mail.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from tom_tui.domain.errors import TomError

log = logging.getLogger("tom_tui.observations")
PASSWORD_ENV = "TOM_TUI_SMTP_PASSWORD"


@dataclass(frozen=True)
class StatusNotice:
    observation_id: int
    target_name: str
    facility: str
    old_status: str
    new_status: str
    detail: str = ""

    def line(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return (
            f"observation {self.observation_id} of {self.target_name} at {self.facility}: "
            f"{self.old_status or 'new'} → {self.new_status}{extra}"
        )


def send_email(settings: Mapping[str, Any], notices: Sequence[StatusNotice]) -> None:
    """Send one message listing ``notices``; TomError naming the server when it fails."""
    host = str(settings.get("host") or "")
    recipients = settings.get("recipients") or []
    if isinstance(recipients, str):
        recipients = [recipients]
    if not host or not recipients:
        raise TomError("[notifications.email] needs host and recipients in tom-tui.toml")
    port = int(settings.get("port", 25))
    message = EmailMessage()
    message["Subject"] = (
        f"tom-tui: {len(notices)} observation status change{'s' if len(notices) != 1 else ''}"
    )
    message["From"] = str(settings.get("sender") or "tom-tui@localhost")
    message["To"] = ", ".join(recipients)
    message.set_content("\n".join(notice.line() for notice in notices) + "\n")
    try:
        with smtplib.SMTP(host, port, timeout=float(settings.get("timeout", 10))) as server:
            if settings.get("starttls"):
                server.starttls()
            username = settings.get("username")
            if username:
                server.login(str(username), os.environ.get(PASSWORD_ENV, ""))
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise TomError(f"e-mail to {host}:{port} failed: {type(error).__name__}: {error}") from None


def notify(config: Mapping[str, Any], notices: Sequence[StatusNotice]) -> list[str]:
    """Log every notice and e-mail them if configured; returns problems (never raises)."""
    for notice in notices:
        log.info(notice.line())
    email_settings = (config.get("notifications") or {}).get("email")
    if not notices or not email_settings or email_settings.get("enabled") is False:
        return []
    try:
        send_email(email_settings, notices)
    except TomError as error:
        log.warning(str(error))
        return [str(error)]
    return []
