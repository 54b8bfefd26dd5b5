"""What agents and reporters do to a report: statuses, notes, re-routing, merging, moderation.

Every public change is one ``ReportUpdate`` (the timeline) and one round of emails; the
audit log keeps each column's previous value, so moderation never loses the original.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.core.text import plain
from servicielle.reports import notifications
from servicielle.reports.models import (
    CLOSED_STATUSES,
    CloseReason,
    Report,
    ReportStatus,
    ReportSubscription,
    ReportUpdate,
)
from servicielle.reports.repository import ReportRepository, SubscriptionRepository
from servicielle.reports.schemas import MAX_DESCRIPTION

# The statuses an agent may set; "unconfirmed" belongs to the reporter's email link only.
AGENT_STATUSES = (
    ReportStatus.OPEN,
    ReportStatus.ACKNOWLEDGED,
    ReportStatus.PLANNED,
    ReportStatus.IN_PROGRESS,
    ReportStatus.FIXED,
    ReportStatus.CLOSED,
)
MAX_NOTE = 4000


def check_handler(principal: Principal, report: Report) -> None:
    """Only the responsible organisation's staff (or an administrator) handle a report."""
    if not principal.acts_for(report.organisation_id):
        raise Forbidden(_("This report is handled by another organisation."))


def _check_note(note: str) -> str:
    note = plain(note)
    if len(note) > MAX_NOTE:
        raise InvalidInput.on_field(
            "note", _("The note may not exceed %(n)d characters.") % {"n": MAX_NOTE}
        )
    return note


def _record(
    session: Session, settings: Settings, report: Report, update: ReportUpdate, *, notify: bool
) -> ReportUpdate:
    session.add(update)
    report.modified_at = utcnow()
    session.flush()
    if notify and (update.note or update.status_after != update.status_before):
        notifications.notify_change(session, settings, report, update)
    return update


def _apply_status(report: Report, status: str, close_reason: str | None) -> None:
    """Set the status; the milestones move only when the status really changes."""
    changed = status != report.status or (
        status == ReportStatus.CLOSED and close_reason != report.close_reason
    )
    report.status = status
    report.close_reason = close_reason if status == ReportStatus.CLOSED else None
    if status != ReportStatus.CLOSED:
        # A reopened duplicate is a report of its own again.
        report.duplicate_of_id = None
    if not changed:
        return
    now = utcnow()
    if status not in (ReportStatus.OPEN, ReportStatus.REOPENED) and report.acknowledged_at is None:
        report.acknowledged_at = now
    if status == ReportStatus.FIXED:
        report.fixed_at = now
    elif status != ReportStatus.CLOSED:
        report.fixed_at = None
    report.closed_at = now if status in CLOSED_STATUSES else None


def change_status(
    session: Session,
    settings: Settings,
    report: Report,
    principal: Principal,
    *,
    status: str,
    note: str = "",
    internal_note: str = "",
    close_reason: str | None = None,
) -> ReportUpdate:
    """Move a report to ``status`` with a public note; closing needs a reason and a note."""
    check_handler(principal, report)
    if status not in AGENT_STATUSES:
        raise InvalidInput.on_field("status", _("Unknown status: %(s)s") % {"s": status[:40]})
    if report.status == ReportStatus.UNCONFIRMED:
        raise Conflict(_("The reporter has not confirmed this report yet."))
    note, internal_note = _check_note(note), _check_note(internal_note)
    if status == ReportStatus.CLOSED:
        if close_reason not in (CloseReason.NOT_RESPONSIBLE, CloseReason.NO_ACTION):
            raise InvalidInput.on_field(
                "close_reason",
                _("Say why the report is closed: not our responsibility, or no action possible."),
            )
    else:
        close_reason = None
    if status in CLOSED_STATUSES and not note:
        # Inhabitants read "fixed" or "closed" with no word as being brushed off.
        raise InvalidInput.on_field("note", _("Explain to the reporter what was done or why."))
    before = report.status
    if before == status and close_reason == report.close_reason and not note and not internal_note:
        raise Conflict(_("The report already has this status."))
    _apply_status(report, status, close_reason)
    return _record(
        session,
        settings,
        report,
        ReportUpdate(
            report_id=report.id,
            kind="status" if before != status else "note",
            status_before=before,
            status_after=status,
            close_reason=report.close_reason,
            note=note,
            internal_note=internal_note,
            author_id=principal.user.id if principal.user else None,
            organisation_id=report.organisation_id,
            # Nothing public happened: the step stays off the public timeline.
            hidden=before == status and not note,
        ),
        notify=True,
    )


