"""Mail leaves through SMTP when configured (a real local server), and is kept otherwise."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.mail.service import send_mail


class Inbox:
    """Collects what the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def test_smtp_delivery(db: Session, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port)
    record = send_mail(
        db, settings, to="agent@example.fr", subject="Signalement n°12", body="Réparé."
    )
    assert record.status == "sent"
    assert record.sent_at is not None
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["Subject"] == "Signalement n°12"
    assert inbox.messages[0].get_content().strip() == "Réparé."


def test_unreachable_smtp_is_recorded_not_raised(db: Session) -> None:
    settings = Settings(smtp_host="127.0.0.1", smtp_port=_free_port())
    record = send_mail(db, settings, to="a@example.fr", subject="s", body="b")
    assert record.status == "failed"
    assert record.error


def test_without_smtp_the_message_is_kept_in_the_outbox(db: Session) -> None:
    record = send_mail(db, Settings(smtp_host=""), to="a@example.fr", subject="s", body="b")
    assert record.status == "kept"
