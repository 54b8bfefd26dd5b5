"""What Open311 shows of categories and reports; never a reporter's name or contact."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from servicielle.core.i18n import _
from servicielle.reports.labels import status_label
from servicielle.reports.models import CategoryQuestion, Report, ReportCategory
from servicielle.reports.open311.formats import w3c
from servicielle.reports.open311.repository import Open311Repository, PhotoInfo, PublicNote
from servicielle.reports.repository import CategoryRepository

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed (discovery's changeset): bump it with the API.
CHANGESET = "2026-11-20T00:00:00Z"

# mySociety's extended statuses (the ones FixMyStreet and its adapters read).
DETAILED_STATUSES = {
    "open": "OPEN",
    "acknowledged": "INVESTIGATING",
    "planned": "PLANNED",
    "in_progress": "IN_PROGRESS",
    "fixed": "FIXED",
    "closed": "CLOSED",
    "reopened": "REOPEN",
}
CLOSED_DETAILED = {
    "duplicate": "DUPLICATE",
    "not_responsible": "NOT_COUNCILS_RESPONSIBILITY",
    "no_action": "NO_FURTHER_ACTION",
}


def discovery(base_url: str) -> dict[str, Any]:
    """The discovery document: one production endpoint speaking XML and JSON."""
    return {
        "changeset": CHANGESET,
        "contact": _("Questions about this API: write to the team of %(url)s.") % {"url": base_url},
        "key_service": _(
            "Members of an organisation of the territory create an API key (svc_…) on "
            "%(url)s/compte/jetons and send it as api_key."
        )
        % {"url": base_url},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def service(category: ReportCategory, has_attributes: bool) -> dict[str, Any]:
    """One category as an Open311 service."""
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.description,
        "metadata": has_attributes,
        "type": "realtime",
        "keywords": category.keywords,
        "group": category.group,
    }


def services(session: Session) -> list[dict[str, Any]]:
    """Every active category as an Open311 service."""
    repository = CategoryRepository(session)
    categories = repository.active()
    questions = repository.questions_of({category.id for category in categories})
    return [service(category, bool(questions[category.id])) for category in categories]


def attribute(question: CategoryQuestion) -> dict[str, Any]:
    """One extra question as an Open311 attribute."""
    return {
        "variable": question.variable,
        "code": question.code,
        "datatype": question.datatype,
        "required": question.required,
        "datatype_description": question.datatype_description,
        "order": question.order,
        "description": question.description,
        "values": [
            {"key": str(value["key"]), "name": str(value["name"])} for value in question.values
        ],
    }


def service_definition(
    category: ReportCategory, questions: Sequence[CategoryQuestion]
) -> dict[str, Any]:
    """A category's questions as a service definition."""
    return {
        "service_code": category.code,
        "attributes": [attribute(question) for question in questions],
    }


def photo_url(base_url: str, photo_id: int) -> str:
    """Where anyone downloads a visible photo."""
    return f"{base_url}/signalements/photos/{photo_id}.jpg"


def detailed_status(report: Report) -> str:
    """The report's status in mySociety's upper-case vocabulary."""
    if report.status == "closed" and report.close_reason in CLOSED_DETAILED:
        return CLOSED_DETAILED[report.close_reason]
    return DETAILED_STATUSES.get(report.status, report.status.upper())


def _note(step: PublicNote) -> dict[str, Any] | None:
    text = step.note or (
        status_label(step.status_after, step.close_reason)
        if step.status_after is not None and step.changed_status
        else ""
    )
    if not text:
        return None
    return {"datetime": w3c(step.created_at), "description": text, "type": step.kind}


def _updated(report: Report) -> str | None:
    # GeoReport v2: a closed request's updated_datetime is when it was closed.
    if report.open311_status == "closed" and report.closed_at is not None:
        return w3c(report.closed_at)
    return w3c(report.modified_at)


def service_request(
    report: Report,
    *,
    category: ReportCategory,
    agency: str | None,
    photos: Sequence[PhotoInfo],
    notes: Sequence[PublicNote],
    base_url: str,
    extensions: bool,
) -> dict[str, Any]:
    """A public report as an Open311 service request: public text only, no reporter."""
    written = [step.note for step in notes if step.note]
    media_url = photo_url(base_url, photos[0].id) if photos else report.media_url or None
    found: dict[str, Any] = {
        "service_request_id": str(report.id),
        "status": report.open311_status,
        "status_notes": written[-1] if written else None,
        "service_name": category.name,
        "service_code": category.code,
        "description": report.public_text or None,
        "agency_responsible": agency,
        "service_notice": category.notice or None,
        "requested_datetime": w3c(report.created_at),
        "updated_datetime": _updated(report),
        "expected_datetime": w3c(report.expected_at),
        "address": report.address_string or None,
        "address_id": None,
        "zipcode": None,
        "lat": report.lat,
        "long": report.lon,
        "media_url": media_url,
    }
    if extensions:
        found["extended_attributes"] = {
            "detailed_status": detailed_status(report),
            "photos": [
                {
                    "media_url": photo_url(base_url, photo.id),
                    "width": photo.width,
                    "height": photo.height,
                    "created_at": w3c(photo.created_at),
                }
                for photo in photos
            ],
        }
        found["notes"] = [entry for step in notes if (entry := _note(step)) is not None]
    return found


def service_requests(
    session: Session, reports: Sequence[Report], *, base_url: str, extensions: bool
) -> list[dict[str, Any]]:
    """Public reports as Open311 service requests, with a few queries for the whole page."""
    repository = Open311Repository(session)
    ids = [report.id for report in reports]
    categories = CategoryRepository(session).by_ids({report.category_id for report in reports})
    agencies = repository.organisation_names({report.organisation_id for report in reports})
    photos = repository.photos(ids)
    notes = repository.public_notes(ids)
    return [
        service_request(
            report,
            category=categories[report.category_id],
            agency=agencies.get(report.organisation_id),
            photos=photos[report.id],
            notes=notes[report.id],
            base_url=base_url,
            extensions=extensions,
        )
        for report in reports
    ]
