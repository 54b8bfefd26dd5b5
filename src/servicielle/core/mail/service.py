"""Send mail through SMTP, or keep it in the outbox when no server is configured.

``send_mail`` sends at once (a sign-in link the reader waits for); ``queue_mail`` only
records the message in the request's transaction and ``deliver_queued`` (the worker) sends
it, so a report's followers never slow a page down and a rolled-back change mails nobody.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.mail.repository import OutboxRepository

log = logging.getLogger(__name__)


def _deliver(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=15) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


def _message(settings: Settings, to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return message


def one_line(subject: str) -> str:
    """A subject header may not hold line breaks: they would end the header."""
    return " ".join(subject.split())[:300]


def _attempt(settings: Settings, record: OutboxMessage) -> None:
    try:
        _deliver(settings, _message(settings, record.recipient, record.subject, record.body))
    except Exception as exc:  # one bad message must never stop the others
        log.warning("mail %s failed: %s", record.id, exc)
        record.status, record.error = "failed", str(exc)[:2000]
    else:
        record.status, record.sent_at = "sent", utcnow()


def send_mail(
    session: Session, settings: Settings, *, to: str, subject: str, body: str
) -> OutboxMessage:
    """Send one plain-text email and record it in the outbox; never raises on SMTP failure."""
    record = OutboxMessage(recipient=to, subject=one_line(subject), body=body, status="kept")
    if settings.smtp_configured:
        _attempt(settings, record)
    session.add(record)
    session.flush()
    return record


# What a secret message's body becomes once it is out of our hands.
WIPED_BODY = "[message secret effacé après envoi]"


def queue_mail(
    session: Session,
    settings: Settings,
    *,
    to: str,
    subject: str,
    body: str,
    secret: bool = False,
) -> OutboxMessage:
    """Record a plain-text email for the worker to send once the transaction commits.

    A ``secret`` body (a ballot receipt) is wiped as soon as it is sent, and never kept
    when no SMTP server is configured.
    """
    status = "queued" if settings.smtp_configured else "kept"
    if secret and status == "kept":
        body = WIPED_BODY
    record = OutboxMessage(
        recipient=to, subject=one_line(subject), body=body, status=status, secret=secret
    )
    session.add(record)
    session.flush()
    return record


def deliver_queued(factory: sessionmaker[Session], settings: Settings, *, limit: int = 50) -> int:
    """Send up to ``limit`` queued emails in one transaction; returns how many were tried."""
    if not settings.smtp_configured:
        return 0
    with factory() as session:
        records = OutboxRepository(session).take_queued(limit)
        for record in records:
            _attempt(settings, record)
            if record.secret:
                record.body = WIPED_BODY
        session.commit()
        return len(records)
