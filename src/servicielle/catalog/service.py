"""Publishing datasets: create, update, delete, index, moderate. Services only flush."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.catalog import search
from servicielle.catalog.inputs import DatasetInput
from servicielle.catalog.models import (
    Dataset,
    DatasetStatus,
    DatasetTerm,
    Moderation,
    Resource,
    ResourceStatus,
)
from servicielle.catalog.repository import DatasetRepository
from servicielle.catalog.vocabularies import THEMES
from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.modules import get_registry
from servicielle.core.permissions import Principal
from servicielle.core.territory.models import Commune, GeoZone, Organisation

PUBLISH = "catalog.dataset.publish"
PROPOSE = "catalog.dataset.propose"
MODERATE = "catalog.dataset.moderate"


def may(principal: Principal, action: str) -> bool:
    """Whether the principal's roles grant ``action``."""
    return principal.may(get_registry().permission(action))


def may_edit(principal: Principal, dataset: Dataset) -> bool:
    """Publishers edit their organisation's datasets; proposers their own community ones."""
    if dataset.live_source is not None:
        return False
    if principal.is_admin:
        return True
    if dataset.organisation_id is not None:
        return principal.acts_for(dataset.organisation_id) and may(principal, PUBLISH)
    return principal.user is not None and dataset.owner_id == principal.user.id


def get_visible(session: Session, principal: Principal, ref: str) -> Dataset:
    """A dataset the principal may see; otherwise NotFound, so existence does not leak."""
    dataset = DatasetRepository(session, principal).find(ref)
    if dataset is None:
        raise NotFound(_("No dataset {ref!r}.").format(ref=ref))
    return dataset


def get_editable(session: Session, principal: Principal, ref: str) -> Dataset:
    """A dataset the principal may change."""
    dataset = get_visible(session, principal, ref)
    if not may_edit(principal, dataset):
        raise Forbidden(_("You may not change the dataset {ref!r}.").format(ref=ref))
    return dataset


def _organisation(session: Session, ref: str) -> Organisation:
    statement = select(Organisation).where(Organisation.slug == ref)
    if ref.isdigit():
        statement = select(Organisation).where(Organisation.id == int(ref))
    organisation = session.scalars(statement).one_or_none()
    if organisation is None:
        raise InvalidInput.on_field("organisation", _("No organisation {ref!r}.").format(ref=ref))
    return organisation


def set_terms(dataset: Dataset, vocabulary: str, values: list[str]) -> None:
    """Replace the values of one vocabulary on ``dataset``."""
    wanted = list(dict.fromkeys(v[:200] for v in values))
    # Keep rows that stay: the flush inserts before it deletes, so re-adding one would clash.
    kept = [t for t in dataset.terms if t.vocabulary != vocabulary or t.value in wanted]
    present = {t.value for t in kept if t.vocabulary == vocabulary}
    dataset.terms = kept + [
        DatasetTerm(vocabulary=vocabulary, value=v) for v in wanted if v not in present
    ]


def _check_places(session: Session, data: DatasetInput) -> None:
    if data.communes:
        known = set(
            session.scalars(select(Commune.insee_code).where(Commune.insee_code.in_(data.communes)))
        )
        unknown = [c for c in data.communes if c not in known]
        if unknown:
            raise InvalidInput.on_field(
                "communes", _("Unknown INSEE code: {code}.").format(code=unknown[0])
            )
    if data.geozones:
        known = set(session.scalars(select(GeoZone.slug).where(GeoZone.slug.in_(data.geozones))))
        unknown = [z for z in data.geozones if z not in known]
        if unknown:
            raise InvalidInput.on_field(
                "geozones", _("Unknown geozone: {slug}.").format(slug=unknown[0])
            )


def _apply(session: Session, dataset: Dataset, data: DatasetInput, fields: set[str]) -> None:
    _check_places(session, data)
    simple = (
        "title description licence frequency temporal_start temporal_end contact_name "
        "contact_email extras geozones"
    ).split()
    for name in simple:
        if name in fields:
            value = getattr(data, name)
            if name in ("description", "extras", "geozones") and value is None:
                value = {} if name == "extras" else ([] if name == "geozones" else "")
            setattr(dataset, name, value)
    if "status" in fields and data.status:
        dataset.status = DatasetStatus(data.status)
    for name, vocabulary in (("keywords", "keyword"), ("themes", "theme"), ("communes", "commune")):
        if name in fields:
            set_terms(dataset, vocabulary, getattr(data, name) or [])
    if (
        dataset.temporal_start
        and dataset.temporal_end
        and dataset.temporal_end < dataset.temporal_start
    ):
        raise InvalidInput.on_field(
            "temporal_end", _("The end of the period comes before its start.")
        )


def refresh_resource_terms(dataset: Dataset) -> None:
    """Keep the format and schema facets in step with the published resources."""
    published = [r for r in dataset.resources if r.status == ResourceStatus.PUBLISHED]
    set_terms(dataset, "format", [r.format.upper() for r in published if r.format])
    set_terms(dataset, "schema", [r.schema_name for r in published if r.schema_name])


