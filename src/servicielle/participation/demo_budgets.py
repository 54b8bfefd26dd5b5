"""The demo's budgets: envelopes, projects from accepted proposals, secret ballots, the past
edition's published results and what became of its winning projects.

Ballots keep the secret-ballot invariants: random 32-hex ids (drawn from the seeded generator,
so the demo is the same every time), no timestamp; paper ballots carry their polling station
and no receipt; the few online ones have a register line and a receipt digest whose receipt is
printed nowhere.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from servicielle.core.territory.models import GeoZone
from servicielle.participation import demo_data as data
from servicielle.participation import demo_texts as texts
from servicielle.participation.accountability.models import Milestone, Result, ResultStatus
from servicielle.participation.budgets import tallying
from servicielle.participation.budgets.ballots import RECEIPT_ALPHABET, receipt_digest
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    BallotKind,
    Budget,
    BudgetVoter,
    Envelope,
    Project,
    TallyRule,
    VoteChannel,
)
from servicielle.participation.demo_proposals import Planned

# Envelope amounts, whole euros: the territory-wide one first, then one per geozone.
AMOUNTS_2026 = {
    None: 600_000,
    "littoral-et-iles": 150_000,
    "rochefort-et-couronne": 120_000,
    "rochefort-secteur-nord-est": 100_000,
    "rochefort-secteur-nord-ouest": 100_000,
    "rochefort-secteur-sud-ouest": 90_000,
    "rochefort-secteur-sud-est": 90_000,
}
AMOUNTS_2025 = {
    None: 500_000,
    "littoral-et-iles": 120_000,
    "rochefort-et-couronne": 100_000,
    "rochefort-secteur-nord-est": 80_000,
    "rochefort-secteur-nord-ouest": 80_000,
    "rochefort-secteur-sud-ouest": 80_000,
    "rochefort-secteur-sud-est": 80_000,
}
# Where voters live, relatively (populations of the demo zones, rounded): None is the communes
# outside every demo zone, who vote in the territory-wide envelope only.
VOTERS_BY_ZONE = {
    "rochefort-secteur-nord-est": 6,
    "rochefort-secteur-nord-ouest": 6,
    "rochefort-secteur-sud-ouest": 6,
    "rochefort-secteur-sud-est": 6,
    "rochefort-et-couronne": 15,
    "littoral-et-iles": 8,
    None: 17,
}
ZONE_COMMUNES = {"rochefort-et-couronne": ("17449", "17463", "17065", "17146"),
                 "littoral-et-iles": ("17168", "17484", "17375", "17004", "17237", "17329"),
                 None: ("17429", "17308", "17353", "17253", "17075")}  # fmt: skip


@dataclass
class Made:
    """A budget and its envelopes by zone slug (None: territory-wide)."""

    budget: Budget
    envelopes: dict[str | None, Envelope]
    projects: dict[str | None, list[Project]]
    # Supports of each project's proposal: the preference model starts from them.
    supports: dict[int, int] = field(default_factory=dict)


def make_budget(
    session: Session,
    process_id: int,
    zones: dict[str, int],
    amounts: dict[str | None, int],
    title_description: tuple[str, str],
    **rules: Any,
) -> Made:
    """A budget with a territory-wide envelope and one per demo geozone."""
    title, description = title_description
    budget = Budget(process_id=process_id, title=title, description=description, **rules)
    session.add(budget)
    session.flush()
    names: dict[int, str] = {
        zone_id: name
        for zone_id, name in session.execute(
            select(GeoZone.id, GeoZone.name).where(GeoZone.id.in_(zones.values()))
        )
    }
    envelopes: dict[str | None, Envelope] = {}
    for position, (slug, amount) in enumerate(amounts.items()):
        envelopes[slug] = Envelope(
            budget_id=budget.id,
            title=texts.WIDE_ENVELOPE if slug is None else names[zones[slug]],
            amount=amount,
            geozone_id=None if slug is None else zones[slug],
            position=position,
        )
    session.add_all(envelopes.values())
    session.flush()
    return Made(budget, envelopes, {slug: [] for slug in envelopes})


def envelope_slug(planned: Planned) -> str | None:
    """The envelope a proposal's project goes to: its zone's, else the territory's."""
    return None if planned.idea.wide else planned.place.zone


def add_projects(session: Session, made: Made, accepted: Sequence[Planned]) -> None:
    """One project per accepted proposal, in its zone's envelope when it fits there."""
    for planned in accepted:
        slug = envelope_slug(planned)
        envelope = made.envelopes[slug]
        row = planned.row
        cost = int(row["cost_estimate"])
        if cost > envelope.amount:
            continue
        project = Project(
            envelope_id=envelope.id,
            proposal_id=planned.id,
            title=row["title"],
            description=row["body"],
            cost=cost,
            category_id=row["category_id"],
            geozone_id=envelope.geozone_id,
            latitude=row["latitude"],
            longitude=row["longitude"],
            address=row["address"],
            position=len(made.projects[slug]),
        )
        made.projects[slug].append(project)
        session.add(project)
        session.flush()
        made.supports[project.id] = len(planned.supporters)


