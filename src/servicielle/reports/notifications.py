"""Emails to reporters, followers and area alerts; queued, sent by the worker after commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.security import sign
from servicielle.core.i18n import DEFAULT_LOCALE, _, in_locale
from servicielle.core.mail.service import queue_mail
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.reports.labels import status_label
from servicielle.reports.models import Report, ReportStatus, ReportUpdate
from servicielle.reports.repository import CategoryRepository, SubscriptionRepository

CONFIRM_REPORT = "report-confirm"
CONFIRM_FOLLOW = "report-follow"
UNSUBSCRIBE = "report-unsubscribe"
QUESTIONNAIRE = "report-fixed"


def token(settings: Settings, purpose: str, payload: dict[str, object]) -> str:
    """A signed link token for one of the purposes above."""
    return sign(settings.secret_key.get_secret_value(), purpose, payload)


def report_url(settings: Settings, report: Report) -> str:
    """The public page of a report."""
    return f"{settings.base_url}/signalements/{report.id}"


def _unsubscribe_line(settings: Settings, subscription_id: int) -> str:
    link = token(settings, UNSUBSCRIBE, {"s": subscription_id})
    return _("To stop receiving these messages: %(link)s") % {
        "link": f"{settings.base_url}/signalements/abonnements/arret/{link}"
    }


def send_report_confirmation(session: Session, settings: Settings, report: Report) -> None:
    """Ask an anonymous reporter to confirm their report by opening a link."""
    assert report.reporter_email
    link = token(settings, CONFIRM_REPORT, {"r": report.id})
    queue_mail(
        session,
        settings,
        to=report.reporter_email,
        subject=_("Confirm your report no. %(id)d") % {"id": report.id},
        body=_(
            "Hello,\n\nYou reported a problem to the authority. To send it, open this link "
            "within 7 days:\n%(link)s\n\nUntil then nobody sees it. If you did not send this "
            "report, ignore this message."
        )
        % {"link": f"{settings.base_url}/signalements/confirmation/{link}"},
    )


def send_follow_confirmation(
    session: Session, settings: Settings, *, email: str, subscription_id: int, what: str
) -> None:
    """Ask someone to confirm they want the messages of a follow or an area alert."""
    link = token(settings, CONFIRM_FOLLOW, {"s": subscription_id})
    queue_mail(
        session,
        settings,
        to=email,
        subject=_("Confirm your subscription"),
        body=_(
            "Hello,\n\nYou asked to be told about %(what)s. To confirm, open this link:\n"
            "%(link)s\n\nIf you did not ask for it, ignore this message."
        )
        % {"what": what, "link": f"{settings.base_url}/signalements/abonnements/{link}"},
    )


def notify_change(
    session: Session, settings: Settings, report: Report, update: ReportUpdate
) -> int:
    """Tell the report's followers of a public change; returns how many messages queued."""
    # Followers read the authority's language, whatever the agent's page was in.
    with in_locale(DEFAULT_LOCALE):
        return _notify_change(session, settings, report, update)


def _notify_change(
    session: Session, settings: Settings, report: Report, update: ReportUpdate
) -> int:
    if not report.is_public or update.hidden:
        return 0
    category = CategoryRepository(session).get(report.category_id)
    lines = [
        _("Report no. %(id)d (%(category)s) has changed.")
        % {"id": report.id, "category": category.name if category else ""},
        _("Status: %(status)s") % {"status": status_label(report.status, report.close_reason)},
    ]
    if update.note:
        lines += ["", update.note]
    lines += ["", report_url(settings, report)]
    queued = 0
    for subscription in SubscriptionRepository(session).followers(report.id):
        body = "\n".join(lines)
        if (
            report.status == ReportStatus.FIXED
            and update.status_after == ReportStatus.FIXED
            and subscription.email == report.reporter_email
        ):
            ask = token(settings, QUESTIONNAIRE, {"r": report.id})
            body += "\n\n" + _(
                "Is it really fixed? Tell us, and reopen the report if it is not:\n%(link)s"
            ) % {"link": f"{settings.base_url}/signalements/{report.id}/resolu/{ask}"}
        body += "\n\n" + _unsubscribe_line(settings, subscription.id)
        queue_mail(
            session,
            settings,
            to=subscription.email,
            subject=_("Report no. %(id)d: %(status)s")
            % {"id": report.id, "status": status_label(report.status, report.close_reason)},
            body=body,
        )
        queued += 1
    return queued


def notify_new_report(session: Session, settings: Settings, report: Report) -> int:
    """Alert those who watch the report's commune or geozones; returns how many queued."""
    with in_locale(DEFAULT_LOCALE):
        return _notify_new_report(session, settings, report)


def _notify_new_report(session: Session, settings: Settings, report: Report) -> int:
    if not report.is_public:
        return 0
    category = CategoryRepository(session).get(report.category_id)
    seen: set[str] = set()
    for subscription in SubscriptionRepository(session).area_alerts(
        report.commune_code, report.geozones
    ):
        if subscription.email in seen or subscription.email == report.reporter_email:
            continue
        seen.add(subscription.email)
        queue_mail(
            session,
            settings,
            to=subscription.email,
            subject=_("New report: %(category)s") % {"category": category.name if category else ""},
            body=_("A problem was reported where you asked to be alerted:\n\n%(text)s\n\n%(url)s")
            % {"text": report.public_text[:500], "url": report_url(settings, report)}
            + "\n\n"
            + _unsubscribe_line(settings, subscription.id),
        )
    return len(seen)


def notify_organisation(session: Session, settings: Settings, report: Report) -> bool:
    """Tell the responsible organisation's shared inbox (if it has one) of a report to handle.

    The message carries the back-office link, never the reporter's contact details.
    """
    organisation = OrganisationRepository(session).get(report.organisation_id)
    if organisation is None or not organisation.email or not report.is_public:
        return False
    category = CategoryRepository(session).get(report.category_id)
    with in_locale(DEFAULT_LOCALE):
        queue_mail(
            session,
            settings,
            to=organisation.email,
            subject=_("Report no. %(id)d to handle: %(category)s")
            % {"id": report.id, "category": category.name if category else ""},
            body=_("A report is waiting in your queue:\n\n%(text)s\n\n%(url)s")
            % {
                "text": report.public_text[:500],
                "url": f"{settings.base_url}/admin/signalements/{report.id}",
            },
        )
    return True
