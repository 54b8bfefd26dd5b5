"""Back office of proposals: the queue across processes, answers, merges, bulk answers.

Moderation (flags) has its own pages, included in this router from ``backoffice_moderation``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from servicielle.core.accounts.auth import Authorize, require_user
from servicielle.core.errors import NotFound, ServicielleError
from servicielle.core.i18n import _, ngettext
from servicielle.core.ids import parse_id, whole_number
from servicielle.core.pagination import Page, PageParams, Pagination
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.text import plain
from servicielle.participation.models import ANSWER_STATES, Proposal
from servicielle.participation.proposals import answers, backoffice_moderation
from servicielle.participation.proposals.answers import STATE_LABELS
from servicielle.participation.proposals.queue import QueueFilters, filters_from_query, queue
from servicielle.participation.proposals.repository import (
    NameRepository,
    ProcessRepository,
    ProposalRepository,
)
from servicielle.participation.proposals.views_common import helpers, small_form

router = APIRouter()
proposals = APIRouter(prefix="/participation/propositions")
Answerer = Annotated[Principal, Authorize("participation.answer")]
QUEUE = "/admin/participation/propositions"


# A bulk answer: up to 200 ticked ids, an answer of 4,000 characters, the queue's filters.
FORM_BYTES = 256 * 1024
Posted = Annotated[FormData, Depends(small_form(FORM_BYTES, max_fields=300))]


def _text(form: FormData, name: str, limit: int = 8000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _cost(raw: str) -> int | None:
    """A cost in euros as typed ("12 500", "12500"); -1 when it is not a whole number."""
    cleaned = raw.replace(" ", "").replace("\u202f", "").replace("\xa0", "").replace("€", "")
    if not cleaned:
        return None
    number = whole_number(cleaned, max_digits=12)
    return number if number is not None else -1


def _answer_choices() -> list[tuple[str, str]]:
    return [(str(s), _(STATE_LABELS[s])) for s in STATE_LABELS if s in ANSWER_STATES]


def _queue_page(
    request: Request,
    session: DbSession,
    filters: QueueFilters,
    paging: PageParams,
    *,
    errors: dict[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    checked: Collection[int] = (),
    status_code: int = 200,
) -> HTMLResponse:
    rows, total = queue(session, filters, paging)
    names = NameRepository(session)
    processes = ProcessRepository(session)
    categories = names.categories()
    geozones = names.geozones()
    context: dict[str, Any] = {
        "page": Page[Any](items=rows, total=total, page=paging.page, page_size=paging.page_size),
        "filters": filters,
        "query": urlencode(filters.query()),
        "back": urlencode({**filters.query(), "page": paging.page}),
        "process_options": processes.every(),
        "process_titles": processes.titles({p.process_id for p in rows}),
        "category_options": categories,
        "category_names": dict(categories),
        "geozone_options": geozones,
        "geozone_names": dict(geozones),
        "state_options": [(str(s), _(label)) for s, label in STATE_LABELS.items()],
        "answer_choices": _answer_choices(),
        "errors": errors or {},
        "values": values or {},
        "checked": set(checked),
        **helpers(),
    }
    done = whole_number(request.query_params.get("n"), max_digits=4)
    if request.query_params.get("fait") == "lot" and done:
        context["flash"] = ngettext(
            "%(num)d proposal answered.", "%(num)d proposals answered.", done
        ) % {"num": done}
    return render(
        request, "participation/proposals/admin/queue.html", context, status_code=status_code
    )


@proposals.get("", response_class=HTMLResponse)
def proposals_queue(
    request: Request, session: DbSession, paging: Pagination, _principal: Answerer
) -> HTMLResponse:
    """Proposals of every process, to answer, merge or answer in bulk."""
    return _queue_page(request, session, filters_from_query(request.query_params), paging)


@proposals.post("/lot", response_class=HTMLResponse)
def bulk_answer(
    request: Request, session: DbSession, form: Posted, principal: Answerer
) -> Response:
    """Give every ticked proposal the same answer: all of them or none."""
    back = dict(parse_qsl(_text(form, "back", 2000)))
    filters = filters_from_query(back)
    paging = PageParams(page=min(parse_id(back.get("page")) or 1, 100_000))
    ids = [i for i in (parse_id(v) for v in form.getlist("ids") if isinstance(v, str)) if i]
    values = {k: _text(form, k) for k in ("state", "answer", "cost")}
    try:
        done = answers.bulk_answer(
            session,
            ids,
            require_user(principal),
            state=values["state"],
            text=values["answer"],
            cost_estimate=_cost(values["cost"]),
        )
    except ServicielleError as exc:
        errors = {f"bulk-{k}": v for k, v in exc.by_field("ids").items()}
        return _queue_page(
            request,
            session,
            filters,
            paging,
            errors=errors,
            values=values,
            checked=ids,
            status_code=exc.status,
        )
    target = urlencode({**filters.query(), "fait": "lot", "n": len(done)})
    return RedirectResponse(f"{QUEUE}?{target}", status_code=303)


def _proposal(session: DbSession, raw_id: str) -> Proposal:
    proposal_id = parse_id(raw_id)
    proposal = ProposalRepository(session).get(proposal_id) if proposal_id else None
    if proposal is None:
        raise NotFound(_("No proposal no. %(id)s.") % {"id": plain(raw_id)[:12]})
    return proposal


def _proposal_page(
    request: Request,
    session: DbSession,
    proposal: Proposal,
    *,
    errors: dict[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    names = NameRepository(session)
    process = ProcessRepository(session).get(proposal.process_id)
    context: dict[str, Any] = {
        "proposal": proposal,
        "process": process,
        "people": names.people([proposal.author_id, proposal.answered_by_id]),
        "category": dict(names.categories()).get(proposal.category_id or 0, ""),
        "geozone": dict(names.geozones()).get(proposal.geozone_id or 0, ""),
        "answer_choices": _answer_choices(),
        "errors": errors or {},
        "values": values or {},
        **helpers(),
    }
    flash = request.query_params.get("fait")
    if flash == "reponse":
        context["flash"] = _("The answer is published.")
    elif flash == "fusion":
        context["flash"] = _("The proposals are merged.")
    return render(
        request, "participation/proposals/admin/proposal.html", context, status_code=status_code
    )


@proposals.get("/{proposal_id}", response_class=HTMLResponse)
def proposal_detail(
    proposal_id: str, request: Request, session: DbSession, _principal: Answerer
) -> HTMLResponse:
    """One proposal, with the forms to answer it and to merge it into another."""
    return _proposal_page(request, session, _proposal(session, proposal_id))


@proposals.post("/{proposal_id}/reponse", response_class=HTMLResponse)
def answer_proposal(
    proposal_id: str,
    request: Request,
    session: DbSession,
    form: Posted,
    principal: Answerer,
) -> Response:
    """Publish the official answer: state, justification, cost estimate."""
    proposal = _proposal(session, proposal_id)
    values = {k: _text(form, k) for k in ("state", "answer", "cost")}
    try:
        answers.answer(
            session,
            proposal,
            require_user(principal),
            state=values["state"],
            text=values["answer"],
            cost_estimate=_cost(values["cost"]),
        )
    except ServicielleError as exc:
        errors = exc.by_field("state")
        return _proposal_page(
            request, session, proposal, errors=errors, values=values, status_code=exc.status
        )
    return RedirectResponse(f"{QUEUE}/{proposal.id}?fait=reponse", status_code=303)


@proposals.post("/{proposal_id}/fusion", response_class=HTMLResponse)
def merge_proposal(
    proposal_id: str,
    request: Request,
    session: DbSession,
    form: Posted,
    principal: Answerer,
) -> Response:
    """Merge this proposal (a duplicate) into the one whose number is given."""
    source = _proposal(session, proposal_id)
    raw_target = _text(form, "target", 20)
    target_id = parse_id(raw_target)
    target = ProposalRepository(session).get(target_id) if target_id else None
    try:
        if target is None:
            raise NotFound(_("No proposal no. %(id)s.") % {"id": plain(raw_target) or "?"})
        answers.merge(session, source, target, require_user(principal))
    except ServicielleError as exc:
        return _proposal_page(
            request,
            session,
            source,
            errors={"target": exc.detail},
            values={"target": raw_target},
            status_code=exc.status,
        )
    return RedirectResponse(f"{QUEUE}/{target.id}?fait=fusion", status_code=303)


router.include_router(proposals)
router.include_router(backoffice_moderation.router)
