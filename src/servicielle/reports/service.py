"""Submitting, confirming, following and flagging reports. Services flush, never commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.security import unsign
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput, NotFound, RateLimited
from servicielle.core.i18n import _
from servicielle.core.permissions import ANONYMOUS, Principal
from servicielle.core.photos import MAX_PHOTOS, ProcessedPhoto, process_photo
from servicielle.core.territory.repository import TerritoryRepository
from servicielle.core.text import plain
from servicielle.reports import notifications
from servicielle.reports.models import (
    Report,
    ReportCategory,
    ReportFlag,
    ReportPhoto,
    ReportStatus,
    ReportSubscription,
    ReportUpdate,
)
from servicielle.reports.questions import check_answers
from servicielle.reports.repository import (
    CategoryRepository,
    ReportRepository,
    SubscriptionRepository,
)
from servicielle.reports.routing import Placement, place_in_commune, place_point, route
from servicielle.reports.schemas import MAX_DESCRIPTION, ReportDraft

CONFIRMATION_DAYS = 7
MAX_FLAG_REASON = 1000
# Anonymous reports per email address and hour: a neighbourhood's worth, not a flood.
ANONYMOUS_REPORTS_PER_HOUR = 10
RESEND_AFTER = dt.timedelta(hours=1)


def category_for(session: Session, code: str) -> ReportCategory:
    """The active category with this service_code; NotFound names the unknown code."""
    category = CategoryRepository(session).by_code(code.strip())
    if category is None or not category.active:
        raise NotFound(_("Unknown category (service_code): %(code)s") % {"code": code[:64]})
    return category


def normalise_email(email: str, field: str = "email") -> str:
    """A deliverable-looking address, lower-cased; InvalidInput otherwise."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise InvalidInput.on_field(field, _("This email address is not valid.")) from None


def locate(session: Session, draft: ReportDraft) -> Placement:
    """Where the report lies, from a point, a commune or only a typed address."""
    if draft.lat is not None or draft.lon is not None:
        if draft.lat is None or draft.lon is None:
            raise InvalidInput.on_field("lat", _("Give both the latitude and the longitude."))
        return place_point(session, draft.lat, draft.lon)
    if draft.commune_code:
        return place_in_commune(session, draft.commune_code)
    if draft.address_string.strip():
        return Placement(lat=None, lon=None, commune_code=None, commune_name="", geozones=())
    raise InvalidInput.on_field(
        "lat", _("Say where the problem is: a point on the map, or a commune and an address.")
    )


def _clean(draft: ReportDraft) -> None:
    for name in ("description", "address_string", "reporter_name", "reporter_phone", "media_url"):
        setattr(draft, name, plain(getattr(draft, name)))
    draft.answers = {
        plain(code): [plain(v) for v in value] if isinstance(value, list) else plain(value)
        for code, value in draft.answers.items()
    }


def _check_text(draft: ReportDraft) -> None:
    errors: dict[str, str] = {}
    if len(draft.description) > MAX_DESCRIPTION:
        errors["description"] = _("The description may not exceed %(n)d characters.") % {
            "n": MAX_DESCRIPTION
        }
    if len(draft.address_string) > 300:
        errors["address_string"] = _("The address may not exceed 300 characters.")
    if len(draft.reporter_name) > 200:
        errors["name"] = _("The name may not exceed 200 characters.")
    if len(draft.reporter_phone) > 40:
        errors["phone"] = _("The phone number may not exceed 40 characters.")
    if draft.media_url.strip() and not _is_web_url(draft.media_url.strip()):
        errors["media_url"] = _("media_url must be an http or https address.")
    if len(draft.photos) > MAX_PHOTOS:
        errors["media"] = _("At most %(n)d photos per report.") % {"n": MAX_PHOTOS}
    if errors:
        raise InvalidInput.on_fields(_("Some fields are invalid."), errors)


def _is_web_url(text: str) -> bool:
    parts = urlsplit(text)
    return len(text) <= 500 and parts.scheme in ("http", "https") and bool(parts.netloc)


def _photos(draft: ReportDraft) -> list[ProcessedPhoto]:
    # Every photo is checked before anything is stored: a bad one stores nothing.
    return [process_photo(data, field=f"media[{i}]") for i, data in enumerate(draft.photos)]