def reindex(session: Session, dataset: Dataset) -> None:
    """Rebuild the text search reads for ``dataset``."""
    organisation = (
        dataset.organisation.name if dataset.organisation_id and dataset.organisation else ""
    )
    body = " ".join(
        [
            dataset.title,
            dataset.title,  # the title counts twice: a match there matters more
            dataset.slug.replace("-", " "),
            dataset.description,
            " ".join(dataset.values("keyword")),
            " ".join(_(THEMES[t]) for t in dataset.values("theme") if t in THEMES),
            organisation,
            dataset.community_author or "",
            " ".join(r.title for r in dataset.resources),
        ]
    )
    search.index_dataset(session, dataset, body)


def create_dataset(session: Session, principal: Principal, data: DatasetInput) -> Dataset:
    """Publish a new dataset: for an organisation, or as a community proposal."""
    missing = {f: _("This field is required.") for f in ("slug", "title") if not getattr(data, f)}
    if missing:
        raise InvalidInput.on_fields(_("Some required fields are empty."), missing)
    assert data.slug
    assert data.title
    repository = DatasetRepository(session, principal)
    if repository.slug_taken(data.slug):
        raise Conflict.on_field("slug", _("That URL is already in use."))
    dataset = Dataset(slug=data.slug, title=data.title, terms=[], resources=[])
    if data.organisation:
        organisation = _organisation(session, data.organisation)
        if not (principal.acts_for(organisation.id) and may(principal, PUBLISH)):
            raise Forbidden(_("You may not publish for {name}.").format(name=organisation.name))
        dataset.organisation_id = organisation.id
        dataset.organisation = organisation
    elif may(principal, PROPOSE):
        # Inhabitants and associations propose; a moderator approves before it shows.
        dataset.is_community = True
        dataset.moderation = Moderation.APPROVED if principal.is_admin else Moderation.PENDING
        dataset.community_author = principal.user.display_name if principal.user else None
    else:
        raise Forbidden(_("Sign in to publish a dataset."))
    dataset.owner_id = principal.user.id if principal.user else None
    _apply(session, dataset, data, data.model_fields_set - {"slug", "organisation"})
    session.add(dataset)
    session.flush()
    reindex(session, dataset)
    session.flush()
    return dataset


def update_dataset(
    session: Session, principal: Principal, dataset: Dataset, data: DatasetInput, fields: set[str]
) -> Dataset:
    """Change the fields named in ``fields``."""
    if "slug" in fields and data.slug and data.slug != dataset.slug:
        if DatasetRepository(session, principal).slug_taken(data.slug, except_id=dataset.id):
            raise Conflict.on_field("slug", _("That URL is already in use."))
        dataset.slug = data.slug
    if "organisation" in fields and data.organisation:
        organisation = _organisation(session, data.organisation)
        if organisation.id != dataset.organisation_id:
            if not principal.acts_for(organisation.id):
                raise Forbidden(_("You may not publish for {name}.").format(name=organisation.name))
            dataset.organisation_id = organisation.id
            dataset.organisation = organisation
    _apply(session, dataset, data, fields - {"slug", "organisation"})
    if "title" in fields and not dataset.title:
        raise InvalidInput.on_field("title", _("This field is required."))
    dataset.modified_at = utcnow()
    reindex(session, dataset)
    session.flush()
    return dataset


def delete_dataset(session: Session, dataset: Dataset) -> None:
    """Withdraw a dataset: kept for history, shown to nobody but its publishers."""
    dataset.status = DatasetStatus.DELETED
    dataset.modified_at = utcnow()
    session.flush()


def moderate(session: Session, dataset: Dataset, decision: Moderation) -> Dataset:
    """Approve or reject a community dataset."""
    if not dataset.is_community:
        raise InvalidInput(_("Only community datasets are moderated."))
    dataset.moderation = decision
    session.flush()
    return dataset


def touch_data(dataset: Dataset) -> None:
    """Record that the data itself changed (freshness is judged on it)."""
    now = utcnow()
    dataset.data_modified = now
    dataset.modified_at = now


def resource_in(dataset: Dataset, resource_id: str) -> Resource:
    """One resource of ``dataset``."""
    for resource in dataset.resources:
        if resource.id == resource_id:
            return resource
    raise NotFound(_("No resource {ref!r}.").format(ref=resource_id))


def input_from_form(values: dict[str, Any]) -> DatasetInput:
    """A DatasetInput from form strings; a bad value names its field."""
    data: dict[str, Any] = {}
    for key, value in values.items():
        if key in ("keywords",):
            data[key] = [v.strip() for v in str(value).split(",") if v.strip()]
        elif key in ("themes", "communes", "geozones"):
            data[key] = (
                value if isinstance(value, list) else [v for v in str(value).split(",") if v]
            )
        else:
            data[key] = value if value != "" else None
    try:
        return DatasetInput.model_validate(data)
    except ValidationError as exc:
        fields = {str(e["loc"][0]) if e["loc"] else "form": e["msg"] for e in exc.errors()}
        raise InvalidInput.on_fields(_("Some values are invalid."), fields) from None
