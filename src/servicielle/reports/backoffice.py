"""Back office of citizen reports: the queue of one's organisations, bulk actions, flags.

Agents and operators see the reports of their own organisations only; administrators see
them all and filter by organisation. Every change goes through ``bulk``/``lifecycle``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from servicielle.core.accounts.auth import Authorize
from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import ServicielleError
from servicielle.core.i18n import N_, _, ngettext
from servicielle.core.ids import parse_id, whole_number
from servicielle.core.modules import get_registry
from servicielle.core.pagination import Page, PageParams, Pagination
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.repository import OrganisationRepository, TerritoryRepository
from servicielle.reports import bulk
from servicielle.reports.labels import CLOSE_REASON_LABELS, STATUS_LABELS, status_label
from servicielle.reports.lifecycle import AGENT_STATUSES
from servicielle.reports.models import OPEN_STATUSES, CloseReason
from servicielle.reports.queue import (
    STAFF_STATUSES,
    QueueFilters,
    StaffReportRepository,
    age_days,
    filters_from_query,
    is_overdue,
)
from servicielle.reports.repository import CategoryRepository

router = APIRouter(prefix="/signalements")
Handler = Annotated[Principal, Authorize("reports.report.handle")]
QUEUE = "/admin/signalements"
# What a redirect's ``done`` says, by key: (singular, plural) with %(num)d.
DONE = {
    "status": (N_("%(num)d report updated."), N_("%(num)d reports updated.")),
    "assign": (N_("%(num)d report assigned."), N_("%(num)d reports assigned.")),
    "reroute": (N_("%(num)d report re-routed."), N_("%(num)d reports re-routed.")),
}
# Closing reasons an agent chooses; "duplicate" comes only from merging.
AGENT_CLOSE_REASONS = (CloseReason.NOT_RESPONSIBLE, CloseReason.NO_ACTION)


async def posted_form(request: Request) -> FormData:
    """The posted form; Starlette keeps it parsed, so the CSRF check and the route share it."""
    return await request.form()


Posted = Annotated[FormData, Depends(posted_form)]


def fields(form: FormData) -> dict[str, str]:
    """The form's text fields (the last value of each)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


def ids_of(form: FormData, name: str) -> list[int]:
    """Ids posted under ``name`` (ticked boxes); anything no row could have is ignored."""
    found = (parse_id(value) for value in form.getlist(name) if isinstance(value, str))
    return [number for number in found if number is not None]


def int_or_none(value: str | None) -> int | None:
    """A posted id, or None when empty, not a number or beyond any row's id."""
    return parse_id(value)


def section_context(principal: Principal) -> dict[str, Any]:
    """What every back-office page of reports needs: its menu, labels, choices."""
    registry = get_registry()
    return {
        "can_configure": principal.may(registry.permission("reports.admin")),
        "status_label": status_label,
        "status_choices": [(s.value, _(STATUS_LABELS[s])) for s in AGENT_STATUSES],
        "all_status_choices": [(s, _(STATUS_LABELS[s])) for s in STAFF_STATUSES],
        "close_reason_choices": [(r.value, _(CLOSE_REASON_LABELS[r])) for r in AGENT_CLOSE_REASONS],
    }


def done_message(params: Mapping[str, str], messages: Mapping[str, Any]) -> str | None:
    """The confirmation a redirect asked for (a fixed text, never one taken from the URL)."""
    message = messages.get(params.get("done", ""))
    if message is None:
        return None
    if isinstance(message, tuple):
        count = whole_number(params.get("n"), max_digits=6) or 1
        return ngettext(message[0], message[1], count) % {"num": count}
    return _(message)


