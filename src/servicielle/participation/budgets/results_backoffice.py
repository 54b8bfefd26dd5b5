"""Back office of the count: ballots per envelope, compute, publish, Pabulib export and import."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from servicielle.core.accounts.auth import Authorize
from servicielle.core.bodies import capped
from servicielle.core.csrf import verify_csrf
from servicielle.core.errors import BadRequest, NotFound, ServicielleError
from servicielle.core.i18n import N_, _, ngettext
from servicielle.core.ids import parse_id, whole_number
from servicielle.core.permissions import Principal
from servicielle.core.posted import CsrfChecked
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation.budgets import pabulib_io, tallying
from servicielle.participation.budgets.models import Budget
from servicielle.participation.budgets.results import (
    envelope_results,
    helpers,
    pabulib_response,
)
from servicielle.participation.budgets.results_queries import ResultsRepository

router = APIRouter(prefix="/participation/budgets")
Admin = Annotated[Principal, Authorize("participation.admin")]
DONE = {
    "computed": N_("The ballots were counted under every rule."),
    "published": N_("The results are published."),
    "imported": N_("The file was imported into a new envelope."),
}


def _budget(session: DbSession, budget_id: str) -> Budget:
    number = parse_id(budget_id)
    budget = ResultsRepository(session).budget(number) if number else None
    if budget is None:
        raise NotFound(_("No such budget."))
    return budget


def _page(
    request: Request,
    session: DbSession,
    budget: Budget,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    repository = ResultsRepository(session)
    context: dict[str, Any] = {
        "budget": budget,
        "process": repository.process(budget.process_id),
        "envelopes": envelope_results(session, budget),
        "total_ballots": repository.total_ballots(budget.id),
        "errors": errors or {},
        "max_import_mb": pabulib_io.MAX_IMPORT_BYTES // 1024 // 1024,
        **helpers(),
    }
    done = DONE.get(request.query_params.get("done", ""))
    if done:
        context["flash"] = _(done)
        empty = whole_number(request.query_params.get("vides"), max_digits=9) or 0
        if empty:
            context["flash"] += " " + ngettext(
                "%(num)d ballot choosing no project was left out.",
                "%(num)d ballots choosing no project were left out.",
                empty,
            ) % {"num": empty}
    return render(
        request, "participation/results/depouillement.html", context, status_code=status_code
    )


def _back(budget: Budget, done: str, empty: int = 0) -> RedirectResponse:
    suffix = f"&vides={empty}" if empty else ""
    return RedirectResponse(
        f"/admin/participation/budgets/{budget.id}/depouillement?done={done}{suffix}",
        status_code=303,
    )


@router.get("/{budget_id}/depouillement", response_class=HTMLResponse)
def count_page(
    budget_id: str, request: Request, session: DbSession, _principal: Admin
) -> HTMLResponse:
    """Ballots per envelope and channel, the outcomes under each rule, publish, files."""
    return _page(request, session, _budget(session, budget_id))


@router.post("/{budget_id}/depouillement/calculer", response_class=HTMLResponse)
def compute(
    budget_id: str, request: Request, session: DbSession, _csrf: CsrfChecked, _principal: Admin
) -> Response:
    """Count the stored ballots under every rule (a few seconds for a large city)."""
    budget = _budget(session, budget_id)
    try:
        tallying.compute(session, budget)
    except ServicielleError as exc:
        return _page(
            request, session, budget, errors={"publish": exc.detail}, status_code=exc.status
        )
    return _back(budget, "computed")


@router.post("/{budget_id}/depouillement/publier", response_class=HTMLResponse)
def publish(
    budget_id: str, request: Request, session: DbSession, _csrf: CsrfChecked, principal: Admin
) -> Response:
    """Publish the winners of the configured rule, once the vote is over."""
    budget = _budget(session, budget_id)
    actor = principal.user.id if principal.user is not None else None
    try:
        tallying.publish(session, budget, actor_id=actor)
    except ServicielleError as exc:
        return _page(
            request, session, budget, errors={"publish": exc.detail}, status_code=exc.status
        )
    return _back(budget, "published")


@router.get("/{budget_id}/depouillement/{envelope_id}.pb")
def download(budget_id: str, envelope_id: str, session: DbSession, _principal: Admin) -> Response:
    """An envelope's anonymous ballots as a Pabulib file."""
    budget = _budget(session, budget_id)
    number = parse_id(envelope_id)
    envelope = ResultsRepository(session).envelope(budget.id, number) if number else None
    if envelope is None:
        raise NotFound(_("No such envelope."))
    text = pabulib_io.export(session, budget, envelope)
    return pabulib_response(text, f"budget-{budget.id}", envelope.id)


@dataclass(frozen=True)
class Upload:
    """The posted import form: the file's bytes (one byte over the cap at most), a title."""

    data: bytes
    title: str


async def read_upload(request: Request) -> Upload:
    """Read the import form on the event loop, capped before anything is read."""
    request = capped(request, pabulib_io.MAX_IMPORT_BYTES + 64 * 1024)
    try:
        form = await request.form(max_files=1, max_fields=10)
    except HTTPException:
        raise BadRequest(_("The form could not be read: send one .pb file.")) from None
    try:
        await verify_csrf(request)
        upload, title = form.get("file"), form.get("title")
        data = b""
        if isinstance(upload, UploadFile):
            data = await upload.read(pabulib_io.MAX_IMPORT_BYTES + 1)
    finally:
        await form.close()
    return Upload(data, title if isinstance(title, str) else "")


@router.post("/{budget_id}/import-pabulib", response_class=HTMLResponse)
def import_file(
    budget_id: str,
    request: Request,
    session: DbSession,
    _principal: Admin,
    upload: Annotated[Upload, Depends(read_upload)],
) -> Response:
    """Import a Pabulib file as a new envelope of the budget, its ballots as paper ones."""
    budget = _budget(session, budget_id)
    errors: dict[str, str] = {}
    if not upload.data:
        errors["file"] = _("Choose a Pabulib .pb file.")
    elif len(upload.data) > pabulib_io.MAX_IMPORT_BYTES:
        errors["file"] = _("The file may not exceed %(mb)d MB.") % {
            "mb": pabulib_io.MAX_IMPORT_BYTES // 1024 // 1024
        }
    if errors:
        return _page(request, session, budget, errors=errors, status_code=400)
    try:
        summary = pabulib_io.import_pabulib(session, budget, upload.data, title=upload.title)
    except ServicielleError as exc:
        return _page(request, session, budget, errors=exc.by_field("file"), status_code=exc.status)
    return _back(budget, "imported", summary.empty)
