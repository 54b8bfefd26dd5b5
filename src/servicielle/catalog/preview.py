"""What a dataset page shows of the data: a sortable, paged table and a small chart."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from servicielle.catalog.fields import Field, FieldType
from servicielle.catalog.models import Dataset, Resource, ResourceStatus
from servicielle.catalog.odsql import QueryError, QueryParams, compile_query
from servicielle.catalog.published import rows_source

ROWS = 20
CHART_BARS = 12
NUMERIC = (FieldType.INTEGER, FieldType.DOUBLE)


@dataclass
class Table:
    """One page of the first table of a dataset."""

    resource: Resource
    fields: list[Field]
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    sort: str
    has_geo: bool


def first_table(dataset: Dataset) -> Resource | None:
    """The resource whose rows the page shows."""
    for resource in dataset.resources:
        if resource.datastore_active and resource.status == ResourceStatus.PUBLISHED:
            return resource
    return None


def table(session: Session, dataset: Dataset, *, sort: str, page: int) -> Table | None:
    """A page of rows; an unknown sort falls back to the file's order."""
    resource = first_table(dataset)
    if resource is None:
        return None
    source, fields = rows_source(resource)
    shown = [f for f in fields if f.type != FieldType.GEO_SHAPE]
    names = {f.name for f in shown if not f.is_geo}
    column = sort.removeprefix("-")
    order = f"{column} {'desc' if sort.startswith('-') else 'asc'}" if column in names else None
    params = QueryParams(
        select=", ".join(f"`{f.name}`" for f in shown) or None,
        order_by=order,
        limit=ROWS,
        offset=(page - 1) * ROWS,
    )
    try:
        query = compile_query(source, fields, params)
    except QueryError:
        return None
    total = int(session.scalar(query.count_statement) or 0)
    rows = [query.decode(r) for r in session.execute(query.statement)]
    return Table(
        resource=resource,
        fields=shown,
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // ROWS)),
        sort=sort if order else "",
        has_geo=any(f.is_geo for f in fields),
    )


@dataclass
class Chart:
    """Bars: a numeric total per category, or a count when there is no number."""

    title_field: Field
    value_field: Field | None
    bars: list[tuple[str, float]]

    @property
    def maximum(self) -> float:
        """The longest bar."""
        return max((v for _label, v in self.bars), default=0) or 1


def chart(session: Session, dataset: Dataset) -> Chart | None:
    """A bar chart of the first numeric column by the first category column."""
    resource = first_table(dataset)
    if resource is None:
        return None
    source, fields = rows_source(resource)
    categories = [f for f in fields if f.type == FieldType.TEXT]
    numbers = [f for f in fields if f.type in NUMERIC]
    for category in categories:
        value = numbers[0] if numbers else None
        aggregate = f"sum(`{value.name}`)" if value else "count(*)"
        params = QueryParams(
            select=f"{aggregate} as total",
            group_by=f"`{category.name}` as label",
            order_by="total desc",
            limit=CHART_BARS + 1,
        )
        try:
            query = compile_query(source, fields, params)
        except QueryError:
            continue
        groups = int(session.scalar(query.count_statement) or 0)
        # A category with as many values as rows (a name, an id) makes no chart.
        if groups < 2 or groups > 40 or (resource.row_count and groups >= resource.row_count):
            continue
        rows = [query.decode(r) for r in session.execute(query.statement)]
        bars = [(str(r["label"]), float(r["total"] or 0)) for r in rows[:CHART_BARS]]
        return Chart(title_field=category, value_field=value, bars=bars)
    return None
