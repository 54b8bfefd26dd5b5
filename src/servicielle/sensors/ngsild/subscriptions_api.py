"""NGSI-LD subscriptions under ``/ngsi-ld/v1/subscriptions``: create, list, read, change, delete.

A subscription belongs to the organisation of the account that created it (or the one named
by NGSILD-Tenant); only that organisation and administrators see it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.db import utcnow
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.sensors import service, subscriptions
from servicielle.sensors.models import Subscription
from servicielle.sensors.ngsild.api import BASE, Tenant, Writer
from servicielle.sensors.ngsild.contexts import CORE_CONTEXT_URL
from servicielle.sensors.ngsild.entity import check_uri, format_instant
from servicielle.sensors.ngsild.errors import (
    BadRequestData,
    InvalidRequest,
    NgsiError,
    OperationNotSupported,
    ResourceNotFound,
)
from servicielle.sensors.ngsild.http import (
    JSON,
    LD_JSON,
    JsonBody,
    entity_response,
    parse_limit,
    parse_offset,
    wants_ld,
)
from servicielle.sensors.ngsild.query import compile_q

router = APIRouter(prefix=f"{BASE}/subscriptions", tags=["NGSI-LD"])

# Members the hub computes: dropped when a client sends a representation back.
SYSTEM_MEMBERS = frozenset({"status", "createdAt", "modifiedAt"})
NOTIFICATION_SYSTEM_MEMBERS = frozenset(
    {
        "status",
        "timesSent",
        "timesFailed",
        "lastNotification",
        "lastSuccess",
        "lastFailure",
        "consecutiveErrors",
        "lastErrorReason",
    }
)


def _names(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise BadRequestData(f"{what} must be a non-empty array of attribute names")
    return value


def _instant(value: Any, what: str) -> dt.datetime:
    if not isinstance(value, str):
        raise BadRequestData(f"{what} must be an ISO 8601 date-time string, got {value!r}")
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadRequestData(f"{what} is not an ISO 8601 date-time: {value!r}") from None
    if instant.tzinfo is None:
        raise BadRequestData(f"{what} has no time zone (add Z for UTC): {value!r}")
    return instant.astimezone(dt.UTC)


def _check_entities(selectors: Any) -> None:
    if not isinstance(selectors, list) or not selectors:
        raise BadRequestData("entities must be a non-empty array of {type, id, idPattern}")
    for selector in selectors:
        if not isinstance(selector, dict) or not any(
            selector.get(k) for k in ("type", "id", "idPattern")
        ):
            raise BadRequestData(f"each item of entities needs type, id or idPattern: {selector!r}")
        for key in ("type", "id", "idPattern"):
            if key in selector and not isinstance(selector[key], str):
                raise BadRequestData(f"entities: {key} must be a string, got {selector[key]!r}")
        if selector.get("id"):
            check_uri(selector["id"], "entities: id")
        if selector.get("idPattern"):
            try:
                re.compile(selector["idPattern"])
            except re.error as exc:
                raise BadRequestData(
                    f"entities: idPattern is not a regular expression: {exc}"
                ) from None


def _check_notification(notification: Any) -> dict[str, Any]:
    if not isinstance(notification, dict):
        raise BadRequestData("notification is required: {endpoint: {uri}, format, attributes}")
    checked: dict[str, Any] = {
        k: v
        for k, v in notification.items()
        if k not in NOTIFICATION_SYSTEM_MEMBERS and v is not None
    }
    endpoint = checked.get("endpoint")
    if not isinstance(endpoint, dict) or not isinstance(endpoint.get("uri"), str):
        raise BadRequestData("notification.endpoint.uri is required")
    uri = urlsplit(endpoint["uri"])
    if uri.scheme not in ("http", "https") or not uri.hostname:
        raise BadRequestData(
            f"notification.endpoint.uri must be an http(s) URL, got {endpoint['uri']!r}"
        )
    if endpoint.get("accept", JSON) not in (JSON, LD_JSON):
        raise BadRequestData(
            f"notification.endpoint.accept must be {JSON} or {LD_JSON}, got {endpoint['accept']!r}"
        )
    info = endpoint.get("receiverInfo", [])
    if not isinstance(info, list) or not all(
        isinstance(i, dict) and isinstance(i.get("key"), str) and isinstance(i.get("value"), str)
        for i in info
    ):
        raise BadRequestData("notification.endpoint.receiverInfo must be [{key, value}] strings")
    form = checked.get("format", "normalized")
    if form not in subscriptions.FORMS:
        raise BadRequestData(
            f"notification.format must be one of {', '.join(subscriptions.FORMS)}, got {form!r}"
        )
    if "attributes" in checked:
        _names(checked["attributes"], "notification.attributes")
    if not isinstance(checked.get("sysAttrs", False), bool):
        raise BadRequestData("notification.sysAttrs must be true or false")
    return checked


def _check_criteria(body: dict[str, Any], dialect: str) -> None:
    if "entities" in body:
        _check_entities(body["entities"])
    if "watchedAttributes" in body:
        _names(body["watchedAttributes"], "watchedAttributes")
    if not body.get("entities") and not body.get("watchedAttributes"):
        raise BadRequestData("a subscription needs entities or watchedAttributes (or both)")
    if "q" in body:
        if not isinstance(body["q"], str):
            raise BadRequestData("q must be a string")
        # ngsildclient percent-encodes q inside the JSON body.
        body["q"] = unquote(body["q"]) if "%" in body["q"] else body["q"]
        try:
            compile_q(body["q"], dialect)
        except NgsiError as exc:
            raise BadRequestData(f"q: {exc.detail}") from None
    if "geoQ" in body:
        if not isinstance(body["geoQ"], dict):
            raise BadRequestData("geoQ must be an object {georel, geometry, coordinates}")
        try:
            geo = subscriptions.geo_query(body["geoQ"])
        except NgsiError as exc:
            raise BadRequestData(f"geoQ: {exc.detail}") from None
        if geo is None:
            raise BadRequestData("geoQ needs georel, geometry and coordinates")
    if "timeInterval" in body:
        raise OperationNotSupported(
            "periodic notifications (timeInterval) are not supported: use watchedAttributes"
        )
    throttling = body.get("throttling")
    if throttling is not None and (
        isinstance(throttling, bool) or not isinstance(throttling, int | float) or throttling < 0
    ):
        raise BadRequestData(f"throttling must be a number of seconds >= 0, got {throttling!r}")


def parse_subscription(
    data: Any, dialect: str, *, check_expiry: bool = True
) -> subscriptions.SubscriptionInput:
    """A subscription body checked, with the problem named when it is not valid."""
    if not isinstance(data, dict):
        raise InvalidRequest("a subscription must be a JSON object")
    body = {k: v for k, v in data.items() if v is not None and k not in SYSTEM_MEMBERS}
    subscription_id = body.pop("id", None)
    if subscription_id is not None:
        check_uri(subscription_id, "id")
    kind = body.pop("type", None)
    if kind != "Subscription":
        raise BadRequestData(f'type must be "Subscription", got {kind!r}')
    is_active = body.pop("isActive", True)
    if not isinstance(is_active, bool):
        raise BadRequestData(f"isActive must be true or false, got {is_active!r}")
    # "expires" is the name before NGSI-LD 1.3.
    raw_expiry = body.pop("expiresAt", None) or body.pop("expires", None)
    body.pop("expires", None)
    expires_at = _instant(raw_expiry, "expiresAt") if raw_expiry is not None else None
    if expires_at is not None and check_expiry and expires_at <= utcnow():
        raise BadRequestData(f"expiresAt is in the past: {raw_expiry!r}")
    for key in ("name", "subscriptionName", "description"):
        if key in body and not isinstance(body[key], str):
            raise BadRequestData(f"{key} must be a string")
    _check_criteria(body, dialect)
    body["notification"] = _check_notification(body.get("notification"))
    context = body.pop("@context", None)
    contexts = context if isinstance(context, list) else [context]
    if any(contexts):
        body["@context"] = [c for c in contexts if c]
    return subscriptions.SubscriptionInput(subscription_id, body, is_active, expires_at)


def represent(
    subscription: Subscription, now: dt.datetime, *, with_context: bool
) -> dict[str, Any]:
    """The NGSI-LD form of a subscription, with its status and delivery counters."""
    body = {
        k: v
        for k, v in subscription.body.items()
        if k not in ("@context", subscriptions.TENANT_KEY)
    }
    shown: dict[str, Any] = {"id": subscription.id, "type": "Subscription", **body}
    shown["isActive"] = subscription.is_active
    shown["status"] = subscriptions.status_of(subscription, now)
    if subscription.expires_at is not None:
        shown["expiresAt"] = format_instant(subscription.expires_at)
    notification = dict(body["notification"])
    notification["status"] = "failed" if subscription.consecutive_errors else "ok"
    notification["timesSent"] = subscription.times_sent
    notification["timesFailed"] = subscription.times_failed
    notification["consecutiveErrors"] = subscription.consecutive_errors
    for key, instant in (
        ("lastNotification", subscription.last_notification),
        ("lastSuccess", subscription.last_success),
        ("lastFailure", subscription.last_failure),
    ):
        if instant is not None:
            notification[key] = format_instant(instant)
    if subscription.last_error_reason:
        notification["lastErrorReason"] = subscription.last_error_reason
    shown["notification"] = notification
    if with_context:
        shown["@context"] = subscription.body.get("@context") or [CORE_CONTEXT_URL]
    return shown


def _merged(subscription: Subscription, fragment: Any) -> dict[str, Any]:
    """The stored subscription with a PATCH fragment laid over it (notification one level)."""
    if not isinstance(fragment, dict):
        raise InvalidRequest("a subscription fragment must be a JSON object")
    if fragment.get("id") not in (None, subscription.id):
        raise BadRequestData("the id of a subscription cannot change")
    current = represent(subscription, utcnow(), with_context=False)
    current["@context"] = subscription.body.get("@context")
    merged = {**current, **{k: v for k, v in fragment.items() if k not in ("id", "expires")}}
    if isinstance(fragment.get("notification"), dict):
        merged["notification"] = {**current["notification"], **fragment["notification"]}
    if "expires" in fragment and "expiresAt" not in fragment:
        merged["expiresAt"] = fragment["expires"]
    return merged


def _tenant_id(session: Session, principal: Principal, tenant: str | None) -> int | None:
    if not tenant:
        return None
    return service.writer_for(session, principal, tenant).organisation_id


def _visible(
    session: Session, principal: Principal, tenant: str | None, subscription_id: str
) -> Subscription:
    subscription = subscriptions.get_subscription(session, principal, subscription_id)
    organisation_id = _tenant_id(session, principal, tenant)
    if organisation_id is not None and subscription.organisation_id != organisation_id:
        raise ResourceNotFound(f"no subscription {subscription_id} for tenant {tenant}")
    return subscription


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


@router.post("", status_code=201, summary="Create a subscription")
@router.post("/", status_code=201, include_in_schema=False)
def create_subscription(
    request: Request, session: DbSession, principal: Writer, body: JsonBody, tenant: Tenant = None
) -> Response:
    """Create a subscription: 201 with its Location; no notification until a change."""
    data = parse_subscription(body, _dialect(session))
    writer = service.writer_for(session, principal, tenant)
    created = subscriptions.create_subscription(
        session,
        data,
        principal=principal,
        organisation_id=writer.organisation_id,
        tenant_scoped=bool(tenant),
    )
    return Response(status_code=201, headers={"Location": f"{router.prefix}/{created.id}"})


@router.get("", summary="List subscriptions")
@router.get("/", include_in_schema=False)
def list_subscriptions(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    tenant: Tenant = None,
    limit: str | None = None,
    offset: str | None = None,
    count: str | None = None,
) -> Response:
    """The subscriptions of the caller's organisations, paged, with the count header."""
    repository = subscriptions.SubscriptionRepository(session)
    statement = repository.visible(principal, _tenant_id(session, principal, tenant))
    headers: dict[str, str] = {}
    if count == "true":
        headers["NGSILD-Results-Count"] = str(repository.count(statement))
    page_size = parse_limit(limit)
    rows = repository.all(statement.limit(page_size).offset(parse_offset(offset)))
    now = utcnow()
    ld = wants_ld(request)
    body = [represent(s, now, with_context=ld) for s in rows] if page_size else []
    return entity_response(body, request, headers=headers)


