"""CKAN actions: each takes the call's context and data dict and returns the ``result``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.catalog import resources as resource_service
from servicielle.catalog import service
from servicielle.catalog.ckan.convert import dataset_input, resource_input
from servicielle.catalog.ckan.dictize import organization_dict, package_dict, resource_dict
from servicielle.catalog.models import Resource
from servicielle.catalog.repository import (
    SORT_COLUMNS,
    TERM_FACETS,
    DatasetRepository,
    ResourceRepository,
    SearchCriteria,
)
from servicielle.catalog.vocabularies import LICENCES
from servicielle.config import Settings
from servicielle.core.errors import BadRequest, Forbidden, InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal
from servicielle.core.territory.models import Organisation

ROWS_MAX = 1000
FACETS = ("organization", "tags", "res_format", "license_id", "groups", "commune", "schema")


class SearchQueryError(BadRequest):
    """A ``package_search`` parameter CKAN would reject."""

    type_slug = "search-query"


@dataclass
class Context:
    """What an action may use: the session, settings, caller and site URL."""

    session: Session
    settings: Settings
    principal: Principal
    files: dict[str, resource_service.Upload]

    @property
    def base_url(self) -> str:
        """The site's public URL, without a trailing slash."""
        return self.settings.base_url.rstrip("/")


Action = Callable[[Context, dict[str, Any]], Any]
READ_ACTIONS: dict[str, Action] = {}
WRITE_ACTIONS: dict[str, Action] = {}


def action(*, write: bool = False) -> Callable[[Action], Action]:
    """Register a function as the action of the same name."""

    def register(func: Action) -> Action:
        (WRITE_ACTIONS if write else READ_ACTIONS)[func.__name__] = func
        return func

    return register


def _int(data: dict[str, Any], key: str, default: int, *, low: int = 0) -> int:
    value = data.get(key, default)
    try:
        number = int(value if value not in (None, "") else default)
    except (TypeError, ValueError):
        raise InvalidInput.on_field(key, _("Must be a whole number.")) from None
    if number < low:
        raise InvalidInput.on_field(key, _("Must be {low} or more.").format(low=low))
    return number


def _bool(data: dict[str, Any], key: str, default: bool = False) -> bool:
    value = data.get(key, default)
    if isinstance(value, str):
        return value.lower() in ("true", "1", "yes")
    return bool(value)


def _ref(data: dict[str, Any], key: str = "id") -> str:
    value = data.get(key)
    if not value or not isinstance(value, str):
        raise InvalidInput.on_field(key, _("Missing value"))
    return value


@action()
def status_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The site's description."""
    return {
        "site_title": ctx.settings.site_name,
        "site_description": ctx.settings.territory_name,
        "site_url": ctx.base_url,
        "error_emails_to": None,
        "locale_default": "fr",
        "extensions": ["datastore", "dcat"],
        "ckan_version": "2.11.0",
    }


@action()
def site_read(ctx: Context, data: dict[str, Any]) -> bool:
    """Kept because clients still probe it (removed from CKAN 2.11)."""
    return True


@action()
def package_list(ctx: Context, data: dict[str, Any]) -> list[str]:
    """Names of the listed datasets."""
    limit = data.get("limit")
    return list(
        DatasetRepository(ctx.session, ctx.principal).names(
            include_private=_bool(data, "include_private"),
            include_deleted=_bool(data, "include_deleted"),
            limit=_int(data, "limit", 0) if limit not in (None, "") else None,
            offset=_int(data, "offset", 0),
        )
    )


FILTER = re.compile(r'([+-]?)([A-Za-z_.]+):("(?:[^"\\]|\\.)*"|\S+)')
IGNORED_FILTERS = {"state", "capacity", "dataset_type", "type", "site_id"}


def _filters(text: str, *, param: str) -> tuple[list[tuple[str, str, bool]], str]:
    """``field:value`` clauses of a Solr-style string, and the words left over."""
    filters: list[tuple[str, str, bool]] = []
    for sign, field, raw in FILTER.findall(text):
        value = raw[1:-1].replace('\\"', '"') if raw.startswith('"') else raw
        if field in IGNORED_FILTERS:
            continue
        if field not in TERM_FACETS and field not in (
            "organization",
            "owner_org",
            "license_id",
            "name",
            "id",
            "frequency",
            "community",
            "res_format",
        ):
            raise SearchQueryError(f"Search Query is invalid: unknown field {field!r} in {param}")
        filters.append((field, value, sign == "-"))
    rest = FILTER.sub(" ", text)
    rest = re.sub(r"\b(AND|OR)\b|[()+]", " ", rest)
    return filters, " ".join(rest.split())


def _sort(text: str) -> list[tuple[str, bool]]:
    order = []
    for part in text.split(","):
        words = part.split()
        if not words:
            continue
        key = words[0]
        direction = words[1].lower() if len(words) > 1 else "asc"
        if (key != "score" and key not in SORT_COLUMNS) or direction not in ("asc", "desc"):
            raise SearchQueryError(f"Search Query is invalid: cannot sort by {part.strip()!r}")
        order.append((key, direction == "desc"))
    return order


