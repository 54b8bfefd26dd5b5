"""The demo's proposals and what people did with them: supports, comments, follows, flags.

Rows are planned in memory from seeded draws, then inserted in bulk; counters are set from
the rows planned, so ``supports_count`` and ``comments_count`` equal the rows' counts.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

from servicielle.participation import demo_data as data
from servicielle.participation.models import (
    Comment,
    Flag,
    FlagTarget,
    Follow,
    FollowTarget,
    Proposal,
    ProposalState,
    Support,
)
from servicielle.participation.proposals.similarity import fold

HOUR = dt.timedelta(hours=1)


@dataclass
class People:
    """Who acts in the demo: the lightweight inhabitants and the demo accounts, when loaded."""

    inhabitants: list[int]
    admin: int | None
    agent: int | None
    inhabitant: int | None


@dataclass
class Planned:
    """A proposal about to be inserted, with what hangs on it."""

    idea: data.Idea
    place: data.Place
    row: dict[str, Any]
    supporters: list[tuple[int, dt.datetime]] = field(default_factory=list)
    comments: list[tuple[int | None, str, dt.datetime, bool]] = field(default_factory=list)
    replies: list[tuple[int, int | None, str, dt.datetime]] = field(default_factory=list)
    id: int = 0


class Places:
    """Points inside a place's commune (or its Rochefort sector), drawn around its middle."""

    def __init__(self, outlines: dict[str, BaseGeometry]) -> None:
        self.outlines = outlines

    def point(self, rng: random.Random, place: data.Place) -> tuple[float, float]:
        """(latitude, longitude) inside the place's outline."""
        key = place.zone if place.zone and place.zone.startswith("rochefort-") else place.commune
        if key == "rochefort-et-couronne":
            key = place.commune
        outline = self.outlines[key]
        middle = outline.representative_point()
        min_x, min_y, max_x, max_y = outline.bounds
        spread_x, spread_y = (max_x - min_x) / 6, (max_y - min_y) / 6
        for _attempt in range(60):
            lon = rng.gauss(middle.x, spread_x)
            lat = rng.gauss(middle.y, spread_y)
            if outline.contains(Point(lon, lat)):
                return round(lat, 6), round(lon, 6)
        return round(middle.y, 6), round(middle.x, 6)


