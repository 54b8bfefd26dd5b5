"""Public follow-up of a process's results: status, progress, money, milestones, map."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from servicielle.core.errors import NotFound
from servicielle.core.i18n import _
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation.accountability import service
from servicielle.participation.accountability.models import Result, ResultStatus
from servicielle.participation.accountability.repository import AccountabilityRepository
from servicielle.participation.budgets.results import euros, number, percent
from servicielle.participation.models import Feature
from servicielle.participation.phases import CLOSED_MESSAGES

router = APIRouter()


def page_helpers() -> dict[str, Any]:
    """Formatting functions the accountability templates use."""
    return {
        "euros": euros,
        "number": number,
        "percent": percent,
        "status_label": service.status_label,
    }


def map_points(results: list[Result]) -> list[dict[str, Any]]:
    """Results with a place, for the map (delivered ones drawn as filled discs)."""
    # The status is written out: an abandoned result must not read as "under way".
    return [
        {
            "title": f"{r.title} ({service.status_label(r.status)}, {r.progress} %)",
            "lat": r.latitude,
            "lon": r.longitude,
            "selected": r.status == ResultStatus.DELIVERED,
        }
        for r in results
        if r.latitude is not None and r.longitude is not None
    ]


@router.get("/participation/{slug}/realisations", response_class=HTMLResponse)
def results_page(slug: str, request: Request, session: DbSession) -> HTMLResponse:
    """What became of a process's winning projects."""
    repository = AccountabilityRepository(session)
    process = repository.published_process(slug[:120])
    if process is None:
        raise NotFound(_("No such participatory process."))
    if not service.accountability_visible(repository.phases(process.id)):
        raise NotFound(_(CLOSED_MESSAGES[Feature.ACCOUNTABILITY]))
    results = repository.results_of(process.id)
    overall = service.overall_progress(results)
    context = {
        "process": process,
        "results": results,
        "milestones": repository.milestones([r.id for r in results]),
        "overall": overall,
        "planned": sum(r.budget or 0 for r in results),
        "spent": sum(r.spent for r in results),
        "points": map_points(results),
        **page_helpers(),
    }
    return render(request, "participation/accountability/page.html", context)
