"""The report form in two steps, usable without JavaScript (only the map pin needs it).

Step 1 (``/signalements/nouveau``) asks where and what; it is a GET form, so step 2
(``/signalements/nouveau/details``) can be bookmarked and the back button works. Step 2
shows who will receive the report and the open reports of the same category nearby, then
asks the details, photos and contact; it posts (multipart, CSRF) to the same URL, which
``views_submit`` handles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from itertools import groupby
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from servicielle.core.accounts.auth import CurrentPrincipal
from servicielle.core.errors import InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.pagination import PageParams
from servicielle.core.permissions import Principal
from servicielle.core.photos import MAX_PHOTOS
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.models import Organisation
from servicielle.core.text import plain
from servicielle.reports import service
from servicielle.reports.models import Report, ReportCategory
from servicielle.reports.repository import CategoryRepository, ReportRepository
from servicielle.reports.routing import Placement, route
from servicielle.reports.schemas import MAX_DESCRIPTION, ReportDraft, ReportFilters
from servicielle.reports.views_common import (
    commune_choices,
    helpers,
    names_for,
    signed_in_email,
)

router = APIRouter()
POINT_SOURCES = ("map", "device")
NEARBY_RADIUS_M = 250
MAX_ADDRESS = 300


@dataclass(frozen=True)
class Where:
    """Step 1's answers, carried to step 2 in the query string, then in hidden fields."""

    category: str = ""
    lat: str = ""
    lon: str = ""
    located_by: str = ""
    commune: str = ""
    address_string: str = ""

    def __post_init__(self) -> None:
        # Without control characters: a NUL byte would make PostgreSQL refuse the queries.
        for f in fields(self):
            object.__setattr__(self, f.name, plain(getattr(self, f.name)))

    @classmethod
    def from_form(cls, values: dict[str, str]) -> Where:
        """Step 1's answers from a posted form."""
        return cls(**{f.name: values.get(f.name, "")[:1000] for f in fields(cls)})

    def query(self) -> str:
        """The query string that gives these answers back."""
        return urlencode({f.name: getattr(self, f.name) for f in fields(self)})

    @property
    def empty(self) -> bool:
        """Whether nothing was answered (someone opened step 2's address directly)."""
        return not any(getattr(self, f.name) for f in fields(self))


@dataclass(frozen=True)
class Checked:
    """Step 1's answers once understood: the category, the place and who receives it."""

    category: ReportCategory
    placement: Placement
    organisation: Organisation
    located_by: str


