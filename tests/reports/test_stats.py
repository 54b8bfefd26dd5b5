"""Public statistics: delays, backlog, months, heat map, filters and the anonymised CSV."""

from __future__ import annotations

import csv
import datetime as dt
import html as html_module
import io
import json
import re
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from servicielle.config import Settings
from servicielle.core.db import utcnow
from servicielle.core.i18n import translations
from servicielle.core.permissions import ANONYMOUS
from servicielle.reports import stats_figures as figures
from servicielle.reports.models import Report, ReportStatus
from tests.reports.conftest import FOURAS, ROCHEFORT, Territory, report, staff

PAGE = "/signalements/statistiques"
HTML = {"Accept": "text/html"}
DAY = dt.timedelta(days=1)


def fr(msgid: str) -> str:
    """What the French page shows for an English message id."""
    return translations("fr").gettext(msgid)


def _stat(html: str, name: str) -> str:
    found = re.search(rf'id="stat-{name}">([^<]*)<', html)
    assert found, name
    return found.group(1).strip()


def _row(html: str, table: str, label: str) -> list[str]:
    """The cells of the row of ``table`` whose header is ``label``."""
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S):
        found = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        cells = [html_module.unescape(c.strip()) for c in found]
        if cells and cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r} in {table}")


@pytest.fixture
def reports(db: Session, settings: Settings, territory: Territory) -> dict[str, Report]:
    """Five public potholes and dumps with known delays, plus reports that must not count."""
    agent = staff(db, "agent@example.fr", territory.voirie)
    base = utcnow() - 20 * DAY
    made: dict[str, Report] = {}

    def make(name: str, ack: float | None, fix: float | None, **fields: Any) -> Report:
        created = report(
            db,
            settings,
            agent,
            reporter_name="Marie Secret",
            reporter_email=f"{name}@prive.example.fr",
            reporter_phone="06 39 98 00 00",
            description=f"Texte privé {name}",
            **fields,
        )
        created.created_at = created.confirmed_at = base
        if ack is not None:
            created.acknowledged_at = base + ack * DAY
            created.status = ReportStatus.ACKNOWLEDGED
        if fix is not None:
            created.fixed_at = created.closed_at = base + fix * DAY
            created.status = ReportStatus.FIXED
        made[name] = created
        return created

    make("p1", 1, 4)
    make("p2", 2, 10)
    make("p3", 6, None)
    make("d1", 0.5, None, category="depot-sauvage", at=FOURAS)
    make("d2", None, None, category="depot-sauvage")
    hidden = make("hidden", 1, 2)
    hidden.hidden = True
    pending = report(db, settings, ANONYMOUS, reporter_email="anonyme@example.fr", at=ROCHEFORT)
    assert pending.status == ReportStatus.UNCONFIRMED
    old = make("old", 1, 2)
    old.created_at = old.confirmed_at = utcnow() - 800 * DAY
    db.flush()
    return made


def test_the_page_shows_delays_backlog_and_months(
    client: TestClient, reports: dict[str, Report], territory: Territory
) -> None:
    response = client.get(PAGE, headers=HTML)
    assert response.status_code == 200, response.text[:500]
    html = response.text
    # Hidden, unconfirmed and older than 12 months: left out.
    assert _stat(html, "reports") == "5"
    assert _stat(html, "open") == "3"
    assert _stat(html, "fixed") == "2"
    assert _stat(html, "fix-rate") == "40\u202f%"
    # Days to acknowledge 1, 2, 6, 0.5 → median 1.5; to fix 4 and 10 → median 7.
    assert _stat(html, "ack") == "1,5"
    assert _stat(html, "fix") == "7,0"
    pothole = _row(html, "by-category-table", "Nid-de-poule")
    assert pothole[1:] == ["3", "1", "67\u202f%", "2,0", "3,0", "7,0", "7,0"]
    dumping = _row(html, "by-category-table", "Dépôt sauvage")
    assert dumping[1:3] == ["2", "2"]
    # Dumping in Fouras goes to the agglomeration (a geozone rule), in Rochefort to cleanliness.
    assert _row(html, "by-organisation-table", territory.agglomeration.name)[1] == "1"
    assert _row(html, "by-commune-table", "Rochefort")[1] == "4"
    assert _row(html, "by-commune-table", "Fouras")[1] == "1"
    month = (utcnow() - 20 * DAY).astimezone(figures.TIMEZONE).strftime("%Y-%m")
    assert _row(html, "months-table", month)[1] == "5"
    # No personal data anywhere on the page.
    for secret in ("Marie Secret", "prive.example.fr", "06 39 98", "Texte privé"):
        assert secret not in html