def _receipt(rng: random.Random) -> str:
    raw = "".join(rng.choice(RECEIPT_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def cast_ballots(
    session: Session,
    rng: random.Random,
    made: Made,
    count: int,
    most: int,
    online_voters: Sequence[int],
    zones: dict[str, int],
    voted_at: tuple[dt.datetime, dt.datetime],
) -> int:
    """``count`` ballots from a preference model: each project's appeal, voters' own taste.

    The first ``len(online_voters)`` are online, with a register line; the rest are paper.
    """
    appeal = {
        p.id: (10 + made.supports.get(p.id, 0)) ** 0.7 * rng.lognormvariate(0, 0.5)
        for projects in made.projects.values()
        for p in projects
    }
    slugs = list(VOTERS_BY_ZONE)
    weights = list(VOTERS_BY_ZONE.values())
    ballots: list[dict[str, Any]] = []
    choices: list[dict[str, Any]] = []
    register: list[dict[str, Any]] = []
    start, end = voted_at
    for n in range(count):
        zone = rng.choices(slugs, weights)[0]
        picked: list[int] = []
        for slug in dict.fromkeys((None, zone)):
            projects = made.projects.get(slug, []) if slug in made.envelopes else []
            if not projects or (slug is not None and rng.random() < 0.1):
                continue
            wanted = min(rng.randint(1, most), len(projects))
            pool = {p.id: appeal[p.id] * rng.uniform(0.3, 1.7) for p in projects}
            for _ in range(wanted):
                chosen = rng.choices(list(pool), list(pool.values()))[0]
                picked.append(chosen)
                del pool[chosen]
        if not picked:
            continue
        ballot_id = f"{rng.getrandbits(128):032x}"
        online = n < len(online_voters)
        digest = None
        if online:
            user_id = online_voters[n]
            digest = receipt_digest(made.budget.id, user_id, _receipt(rng))
            register.append(
                {
                    "budget_id": made.budget.id,
                    "user_id": user_id,
                    "geozone_id": zones.get(zone) if zone else None,
                    "commune_code": "17299"
                    if zone and zone.startswith("rochefort-secteur")
                    else rng.choice(ZONE_COMMUNES[zone]),
                    "voted_at": start + (end - start) * rng.random(),
                    "changes": 0,
                }
            )
        ballots.append(
            {
                "id": ballot_id,
                "budget_id": made.budget.id,
                "receipt_digest": digest,
                "channel": VoteChannel.ONLINE if online else VoteChannel.PAPER,
                "station": "" if online else data.STATIONS[zone],
            }
        )
        choices += [{"ballot_id": ballot_id, "project_id": p, "points": 1} for p in picked]
    session.execute(insert(Ballot), ballots)
    session.execute(insert(BallotChoice), choices)
    if register:
        session.execute(insert(BudgetVoter), register)
    return len(ballots)


def budget_rules_2026() -> dict[str, Any]:
    """Approval, one to three projects per envelope, Equal Shares with Add1 and completion."""
    return {
        "ballot_kind": BallotKind.APPROVAL,
        "min_projects": 1,
        "max_projects": 3,
        "min_age": 16,
        "residents_only": True,
        "tally_rule": TallyRule.MES_ADD1,
        "tally_completion": True,
    }


def budget_rules_2025() -> dict[str, Any]:
    """Approval, one to four projects per envelope, Equal Shares with Add1 and completion."""
    return {
        "ballot_kind": BallotKind.APPROVAL,
        "min_projects": 1,
        "max_projects": 4,
        "min_age": 16,
        "residents_only": True,
        "tally_rule": TallyRule.MES_ADD1,
        "tally_completion": True,
    }


def count_and_publish(session: Session, made: Made, now: dt.datetime) -> None:
    """Tally every envelope and publish the winners, as agents do after the vote."""
    tallying.compute(session, made.budget)
    tallying.publish(session, made.budget, now=now)


def follow_up(
    session: Session,
    rng: random.Random,
    made: Made,
    process_id: int,
    today: dt.date,
) -> int:
    """Results for the winning projects: statuses, progress, money spent, milestones."""
    winners = sorted(
        (p for projects in made.projects.values() for p in projects if p.selected),
        key=lambda p: p.id,
    )
    statuses = [ResultStatus.DELIVERED, ResultStatus.WORKS, ResultStatus.STUDIES]
    milestones: list[dict[str, Any]] = []
    for n, project in enumerate(winners):
        if n == 3:
            status = ResultStatus.ABANDONED
        elif n % 7 == 6:
            status = ResultStatus.PLANNED
        else:
            status = statuses[n % 3]
        starts = today - dt.timedelta(days=rng.randint(60, 170))
        ends = starts + dt.timedelta(days=rng.randint(150, 420))
        progress, spent = 0, 0
        if status == ResultStatus.DELIVERED:
            ends = today - dt.timedelta(days=rng.randint(5, 50))
            starts = min(starts, ends - dt.timedelta(days=60))
            progress, spent = 100, int(project.cost * rng.uniform(0.88, 1.06))
        elif status == ResultStatus.WORKS:
            progress = rng.randint(40, 85)
            spent = int(project.cost * progress / 100 * rng.uniform(0.8, 1.1))
        elif status == ResultStatus.STUDIES:
            progress = rng.randint(10, 25)
            spent = int(project.cost * rng.uniform(0.03, 0.09))
        elif status == ResultStatus.ABANDONED:
            progress, spent = 10, int(project.cost * 0.06)
        description = project.description
        if status == ResultStatus.ABANDONED:
            description = f"{texts.ABANDONED}\n\n{project.description}"
        result = Result(
            process_id=process_id,
            project_id=project.id,
            title=project.title,
            description=description,
            status=status,
            progress=progress,
            budget=project.cost,
            spent=spent,
            geozone_id=project.geozone_id,
            latitude=project.latitude,
            longitude=project.longitude,
            starts_on=None if status == ResultStatus.PLANNED else starts,
            ends_on=ends,
        )
        session.add(result)
        session.flush()
        steps = texts.MILESTONES[:2] if status == ResultStatus.ABANDONED else texts.MILESTONES
        for title, text, share in steps:
            milestones.append(
                {
                    "result_id": result.id,
                    "on": starts + (ends - starts) * share,
                    "title": title,
                    "description": text,
                }
            )
    if milestones:
        session.execute(insert(Milestone), milestones)
    return len(winners)
