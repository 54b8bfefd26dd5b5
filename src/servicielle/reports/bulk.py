"""What staff do from the back office, on one report or on several at once; never commits.

These wrap ``lifecycle``: they find the report the way staff may see it, check what the
forms add (an assignee of the right organisation, a reason to moderate), and apply a bulk
action to every ticked report or to none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.errors import InvalidInput, NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import is_id, parse_id
from servicielle.core.permissions import Principal
from servicielle.core.text import plain
from servicielle.reports import lifecycle
from servicielle.reports.models import Report, ReportStatus, ReportUpdate
from servicielle.reports.queue import StaffReportRepository
from servicielle.reports.repository import ReportRepository

BULK_ACTIONS = ("status", "assign", "reroute")
MAX_BULK = 200


def staff_report(session: Session, principal: Principal, report_id: int) -> Report:
    """A report the principal handles, or NotFound."""
    # Another organisation's report is as missing as an unknown number (a 403 would say that
    # the number exists), and an unconfirmed one is nobody's until its reporter confirms it.
    found = (
        StaffReportRepository(session, principal).handled(report_id) if is_id(report_id) else None
    )
    if found is None:
        raise NotFound(_("No report no. %(id)d.") % {"id": report_id})
    return found


def assign_to(session: Session, report: Report, principal: Principal, assignee: str) -> None:
    """Assign to ``"me"``, to nobody (``""`` or ``"none"``) or to a member's user id."""
    lifecycle.check_handler(principal, report)
    choice = assignee.strip()
    if choice in ("", "none"):
        user_id = None
    elif choice == "me":
        if principal.user is None:
            raise InvalidInput.on_field("assignee", _("Choose an agent."))
        user_id = principal.user.id
    elif (user_id := parse_id(choice)) is not None:
        is_self = principal.user is not None and principal.user.id == user_id
        if not is_self and not StaffReportRepository(session, principal).is_member(
            user_id, report.organisation_id
        ):
            raise InvalidInput.on_field(
                "assignee", _("This person is not a member of the organisation handling it.")
            )
    else:
        raise InvalidInput.on_field("assignee", _("Choose an agent."))
    if user_id == report.assignee_id:
        return
    lifecycle.assign(session, report, principal, assignee_id=user_id)


def merge_into(
    session: Session,
    settings: Settings,
    report: Report,
    principal: Principal,
    *,
    original_id: int | None,
    note: str = "",
) -> ReportUpdate:
    """Merge ``report`` into the report numbered ``original_id``."""
    if original_id is None:
        raise InvalidInput.on_field("original", _("Give the number of the original report."))
    original = ReportRepository(session).get(original_id) if is_id(original_id) else None
    if original is None or original.status == ReportStatus.UNCONFIRMED:
        # An unconfirmed report is no one's to see yet: it does not exist for staff.
        raise InvalidInput.on_field("original", _("No report no. %(id)d.") % {"id": original_id})
    return lifecycle.merge(session, settings, report, original, principal, note=note)


def moderate_report(
    session: Session,
    report: Report,
    principal: Principal,
    *,
    reason: str,
    public_description: str | None = None,
    hide_report: bool | None = None,
    hidden_photo_ids: Sequence[int] | None = None,
    hidden_update_ids: Sequence[int] | None = None,
    address_string: str | None = None,
    clear_media_url: bool = False,
) -> None:
    """Moderate with a reason kept in the internal timeline; also resolves the open flags."""
    if not reason.strip():
        raise InvalidInput.on_field("reason", _("Say why: the reason stays in the history."))
    lifecycle.moderate(
        session,
        report,
        principal,
        public_description=public_description,
        hide_report=hide_report,
        hidden_photo_ids=hidden_photo_ids,
        hidden_update_ids=hidden_update_ids,
        # None, or the same address again, leaves the address (and the audit log) alone.
        address_string=(
            None
            if address_string is None or plain(address_string) == report.address_string
            else address_string
        ),
        clear_media_url=clear_media_url and bool(report.media_url),
        reason=reason,
    )


@dataclass(frozen=True)
class BulkAction:
    """One action for every ticked report of the queue."""

    action: str
    status: str = ""
    note: str = ""
    internal_note: str = ""
    close_reason: str | None = None
    assignee: str = ""
    organisation_id: int | None = None


def _apply(
    session: Session, settings: Settings, report: Report, principal: Principal, bulk: BulkAction
) -> None:
    if bulk.action == "status":
        lifecycle.change_status(
            session,
            settings,
            report,
            principal,
            status=bulk.status,
            note=bulk.note,
            internal_note=bulk.internal_note,
            close_reason=bulk.close_reason,
        )
    elif bulk.action == "assign":
        assign_to(session, report, principal, bulk.assignee)
    else:
        if bulk.organisation_id is None:
            raise InvalidInput.on_field("organisation", _("Choose an organisation."))
        lifecycle.reroute(
            session,
            settings,
            report,
            principal,
            organisation_id=bulk.organisation_id,
            note=bulk.note,
        )


def _naming(exc: ServicielleError, report_id: int) -> ServicielleError:
    """The same error, its messages prefixed with the report they are about."""
    prefix = _("Report no. %(id)d: ") % {"id": report_id}
    errors = [{**e, "message": prefix + str(e["message"])} for e in exc.errors] or [
        {"field": "ids", "message": prefix + exc.detail}
    ]
    # Same class, so the same status (403, 409, 422...) and the page rolls everything back.
    return type(exc)(prefix + exc.detail, errors=errors, headers=exc.headers)


def apply_bulk(
    session: Session,
    settings: Settings,
    principal: Principal,
    report_ids: Sequence[int],
    bulk: BulkAction,
) -> int:
    """Apply ``bulk`` to every report or to none; a failure names its report."""
    ids = list(dict.fromkeys(report_ids))
    if not ids:
        raise InvalidInput.on_field("ids", _("Tick at least one report."))
    if len(ids) > MAX_BULK:
        raise InvalidInput.on_field("ids", _("At most %(n)d reports at once.") % {"n": MAX_BULK})
    if bulk.action not in BULK_ACTIONS:
        raise InvalidInput.on_field("action", _("Choose an action."))
    # A savepoint: after a failure the session is as it was, so the page shows the truth.
    with session.begin_nested():
        for report_id in ids:
            try:
                report = staff_report(session, principal, report_id)
                _apply(session, settings, report, principal, bulk)
            except ServicielleError as exc:
                raise _naming(exc, report_id) from exc
    return len(ids)
