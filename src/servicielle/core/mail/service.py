"""Send mail through SMTP, or keep it in the outbox when no server is configured."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.core.mail.models import OutboxMessage

log = logging.getLogger(__name__)


def _deliver(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


def send_mail(
    session: Session, settings: Settings, *, to: str, subject: str, body: str
) -> OutboxMessage:
    """Send one plain-text email and record it in the outbox; never raises on SMTP failure."""
    record = OutboxMessage(recipient=to, subject=subject, body=body, status="kept")
    if settings.smtp_configured:
        message = EmailMessage()
        message["From"] = settings.mail_from
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            _deliver(settings, message)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail to %s failed: %s", to, exc)
            record.status, record.error = "failed", str(exc)[:2000]
        else:
            record.status, record.sent_at = "sent", utcnow()
    session.add(record)
    session.flush()
    return record
