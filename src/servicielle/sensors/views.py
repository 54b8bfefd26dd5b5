"""Public pages: the live map with its table, the sensors' health, one entity with its chart."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from servicielle.core.db import utcnow
from servicielle.core.errors import NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.repository import TerritoryRepository
from servicielle.sensors import charts
from servicielle.sensors.datamodels import MODELS, model_of
from servicielle.sensors.freshness import SILENCE_FACTOR, FreshnessRepository
from servicielle.sensors.map_api import map_features, state_of
from servicielle.sensors.models import SensorEntity
from servicielle.sensors.repository import EntityRepository, LatestRepository

router = APIRouter(prefix="/capteurs")
TABLE_PAGE_SIZE = 100
HEALTH_PAGE_LIMIT = 500
# The order of the legend and of the summary: from the most to the least worrying.
DISPLAY_STATES = ("alert", "warning", "ok", "off", "unknown", "silent")
STATE_LABELS = {
    "ok": N_("Normal"),
    "warning": N_("Watch"),
    "alert": N_("Alert"),
    "off": N_("Off or closed"),
    "unknown": N_("Unknown state"),
    "silent": N_("Silent"),
}
TypeFilter = Annotated[str, Query(max_length=120)]


def display_state(properties: dict[str, Any]) -> str:
    """What the map shows: silence first, since stale values say nothing of now."""
    return "silent" if properties["silent"] else str(properties["state"])


def display_unit(unit_code: str | None, unit: str | None) -> str:
    """The unit people read next to a value."""
    if unit_code == charts.RATIO_UNIT:
        return "%"
    return unit or unit_code or ""


def _helpers() -> dict[str, Any]:
    return {
        "format_value": charts.format_value,
        "format_instant": charts.format_instant,
        "format_iso": charts.format_iso,
        "format_duration": charts.format_duration,
        "display_unit": display_unit,
        "display_state": display_state,
        "state_labels": STATE_LABELS,
        "display_states": DISPLAY_STATES,
    }


def _type_choices(session: Session) -> list[tuple[str, str, int]]:
    labels = {t: m.label for t, m in MODELS.items()}
    return [(t, labels.get(t, t), n) for t, n in EntityRepository(session).types()]


@router.get("", response_class=HTMLResponse)
def map_page(
    request: Request,
    session: DbSession,
    type: TypeFilter = "",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> HTMLResponse:
    """The live map of the sensors, with the same entities in a table."""
    features = map_features(session, type or None)
    counts = Counter(display_state(f["properties"]) for f in features)
    pages = max(1, -(-len(features) // TABLE_PAGE_SIZE))
    shown = features[(page - 1) * TABLE_PAGE_SIZE : page * TABLE_PAGE_SIZE]
    return render(
        request,
        "sensors/map.html",
        {
            "features": shown,
            "total": len(features),
            "counts": {state: counts.get(state, 0) for state in DISPLAY_STATES},
            "types": _type_choices(session),
            "chosen_type": type,
            "page": {"page": min(page, pages), "pages": pages},
            "checked_at": utcnow(),
            **_helpers(),
        },
    )


@router.get("/sante", response_class=HTMLResponse)
def health_page(request: Request, session: DbSession) -> HTMLResponse:
    """Which sensors stopped reporting, since when, and the counts per type."""
    now = utcnow()
    repository = FreshnessRepository(session, now)
    by_type = repository.counts_by_type()
    return render(
        request,
        "sensors/health.html",
        {
            "by_type": by_type,
            "total": sum(t.entities for t in by_type),
            "silent_total": sum(t.silent for t in by_type),
            "silent": repository.silent(HEALTH_PAGE_LIMIT),
            "limit": HEALTH_PAGE_LIMIT,
            "factor": SILENCE_FACTOR,
            "checked_at": now,
            **_helpers(),
        },
    )


@dataclass(frozen=True)
class ValueRow:
    """One line of the current values table."""

    attribute: str
    label: str
    value: Any
    unit_code: str | None
    unit: str
    observed_at: dt.datetime | None


def _value_rows(entity: SensorEntity, latest: dict[str, tuple[Any, Any]]) -> list[ValueRow]:
    model = model_of(entity.type)
    known = list(model.attributes) if model else []
    order = {name: i for i, name in enumerate(known)}
    rows = []
    for name in sorted(latest, key=lambda n: (order.get(n, len(order)), n)):
        if name == "name":
            continue
        value, observed_at = latest[name]
        spec = model.attributes.get(name) if model else None
        stored = entity.attrs.get(name) or {}
        unit_code = spec.unit if spec and spec.unit else stored.get("unitCode")
        unit = display_unit(unit_code, spec.unit_label if spec else None)
        rows.append(
            ValueRow(name, spec.label if spec else name, value, unit_code, unit, observed_at)
        )
    return rows


def _chart_context(
    session: Session,
    entity: SensorEntity,
    rows: list[ValueRow],
    expected_period: dt.timedelta,
    attribute: str,
    period: str,
    mode: str,
) -> dict[str, Any]:
    # Only values that came with an observedAt have a history to draw.
    numeric = [
        r
        for r in rows
        if isinstance(r.value, int | float)
        and not isinstance(r.value, bool)
        and r.observed_at is not None
    ]
    model = model_of(entity.type)
    names = [r.attribute for r in numeric]
    if attribute not in names:
        headline = model.headline if model else None
        attribute = headline if headline in names else (names[0] if names else "")
    period = period if period in charts.PERIODS else "24h"
    mode = mode if mode in (charts.RAW, charts.HOURLY) else charts.RAW
    context: dict[str, Any] = {
        "numeric": numeric,
        "attribute": attribute,
        "period": period,
        "mode": mode,
        "periods": list(charts.PERIODS),
        "chart": None,
    }
    if not attribute:
        return context
    row = next(r for r in numeric if r.attribute == attribute)
    end = utcnow()
    start = end - charts.PERIODS[period]
    series = charts.SeriesRepository(session)
    if mode == charts.HOURLY:
        points, step = series.hourly(entity.pk, attribute, start, end), 1
    else:
        points, step = series.raw(entity.pk, attribute, start, end)
    context["chart"] = charts.build_chart(
        points,
        start,
        end,
        expected_period=expected_period,
        step=step,
        hourly=mode == charts.HOURLY,
        unit_code=row.unit_code,
    )
    context["chart_row"] = row
    return context


@router.get("/{entity_id:path}", response_class=HTMLResponse)
def entity_page(
    entity_id: str,
    request: Request,
    session: DbSession,
    attribut: Annotated[str, Query(max_length=120)] = "",
    periode: Annotated[str, Query(max_length=10)] = "24h",
    mode: Annotated[str, Query(max_length=10)] = charts.RAW,
) -> HTMLResponse:
    """An entity: current values, owner, location and the chart of one attribute."""
    entity = EntityRepository(session).by_id(entity_id)
    freshness = FreshnessRepository(session).one(entity.pk) if entity else None
    if entity is None or freshness is None:
        raise NotFound(_("This sensor does not exist or was removed."))
    latest = LatestRepository(session).for_entities([entity.pk]).get(entity.pk, {})
    rows = _value_rows(entity, latest)
    commune = TerritoryRepository(session).commune(entity.commune_code or "")
    state = state_of(entity.type, {name: value for name, (value, _at) in latest.items()})
    return render(
        request,
        "sensors/entity.html",
        {
            "entity": entity,
            "freshness": freshness,
            "state": "silent" if freshness.silent else str(state),
            "values_state": str(state),
            "rows": rows,
            "commune": commune,
            **_chart_context(
                session, entity, rows, freshness.expected_period, attribut, periode, mode
            ),
            **_helpers(),
        },
    )
