"""Subscriptions: which changes to notify, queued in the outbox with the change itself.

A change is matched inside the transaction that writes it, and its notification row is
inserted there too (transactional outbox): a notification exists exactly when its change was
committed, so nothing is lost while the worker is down or restarting, and nothing is sent for
a write that rolled back. The worker (sensors/worker.py) delivers the rows.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from servicielle.core.db import utcnow
from servicielle.core.errors import ServicielleError
from servicielle.core.permissions import Principal
from servicielle.core.repository import Repository
from servicielle.sensors.models import Notification, SensorEntity, Subscription
from servicielle.sensors.ngsild import api as ngsild_api
from servicielle.sensors.ngsild.contexts import CORE_CONTEXT_URL
from servicielle.sensors.ngsild.entity import format_instant
from servicielle.sensors.ngsild.errors import AlreadyExists, BadRequestData, ResourceNotFound
from servicielle.sensors.ngsild.geo import GeoQuery, geo_condition, parse_geo
from servicielle.sensors.ngsild.http import LD_JSON, RenderOptions
from servicielle.sensors.ngsild.query import compile_q

log = logging.getLogger(__name__)

# A receiver gets big changes (a 100,000-row ingest) in several notifications of this size.
MAX_ENTITIES_PER_NOTIFICATION = 1000
# Body key of the organisation a subscription was scoped to with NGSILD-Tenant (not shown).
TENANT_KEY = "_tenant"
# Notification formats and the rendering each one gets.
FORMS = {
    "normalized": "normalized",
    "keyValues": "keyValues",
    "simplified": "keyValues",
    "concise": "concise",
}


@dataclass
class SubscriptionInput:
    """A checked subscription body: what is stored, plus the members kept in columns."""

    id: str | None
    body: dict[str, Any]
    is_active: bool = True
    expires_at: dt.datetime | None = None


class SubscriptionRepository(Repository[Subscription]):
    """Subscriptions, by id, by owner, and those that may match a change."""

    model = Subscription

    def by_id(self, subscription_id: str) -> Subscription | None:
        """The subscription with this id, whoever owns it."""
        return self.one_or_none(select(Subscription).where(Subscription.id == subscription_id))

    def visible(self, principal: Principal, organisation_id: int | None) -> Select[Any]:
        """Subscriptions the principal may see (of one organisation when given), by creation."""
        statement = select(Subscription).order_by(Subscription.pk)
        if organisation_id is not None:
            statement = statement.where(Subscription.organisation_id == organisation_id)
        if not principal.is_admin:
            statement = statement.where(
                Subscription.organisation_id.in_(sorted(principal.organisation_ids))
            )
        return statement

    def active(self, now: dt.datetime) -> Sequence[Subscription]:
        """Active, unexpired subscriptions: the one query a write pays when none matches."""
        return self.all(
            select(Subscription).where(
                Subscription.is_active.is_(True),
                or_(Subscription.expires_at.is_(None), Subscription.expires_at > now),
            )
        )

    def last_scheduled(self, subscription_pk: int) -> dt.datetime | None:
        """When the subscription's last pending notification is due (for throttling)."""
        return self.session.scalar(
            select(func.max(Notification.next_attempt_at)).where(
                Notification.subscription_pk == subscription_pk,
                Notification.delivered_at.is_(None),
                Notification.failed_at.is_(None),
            )
        )

    def entities(self, pks: Iterable[int]) -> dict[int, SensorEntity]:
        """Live entities by pk, in chunks (SQLite limits bound parameters)."""
        found: dict[int, SensorEntity] = {}
        missing = []
        # The write that called us usually holds the entities already: no query for those.
        for pk in set(pks):
            held = self.session.identity_map.get(identity_key(SensorEntity, pk))
            if isinstance(held, SensorEntity) and held.deleted_at is None:
                found[pk] = held
            elif held is None:
                missing.append(pk)
        ordered = sorted(missing)
        for start in range(0, len(ordered), 500):
            statement = select(SensorEntity).where(
                SensorEntity.pk.in_(ordered[start : start + 500]),
                SensorEntity.deleted_at.is_(None),
            )
            found.update((entity.pk, entity) for entity in self.session.scalars(statement))
        return found

    def matching_pks(self, pks: Sequence[int], condition: ColumnElement[bool]) -> set[int]:
        """Those of ``pks`` whose entity satisfies ``condition``."""
        matched: set[int] = set()
        for start in range(0, len(pks), 500):
            statement = select(SensorEntity.pk).where(
                SensorEntity.pk.in_(pks[start : start + 500]), condition
            )
            matched.update(self.session.scalars(statement))
        return matched


