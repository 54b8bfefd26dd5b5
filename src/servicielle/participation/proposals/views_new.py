"""Writing a proposal: Create (title and text) → Compare (similar ones) and complete → Publish.

With JavaScript, similar proposals show up as the title is typed; without it, step 2 lists
them before anything is published, with a way to support one instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from servicielle.core.accounts.auth import CurrentPrincipal, require_user
from servicielle.core.accounts.models import User
from servicielle.core.bodies import capped
from servicielle.core.csrf import verify_csrf
from servicielle.core.errors import BadRequest, PayloadTooLarge, ServicielleError
from servicielle.core.i18n import _
from servicielle.core.ids import parse_id
from servicielle.core.photos import MAX_UPLOAD_BYTES
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.text import plain
from servicielle.participation import phases
from servicielle.participation.models import Feature, Process
from servicielle.participation.proposals import service
from servicielle.participation.proposals.repository import NameRepository, ProcessRepository
from servicielle.participation.proposals.service import (
    BODY_MAX,
    MAX_PROPOSAL_PHOTOS,
    TITLE_MAX,
    ProposalDraft,
)
from servicielle.participation.proposals.views_common import helpers, published_process

router = APIRouter()
FORM_BYTES = MAX_PROPOSAL_PHOTOS * MAX_UPLOAD_BYTES + 1024 * 1024
TEXT_FIELDS = (
    "title",
    "body",
    "category",
    "geozone",
    "latitude",
    "longitude",
    "address",
    "association",
)


@dataclass
class PostedForm:
    """A posted form: its text fields and the photos' bytes."""

    fields: dict[str, str]
    photos: list[bytes]


async def read_form(request: Request) -> PostedForm:
    """Read a (multipart) form on the event loop, capped, CSRF-checked, files closed."""
    request = capped(request, FORM_BYTES)
    try:
        form = await request.form(max_files=MAX_PROPOSAL_PHOTOS + 1, max_fields=40)
    except HTTPException:
        raise BadRequest(
            _("The form could not be read. Choose at most %(n)d photos and send it again.")
            % {"n": MAX_PROPOSAL_PHOTOS}
        ) from None
    try:
        await verify_csrf(request)
        fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        photos: list[bytes] = []
        for item in form.getlist("photos")[: MAX_PROPOSAL_PHOTOS + 1]:
            if isinstance(item, UploadFile):
                data = await item.read(MAX_UPLOAD_BYTES + 1)
                if data or item.filename:
                    photos.append(data)
    finally:
        await form.close()
    return PostedForm(fields, photos)


Posted = Annotated[PostedForm, Depends(read_form)]


def _writer(session: DbSession, process: Process, principal: Any) -> User:
    """The signed-in author, while the running phase takes proposals."""
    user = require_user(principal)
    phases.require(ProcessRepository(session).phases(process.id), Feature.PROPOSE)
    return user


def _float(text: str) -> float | None:
    value = plain(text).replace(",", ".")[:30]
    try:
        number = float(value) if value else None
    except ValueError:
        return float("nan")
    return number


def _draft(fields: dict[str, str], photos: list[bytes]) -> ProposalDraft:
    latitude, longitude = _float(fields.get("latitude", "")), _float(fields.get("longitude", ""))
    return ProposalDraft(
        title=fields.get("title", "")[: TITLE_MAX * 4],
        body=fields.get("body", "")[: BODY_MAX * 4],
        category_id=parse_id(fields.get("category")),
        geozone_id=parse_id(fields.get("geozone")),
        latitude=latitude,
        longitude=longitude,
        address=fields.get("address", "")[:1200],
        association_id=parse_id(fields.get("association")),
        photos=photos,
    )


def _errors(exc: ServicielleError) -> dict[str, str]:
    if isinstance(exc, PayloadTooLarge):
        return {"photos": exc.detail}
    ids = {"category": "category", "geozone": "geozone", "place": "latitude"}
    return {ids.get(k, k): v for k, v in exc.by_field("form").items()}


def _step1(
    request: Request,
    process: Process,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"process": process, "values": values, "errors": errors or {}, **helpers()}
    return render(request, "participation/proposals/new.html", context, status_code=status_code)


def _step2(
    request: Request,
    session: DbSession,
    process: Process,
    user: User,
    values: dict[str, str],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    names = NameRepository(session)
    context = {
        "process": process,
        "values": values,
        "errors": errors or {},
        "similar": service.similar_proposals(session, process.id, values.get("title", "")),
        "categories": names.categories(),
        "geozones": names.geozones(process.scope),
        "associations": names.associations_of(user.id),
        "max_photos": MAX_PROPOSAL_PHOTOS,
        **helpers(),
    }
    return render(request, "participation/proposals/details.html", context, status_code=status_code)


@router.get("/participation/{slug}/propositions/nouvelle", response_class=HTMLResponse)
def new_proposal(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    """Step 1: the title and the text, with similar proposals shown as one types."""
    process = published_process(session, slug)
    _writer(session, process, principal)
    return _step1(request, process, {})


@router.post("/participation/{slug}/propositions/nouvelle", response_class=HTMLResponse)
def compare_proposal(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal, posted: Posted
) -> HTMLResponse:
    """Step 2: the similar proposals, then where, what and photos."""
    process = published_process(session, slug)
    user = _writer(session, process, principal)
    values = {k: posted.fields.get(k, "")[: BODY_MAX * 2] for k in TEXT_FIELDS}
    errors: dict[str, str] = {}
    for name, limit, label in (
        ("title", TITLE_MAX, _("a title")),
        ("body", BODY_MAX, _("a description")),
    ):
        service.check_text(errors, name, values[name], limit, label)
    if errors:
        return _step1(request, process, values, errors, status_code=422)
    return _step2(request, session, process, user, values)


@router.post("/participation/{slug}/propositions/nouvelle/publier", response_class=HTMLResponse)
def publish_proposal(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal, posted: Posted
) -> Response:
    """Publish the proposal; errors show step 2 again, every value but the photos kept."""
    process = published_process(session, slug)
    user = _writer(session, process, principal)
    values = {k: posted.fields.get(k, "")[: BODY_MAX * 2] for k in TEXT_FIELDS}
    try:
        proposal = service.create_proposal(
            session, process, user, _draft(posted.fields, posted.photos)
        )
    except ServicielleError as exc:
        if exc.status not in (413, 422):
            raise
        return _step2(request, session, process, user, values, _errors(exc), exc.status)
    return RedirectResponse(
        f"/participation/{process.slug}/propositions/{proposal.id}?publiee=1", status_code=303
    )