def add_note(
    session: Session,
    settings: Settings,
    report: Report,
    principal: Principal,
    *,
    note: str = "",
    internal_note: str = "",
) -> ReportUpdate:
    """A public reply or an internal note, without changing the status."""
    check_handler(principal, report)
    note, internal_note = _check_note(note), _check_note(internal_note)
    if not note and not internal_note:
        raise InvalidInput.on_field("note", _("Write a note."))
    return _record(
        session,
        settings,
        report,
        ReportUpdate(
            report_id=report.id,
            kind="note",
            status_before=report.status,
            status_after=report.status,
            note=note,
            internal_note=internal_note,
            author_id=principal.user.id if principal.user else None,
            organisation_id=report.organisation_id,
            hidden=not note,
        ),
        notify=bool(note),
    )


def reroute(
    session: Session,
    settings: Settings,
    report: Report,
    principal: Principal,
    *,
    organisation_id: int,
    note: str = "",
) -> ReportUpdate:
    """Hand a report to the organisation that is responsible; it reopens in their queue."""
    check_handler(principal, report)
    target = OrganisationRepository(session).get(organisation_id)
    if target is None:
        raise InvalidInput.on_field("organisation", _("Choose an organisation."))
    if target.id == report.organisation_id:
        raise Conflict(_("The report is already with this organisation."))
    note = _check_note(note) or _("Forwarded to %(name)s, who is responsible.") % {
        "name": target.name
    }
    before, previous = report.status, report.organisation_id
    report.organisation_id = target.id
    report.assignee_id = None
    if report.status in CLOSED_STATUSES:
        _apply_status(report, ReportStatus.REOPENED, None)
    notifications.notify_organisation(session, settings, report)
    return _record(
        session,
        settings,
        report,
        ReportUpdate(
            report_id=report.id,
            kind="reroute",
            status_before=before,
            status_after=report.status,
            note=note,
            author_id=principal.user.id if principal.user else None,
            organisation_id=target.id,
            from_organisation_id=previous,
        ),
        notify=True,
    )


def merge(
    session: Session,
    settings: Settings,
    duplicate: Report,
    original: Report,
    principal: Principal,
    *,
    note: str = "",
) -> ReportUpdate:
    """Close ``duplicate`` in favour of ``original``; its followers now follow the original.

    The original may belong to another organisation: it gains followers and an internal
    timeline entry, nothing else.
    """
    check_handler(principal, duplicate)
    if duplicate.status == ReportStatus.UNCONFIRMED:
        # Closing it would publish what its reporter never confirmed.
        raise Conflict(_("The reporter has not confirmed this report yet."))
    if duplicate.id == original.id:
        raise InvalidInput.on_field("original", _("A report cannot duplicate itself."))
    if not original.is_public:
        raise InvalidInput.on_field("original", _("The original report must be public."))
    if original.duplicate_of_id is not None:
        raise InvalidInput.on_field(
            "original", _("That report is itself a duplicate: choose the report it points to.")
        )
    note = _check_note(note) or _("This problem was already reported: see report no. %(id)d.") % {
        "id": original.id
    }
    repository = SubscriptionRepository(session)
    for follower in repository.followers(duplicate.id):
        if repository.find(follower.email, report_id=original.id) is None:
            session.add(
                ReportSubscription(
                    email=follower.email,
                    user_id=follower.user_id,
                    report_id=original.id,
                    confirmed_at=follower.confirmed_at,
                )
            )
    for merged in ReportRepository(session).duplicates_of(duplicate.id):
        merged.duplicate_of_id = original.id
    session.flush()
    repository.refresh_count(original.id)
    before = duplicate.status
    duplicate.duplicate_of_id = original.id
    _apply_status(duplicate, ReportStatus.CLOSED, CloseReason.DUPLICATE)
    author = principal.user.id if principal.user else None
    session.add(
        ReportUpdate(
            report_id=original.id,
            kind="merge",
            note="",
            internal_note=_("Report no. %(id)d merged into this one.") % {"id": duplicate.id},
            related_report_id=duplicate.id,
            author_id=author,
            organisation_id=original.organisation_id,
        )
    )
    return _record(
        session,
        settings,
        duplicate,
        ReportUpdate(
            report_id=duplicate.id,
            kind="merge",
            status_before=before,
            status_after=duplicate.status,
            close_reason=CloseReason.DUPLICATE,
            note=note,
            related_report_id=original.id,
            author_id=author,
            organisation_id=duplicate.organisation_id,
        ),
        notify=True,
    )


