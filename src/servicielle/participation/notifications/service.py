"""Rules of the notification preferences: digest opt-in, unfollowing, unsubscribing by link."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.models import User
from servicielle.core.errors import InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.participation.models import DigestFrequency, DigestSubscription, Follow
from servicielle.participation.notifications.digests import unsubscribe_user_id
from servicielle.participation.notifications.repository import DigestRepository, FollowRepository

NO_DIGEST = "none"
FREQUENCIES = (NO_DIGEST, DigestFrequency.DAILY.value, DigestFrequency.WEEKLY.value)


def current_frequency(session: Session, user: User) -> str:
    """``none``, ``daily`` or ``weekly``: what the person chose."""
    subscription = DigestRepository(session).of_user(user.id)
    return subscription.frequency if subscription is not None else NO_DIGEST


def set_frequency(session: Session, user: User, frequency: str) -> DigestSubscription | None:
    """Opt in to a daily or weekly digest, change it, or opt out (``none``)."""
    if frequency not in FREQUENCIES:
        raise InvalidInput.on_field("frequency", _("Choose how often you want the digest."))
    repository = DigestRepository(session)
    if frequency == NO_DIGEST:
        repository.remove(user.id)
        return None
    subscription = repository.of_user(user.id)
    if subscription is None:
        # The first digest covers what happens from now on, not the past.
        subscription = DigestSubscription(user_id=user.id, frequency=frequency)
        session.add(subscription)
    else:
        subscription.frequency = frequency
    session.flush()
    return subscription


def unfollow(session: Session, user: User, follow_id: str) -> Follow:
    """Stop following a process or a proposal; only one's own follows."""
    parsed = parse_id(follow_id)
    follow = FollowRepository(session).of_user(user.id, parsed) if parsed is not None else None
    if follow is None:
        raise NotFound(_("You do not follow this (any more)."))
    session.delete(follow)
    session.flush()
    return follow


def unsubscribe(session: Session, settings: Settings, token: str) -> None:
    """Stop the digest of the person an emailed link names; NotFound for a bad link."""
    user_id = unsubscribe_user_id(settings, token)
    if user_id is None:
        raise NotFound(_("This link is invalid or has expired."))
    DigestRepository(session).remove(user_id)
