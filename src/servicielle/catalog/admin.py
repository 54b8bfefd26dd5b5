"""Publisher pages: my datasets, create and edit, upload with the validation report, moderate."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from servicielle.catalog import resources as resource_service
from servicielle.catalog import reuses, service
from servicielle.catalog.inputs import ResourceInput
from servicielle.catalog.models import Dataset, Moderation, Reuse
from servicielle.catalog.quality import assess
from servicielle.catalog.repository import DatasetRepository, ResourceRepository
from servicielle.catalog.schemas import known_schemas
from servicielle.catalog.vocabularies import FREQUENCIES, LICENCES, THEMES
from servicielle.core.accounts.auth import Authorize
from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.models import Commune, Organisation

router = APIRouter(prefix="/donnees")
Publisher = Annotated[Principal, Authorize("catalog.dataset.publish")]
Proposer = Annotated[Principal, Authorize("catalog.dataset.propose")]
TextField = Annotated[str, Form(max_length=50_000)]
ListField = Annotated[list[str], Form()]
FIELDS = (
    "title slug organisation description licence frequency keywords temporal_start "
    "temporal_end contact_name contact_email status"
).split()


def _form_context(session: DbSession, principal: Principal) -> dict[str, Any]:
    organisations = session.scalars(select(Organisation).order_by(Organisation.name)).all()
    if not principal.is_admin:
        organisations = [o for o in organisations if o.id in principal.organisation_ids]
    return {
        "organisations": organisations,
        "communes": session.scalars(select(Commune).order_by(Commune.name)).all(),
        "licences": LICENCES,
        "frequencies": FREQUENCIES,
        "themes": THEMES,
        "schemas": known_schemas(),
    }


def _values_of(dataset: Dataset) -> dict[str, Any]:
    return {
        "title": dataset.title,
        "slug": dataset.slug,
        "organisation": dataset.organisation.slug if dataset.organisation else "",
        "description": dataset.description,
        "licence": dataset.licence,
        "frequency": dataset.frequency,
        "keywords": ", ".join(dataset.values("keyword")),
        "themes": dataset.values("theme"),
        "communes": dataset.values("commune"),
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
        "contact_name": dataset.contact_name or "",
        "contact_email": dataset.contact_email or "",
        "status": str(dataset.status),
    }


@router.get("", response_class=HTMLResponse)
def my_datasets(request: Request, session: DbSession, principal: Publisher) -> HTMLResponse:
    """The datasets this person publishes, with their quality and freshness."""
    datasets = DatasetRepository(session, principal).published_by(principal)
    return render(
        request,
        "catalog/admin/list.html",
        {"datasets": datasets, "quality": {d.id: assess(d) for d in datasets}},
    )


@router.get("/nouveau", response_class=HTMLResponse)
def new_form(request: Request, session: DbSession, principal: Publisher) -> HTMLResponse:
    """The form for a new dataset."""
    values = {
        "licence": "lov2",
        "frequency": "unknown",
        "status": "public",
        "themes": [],
        "communes": [],
    }
    return render(
        request,
        "catalog/admin/edit.html",
        {"dataset": None, "values": values, "errors": {}, **_form_context(session, principal)},
    )


def _collect(form_values: dict[str, Any], themes: list[str], communes: list[str]) -> dict[str, Any]:
    values = {k: v for k, v in form_values.items() if k in FIELDS}
    values["themes"], values["communes"] = themes, communes
    return values


@router.post("/nouveau", response_class=HTMLResponse)
async def create(
    request: Request, session: DbSession, _csrf: CsrfChecked, principal: Publisher
) -> Response:
    """Create the dataset, then go on to its resources."""
    form = await request.form()
    values = _collect(
        dict(form),
        [str(v) for v in form.getlist("themes")],
        [str(v) for v in form.getlist("communes")],
    )
    try:
        dataset = service.create_dataset(session, principal, service.input_from_form(values))
    except ServicielleError as exc:
        return render(
            request,
            "catalog/admin/edit.html",
            {
                "dataset": None,
                "values": values,
                "errors": exc.by_field(),
                **_form_context(session, principal),
            },
            status_code=exc.status,
        )
    return RedirectResponse(f"/admin/donnees/{dataset.slug}?cree=1", status_code=303)


def _edit_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    dataset: Dataset,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    upload: dict[str, Any] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = ResourceRepository(session, principal)
    return render(
        request,
        "catalog/admin/edit.html",
        {
            "dataset": dataset,
            "values": values or _values_of(dataset),
            "errors": errors or {},
            "upload": upload or {},
            "quality": assess(dataset),
            "history": {r.id: repository.files(r.id) for r in dataset.resources},
            "reports": {r.id: resource_service.report_summary(r.report) for r in dataset.resources},
            "created": request.query_params.get("cree") == "1",
            **_form_context(session, principal),
        },
        status_code=status_code,
    )


@router.get("/{slug}", response_class=HTMLResponse)
def edit_form(slug: str, request: Request, session: DbSession, principal: Proposer) -> HTMLResponse:
    """Edit a dataset: metadata, resources, file history."""
    dataset = service.get_editable(session, principal, slug)
    return _edit_page(request, session, principal, dataset)


@router.post("/{slug}", response_class=HTMLResponse)
async def update(
    slug: str, request: Request, session: DbSession, _csrf: CsrfChecked, principal: Proposer
) -> Response:
    """Save the metadata."""
    dataset = service.get_editable(session, principal, slug)
    form = await request.form()
    values = _collect(
        dict(form),
        [str(v) for v in form.getlist("themes")],
        [str(v) for v in form.getlist("communes")],
    )
    fields = set(values)
    if dataset.is_community:
        fields.discard("organisation")
    try:
        data = service.input_from_form(values)
        service.update_dataset(session, principal, dataset, data, fields)
    except ServicielleError as exc:
        return _edit_page(
            request,
            session,
            principal,
            dataset,
            values=values,
            errors=exc.by_field(),
            status_code=exc.status,
        )
    return RedirectResponse(f"/admin/donnees/{dataset.slug}?enregistre=1", status_code=303)


@router.post("/{slug}/fichiers", response_class=HTMLResponse)
def upload(
    slug: str,
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    principal: Proposer,
    file: Annotated[UploadFile | None, File()] = None,
    title: TextField = "",
    url: TextField = "",
    schema_name: TextField = "",
    resource_id: TextField = "",
) -> Response:
    """Add a file or link, or replace a resource's file; show the validation report."""
    dataset = service.get_editable(session, principal, slug)
    settings = request.app.state.settings
    received = (
        resource_service.Upload(filename=file.filename or "fichier", stream=file.file)
        if file is not None and file.filename
        else None
    )
    try:
        data = ResourceInput(title=title or None, url=url or None, schema_name=schema_name or None)
        if resource_id:
            resource = service.resource_in(dataset, resource_id)
            record = resource_service.update_resource(
                session,
                settings,
                principal,
                resource,
                data,
                {"schema_name"} if schema_name else set(),
                received,
            )
        else:
            resource, record = resource_service.add_resource(
                session, settings, principal, dataset, data, received
            )
    except ServicielleError as exc:
        return _edit_page(
            request,
            session,
            principal,
            dataset,
            upload={"errors": exc.by_field()},
            status_code=exc.status,
        )
    outcome = {
        "resource": resource,
        "valid": record.valid if record else True,
        "messages": resource_service.report_summary(record.report) if record else [],
        "error_count": (record.report or {}).get("error_count", 0) if record else 0,
    }
    return _edit_page(request, session, principal, dataset, upload=outcome)


