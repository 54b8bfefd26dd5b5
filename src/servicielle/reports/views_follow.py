"""Pages behind the links of our emails, and the form to be alerted of new reports.

Every link that changes something (publishing a report, confirming a follow, unsubscribing,
answering "is it fixed?") shows a page with a button first: mail scanners and link
prefetchers open links, they do not post.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.accounts.security import unsign
from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import Conflict, InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.repository import TerritoryRepository
from servicielle.core.text import plain
from servicielle.reports import lifecycle, notifications, service
from servicielle.reports.models import Report, ReportStatus, ReportSubscription
from servicielle.reports.repository import (
    CategoryRepository,
    ReportRepository,
    SubscriptionRepository,
)
from servicielle.reports.views_common import (
    commune_choices,
    link_expired,
    message_page,
    public_report,
    signed_in_email,
)

router = APIRouter()
TextField = Annotated[str, Form(max_length=4000)]
# The questionnaire comes with the "fixed" email; people may read it weeks later.
QUESTIONNAIRE_DAYS = 60
UNSUBSCRIBE_DAYS = 365
MAX_TOKEN = 500


def _valid(request: Request, purpose: str, token: str, days: int) -> dict[str, object] | None:
    secret = request.app.state.settings.secret_key.get_secret_value()
    return unsign(secret, purpose, token[:MAX_TOKEN], max_age=days * 86400)


def _confirm_page(
    request: Request, *, title: str, message: str, action: str, button: str
) -> HTMLResponse:
    """A page whose button posts what the emailed link is for."""
    return render(
        request,
        "reports/confirm.html",
        {"title": title, "message": message, "action": action, "button": button},
    )


def _published(request: Request, session: Session, report: Report) -> HTMLResponse:
    category = CategoryRepository(session).get(report.category_id)
    return message_page(
        request,
        title=_("Your report is published"),
        message=_(
            "Thank you. Report no. %(id)d is now public and sent to the organisation that "
            "handles it. We will email you each change."
        )
        % {"id": report.id},
        notice=category.notice if category is not None else "",
        links=[(f"/signalements/{report.id}", _("See your report"))],
    )


@router.get("/confirmation/{token}", response_class=HTMLResponse)
def confirm_report_form(token: str, request: Request, session: DbSession) -> HTMLResponse:
    """Ask for a click before publishing an anonymous report (a GET changes nothing)."""
    payload = _valid(request, notifications.CONFIRM_REPORT, token, service.CONFIRMATION_DAYS)
    report_id = payload.get("r") if payload is not None else None
    report = ReportRepository(session).get(report_id) if isinstance(report_id, int) else None
    if report is None:
        return link_expired(request)
    if report.status != ReportStatus.UNCONFIRMED:
        # Confirmed already: say so; hidden by a moderator meanwhile: as good as gone.
        return _published(request, session, report) if report.is_public else link_expired(request)
    return _confirm_page(
        request,
        title=_("Publish your report"),
        message=_(
            "Report no. %(id)d is waiting for your confirmation. Once you confirm it, it is "
            "public and sent to the organisation that handles it."
        )
        % {"id": report.id},
        action=f"/signalements/confirmation/{token[:MAX_TOKEN]}",
        button=_("Confirm and publish my report"),
    )


@router.post("/confirmation/{token}", response_class=HTMLResponse)
def confirm_report(
    token: str, request: Request, session: DbSession, _csrf: CsrfChecked
) -> HTMLResponse:
    """Publish an anonymous report from the page of its emailed link."""
    try:
        report = service.confirm_report(session, request.app.state.settings, token[:MAX_TOKEN])
    except NotFound:
        return link_expired(request)
    if not report.is_public:
        return link_expired(request)  # hidden by a moderator meanwhile
    return _published(request, session, report)


def _area_link(commune_code: str | None) -> str:
    return f"/signalements?commune={commune_code}" if commune_code else "/signalements"


def _subscribed(request: Request, subscription: ReportSubscription) -> HTMLResponse:
    if subscription.report_id is not None:
        link = (f"/signalements/{subscription.report_id}", _("See the report"))
        message = _("You will receive an email at each change of report no. %(id)d.") % {
            "id": subscription.report_id
        }
    else:
        link = (_area_link(subscription.commune_code), _("See the reports"))
        message = _("You will receive an email for each new report in the area you chose.")
    return message_page(request, title=_("Subscription confirmed"), message=message, links=[link])


@router.get("/abonnements/{token}", response_class=HTMLResponse)
def confirm_subscription_form(token: str, request: Request, session: DbSession) -> HTMLResponse:
    """Ask for a click before starting the emails of a follow or an alert."""
    payload = _valid(request, notifications.CONFIRM_FOLLOW, token, service.CONFIRMATION_DAYS)
    subscription_id = payload.get("s") if payload is not None else None
    subscription = (
        SubscriptionRepository(session).get(subscription_id)
        if isinstance(subscription_id, int)
        else None
    )
    if subscription is None:
        return link_expired(request)
    if subscription.confirmed_at is not None:
        return _subscribed(request, subscription)
    if subscription.report_id is not None:
        message = _("Confirm that you want an email at each change of report no. %(id)d.") % {
            "id": subscription.report_id
        }
    else:
        message = _("Confirm that you want an email for each new report in the area you chose.")
    return _confirm_page(
        request,
        title=_("Confirm your subscription"),
        message=message,
        action=f"/signalements/abonnements/{token[:MAX_TOKEN]}",
        button=_("Confirm my subscription"),
    )


@router.post("/abonnements/{token}", response_class=HTMLResponse)
def confirm_subscription(
    token: str, request: Request, session: DbSession, _csrf: CsrfChecked
) -> HTMLResponse:
    """Confirm a follow or an alert from the page of its emailed link."""
    try:
        subscription = service.confirm_subscription(
            session, request.app.state.settings, token[:MAX_TOKEN]
        )
    except NotFound:
        return link_expired(request)
    return _subscribed(request, subscription)


@router.get("/abonnements/arret/{token}", response_class=HTMLResponse)
def unsubscribe_form(token: str, request: Request) -> HTMLResponse:
    """Ask for a click before unsubscribing."""
    if _valid(request, notifications.UNSUBSCRIBE, token, UNSUBSCRIBE_DAYS) is None:
        return link_expired(request)
    return render(request, "reports/unsubscribe.html", {"token": token[:MAX_TOKEN]})


@router.post("/abonnements/arret/{token}", response_class=HTMLResponse)
def unsubscribe(
    token: str, request: Request, session: DbSession, _csrf: CsrfChecked
) -> HTMLResponse:
    """Stop the emails of a follow or an alert."""
    try:
        service.unsubscribe(session, request.app.state.settings, token[:MAX_TOKEN])
    except NotFound:
        return link_expired(request)
    return message_page(
        request,
        title=_("Unsubscribed"),
        message=_("You will no longer receive these emails."),
        links=[("/signalements", _("See the reports"))],
    )


def _questionnaire_report(
    request: Request, session: Session, report_id: int, token: str
) -> Report | None:
    payload = _valid(request, notifications.QUESTIONNAIRE, token, QUESTIONNAIRE_DAYS)
    if payload is None or payload.get("r") != report_id:
        return None
    try:
        return public_report(session, report_id)
    except NotFound:
        return None


def _not_fixed_any_more(request: Request, report: Report) -> HTMLResponse:
    return message_page(
        request,
        title=_("Nothing to answer any more"),
        message=_("Report no. %(id)d is no longer marked as fixed: its page tells where it stands.")
        % {"id": report.id},
        links=[(f"/signalements/{report.id}", _("See the report"))],
        status_code=409,
    )


def _questionnaire_page(
    request: Request,
    report: Report,
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "reports/questionnaire.html",
        {
            "report": report,
            "token": token[:MAX_TOKEN],
            "values": values or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/{report_id:int}/resolu/{token}", response_class=HTMLResponse)
def questionnaire_form(
    report_id: int, token: str, request: Request, session: DbSession
) -> HTMLResponse:
    """Ask the reporter whether the problem is really fixed."""
    report = _questionnaire_report(request, session, report_id, token)
    if report is None:
        return link_expired(request)
    if report.status != ReportStatus.FIXED:
        return _not_fixed_any_more(request, report)
    return _questionnaire_page(request, report, token)


@router.post("/{report_id:int}/resolu/{token}", response_class=HTMLResponse)
def answer_questionnaire(
    report_id: int,
    token: str,
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    fixed: Annotated[str, Form(max_length=10)] = "",
    note: TextField = "",
) -> HTMLResponse:
    """Record the answer: "no" reopens the report with the reporter's note."""
    report = _questionnaire_report(request, session, report_id, token)
    if report is None:
        return link_expired(request)
    values = {"fixed": fixed, "note": note}
    if fixed not in ("yes", "no"):
        errors = {"fixed": _("Say whether the problem is fixed.")}
        return _questionnaire_page(
            request, report, token, values=values, errors=errors, status_code=422
        )
    try:
        lifecycle.answer_questionnaire(
            session, request.app.state.settings, report, fixed=fixed == "yes", note=note
        )
    except Conflict:
        return _not_fixed_any_more(request, report)
    except InvalidInput as exc:
        errors = {"note" if f == "note" else "fixed": m for f, m in exc.by_field("note").items()}
        return _questionnaire_page(
            request, report, token, values=values, errors=errors, status_code=422
        )
    if fixed == "yes":
        title, message = _("Thank you"), _("You confirmed that the problem is fixed.")
    else:
        title = _("The report is reopened")
        message = _("The team handling it has been told what is still wrong.")
    return message_page(
        request,
        title=title,
        message=message,
        links=[(f"/signalements/{report.id}", _("See the report"))],
    )


