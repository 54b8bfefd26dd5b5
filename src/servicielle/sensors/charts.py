"""Time series of one attribute, drawn server-side as SVG geometry (no JavaScript needed).

Raw readings come from ``sensor_observations``, thinned in SQL to at most
``MAX_RAW_POINTS``; hourly ones from ``sensor_hourly`` (average with the min–max band).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_decimal
from babel.units import format_unit
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from servicielle.core.i18n import _, get_locale
from servicielle.sensors.freshness import SILENCE_FACTOR
from servicielle.sensors.models import HourlyAggregate, Observation

# Times are shown in the territory's time zone (the API keeps UTC).
DISPLAY_TIMEZONE = ZoneInfo("Europe/Paris")
PERIODS = {
    "24h": dt.timedelta(hours=24),
    "7j": dt.timedelta(days=7),
    "30j": dt.timedelta(days=30),
}
RAW, HOURLY = "brut", "horaire"
MAX_RAW_POINTS = 400
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40
# Ratios (UN/CEFACT C62, 0–1) read better as percentages.
RATIO_UNIT = "C62"


@dataclass(frozen=True)
class Point:
    """A reading, or an hourly average with its minimum and maximum."""

    at: dt.datetime
    value: float
    low: float | None = None
    high: float | None = None
    count: int = 1


class SeriesRepository:
    """Readings of one attribute of one entity over a period."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def raw(
        self, entity_pk: int, attribute: str, start: dt.datetime, end: dt.datetime
    ) -> tuple[list[Point], int]:
        """Numeric readings in [start, end], one in ``step`` kept; returns (points, step)."""
        where = (
            Observation.entity_pk == entity_pk,
            Observation.attribute == attribute,
            Observation.observed_at >= start,
            Observation.observed_at <= end,
            Observation.value_num.is_not(None),
        )
        total = int(
            self.session.scalar(select(func.count()).select_from(Observation).where(*where)) or 0
        )
        step = max(1, math.ceil(total / MAX_RAW_POINTS))
        numbered = select(
            Observation.observed_at,
            Observation.value_num,
            func.row_number().over(order_by=Observation.observed_at).label("rank"),
        ).where(*where)
        inner = numbered.subquery()
        statement = select(inner.c.observed_at, inner.c.value_num).order_by(inner.c.observed_at)
        if step > 1:
            statement = statement.where((inner.c.rank - 1) % step == 0)
        rows = self.session.execute(statement)
        return [Point(_aware(at), float(value)) for at, value in rows], step

    def hourly(
        self, entity_pk: int, attribute: str, start: dt.datetime, end: dt.datetime
    ) -> list[Point]:
        """Hourly average, minimum and maximum in [start, end]."""
        first_hour = start.replace(minute=0, second=0, microsecond=0)
        rows = self.session.execute(
            select(
                HourlyAggregate.hour,
                HourlyAggregate.count,
                HourlyAggregate.sum,
                HourlyAggregate.min,
                HourlyAggregate.max,
            )
            .where(
                HourlyAggregate.entity_pk == entity_pk,
                HourlyAggregate.attribute == attribute,
                HourlyAggregate.hour >= first_hour,
                HourlyAggregate.hour <= end,
            )
            .order_by(HourlyAggregate.hour)
        )
        return [
            Point(_aware(hour), total / count, low, high, count)
            for hour, count, total, low, high in rows
            if count
        ]


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant.replace(tzinfo=dt.UTC) if instant.tzinfo is None else instant


# --- Formatting ----------------------------------------------------------------------------


def format_number(value: float, digits: int = 2) -> str:
    """A number in the page's language (thin spaces, decimal comma in French)."""
    pattern = "#,##0" + ("." + "#" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=get_locale()))


def format_value(value: Any, unit_code: str | None = None) -> str:
    """A current value for people: numbers localised, ratios in percent (unit shown apart)."""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return format_number(value * 100 if unit_code == RATIO_UNIT else value)
    if value is None:
        return "—"
    if isinstance(value, dict):
        # An address or a structured value: its parts, as people write them.
        return ", ".join(format_value(v) for v in value.values() if v not in (None, ""))[:300]
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)[:300]
    return str(value)


def format_instant(instant: dt.datetime | None, pattern: str = "short") -> str:
    """A date and time in the territory's time zone."""
    if instant is None:
        return "—"
    return str(format_datetime(instant, pattern, tzinfo=DISPLAY_TIMEZONE, locale=get_locale()))


def format_iso(text: str | None) -> str:
    """An ISO 8601 instant (as the map API gives them) for people."""
    return format_instant(dt.datetime.fromisoformat(text) if text else None)


