"""API tokens for machine clients: created for one organisation, shown once, revocable."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from servicielle.core.accounts.models import ApiToken, User
from servicielle.core.accounts.repository import ApiTokenRepository
from servicielle.core.accounts.security import digest, new_secret
from servicielle.core.db import utcnow
from servicielle.core.errors import Forbidden, InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal

TOKEN_PREFIX = "svc_"
MAX_LIFETIME_DAYS = 3650


def create_token(
    session: Session,
    principal: Principal,
    *,
    name: str,
    organisation_id: int,
    lifetime_days: int | None = None,
) -> tuple[ApiToken, str]:
    """A new token of the principal's user for an organisation they act for; returns the secret."""
    name = name.strip()
    if not name or len(name) > 120:
        raise InvalidInput.on_field("name", _("Give the token a name of 1 to 120 characters."))
    if lifetime_days is not None and not 1 <= lifetime_days <= MAX_LIFETIME_DAYS:
        message = _("The lifetime must be between 1 and %(n)d days.") % {"n": MAX_LIFETIME_DAYS}
        raise InvalidInput.on_field("lifetime_days", message)
    if not principal.acts_for(organisation_id):
        raise Forbidden(_("You can only create tokens for an organisation you belong to."))
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_digest=digest(secret),
        user_id=principal.user.id,
        organisation_id=organisation_id,
        expires_at=utcnow() + dt.timedelta(days=lifetime_days) if lifetime_days else None,
    )
    return ApiTokenRepository(session).add(token), secret


def list_tokens(session: Session, user: User) -> Sequence[ApiToken]:
    """The user's tokens, newest first."""
    return ApiTokenRepository(session).of_user(user.id)


def revoke_token(session: Session, principal: Principal, *, token_id: int) -> ApiToken:
    """Revoke one of the principal's tokens (administrators may revoke any)."""
    token = ApiTokenRepository(session).get(token_id)
    if token is None or not (principal.is_admin or token.user_id == principal.user.id):
        raise NotFound(_("This token does not exist."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def token_for_secret(session: Session, secret: str) -> ApiToken | None:
    """The live token behind ``secret``, its last use recorded; None if unknown or dead."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = ApiTokenRepository(session).by_digest(digest(secret))
    now = utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # One write a minute at most: the column tells when, not how often.
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        token.last_used_at = now
        session.flush()
    return token
