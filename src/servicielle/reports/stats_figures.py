"""The public statistics computed from report facts: delays, backlog, months, heat map, CSV.

Medians need every value, so the figures are computed here in Python from the rows
``StatsRepository.facts`` selects (the same code on SQLite and PostgreSQL).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

from servicielle.core.i18n import N_, _, get_locale
from servicielle.reports.labels import status_label
from servicielle.reports.models import OPEN_STATUSES, ReportStatus

TIMEZONE = ZoneInfo("Europe/Paris")
DAY = 86400.0
# Heat map cells: about 1 km × 1 km at the territory's latitude (46° N).
CELL_LAT = 0.009
CELL_LON = 0.013
# Light to dark, colour-blind safe (ColorBrewer YlOrRd); the legend says the counts.
HEAT_COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
AGE_BUCKETS = (
    (7, N_("Less than a week")),
    (30, N_("1 week to 1 month")),
    (90, N_("1 to 3 months")),
    (None, N_("More than 3 months")),
)
# Spreadsheets run cells starting with these as formulas (OWASP CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Delays:
    """Days to acknowledge and to fix of a group of reports, and what became of them."""

    key: str
    label: str
    reports: int = 0
    open: int = 0
    fixed: int = 0
    duplicates: int = 0
    to_acknowledge: list[float] = field(default_factory=list)
    to_fix: list[float] = field(default_factory=list)

    def add(self, fact: Any) -> None:
        """Count one report."""
        self.reports += 1
        self.open += fact.status in OPEN_STATUSES
        self.fixed += fact.status == ReportStatus.FIXED
        self.duplicates += fact.duplicate_of_id is not None
        acknowledge, fix = days_to_acknowledge(fact), days_to_fix(fact)
        if acknowledge is not None:
            self.to_acknowledge.append(acknowledge)
        if fix is not None:
            self.to_fix.append(fix)

    @property
    def fix_rate(self) -> float | None:
        """Share of reports fixed, duplicates left out (they are counted with the original)."""
        counted = self.reports - self.duplicates
        return self.fixed / counted if counted else None

    @property
    def acknowledge_median(self) -> float | None:
        """Median days to acknowledge."""
        return statistics.median(self.to_acknowledge) if self.to_acknowledge else None

    @property
    def acknowledge_mean(self) -> float | None:
        """Mean days to acknowledge."""
        return statistics.fmean(self.to_acknowledge) if self.to_acknowledge else None

    @property
    def fix_median(self) -> float | None:
        """Median days to fix."""
        return statistics.median(self.to_fix) if self.to_fix else None

    @property
    def fix_mean(self) -> float | None:
        """Mean days to fix."""
        return statistics.fmean(self.to_fix) if self.to_fix else None


@dataclass(frozen=True)
class HeatCell:
    """A grid cell of the heat map: its bounds, its reports, where most of them are."""

    south: float
    west: float
    north: float
    east: float
    count: int
    level: int  # 0 (lightest) to 4 (darkest)
    colour: str
    commune: str


@dataclass
class Statistics:
    """Everything the statistics page shows."""

    overall: Delays
    by_category: list[Delays]
    by_organisation: list[Delays]
    by_commune: list[Delays]
    backlog_by_status: list[tuple[str, int]]
    backlog_by_age: list[tuple[str, int]]
    months: list[tuple[str, int, int]]  # (YYYY-MM, reported, fixed)
    cells: list[HeatCell]
    legend: list[tuple[str, str]]  # (colour, range of counts)


def _start(fact: Any) -> dt.datetime:
    """When the authority could first see the report: its confirmation, else its creation."""
    return fact.confirmed_at or fact.created_at  # type: ignore[no-any-return]


def _days(since: dt.datetime, until: dt.datetime | None) -> float | None:
    if until is None or until < since:
        return None
    return (until - since).total_seconds() / DAY


def days_to_acknowledge(fact: Any) -> float | None:
    """Days from publication to the organisation's first answer, if there was one."""
    return _days(_start(fact), fact.acknowledged_at)


def days_to_fix(fact: Any) -> float | None:
    """Days from publication to "fixed", for reports marked fixed."""
    return _days(_start(fact), fact.fixed_at)


def _grouped(
    facts: Sequence[Any], key: Callable[[Any], str], labels: dict[str, str]
) -> list[Delays]:
    groups: dict[str, Delays] = {}
    for fact in facts:
        name = key(fact)
        group = groups.get(name)
        if group is None:
            group = groups[name] = Delays(name, labels.get(name, name or _("Unknown")))
        group.add(fact)
    return sorted(groups.values(), key=lambda g: (-g.reports, g.label))


def _age_bucket(days: float) -> str:
    for limit, label in AGE_BUCKETS:
        if limit is None or days < limit:
            return label
    return AGE_BUCKETS[-1][1]


def _months(start: dt.datetime, end: dt.datetime) -> list[str]:
    first, last = start.astimezone(TIMEZONE), (end - dt.timedelta(seconds=1)).astimezone(TIMEZONE)
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month(instant: dt.datetime) -> str:
    return instant.astimezone(TIMEZONE).strftime("%Y-%m")