def _facet_fields(data: dict[str, Any]) -> list[str]:
    raw = data.get("facet.field")
    if raw is None:
        return list(FACETS) if _bool(data, "facet", True) else []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = [raw]
    if not isinstance(raw, list):
        raise SearchQueryError("Search Query is invalid: facet.field must be a list")
    unknown = [f for f in raw if f not in FACETS]
    if unknown:
        raise SearchQueryError(f"Search Query is invalid: unknown facet {unknown[0]!r}")
    return [str(f) for f in raw]


@action()
def package_search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search datasets: ``q``, ``fq``, ``sort``, ``rows``, ``start``, ``facet.field``."""
    q = str(data.get("q") or "").strip()
    filters, text = _filters("" if q in ("*:*", "*") else q, param="q")
    fq = data.get("fq") or ""
    fq_list = data.get("fq_list") or []
    for clause in [fq, *(fq_list if isinstance(fq_list, list) else [fq_list])]:
        more, leftover = _filters(str(clause), param="fq")
        if leftover.strip("* "):
            raise SearchQueryError(f"Search Query is invalid: cannot read {leftover!r} in fq")
        filters.extend(more)
    filters = [
        ("res_format", v.upper(), n) if f == "res_format" else (f, v, n) for f, v, n in filters
    ]
    facets = _facet_fields(data)
    criteria = SearchCriteria(
        text=text,
        filters=filters,
        sort=_sort(str(data.get("sort") or "score desc, metadata_modified desc")),
        rows=min(_int(data, "rows", 10), ROWS_MAX),
        start=_int(data, "start", 0),
        facets=facets,
        facet_limit=_int(data, "facet.limit", 50, low=-1)
        if data.get("facet.limit") != "-1"
        else 1000,
        include_private=_bool(data, "include_private"),
        include_deleted=_bool(data, "include_deleted"),
    )
    result = DatasetRepository(ctx.session, ctx.principal).search(criteria)
    return {
        "count": result.count,
        "results": [package_dict(d, ctx.base_url) for d in result.datasets],
        "sort": data.get("sort") or "score desc, metadata_modified desc",
        "facets": {name: dict(items) for name, items in result.facets.items()},
        "search_facets": {
            name: {
                "title": name,
                "items": [{"name": v, "display_name": v, "count": n} for v, n in items],
            }
            for name, items in result.facets.items()
        },
    }


@action()
def package_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One dataset by id or name."""
    dataset = service.get_visible(ctx.session, ctx.principal, _ref(data))
    return package_dict(dataset, ctx.base_url)


def _sync_resources(ctx: Context, dataset_ref: str, items: Any) -> None:
    if not isinstance(items, list):
        raise InvalidInput.on_field("resources", _("Must be a list."))
    dataset = service.get_editable(ctx.session, ctx.principal, dataset_ref)
    kept = {str(i["id"]) for i in items if isinstance(i, dict) and i.get("id")}
    for resource in list(dataset.resources):
        if resource.id not in kept:
            dataset.resources.remove(resource)
    for item in items:
        if not isinstance(item, dict):
            raise InvalidInput.on_field("resources", _("Each resource must be an object."))
        data = resource_input(item)
        if item.get("id") and any(r.id == item["id"] for r in dataset.resources):
            resource = service.resource_in(dataset, str(item["id"]))
            resource_service.update_resource(
                ctx.session,
                ctx.settings,
                ctx.principal,
                resource,
                data,
                data.model_fields_set,
                None,
            )
        elif data.url:
            resource_service.add_resource(
                ctx.session, ctx.settings, ctx.principal, dataset, data, None
            )
    ctx.session.flush()


