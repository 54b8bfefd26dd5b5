"""Pabulib ``.pb`` files of a budget: export an envelope's anonymous ballots, import a file.

An export numbers voters in a random order (see ``tallying``) and carries no voter column:
it pairs with nothing. An import becomes a new envelope of the budget, its projects, and
its ballots entered as paper ones from the station "import Pabulib".
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, replace
from fractions import Fraction

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from servicielle.core.errors import BadRequest, Conflict
from servicielle.core.i18n import _
from servicielle.core.text import plain
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    Budget,
    Envelope,
    Project,
    VoteChannel,
)
from servicielle.participation.budgets.results_queries import ResultsRepository
from servicielle.participation.budgets.tallying import (
    configured_tallies,
    envelope_instance,
    require_vote_closed,
)
from servicielle.participation.tally import model as pb
from servicielle.participation.tally.pabulib import PabulibError, dumps, parse

# Pabulib's largest files are a few megabytes; twenty leaves room and bounds the work.
MAX_IMPORT_BYTES = 20 * 1024 * 1024
IMPORT_STATION = "import Pabulib"
# Amounts, costs and points are stored in 32-bit columns: larger ones are refused, not a 500.
LARGEST = 2**31 - 1
# A ballot paper lists tens of projects, Pabulib's largest elections a few hundred: more is
# not a participatory budget, and each project is a row to write and show.
MAX_IMPORT_PROJECTS = 2000


def export(session: Session, budget: Budget, envelope: Envelope) -> str:
    """The envelope's election as ``.pb`` text; once published, with votes and winners."""
    require_vote_closed(session, budget)
    tally = configured_tallies(session, budget).get(envelope.id)
    projects = ResultsRepository(session).projects([envelope.id])
    if tally is not None and tally.pabulib:
        instance = parse(tally.pabulib)
    else:
        instance = envelope_instance(session, budget, envelope, projects)
    if budget.results_published_at is not None:
        by_id = {str(p.id): p for p in projects}
        for key, project in list(instance.projects.items()):
            row = by_id.get(key)
            if row is None:
                continue
            instance.projects[key] = replace(
                project,
                fields={
                    "name": row.title,
                    "votes": str(row.votes or 0),
                    "selected": "1" if row.selected else "0",
                },
            )
    else:
        for key, project in list(instance.projects.items()):
            instance.projects[key] = replace(project, fields={"name": project.name})
    return dumps(instance)


@dataclass(frozen=True)
class ImportSummary:
    """What an import created."""

    envelope: Envelope
    projects: int
    ballots: int
    empty: int


def _refuse(line: int, problem: str) -> BadRequest:
    message = str(PabulibError(line, problem))
    return BadRequest.on_field("file", message)


def _whole(value: Fraction) -> int | None:
    return int(value) if value.denominator == 1 else None


def _coordinate(text: str, limit: float) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) and abs(value) <= limit else None


