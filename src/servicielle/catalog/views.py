"""Public pages: search with facets, dataset page, organisation page, proposals."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markdown_it import MarkdownIt
from sqlalchemy import select

from servicielle.catalog import preview, reuses, service
from servicielle.catalog.dcat import schema_org
from servicielle.catalog.models import ResourceStatus
from servicielle.catalog.quality import assess
from servicielle.catalog.repository import DatasetRepository, ReuseRepository, SearchCriteria
from servicielle.catalog.storage import FileStore
from servicielle.catalog.vocabularies import FREQUENCIES, LICENCES, REUSE_TYPES, THEMES
from servicielle.core.accounts.auth import Authorize, CurrentPrincipal
from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.models import Commune, Organisation

router = APIRouter(prefix="/donnees")
PAGE_SIZE = 20
# Raw HTML is off: descriptions are Markdown from publishers, never trusted markup.
MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
FACETS = (
    ("organisation", "organization", "Publisher"),
    ("theme", "theme", "Theme"),
    ("format", "res_format", "Format"),
    ("licence", "license_id", "Licence"),
    ("schema", "schema", "Schema"),
    ("commune", "commune", "Commune"),
)
TextField = Annotated[str, Form(max_length=50_000)]


def markdown(text: str) -> str:
    """Safe HTML from a Markdown description."""
    return str(MARKDOWN.render(text or ""))


def _labels(session: DbSession) -> dict[str, dict[str, str]]:
    organisations = {o.slug: o.name for o in session.scalars(select(Organisation))}
    communes = {c.insee_code: c.name for c in session.scalars(select(Commune))}
    return {
        "organisation": organisations,
        "theme": {k: _(v) for k, v in THEMES.items()},
        "licence": {k: v.title for k, v in LICENCES.items()},
        "commune": communes,
    }


@router.get("", response_class=HTMLResponse)
def search_page(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    q: Annotated[str, Query(max_length=200)] = "",
    organisation: Annotated[str, Query(max_length=120)] = "",
    theme: Annotated[str, Query(max_length=20)] = "",
    format: Annotated[str, Query(max_length=20)] = "",
    licence: Annotated[str, Query(max_length=40)] = "",
    schema: Annotated[str, Query(max_length=120)] = "",
    commune: Annotated[str, Query(max_length=5)] = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """Search the catalogue: words, facets, pages."""
    chosen = {
        "organisation": organisation,
        "theme": theme,
        "format": format,
        "licence": licence,
        "schema": schema,
        "commune": commune,
    }
    filters = [(facet, chosen[name], False) for name, facet, _label in FACETS if chosen[name]]
    result = DatasetRepository(session, principal).search(
        SearchCriteria(
            text=q,
            filters=filters,
            rows=PAGE_SIZE,
            start=(page - 1) * PAGE_SIZE,
            facets=[facet for _name, facet, _label in FACETS],
            include_private=principal.is_authenticated,
        )
    )
    pages = max(1, -(-result.count // PAGE_SIZE))
    return render(
        request,
        "catalog/search.html",
        {
            "q": q,
            "chosen": chosen,
            "facets": [(name, label, result.facets[facet]) for name, facet, label in FACETS],
            "labels": _labels(session),
            "result": result,
            "page": page,
            "pages": pages,
            "quality": {d.id: assess(d) for d in result.datasets},
        },
    )


@router.get("/organisations/{slug}", response_class=HTMLResponse)
def organisation_page(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    """An organisation and what it publishes."""
    organisation = session.scalars(
        select(Organisation).where(Organisation.slug == slug)
    ).one_or_none()
    if organisation is None:
        raise NotFound(_("This organisation does not exist."))
    result = DatasetRepository(session, principal).search(
        SearchCriteria(filters=[("organization", slug, False)], rows=200, sort=[("title", False)])
    )
    return render(
        request, "catalog/organisation.html", {"organisation": organisation, "result": result}
    )


@router.get("/proposer", response_class=HTMLResponse)
def propose_form(
    request: Request, principal: Annotated[Principal, Authorize("catalog.dataset.propose")]
) -> HTMLResponse:
    """The form an inhabitant or association uses to propose a dataset."""
    return render(request, "catalog/propose.html", {"values": {}, "errors": {}, **_choices()})


def _choices() -> dict[str, Any]:
    return {"licences": LICENCES, "frequencies": FREQUENCIES, "themes": THEMES}


@router.post("/proposer", response_class=HTMLResponse)
def propose(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    principal: Annotated[Principal, Authorize("catalog.dataset.propose")],
    title: TextField = "",
    slug: TextField = "",
    description: TextField = "",
    licence: TextField = "lov2",
) -> Response:
    """Record a community dataset; it shows once a moderator approves it."""
    values = {"title": title, "slug": slug, "description": description, "licence": licence}
    try:
        data = service.input_from_form(values)
        dataset = service.create_dataset(session, principal, data)
    except ServicielleError as exc:
        errors = exc.by_field("title")
        return render(
            request,
            "catalog/propose.html",
            {"values": values, "errors": errors, **_choices()},
            status_code=exc.status,
        )
    return RedirectResponse(f"/admin/donnees/{dataset.slug}?cree=1", status_code=303)


@router.get("/reutilisations/proposer", response_class=HTMLResponse)
def reuse_form(
    request: Request,
    session: DbSession,
    principal: Annotated[Principal, Authorize("catalog.reuse.submit")],
    jeu: Annotated[str, Query(max_length=100)] = "",
) -> HTMLResponse:
    """The form to tell the authority about a reuse of its data."""
    return render(
        request,
        "catalog/reuse_form.html",
        {"values": {"datasets": jeu}, "errors": {}, "types": REUSE_TYPES},
    )


@router.post("/reutilisations/proposer", response_class=HTMLResponse)
def submit_reuse(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    principal: Annotated[Principal, Authorize("catalog.reuse.submit")],
    title: TextField = "",
    url: TextField = "",
    type: TextField = "application",
    description: TextField = "",
    datasets: TextField = "",
    image: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Record a reuse for moderation."""
    picture = image.file.read(reuses.IMAGE_MAX_BYTES + 1) if image and image.filename else None
    values = {
        "title": title,
        "url": url,
        "type": type,
        "description": description,
        "datasets": datasets,
    }
    try:
        reuses.submit(
            session,
            principal,
            values,
            store=FileStore(request.app.state.settings.data_dir),
            image=picture,
        )
    except ServicielleError as exc:
        errors = exc.by_field("title")
        return render(
            request,
            "catalog/reuse_form.html",
            {"values": values, "errors": errors, "types": REUSE_TYPES},
            status_code=exc.status,
        )
    return render(request, "catalog/reuse_thanks.html", {"title": title})


