"""Emails of reports through a real local SMTP server (aiosmtpd), sent by the mail worker."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.accounts.security import unsign
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.mail.service import deliver_queued
from servicielle.core.permissions import ANONYMOUS, Principal
from servicielle.core.session import AuditContext
from servicielle.reports import lifecycle, notifications, service
from servicielle.reports.models import Report, ReportSubscription
from servicielle.reports.notifications import CONFIRM_FOLLOW, CONFIRM_REPORT, QUESTIONNAIRE
from tests.reports.conftest import (
    FOURAS,
    ROCHEFORT,
    Territory,
    confirmed_report,
    report,
    staff,
)

LINK = re.compile(r"https?://\S+")


class Inbox:
    """What the SMTP server received, as parsed messages."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages addressed to ``address``."""
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(message: EmailMessage) -> str:
        """The plain-text body."""
        part = message.get_body(("plain",))
        assert part is not None
        return str(part.get_content())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings: Settings) -> Iterator[tuple[Inbox, Settings]]:
    """A real SMTP server on a free local port, and settings that send through it."""
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": port})
    finally:
        controller.stop()


@pytest.fixture
def agent(db: Session, territory: Territory) -> Principal:
    """An agent of the roads department, which receives potholes."""
    return staff(db, "agent@example.fr", territory.voirie)


def _deliver(factory: sessionmaker[Session], settings: Settings, inbox: Inbox) -> int:
    """Run the mail worker until the queue is empty; how many the server received."""
    before = len(inbox.messages)
    while deliver_queued(factory, settings):
        pass
    return len(inbox.messages) - before


def _link(body: str, fragment: str) -> str:
    found = [str(url) for url in LINK.findall(body) if fragment in url]
    assert found, f"no link with {fragment!r} in:\n{body}"
    return found[0]


def _confirmed_follower(
    db: Session, settings: Settings, created: Report, email: str
) -> ReportSubscription:
    subscription = service.follow(db, settings, ANONYMOUS, email, report=created)
    signed = notifications.token(settings, CONFIRM_FOLLOW, {"s": subscription.id})
    return service.confirm_subscription(db, settings, signed)


def test_status_change_mails_confirmed_followers_with_report_and_unsubscribe_links(
    db: Session,
    session_factory: sessionmaker[Session],
    smtp: tuple[Inbox, Settings],
    agent: Principal,
) -> None:
    inbox, settings = smtp
    created = confirmed_report(db, settings, "auteur@example.fr")
    _confirmed_follower(db, settings, created, "voisine@example.fr")
    service.follow(db, settings, ANONYMOUS, "pas-confirme@example.fr", report=created)
    db.flush()
    # The confirmation request itself leaves by SMTP: a link, nothing else.
    _deliver(session_factory, settings, inbox)
    (ask,) = inbox.to("pas-confirme@example.fr")
    assert "/signalements/abonnements/" in inbox.body(ask)
    inbox.messages.clear()

    lifecycle.change_status(
        db, settings, created, agent, status="acknowledged", note="Une équipe passe demain."
    )
    db.flush()
    assert _deliver(session_factory, settings, inbox) == 2
    assert {m["To"] for m in inbox.messages} == {"auteur@example.fr", "voisine@example.fr"}
    for message in inbox.messages:
        body = inbox.body(message)
        assert f"http://testserver/signalements/{created.id}" in LINK.findall(body)
        assert "Une équipe passe demain." in body
        assert str(created.id) in message["Subject"]
        assert "/signalements/abonnements/arret/" in body
        # Only the reporter is asked whether it is fixed, and only once it is.
        assert "/resolu/" not in body
    sent = db.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "voisine@example.fr")
    ).all()
    assert {m.status for m in sent} == {"sent"}
    assert all(m.sent_at is not None for m in sent)

    # The unsubscribe link of the email works: the next change mails only the reporter.
    stop = _link(inbox.body(inbox.to("voisine@example.fr")[0]), "/abonnements/arret/")
    service.unsubscribe(db, settings, stop.rsplit("/", 1)[1])
    inbox.messages.clear()
    lifecycle.change_status(db, settings, created, agent, status="planned", note="Lundi.")
    db.flush()
    assert _deliver(session_factory, settings, inbox) == 1
    assert inbox.messages[0]["To"] == "auteur@example.fr"