# --- Service -------------------------------------------------------------------------------


def create_subscription(
    session: Session,
    data: SubscriptionInput,
    *,
    principal: Principal,
    organisation_id: int | None,
    tenant_scoped: bool = False,
) -> Subscription:
    """A new subscription of ``organisation_id``; AlreadyExists when the id is taken."""
    if organisation_id is None and not principal.is_admin:
        raise BadRequestData(
            "say which organisation the subscription belongs to with the NGSILD-Tenant header "
            "(its slug): this account acts for several or none"
        )
    repository = SubscriptionRepository(session)
    subscription_id = data.id or f"urn:ngsi-ld:Subscription:{uuid.uuid4()}"
    if repository.by_id(subscription_id) is not None:
        raise AlreadyExists(f"subscription {subscription_id} already exists")
    body = dict(data.body)
    if tenant_scoped and organisation_id is not None:
        body[TENANT_KEY] = organisation_id
    subscription = Subscription(
        id=subscription_id,
        organisation_id=organisation_id,
        body=body,
        is_active=data.is_active,
        expires_at=data.expires_at,
    )
    return repository.add(subscription)


def get_subscription(session: Session, principal: Principal, subscription_id: str) -> Subscription:
    """The subscription if the principal's organisation owns it (or an admin asks)."""
    subscription = SubscriptionRepository(session).by_id(subscription_id)
    if subscription is None or not principal.acts_for(subscription.organisation_id):
        # Another organisation's subscription is not even said to exist.
        raise ResourceNotFound(f"no subscription {subscription_id}")
    return subscription


def update_subscription(
    session: Session, subscription: Subscription, data: SubscriptionInput
) -> Subscription:
    """Replace the criteria and settings of a subscription, keeping its counters."""
    tenant = subscription.body.get(TENANT_KEY)
    subscription.body = {**data.body, **({TENANT_KEY: tenant} if tenant is not None else {})}
    subscription.is_active = data.is_active
    subscription.expires_at = data.expires_at
    subscription.modified_at = utcnow()
    session.flush()
    return subscription


def delete_subscription(session: Session, subscription: Subscription) -> None:
    """Delete a subscription; its pending notifications go with it."""
    SubscriptionRepository(session).delete(subscription)


def status_of(subscription: Subscription, now: dt.datetime) -> str:
    """active, paused, expired or failed (the last delivery attempt failed)."""
    if not subscription.is_active:
        return "paused"
    if subscription.expires_at is not None and subscription.expires_at <= now:
        return "expired"
    if subscription.consecutive_errors:
        return "failed"
    return "active"


# --- Matching ------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _compiled_q(q: str, dialect: str) -> ColumnElement[bool]:
    return compile_q(q, dialect)


def geo_query(geo_q: Mapping[str, Any]) -> GeoQuery | None:
    """The geo-query of a subscription's ``geoQ`` (coordinates as an array or JSON text)."""
    coordinates = geo_q.get("coordinates")
    if coordinates is not None and not isinstance(coordinates, str):
        coordinates = json.dumps(coordinates)
    return parse_geo(
        geo_q.get("georel"), geo_q.get("geometry"), coordinates, geo_q.get("geoproperty")
    )


def _selected(selectors: list[dict[str, Any]] | None, entity: SensorEntity) -> bool:
    if not selectors:
        return True
    for selector in selectors:
        types = selector.get("type")
        if types and entity.type not in {t.strip() for t in str(types).split(",")}:
            continue
        if selector.get("id") and selector["id"] != entity.id:
            continue
        pattern = selector.get("idPattern")
        # Unanchored, as PostgreSQL's ~ in the entity query and Orion-LD's regexec.
        if pattern and re.search(pattern, entity.id) is None:
            continue
        return True
    return False