def heat_levels(maximum: int) -> list[int]:
    """Lower bounds of the colour classes for counts up to ``maximum`` (at most five)."""
    if maximum <= len(HEAT_COLOURS):
        return list(range(1, maximum + 1))
    bounds = {1} | {
        max(1, math.ceil(maximum * share)) for share in (0.1, 0.25, 0.5, 0.75) if maximum
    }
    return sorted(bounds)


def heat_map(
    facts: Iterable[Any], communes: dict[str, str]
) -> tuple[list[HeatCell], list[tuple[str, str]]]:
    """Reports counted in a grid of about 1 km cells, each given a colour class."""
    counts: Counter[tuple[int, int]] = Counter()
    places: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
    for fact in facts:
        if fact.lat is None or fact.lon is None:
            continue
        cell = (math.floor(fact.lat / CELL_LAT), math.floor(fact.lon / CELL_LON))
        counts[cell] += 1
        places[cell][fact.commune_code or ""] += 1
    if not counts:
        return [], []
    bounds = heat_levels(max(counts.values()))
    # The darkest colour always goes to the busiest cells, however few the classes.
    shift = len(HEAT_COLOURS) - len(bounds)
    cells = []
    for (row, column), count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        level = shift + max(i for i, low in enumerate(bounds) if count >= low)
        code = places[(row, column)].most_common(1)[0][0]
        cells.append(
            HeatCell(
                south=round(row * CELL_LAT, 6),
                west=round(column * CELL_LON, 6),
                north=round((row + 1) * CELL_LAT, 6),
                east=round((column + 1) * CELL_LON, 6),
                count=count,
                level=level,
                colour=HEAT_COLOURS[level],
                commune=communes.get(code, code),
            )
        )
    maximum = cells[0].count
    legend = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] - 1 if i + 1 < len(bounds) else maximum
        legend.append((HEAT_COLOURS[shift + i], str(low) if low == high else f"{low}–{high}"))
    return cells, legend


def compute(
    facts: Sequence[Any],
    *,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    categories: dict[str, str],
    organisations: dict[str, str],
    communes: dict[str, str],
) -> Statistics:
    """Every figure of the page from the facts of the reports created in [start, end)."""
    overall = Delays("", "")
    for fact in facts:
        overall.add(fact)
    backlog = [f for f in facts if f.status in OPEN_STATUSES]
    by_status = Counter(f.status for f in backlog)
    by_age = Counter(_age_bucket((now - _start(f)).total_seconds() / DAY) for f in backlog)
    reported = Counter(_month(f.created_at) for f in facts)
    fixed = Counter(_month(f.fixed_at) for f in facts if f.fixed_at is not None)
    cells, legend = heat_map(facts, communes)
    return Statistics(
        overall=overall,
        by_category=_grouped(facts, lambda f: str(f.category_id), categories),
        by_organisation=_grouped(facts, lambda f: str(f.organisation_id), organisations),
        by_commune=_grouped(facts, lambda f: f.commune_code or "", communes),
        backlog_by_status=[
            (status, by_status[status])
            for status in (*sorted(OPEN_STATUSES, key=list(ReportStatus).index),)
            if by_status[status]
        ],
        backlog_by_age=[(label, by_age[label]) for _limit, label in AGE_BUCKETS],
        months=[(m, reported[m], fixed[m]) for m in _months(start, end)],
        cells=cells,
        legend=legend,
    )


def format_days(value: float | None) -> str:
    """A number of days with one decimal, in the page's language; "—" when unknown."""
    if value is None:
        return "—"
    return str(format_decimal(value, format="#,##0.0", locale=get_locale()))


def format_share(value: float | None) -> str:
    """A share as a whole percentage."""
    if value is None:
        return "—"
    return str(format_decimal(value * 100, format="#,##0", locale=get_locale())) + "\u202f%"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _local(instant: dt.datetime | None) -> str:
    return "" if instant is None else instant.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M")


def csv_export(
    facts: Sequence[Any],
    *,
    categories: dict[str, str],
    organisations: dict[str, str],
    communes: dict[str, str],
) -> str:
    """One anonymised row per report, ``;``-separated, with a BOM for spreadsheets.

    No reporter, no description: only what the statistics use. Times are Paris time;
    decimals use the page language's separator (a comma in French, as spreadsheets expect).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            _("Report no."),
            _("Category"),
            _("Organisation"),
            _("INSEE code"),
            _("Commune"),
            _("Status"),
            _("Reported on"),
            _("Acknowledged on"),
            _("Fixed on"),
            _("Closed on"),
            _("Days to acknowledge"),
            _("Days to fix"),
        ]
    )

    def days(value: float | None) -> str:
        """Two decimals, the page language's separator."""
        return "" if value is None else str(format_decimal(value, "0.00", locale=get_locale()))

    for fact in facts:
        writer.writerow(
            [
                fact.id,
                _cell(categories.get(str(fact.category_id), "")),
                _cell(organisations.get(str(fact.organisation_id), "")),
                fact.commune_code or "",
                _cell(communes.get(fact.commune_code or "", "")),
                _cell(status_label(fact.status, fact.close_reason)),
                _local(fact.created_at),
                _local(fact.acknowledged_at),
                _local(fact.fixed_at),
                _local(fact.closed_at),
                days(days_to_acknowledge(fact)),
                days(days_to_fix(fact)),
            ]
        )
    return "\ufeff" + buffer.getvalue()