def test_fixed_asks_the_reporter_whether_it_really_is(
    db: Session,
    session_factory: sessionmaker[Session],
    smtp: tuple[Inbox, Settings],
    agent: Principal,
) -> None:
    inbox, settings = smtp
    created = confirmed_report(db, settings, "auteur@example.fr")
    _confirmed_follower(db, settings, created, "voisine@example.fr")
    db.flush()
    _deliver(session_factory, settings, inbox)  # the follow's confirmation request
    inbox.messages.clear()
    lifecycle.change_status(
        db, settings, created, agent, status="fixed", note="Rebouché à l'enrobé."
    )
    db.flush()
    assert _deliver(session_factory, settings, inbox) == 2
    (to_reporter,) = inbox.to("auteur@example.fr")
    (to_follower,) = inbox.to("voisine@example.fr")
    ask = _link(inbox.body(to_reporter), "/resolu/")
    assert ask.startswith(f"http://testserver/signalements/{created.id}/resolu/")
    payload = unsign(
        settings.secret_key.get_secret_value(), QUESTIONNAIRE, ask.rsplit("/", 1)[1], max_age=60
    )
    assert payload == {"r": created.id}
    assert "/resolu/" not in inbox.body(to_follower)

    # "Not fixed" reopens the report and tells its followers.
    inbox.messages.clear()
    lifecycle.answer_questionnaire(
        db, settings, created, fixed=False, note="Le trou est toujours là."
    )
    db.flush()
    assert _deliver(session_factory, settings, inbox) == 2
    assert all("Le trou est toujours là." in inbox.body(m) for m in inbox.messages)


def test_area_alerts_reach_confirmed_subscribers_only(
    db: Session,
    session_factory: sessionmaker[Session],
    smtp: tuple[Inbox, Settings],
    agent: Principal,
) -> None:
    inbox, settings = smtp
    wanted = service.follow(db, settings, ANONYMOUS, "alerte@example.fr", commune_code="17299")
    service.confirm_subscription(
        db, settings, notifications.token(settings, CONFIRM_FOLLOW, {"s": wanted.id})
    )
    service.follow(db, settings, ANONYMOUS, "jamais-confirme@example.fr", commune_code="17299")
    coast = service.follow(
        db, settings, ANONYMOUS, "littoral@example.fr", geozone_slug="littoral-et-iles"
    )
    service.confirm_subscription(
        db, settings, notifications.token(settings, CONFIRM_FOLLOW, {"s": coast.id})
    )
    db.flush()
    _deliver(session_factory, settings, inbox)
    inbox.messages.clear()

    in_rochefort = report(db, settings, agent, at=ROCHEFORT, description="Trou rue Toufaire.")
    db.flush()
    assert _deliver(session_factory, settings, inbox) == 1
    (alert,) = inbox.messages
    assert alert["To"] == "alerte@example.fr"
    body = inbox.body(alert)
    assert "Trou rue Toufaire." in body
    assert f"http://testserver/signalements/{in_rochefort.id}" in LINK.findall(body)
    assert "/signalements/abonnements/arret/" in body

    # Fouras lies in the "littoral-et-iles" zone: the coast watcher hears of it.
    inbox.messages.clear()
    report(db, settings, agent, at=FOURAS, category="depot-sauvage")
    db.flush()
    assert _deliver(session_factory, settings, inbox) == 1
    assert inbox.messages[0]["To"] == "littoral@example.fr"

    # An anonymous report alerts nobody until its reporter confirms it.
    inbox.messages.clear()
    pending = report(db, settings, ANONYMOUS, at=ROCHEFORT, reporter_email="anonyme@example.fr")
    db.flush()
    assert _deliver(session_factory, settings, inbox) == 1
    assert inbox.messages[0]["To"] == "anonyme@example.fr"
    confirm = _link(inbox.body(inbox.messages[0]), "/signalements/confirmation/")
    secret = settings.secret_key.get_secret_value()
    payload = unsign(secret, CONFIRM_REPORT, confirm.rsplit("/", 1)[1], max_age=60)
    assert payload == {"r": pending.id}
    inbox.messages.clear()
    service.confirm_report(db, settings, confirm.rsplit("/", 1)[1])
    db.flush()
    assert _deliver(session_factory, settings, inbox) == 1
    assert inbox.messages[0]["To"] == "alerte@example.fr"


def test_nothing_is_mailed_when_the_transaction_rolls_back(
    db: Session,
    session_factory: sessionmaker[Session],
    smtp: tuple[Inbox, Settings],
    agent: Principal,
) -> None:
    inbox, settings = smtp
    created = confirmed_report(db, settings, "auteur@example.fr")
    db.flush()
    _deliver(session_factory, settings, inbox)
    inbox.messages.clear()

    # A request's own session, as the middleware opens one, that fails after the change.
    request = session_factory()
    request.info["audit"] = AuditContext(via="test")
    try:
        same = request.get(Report, created.id)
        assert same is not None
        lifecycle.change_status(
            request, settings, same, agent, status="fixed", note="Réparé, croit-on."
        )
        request.flush()
        assert request.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued")).all()
        request.rollback()
    finally:
        request.close()
    assert _deliver(session_factory, settings, inbox) == 0
    assert inbox.messages == []
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.status == "queued")).all() == []
    db.refresh(created)
    assert created.status == "open"


def test_without_smtp_the_messages_stay_in_the_outbox(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, agent: Principal
) -> None:
    assert not settings.smtp_configured
    created = confirmed_report(db, settings, "auteur@example.fr")
    lifecycle.change_status(db, settings, created, agent, status="acknowledged", note="Vu.")
    db.flush()
    assert deliver_queued(session_factory, settings) == 0
    kept = db.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == "auteur@example.fr")
    ).all()
    assert kept
    assert {m.status for m in kept} == {"kept"}