moderation = APIRouter(prefix="/donnees")


@moderation.get("/moderation", response_class=HTMLResponse)
def moderation_queue(
    request: Request,
    session: DbSession,
    principal: Annotated[Principal, Authorize("catalog.dataset.moderate")],
) -> HTMLResponse:
    """Community datasets waiting for a decision."""
    pending = session.scalars(
        select(Dataset).where(Dataset.is_community, Dataset.moderation == Moderation.PENDING)
    ).all()
    return render(request, "catalog/admin/moderation.html", {"datasets": pending, "reuses": None})


@moderation.post("/moderation/{dataset_id}", response_class=HTMLResponse)
def moderate_dataset(
    dataset_id: str,
    session: DbSession,
    _csrf: CsrfChecked,
    principal: Annotated[Principal, Authorize("catalog.dataset.moderate")],
    decision: TextField = "",
) -> Response:
    """Approve or reject a community dataset."""
    dataset = service.get_visible(session, principal, dataset_id)
    service.moderate(session, dataset, _decision(decision))
    return RedirectResponse("/admin/donnees/moderation", status_code=303)


def _decision(value: str) -> Moderation:
    if value not in ("approved", "rejected"):
        raise NotFound(_("Unknown decision."))
    return Moderation(value)


@moderation.get("/reutilisations", response_class=HTMLResponse)
def reuse_queue(
    request: Request,
    session: DbSession,
    principal: Annotated[Principal, Authorize("catalog.reuse.moderate")],
) -> HTMLResponse:
    """Reuses waiting for a decision."""
    pending = session.scalars(select(Reuse).where(Reuse.moderation == Moderation.PENDING)).all()
    return render(request, "catalog/admin/moderation.html", {"datasets": None, "reuses": pending})


@moderation.post("/reutilisations/{reuse_id}", response_class=HTMLResponse)
def moderate_reuse(
    reuse_id: int,
    session: DbSession,
    _csrf: CsrfChecked,
    principal: Annotated[Principal, Authorize("catalog.reuse.moderate")],
    decision: TextField = "",
) -> Response:
    """Approve or reject a reuse."""
    reuse = session.get(Reuse, reuse_id)
    if reuse is None:
        raise NotFound(_("No such reuse."))
    reuses.moderate(session, reuse, _decision(decision))
    return RedirectResponse("/admin/donnees/reutilisations", status_code=303)
