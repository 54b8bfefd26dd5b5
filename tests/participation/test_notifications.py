"""Digests of what people follow and phase openings, queued by the worker's ``run_due``."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.i18n import _, in_locale, ngettext
from servicielle.core.mail.models import OutboxMessage
from servicielle.core.mail.service import queue_mail
from servicielle.participation import activity
from servicielle.participation.models import (
    DigestSubscription,
    Follow,
    FollowTarget,
    Phase,
    PhaseKind,
    Process,
    Proposal,
)
from servicielle.participation.notifications import digests
from servicielle.participation.notifications.digests import run_due
from servicielle.participation.notifications.repository import DigestRepository
from tests.conftest import make_user
from tests.participation.factories import make_process

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
# A fixed instant well after the factory's phases: their openings are old news by then.
T0 = dt.datetime(2030, 6, 10, 8, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https?://\S+")


def mails_to(db: Session, email: str) -> list[OutboxMessage]:
    """The messages queued (kept, without SMTP) for ``email``, oldest first."""
    return list(
        db.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id)
        )
    )


def follow(db: Session, user: User, target: FollowTarget, target_id: int) -> Follow:
    """``user`` follows a process or a proposal."""
    row = Follow(user_id=user.id, target=target, target_id=target_id)
    db.add(row)
    db.flush()
    return row


def subscribe(
    db: Session, user: User, frequency: str = "daily", since: dt.datetime = T0
) -> DigestSubscription:
    """``user`` opted in to a digest last sent at ``since``."""
    row = DigestSubscription(user_id=user.id, frequency=frequency, last_sent_at=since)
    db.add(row)
    db.flush()
    return row


def proposal(db: Session, process: Process, title: str, *, hidden: bool = False) -> Proposal:
    """A proposal of ``process``."""
    row = Proposal(process_id=process.id, title=title, body="Texte.", hidden=hidden)
    db.add(row)
    db.flush()
    return row


def happened(
    db: Session,
    process: Process,
    summary: str,
    at: dt.datetime,
    *,
    on: Proposal | None = None,
    actor: User | None = None,
    kind: str = "proposal",
) -> None:
    """Record an activity at ``at``."""
    row = activity.record(
        db,
        kind,
        process_id=process.id,
        proposal_id=on.id if on else None,
        actor_id=actor.id if actor else None,
        summary=summary,
    )
    row.created_at = at
    db.flush()


def last_sent(db: Session, subscription: DigestSubscription) -> dt.datetime:
    """The subscription's ``last_sent_at`` as the database holds it now."""
    db.expire_all()
    value = db.scalar(
        select(DigestSubscription.last_sent_at).where(DigestSubscription.id == subscription.id)
    )
    assert value is not None
    return value


@pytest.fixture
def park(db: Session) -> Process:
    """A published process in its proposals phase."""
    return make_process(db, slug="parc-des-lilas", title="Parc des Lilas")


def test_digest_lists_followed_activity_by_others_with_links(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, park: Process
) -> None:
    other = make_process(db, slug="ecoles", title="Cours d'écoles")
    elsewhere = make_process(db, slug="sans-rapport", title="Sans rapport")
    anne = make_user(db, "anne@example.fr")
    bob = make_user(db, "bob@example.fr")
    followed = proposal(db, other, "Des arbres dans la cour")
    unfollowed = proposal(db, other, "Une fresque")
    hidden = proposal(db, park, "Pourriel", hidden=True)
    follow(db, anne, FollowTarget.PROCESS, park.id)
    follow(db, anne, FollowTarget.PROPOSAL, followed.id)
    subscription = subscribe(db, anne)
    happened(db, park, "Nouvelle proposition : un kiosque", T0 + HOUR, actor=bob)
    happened(db, other, "Bob a commenté « Des arbres »", T0 + 2 * HOUR, on=followed, actor=bob)
    happened(db, other, "Commentaire sur la fresque", T0 + HOUR, on=unfollowed, actor=bob)
    happened(db, elsewhere, "Rien à voir", T0 + HOUR, actor=bob)
    happened(db, park, "Anne a proposé un banc", T0 + HOUR, actor=anne)
    happened(db, park, "Commentaire caché", T0 + HOUR, on=hidden, actor=bob)
    happened(db, park, "Avant le dernier résumé", T0 - HOUR, actor=bob)

    now = T0 + DAY
    assert run_due(session_factory, settings, now) == 1
    (mail,) = mails_to(db, "anne@example.fr")
    body = mail.body
    assert "Nouvelle proposition : un kiosque" in body
    assert "Bob a commenté « Des arbres »" in body
    # Not followed, one's own action, hidden proposal, already covered: left out.
    for absent in ("fresque", "Rien à voir", "Anne a proposé", "caché", "Avant le dernier"):
        assert absent not in body
    links = LINK.findall(body)
    assert "http://testserver/participation/parc-des-lilas" in links
    assert f"http://testserver/participation/ecoles/propositions/{followed.id}" in links
    # Grouped by process, in title order.
    assert body.index("== Cours d'écoles ==") < body.index("== Parc des Lilas ==")
    assert any("/participation/notifications/arret/" in link for link in links)
    assert last_sent(db, subscription) == now