def submit_report(
    session: Session, settings: Settings, draft: ReportDraft, principal: Principal
) -> Report:
    """Check, locate, route and store a report; an anonymous one waits for email confirmation.

    Reports from a signed-in user or an API client are public at once; an anonymous reporter
    must give an email address and open the link sent to it.
    """
    category = category_for(session, draft.category_code)
    _clean(draft)
    _check_text(draft)
    placement = locate(session, draft)
    questions = CategoryRepository(session).questions(category.id)
    answers = check_answers(questions, draft.answers)
    email = normalise_email(draft.reporter_email) if draft.reporter_email.strip() else None
    user = principal.user
    if user is not None and email is None and draft.channel == "web":
        email = user.email
    confirmed = principal.is_authenticated
    if not confirmed and email is None:
        raise InvalidInput.on_field(
            "email", _("Give your email address: we send you a link to confirm the report.")
        )
    if not confirmed and email is not None:
        _check_rate(session, email)
    processed = _photos(draft)
    organisation = route(session, category, placement)
    now = utcnow()
    report = Report(
        category_id=category.id,
        organisation_id=organisation.id,
        status=ReportStatus.OPEN if confirmed else ReportStatus.UNCONFIRMED,
        lat=placement.lat,
        lon=placement.lon,
        located_by=draft.located_by if placement.lat is not None else "address",
        commune_code=placement.commune_code,
        geozones=list(placement.geozones),
        address_string=draft.address_string.strip(),
        description=draft.description.strip(),
        answers=answers,
        media_url=draft.media_url.strip(),
        reporter_name=(draft.reporter_name or (user.display_name if user else "")).strip(),
        reporter_email=email,
        reporter_phone=draft.reporter_phone.strip(),
        reporter_id=user.id if user is not None and draft.channel == "web" else None,
        channel=draft.channel,
        token=secrets.token_urlsafe(18),
        confirmed_at=now if confirmed else None,
        expected_at=(
            now + dt.timedelta(days=category.target_days) if category.target_days else None
        ),
    )
    session.add(report)
    session.flush()
    for photo in processed:
        session.add(
            ReportPhoto(
                report_id=report.id,
                content=photo.content,
                thumbnail=photo.thumbnail,
                width=photo.width,
                height=photo.height,
                sha256=photo.sha256,
            )
        )
    session.add(
        ReportUpdate(
            report_id=report.id,
            kind="created",
            status_after=report.status,
            author_id=report.reporter_id,
        )
    )
    session.flush()
    if confirmed:
        own_address = user is not None and email == user.email.lower()
        _published(session, settings, report, address_verified=own_address)
    else:
        notifications.send_report_confirmation(session, settings, report)
    return report


def _check_rate(session: Session, email: str) -> None:
    since = utcnow() - dt.timedelta(hours=1)
    if ReportRepository(session).count_by_email_since(email, since) >= ANONYMOUS_REPORTS_PER_HOUR:
        raise RateLimited(
            _(
                "You have sent many reports in the last hour. Confirm the ones waiting in your "
                "mailbox, or sign in to report more."
            ),
            retry_after=3600,
        )


def _published(
    session: Session, settings: Settings, report: Report, *, address_verified: bool
) -> None:
    """A report became public: its reporter follows it, its organisation and area alerts are told.

    The follow is confirmed at once only when the address is known to be the reporter's (their
    account's, or one that opened the confirmation link); an address typed into an API client
    or for someone else gets a confirmation email first.
    """
    if report.reporter_email:
        if address_verified:
            _follow_confirmed(session, report.reporter_email, report.id, report.reporter_id)
        else:
            follow(session, settings, ANONYMOUS, report.reporter_email, report=report)
    notifications.notify_organisation(session, settings, report)
    notifications.notify_new_report(session, settings, report)


def _follow_confirmed(session: Session, email: str, report_id: int, user_id: int | None) -> None:
    repository = SubscriptionRepository(session)
    subscription = repository.find(email, report_id=report_id)
    if subscription is None:
        subscription = ReportSubscription(email=email, user_id=user_id, report_id=report_id)
        session.add(subscription)
    subscription.confirmed_at = subscription.confirmed_at or utcnow()
    session.flush()
    repository.refresh_count(report_id)


def _payload(settings: Settings, purpose: str, token: str, max_days: int) -> dict[str, object]:
    payload = unsign(
        settings.secret_key.get_secret_value(), purpose, token, max_age=max_days * 86400
    )
    if payload is None:
        raise NotFound(_("This link is invalid or has expired."))
    return payload


def confirm_report(session: Session, settings: Settings, token: str) -> Report:
    """Publish an anonymous report from its emailed link; opening it twice is harmless."""
    payload = _payload(settings, notifications.CONFIRM_REPORT, token, CONFIRMATION_DAYS)
    report = ReportRepository(session).get(payload.get("r"))
    if report is None:
        raise NotFound(_("This link is invalid or has expired."))
    if report.status == ReportStatus.UNCONFIRMED:
        report.status = ReportStatus.OPEN
        report.confirmed_at = utcnow()
        category = CategoryRepository(session).get(report.category_id)
        if category is not None and category.target_days:
            # The authority's commitment runs from when it can see the report.
            report.expected_at = report.confirmed_at + dt.timedelta(days=category.target_days)
        session.add(
            ReportUpdate(
                report_id=report.id,
                kind="status",
                status_before=ReportStatus.UNCONFIRMED,
                status_after=ReportStatus.OPEN,
            )
        )
        session.flush()
        _published(session, settings, report, address_verified=True)
    return report