@router.get("/{slug}", response_class=HTMLResponse)
def dataset_page(
    slug: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    tri: Annotated[str, Query(max_length=80)] = "",
    p: Annotated[int, Query(ge=1, le=500)] = 1,
) -> HTMLResponse:
    """A dataset: description, resources, preview, map, chart, API, reuses."""
    dataset = service.get_visible(session, principal, slug)
    editable = service.may_edit(principal, dataset)
    resources = [r for r in dataset.resources if r.status == ResourceStatus.PUBLISHED or editable]
    base_url = request.app.state.settings.base_url.rstrip("/")
    table = preview.table(session, dataset, sort=tri, page=p)
    labels = _labels(session)
    return render(
        request,
        "catalog/dataset.html",
        {
            "dataset": dataset,
            "description_html": markdown(dataset.description),
            "resources": resources,
            "editable": editable,
            "licence": LICENCES.get(dataset.licence),
            "frequency": FREQUENCIES.get(dataset.frequency),
            "themes": THEMES,
            "labels": labels,
            "quality": assess(dataset),
            "table": table,
            "chart": preview.chart(session, dataset) if table else None,
            "reuses": ReuseRepository(session, principal).for_dataset(dataset.id),
            "base_url": base_url,
            "jsonld": json.dumps(
                schema_org(dataset, base_url=base_url), ensure_ascii=False
            ).replace("<", "\\u003c"),
        },
    )