def read_instance(data: bytes) -> pb.Instance:
    """Parse an uploaded file; a problem is a 400 naming its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(
            data[: exc.start].count(b"\n") + 1, _("the file is not valid UTF-8")
        ) from None
    try:
        return parse(text)
    except PabulibError as exc:
        raise BadRequest.on_field("file", str(exc)) from None


def _check(budget: Budget, instance: pb.Instance) -> None:
    cumulative = budget.ballot_kind == BallotKind.CUMULATIVE
    if instance.vote_type not in ("approval", "choose-1", "cumulative"):
        raise BadRequest.on_field(
            "file",
            _("Only approval and cumulative files can be imported (this one is %(kind)s).")
            % {"kind": instance.vote_type},
        )
    if (instance.vote_type == "cumulative") != cumulative:
        raise BadRequest.on_field(
            "file",
            _("This budget's ballots are %(kind)s: the file's vote type does not fit.")
            % {"kind": budget.ballot_kind},
        )
    if budget.results_published_at is not None:
        raise Conflict(_("The results are published: no more ballots can be imported."))
    if _whole(instance.budget) is None or not 0 < instance.budget <= LARGEST:
        raise BadRequest.on_field(
            "file",
            _("The file's budget must be a whole number of euros, from 1 to %(max)s.")
            % {"max": LARGEST},
        )
    if not instance.projects:
        raise BadRequest.on_field("file", _("The file has no project."))
    if len(instance.projects) > MAX_IMPORT_PROJECTS:
        raise BadRequest.on_field(
            "file",
            _("The file lists %(count)s projects: at most %(max)s can be imported.")
            % {"count": len(instance.projects), "max": MAX_IMPORT_PROJECTS},
        )
    for project in instance.projects.values():
        if _whole(project.cost) is None or not 0 < project.cost <= LARGEST:
            raise _refuse(
                project.line,
                _("the cost of project %(id)r must be a whole number of euros, from 1 to %(max)s")
                % {"id": project.id, "max": LARGEST},
            )
    for ballot in instance.ballots:
        for value in ballot.points or ():
            if _whole(value) is None or not 0 <= value <= LARGEST:
                raise _refuse(
                    ballot.line,
                    _("the points of voter %(voter)r must be whole numbers, from 0 to %(max)s")
                    % {"voter": ballot.voter_id, "max": LARGEST},
                )


def _envelope_title(instance: pb.Instance, title: str) -> str:
    chosen = plain(title)
    if not chosen:
        meta = instance.meta
        parts = [meta.get(k, "") for k in ("description", "subunit", "district", "instance")]
        chosen = plain(" — ".join(p for p in parts if p.strip())) or _("Imported envelope")
    return chosen[:200]


def import_pabulib(
    session: Session, budget: Budget, data: bytes, *, title: str = ""
) -> ImportSummary:
    """Create an envelope of the budget with the file's projects and ballots."""
    instance = read_instance(data)
    _check(budget, instance)
    position = session.scalar(
        select(func.coalesce(func.max(Envelope.position), 0)).where(Envelope.budget_id == budget.id)
    )
    envelope = Envelope(
        budget_id=budget.id,
        title=_envelope_title(instance, title),
        amount=int(instance.budget),
        position=(position or 0) + 1,
    )
    session.add(envelope)
    session.flush()
    rows: dict[str, Project] = {}
    for index, item in enumerate(instance.projects.values()):
        rows[item.id] = Project(
            envelope_id=envelope.id,
            title=(plain(item.name) or _("Project %(id)s") % {"id": item.id})[:200],
            description=plain(item.fields.get("description", ""))[:5000],
            cost=int(item.cost),
            latitude=_coordinate(item.fields.get("latitude", ""), 90),
            longitude=_coordinate(item.fields.get("longitude", ""), 180),
            position=index,
        )
    # One flush for all the projects: their ids are needed for the choices, not one by one.
    session.add_all(rows.values())
    session.flush()
    ids = {key: project.id for key, project in rows.items()}
    ballots: list[dict[str, object]] = []
    choices: list[dict[str, object]] = []
    empty = 0
    for ballot in instance.ballots:
        if not ballot.projects:
            # A ballot with no project cannot be stored: a ballot exists by its choices.
            empty += 1
            continue
        ballot_id = secrets.token_hex(16)
        ballots.append(
            {
                "id": ballot_id,
                "budget_id": budget.id,
                "receipt_digest": None,
                "channel": VoteChannel.PAPER.value,
                "station": IMPORT_STATION,
            }
        )
        for index, project_id in enumerate(ballot.projects):
            points = int(ballot.points[index]) if ballot.points else 1
            choices.append(
                {"ballot_id": ballot_id, "project_id": ids[project_id], "points": points}
            )
    if ballots:
        session.execute(insert(Ballot), ballots)
        session.execute(insert(BallotChoice), choices)
    session.flush()
    return ImportSummary(envelope, len(ids), len(ballots), empty)