@action(write=True)
def package_create(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Create a dataset (and its link resources)."""
    dataset = service.create_dataset(ctx.session, ctx.principal, dataset_input(data, full=True))
    if data.get("resources"):
        _sync_resources(ctx, dataset.id, data["resources"])
    ctx.session.expire(dataset)
    shown: dict[str, Any] = package_show(ctx, {"id": dataset.id})
    return shown


def _update(ctx: Context, data: dict[str, Any], *, full: bool) -> dict[str, Any]:
    ref = str(data.get("id") or data.get("name") or "")
    if not ref:
        raise InvalidInput.on_field("id", _("Missing value"))
    dataset = service.get_editable(ctx.session, ctx.principal, ref)
    values = dataset_input(data, full=full)
    service.update_dataset(ctx.session, ctx.principal, dataset, values, values.model_fields_set)
    if "resources" in data:
        _sync_resources(ctx, dataset.id, data["resources"])
    ctx.session.expire(dataset)
    shown: dict[str, Any] = package_show(ctx, {"id": dataset.id})
    return shown


@action(write=True)
def package_update(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Replace a dataset's metadata (and resources, when given)."""
    return _update(ctx, data, full=True)


@action(write=True)
def package_patch(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change only the given fields of a dataset."""
    return _update(ctx, data, full=False)


@action(write=True)
def package_delete(ctx: Context, data: dict[str, Any]) -> None:
    """Withdraw a dataset."""
    dataset = service.get_editable(ctx.session, ctx.principal, _ref(data))
    service.delete_dataset(ctx.session, dataset)
    return None


def _resource(ctx: Context, ref: str) -> Resource:
    resource = ResourceRepository(ctx.session, ctx.principal).get(ref)
    if resource is None:
        raise NotFound(_("No resource {ref!r}.").format(ref=ref))
    return resource


@action()
def resource_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One resource."""
    return resource_dict(_resource(ctx, _ref(data)), ctx.base_url)


def _refuse_invalid(record: Any) -> None:
    if record is not None and not record.valid:
        messages = resource_service.report_summary(record.report)[:20]
        raise InvalidInput.on_fields(
            _("The file does not pass validation: nothing was published."),
            {"upload": "; ".join(messages) or _("The file could not be read.")},
        )


@action(write=True)
def resource_create(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Add a link, or upload a file (multipart field ``upload``)."""
    dataset = service.get_editable(ctx.session, ctx.principal, _ref(data, "package_id"))
    resource, record = resource_service.add_resource(
        ctx.session,
        ctx.settings,
        ctx.principal,
        dataset,
        resource_input(data),
        ctx.files.get("upload"),
    )
    _refuse_invalid(record)
    return resource_dict(resource, ctx.base_url)


def _resource_update(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    resource = _resource(ctx, _ref(data))
    if not service.may_edit(ctx.principal, resource.dataset):
        raise Forbidden(_("You may not change this resource."))
    values = resource_input(data)
    record = resource_service.update_resource(
        ctx.session,
        ctx.settings,
        ctx.principal,
        resource,
        values,
        values.model_fields_set,
        ctx.files.get("upload"),
    )
    _refuse_invalid(record)
    return resource_dict(resource, ctx.base_url)


@action(write=True)
def resource_patch(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Change a resource's fields or file."""
    return _resource_update(ctx, data)


@action(write=True)
def resource_update(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Same as ``resource_patch`` here: fields left out keep their value."""
    return _resource_update(ctx, data)


@action()
def organization_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """Organisations, as names or (``all_fields``) as dicts."""
    all_fields = _bool(data, "all_fields")
    sort = str(data.get("sort") or "title asc")
    key = sort.split()[0] if sort.split() else "title"
    column = {"name": Organisation.slug, "title": Organisation.name}.get(key, Organisation.name)
    descending = sort.endswith("desc")
    organisations = ctx.session.scalars(
        select(Organisation).order_by(column.desc() if descending else column.asc())
    ).all()
    counts = DatasetRepository(ctx.session, ctx.principal).count_by_organisation()
    if key == "package_count":
        organisations = sorted(organisations, key=lambda o: counts.get(o.id, 0), reverse=descending)
    offset = _int(data, "offset", 0)
    limit = _int(data, "limit", 25 if all_fields else 1000)
    page = organisations[offset : offset + limit]
    if all_fields:
        return [organization_dict(o, ctx.base_url, counts.get(o.id, 0)) for o in page]
    return [o.slug for o in page]


@action()
def organization_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One organisation, with its dataset count (and datasets if asked)."""
    ref = _ref(data)
    statement = select(Organisation).where(Organisation.slug == ref)
    if ref.isdigit():
        statement = select(Organisation).where(Organisation.id == int(ref))
    organisation = ctx.session.scalars(statement).one_or_none()
    if organisation is None:
        raise NotFound(_("No organisation {ref!r}.").format(ref=ref))
    repository = DatasetRepository(ctx.session, ctx.principal)
    out = organization_dict(
        organisation, ctx.base_url, repository.count_by_organisation().get(organisation.id, 0)
    )
    if _bool(data, "include_datasets"):
        found = repository.search(
            SearchCriteria(filters=[("organization", organisation.slug, False)], rows=1000)
        )
        out["packages"] = [package_dict(d, ctx.base_url) for d in found.datasets]
    return out


@action()
def tag_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """Keywords in use (``query`` filters by prefix)."""
    names = DatasetRepository(ctx.session, ctx.principal).keywords(
        str(data.get("query") or "") or None, _int(data, "limit", 1000)
    )
    if _bool(data, "all_fields"):
        return [{"id": n, "name": n, "display_name": n, "vocabulary_id": None} for n in names]
    return list(names)


@action()
def license_list(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The licences datasets may carry."""
    return [
        {
            "id": lic.id,
            "title": lic.title,
            "url": lic.url,
            "od_conformance": "approved" if lic.is_open else "not reviewed",
            "osd_conformance": "not reviewed",
            "status": "active",
            "is_okd_compliant": lic.is_open,
        }
        for lic in LICENCES.values()
    ]


@action()
def help_show(ctx: Context, data: dict[str, Any]) -> str:
    """The docstring of an action."""
    name = _ref(data, "name")
    func = READ_ACTIONS.get(name) or WRITE_ACTIONS.get(name)
    if func is None:
        raise NotFound(_("No action {name!r}.").format(name=name))
    return func.__doc__ or ""