def assign(
    session: Session, report: Report, principal: Principal, *, assignee_id: int | None
) -> None:
    """Give a report to one agent of its organisation (None: to nobody)."""
    check_handler(principal, report)
    report.assignee_id = assignee_id
    session.add(
        ReportUpdate(
            report_id=report.id,
            kind="assign",
            status_before=report.status,
            status_after=report.status,
            author_id=principal.user.id if principal.user else None,
            organisation_id=report.organisation_id,
            hidden=True,
        )
    )
    session.flush()


def answer_questionnaire(
    session: Session, settings: Settings, report: Report, *, fixed: bool, note: str = ""
) -> ReportUpdate:
    """The reporter says whether the fix is real; "no" reopens the report with their note."""
    if report.status != ReportStatus.FIXED:
        raise Conflict(_("This report is not marked as fixed any more."))
    note = _check_note(note)
    if fixed:
        update = ReportUpdate(
            report_id=report.id,
            kind="confirm_fixed",
            status_before=report.status,
            status_after=report.status,
            note=note or _("The reporter confirmed that the problem is fixed."),
        )
        return _record(session, settings, report, update, notify=False)
    if not note:
        raise InvalidInput.on_field("note", _("Tell the team what is still wrong."))
    before = report.status
    _apply_status(report, ReportStatus.REOPENED, None)
    return _record(
        session,
        settings,
        report,
        ReportUpdate(
            report_id=report.id,
            kind="reopen",
            status_before=before,
            status_after=report.status,
            note=note,
            author_id=report.reporter_id,
        ),
        notify=True,
    )


def moderate(
    session: Session,
    report: Report,
    principal: Principal,
    *,
    public_description: str | None = None,
    hide_report: bool | None = None,
    hidden_photo_ids: Sequence[int] | None = None,
    hidden_update_ids: Sequence[int] | None = None,
    address_string: str | None = None,
    clear_media_url: bool = False,
    reason: str = "",
) -> None:
    """Redact the text or address, hide photos, updates or the whole report.

    The description's original stays in its column; an edited address or a cleared media_url
    keeps its previous value in the audit log.
    """
    check_handler(principal, report)
    if public_description is not None:
        text = plain(public_description)
        if len(text) > MAX_DESCRIPTION:
            raise InvalidInput.on_field(
                "public_description",
                _("The description may not exceed %(n)d characters.") % {"n": MAX_DESCRIPTION},
            )
        report.public_description = None if text == report.description else text
    if address_string is not None:
        address = plain(address_string)
        if len(address) > 300:
            raise InvalidInput.on_field(
                "address_string", _("The address may not exceed 300 characters.")
            )
        report.address_string = address
    if clear_media_url:
        report.media_url = ""
    if hide_report is not None:
        report.hidden = hide_report
    repository = ReportRepository(session)
    if hidden_photo_ids is not None:
        for photo in repository.photos(report.id, public=False):
            photo.hidden = photo.id in hidden_photo_ids
    if hidden_update_ids is not None:
        for update in repository.timeline(report.id, public=False):
            if update.kind in ("note", "status", "reopen", "confirm_fixed"):
                update.hidden = update.id in hidden_update_ids
    session.add(
        ReportUpdate(
            report_id=report.id,
            kind="moderation",
            internal_note=_check_note(reason),
            author_id=principal.user.id if principal.user else None,
            organisation_id=report.organisation_id,
            hidden=True,
        )
    )
    for flag in repository.open_flags(report.id):
        flag.resolved_at = utcnow()
        flag.resolved_by_id = principal.user.id if principal.user else None
    report.flag_count = 0  # the count of flags no moderator has dealt with
    session.flush()


def report_or_404(session: Session, report_id: int, *, public: bool = True) -> Report:
    """A report by id (only a public one unless ``public`` is False), or NotFound."""
    repository = ReportRepository(session)
    report = repository.get_public(report_id) if public else repository.get(report_id)
    if report is None:
        raise NotFound(_("No report no. %(id)d.") % {"id": report_id})
    return report