def _alerts_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "reports/alerts.html",
        {
            "communes": commune_choices(session),
            "geozones": TerritoryRepository(session).geozones(),
            "values": {"email": signed_in_email(principal), "area": "", **(values or {})},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get("/alertes", response_class=HTMLResponse)
def alerts_form(request: Request, session: DbSession, principal: CurrentPrincipal) -> HTMLResponse:
    """Ask to be emailed of new reports in a commune or a zone."""
    return _alerts_page(request, session, principal)


@router.post("/alertes", response_class=HTMLResponse)
def subscribe_alerts(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    _csrf: CsrfChecked,
    email: TextField = "",
    area: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record the alert; it starts once the emailed link is opened (at once for oneself)."""
    area = plain(area)  # a NUL byte would make PostgreSQL refuse the query
    kind, _sep, key = area.partition(":")
    commune_code = key if kind == "commune" and key else None
    geozone_slug = key if kind == "zone" and key else None
    values = {"email": email, "area": area}
    try:
        if commune_code is None and geozone_slug is None:
            raise InvalidInput.on_field("area", _("Choose a commune or a zone."))
        subscription = service.follow(
            session,
            request.app.state.settings,
            principal,
            email,
            commune_code=commune_code,
            geozone_slug=geozone_slug,
        )
    except InvalidInput as exc:
        errors = {f if f in ("email", "area") else "area": m for f, m in exc.by_field().items()}
        return _alerts_page(
            request, session, principal, values=values, errors=errors, status_code=422
        )
    link = (_area_link(commune_code), _("See the reports"))
    own = principal.user is not None and signed_in_email(principal).lower() == subscription.email
    if own and subscription.confirmed_at is not None:
        return message_page(
            request,
            title=_("Alerts are on"),
            message=_("We will email you each new report in the area you chose."),
            links=[link],
        )
    return message_page(
        request,
        title=_("Check your mailbox"),
        message=_(
            "Unless this address already receives these alerts, we have sent it a link: open "
            "it to start them."
        ),
        links=[link],
    )