def _coordinate(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def check_where(session: Session, where: Where) -> Checked:
    """Understand step 1, or InvalidInput naming what to correct (by the form's field ids)."""
    errors: dict[str, str] = {}
    category: ReportCategory | None = None
    if not where.category.strip():
        errors["category"] = _("Choose what the problem is.")
    else:
        try:
            category = service.category_for(session, where.category)
        except NotFound as exc:
            errors["category"] = exc.detail
    try:
        lat, lon = _coordinate(where.lat), _coordinate(where.lon)
    except ValueError:
        lat = lon = None
        errors["location"] = _("The point on the map could not be read: place it again.")
    has_point = lat is not None and lon is not None
    address = where.address_string.strip()
    if len(address) > MAX_ADDRESS:
        errors["address_string"] = _("The address may not exceed 300 characters.")
    if "location" not in errors and not has_point:
        if not where.commune.strip():
            errors["location"] = _(
                "Say where the problem is: place the pin on the map, or choose a commune "
                "and type an address."
            )
        elif not address:
            errors["address_string"] = _(
                "Type the address or a landmark, so that the team can find the place."
            )
    placement: Placement | None = None
    if not errors:
        draft = ReportDraft(
            category_code=where.category,
            lat=lat if has_point else None,
            lon=lon if has_point else None,
            commune_code="" if has_point else where.commune.strip(),
            address_string=address,
        )
        try:
            placement = service.locate(session, draft)
        except InvalidInput as exc:
            errors["location" if has_point else "commune"] = exc.detail
    if errors or category is None or placement is None:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    try:
        organisation = route(session, category, placement)
    except InvalidInput as exc:
        raise InvalidInput.on_field("category", exc.detail) from None
    located_by = where.located_by if where.located_by in POINT_SOURCES else "map"
    return Checked(category, placement, organisation, located_by if has_point else "commune")


def where_page(
    request: Request,
    session: Session,
    where: Where,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Step 1, with the answers given so far and what to correct."""
    categories = CategoryRepository(session).active()
    groups = [(group, list(items)) for group, items in groupby(categories, key=lambda c: c.group)]
    return render(
        request,
        "reports/new_where.html",
        {
            "where": where,
            "groups": groups,
            "communes": commune_choices(session),
            "errors": errors or {},
        },
        status_code=status_code,
    )


def _nearby(session: Session, checked: Checked) -> list[tuple[Report, float | None]]:
    repository = ReportRepository(session)
    placement = checked.placement
    if checked.located_by in POINT_SOURCES and placement.lat is not None:
        assert placement.lon is not None
        return [
            (report, distance)
            for report, distance in repository.nearby_open(
                checked.category.id, placement.lat, placement.lon, NEARBY_RADIUS_M
            )
        ]
    # Placed by commune only: its centre says little, so the commune's open ones are shown.
    reports, _total = repository.search(
        ReportFilters(
            category_codes=[checked.category.code],
            statuses=["open"],
            commune_code=placement.commune_code or "",
        ),
        PageParams(page=1, page_size=5),
    )
    return [(report, None) for report in reports]


def details_page(
    request: Request,
    session: Session,
    principal: Principal,
    where: Where,
    checked: Checked,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Step 2: the receiver, similar reports, the form (values and errors kept)."""
    nearby = _nearby(session, checked)
    return render(
        request,
        "reports/new_details.html",
        {
            "where": where,
            "checked": checked,
            "questions": CategoryRepository(session).questions(checked.category.id),
            "nearby": nearby,
            "names": names_for(session, [r for r, _d in nearby]),
            "values": {"email": signed_in_email(principal), **(values or {})},
            "errors": errors or {},
            "max_description": MAX_DESCRIPTION,
            "max_photos": MAX_PHOTOS,
            "radius": NEARBY_RADIUS_M,
            "follow_email": signed_in_email(principal),
            **helpers(),
        },
        status_code=status_code,
    )


@router.get("/nouveau", response_class=HTMLResponse)
def new_report(
    request: Request,
    session: DbSession,
    category: Annotated[str, Query(max_length=64)] = "",
    lat: Annotated[str, Query(max_length=40)] = "",
    lon: Annotated[str, Query(max_length=40)] = "",
    located_by: Annotated[str, Query(max_length=10)] = "",
    commune: Annotated[str, Query(max_length=20)] = "",
    address_string: Annotated[str, Query(max_length=1000)] = "",
) -> HTMLResponse:
    """Step 1: where the problem is and what it is (answers given back when changing them)."""
    where = Where(category, lat, lon, located_by, commune, address_string)
    return where_page(request, session, where)


@router.get("/nouveau/details", response_class=HTMLResponse)
def report_details(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    category: Annotated[str, Query(max_length=64)] = "",
    lat: Annotated[str, Query(max_length=40)] = "",
    lon: Annotated[str, Query(max_length=40)] = "",
    located_by: Annotated[str, Query(max_length=10)] = "",
    commune: Annotated[str, Query(max_length=20)] = "",
    address_string: Annotated[str, Query(max_length=1000)] = "",
) -> Response:
    """Step 2: who receives the report, similar ones nearby, then details and contact."""
    where = Where(category, lat, lon, located_by, commune, address_string)
    if where.empty:
        return RedirectResponse("/signalements/nouveau", status_code=303)
    try:
        checked = check_where(session, where)
    except InvalidInput as exc:
        return where_page(request, session, where, errors=exc.by_field(), status_code=422)
    return details_page(request, session, principal, where, checked)
