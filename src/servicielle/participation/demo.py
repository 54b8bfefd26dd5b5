"""Participation demo of the Rochefort Océan territory: two budget editions and consultations.

"Budget participatif 2026" runs: its vote is open, with a hundred proposals behind it
(supported, discussed, answered), a territory-wide envelope and one per demo geozone, and a
few hundred ballots already in. "Budget participatif 2025" is over: its results are published
and its winning projects are being built. One consultation is open, another closed with its
synthesis. The draws are seeded (the demo is the same every time), dates relative to the day
it is loaded; rows are inserted in bulk, not audited.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import User
from servicielle.core.db import utcnow
from servicielle.core.modules import DemoSeed
from servicielle.core.territory.models import Commune, GeoZone
from servicielle.participation import demo_budgets as budgets
from servicielle.participation import demo_data as data
from servicielle.participation import demo_texts as texts
from servicielle.participation.accountability.models import Milestone, Result
from servicielle.participation.budgets.models import (
    Ballot,
    BallotChoice,
    Budget,
    BudgetVoter,
    Envelope,
    Project,
    Tally,
)
from servicielle.participation.consultations.models import (
    Consultation,
    ConsultationQuestion,
    Observation,
)
from servicielle.participation.demo_consultations import activities, consultations
from servicielle.participation.demo_proposals import (
    People,
    Places,
    Planned,
    ProposalPlanner,
    flag,
    insert_proposals,
    merge,
)
from servicielle.participation.models import (
    Activity,
    Comment,
    DigestSubscription,
    Flag,
    Follow,
    FollowTarget,
    Phase,
    PhaseKind,
    Process,
    Proposal,
    ProposalCategory,
    ProposalPhoto,
    ProposalState,
    Support,
)
from servicielle.participation.phases import default_features

__all__ = ["clear", "demo", "load"]

DAY = dt.timedelta(days=1)
# Phase boundaries in days from today: the 2026 vote is open, the 2025 edition is being built.
PHASES_2026 = (-130, -110, -70, -45, -8, 13, 45, 410)
PHASES_2025 = (-500, -480, -440, -415, -380, -360, -330, 400)
UNUSABLE_PASSWORD = "!demo-account-without-password"
SPAM = data.Idea(
    "cadre-de-vie",
    "Isolation à 1 € : profitez-en vite !!!",
    "Offre exceptionnelle réservée aux habitants : appelez notre plateforme pour une "
    "isolation des combles à 1 €, places limitées, répondez avant dimanche.",
    (1, 1),
)


def _people(session: Session, now: dt.datetime, rng: random.Random) -> People:
    """The demo inhabitants: inactive accounts without a password, nobody signs in to them."""
    rows = []
    for n in range(1, data.INHABITANTS + 1):
        first = data.FIRST_NAMES[(n * 7) % len(data.FIRST_NAMES)]
        initial = data.LAST_INITIALS[(n * 5) % len(data.LAST_INITIALS)]
        joined = now - dt.timedelta(days=rng.randint(30, 700))
        rows.append(
            {
                "email": f"habitant.{n:03d}@{data.INHABITANTS_DOMAIN}",
                "password_hash": UNUSABLE_PASSWORD,
                "display_name": f"{first} {initial}.",
                "locale": "fr",
                "is_admin": False,
                # Inactive: no sign-in, no password reset link, no mail ever queued for them
                # (their addresses are made up); their supports and ballots still count.
                "is_active": False,
                "email_confirmed_at": joined,
                "created_at": joined,
                "modified_at": joined,
            }
        )
    ids = session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), rows).all()
    known = dict(
        session.execute(
            select(User.email, User.id).where(
                User.email.in_((data.ADMIN, data.AGENT, data.INHABITANT))
            )
        ).all()
    )
    return People(
        list(ids), known.get(data.ADMIN), known.get(data.AGENT), known.get(data.INHABITANT)
    )


def outlines(session: Session) -> dict[str, BaseGeometry]:
    """Commune outlines by INSEE code and Rochefort sector outlines by slug."""
    outlines: dict[str, BaseGeometry] = {
        code: shape(geometry)
        for code, geometry in session.execute(select(Commune.insee_code, Commune.geometry))
    }
    for slug, geometry in session.execute(select(GeoZone.slug, GeoZone.geometry)):
        outlines[slug] = shape(geometry)
    return outlines


def _process(
    session: Session, words: tuple[str, str, str, str], bounds: tuple[int, ...], now: dt.datetime
) -> tuple[Process, dict[str, tuple[dt.datetime, dt.datetime]]]:
    """A published process with its seven phases between ``bounds`` (days from today)."""
    slug, title, summary, description = words
    process = Process(
        slug=slug,
        title=title,
        summary=summary,
        description=description,
        published=True,
        support_expiry_days=None,
        flags_to_hide=3,
        position=0 if slug.endswith("2026") else 1,
    )
    session.add(process)
    session.flush()
    dates = {}
    for index, kind in enumerate(PhaseKind):
        starts, ends = now + bounds[index] * DAY, now + bounds[index + 1] * DAY
        dates[str(kind)] = (starts, ends)
        session.add(
            Phase(
                process_id=process.id,
                kind=kind,
                title=texts.PHASE_TITLES[kind],
                starts_at=starts,
                ends_at=ends,
                features=default_features(kind),
                announced_at=starts if starts <= now else None,
            )
        )
    session.flush()
    return process, dates


def _places(rng: random.Random, count: int, zone: Any = ...) -> list[data.Place]:
    """``count`` different places, where people live (optionally in one zone)."""
    pool = [p for p in data.PLACES if zone is ... or p.zone == zone]
    chosen: list[data.Place] = []
    while len(chosen) < min(count, len(pool)):
        place = rng.choices(pool, [p.weight for p in pool])[0]
        if place not in chosen:
            chosen.append(place)
    return chosen


def _answer_2026(
    planner: ProposalPlanner, plans: list[Planned], answered: tuple[dt.datetime, dt.datetime]
) -> None:
    """Accepted (enough per envelope), rejected, under study or not answered."""
    rng = planner.rng
    start, end = answered
    accepted: dict[str | None, int] = {}
    for planned in sorted(plans, key=lambda p: p.row["created_at"]):
        at = start + (end - start) * rng.random()
        slug = budgets.envelope_slug(planned)
        room = budgets.AMOUNTS_2026[slug]
        wanted = 9 if slug is None else 5
        draw = rng.random()
        fits = planned.idea.cost[1] <= room
        if fits and accepted.get(slug, 0) < wanted and draw < 0.8:
            accepted[slug] = accepted.get(slug, 0) + 1
            planner.answer(planned, ProposalState.ACCEPTED, at)
        elif draw < 0.35 or not fits:
            planner.answer(planned, ProposalState.REJECTED, at)
        elif draw < 0.45:
            planner.answer(planned, ProposalState.EVALUATING, at)
    # Every district gets a real choice: at least four projects on its ballot.
    for planned in plans:
        slug = budgets.envelope_slug(planned)
        fits = planned.idea.cost[1] <= budgets.AMOUNTS_2026[slug]
        if fits and accepted.get(slug, 0) < 4 and planned.row["state"] != ProposalState.ACCEPTED:
            accepted[slug] = accepted.get(slug, 0) + 1
            planner.answer(planned, ProposalState.ACCEPTED, planned.row["answered_at"] or start)


def _proposals_2026(
    planner: ProposalPlanner, process_id: int, dates: dict[str, tuple[dt.datetime, dt.datetime]]
) -> list[Planned]:
    rng = planner.rng
    wides = [idea for idea in data.IDEAS if idea.wide]
    locals_ = [idea for idea in data.IDEAS if not idea.wide]
    rng.shuffle(locals_)
    pairs = [(idea, _places(rng, 1)[0]) for n, idea in enumerate(wides) if n % 3]
    groups = list(budgets.AMOUNTS_2026)
    for n, idea in enumerate(locals_):
        # The first place of each idea goes round the districts: each gets its share.
        first = _places(rng, 1, groups[n % len(groups)])[0]
        others = [p for p in _places(rng, 4) if p != first][: (2 if n < 22 else 1)]
        pairs += [(idea, place) for place in (first, *others)]
    original_idea, original_place = next(pair for pair in pairs if pair[1].weight >= 4)
    duplicate = data.Idea(
        original_idea.category,
        "Nous voulons " + original_idea.title[0].lower() + original_idea.title[1:],
        "Je propose la même chose que beaucoup de voisins : " + original_idea.body,
        original_idea.cost,
        original_idea.wide,
    )
    pairs += [(duplicate, original_place), (SPAM, data.PLACES[0])]
    opened, closed = dates["proposals"]
    answered = dates["evaluation"]
    plans = planner.plan(process_id, pairs, opened, closed, answered[0], dates["vote"][0] + 7 * DAY)
    ordinary = [p for p in plans if p.idea not in (duplicate, SPAM)]
    _answer_2026(planner, ordinary, answered)
    return plans


def _proposals_2025(
    planner: ProposalPlanner, process_id: int, dates: dict[str, tuple[dt.datetime, dt.datetime]]
) -> list[Planned]:
    rng = planner.rng
    wides = [idea for n, idea in enumerate(i for i in data.IDEAS if i.wide) if n % 3 == 0]
    pairs = [(idea, _places(rng, 1)[0]) for idea in wides]
    for slug, amount in budgets.AMOUNTS_2025.items():
        if slug is None:
            continue
        # Costs of an eighth of the envelope or more: four of them seldom all fit.
        fitting = [
            i
            for i in data.IDEAS
            if not i.wide and amount * 0.12 <= i.cost[0] and i.cost[1] <= amount
        ]
        for place, idea in zip(_places(rng, 5, slug) * 3, rng.sample(fitting, 5), strict=False):
            pairs.append((idea, place))
    for place in _places(rng, 3, None):
        pairs.append((rng.choice([i for i in data.IDEAS if not i.wide]), place))
    opened, closed = dates["proposals"]
    start, end = dates["evaluation"]
    plans = planner.plan(process_id, pairs, opened, closed, start, dates["results"][0])
    rejected: set[str | None] = set()
    for planned in plans:
        at = start + (end - start) * rng.random()
        slug = budgets.envelope_slug(planned)
        if slug is not None and slug not in rejected and rng.random() < 0.4:
            rejected.add(slug)
            planner.answer(planned, ProposalState.REJECTED, at)
        else:
            planner.answer(planned, ProposalState.ACCEPTED, at)
    return plans


def load(session: Session) -> str:
    """Create the two budget editions, their proposals, ballots and results, and consultations."""
    if session.scalar(select(Process.id).limit(1)) is not None:
        return "participation déjà présente"
    zones = dict(session.execute(select(GeoZone.slug, GeoZone.id)).all())
    missing = [slug for slug in budgets.AMOUNTS_2026 if slug and slug not in zones]
    if missing:
        raise LookupError(f"the demo geozones {missing} are missing: load the territory")
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    rng = random.Random(data.SEED)
    people = _people(session, now, rng)
    categories = dict(
        session.execute(
            insert(ProposalCategory).returning(ProposalCategory.slug, ProposalCategory.id),
            [{"slug": s, "name": n, "position": i} for i, (s, n) in enumerate(data.CATEGORIES)],
        ).all()
    )
    planner = ProposalPlanner(rng, people, Places(outlines(session)), categories, zones)
    current, dates = _process(session, texts.PROCESS_2026, PHASES_2026, now)
    past, past_dates = _process(session, texts.PROCESS_2025, PHASES_2025, now)

    plans = _proposals_2026(planner, current.id, dates)
    duplicate = next(p for p in plans if p.idea.title.startswith("Nous voulons"))
    spam = next(p for p in plans if p.idea is SPAM)
    listed = [
        p for p in plans if p.row["state"] == ProposalState.PUBLISHED and p not in (duplicate, spam)
    ]
    if people.inhabitant is not None:
        for planned in listed[:2]:
            planned.row["author_id"] = people.inhabitant
    counts = insert_proposals(session, plans)
    original = next(
        p
        for p in plans
        if p is not duplicate
        and p.place == duplicate.place
        and duplicate.idea.body.endswith(p.idea.body)
    )
    merge(session, duplicate, original)
    flags = flag(session, rng, people, spam, listed[2], now)
    past_plans = _proposals_2025(planner, past.id, past_dates)
    past_counts = insert_proposals(session, past_plans)
    followers = rng.sample(people.inhabitants, 40)
    session.execute(
        insert(Follow),
        [
            {"user_id": u, "target": FollowTarget.PROCESS, "target_id": current.id}
            for u in followers
        ],
    )
    activities(session, current.id, plans)

    made = budgets.make_budget(
        session, current.id, zones, budgets.AMOUNTS_2026, texts.BUDGET_2026,
        **budgets.budget_rules_2026(),
    )  # fmt: skip
    budgets.add_projects(
        session, made, [p for p in plans if p.row["state"] == ProposalState.ACCEPTED]
    )
    online = [u for u in people.inhabitants if u not in followers][:12]
    ballots = budgets.cast_ballots(
        session, rng, made, 430, 3, online, zones, (dates["vote"][0], now)
    )

    past_made = budgets.make_budget(
        session, past.id, zones, budgets.AMOUNTS_2025, texts.BUDGET_2025,
        **budgets.budget_rules_2025(),
    )  # fmt: skip
    budgets.add_projects(
        session, past_made, [p for p in past_plans if p.row["state"] == ProposalState.ACCEPTED]
    )
    past_ballots = budgets.cast_ballots(
        session, rng, past_made, 1_540, 4, people.inhabitants[:25], zones, past_dates["vote"]
    )
    budgets.count_and_publish(session, past_made, past_dates["results"][0] + DAY)
    results = budgets.follow_up(session, rng, past_made, past.id, now.date())
    observations = consultations(session, rng, people, past.id, now)
    session.flush()
    projects = sum(len(v) for v in made.projects.values())
    return (
        f"2 budgets participatifs : 2026 (vote ouvert, {len(plans)} propositions, "
        f"{counts['supports']} soutiens, {counts['comments']} commentaires, {projects} projets, "
        f"{ballots} bulletins déjà reçus, {flags} signalements), 2025 ({len(past_plans)} "
        f"propositions, {past_counts['supports']} soutiens, {past_ballots} bulletins, "
        f"{results} projets lauréats en réalisation) ; 2 consultations, {observations} "
        f"observations ; {len(people.inhabitants)} habitants de démonstration sans mot de passe"
    )


def clear(session: Session) -> None:
    """Remove every participation row and the demo inhabitants."""
    session.execute(update(Proposal).values(merged_into_id=None))
    session.execute(update(Comment).values(parent_id=None))
    for model in (
        Milestone,
        Result,
        Tally,
        BallotChoice,
        Ballot,
        BudgetVoter,
        Project,
        Envelope,
        Budget,
        Observation,
        ConsultationQuestion,
        Consultation,
        Activity,
        Flag,
        Follow,
        DigestSubscription,
        Comment,
        Support,
        ProposalPhoto,
        Proposal,
        ProposalCategory,
        Phase,
        Process,
    ):
        session.execute(delete(model))
    session.execute(delete(User).where(User.email.like(f"%@{data.INHABITANTS_DOMAIN}")))


demo = DemoSeed(load=load, clear=clear)
