"""Public statistics of the reports: delays, backlog, months, heat map, and their CSV export."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import Row

from servicielle.core.db import utcnow
from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.models import Organisation
from servicielle.reports import stats_figures as figures
from servicielle.reports.labels import status_label
from servicielle.reports.models import ReportCategory
from servicielle.reports.stats_queries import StatsFilters, StatsRepository

# Full paths: the list and report pages own the rest of /signalements.
PAGE = "/signalements/statistiques"
router = APIRouter()
# Dates outside these years are typing mistakes (and would overflow datetime arithmetic).
FIRST_YEAR, LAST_YEAR = 2000, 2100
Text = Annotated[str, Query()]


@dataclass
class StatsForm:
    """The filters as typed, what they mean, and what is wrong with them."""

    values: dict[str, str]
    filters: StatsFilters
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def query(self) -> str:
        """The query string giving the same filters (for the CSV link)."""
        return urlencode({k: v for k, v in self.values.items() if v})


@dataclass(frozen=True)
class Choices:
    """What the filters offer, and the labels of the ids and codes the facts carry."""

    categories: Sequence[ReportCategory]
    organisations: Sequence[Organisation]
    communes: Sequence[Row[str, str]]

    def names(self) -> dict[str, dict[str, str]]:
        """Labels by id (as text) or INSEE code, as ``stats_figures`` takes them."""
        return {
            "categories": {str(c.id): c.name for c in self.categories},
            "organisations": {str(o.id): o.name for o in self.organisations},
            "communes": {code: name for code, name in self.communes},
        }


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=figures.TIMEZONE).astimezone(dt.UTC)


def _year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1) + dt.timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28) + dt.timedelta(days=1)


def _date(text: str, name: str, errors: dict[str, str]) -> dt.date | None:
    if not text.strip():
        return None
    try:
        day = dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        errors[name] = _("Enter a date as YYYY-MM-DD, for example 2026-01-31.")
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[name] = _("Enter a date between %(first)d and %(last)d.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
        return None
    return day


def parse_form(
    repository: StatsRepository,
    *,
    du: str,
    au: str,
    categorie: str,
    organisation: str,
    commune: str,
) -> tuple[StatsForm, Choices]:
    """The filters of the query string; a bad one is reported and left out, never a 500."""
    categories = repository.categories()
    organisations = repository.organisations()
    communes = repository.communes()
    errors: dict[str, str] = {}
    today = utcnow().astimezone(figures.TIMEZONE).date()
    last = _date(au, "au", errors) or today
    first = _date(du, "du", errors) or _year_before(last)
    if first > last:
        errors["du"] = _("The start of the period must come before its end.")
        first, last = _year_before(last), last
    category = next((c for c in categories if c.code == categorie.strip()), None)
    if categorie.strip() and category is None:
        errors["categorie"] = _("Choose one of the categories.")
    chosen = next((o for o in organisations if o.slug == organisation.strip()), None)
    if organisation.strip() and chosen is None:
        errors["organisation"] = _("Choose one of the organisations.")
    known = {code for code, _name in communes}
    if commune.strip() and commune.strip() not in known:
        errors["commune"] = _("Choose one of the territory's communes.")
    filters = StatsFilters(
        start=_local_midnight(first),
        end=_local_midnight(last + dt.timedelta(days=1)),
        category_id=category.id if category else None,
        organisation_id=chosen.id if chosen else None,
        commune_code=commune.strip() if commune.strip() in known else None,
    )
    values = {
        "du": first.isoformat() if "du" not in errors else du[:40],
        "au": last.isoformat() if "au" not in errors else au[:40],
        "categorie": category.code if category else "",
        "organisation": chosen.slug if chosen else "",
        "commune": filters.commune_code or "",
    }
    return StatsForm(values, filters, errors), Choices(categories, organisations, communes)


@router.get(PAGE, response_class=HTMLResponse)
def statistics_page(
    request: Request,
    session: DbSession,
    du: Text = "",
    au: Text = "",
    categorie: Text = "",
    organisation: Text = "",
    commune: Text = "",
) -> HTMLResponse:
    """Delays to acknowledge and to fix, backlog, reports per month and a heat map."""
    repository = StatsRepository(session)
    form, choices = parse_form(
        repository, du=du, au=au, categorie=categorie, organisation=organisation, commune=commune
    )
    stats = figures.compute(
        repository.facts(form.filters),
        start=form.filters.start,
        end=form.filters.end,
        now=utcnow(),
        **choices.names(),
    )
    return render(
        request,
        "reports/stats.html",
        {
            "form": form,
            "stats": stats,
            "choices": choices,
            "cells": [
                [c.south, c.west, c.north, c.east, c.count, c.colour, c.commune]
                for c in stats.cells
            ],
            "top_cells": stats.cells[:20],
            "format_days": figures.format_days,
            "format_share": figures.format_share,
            "status_label": status_label,
            "month_peak": max([1, *(max(r, f) for _m, r, f in stats.months)]),
        },
        status_code=422 if form.errors else 200,
    )


@router.get(PAGE + ".csv")
def statistics_csv(
    session: DbSession,
    du: Text = "",
    au: Text = "",
    categorie: Text = "",
    organisation: Text = "",
    commune: Text = "",
) -> Response:
    """One anonymised row per public report matching the filters (``;``, UTF-8 with BOM)."""
    repository = StatsRepository(session)
    form, choices = parse_form(
        repository, du=du, au=au, categorie=categorie, organisation=organisation, commune=commune
    )
    if form.errors:
        raise InvalidInput.on_fields(_("Some filters are invalid."), form.errors)
    body = figures.csv_export(repository.facts(form.filters), **choices.names())
    filename = f"signalements-{form.values['du']}-{form.values['au']}.csv"
    return Response(
        body.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