@router.get("/{subscription_id}", summary="Retrieve a subscription")
def retrieve_subscription(
    subscription_id: str,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    tenant: Tenant = None,
) -> Response:
    """One subscription with its status and counters."""
    subscription = _visible(session, principal, tenant, subscription_id)
    shown = represent(subscription, utcnow(), with_context=wants_ld(request))
    return entity_response(shown, request)


@router.patch("/{subscription_id}", status_code=204, summary="Update a subscription")
def update_subscription(
    subscription_id: str,
    request: Request,
    session: DbSession,
    principal: Writer,
    body: JsonBody,
    tenant: Tenant = None,
) -> Response:
    """Change members of a subscription (those given replace the stored ones)."""
    subscription = _visible(session, principal, tenant, subscription_id)
    fragment = body
    merged = _merged(subscription, fragment)
    check_expiry = isinstance(fragment, dict) and bool(
        fragment.get("expiresAt") or fragment.get("expires")
    )
    data = parse_subscription(merged, _dialect(session), check_expiry=check_expiry)
    subscriptions.update_subscription(session, subscription, data)
    return Response(status_code=204)


@router.delete("/{subscription_id}", status_code=204, summary="Delete a subscription")
def delete_subscription(
    subscription_id: str, session: DbSession, principal: Writer, tenant: Tenant = None
) -> Response:
    """Delete a subscription and its undelivered notifications."""
    subscription = _visible(session, principal, tenant, subscription_id)
    subscriptions.delete_subscription(session, subscription)
    return Response(status_code=204)