class ProposalPlanner:
    """Draws the proposals of one process between two instants."""

    def __init__(
        self,
        rng: random.Random,
        people: People,
        places: Places,
        categories: dict[str, int],
        zones: dict[str, int],
    ) -> None:
        self.rng = rng
        self.people = people
        self.places = places
        self.categories = categories
        self.zones = zones

    def plan(
        self,
        process_id: int,
        ideas: list[tuple[data.Idea, data.Place]],
        opened: dt.datetime,
        closed: dt.datetime,
        answered: dt.datetime,
        quiet_after: dt.datetime,
    ) -> list[Planned]:
        """One proposal per (idea, place), written between ``opened`` and ``closed``."""
        rng = self.rng
        plans = []
        span = (closed - opened).total_seconds()
        for idea, place in ideas:
            created = opened + dt.timedelta(seconds=rng.uniform(0.02, 0.95) * span)
            created = created.replace(microsecond=0)
            title = idea.title.format(lieu=place.phrase)
            lat, lon = self.places.point(rng, place)
            author = rng.choice(self.people.inhabitants)
            row: dict[str, Any] = {
                "process_id": process_id,
                "title": title[:150],
                "body": idea.body,
                "folded": fold(f"{title} {idea.body}"),
                "category_id": self.categories[idea.category],
                "geozone_id": None if idea.wide or place.zone is None else self.zones[place.zone],
                "latitude": lat,
                "longitude": lon,
                "address": place.address,
                "author_id": author,
                "association_id": None,
                "state": ProposalState.PUBLISHED,
                "answer": "",
                "cost_estimate": None,
                "answered_at": None,
                "answered_by_id": None,
                "merged_into_id": None,
                "supports_count": 0,
                "comments_count": 0,
                "flags_count": 0,
                "hidden": False,
                "moderated_at": None,
                "created_at": created,
                "modified_at": created,
            }
            planned = Planned(idea, place, row)
            self._supports(planned, author, closed)
            self._comments(planned, author, quiet_after)
            plans.append(planned)
        plans.sort(key=lambda p: p.row["created_at"])
        return plans

    def _supports(self, planned: Planned, author: int, until: dt.datetime) -> None:
        rng = self.rng
        wanted = int(rng.lognormvariate(2.5, 0.9) * planned.idea.popularity)
        pool = [u for u in self.people.inhabitants if u != author]
        chosen = rng.sample(pool, min(wanted, len(pool) // 2))
        start = planned.row["created_at"]
        span = max((until - start).total_seconds(), 3600.0)
        planned.supporters = sorted(
            ((user, start + dt.timedelta(seconds=int(rng.uniform(60, span)))) for user in chosen),
            key=lambda s: s[1],
        )

    def _comments(self, planned: Planned, author: int, until: dt.datetime) -> None:
        rng = self.rng
        count = rng.choices(range(7), weights=(30, 20, 15, 12, 10, 8, 5))[0]
        start = planned.row["created_at"]
        span = max((until - start).total_seconds(), 7200.0)
        texts = rng.sample(data.COMMENTS, count)
        for text in texts:
            at = start + dt.timedelta(seconds=int(rng.uniform(600, span * 0.8)))
            planned.comments.append((rng.choice(self.people.inhabitants), text, at, False))
        planned.comments.sort(key=lambda c: c[2])
        for index, (_who, _text, at, _official) in enumerate(planned.comments):
            if rng.random() < 0.35:
                replier = author if rng.random() < 0.4 else rng.choice(self.people.inhabitants)
                reply_at = at + dt.timedelta(hours=rng.uniform(1, 48))
                planned.replies.append((index, replier, rng.choice(data.REPLIES), reply_at))

    def answer(
        self, planned: Planned, state: ProposalState, at: dt.datetime, text: str = ""
    ) -> None:
        """The authority's answer: accepted with a cost, rejected with a reason, or studied."""
        rng = self.rng
        row = planned.row
        row["state"] = state
        row["answered_at"] = at
        row["modified_at"] = at
        row["answered_by_id"] = self.people.admin
        if state == ProposalState.ACCEPTED:
            low, high = planned.idea.cost
            cost = int(round(rng.uniform(low, high), -2))
            row["cost_estimate"] = cost
            shown = f"{cost:,} €".replace(",", "\u202f")
            row["answer"] = text or rng.choice(data.ACCEPTED).format(cost=shown)
        elif state == ProposalState.REJECTED:
            row["answer"] = text or rng.choice(data.REJECTED)
        elif state == ProposalState.EVALUATING:
            row["answer"] = text or rng.choice(data.EVALUATING)
            # Drawn even without the agent's account: the demo stays the same either way.
            official = rng.random() < 0.7
            if official and self.people.agent is not None:
                planned.comments.append((self.people.agent, data.OFFICIAL_COMMENTS[0], at, True))


def insert_proposals(session: Session, plans: list[Planned]) -> dict[str, int]:
    """Insert the proposals and their supports, comments and follows; counters match rows."""
    for planned in plans:
        planned.row["supports_count"] = len(planned.supporters)
        planned.row["comments_count"] = len(planned.comments) + len(planned.replies)
    ids = session.scalars(
        insert(Proposal).returning(Proposal.id, sort_by_parameter_order=True),
        [p.row for p in plans],
    ).all()
    for planned, proposal_id in zip(plans, ids, strict=True):
        planned.id = proposal_id
    supports = [
        {"proposal_id": p.id, "user_id": user, "created_at": at}
        for p in plans
        for user, at in p.supporters
    ]
    if supports:
        session.execute(insert(Support), supports)
    firsts = [
        {
            "proposal_id": p.id,
            "parent_id": None,
            "author_id": who,
            "official": official,
            "body": text,
            "created_at": at,
            "flags_count": 0,
            "hidden": False,
        }
        for p in plans
        for who, text, at, official in p.comments
    ]
    first_ids = (
        session.scalars(
            insert(Comment).returning(Comment.id, sort_by_parameter_order=True), firsts
        ).all()
        if firsts
        else []
    )
    replies: list[dict[str, Any]] = []
    offset = 0
    for p in plans:
        for index, who, text, at in p.replies:
            replies.append(
                {
                    "proposal_id": p.id,
                    "parent_id": first_ids[offset + index],
                    "author_id": who,
                    "official": False,
                    "body": text,
                    "created_at": at,
                    "flags_count": 0,
                    "hidden": False,
                }
            )
        offset += len(p.comments)
    if replies:
        session.execute(insert(Comment), replies)
    follows = {(p.row["author_id"], p.id) for p in plans if p.row["author_id"] is not None} | {
        (user, p.id) for p in plans for user, _at in p.supporters[:3]
    }
    session.execute(
        insert(Follow),
        [
            {"user_id": user, "target": FollowTarget.PROPOSAL, "target_id": pid}
            for user, pid in sorted(follows)
        ],
    )
    return {
        "supports": len(supports),
        "comments": len(firsts) + len(replies),
        "follows": len(follows),
    }


def merge(session: Session, duplicate: Planned, original: Planned) -> None:
    """A duplicate merged into the original: its supports go over, as the back office does."""
    moved = {user for user, _at in original.supporters}
    extra = [(user, at) for user, at in duplicate.supporters if user not in moved]
    session.execute(
        update(Support)
        .where(Support.proposal_id == duplicate.id, Support.user_id.in_([u for u, _a in extra]))
        .values(proposal_id=original.id)
    )
    session.execute(delete(Support).where(Support.proposal_id == duplicate.id))
    original.supporters += extra
    duplicate.supporters = []
    session.execute(
        update(Proposal)
        .where(Proposal.id == original.id)
        .values(supports_count=len(original.supporters))
    )
    session.execute(
        update(Proposal)
        .where(Proposal.id == duplicate.id)
        .values(
            supports_count=0,
            state=ProposalState.MERGED,
            merged_into_id=original.id,
            answer=data.MERGED.format(original=original.id),
        )
    )


def flag(
    session: Session,
    rng: random.Random,
    people: People,
    hidden: Planned,
    flagged: Planned,
    now: dt.datetime,
) -> int:
    """Three flags hide one proposal pending moderation; one flag on another, and a comment."""
    flaggers = rng.sample(people.inhabitants, 4)
    rows = [
        {
            "target": FlagTarget.PROPOSAL,
            "target_id": hidden.id,
            "user_id": user,
            "reason": "spam",
            "details": "Publicité pour une entreprise, sans rapport avec le budget participatif.",
            "created_at": now - dt.timedelta(days=3 - n),
        }
        for n, user in enumerate(flaggers[:3])
    ]
    rows.append(
        {
            "target": FlagTarget.PROPOSAL,
            "target_id": flagged.id,
            "user_id": flaggers[3],
            "reason": "off_topic",
            "details": "Cela relève du fonctionnement courant, pas de l'investissement.",
            "created_at": now - dt.timedelta(days=1),
        }
    )
    session.execute(insert(Flag), rows)
    session.execute(
        update(Proposal).where(Proposal.id == hidden.id).values(flags_count=3, hidden=True)
    )
    session.execute(update(Proposal).where(Proposal.id == flagged.id).values(flags_count=1))
    return len(rows)
