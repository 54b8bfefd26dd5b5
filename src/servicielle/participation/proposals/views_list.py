"""The public list of a process's proposals, its map, and the similar-proposals lookup."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from servicielle.core.i18n import _
from servicielle.core.pagination import Page, PageParams
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.text import plain
from servicielle.participation import phases
from servicielle.participation.models import Feature
from servicielle.participation.proposals import service
from servicielle.participation.proposals.listing import ProposalListing
from servicielle.participation.proposals.repository import NameRepository, ProcessRepository
from servicielle.participation.proposals.views_common import (
    PAGE_SIZE,
    helpers,
    list_query,
    published_process,
    sort_choices,
    state_choices,
)

router = APIRouter()
MAP_LIMIT = 2000


@router.get("/participation/{slug}/propositions", response_class=HTMLResponse)
def list_proposals(
    slug: str,
    request: Request,
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> HTMLResponse:
    """A process's proposals: filters, orders, pages; ``?vue=carte`` shows them on a map."""
    process = published_process(session, slug)
    query = list_query(request.query_params)
    paging = PageParams(page=page, page_size=PAGE_SIZE)
    rows, total = ProposalListing(session).page(process.id, query.filters(), paging)
    names = NameRepository(session)
    categories = names.categories()
    geozones = names.geozones(process.scope)
    context: dict[str, Any] = {
        "process": process,
        "query": query,
        "page": Page[Any](items=rows, total=total, page=page, page_size=PAGE_SIZE),
        "categories": categories,
        "category_names": dict(categories),
        "geozones": geozones,
        "geozone_names": dict(geozones),
        "authors": names.people([p.author_id for p in rows]),
        "associations": names.organisations([p.association_id for p in rows]),
        "state_choices": state_choices(),
        "sort_choices": sort_choices(),
        "flash": _("Thank you: moderators will look at it.")
        if request.query_params.get("fait") == "signale"
        else "",
        "can_propose": phases.is_on(ProcessRepository(session).phases(process.id), Feature.PROPOSE),
        **helpers(),
    }
    if not context["flash"]:
        del context["flash"]
    return render(request, "participation/proposals/list.html", context)


@router.get("/participation/{slug}/propositions/carte.json")
def proposals_map(slug: str, request: Request, session: DbSession) -> JSONResponse:
    """The located proposals matching the list's filters, as GeoJSON points."""
    process = published_process(session, slug)
    query = list_query(request.query_params)
    rows = ProposalListing(session).located(process.id, query.filters(), MAP_LIMIT)
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [row.longitude, row.latitude]},
            "properties": {
                "id": row.id,
                "title": row.title,
                "supports": row.supports_count,
                "state": row.state,
                "url": f"/participation/{process.slug}/propositions/{row.id}",
            },
        }
        for row in rows
    ]
    return JSONResponse(
        {"type": "FeatureCollection", "features": features},
        media_type="application/geo+json",
    )


@router.get("/participation/{slug}/propositions/similaires")
def similar(
    slug: str,
    session: DbSession,
    titre: Annotated[str, Query(max_length=400)] = "",
) -> JSONResponse:
    """Proposals of the process close to a title being written (for the form's script)."""
    process = published_process(session, slug)
    matches = service.similar_proposals(session, process.id, plain(titre))
    return JSONResponse(
        {
            "items": [
                {
                    "id": m.id,
                    "title": m.title,
                    "supports": m.supports_count,
                    "score": m.score,
                    "url": f"/participation/{process.slug}/propositions/{m.id}",
                }
                for m in matches
            ]
        }
    )
