"""Demo reports of the Rochefort Océan territory: categories, routing, and 400 reports' lives.

Categories are routed to the authority's departments and to two delegated operators (waste
collection, street lighting), with category × geozone rules and a fallback to the
agglomeration. The reports' lives are simulated in ``demo_story``; their rows are inserted
here in bulk (fast, not audited). The random draws are seeded: the demo is the same every
time, its dates relative to the day it is loaded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.modules import DemoSeed
from servicielle.core.territory.models import Organisation
from servicielle.core.territory.repository import OrganisationRepository
from servicielle.reports import demo_data as data
from servicielle.reports.demo_story import AGENT, REPORTS, REROUTES, SEED, Plan, Story
from servicielle.reports.models import (
    CategoryQuestion,
    ReplyTemplate,
    Report,
    ReportCategory,
    ReportFlag,
    ReportPhoto,
    ReportSubscription,
    ReportUpdate,
    RoutingRule,
)

__all__ = ["AGENT", "REPORTS", "clear", "demo", "load"]


def _organisations(session: Session) -> dict[str, Organisation]:
    repository = OrganisationRepository(session)
    slugs = {s.organisation for s in data.CATEGORIES if s.organisation}
    slugs |= {slug for _c, _z, slug in data.GEOZONE_RULES} | set(REROUTES.values())
    slugs |= {data.FALLBACK} | {slug for slug, *_rest in data.REPLY_TEMPLATES if slug}
    found = {}
    for slug in sorted(slugs):
        organisation = repository.by_slug(slug)
        if organisation is None:
            raise LookupError(f"the demo organisation {slug!r} is missing: load the territory")
        found[slug] = organisation
    return found


def _categories(
    session: Session, organisations: dict[str, Organisation]
) -> dict[str, tuple[ReportCategory, list[CategoryQuestion]]]:
    """Categories, their questions, routing rules and reply templates."""
    made: dict[str, tuple[ReportCategory, list[CategoryQuestion]]] = {}
    for position, spec in enumerate(data.CATEGORIES):
        category = ReportCategory(
            code=spec.code,
            name=spec.name,
            group=spec.group,
            description=spec.description,
            keywords=spec.keywords,
            notice=spec.notice,
            target_days=spec.target_days,
            position=position,
        )
        session.add(category)
        session.flush()
        questions = [
            CategoryQuestion(
                category_id=category.id,
                code=q.code,
                datatype=q.datatype,
                required=q.required,
                variable=q.variable,
                order=order,
                description=q.description,
                datatype_description=q.datatype_description,
                values=[{"key": key, "name": name} for key, name in q.values],
            )
            for order, q in enumerate(spec.questions, start=1)
        ]
        session.add_all(questions)
        made[spec.code] = (category, questions)
    rules = [RoutingRule(organisation_id=organisations[data.FALLBACK].id)]
    rules += [
        RoutingRule(
            category_id=made[s.code][0].id, organisation_id=organisations[s.organisation].id
        )
        for s in data.CATEGORIES
        if s.organisation
    ]
    rules += [
        RoutingRule(
            category_id=made[code][0].id,
            geozone_slug=zone,
            organisation_id=organisations[slug].id,
        )
        for code, zone, slug in data.GEOZONE_RULES
    ]
    session.add_all(rules)
    session.add_all(
        ReplyTemplate(
            organisation_id=organisations[slug].id if slug else None,
            title=title,
            status=status,
            body=body,
        )
        for slug, title, status, body in data.REPLY_TEMPLATES
    )
    session.flush()
    return made


def _insert(session: Session, plans: list[Plan]) -> None:
    """Reports in the order they came in, then everything hanging on them."""
    order = sorted(range(len(plans)), key=lambda i: plans[i].created)
    for plan in plans:
        confirmed = {email for email, _u, since in plan.followers if since is not None}
        plan.row["follower_count"] = len(confirmed)
        plan.row["flag_count"] = len(plan.flags)
    ids_sorted = session.scalars(
        insert(Report).returning(Report.id, sort_by_parameter_order=True),
        [plans[i].row for i in order],
    ).all()
    ids = dict(zip(order, ids_sorted, strict=True))
    links = [
        {"id": ids[i], "duplicate_of_id": ids[p.duplicate_of]}
        for i, p in enumerate(plans)
        if p.duplicate_of is not None
    ]
    if links:
        session.execute(update(Report), links)
    duplicates_of = {p.duplicate_of: i for i, p in enumerate(plans) if p.duplicate_of is not None}
    updates, photos, subscriptions, flags = [], [], [], []
    for i, plan in enumerate(plans):
        for event in plan.events:
            related = event.related
            if related == -1:
                related = duplicates_of.get(i)
            note = event.note
            if event.kind == "merge" and plan.duplicate_of is not None:
                note = note.replace("{original}", str(ids[plan.duplicate_of]))
            updates.append(
                {
                    "report_id": ids[i],
                    "created_at": event.at,
                    "kind": event.kind,
                    "status_before": event.status_before,
                    "status_after": event.status_after,
                    "close_reason": event.close_reason,
                    "note": note,
                    "internal_note": event.internal_note,
                    "author_id": event.author_id,
                    "organisation_id": event.organisation_id,
                    "from_organisation_id": event.from_organisation_id,
                    "related_report_id": ids[related] if related is not None else None,
                    "hidden": event.hidden,
                }
            )
        for photo, hidden in plan.photos:
            photos.append(
                {
                    "report_id": ids[i],
                    "update_id": None,
                    "created_at": plan.created,
                    "content": photo.content,
                    "thumbnail": photo.thumbnail,
                    "width": photo.width,
                    "height": photo.height,
                    "sha256": photo.sha256,
                    "hidden": hidden,
                }
            )
        for email, user_id, since in plan.followers:
            subscriptions.append(
                {
                    "email": email,
                    "user_id": user_id,
                    "report_id": ids[i],
                    "commune_code": None,
                    "geozone_slug": None,
                    "created_at": since or plan.row["modified_at"],
                    "confirmed_at": since,
                }
            )
        for n, (reason, when, resolved) in enumerate(plan.flags):
            flags.append(
                {
                    "report_id": ids[i],
                    "reason": reason,
                    "created_at": when,
                    "client_digest": hashlib.sha256(f"demo:{i}:{n}".encode()).hexdigest(),
                    "resolved_at": resolved,
                    "resolved_by_id": None,
                }
            )
    for table, rows in (
        (ReportUpdate, updates),
        (ReportPhoto, photos),
        (ReportSubscription, subscriptions),
        (ReportFlag, flags),
    ):
        if rows:
            session.execute(insert(table), rows)


def _alerts(session: Session, now: dt.datetime) -> int:
    """Inhabitants alerted of new reports in their commune or zone (one not confirmed yet)."""
    rows = [
        ("alertes.fouras@exemple.fr", "17168", None, now - dt.timedelta(days=90)),
        ("veille.littoral@exemple.fr", None, "littoral-et-iles", now - dt.timedelta(days=60)),
        ("conseil.quartier@exemple.fr", None, "rochefort-secteur-nord-est",
         now - dt.timedelta(days=30)),
        ("pas.encore.confirme@exemple.fr", "17449", None, None),
    ]  # fmt: skip
    session.execute(
        insert(ReportSubscription),
        [
            {
                "email": email,
                "user_id": None,
                "report_id": None,
                "commune_code": commune,
                "geozone_slug": zone,
                "created_at": since or now - dt.timedelta(days=2),
                "confirmed_at": since,
            }
            for email, commune, zone, since in rows
        ],
    )
    return len(rows)


def load(session: Session) -> str:
    """Create the demo categories, routing rules, reply templates and reports."""
    if session.scalar(select(ReportCategory.id).limit(1)) is not None:
        return "signalements déjà présents"
    organisations = _organisations(session)
    categories = _categories(session, organisations)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    story = Story(session, random.Random(SEED), now, organisations, categories)
    story.build()
    _insert(session, story.plans)
    alerts = _alerts(session, now)
    session.flush()
    public = sum(1 for p in story.plans if p.public)
    return (
        f"{len(categories)} catégories, {len(story.plans)} signalements dont {public} publics, "
        f"{alerts} alertes par zone"
    )


def clear(session: Session) -> None:
    """Remove every report, category, routing rule and reply template."""
    session.execute(update(Report).values(duplicate_of_id=None))
    for model in (
        ReportFlag,
        ReportPhoto,
        ReportSubscription,
        ReportUpdate,
        Report,
        ReplyTemplate,
        RoutingRule,
        CategoryQuestion,
        ReportCategory,
    ):
        session.execute(delete(model))


demo = DemoSeed(load=load, clear=clear)
