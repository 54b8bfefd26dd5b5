"""Accounts: registration, confirmation, sign-in, password reset, profiles, memberships."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts import forms
from servicielle.core.accounts.models import LoginAttempt, Membership, User, UserSession
from servicielle.core.accounts.repository import (
    LoginAttemptRepository,
    UserRepository,
    UserSessionRepository,
)
from servicielle.core.accounts.security import (
    digest,
    hash_password,
    needs_rehash,
    new_secret,
    sign,
    unsign,
    verify_password,
)
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput, NotFound, RateLimited, Unauthenticated
from servicielle.core.i18n import _
from servicielle.core.mail.service import send_mail
from servicielle.core.permissions import Principal
from servicielle.core.session import audit_context, persist_on_error
from servicielle.core.territory.repository import OrganisationRepository

CONFIRM_PURPOSE = "accounts.confirm-email"
RESET_PURPOSE = "accounts.reset-password"


def _invalid(errors: dict[str, str]) -> InvalidInput:
    return InvalidInput.on_fields(_("Some fields need correcting."), errors)


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    display_name: str,
    locale: str = "fr",
    is_admin: bool = False,
    confirmed: bool = False,
    check_password: bool = True,
) -> User:
    """Create an account; InvalidInput names each bad field, Conflict if the email is taken."""
    errors = {
        "email": forms.email_error(email),
        "display_name": forms.display_name_error(display_name),
        "password": forms.password_error(password, email=email) if check_password else None,
        "locale": forms.locale_error(locale),
    }
    bad = {field: message for field, message in errors.items() if message}
    if bad:
        raise _invalid(bad)
    email = forms.normalise_email(email)
    users = UserRepository(session)
    if users.by_email(email) is not None:
        raise Conflict.on_field("email", _("An account already uses this email address."))
    return users.add(
        User(
            email=email,
            password_hash=hash_password(password),
            display_name=display_name.strip(),
            locale=locale,
            is_admin=is_admin,
            email_confirmed_at=utcnow() if confirmed else None,
        )
    )


def send_confirmation(session: Session, settings: Settings, user: User) -> None:
    """Email ``user`` a link that confirms their address."""
    token = sign(
        settings.secret_key.get_secret_value(), CONFIRM_PURPOSE, {"u": user.id, "e": user.email}
    )
    link = f"{settings.base_url}/compte/confirmation/{token}"
    send_mail(
        session,
        settings,
        to=user.email,
        subject=_("Confirm your email address"),
        body=_(
            "Hello %(name)s,\n\nTo activate your account, open this link within %(hours)d hours:\n"
            "%(link)s\n\nIf you did not create an account, ignore this message."
        )
        % {"name": user.display_name, "hours": settings.email_token_hours, "link": link},
    )


def register(
    session: Session,
    settings: Settings,
    *,
    email: str,
    password: str,
    password_again: str,
    display_name: str,
    locale: str,
) -> User:
    """Create an unconfirmed inhabitant account and send the confirmation link."""
    errors = forms.registration_errors(
        email=email, password=password, password_again=password_again, display_name=display_name
    )
    if errors:
        raise _invalid(errors)
    user = create_user(
        session, email=email, password=password, display_name=display_name, locale=locale
    )
    audit_context(session).actor_id = user.id
    send_confirmation(session, settings, user)
    return user


def confirm_email(session: Session, settings: Settings, token: str) -> User:
    """Mark the address confirmed; NotFound for a bad, expired or outdated link."""
    payload = unsign(
        settings.secret_key.get_secret_value(),
        CONFIRM_PURPOSE,
        token,
        max_age=settings.email_token_hours * 3600,
    )
    user = UserRepository(session).get(payload.get("u")) if payload else None
    if user is None or payload is None or user.email != payload.get("e"):
        raise NotFound(_("This confirmation link is invalid or has expired."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        session.flush()
    return user


def _check_rate(session: Session, settings: Settings, *, email: str, ip: str | None) -> None:
    since = utcnow() - dt.timedelta(minutes=settings.login_window_minutes)
    attempts = LoginAttemptRepository(session)
    too_many = attempts.failures_since(since=since, email=email) >= settings.login_max_failures
    if ip and not too_many:
        too_many = attempts.failures_since(since=since, ip=ip) >= settings.login_max_failures_per_ip
    if too_many:
        raise RateLimited(
            _("Too many failed attempts. Wait %(minutes)d minutes, or reset your password.")
            % {"minutes": settings.login_window_minutes},
            retry_after=settings.login_window_minutes * 60,
        )


def sign_in(
    session: Session,
    settings: Settings,
    *,
    email: str,
    password: str,
    ip: str | None,
    user_agent: str | None,
) -> tuple[User, str]:
    """Check credentials under the rate limit and open a browser session; returns its secret."""
    email = forms.normalise_email(email)[:320]
    # Attempts must count even though a refusal rolls the request back.
    persist_on_error(session)
    _check_rate(session, settings, email=email, ip=ip)
    users = UserRepository(session)
    user = users.by_email(email)
    ok = verify_password(user.password_hash if user else None, password[:1024])
    session.add(
        LoginAttempt(email=email, ip=ip, succeeded=ok and user is not None and user.is_active)
    )
    session.flush()
    if user is None or not ok or not user.is_active:
        raise Unauthenticated(_("Wrong email address or password."))
    if user.email_confirmed_at is None:
        send_confirmation(session, settings, user)
        raise Unauthenticated(
            _("Confirm your email address first: we have just sent you a new link.")
        )
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    audit_context(session).actor_id = user.id
    secret = new_secret()
    UserSessionRepository(session).add(
        UserSession(
            token_digest=digest(secret),
            user_id=user.id,
            ip=ip,
            user_agent=user_agent,
            expires_at=utcnow() + dt.timedelta(days=settings.session_days),
        )
    )
    return user, secret


def sign_out(session: Session, secret: str | None) -> None:
    """Close the browser session behind ``secret``, if any."""
    if not secret:
        return
    record = UserSessionRepository(session).by_digest(digest(secret), utcnow())
    if record is not None:
        UserSessionRepository(session).delete(record)


def user_for_session(session: Session, secret: str) -> User | None:
    """The active user behind a browser-session secret."""
    record = UserSessionRepository(session).by_digest(digest(secret), utcnow())
    if record is None:
        return None
    user = UserRepository(session).get(record.user_id)
    return user if user is not None and user.is_active else None


def request_password_reset(session: Session, settings: Settings, *, email: str) -> None:
    """Email a reset link if the account exists; answers the same either way."""
    user = UserRepository(session).by_email(forms.normalise_email(email)[:320])
    if user is None or not user.is_active:
        return
    token = sign(
        settings.secret_key.get_secret_value(),
        RESET_PURPOSE,
        {"u": user.id, "h": user.password_hash[-16:]},
    )
    send_mail(
        session,
        settings,
        to=user.email,
        subject=_("Reset your password"),
        body=_(
            "Hello %(name)s,\n\nTo choose a new password, open this link within %(hours)d hours:\n"
            "%(link)s\n\nIf you did not ask for it, ignore this message: "
            "your password is unchanged."
        )
        % {
            "name": user.display_name,
            "hours": settings.email_token_hours,
            "link": f"{settings.base_url}/compte/mot-de-passe/nouveau/{token}",
        },
    )


def user_for_reset(session: Session, settings: Settings, token: str) -> User:
    """The user a reset link belongs to; single use, since the hash changes on reset."""
    payload = unsign(
        settings.secret_key.get_secret_value(),
        RESET_PURPOSE,
        token,
        max_age=settings.email_token_hours * 3600,
    )
    user = UserRepository(session).get(payload.get("u")) if payload else None
    if user is None or payload is None or user.password_hash[-16:] != payload.get("h"):
        raise NotFound(_("This password reset link is invalid, expired or already used."))
    return user


def reset_password(
    session: Session, settings: Settings, *, token: str, password: str, password_again: str
) -> User:
    """Set a new password from a reset link and close every open session of the account."""
    user = user_for_reset(session, settings, token)
    error = forms.password_error(password, email=user.email)
    if error:
        raise _invalid({"password": error})
    if password != password_again:
        raise _invalid({"password_again": _("The two passwords differ.")})
    user.password_hash = hash_password(password)
    # Following the link proves the address.
    user.email_confirmed_at = user.email_confirmed_at or utcnow()
    audit_context(session).actor_id = user.id
    for record in UserSessionRepository(session).all(
        UserSessionRepository(session).base_statement().where(UserSession.user_id == user.id)
    ):
        session.delete(record)
    session.flush()
    return user


def update_profile(session: Session, user: User, *, display_name: str, locale: str) -> User:
    """Change the name others see and the preferred language."""
    errors = {
        "display_name": forms.display_name_error(display_name),
        "locale": forms.locale_error(locale),
    }
    bad = {field: message for field, message in errors.items() if message}
    if bad:
        raise _invalid(bad)
    user.display_name, user.locale = display_name.strip(), locale
    session.flush()
    return user


def add_membership(session: Session, *, user: User, organisation_id: int) -> Membership:
    """Make ``user`` a member of an organisation (idempotent)."""
    if OrganisationRepository(session).get(organisation_id) is None:
        raise NotFound(_("This organisation does not exist."))
    users = UserRepository(session)
    existing = users.membership(user_id=user.id, organisation_id=organisation_id)
    if existing is not None:
        return existing
    membership = Membership(user_id=user.id, organisation_id=organisation_id)
    session.add(membership)
    session.flush()
    return membership


def administer(
    session: Session, principal: Principal, *, user: User, action: str, organisation_id: int
) -> None:
    """Apply one back-office action to an account."""
    if action in ("revoke_admin", "deactivate") and user.id == principal.user.id:
        raise Conflict(
            _("You cannot remove your own administration rights or deactivate yourself.")
        )
    if action == "grant_admin":
        user.is_admin = True
    elif action == "revoke_admin":
        user.is_admin = False
    elif action == "activate":
        user.is_active = True
    elif action == "deactivate":
        user.is_active = False
    elif action == "add_membership":
        add_membership(session, user=user, organisation_id=organisation_id)
    elif action == "remove_membership":
        membership = UserRepository(session).membership(
            user_id=user.id, organisation_id=organisation_id
        )
        if membership is None:
            raise NotFound(_("This membership does not exist."))
        session.delete(membership)
    else:
        raise InvalidInput.on_field("action", _("Unknown action."))
    session.flush()
