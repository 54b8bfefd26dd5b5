"""Digests of what people follow and notices of phase openings, queued by the worker.

``run_due`` is called by the worker loop. Each digest is claimed by a conditional UPDATE of
its ``last_sent_at`` in its own small transaction, so two workers never send it twice and a
failing one does not hold back the others; a phase opening is claimed the same way through
``announced_at``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.accounts.security import sign, unsign
from servicielle.core.db import utcnow
from servicielle.core.i18n import _, in_locale, ngettext
from servicielle.core.mail.service import queue_mail
from servicielle.core.session import session_scope
from servicielle.participation.display import local_date, local_datetime
from servicielle.participation.models import (
    Activity,
    DigestFrequency,
    Phase,
    PhaseKind,
    Process,
)
from servicielle.participation.notifications.repository import (
    ActivityRepository,
    DigestRepository,
    DueDigest,
    FollowRepository,
    PhaseRepository,
)
from servicielle.participation.phases import PHASE_LABELS

log = logging.getLogger(__name__)

UNSUBSCRIBE = "participation-digest-stop"
# People read a digest long after it came; its link keeps working for a year.
UNSUBSCRIBE_DAYS = 365
PERIODS = {
    DigestFrequency.DAILY: dt.timedelta(days=1),
    DigestFrequency.WEEKLY: dt.timedelta(days=7),
}
# A phase that opened longer ago than this is old news: marked announced without a mail.
ANNOUNCE_WITHIN = dt.timedelta(days=2)
MAX_ITEMS = 100
BATCH = 100
PHASES_PER_RUN = 200
DISPLAY_TIMEZONE = ZoneInfo("Europe/Paris")
PREFERENCES_PATH = "/participation/notifications"
# The kind of activity ``proposals`` records for a comment (its summary is the comment's text).
COMMENT = "comment"


def unsubscribe_token(settings: Settings, user_id: int) -> str:
    """The signed token of the link that stops a person's digest."""
    return sign(settings.secret_key.get_secret_value(), UNSUBSCRIBE, {"u": user_id})


def unsubscribe_user_id(settings: Settings, token: str) -> int | None:
    """The person an unsubscribe token names, if it is genuine and less than a year old."""
    payload = unsign(
        settings.secret_key.get_secret_value(),
        UNSUBSCRIBE,
        token[:500],
        max_age=UNSUBSCRIBE_DAYS * 86400,
    )
    user_id = payload.get("u") if payload is not None else None
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None


def process_url(settings: Settings, process: Process) -> str:
    """The public page of a process, absolute for emails."""
    return f"{settings.base_url}/participation/{process.slug}"


def proposal_url(settings: Settings, process: Process, proposal_id: int) -> str:
    """The public page of a proposal, absolute for emails."""
    return f"{settings.base_url}/participation/{process.slug}/propositions/{proposal_id}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _footer(settings: Settings, user_id: int) -> list[str]:
    return [
        _("To choose what you follow and how often we write: %(link)s")
        % {"link": settings.base_url + PREFERENCES_PATH},
        _("To stop receiving this digest: %(link)s")
        % {
            "link": f"{settings.base_url}{PREFERENCES_PATH}/arret/"
            f"{unsubscribe_token(settings, user_id)}"
        },
    ]


def digest_body(
    settings: Settings,
    user: User,
    since: dt.datetime,
    rows: Sequence[tuple[Activity, Process]],
    *,
    truncated: bool,
) -> str:
    """The plain-text digest: activity grouped by process, oldest first, with links."""
    lines = [
        _("Hello %(name)s,") % {"name": _one_line(user.display_name)},
        "",
        _("Here is what happened since %(date)s on what you follow.")
        % {"date": local_datetime(since)},
    ]
    if truncated:
        lines += [_("Only the latest %(count)d are listed here.") % {"count": len(rows)}]
    groups: dict[int, tuple[Process, list[Activity]]] = {}
    for activity, process in sorted(rows, key=lambda r: (r[0].created_at, r[0].id)):
        groups.setdefault(process.id, (process, []))[1].append(activity)
    for process, activities in sorted(groups.values(), key=lambda g: (g[0].title, g[0].id)):
        lines += ["", f"== {_one_line(process.title)} ==", process_url(settings, process)]
        for activity in activities:
            # A comment's text is not mailed: moderation may hide it after the digest went
            # out, and a mail cannot be taken back. The link leads to what is visible now.
            what = _("New comment") if activity.kind == COMMENT else _one_line(activity.summary)
            lines.append(f"- {local_date(activity.created_at)} — {what}")
            if activity.proposal_id is not None:
                lines.append(f"  {proposal_url(settings, process, activity.proposal_id)}")
    return "\n".join([*lines, "", "--", *_footer(settings, user.id)])


