"""Builders of participation rows for the tests: a process in a given phase, a budget."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.territory import demo as territory_demo
from servicielle.core.territory.models import GeoZone
from servicielle.participation.budgets.models import Budget, Envelope, Project
from servicielle.participation.models import Phase, PhaseKind, Process, ProposalCategory
from servicielle.participation.phases import default_features

DAY = dt.timedelta(days=1)


def load_territory(db: Session) -> list[GeoZone]:
    """The demo territory (communes, geozones, organisations); its geozones by name."""
    if db.scalar(select(GeoZone.id).limit(1)) is None:
        territory_demo.load(db)
    return list(db.scalars(select(GeoZone).order_by(GeoZone.name)))


def make_process(
    db: Session,
    *,
    slug: str = "budget-2026",
    phase: PhaseKind = PhaseKind.PROPOSALS,
    title: str = "Budget participatif 2026",
    published: bool = True,
    **settings: object,
) -> Process:
    """A published process whose running phase is ``phase``, with one phase before and after."""
    process = Process(slug=slug, title=title, published=published, **settings)
    db.add(process)
    db.flush()
    now = utcnow()
    kinds = list(PhaseKind)
    at = kinds.index(phase)
    for index, kind in enumerate(kinds):
        start = now + (index - at) * 10 * DAY - 5 * DAY
        db.add(
            Phase(
                process_id=process.id,
                kind=kind,
                starts_at=start,
                ends_at=start + 10 * DAY,
                features=default_features(kind),
            )
        )
    db.flush()
    return process


def make_category(db: Session, slug: str = "nature-en-ville", name: str = "Nature en ville"):
    """A proposal category."""
    category = ProposalCategory(slug=slug, name=name)
    db.add(category)
    db.flush()
    return category


def make_budget(
    db: Session,
    process: Process,
    *,
    amount: int = 100_000,
    zone_amount: int | None = 50_000,
    costs: tuple[int, ...] = (40_000, 30_000, 30_000, 20_000),
    **rules: object,
) -> tuple[Budget, Envelope, Envelope | None]:
    """A budget with a territory-wide envelope and, with ``zone_amount``, one for a geozone.

    Each envelope gets one project per cost in ``costs``.
    """
    zones = load_territory(db)
    budget = Budget(process_id=process.id, title="Budget 2026", **rules)
    db.add(budget)
    db.flush()
    wide = Envelope(budget_id=budget.id, title="Tout le territoire", amount=amount)
    db.add(wide)
    zone = None
    if zone_amount is not None:
        zone = Envelope(
            budget_id=budget.id, title=zones[0].name, amount=zone_amount, geozone_id=zones[0].id
        )
        db.add(zone)
    db.flush()
    for envelope in (wide, zone):
        if envelope is None:
            continue
        for index, cost in enumerate(costs):
            db.add(
                Project(
                    envelope_id=envelope.id,
                    title=f"Projet {envelope.title} {index + 1}",
                    cost=cost,
                    geozone_id=envelope.geozone_id,
                    position=index,
                )
            )
    db.flush()
    return budget, wide, zone
