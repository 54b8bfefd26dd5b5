"""The vote's routes on a participatory budget: who votes, choose, check, confirm; the receipt.

Nothing is stored before the voter confirms: the declaration and the choices travel in the
form from one step to the next, and every step checks them again. The ballot's id is never
shown, logged nor put in a URL; the receipt is shown once, on the confirmation page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, InvalidInput, NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.session import DbSession
from servicielle.participation.budgets.ballot_repository import VoteRepository
from servicielle.participation.budgets.ballots import Residence, normalise_receipt
from servicielle.participation.budgets.models import Envelope
from servicielle.participation.budgets.rules import BrokenRule
from servicielle.participation.budgets.vote_display import (
    EnvelopeBallot,
    Vote,
    counter_text,
    counters,
    find_vote,
    page,
    residence_options,
    sign_in_url,
)
from servicielle.participation.budgets.vote_forms import (
    PostedVote,
    VoteForm,
    parse_birth_date,
    parse_points,
    parse_residence,
)

router = APIRouter(prefix="/participation/{slug}/budget")


def home_page(
    request: Request,
    session: Session,
    vote: Vote,
    user: User | None,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The vote's first page: the ballot to read, and step 1 for those who may vote."""
    voter = VoteRepository(session).voter(vote.budget.id, user.id) if user else None
    communes, zones = residence_options(session, vote)
    envelopes = VoteRepository(session).envelopes(vote.budget.id)
    context = {
        "user": user,
        "voter": voter,
        "sign_in": sign_in_url(vote),
        "communes": communes,
        "zones": zones,
        "values": values or {},
        "errors": errors or {},
        "unconfirmed": user is not None and user.email_confirmed_at is None,
        "ballot": vote.ballot(session, envelopes),
        "today": utcnow().date().isoformat(),
    }
    return page(request, vote, "budget.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def vote_home(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    """A budget's ballot to read; step 1 of the vote while it is open."""
    vote = find_vote(request, session, slug, request.query_params.get("budget", "")[:20])
    return home_page(request, session, vote, principal.user)


@dataclass
class Step:
    """What every step after the first knows: who votes, where, and (to change) the receipt."""

    vote: Vote
    user: User
    envelopes: Sequence[Envelope]
    hidden: dict[str, str]
    residence: Residence | None = None
    birth_date: dt.date | None = None
    receipt: str = ""

    @property
    def changing(self) -> bool:
        """Whether the voter is changing a ballot already cast."""
        return bool(self.receipt)


def already_voted(request: Request, vote: Vote) -> HTMLResponse:
    """The answer to a second ballot: 409, with the ways to check or change the first."""
    message = _("You have already voted in this budget: change your ballot with your receipt.")
    return page(request, vote, "voted.html", {"message": message}, status_code=409)


def start_step(
    request: Request, session: Session, principal_user: User | None, slug: str, form: VoteForm
) -> Step | Response:
    """Check the voter again, from the form: a Step, or the page that answers instead."""
    vote = find_vote(request, session, slug, form.get("budget", limit=20))
    if principal_user is None:
        return RedirectResponse(sign_in_url(vote), status_code=303)
    vote.require_open()
    user = principal_user
    hidden = {"budget": str(vote.budget.id)}
    voter = VoteRepository(session).voter(vote.budget.id, user.id)
    if form.get("mode") == "change":
        if voter is None:
            raise NotFound(_("You have not voted in this budget yet."))
        receipt = normalise_receipt(form.get("receipt", limit=60))
        if receipt is None:
            raise InvalidInput(
                _("A receipt has 20 letters and digits, like ABCD-EFGH-JKLM-NPQR-STUV.")
            )
        hidden.update(mode="change", receipt=receipt)
        envelopes = vote.service.envelopes_for(voter.geozone_id)
        return Step(vote, user, envelopes, hidden, receipt=receipt)
    if voter is not None:
        return already_voted(request, vote)
    values = {name: form.get(name, limit=20) for name in ("commune", "zone", "birth_date")}
    communes, zones = residence_options(session, vote)
    residence, errors = parse_residence(
        values["commune"], values["zone"], [c for c, _n in communes], [z for z, _n in zones]
    )
    birth_date, birth_error = parse_birth_date(values["birth_date"], utcnow().date())
    if birth_error:
        errors["birth_date"] = birth_error
    if errors:
        return home_page(
            request, session, vote, user, values=values, errors=errors, status_code=422
        )
    problem = vote.service.eligibility_problem(user, birth_date, residence)
    if problem:
        field_name, status = "zone", 422
        if user.email_confirmed_at is None:
            field_name, status = "form", 403
        elif vote.service.residence_problem(residence) != problem:
            field_name = "birth_date"
            status = 403 if birth_date is not None else 422
        elif residence.commune_code is None:
            field_name = "commune"
        return home_page(
            request,
            session,
            vote,
            user,
            values=values,
            errors={field_name: problem},
            status_code=status,
        )
    hidden.update(values)
    return Step(
        vote, user, vote.service.envelopes_for(residence.geozone_id), hidden, residence, birth_date
    )


def choose_page(
    request: Request,
    session: Session,
    step: Step,
    points: Mapping[int, int],
    errors: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Step 2: the projects of the voter's envelopes, with the rule and the counter."""
    ballot = step.vote.ballot(session, step.envelopes, points)
    context = {
        "step": step,
        "ballot": ballot,
        "errors": errors or {},
        "counters": counters(),
        "counter_text": counter_text,
    }
    return page(request, step.vote, "choose.html", context, status_code=status_code)


def check_page(
    request: Request,
    session: Session,
    step: Step,
    points: Mapping[int, int],
    broken: Sequence[BrokenRule],
) -> HTMLResponse:
    """Step 3: the choices per envelope, with each broken rule, or the confirm button."""
    context = {
        "step": step,
        "ballot": step.vote.ballot(session, step.envelopes, points, broken),
        "points": points,
        "general": [rule for rule in broken if rule.envelope_id is None],
        "broken": broken,
    }
    return page(request, step.vote, "check.html", context, status_code=422 if broken else 200)


@router.post("/choix", response_class=HTMLResponse)
def choose(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal, form: PostedVote
) -> Response:
    """Step 2, after step 1 or coming back from step 3 with the choices kept."""
    step = start_step(request, session, principal.user, slug, form)
    if isinstance(step, Response):
        return step
    points, errors = parse_points(form.ballot, step.vote.known_projects(session))
    return choose_page(request, session, step, points, errors)


@router.post("/verification", response_class=HTMLResponse)
def check(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal, form: PostedVote
) -> Response:
    """Step 3: the choices checked against every rule; nothing is stored yet."""
    step = start_step(request, session, principal.user, slug, form)
    if isinstance(step, Response):
        return step
    points, errors = parse_points(form.ballot, step.vote.known_projects(session))
    if errors:
        return choose_page(request, session, step, points, errors, status_code=422)
    return check_page(
        request, session, step, points, step.vote.service.broken_rules(step.envelopes, points)
    )


@router.post("/confirmation", response_class=HTMLResponse)
def confirm(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal, form: PostedVote
) -> Response:
    """The ballot goes into the box; the receipt is shown this once."""
    step = start_step(request, session, principal.user, slug, form)
    if isinstance(step, Response):
        return step
    points, errors = parse_points(form.ballot, step.vote.known_projects(session))
    if errors:
        return choose_page(request, session, step, points, errors, status_code=422)
    service = step.vote.service
    try:
        if step.changing:
            service.change(step.user, step.receipt, points)
            return page(request, step.vote, "done.html", {"receipt": "", "changed": True})
        assert step.residence is not None
        cast = service.cast(step.user, points, residence=step.residence, birth_date=step.birth_date)
    except InvalidInput:
        return check_page(
            request, session, step, points, service.broken_rules(step.envelopes, points)
        )
    except Conflict:
        if (
            step.changing
            or VoteRepository(session).voter(step.vote.budget.id, step.user.id) is None
        ):
            raise
        return already_voted(request, step.vote)
    return page(request, step.vote, "done.html", {"receipt": cast.receipt, "changed": False})


# --- checking and changing with the receipt -------------------------------------------------


def receipt_page(
    request: Request,
    session: Session,
    vote: Vote,
    user: User | None,
    template: str,
    *,
    receipt: str = "",
    error: str = "",
    found: list[EnvelopeBallot] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page asking for a receipt (to check or to change a ballot), with its answer."""
    voter = VoteRepository(session).voter(vote.budget.id, user.id) if user else None
    context = {
        "user": user,
        "voter": voter,
        "sign_in": sign_in_url(
            vote, f"{vote.base}/{'recu' if template == 'receipt.html' else 'modifier'}"
        ),
        "receipt": receipt,
        "errors": {"receipt": error} if error else {},
        "found": found,
    }
    return page(request, vote, template, context, status_code=status_code)


NO_MATCH = N_("No ballot matches this receipt. Check it in the email we sent you when you voted.")


def lookup(
    session: Session, vote: Vote, user: User, text: str
) -> tuple[dict[int, int] | None, str]:
    """The points of the ballot a receipt names, or None with the message to show."""
    if normalise_receipt(text) is None:
        return None, _("A receipt has 20 letters and digits, like ABCD-EFGH-JKLM-NPQR-STUV.")
    found = vote.service.find(user, text)
    if found is None:
        return None, _(NO_MATCH)
    ballot, _projects = found
    return {c.project_id: c.points for c in VoteRepository(session).choices(ballot.id)}, ""


@router.get("/recu", response_class=HTMLResponse)
def receipt_form(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    """Check one's ballot is in the box: the receipt form."""
    vote = find_vote(request, session, slug, request.query_params.get("budget", "")[:20])
    return receipt_page(request, session, vote, principal.user, "receipt.html")


@router.post("/recu", response_class=HTMLResponse)
def check_receipt(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal, form: PostedVote
) -> Response:
    """The ballot one's receipt names, or that none does (and nothing else)."""
    vote = find_vote(request, session, slug, form.get("budget", limit=20))
    user = principal.user
    if user is None:
        return RedirectResponse(sign_in_url(vote, f"{vote.base}/recu"), status_code=303)
    text = form.get("receipt", limit=60)
    points, error = lookup(session, vote, user, text)
    if points is None:
        return receipt_page(
            request, session, vote, user, "receipt.html", receipt=text, error=error, status_code=422
        )
    envelopes = VoteRepository(session).envelopes(vote.budget.id)
    found = [part for part in vote.ballot(session, envelopes, points) if part.chosen]
    return receipt_page(request, session, vote, user, "receipt.html", found=found)


@router.get("/modifier", response_class=HTMLResponse)
def change_form(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal
) -> HTMLResponse:
    """Change one's ballot: the receipt form, while the vote is open."""
    vote = find_vote(request, session, slug, request.query_params.get("budget", "")[:20])
    return receipt_page(request, session, vote, principal.user, "change.html")


@router.post("/modifier", response_class=HTMLResponse)
def change_start(
    slug: str, request: Request, session: DbSession, principal: CurrentPrincipal, form: PostedVote
) -> Response:
    """The receipt checked, step 2 again with the ballot's current choices."""
    vote = find_vote(request, session, slug, form.get("budget", limit=20))
    user = principal.user
    if user is None:
        return RedirectResponse(sign_in_url(vote, f"{vote.base}/modifier"), status_code=303)
    vote.require_open()
    voter = VoteRepository(session).voter(vote.budget.id, user.id)
    if voter is None:
        raise NotFound(_("You have not voted in this budget yet."))
    text = form.get("receipt", limit=60)
    points, error = lookup(session, vote, user, text)
    if points is None:
        return receipt_page(
            request, session, vote, user, "change.html", receipt=text, error=error, status_code=422
        )
    receipt = normalise_receipt(text) or ""
    hidden = {"budget": str(vote.budget.id), "mode": "change", "receipt": receipt}
    step = Step(vote, user, vote.service.envelopes_for(voter.geozone_id), hidden, receipt=receipt)
    return choose_page(request, session, step, points)