def format_duration(duration: dt.timedelta | None) -> str:
    """A duration in words: minutes below an hour, hours below two days, then days."""
    if duration is None:
        return "—"
    seconds = duration.total_seconds()
    if seconds < 3600:
        value, unit = float(max(1, round(seconds / 60))), "duration-minute"
    elif seconds < 48 * 3600:
        value, unit = round(seconds / 3600, 1 if seconds < 10 * 3600 else 0), "duration-hour"
    else:
        value, unit = float(round(seconds / 86400)), "duration-day"
    amount: float | int = int(value) if value.is_integer() else value
    return str(format_unit(amount, unit, length="long", locale=get_locale()))


# --- Geometry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    """An axis graduation: position in the SVG and its label."""

    position: float
    label: str


@dataclass
class TimeChart:
    """What the template draws: paths, dots and axes, plus the figures its text gives."""

    points: list[Point]
    start: dt.datetime
    end: dt.datetime
    scale: float
    line: str = ""
    band: str = ""
    dots: list[tuple[float, float]] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    step: int = 1
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM

    @property
    def minimum(self) -> float | None:
        """The lowest value drawn (band included), in display units."""
        lows = [p.low if p.low is not None else p.value for p in self.points]
        return min(lows) * self.scale if lows else None

    @property
    def maximum(self) -> float | None:
        """The highest value drawn (band included), in display units."""
        highs = [p.high if p.high is not None else p.value for p in self.points]
        return max(highs) * self.scale if highs else None

    @property
    def last(self) -> Point | None:
        """The newest point."""
        return self.points[-1] if self.points else None


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round graduations (1, 2, 2.5, 5 × 10ⁿ) covering [low, high]."""
    if high <= low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / (count - 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.floor(low / step) * step
    last = math.ceil(high / step) * step
    return [first + i * step for i in range(round((last - first) / step) + 1)]


def _time_ticks(start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, str]]:
    span = end - start
    hour = dt.timedelta(hours=1)
    instant = start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) + hour
    local_hours: list[dt.datetime] = []
    while instant <= end:
        local_hours.append(instant.astimezone(DISPLAY_TIMEZONE))
        instant += hour
    if span <= dt.timedelta(days=1):
        chosen = [t for t in local_hours if t.hour % 4 == 0]
        pattern = "HH:mm"
    else:
        chosen = [t for t in local_hours if t.hour == 0]
        pattern = "EEE d" if span <= dt.timedelta(days=7) else "d MMM"
        if span > dt.timedelta(days=7):
            chosen = chosen[::5]
    return [(t, format_instant(t, pattern)) for t in chosen]


def build_chart(
    points: Sequence[Point],
    start: dt.datetime,
    end: dt.datetime,
    *,
    expected_period: dt.timedelta,
    step: int = 1,
    hourly: bool = False,
    unit_code: str | None = None,
) -> TimeChart:
    """Lay ``points`` out on the period's time axis; gaps longer than a silence break the line."""
    scale = 100.0 if unit_code == RATIO_UNIT else 1.0
    chart = TimeChart(list(points), start, end, scale, step=step)
    plot_width = chart.right - chart.left
    plot_height = chart.bottom - chart.top
    seconds = max((end - start).total_seconds(), 1.0)

    def x(instant: dt.datetime) -> float:
        return round(chart.left + (instant - start).total_seconds() / seconds * plot_width, 1)

    chart.x_ticks = [Tick(x(t), label) for t, label in _time_ticks(start, end)]
    if not points:
        return chart
    assert chart.minimum is not None
    assert chart.maximum is not None
    graduations = nice_ticks(chart.minimum, chart.maximum)
    low, high = graduations[0], graduations[-1]

    def y(value: float) -> float:
        return round(chart.top + (1 - (value * scale - low) / (high - low)) * plot_height, 1)

    digits = 0 if high - low >= 10 else 2
    chart.y_ticks = [Tick(y(v / scale), format_number(v, digits)) for v in graduations]
    gap = SILENCE_FACTOR * expected_period * step
    if hourly:
        gap = max(gap, dt.timedelta(hours=2))
    segments: list[list[Point]] = [[points[0]]]
    for before, point in zip(points, points[1:], strict=False):
        if point.at - before.at > gap:
            segments.append([])
        segments[-1].append(point)
    lines, bands = [], []
    for segment in segments:
        coords = [f"{x(p.at)},{y(p.value)}" for p in segment]
        lines.append("M" + " L".join(coords))
        if len(segment) == 1:
            chart.dots.append((x(segment[0].at), y(segment[0].value)))
        if hourly:
            tops = [f"{x(p.at)},{y(p.high if p.high is not None else p.value)}" for p in segment]
            bottoms = [
                f"{x(p.at)},{y(p.low if p.low is not None else p.value)}" for p in reversed(segment)
            ]
            bands.append("M" + " L".join(tops + bottoms) + " Z")
    chart.line = " ".join(lines)
    chart.band = " ".join(bands)
    if len(points) <= 60:
        chart.dots = [(x(p.at), y(p.value)) for p in points]
    return chart
