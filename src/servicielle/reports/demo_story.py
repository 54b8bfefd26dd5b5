"""The simulated life of the demo reports: where they are, who sent them, what happened.

Each report is drawn at a point inside a commune (weighted by population, around the town
centre), routed by the real rules, then moved from state to state with the delays an
organisation takes, stopping at the present: its status, timestamps, notes and followers
are those the services would have written. Nothing here touches the database but the
territory lookup and the routing rules.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw
from shapely.geometry import Point, shape
from shapely.prepared import prep
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import User
from servicielle.core.photos import ProcessedPhoto, process_photo
from servicielle.core.territory.lookup import territory_index
from servicielle.core.territory.models import Commune, Organisation
from servicielle.core.territory.repository import TerritoryRepository
from servicielle.reports import demo_data as data
from servicielle.reports.models import CategoryQuestion, ReportCategory, ReportStatus
from servicielle.reports.questions import check_answers
from servicielle.reports.routing import Placement, route

SEED = 20260505
REPORTS = 400
DAYS = 240  # about eight months
DUPLICATES = 14
INHABITANT = "habitant@demo.servicielle.fr"
AGENT = "agent.voirie@demo.servicielle.fr"
# Town centres: reports cluster where people live, not in the marshes.
CENTRES = {"17299": (45.9369, -0.9613), "17168": (45.9876, -1.0905), "17449": (45.9437, -0.889)}
# Where a report may be forwarded when the first organisation is not the right one.
REROUTES = {
    "depot-sauvage": "collecte-dechets",
    "conteneur-deborde": "proprete",
    "mobilier-urbain": "mobilites",
    "arbre-dangereux": "proprete",
    "autre": "voirie",
}
MINUTE = dt.timedelta(minutes=1)


@dataclass
class Event:
    """A future ReportUpdate row."""

    at: dt.datetime
    kind: str
    status_before: str | None
    status_after: str | None
    note: str = ""
    close_reason: str | None = None
    internal_note: str = ""
    author_id: int | None = None
    organisation_id: int | None = None
    from_organisation_id: int | None = None
    related: int | None = None  # index of the related plan
    hidden: bool = False


@dataclass
class Plan:
    """One report before insertion: its row, timeline, followers, photos and flags."""

    row: dict[str, Any]
    spec: data.CategorySpec
    events: list[Event] = field(default_factory=list)
    followers: list[tuple[str, int | None, dt.datetime | None]] = field(default_factory=list)
    photos: list[tuple[ProcessedPhoto, bool]] = field(default_factory=list)
    flags: list[tuple[str, dt.datetime, dt.datetime | None]] = field(default_factory=list)
    duplicate_of: int | None = None

    @property
    def created(self) -> dt.datetime:
        """When the report was submitted."""
        return self.row["created_at"]  # type: ignore[no-any-return]

    @property
    def public(self) -> bool:
        """Whether anyone may see the report, as Report.is_public says."""
        return not self.row["hidden"] and self.row["status"] != ReportStatus.UNCONFIRMED


class Sampler:
    """Points inside the communes, drawn around the town centre, weighted by population."""

    def __init__(self, communes: Sequence[Commune]) -> None:
        self.communes = list(communes)
        self.weights = [c.population for c in self.communes]
        self.shapes = {c.insee_code: shape(c.geometry) for c in self.communes}
        self.prepared = {code: prep(geometry) for code, geometry in self.shapes.items()}

    def point(self, rng: random.Random) -> tuple[str, float, float]:
        """(INSEE code, lat, lon) of a point strictly inside a commune."""
        commune = rng.choices(self.communes, weights=self.weights)[0]
        geometry, inside = self.shapes[commune.insee_code], self.prepared[commune.insee_code]
        min_x, min_y, max_x, max_y = geometry.bounds
        lat0, lon0 = CENTRES.get(
            commune.insee_code, (commune.centroid_lat or 0.0, commune.centroid_lon or 0.0)
        )
        spread = 0.01 if commune.insee_code in CENTRES else min(max_x - min_x, max_y - min_y) / 6
        for _attempt in range(500):
            if rng.random() < 0.8:
                lon, lat = rng.gauss(lon0, spread * 1.4), rng.gauss(lat0, spread)
            else:
                lon, lat = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
            if inside.contains(Point(lon, lat)):
                return commune.insee_code, round(lat, 6), round(lon, 6)
        # The stored point on the surface: inside even a crescent-shaped commune.
        return commune.insee_code, commune.centroid_lat or lat0, commune.centroid_lon or lon0


def _draw(colour: tuple[int, int, int], kind: int) -> bytes:
    """A small drawn "photo": a street scene in a few shapes, JPEG."""
    image = Image.new("RGB", (480, 360), (150, 170, 190))
    pen = ImageDraw.Draw(image)
    pen.rectangle((0, 200, 480, 360), fill=(90, 90, 95))
    pen.rectangle((0, 180, 480, 205), fill=(180, 175, 165))
    if kind == 0:
        pen.ellipse((170, 250, 320, 310), fill=(40, 38, 36))
    elif kind == 1:
        pen.rectangle((160, 110, 300, 230), fill=colour)
        pen.ellipse((150, 80, 310, 140), fill=(120, 110, 90))
    else:
        pen.rectangle((236, 40, 246, 200), fill=(70, 70, 70))
        pen.ellipse((215, 25, 270, 55), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def _photos() -> dict[str, ProcessedPhoto]:
    """One processed photo per group, through the same code as uploaded ones."""
    looks = {
        "Voirie": ((60, 60, 60), 0),
        "Propreté": ((140, 110, 60), 1),
        "Déchets": ((40, 120, 60), 1),
        "Éclairage public": ((240, 220, 120), 2),
    }
    return {group: process_photo(_draw(colour, kind)) for group, (colour, kind) in looks.items()}


def _token(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(18)).decode()


def _answers(rng: random.Random, questions: Sequence[CategoryQuestion], at: dt.datetime) -> Any:
    """Answers a reporter would give, stored in the form the service stores them."""
    raw: dict[str, str | list[str]] = {}
    for q in questions:
        if not q.variable or (not q.required and rng.random() < 0.5):
            continue
        keys = [str(v["key"]) for v in q.values]
        if q.datatype == "singlevaluelist":
            raw[q.code] = rng.choice(keys)
        elif q.datatype == "multivaluelist":
            raw[q.code] = rng.sample(keys, rng.randint(1, 2))
        elif q.datatype == "number":
            raw[q.code] = str(rng.randint(1, 15))
        elif q.datatype == "datetime":
            day = (at - dt.timedelta(days=rng.randint(0, 2))).date()
            raw[q.code] = f"{day.isoformat()}T06:00"
        elif q.datatype == "text":
            raw[q.code] = "Depuis hier soir, un filet d'eau continu."
        else:
            raw[q.code] = rng.choice(("A-" + str(rng.randint(100, 999)), "Abri de la mairie"))
    return check_answers(questions, raw)


class Story:
    """Simulates reports from submission to now, as agents and reporters would move them."""

    def __init__(
        self,
        session: Session,
        rng: random.Random,
        now: dt.datetime,
        organisations: dict[str, Organisation],
        categories: dict[str, tuple[ReportCategory, list[CategoryQuestion]]],
    ) -> None:
        self.session, self.rng, self.now = session, rng, now
        self.organisations = organisations
        self.by_id = {o.id: o for o in organisations.values()}
        self.categories = categories
        self.sampler = Sampler(TerritoryRepository(session).communes())
        self.index = territory_index(session)
        self.names = {c.insee_code: c.name for c in self.sampler.communes}
        users = session.execute(
            select(User.email, User.id).where(User.email.in_((INHABITANT, AGENT)))
        )
        self.users = {email: user_id for email, user_id in users}
        self.photos = _photos()
        self.plans: list[Plan] = []

    # --- one report ---------------------------------------------------------------------

    def _created(self) -> dt.datetime:
        days_ago = DAYS * self.rng.random() ** 1.3  # a little busier lately
        when = self.now - dt.timedelta(days=days_ago)
        # Reports come in during the day (UTC 6–20 is 7–22 in Paris, near enough).
        when = when.replace(hour=self.rng.randint(6, 20), minute=self.rng.randint(0, 59))
        return min(when, self.now - dt.timedelta(minutes=self.rng.randint(5, 300)))

    def _address(self, commune_code: str) -> str:
        streets = data.STREETS.get(commune_code, data.GENERIC_STREETS)
        return f"{self.rng.randint(1, 80)} {self.rng.choice(streets)}"

    def _reporter(self, n: int) -> dict[str, Any]:
        rng = self.rng
        if INHABITANT in self.users and rng.random() < 0.04:
            return {
                "channel": "web",
                "reporter_name": "Jeanne Habitante",
                "reporter_email": INHABITANT,
                "reporter_phone": "",
                "reporter_id": self.users[INHABITANT],
            }
        channel = rng.choices(("web", "open311", "agent"), weights=(82, 12, 6))[0]
        name = (
            f"{rng.choice(data.FIRST_NAMES)} {rng.choice('BCDGLMPRT')}."
            if rng.random() < 0.6
            else ""
        )
        email = f"habitant{n}@exemple.fr" if channel != "agent" or rng.random() < 0.5 else None
        # Fictitious numbers: the 06 39 98 range is reserved for fiction.
        phone = (
            f"06 39 98 {rng.randint(10, 99)} {rng.randint(10, 99)}" if rng.random() < 0.2 else ""
        )
        return {
            "channel": channel,
            "reporter_name": name or ("Appel au standard" if channel == "agent" else ""),
            "reporter_email": email,
            "reporter_phone": phone,
            "reporter_id": None,
        }

    def new_plan(
        self, spec: data.CategorySpec, created: dt.datetime, n: int, near: Plan | None = None
    ) -> Plan | None:
        """A report of ``spec`` submitted at ``created``; ``near``: a duplicate of that one."""
        rng = self.rng
        category, questions = self.categories[spec.code]
        if near is None:
            code, lat, lon = self.sampler.point(rng)
            located_by = rng.choices(("map", "device", "commune"), weights=(55, 30, 15))[0]
        else:
            angle, metres = rng.uniform(0, 2 * math.pi), rng.uniform(25, 120)
            lat = round(near.row["lat"] + metres * math.cos(angle) / 111_320, 6)
            lon = round(
                near.row["lon"]
                + metres * math.sin(angle) / (111_320 * math.cos(math.radians(lat))),
                6,
            )
            code, located_by = near.row["commune_code"], rng.choice(("map", "device"))
        if located_by == "commune":
            commune = next(c for c in self.sampler.communes if c.insee_code == code)
            lat, lon = commune.centroid_lat or lat, commune.centroid_lon or lon
        location = self.index.locate(lon, lat)
        if location.commune is None or location.commune.key != code:
            return None
        zones = tuple(zone.key for zone in location.geozones)
        placement = Placement(lat, lon, code, location.commune.name, zones)
        organisation = route(self.session, category, placement)
        reporter = self._reporter(n)
        description = rng.choice(spec.texts).format(num=rng.randint(1, 120))
        if rng.random() < 0.15:
            description += " " + rng.choice(data.ADDED_BY_REPORTER)
        address = self._address(code) if located_by == "commune" or rng.random() < 0.5 else ""
        anonymous = reporter["channel"] == "web" and reporter["reporter_id"] is None
        row: dict[str, Any] = {
            "category_id": category.id,
            "organisation_id": organisation.id,
            "assignee_id": None,
            "status": ReportStatus.UNCONFIRMED if anonymous else ReportStatus.OPEN,
            "close_reason": None,
            "lat": lat,
            "lon": lon,
            "located_by": located_by,
            "commune_code": code,
            "geozones": list(zones),
            "address_string": address,
            "description": description,
            "public_description": None,
            "answers": _answers(rng, questions, created),
            "media_url": "",
            **reporter,
            "token": _token(rng),
            "confirmed_at": None,
            "acknowledged_at": None,
            "fixed_at": None,
            "closed_at": None,
            "expected_at": None,
            "hidden": False,
            "follower_count": 0,
            "flag_count": 0,
            "created_at": created,
            "modified_at": created,
        }
        plan = Plan(row=row, spec=spec)
        plan.events.append(
            Event(created, "created", None, row["status"], author_id=reporter["reporter_id"])
        )
        if anonymous:
            confirmed = created + dt.timedelta(minutes=rng.uniform(2, 600))
            # Some never open the link sent to them: their report stays private.
            if confirmed > self.now or rng.random() < 0.04:
                return plan
            self._confirm(plan, confirmed)
        else:
            row["confirmed_at"] = created
            self._published(plan, created)
        return plan

    def _confirm(self, plan: Plan, at: dt.datetime) -> None:
        plan.row["status"] = ReportStatus.OPEN
        plan.row["confirmed_at"] = at
        plan.events.append(Event(at, "status", ReportStatus.UNCONFIRMED, ReportStatus.OPEN))
        self._published(plan, at)

    def _published(self, plan: Plan, at: dt.datetime) -> None:
        row = plan.row
        if row["reporter_email"]:
            plan.followers.append((row["reporter_email"], row["reporter_id"], at))
        if plan.spec.target_days:
            row["expected_at"] = at + dt.timedelta(days=plan.spec.target_days)

    def _agent(self, plan: Plan) -> int | None:
        slug = self.by_id[plan.row["organisation_id"]].slug
        return self.users.get(AGENT) if slug == "voirie" else None

    def _step(
        self,
        plan: Plan,
        at: dt.datetime,
        status: str,
        note: str,
        *,
        kind: str = "status",
        close_reason: str | None = None,
    ) -> bool:
        """Move the report as lifecycle.change_status would; False once ``at`` is not past."""
        if at >= self.now:
            return False
        row = plan.row
        before = row["status"]
        if kind in ("status", "merge", "reopen"):
            self._apply(row, status, close_reason, at)
        row["modified_at"] = at
        agent = kind in ("status", "note", "merge")
        plan.events.append(
            Event(
                at,
                kind,
                before,
                row["status"],
                note,
                row["close_reason"] if kind != "note" else None,
                author_id=self._agent(plan) if agent else row["reporter_id"],
                organisation_id=row["organisation_id"] if agent else None,
            )
        )
        return True

    @staticmethod
    def _apply(row: dict[str, Any], status: str, close_reason: str | None, at: dt.datetime) -> None:
        """The timestamps lifecycle._apply_status keeps."""
        row["status"], row["close_reason"] = status, close_reason
        if status not in (ReportStatus.OPEN, ReportStatus.REOPENED):
            row["acknowledged_at"] = row["acknowledged_at"] or at
        if status == ReportStatus.FIXED:
            row["fixed_at"] = at
        if status in (ReportStatus.FIXED, ReportStatus.CLOSED):
            row["closed_at"] = at
        else:
            row["closed_at"] = None
            if status == ReportStatus.REOPENED:
                row["fixed_at"] = None

    def live(self, plan: Plan) -> None:
        """What happened to a confirmed report up to now."""
        rng, row, spec = self.rng, plan.row, plan.spec
        at: dt.datetime = row["confirmed_at"]
        outcome = rng.choices(
            ("fix", "no_action", "not_responsible", "forgotten"), weights=(82, 6, 6, 6)
        )[0]
        alternative = REROUTES.get(spec.code)
        if alternative and self.organisations[alternative].id != row["organisation_id"]:
            if rng.random() < 0.12:
                at += dt.timedelta(hours=rng.uniform(2, 48))
                if at >= self.now:
                    return
                target = self.organisations[alternative]
                plan.events.append(
                    Event(
                        at,
                        "reroute",
                        row["status"],
                        row["status"],
                        f"Transmis à {target.name}, qui est responsable.",
                        author_id=self._agent(plan),
                        organisation_id=target.id,
                        from_organisation_id=row["organisation_id"],
                    )
                )
                row["organisation_id"], row["modified_at"] = target.id, at
        if outcome == "forgotten":
            return  # the backlog: still open, nobody answered yet
        at += dt.timedelta(days=spec.ack_days * rng.lognormvariate(0, 0.8)) + 20 * MINUTE
        if outcome != "fix":
            if rng.random() < 0.5 and not self._step(
                plan, at, ReportStatus.ACKNOWLEDGED, rng.choice(data.ACK_NOTES)
            ):
                return
            at += dt.timedelta(days=rng.uniform(0.5, 10))
            notes = data.NO_ACTION_NOTES if outcome == "no_action" else data.NOT_RESPONSIBLE_NOTES
            self._step(plan, at, ReportStatus.CLOSED, rng.choice(notes), close_reason=outcome)
            return
        if not self._step(plan, at, ReportStatus.ACKNOWLEDGED, rng.choice(data.ACK_NOTES)):
            return
        if row["organisation_id"] == self.organisations["voirie"].id and rng.random() < 0.5:
            row["assignee_id"] = self.users.get(AGENT)
        days = (spec.target_days or 20) * rng.lognormvariate(-0.2, 0.9)
        fixed = at + dt.timedelta(days=max(days, 0.1))
        if rng.random() < 0.1:
            note_at = at + (fixed - at) / 4
            if not self._step(plan, note_at, row["status"], "Nous attendons le passage de "
                              "l'équipe du secteur.", kind="note"):  # fmt: skip
                return
        if rng.random() < 0.5:
            planned = at + (fixed - at) * 0.3 + MINUTE
            if not self._step(plan, planned, ReportStatus.PLANNED, rng.choice(data.PLANNED_NOTES)):
                return
        if rng.random() < 0.5:
            started = at + (fixed - at) * rng.uniform(0.4, 0.8)
            started = max(started, plan.events[-1].at + MINUTE)
            note = rng.choice(data.IN_PROGRESS_NOTES)
            if not self._step(plan, started, ReportStatus.IN_PROGRESS, note):
                return
        fixed = max(fixed, plan.events[-1].at + 30 * MINUTE)
        if not self._step(plan, fixed, ReportStatus.FIXED, rng.choice(spec.fixed_notes)):
            return
        if not row["reporter_email"]:
            return
        later = fixed + dt.timedelta(days=rng.uniform(0.5, 12))
        draw = rng.random()
        if draw < 0.25:
            note = rng.choice(data.CONFIRM_FIXED_NOTES)
            self._step(plan, later, ReportStatus.FIXED, note, kind="confirm_fixed")
        elif draw < 0.35:
            self._step(
                plan, later, ReportStatus.REOPENED, rng.choice(data.REOPEN_NOTES), kind="reopen"
            )

    # --- duplicates, moderation, followers ----------------------------------------------

    def merge(self, duplicate: Plan, original_index: int, at: dt.datetime) -> None:
        """Close ``duplicate`` in favour of the original, as lifecycle.merge does."""
        original = self.plans[original_index]
        # {original}: the original's id, known once inserted.
        if not self._step(
            duplicate,
            at,
            ReportStatus.CLOSED,
            "Ce problème a déjà été signalé : voir le signalement n° {original}.",
            kind="merge",
            close_reason="duplicate",
        ):
            return
        duplicate.events[-1].related = original_index
        duplicate.duplicate_of = original_index
        original.events.append(
            Event(
                at,
                "merge",
                None,
                None,
                internal_note="Signalement en double fusionné avec celui-ci.",
                organisation_id=original.row["organisation_id"],
                related=-1,  # the duplicate: set when both have ids
            )
        )
        for email, user_id, since in duplicate.followers:
            if since is not None and all(email != known for known, _u, _s in original.followers):
                original.followers.append((email, user_id, since))

    def moderate(self, plan: Plan, at: dt.datetime, reason: str, **changes: Any) -> None:
        """A moderator's hidden timeline entry; the flags on the report are resolved."""
        plan.row.update(changes)
        plan.events.append(
            Event(
                at,
                "moderation",
                None,
                None,
                internal_note=reason,
                organisation_id=plan.row["organisation_id"],
                hidden=True,
            )
        )
        plan.flags = [(text, when, at) for text, when, _resolved in plan.flags]

    def extras(self) -> None:
        """Followers, photos, flags and moderation on a few of the public reports."""
        rng = self.rng
        originals = {p.duplicate_of for p in self.plans}
        public = [
            p
            for i, p in enumerate(self.plans)
            if p.public and p.duplicate_of is None and i not in originals
        ]
        for n, plan in enumerate(rng.sample(public, 40)):
            since: dt.datetime = plan.row["confirmed_at"]
            for k in range(rng.randint(1, 4)):
                at = since + dt.timedelta(hours=rng.uniform(1, 200))
                plan.followers.append(
                    (f"voisin{n}-{k}@exemple.fr", None, at if at < self.now else None)
                )
        photographed = rng.sample(public, 30)
        for plan in photographed:
            photo = self.photos.get(plan.spec.group)
            if photo is not None:
                plan.photos.append((photo, False))
        # Abuse and advertising get hidden: among reports nobody worked on, or closed for nothing.
        hideable = [p for p in public if p.row["status"] in ("open", "closed") and not p.photos]
        hideable = [p for p in hideable if p.row["close_reason"] in (None, "no_action")]
        flagged = rng.sample(hideable, 3) + rng.sample([p for p in public if p not in hideable], 8)
        for plan in flagged:
            when = plan.row["confirmed_at"] + dt.timedelta(hours=rng.uniform(1, 72))
            plan.flags.append((rng.choice(data.FLAG_REASONS), min(when, self.now - MINUTE), None))
        for plan, text in zip(flagged[:3], data.HIDDEN_TEXTS, strict=True):
            at = plan.flags[0][1] + dt.timedelta(hours=3)
            plan.row["description"] = text
            self.moderate(plan, min(at, self.now), "Propos injurieux ou publicité.", hidden=True)
        for plan in flagged[3:6]:
            at = min(plan.flags[0][1] + dt.timedelta(hours=5), self.now)
            text = plan.row["description"]
            plan.row["description"] = text + " Rappelez-moi au 06 39 98 41 07, Martine Durand."
            self.moderate(
                plan,
                at,
                "Coordonnées personnelles retirées du texte public.",
                public_description=text + " [Coordonnées masquées par la modération]",
            )
        shown = [p for p in photographed if p.photos and p not in flagged]
        for plan in shown[:1]:
            when = plan.row["confirmed_at"] + dt.timedelta(hours=2)
            plan.flags.append((data.FLAG_REASONS[3], when, None))
            plan.photos = [(photo, True) for photo, _hidden in plan.photos]
            self.moderate(plan, when + dt.timedelta(hours=4), "Plaque d'immatriculation visible.")

    def build(self) -> None:
        """Every report, oldest first, then the duplicates merged into earlier ones."""
        rng = self.rng
        weights = [s.weight for s in data.CATEGORIES]
        n = 0
        while len(self.plans) < REPORTS - DUPLICATES:
            spec = rng.choices(data.CATEGORIES, weights=weights)[0]
            plan = self.new_plan(spec, self._created(), n)
            n += 1
            if plan is None:
                continue
            if plan.row["confirmed_at"] is not None:
                self.live(plan)
            self.plans.append(plan)
        self.plans.sort(key=lambda p: p.created)
        originals = [
            i
            for i, p in enumerate(self.plans)
            if p.public and p.row["lat"] and self.now - p.created > dt.timedelta(days=20)
        ]
        for index in rng.sample(originals, DUPLICATES):
            original = self.plans[index]
            created = original.row["confirmed_at"] + dt.timedelta(days=rng.uniform(0.5, 8))
            duplicate = None
            for _attempt in range(5):
                duplicate = self.new_plan(original.spec, created, n, near=original)
                n += 1
                if duplicate is not None and duplicate.row["confirmed_at"] is not None:
                    break
            if duplicate is None or duplicate.row["confirmed_at"] is None:
                continue
            at = duplicate.row["confirmed_at"] + dt.timedelta(hours=rng.uniform(2, 72))
            self.plans.append(duplicate)
            self.merge(duplicate, index, at)
        self.extras()
