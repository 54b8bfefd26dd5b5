"""Public results of a participatory budget: winners, money, map, rounds, rules compared.

A budget's results are shown once agents published them; the page itself exists while the
running phase shows results or once a budget of the process is published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.errors import NotFound
from servicielle.core.i18n import _, get_locale, ngettext
from servicielle.core.ids import parse_id
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.participation.budgets import pabulib_io
from servicielle.participation.budgets.models import Budget, Envelope, Project, Tally, VoteChannel
from servicielle.participation.budgets.results_queries import ResultsRepository
from servicielle.participation.budgets.tallying import TallySettings, rule_label
from servicielle.participation.models import Feature, Process
from servicielle.participation.phases import CLOSED_MESSAGES, is_on

router = APIRouter()


def euros(value: float | int | None) -> str:
    """An amount in euros, without cents when whole."""
    amount = float(value or 0)
    pattern = "#,##0\xa0¤" if amount.is_integer() else "#,##0.00\xa0¤"
    return str(format_currency(amount, "EUR", format=pattern, locale=get_locale()))


def number(value: int) -> str:
    """A count with the locale's grouping."""
    return str(format_decimal(value, locale=get_locale()))


def percent(value: float) -> str:
    """A share as a percentage with one decimal at most."""
    return str(format_percent(value, format="#,##0.#\xa0%", locale=get_locale()))


@dataclass
class RuleRow:
    """One line of the comparison of rules."""

    label: str
    configured: bool
    funded: int
    spent: float
    spent_share: float
    served_share: float


@dataclass
class EnvelopeResult:
    """What one envelope's results say, from its projects, ballots and stored tallies."""

    envelope: Envelope
    projects: list[Project]
    online: int = 0
    paper: int = 0
    configured: Tally | None = None
    tallies: list[Tally] = field(default_factory=list)

    @property
    def ballots(self) -> int:
        """Ballots counted in this envelope (those choosing at least one of its projects)."""
        return self.configured.ballots if self.configured else self.online + self.paper

    @property
    def funded(self) -> list[Project]:
        """The projects funded, most votes first."""
        return sorted((p for p in self.projects if p.selected), key=lambda p: -(p.votes or 0))

    @property
    def spent(self) -> int:
        """Money the funded projects cost."""
        return sum(p.cost for p in self.projects if p.selected)

    def share_of_voters(self, project: Project) -> float:
        """The share of this envelope's ballots that chose the project."""
        return (project.votes or 0) / self.ballots if self.ballots else 0.0

    def titles(self) -> dict[int, str]:
        """Project titles by id."""
        return {p.id: p.title for p in self.projects}

    def by_votes(self) -> list[Project]:
        """Every project, most votes first."""
        return sorted(self.projects, key=lambda p: (-(p.votes or 0), p.position, p.id))

    def comparison(self) -> list[RuleRow]:
        """The rules side by side, the configured one first."""
        rows = []
        for row in self.tallies:
            outcome = row.outcome
            amount = self.envelope.amount
            rows.append(
                RuleRow(
                    label=rule_label(row.rule, row.completion),
                    configured=row is self.configured,
                    funded=int(outcome["funded"]),
                    spent=float(outcome["spent"]),
                    spent_share=float(outcome["spent"]) / amount if amount else 0.0,
                    served_share=float(outcome["served_share"]),
                )
            )
        return rows

    def map_points(self) -> list[dict[str, Any]]:
        """Projects with a place, for the map."""
        return [
            {
                "title": p.title,
                "lat": p.latitude,
                "lon": p.longitude,
                "selected": bool(p.selected),
            }
            for p in self.projects
            if p.latitude is not None and p.longitude is not None
        ]


def envelope_results(session: Session, budget: Budget) -> list[EnvelopeResult]:
    """Each envelope of a budget with its ballot counts and stored tallies."""
    repository = ResultsRepository(session)
    envelopes = repository.envelopes(budget.id)
    ids = [e.id for e in envelopes]
    projects = repository.projects(ids)
    counts = repository.ballot_counts(budget.id)
    tallies = repository.tallies(ids)
    settings = TallySettings.of(budget)
    results = []
    for envelope in envelopes:
        own = [t for t in tallies if t.envelope_id == envelope.id]
        configured = next((t for t in own if settings.matches(t)), None)
        own.sort(key=lambda t: (t is not configured, t.rule))
        channel = counts.get(envelope.id, {})
        results.append(
            EnvelopeResult(
                envelope=envelope,
                projects=[p for p in projects if p.envelope_id == envelope.id],
                online=channel.get(VoteChannel.ONLINE, 0),
                paper=channel.get(VoteChannel.PAPER, 0),
                configured=configured,
                tallies=own,
            )
        )
    return results