def test_digests_never_mail_the_text_of_comments(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, park: Process
) -> None:
    anne = make_user(db, "anne@example.fr")
    bob = make_user(db, "bob@example.fr")
    idea = proposal(db, park, "Un kiosque")
    follow(db, anne, FollowTarget.PROCESS, park.id)
    subscribe(db, anne)
    # Moderation may hide this comment after the digest went out: its text stays on the site.
    happened(db, park, "Appelez le 06 12 34 56 78", T0 + HOUR, on=idea, actor=bob, kind="comment")
    assert run_due(session_factory, settings, T0 + DAY) == 1
    (mail,) = mails_to(db, "anne@example.fr")
    assert "06 12 34 56 78" not in mail.body
    assert "New comment" in mail.body or "Nouveau commentaire" in mail.body
    assert f"http://testserver/participation/parc-des-lilas/propositions/{idea.id}" in mail.body


def test_daily_and_weekly_digests_wait_for_their_period(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, park: Process
) -> None:
    daily = make_user(db, "daily@example.fr")
    weekly = make_user(db, "weekly@example.fr")
    bob = make_user(db, "bob@example.fr")
    for user in (daily, weekly):
        follow(db, user, FollowTarget.PROCESS, park.id)
    daily_subscription = subscribe(db, daily, "daily")
    weekly_subscription = subscribe(db, weekly, "weekly")
    happened(db, park, "Première nouvelle", T0 + HOUR, actor=bob)

    assert run_due(session_factory, settings, T0 + 23 * HOUR) == 0
    assert last_sent(db, daily_subscription) == T0
    assert run_due(session_factory, settings, T0 + DAY) == 1
    assert len(mails_to(db, "daily@example.fr")) == 1
    assert mails_to(db, "weekly@example.fr") == []

    happened(db, park, "Deuxième nouvelle", T0 + 3 * DAY, actor=bob)
    assert run_due(session_factory, settings, T0 + 6 * DAY) == 1  # the daily one only
    assert mails_to(db, "weekly@example.fr") == []
    assert run_due(session_factory, settings, T0 + 7 * DAY) == 1
    (weekly_mail,) = mails_to(db, "weekly@example.fr")
    assert "Première nouvelle" in weekly_mail.body
    assert "Deuxième nouvelle" in weekly_mail.body
    assert last_sent(db, weekly_subscription) == T0 + 7 * DAY
    second = mails_to(db, "daily@example.fr")[1]
    assert "Deuxième nouvelle" in second.body
    assert "Première nouvelle" not in second.body


def test_nothing_new_sends_nothing_but_moves_the_period_on(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, park: Process
) -> None:
    anne = make_user(db, "anne@example.fr")
    follow(db, anne, FollowTarget.PROCESS, park.id)
    subscription = subscribe(db, anne)
    happened(db, park, "Anne écrit seule", T0 + HOUR, actor=anne)

    assert run_due(session_factory, settings, T0 + 2 * DAY) == 0
    assert mails_to(db, "anne@example.fr") == []
    assert last_sent(db, subscription) == T0 + 2 * DAY


@pytest.mark.parametrize(
    ("locale", "month"), [("fr", "juin"), ("en", "June")], ids=["french", "english"]
)
def test_digest_is_written_in_the_reader_s_language(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    park: Process,
    locale: str,
    month: str,
) -> None:
    reader = make_user(db, "lecteur@example.fr")
    reader.locale = locale
    follow(db, reader, FollowTarget.PROCESS, park.id)
    subscribe(db, reader)
    happened(db, park, "Nouvelle proposition", T0 + HOUR)

    run_due(session_factory, settings, T0 + DAY)
    (mail,) = mails_to(db, "lecteur@example.fr")
    with in_locale(locale):
        subject = ngettext(
            "Participation: %(count)d new item on what you follow",
            "Participation: %(count)d new items on what you follow",
            1,
        ) % {"count": 1}
        intro = _("Here is what happened since %(date)s on what you follow.").split("%")[0]
    assert mail.subject == subject
    assert intro in mail.body
    # Dates are spelt in the reader's language ("10 juin 2030" or "10 June 2030").
    assert f"10 {month} 2030" in mail.body