def _queue_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    filters: QueueFilters,
    paging: PageParams,
    *,
    errors: dict[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    checked: Collection[int] = (),
    status_code: int = 200,
) -> HTMLResponse:
    if not principal.is_admin and filters.organisation_id not in principal.organisation_ids:
        filters = replace(filters, organisation_id=None)
    repository = StaffReportRepository(session, principal)
    items, total = repository.queue(filters, paging)
    organisations = OrganisationRepository(session)
    everyone = organisations.list()
    own = everyone if principal.is_admin else organisations.by_ids(set(principal.organisation_ids))
    member_orgs = set(principal.organisation_ids) | {r.organisation_id for r in items}
    if filters.organisation_id is not None:
        member_orgs.add(filters.organisation_id)
    counts = repository.status_counts(filters)
    categories = CategoryRepository(session).every()
    communes = [
        (code, name) for code, name, _pop in TerritoryRepository(session).commune_summaries()
    ]
    communes.sort(key=lambda pair: pair[1])
    context = {
        "page": Page[Any](
            items=list(items), total=total, page=paging.page, page_size=paging.page_size
        ),
        "filters": filters,
        "query": urlencode(filters.query()),
        "back": urlencode({**filters.query(), "page": paging.page}),
        "counts": counts,
        "open_total": sum(n for status, n in counts.items() if status in OPEN_STATUSES),
        "queue_url": lambda **changes: f"{QUEUE}?{urlencode(filters.query(**changes))}",
        "category_options": [(c.id, c.name) for c in categories],
        "category_names": {c.id: c.name for c in categories},
        "commune_options": communes,
        "commune_names": dict(communes),
        "organisations": own,
        "organisation_options": [(o.id, o.name) for o in own],
        "organisation_names": {o.id: o.name for o in everyone},
        "reroute_options": [(o.id, o.name) for o in everyone],
        "members": repository.members(member_orgs),
        "assignees": repository.user_names({r.assignee_id or 0 for r in items}),
        "ages": {r.id: age_days(r) for r in items},
        "overdue": {r.id for r in items if is_overdue(r)},
        "errors": errors or {},
        "values": values or {},
        "checked": set(checked),
        "flash": done_message(request.query_params, DONE),
        **section_context(principal),
    }
    if context["flash"] is None:
        del context["flash"]
    return render(request, "reports/admin/queue.html", context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request, session: DbSession, paging: Pagination, principal: Handler
) -> HTMLResponse:
    """The reports of one's organisations, oldest first, with filters and bulk actions."""
    filters = filters_from_query(request.query_params)
    return _queue_page(request, session, principal, filters, paging)


@router.post("/lot", response_class=HTMLResponse)
def bulk_action(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    principal: Handler,
    form: Posted,
) -> Response:
    """Change the status of, assign or re-route every ticked report: all of them or none."""
    values = fields(form)
    back = dict(parse_qsl(values.get("back", "")[:2000]))
    filters = filters_from_query(back)
    paging = PageParams(page=min(int_or_none(back.get("page")) or 1, 1_000_000))
    ids = ids_of(form, "ids")
    chosen = values.get("action", "")
    action = bulk.BulkAction(
        action=chosen,
        status=values.get("status", ""),
        note=values.get("reroute_note" if chosen == "reroute" else "note", ""),
        internal_note=values.get("internal_note", ""),
        close_reason=values.get("close_reason") or None,
        assignee=values.get("assignee", ""),
        organisation_id=int_or_none(values.get("organisation")),
    )
    try:
        count = bulk.apply_bulk(session, request.app.state.settings, principal, ids, action)
    except ServicielleError as exc:
        errors = exc.by_field("ids")
        if chosen == "reroute" and "note" in errors:
            errors["reroute_note"] = errors.pop("note")
        return _queue_page(
            request,
            session,
            principal,
            filters,
            paging,
            errors=errors,
            values=values,
            checked=ids,
            status_code=exc.status,
        )
    target = urlencode({**filters.query(), "done": action.action, "n": count})
    return RedirectResponse(f"{QUEUE}?{target}", status_code=303)


@router.get("/abus", response_class=HTMLResponse)
def flags(
    request: Request, session: DbSession, paging: Pagination, principal: Handler
) -> HTMLResponse:
    """Reports people flagged as abusive that no moderator has dealt with yet."""
    rows, total = StaffReportRepository(session, principal).open_flags(paging)
    categories = CategoryRepository(session).by_ids({row.report.category_id for row in rows})
    return render(
        request,
        "reports/admin/flags.html",
        {
            "page": Page[Any](
                items=rows, total=total, page=paging.page, page_size=paging.page_size
            ),
            "category_names": {i: c.name for i, c in categories.items()},
            **section_context(principal),
        },
    )


def routers() -> tuple[APIRouter, ...]:
    """The back office's routers: the queue, one report's page and photos, the settings."""
    # Imported here: they all import this module's shared helpers.
    from servicielle.reports import (
        backoffice_photos,
        backoffice_report,
        backoffice_routing,
        backoffice_settings,
        backoffice_templates,
    )

    return (
        router,
        backoffice_report.router,
        backoffice_photos.router,
        backoffice_settings.router,
        backoffice_routing.router,
        backoffice_templates.router,
    )