def send_digest(session: Session, settings: Settings, due: DueDigest, now: dt.datetime) -> bool:
    """Claim one due digest and queue it if anything happened; True when a mail was queued.

    ``last_sent_at`` moves to ``now`` either way, so the next digest starts from here.
    """
    period = PERIODS[DigestFrequency(due.frequency)]
    # The claim is the transaction's first statement: on SQLite it takes the write lock.
    if not DigestRepository(session).claim(due, now - period, now):
        return False
    user = session.get(User, due.user_id)
    if user is None or not user.is_active or user.email_confirmed_at is None:
        return False
    rows = ActivityRepository(session).for_follower(
        user.id, due.last_sent_at, now, limit=MAX_ITEMS + 1
    )
    if not rows:
        return False
    shown = rows[:MAX_ITEMS]
    with in_locale(user.locale):
        queue_mail(
            session,
            settings,
            to=user.email,
            subject=ngettext(
                "Participation: %(count)d new item on what you follow",
                "Participation: %(count)d new items on what you follow",
                len(shown),
            )
            % {"count": len(shown)},
            body=digest_body(
                settings, user, due.last_sent_at, shown, truncated=len(rows) > len(shown)
            ),
        )
    return True


def phase_label(phase: Phase) -> str:
    """The phase's own title, else the name of its kind, in the current language."""
    if phase.title.strip():
        return _one_line(phase.title)
    try:
        return _(PHASE_LABELS[PhaseKind(phase.kind)])
    except ValueError:
        return phase.kind


def _announce(session: Session, settings: Settings, phase: Phase, process: Process) -> int:
    queued = 0
    for user in FollowRepository(session).process_followers(process.id):
        with in_locale(user.locale):
            label = phase_label(phase)
            queue_mail(
                session,
                settings,
                to=user.email,
                subject=_("“%(phase)s” is open: %(process)s")
                % {"phase": label, "process": _one_line(process.title)},
                body="\n".join(
                    [
                        _("Hello %(name)s,") % {"name": _one_line(user.display_name)},
                        "",
                        _(
                            "The “%(phase)s” phase of the process %(process)s is open until "
                            "%(date)s."
                        )
                        % {
                            "phase": label,
                            "process": _one_line(process.title),
                            "date": local_datetime(phase.ends_at),
                        },
                        "",
                        process_url(settings, process),
                        "",
                        "--",
                        _(
                            "You receive this message because you follow this process. To stop "
                            "following it: %(link)s"
                        )
                        % {"link": settings.base_url + PREFERENCES_PATH},
                    ]
                ),
            )
        queued += 1
    return queued


def announce_phases(session: Session, settings: Settings, now: dt.datetime) -> int:
    """Mail the followers of each process whose phase just opened, once; returns how many
    mails were queued. Phases that opened long ago are marked without a mail."""
    stale_before = now - ANNOUNCE_WITHIN
    phases = PhaseRepository(session)
    queued = 0
    for phase, process in phases.unannounced(now, stale_before, PHASES_PER_RUN):
        phase_id = phase.id
        try:
            # A savepoint per phase: one that fails stays unannounced, the others go out.
            with session.begin_nested():
                if not phases.mark_announced(phase_id, now):
                    continue  # another worker announced it meanwhile
                fresh = phase.starts_at > stale_before and phase.ends_at > now
                if fresh and process.published:
                    queued += _announce(session, settings, phase, process)
        except Exception:
            log.exception("announcing phase %s failed", phase_id)
    return queued


def _due_batch(factory: sessionmaker[Session], now: dt.datetime, after_id: int) -> list[DueDigest]:
    cutoffs = {str(frequency): now - period for frequency, period in PERIODS.items()}
    with session_scope(factory, via="worker") as session:
        return DigestRepository(session).due(cutoffs, after_id=after_id, limit=BATCH)


def run_due(
    factory: sessionmaker[Session], settings: Settings, now: dt.datetime | None = None
) -> int:
    """Announce the phases that opened and queue the digests whose period elapsed; returns
    how many mails were queued. Safe to call often and from several workers."""
    moment = now or utcnow()
    queued = 0
    try:
        with session_scope(factory, via="worker") as session:
            queued += announce_phases(session, settings, moment)
    except Exception:
        log.exception("phase announcements failed")
    after_id = 0
    while True:
        batch = _due_batch(factory, moment, after_id)
        for due in batch:
            after_id = due.id
            try:
                with session_scope(factory, via="worker") as session:
                    queued += int(send_digest(session, settings, due, moment))
            except Exception:
                log.exception("digest %s failed", due.id)
        if len(batch) < BATCH:
            return queued