def test_a_digest_is_claimed_once_and_a_failure_spares_the_others(
    db: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    park: Process,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    anne = make_user(db, "anne@example.fr")
    broken = make_user(db, "broken@example.fr")
    for user in (anne, broken):
        follow(db, user, FollowTarget.PROCESS, park.id)
    anne_subscription = subscribe(db, anne)
    broken_subscription = subscribe(db, broken)
    happened(db, park, "Nouvelle", T0 + HOUR)
    now = T0 + DAY

    # Two workers read the same due digest; only the first claim sends it.
    (due, _other) = DigestRepository(db).due(
        {"daily": now - DAY, "weekly": now - 7 * DAY}, after_id=0, limit=10
    )
    assert digests.send_digest(db, settings, due, now) is True
    assert digests.send_digest(db, settings, due, now) is False
    db.flush()
    assert len(mails_to(db, "anne@example.fr")) == 1

    def flaky(session: Session, settings: Settings, **kwargs: object) -> OutboxMessage:
        if kwargs["to"] == "broken@example.fr":
            raise RuntimeError("boom")
        return queue_mail(session, settings, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(f"{digests.__name__}.queue_mail", flaky)
    db.refresh(anne_subscription)
    anne_subscription.last_sent_at = T0
    db.flush()
    assert run_due(session_factory, settings, now) == 1
    assert len(mails_to(db, "anne@example.fr")) == 2
    # The failed one is rolled back: it is tried again next time.
    assert last_sent(db, broken_subscription) == T0
    monkeypatch.undo()
    assert run_due(session_factory, settings, now) == 1
    assert len(mails_to(db, "broken@example.fr")) == 1
    assert run_due(session_factory, settings, now) == 0


def test_inactive_people_get_no_digest(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, park: Process
) -> None:
    gone = make_user(db, "gone@example.fr")
    gone.is_active = False
    follow(db, gone, FollowTarget.PROCESS, park.id)
    subscribe(db, gone)
    happened(db, park, "Nouvelle", T0 + HOUR)
    assert run_due(session_factory, settings, T0 + DAY) == 0
    assert mails_to(db, "gone@example.fr") == []


def _phase(db: Session, process: Process, kind: PhaseKind, starts: dt.datetime) -> Phase:
    row = Phase(
        process_id=process.id,
        kind=kind,
        starts_at=starts,
        ends_at=starts + 10 * DAY,
        features=[],
    )
    db.add(row)
    db.flush()
    return row


def test_phase_opening_is_announced_once_to_the_process_followers(
    db: Session, session_factory: sessionmaker[Session], settings: Settings, park: Process
) -> None:
    now = utcnow()
    anne = make_user(db, "anne@example.fr")
    john = make_user(db, "john@example.fr")
    john.locale = "en"
    make_user(db, "nobody@example.fr")
    for user in (anne, john):
        follow(db, user, FollowTarget.PROCESS, park.id)
    vote = _phase(db, park, PhaseKind.VOTE, now - HOUR)
    old = _phase(db, park, PhaseKind.RESULTS, now - 3 * DAY)
    later = _phase(db, park, PhaseKind.IMPLEMENTATION, now + DAY)

    assert run_due(session_factory, settings, now) == 2
    (french,) = mails_to(db, "anne@example.fr")
    (english,) = mails_to(db, "john@example.fr")
    assert mails_to(db, "nobody@example.fr") == []
    for mail, locale in ((french, "fr"), (english, "en")):
        with in_locale(locale):
            label = _("Vote")
            expected = _("“%(phase)s” is open: %(process)s") % {
                "phase": label,
                "process": "Parc des Lilas",
            }
        assert mail.subject == expected
        assert "http://testserver/participation/parc-des-lilas" in LINK.findall(mail.body)
        assert "Parc des Lilas" in mail.body
    end = vote.ends_at.astimezone(digests.DISPLAY_TIMEZONE)
    assert f"{end.day} " in english.body
    assert str(end.year) in english.body

    db.expire_all()
    assert db.get(Phase, vote.id).announced_at is not None  # type: ignore[union-attr]
    # Old news is marked without a mail; a phase yet to open is left for later.
    assert db.get(Phase, old.id).announced_at is not None  # type: ignore[union-attr]
    assert db.get(Phase, later.id).announced_at is None  # type: ignore[union-attr]

    assert run_due(session_factory, settings, now + HOUR) == 0
    assert len(mails_to(db, "anne@example.fr")) == 1
    # The next phase opens: announced in its turn.
    assert run_due(session_factory, settings, now + DAY + HOUR) == 2
    assert len(mails_to(db, "anne@example.fr")) == 2


def test_phases_of_unpublished_processes_are_not_announced(
    db: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    now = utcnow()
    draft = make_process(db, slug="brouillon", published=False)
    anne = make_user(db, "anne@example.fr")
    follow(db, anne, FollowTarget.PROCESS, draft.id)
    phase = _phase(db, draft, PhaseKind.VOTE, now - HOUR)
    assert run_due(session_factory, settings, now) == 0
    assert mails_to(db, "anne@example.fr") == []
    db.expire_all()
    # Still unannounced: publishing the process in time will announce it.
    assert db.get(Phase, phase.id).announced_at is None  # type: ignore[union-attr]