def test_the_backlog_counts_open_reports_by_status_and_age(
    client: TestClient, reports: dict[str, Report]
) -> None:
    html = client.get(PAGE, headers=HTML).text
    assert _row(html, "backlog-status", fr("Acknowledged"))[1] == "2"
    assert _row(html, "backlog-status", fr("Open"))[1] == "1"
    assert "backlog-status" in html
    ages = [_row(html, "backlog-age", fr(label))[1] for _limit, label in figures.AGE_BUCKETS]
    assert ages == ["0", "3", "0", "0"]  # all three waited 20 days


def test_heat_map_cells_count_every_located_public_report(
    client: TestClient, reports: dict[str, Report]
) -> None:
    html = client.get(PAGE, headers=HTML).text
    raw = re.search(r"data-cells='([^']*)'", html)
    assert raw
    cells = json.loads(html_module.unescape(raw.group(1)))
    assert sum(cell[4] for cell in cells) == 5
    rochefort = max(cells, key=lambda cell: cell[4])
    assert rochefort[4] == 4
    assert rochefort[6] == "Rochefort"
    south, west, north, east = rochefort[:4]
    assert south <= ROCHEFORT[0] < north
    assert west <= ROCHEFORT[1] < east
    assert rochefort[5] == figures.HEAT_COLOURS[-1]  # the busiest square is the darkest
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert "heat-table" in html


def test_filters_narrow_the_figures(client: TestClient, reports: dict[str, Report]) -> None:
    by_category = client.get(PAGE, params={"categorie": "depot-sauvage"}, headers=HTML).text
    assert _stat(by_category, "reports") == "2"
    by_organisation = client.get(PAGE, params={"organisation": "voirie"}, headers=HTML).text
    assert _stat(by_organisation, "reports") == "3"
    by_commune = client.get(PAGE, params={"commune": "17168"}, headers=HTML).text
    assert _stat(by_commune, "reports") == "1"
    today = utcnow().date()
    recent = client.get(
        PAGE, params={"du": (today - dt.timedelta(days=5)).isoformat()}, headers=HTML
    ).text
    assert _stat(recent, "reports") == "0"
    everything = client.get(PAGE, params={"du": "2020-01-01"}, headers=HTML).text
    assert _stat(everything, "reports") == "6"  # the old one too; never the hidden one


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"du": "pas une date"}, "du"),
        ({"au": "2026-13-45"}, "au"),
        ({"du": "99999-01-01"}, "du"),
        ({"du": "0001-01-01"}, "du"),
        ({"du": "2026-05-01", "au": "2026-04-01"}, "du"),
        ({"categorie": "inconnue"}, "categorie"),
        ({"organisation": "x" * 5000}, "organisation"),
        ({"commune": "99999"}, "commune"),
    ],
)
def test_bad_filters_are_named_never_a_500(
    client: TestClient, reports: dict[str, Report], params: dict[str, str], field: str
) -> None:
    response = client.get(PAGE, params=params, headers=HTML)
    assert response.status_code == 422
    assert f'href="#{field}"' in response.text
    assert f'id="{field}-error"' in response.text
    # The rest of the page still works with the filter left out.
    assert 'id="stat-reports"' in response.text
    export = client.get(PAGE + ".csv", params=params)
    assert export.status_code == 422


