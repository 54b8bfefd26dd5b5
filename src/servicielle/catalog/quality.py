"""Metadata quality: uData's criteria, plus schema compliance, and the "late update" flag."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from servicielle.catalog.models import Dataset, ResourceKind, ResourceStatus
from servicielle.catalog.vocabularies import FREQUENCIES, LATE_GRACE, LICENCES
from servicielle.core.db import utcnow
from servicielle.core.i18n import N_

DESCRIPTION_MIN = 100
OPEN_FORMATS = frozenset({"csv", "json", "geojson", "parquet", "xlsx", "xml", "ods"})


@dataclass(frozen=True)
class Criterion:
    """One check; ``label`` and ``advice`` are message ids."""

    key: str
    label: str
    advice: str
    passed: bool


@dataclass(frozen=True)
class Quality:
    """The checks of one dataset and what they add up to."""

    criteria: list[Criterion]
    late: bool
    due: dt.datetime | None

    @property
    def score(self) -> int:
        """Percentage of criteria met."""
        return round(100 * sum(c.passed for c in self.criteria) / len(self.criteria))


def next_update_due(dataset: Dataset) -> dt.datetime | None:
    """When the data should next change, judging by its declared frequency."""
    frequency = FREQUENCIES.get(dataset.frequency)
    if frequency is None or frequency.period is None or dataset.live_source:
        return None
    return dataset.data_modified + frequency.period + LATE_GRACE


def assess(dataset: Dataset, now: dt.datetime | None = None) -> Quality:
    """Score ``dataset``'s metadata and freshness."""
    now = now or utcnow()
    published = [r for r in dataset.resources if r.status == ResourceStatus.PUBLISHED]
    tabular = [r for r in published if r.datastore_active or r.report is not None]
    due = next_update_due(dataset)
    late = due is not None and due < now
    licence = LICENCES.get(dataset.licence)
    criteria = [
        Criterion(
            "description",
            N_("Detailed description"),
            N_("Describe the data in at least 100 characters: what, who, how, limits."),
            len(dataset.description.strip()) >= DESCRIPTION_MIN,
        ),
        Criterion(
            "licence",
            N_("Open licence"),
            N_("Choose Licence Ouverte 2.0 or ODbL."),
            bool(licence and licence.is_open),
        ),
        Criterion(
            "frequency",
            N_("Update frequency"),
            N_("Say how often the data is updated."),
            dataset.frequency != "unknown",
        ),
        Criterion(
            "fresh",
            N_("Updated on time"),
            N_("The data is older than its frequency promises: update it."),
            not late,
        ),
        Criterion(
            "temporal",
            N_("Temporal coverage"),
            N_("Give the period the data covers."),
            dataset.temporal_start is not None or dataset.live_source is not None,
        ),
        Criterion(
            "spatial",
            N_("Spatial coverage"),
            N_("Say which communes the data covers."),
            bool(dataset.values("commune")) or dataset.live_source is not None,
        ),
        Criterion(
            "resources", N_("At least one resource"), N_("Add a file or a link."), bool(published)
        ),
        Criterion(
            "open_format",
            N_("Open, machine-readable format"),
            N_("Publish at least one file in CSV, JSON or GeoJSON."),
            any(r.format.lower() in OPEN_FORMATS or r.kind == ResourceKind.LIVE for r in published),
        ),
        Criterion(
            "schema",
            N_("Conforms to a schema"),
            N_("Declare the schema.data.gouv.fr schema your tables follow."),
            bool(tabular) and all(r.schema_name or r.live_source for r in tabular),
        ),
    ]
    return Quality(criteria=criteria, late=late, due=due)
