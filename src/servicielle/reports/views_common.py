"""What the public report pages share: names for ids, dates, filters, the message page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from fastapi import Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from servicielle.core.errors import NotFound
from servicielle.core.i18n import _, get_locale
from servicielle.core.ids import is_id
from servicielle.core.permissions import Principal
from servicielle.core.templating import render
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.core.text import plain
from servicielle.reports import lifecycle
from servicielle.reports.labels import STATUS_LABELS, status_label
from servicielle.reports.models import Report, ReportCategory, ReportStatus
from servicielle.reports.repository import CategoryRepository
from servicielle.reports.schemas import ReportFilters

DISPLAY_TIMEZONE = ZoneInfo("Europe/Paris")
PAGE_SIZE = 20
# Statuses people may filter on: the two Open311 families, then each public one of ours.
STATUS_FILTERS = ("open", "closed") + tuple(
    s.value for s in ReportStatus if s != ReportStatus.UNCONFIRMED
)


def local_date(instant: dt.datetime | None) -> str:
    """A date as people of the territory read it."""
    if instant is None:
        return ""
    return str(format_date(instant.astimezone(DISPLAY_TIMEZONE), "long", locale=get_locale()))


def local_datetime(instant: dt.datetime | None) -> str:
    """A date and time in the territory's time zone."""
    if instant is None:
        return ""
    return str(
        format_datetime(instant, "d MMMM y, HH:mm", tzinfo=DISPLAY_TIMEZONE, locale=get_locale())
    )


def iso(instant: dt.datetime | None) -> str:
    """The machine-readable form of an instant, for ``<time datetime>``."""
    return instant.astimezone(dt.UTC).isoformat() if instant is not None else ""


def shorten(text: str, limit: int = 160) -> str:
    """The first words of a text, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:.") + "…"


def helpers() -> dict[str, Any]:
    """Functions every report template uses."""
    return {
        "status_label": status_label,
        "local_date": local_date,
        "local_datetime": local_datetime,
        "iso": iso,
        "shorten": shorten,
    }


def public_report(session: Session, report_id: int) -> Report:
    """A public report, or NotFound (for ids no row can have too)."""
    if not is_id(report_id):
        raise NotFound(_("No report no. %(id)d.") % {"id": report_id})
    return lifecycle.report_or_404(session, report_id)


def signed_in_email(principal: Principal) -> str:
    """The signed-in person's address, which forms offer by default."""
    return str(principal.user.email) if principal.user is not None else ""


@dataclass
class Names:
    """Display names of the categories, communes and organisations a page mentions."""

    categories: dict[int, ReportCategory] = field(default_factory=dict)
    communes: dict[str, str] = field(default_factory=dict)
    organisations: dict[int, str] = field(default_factory=dict)

    def category(self, category_id: int) -> str:
        """A category's name."""
        found = self.categories.get(category_id)
        return found.name if found is not None else ""

    def commune(self, code: str | None) -> str:
        """A commune's name."""
        return self.communes.get(code or "", "")

    def organisation(self, organisation_id: int | None) -> str:
        """An organisation's name."""
        return self.organisations.get(organisation_id or 0, "")


def names_for(
    session: Session, reports: Sequence[Report], organisation_ids: Iterable[int | None] = ()
) -> Names:
    """The names of everything ``reports`` (and the extra organisations) refer to."""
    communes = {code: name for code, name, _population in commune_choices(session)}
    wanted = {r.organisation_id for r in reports} | {i for i in organisation_ids if i}
    organisations = {o.id: o.name for o in OrganisationRepository(session).by_ids(wanted)}
    categories = CategoryRepository(session).by_ids({r.category_id for r in reports})
    return Names(categories=categories, communes=communes, organisations=organisations)


def commune_choices(session: Session) -> list[tuple[str, str, int]]:
    """(INSEE code, name, population) of every commune, by name."""
    rows = TerritoryRepository(session).commune_summaries()
    return sorted(((r[0], r[1], r[2]) for r in rows), key=lambda r: r[1])


@dataclass(frozen=True)
class ListFilters:
    """The filters of the list and the map, as the query string gives them."""

    category: str = ""
    status: str = ""
    commune: str = ""
    text: str = ""

    def report_filters(self) -> ReportFilters:
        """The repository's filters."""
        return ReportFilters(
            category_codes=[self.category] if self.category else [],
            statuses=[self.status] if self.status else [],
            commune_code=self.commune,
            text=self.text,
        )

    def query(self, **extra: str | int) -> str:
        """The query string that gives these filters back (empty ones left out)."""
        pairs = {
            "categorie": self.category,
            "statut": self.status,
            "commune": self.commune,
            "q": self.text,
            **extra,
        }
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})

    @property
    def active(self) -> bool:
        """Whether any filter narrows the list."""
        return bool(self.category or self.status or self.commune or self.text)


def list_filters(
    categorie: Annotated[str, Query(max_length=64)] = "",
    statut: Annotated[str, Query(max_length=20)] = "",
    commune: Annotated[str, Query(max_length=5)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> ListFilters:
    """Read the filters; an unknown status filters nothing rather than failing."""
    # plain(): a NUL byte would make PostgreSQL refuse the whole query.
    return ListFilters(
        category=plain(categorie),
        status=statut if statut in STATUS_FILTERS else "",
        commune=plain(commune),
        text=plain(q),
    )


def status_filter_choices() -> list[tuple[str, str]]:
    """(value, label) of the status filter."""
    return [("open", _("Open (all stages)")), ("closed", _("Closed (fixed or not)"))] + [
        (status, _(STATUS_LABELS[status])) for status in STATUS_FILTERS[2:]
    ]


def message_page(
    request: Request,
    *,
    title: str,
    message: str,
    links: Sequence[tuple[str, str]] = (),
    notice: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """A page telling the visitor what happened, with the next steps as links."""
    return render(
        request,
        "reports/message.html",
        {"title": title, "message": message, "links": list(links), "notice": notice},
        status_code=status_code,
        headers=headers,
    )


def link_expired(request: Request) -> HTMLResponse:
    """The 404 page of an emailed link that is wrong, expired or about something gone."""
    return message_page(
        request,
        title=_("This link has expired"),
        message=_(
            "The link you followed is invalid or has expired. Links in our emails are valid for "
            "a limited time: ask for a new one from the report's page."
        ),
        links=[("/signalements", _("See the reports"))],
        status_code=404,
    )
