"""Back office: agents enter the paper ballots of a polling station, one after the other.

The page is built for speed at the count: the station and its district stay between entries,
the choices clear, the counts per station show, and the last entries of this browser are
listed to catch typos. A paper ballot carries no voter data; it follows the online rules.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.accounts.auth import Authorize
from servicielle.core.accounts.security import sign, unsign
from servicielle.core.errors import Conflict, InvalidInput, NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.ids import parse_id
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.text import plain
from servicielle.participation.budgets.ballot_repository import VoteRepository
from servicielle.participation.budgets.ballots import BallotService
from servicielle.participation.budgets.models import Budget, Envelope
from servicielle.participation.budgets.rules import BrokenRule
from servicielle.participation.budgets.vote_display import (
    EnvelopeBallot,
    Vote,
    counter_text,
    counters,
    helpers,
)
from servicielle.participation.budgets.vote_forms import PostedVote, parse_points
from servicielle.participation.proposals.repository import NameRepository

router = APIRouter(prefix="/participation/bulletins-papier")
PaperAgent = Annotated[Principal, Authorize("participation.paper_ballots")]
BASE = "/admin/participation/bulletins-papier"
TEMPLATES = "participation/vote"
RECENT_COOKIE = "sv_paper_recent"
RECENT_PURPOSE = "paper-ballots-recent"
RECENT_MAX = 10
RECENT_AGE = 12 * 60 * 60  # one counting evening
COOKIE_BYTES = 3500  # browsers keep 4 kB per cookie
STATION_LENGTH = 120
DONE = {
    "saved": N_("Ballot saved. Enter the next one."),
    "again": N_("This ballot was already saved: the form was sent twice. Enter the next one."),
    "undone": N_("Your last entry was taken out of the box. Enter that ballot again if needed."),
}


def _budget(session: Session, budget_id: str) -> Budget:
    number = parse_id(budget_id)
    budget = VoteRepository(session).budget(number) if number else None
    if budget is None:
        raise NotFound(_("No such budget."))
    return budget


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _payload(request: Request, budget_id: int) -> dict[str, Any]:
    """This browser's signed cookie for the budget, or an empty one."""
    token = request.cookies.get(RECENT_COOKIE, "")[: COOKIE_BYTES * 2]
    secret = _settings(request).secret_key.get_secret_value()
    payload = unsign(secret, RECENT_PURPOSE, token, max_age=RECENT_AGE) if token else None
    if not isinstance(payload, dict) or payload.get("b") != budget_id:
        return {}
    return payload


def _recent(request: Request, budget_id: int) -> list[dict[str, Any]]:
    """This browser's last entries for the budget (newest first), from its signed cookie."""
    entries = _payload(request, budget_id).get("e")
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict)][:RECENT_MAX]


def _undo_token(request: Request, budget_id: int, agent: Principal) -> str | None:
    """The undo token of this agent's last entry in this browser, if it may still be undone."""
    payload = _payload(request, budget_id)
    token, owner = payload.get("u"), payload.get("a")
    if not isinstance(token, str) or not token or agent.user is None or owner != agent.user.id:
        return None
    return token


def _remember(
    request: Request,
    response: Response,
    budget_id: int,
    entries: list[dict[str, Any]],
    *,
    undo: str | None = None,
    agent_id: int | None = None,
) -> None:
    # The undo token names no ballot: the ballot keeps only its digest, which survives the
    # reshuffle of the box, and the token is kept for the newest entry alone.
    secret = _settings(request).secret_key.get_secret_value()
    kept = entries[:RECENT_MAX]
    extra: dict[str, Any] = {"u": undo, "a": agent_id} if undo and agent_id else {}
    token = sign(secret, RECENT_PURPOSE, {"b": budget_id, "e": kept, **extra})
    while len(token) > COOKIE_BYTES and kept:
        kept = kept[:-1]
        token = sign(secret, RECENT_PURPOSE, {"b": budget_id, "e": kept, **extra})
    response.set_cookie(
        RECENT_COOKIE,
        token,
        max_age=RECENT_AGE,
        path=BASE,
        httponly=True,
        samesite="lax",
        secure=_settings(request).secure_cookies,
    )


@router.get("", response_class=HTMLResponse)
def choose_budget(request: Request, session: DbSession, _agent: PaperAgent) -> HTMLResponse:
    """The budgets of every process, to pick the one whose paper ballots are counted."""
    votes = VoteRepository(session)
    budgets = votes.every_budget()
    processes = votes.processes(sorted({budget.process_id for budget in budgets}))
    paper = votes.paper_totals([budget.id for budget in budgets])
    rows = [
        {"process": processes[b.process_id], "budget": b, "paper": paper.get(b.id, 0)}
        for b in budgets
        if b.process_id in processes
    ]
    return render(request, f"{TEMPLATES}/paper_index.html", {"rows": rows})