def explanation(result: EnvelopeResult) -> list[str]:
    """The rounds of Equal Shares in plain words; nothing for the greedy rule."""
    tally = result.configured
    if tally is None or tally.rule not in ("mes", "mes-add1"):
        return []
    outcome = tally.outcome
    titles = {p.id: p.title for p in result.projects}

    def names(ids: list[int]) -> str:
        return ", ".join(titles.get(i, str(i)) for i in ids)

    lines = []
    if outcome.get("per_voter_budget") is not None and tally.ballots:
        lines.append(
            ngettext(
                "The only voter received the whole envelope, %(amount)s, to spend only on the "
                "projects they chose.",
                "Each of the %(voters)s voters received an equal share of the envelope, "
                "%(amount)s, to spend only on the projects they chose.",
                tally.ballots,
            )
            % {"voters": number(tally.ballots), "amount": euros(outcome["per_voter_budget"])}
        )
    if outcome.get("excluded"):
        lines.append(
            _("Left out by the eligibility threshold: %(titles)s.")
            % {"titles": names(outcome["excluded"])}
        )
    for step in outcome.get("rounds", []):
        if step["dropped"]:
            lines.append(
                _(
                    "Before round %(n)d, these projects were dropped: their supporters no "
                    "longer had enough money left to pay for them: %(titles)s."
                )
                % {"n": step["number"], "titles": names(step["dropped"])}
            )
        lines.append(_round_line(step, titles))
    if outcome.get("completed"):
        lines.append(
            _("Then the greedy completion funded, with the money left: %(titles)s.")
            % {"titles": names(outcome["completed"])}
        )
    return lines


def _round_line(step: dict[str, Any], titles: dict[int, str]) -> str:
    """One purchase of Equal Shares in words, singular and plural right."""
    supporters = int(step["supporters"])
    full, rest = int(step["paid_share"]), int(step["paid_all_left"])
    values = {
        "n": step["number"],
        "project": titles.get(step["project"], str(step["project"])),
        "cost": euros(step["cost"]),
        "num": number(supporters),
        "share": euros(step["share"]),
    }
    bought = ngettext(
        "Round %(n)d: %(project)s (%(cost)s) was bought by its only supporter",
        "Round %(n)d: %(project)s (%(cost)s) was bought by its %(num)s supporters",
        supporters,
    )
    # Who paid what: the full share, or all they had left; a group of nobody is not named.
    if not rest or not full:
        paid = (
            ngettext("who paid %(share)s", "each paying %(share)s", supporters) % values
            if not rest
            else ngettext("who paid all they had left", "each paying all they had left", supporters)
        )
        return _("%(bought)s, %(paid)s.") % {"bought": bought % values, "paid": paid}
    paid = _("%(full)s and %(rest)s") % {
        "full": ngettext("%(num)s paid %(share)s", "%(num)s paid %(share)s each", full)
        % {"num": number(full), "share": values["share"]},
        "rest": ngettext("%(num)s paid all they had left", "%(num)s paid all they had left", rest)
        % {"num": number(rest)},
    }
    return _("%(bought)s: %(paid)s.") % {"bought": bought % values, "paid": paid}


def helpers() -> dict[str, Any]:
    """Formatting functions the results templates use."""
    return {
        "euros": euros,
        "number": number,
        "percent": percent,
        "explanation": explanation,
        "rule_label": rule_label,
        "ngettext": ngettext,
    }


def results_visible(session: Session, process: Process) -> tuple[bool, list[Budget]]:
    """Whether the results page shows, and the budgets whose results are published."""
    repository = ResultsRepository(session)
    published = [b for b in repository.budgets_of(process.id) if b.results_published_at]
    running = is_on(repository.phases(process.id), Feature.RESULTS)
    return bool(published) or running, published


def _process(session: Session, slug: str) -> Process:
    process = ResultsRepository(session).published_process(slug[:120])
    if process is None:
        raise NotFound(_("No such participatory process."))
    return process


@router.get("/participation/{slug}/resultats", response_class=HTMLResponse)
def results_page(slug: str, request: Request, session: DbSession) -> HTMLResponse:
    """The published results of the budgets of a process."""
    process = _process(session, slug)
    visible, published = results_visible(session, process)
    if not visible:
        raise NotFound(_(CLOSED_MESSAGES[Feature.RESULTS]))
    context = {
        "process": process,
        "budgets": [(budget, envelope_results(session, budget)) for budget in published],
        **helpers(),
    }
    return render(request, "participation/results/page.html", context)


@router.get("/participation/{slug}/resultats/{envelope_id}.pb")
def download_pabulib(slug: str, envelope_id: str, session: DbSession) -> Response:
    """The anonymous ballots of a published envelope, as a Pabulib file."""
    process = _process(session, slug)
    number_id = parse_id(envelope_id)
    repository = ResultsRepository(session)
    for budget in repository.budgets_of(process.id):
        envelope = repository.envelope(budget.id, number_id) if number_id else None
        if envelope is not None and budget.results_published_at is not None:
            text = pabulib_io.export(session, budget, envelope)
            return pabulib_response(text, process.slug, envelope.id)
    raise NotFound(_("No published results for this envelope."))


def pabulib_response(text: str, slug: str, envelope_id: int) -> Response:
    """A ``.pb`` file to download."""
    name = f"{slug}-enveloppe-{envelope_id}.pb"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