def follow(
    session: Session,
    settings: Settings,
    principal: Principal,
    email: str,
    *,
    report: Report | None = None,
    commune_code: str | None = None,
    geozone_slug: str | None = None,
) -> ReportSubscription:
    """Follow a report or ask for alerts in an area; confirmed at once for one's own address."""
    address = normalise_email(email)
    if report is None and not commune_code and not geozone_slug:
        raise InvalidInput.on_field("area", _("Choose a commune or a zone."))
    territory = TerritoryRepository(session)
    area_name = ""
    if commune_code:
        commune = territory.commune(commune_code)
        if commune is None:
            raise InvalidInput.on_field("area", _("Choose one of the territory's communes."))
        area_name = commune.name
    if geozone_slug:
        zone = territory.geozone_by_slug(geozone_slug)
        if zone is None:
            raise InvalidInput.on_field("area", _("Choose one of the territory's zones."))
        area_name = zone.name
    repository = SubscriptionRepository(session)
    report_id = report.id if report is not None else None
    subscription = repository.find(
        address,
        report_id=report_id,
        commune_code=commune_code or None,
        geozone_slug=geozone_slug or None,
    )
    now = utcnow()
    # Asking again re-sends the link at most once an hour: no flooding someone's mailbox.
    resend = subscription is not None and subscription.created_at < now - RESEND_AFTER
    if subscription is None:
        subscription = ReportSubscription(
            email=address,
            report_id=report_id,
            commune_code=commune_code or None,
            geozone_slug=geozone_slug or None,
            created_at=now,
        )
        session.add(subscription)
        session.flush()
        resend = True
    user = principal.user
    if user is not None and user.email.lower() == address:
        subscription.user_id = user.id
        subscription.confirmed_at = subscription.confirmed_at or now
    elif subscription.confirmed_at is None and resend:
        subscription.created_at = now
        what = (
            _("report no. %(id)d") % {"id": report.id}
            if report is not None
            else _("new reports in %(area)s") % {"area": area_name}
        )
        notifications.send_follow_confirmation(
            session, settings, email=address, subscription_id=subscription.id, what=what
        )
    session.flush()
    if report_id is not None:
        repository.refresh_count(report_id)
    return subscription


def confirm_subscription(session: Session, settings: Settings, token: str) -> ReportSubscription:
    """Confirm a follow or an alert from its emailed link."""
    payload = _payload(settings, notifications.CONFIRM_FOLLOW, token, CONFIRMATION_DAYS)
    subscription = SubscriptionRepository(session).get(payload.get("s"))
    if subscription is None:
        raise NotFound(_("This link is invalid or has expired."))
    subscription.confirmed_at = subscription.confirmed_at or utcnow()
    session.flush()
    if subscription.report_id is not None:
        SubscriptionRepository(session).refresh_count(subscription.report_id)
    return subscription


def unsubscribe(session: Session, settings: Settings, token: str) -> None:
    """Stop a follow or an alert from the link in any of its emails (valid a year)."""
    payload = _payload(settings, notifications.UNSUBSCRIBE, token, 365)
    repository = SubscriptionRepository(session)
    subscription = repository.get(payload.get("s"))
    if subscription is None:
        return  # already gone: the link did its job
    report_id = subscription.report_id
    repository.delete(subscription)
    if report_id is not None:
        repository.refresh_count(report_id)


def flag_report(session: Session, report: Report, *, reason: str, client: str) -> ReportFlag:
    """Record that someone finds a report abusive; one flag per person and report."""
    reason = plain(reason)
    if not reason:
        raise InvalidInput.on_field("reason", _("Say what is wrong with this report."))
    if len(reason) > MAX_FLAG_REASON:
        raise InvalidInput.on_field(
            "reason", _("The reason may not exceed %(n)d characters.") % {"n": MAX_FLAG_REASON}
        )
    digest = hashlib.sha256(f"{report.id}:{client}".encode()).hexdigest()
    if ReportRepository(session).has_flag(report.id, digest):
        raise Conflict(_("You already flagged this report; moderators will look at it."))
    flag = ReportFlag(report_id=report.id, reason=reason, client_digest=digest)
    session.add(flag)
    session.flush()
    ReportRepository(session).count_flag(report.id)
    return flag