def _entry_page(
    request: Request,
    session: Session,
    budget: Budget,
    *,
    station: str,
    zone_id: int | None,
    points: dict[int, int] | None = None,
    errors: dict[str, str] | None = None,
    broken: list[BrokenRule] | None = None,
    flash: str = "",
    can_undo: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    votes = VoteRepository(session)
    process = votes.process(budget.process_id)
    assert process is not None  # a budget's process is a foreign key
    service = BallotService(session, _settings(request), budget)
    vote = Vote(process, budget, [budget], votes.phases(process.id), service)
    everywhere = votes.envelopes(budget.id)
    zone_names = dict(NameRepository(session).geozones())
    zones = [
        (e.geozone_id, zone_names.get(e.geozone_id, e.title)) for e in everywhere if e.geozone_id
    ]
    envelopes: list[Envelope] = service.envelopes_for(zone_id)
    ballot: list[EnvelopeBallot] = vote.ballot(session, envelopes, points or {}, broken or [])
    titles = {
        card.project.id: card.project.title
        for part in vote.ballot(session, everywhere)
        for card in part.projects
    }
    recent = [
        {
            "station": str(entry.get("s", "")),
            "zone": zone_names.get(entry.get("z") or 0, ""),
            "choices": [
                (titles.get(int(pid), "?"), int(count))
                for pid, count in entry.get("p", [])
                if isinstance(pid, int) and isinstance(count, int)
            ],
        }
        for entry in _recent(request, budget.id)
    ]
    context = {
        "process": process,
        "budget": budget,
        "ballot": ballot,
        "zones": zones,
        "station": station,
        "zone_id": zone_id,
        "errors": errors or {},
        "broken": broken or [],
        "general": [rule for rule in broken or [] if rule.envelope_id is None],
        "counts": votes.paper_counts(budget.id),
        "recent": recent,
        "entry": secrets.token_urlsafe(12),
        "counters": counters(),
        "counter_text": counter_text,
        "base": BASE,
        "can_undo": can_undo and budget.results_published_at is None,
        **helpers(),
    }
    if flash:
        context["flash"] = flash
    return render(request, f"{TEMPLATES}/paper.html", context, status_code=status_code)


def _zone(text: str, budget: Budget, session: Session) -> int | None:
    zone_id = parse_id(text) if text.strip() else None
    envelopes = VoteRepository(session).envelopes(budget.id)
    return zone_id if zone_id in {e.geozone_id for e in envelopes if e.geozone_id} else None


@router.get("/{budget_id}", response_class=HTMLResponse)
def entry_form(
    budget_id: str, request: Request, session: DbSession, agent: PaperAgent
) -> HTMLResponse:
    """The entry form of a budget's paper ballots, the station kept from the last entry."""
    budget = _budget(session, budget_id)
    params = request.query_params
    done = DONE.get(params.get("fait", ""))
    return _entry_page(
        request,
        session,
        budget,
        station=plain(params.get("bureau", ""))[:STATION_LENGTH],
        zone_id=_zone(params.get("zone", ""), budget, session),
        flash=_(done) if done else "",
        can_undo=_undo_token(request, budget.id, agent) is not None,
    )


@router.post("/{budget_id}", response_class=HTMLResponse)
def enter_ballot(
    budget_id: str, request: Request, session: DbSession, agent: PaperAgent, form: PostedVote
) -> Response:
    """Save one paper ballot, then the form again for the next one of the same station."""
    budget = _budget(session, budget_id)
    station = form.get("station", limit=STATION_LENGTH)
    zone_id = _zone(form.get("zone", limit=20), budget, session)
    votes = VoteRepository(session)
    known = [p.id for p in votes.projects([e.id for e in votes.envelopes(budget.id)])]
    points, errors = parse_points(form.ballot, known)
    if errors:
        return _entry_page(
            request,
            session,
            budget,
            station=station,
            zone_id=zone_id,
            points=points,
            errors=errors,
            status_code=422,
        )
    entry = form.get("entry", limit=40)
    recent = _recent(request, budget.id)
    query = {"bureau": station, "zone": zone_id or ""}
    if entry and any(old.get("n") == entry for old in recent):
        return RedirectResponse(f"{BASE}/{budget.id}?{urlencode({**query, 'fait': 'again'})}", 303)
    service = BallotService(session, _settings(request), budget)
    undo = secrets.token_urlsafe(16)
    try:
        service.enter_paper(station, zone_id, points, undo_token=undo)
    except InvalidInput as refused:
        broken = service.broken_rules(service.envelopes_for(zone_id), points)
        fields = {e["field"]: e["message"] for e in refused.errors if e.get("field") == "station"}
        return _entry_page(
            request,
            session,
            budget,
            station=station,
            zone_id=zone_id,
            points=points,
            errors=fields,
            broken=broken,
            status_code=422,
        )
    response = RedirectResponse(
        f"{BASE}/{budget.id}?{urlencode({**query, 'fait': 'saved'})}", status_code=303
    )
    choices = sorted(points.items())
    new = {"s": station, "z": zone_id, "p": [list(pair) for pair in choices], "n": entry}
    agent_id = agent.user.id if agent.user is not None else None
    _remember(request, response, budget.id, [new, *recent], undo=undo, agent_id=agent_id)
    return response


@router.post("/{budget_id}/annuler-derniere", response_class=HTMLResponse)
def undo_last(
    budget_id: str, request: Request, session: DbSession, agent: PaperAgent, form: PostedVote
) -> Response:
    """Take back the last paper ballot this agent entered in this browser, entered by mistake."""
    budget = _budget(session, budget_id)
    token = _undo_token(request, budget.id, agent)
    if token is None:
        raise Conflict(
            _("There is no entry of yours to undo in this browser: only the last one can be.")
        )
    BallotService(session, _settings(request), budget).undo_paper(token)
    recent = _recent(request, budget.id)
    last = recent[0] if recent else {}
    query = {"bureau": str(last.get("s", "")), "zone": last.get("z") or "", "fait": "undone"}
    response = RedirectResponse(f"{BASE}/{budget.id}?{urlencode(query)}", status_code=303)
    _remember(request, response, budget.id, recent[1:])
    return response
