"""DCAT-AP catalogue feed: ``/catalog.{ttl,jsonld,rdf}`` and ``/donnees/{slug}.{fmt}``.

data.gouv.fr harvests the paged catalogue (Hydra); the per-dataset graphs serve linked data.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import ColumnElement

from servicielle.catalog import dcat, service
from servicielle.catalog.models import Dataset
from servicielle.catalog.repository import DatasetRepository, SearchCriteria
from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.errors import InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.permissions import ANONYMOUS
from servicielle.core.session import DbSession

router = APIRouter(tags=["dcat"])
MAX_PAGE_SIZE = 1000
MODIFIED_SINCE = "modified_since"
RDF_CONTENT: dict[str, dict[str, Any]] = {media: {} for _syntax, media in dcat.FORMATS.values()}


class _FeedRepository(DatasetRepository):
    """Dataset search that also filters on the last change (``modified_since``)."""

    def _filter(self, facet: str, value: str) -> ColumnElement[bool]:
        if facet == MODIFIED_SINCE:
            since = dt.datetime.fromisoformat(value)
            # A change to the data alone counts too: harvesters must fetch the new files.
            return (Dataset.modified_at >= since) | (Dataset.data_modified >= since)
        return super()._filter(facet, value)


def _format(fmt: str) -> str:
    if fmt not in dcat.FORMATS:
        raise NotFound(_("Unknown format {fmt!r}.").format(fmt=fmt))
    return fmt


def _since(value: str | None) -> dt.datetime | None:
    """The instant ``modified_since`` names: an ISO date (midnight UTC) or date-time."""
    if not value:
        return None
    try:
        since = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput.on_field(
            MODIFIED_SINCE, _("Expected an ISO 8601 date, such as 2024-01-31.")
        ) from None
    return since if since.tzinfo else since.replace(tzinfo=dt.UTC)


def _rdf(data: bytes, media_type: str, headers: dict[str, str] | None = None) -> Response:
    return Response(data, media_type=media_type, headers=headers)


@router.get("/catalog.{fmt}", responses={200: {"content": RDF_CONTENT}})
def catalog(
    fmt: str,
    request: Request,
    session: DbSession,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = dcat.DEFAULT_PAGE_SIZE,
    q: Annotated[str | None, Query(max_length=500)] = None,
    modified_since: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The DCAT-AP 3 catalogue, one Hydra page of public datasets."""
    fmt = _format(fmt)
    since = _since(modified_since)
    criteria = SearchCriteria(
        text=(q or "").strip(),
        rows=page_size,
        start=(page - 1) * page_size,
        # Oldest first: a stable order, so a harvester paging through misses nothing.
        sort=[("metadata_created", False)],
        include_private=False,
    )
    if since is not None:
        criteria.filters.append((MODIFIED_SINCE, since.isoformat(), False))
    # An open-data feed, the same for everyone: a signed-in member or an administrator
    # must not publish private or unmoderated datasets through it.
    result = _FeedRepository(session, ANONYMOUS).search(criteria)
    settings = request.app.state.settings
    params = {"q": criteria.text, MODIFIED_SINCE: (modified_since or "").strip()}
    graph = dcat.catalog_graph(
        result.datasets,
        base_url=settings.base_url,
        site_name=settings.site_name,
        publisher=settings.territory_name,
        page=page,
        page_size=page_size,
        total=result.count,
        fmt=fmt,
        params=params,
    )
    return _rdf(*dcat.serialize(graph, fmt))


@router.get("/donnees/{slug}.{fmt}", responses={200: {"content": RDF_CONTENT}})
def dataset(
    slug: str, fmt: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """The DCAT-AP 3 graph of one dataset."""
    fmt = _format(fmt)
    found = service.get_visible(session, principal, slug)
    graph = dcat.dataset_graph(found, base_url=request.app.state.settings.base_url)
    # Members also see their private datasets here: caches must key on who asks.
    return _rdf(*dcat.serialize(graph, fmt), headers={"Vary": "Cookie, Authorization"})