def _candidates(
    subscription: Subscription,
    changes: Mapping[int, set[str]],
    entities: Mapping[int, SensorEntity],
) -> list[int]:
    body = subscription.body
    watched = set(body.get("watchedAttributes") or ())
    tenant = body.get(TENANT_KEY)
    return [
        pk
        for pk, attributes in changes.items()
        if (entity := entities.get(pk)) is not None
        and (tenant is None or entity.organisation_id == tenant)
        and (not watched or watched & attributes)
        and _selected(body.get("entities"), entity)
    ]


def _filter(session: Session, subscription: Subscription, pks: list[int]) -> list[int]:
    """Keep the entities satisfying the subscription's q and geoQ, decided in SQL."""
    body = subscription.body
    q, geo_q = body.get("q"), body.get("geoQ")
    if not q and not geo_q:
        return pks
    dialect = session.get_bind().dialect.name
    repository = SubscriptionRepository(session)
    conditions: list[ColumnElement[bool]] = []
    if q:
        conditions.append(_compiled_q(q, dialect))
    if geo_q:
        geo = geo_query(geo_q)
        if geo is not None:
            conditions.append(
                geo_condition(session, geo, and_(SensorEntity.pk.in_(pks), *conditions))
            )
    matched = repository.matching_pks(pks, and_(*conditions))
    return [pk for pk in pks if pk in matched]


def _payload(
    session: Session,
    subscription: Subscription,
    entities: list[SensorEntity],
    now: dt.datetime,
) -> dict[str, Any]:
    notification = subscription.body["notification"]
    attributes = notification.get("attributes")
    options = RenderOptions(
        FORMS.get(notification.get("format") or "normalized", "normalized"),
        frozenset(attributes) if attributes else None,
        bool(notification.get("sysAttrs")),
    )
    payload: dict[str, Any] = {
        "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
        "type": "Notification",
        "subscriptionId": subscription.id,
        "notifiedAt": format_instant(now),
        "data": ngsild_api.render_many(session, entities, options),
    }
    if notification.get("endpoint", {}).get("accept") == LD_JSON:
        payload["@context"] = subscription.body.get("@context") or [CORE_CONTEXT_URL]
    return payload


def _first_slot(session: Session, subscription: Subscription, now: dt.datetime) -> dt.datetime:
    """When the next notification may go: throttling delays it, never drops it."""
    throttling = subscription.body.get("throttling")
    if not throttling:
        return now
    gap = dt.timedelta(seconds=float(throttling))
    slot = now
    if subscription.last_notification is not None:
        slot = max(slot, subscription.last_notification + gap)
    scheduled = SubscriptionRepository(session).last_scheduled(subscription.pk)
    if scheduled is not None:
        slot = max(slot, scheduled + gap)
    return slot


def enqueue(session: Session, changes: Mapping[int, set[str]]) -> int:
    """Queue notifications for the subscriptions these changes match; returns how many."""
    if not changes:
        return 0
    now = utcnow()
    repository = SubscriptionRepository(session)
    active = repository.active(now)
    if not active:
        return 0
    entities = repository.entities(changes)
    queued = 0
    for subscription in active:
        try:
            pks = _filter(session, subscription, _candidates(subscription, changes, entities))
        except ServicielleError as exc:
            # A subscription that no longer compiles must not make the write fail.
            log.warning("subscription %s skipped: %s", subscription.id, exc.detail)
            continue
        if not pks:
            continue
        slot = _first_slot(session, subscription, now)
        gap = dt.timedelta(seconds=float(subscription.body.get("throttling") or 0))
        for start in range(0, len(pks), MAX_ENTITIES_PER_NOTIFICATION):
            chunk = [entities[pk] for pk in pks[start : start + MAX_ENTITIES_PER_NOTIFICATION]]
            session.add(
                Notification(
                    subscription_pk=subscription.pk,
                    payload=_payload(session, subscription, chunk, now),
                    created_at=now,
                    next_attempt_at=slot,
                )
            )
            queued += 1
            slot += gap
    if queued:
        session.flush()
    return queued