def test_csv_export_is_anonymised_and_spreadsheet_friendly(
    client: TestClient, reports: dict[str, Report]
) -> None:
    response = client.get(PAGE + ".csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    assert response.content.startswith("\ufeff".encode())
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert len(header) == 12
    assert len(body) == 5
    ids = {int(row[0]) for row in body}
    assert ids == {reports[n].id for n in ("p1", "p2", "p3", "d1", "d2")}
    first = next(row for row in body if int(row[0]) == reports["p2"].id)
    assert first[1] == "Nid-de-poule"
    assert first[3] == "17299"
    assert first[4] == "Rochefort"
    assert first[10] == "2,00"
    assert first[11] == "10,00"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", first[6])
    pending = next(row for row in body if int(row[0]) == reports["d2"].id)
    assert pending[7:] == ["", "", "", "", ""]
    for secret in ("Marie Secret", "prive.example.fr", "06 39 98", "Texte privé", "anonyme@"):
        assert secret not in text
    filtered = client.get(PAGE + ".csv", params={"categorie": "nid-de-poule"})
    assert len(filtered.content.decode("utf-8-sig").strip().splitlines()) == 1 + 3


def test_csv_cells_that_spreadsheets_would_run_are_defused(
    client: TestClient, db: Session, reports: dict[str, Report], territory: Territory
) -> None:
    territory.pothole.name = '=HYPERLINK("http://x")'
    db.flush()
    text = client.get(PAGE + ".csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=HYPERLINK" not in text
    assert ";=HYPERLINK" not in text


def _fact(**fields: object) -> SimpleNamespace:
    base = dict(
        id=1,
        category_id=1,
        organisation_id=1,
        commune_code="17299",
        status="open",
        close_reason=None,
        duplicate_of_id=None,
        created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        confirmed_at=None,
        acknowledged_at=None,
        fixed_at=None,
        closed_at=None,
        lat=45.93,
        lon=-0.96,
    )
    base.update(fields)
    return SimpleNamespace(**base)


def test_delays_start_at_publication_and_duplicates_leave_the_fix_rate() -> None:
    created = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    confirmed = created + dt.timedelta(hours=12)
    fact = _fact(
        confirmed_at=confirmed,
        acknowledged_at=confirmed + dt.timedelta(days=2),
        fixed_at=confirmed + dt.timedelta(days=5),
        status="fixed",
    )
    assert figures.days_to_acknowledge(fact) == pytest.approx(2.0)
    assert figures.days_to_fix(fact) == pytest.approx(5.0)
    group = figures.Delays("1", "x")
    group.add(fact)
    group.add(_fact(status="closed", close_reason="duplicate", duplicate_of_id=1))
    group.add(_fact())
    assert group.fix_rate == pytest.approx(0.5)
    assert figures.days_to_fix(_fact(fixed_at=created - DAY)) is None  # inconsistent: ignored


def test_heat_levels_and_legend() -> None:
    assert figures.heat_levels(3) == [1, 2, 3]
    assert figures.heat_levels(40) == [1, 4, 10, 20, 30]
    facts = [_fact(lat=45.9301, lon=-0.9601) for _ in range(40)] + [_fact(lat=46.0, lon=-1.1)]
    cells, legend = figures.heat_map(facts, {"17299": "Rochefort"})
    assert [c.count for c in cells] == [40, 1]
    assert cells[0].colour == figures.HEAT_COLOURS[-1]
    assert cells[1].colour == figures.HEAT_COLOURS[0]
    assert [label for _colour, label in legend] == ["1–3", "4–9", "10–19", "20–29", "30–40"]
    few, few_legend = figures.heat_map([_fact(), _fact()], {})
    assert few[0].colour == figures.HEAT_COLOURS[-1]
    assert [label for _c, label in few_legend] == ["1", "2"]
    assert figures.heat_map([_fact(lat=None, lon=None)], {}) == ([], [])
