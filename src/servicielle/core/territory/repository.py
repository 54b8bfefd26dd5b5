"""Queries over communes, geozones and organisations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from servicielle.core.territory.models import Commune, GeoZone, Organisation, OrganisationKind


class TerritoryRepository:
    """Reads of the territory's communes and geozones."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def communes(self) -> Sequence[Commune]:
        """Every commune, by name."""
        return self.session.scalars(select(Commune).order_by(Commune.name)).all()

    def commune_summaries(self) -> Sequence[Row[str, str, int]]:
        """Code, name and population of every commune, largest first, without outlines."""
        return self.session.execute(
            select(Commune.insee_code, Commune.name, Commune.population).order_by(
                Commune.population.desc(), Commune.name
            )
        ).all()

    def commune(self, insee_code: str) -> Commune | None:
        """The commune with this INSEE code."""
        return self.session.get(Commune, insee_code)

    def geozones(self) -> Sequence[GeoZone]:
        """Every geozone, by name."""
        return self.session.scalars(select(GeoZone).order_by(GeoZone.name)).all()

    def geozone_by_slug(self, slug: str) -> GeoZone | None:
        """The geozone with this slug."""
        return self.session.scalars(select(GeoZone).where(GeoZone.slug == slug)).first()

    def fingerprint(self) -> tuple[Any, ...]:
        """Counts and last modification of both tables: changes whenever the map does."""
        row = self.session.execute(
            select(
                select(func.count()).select_from(Commune).scalar_subquery(),
                select(func.max(Commune.modified_at)).scalar_subquery(),
                select(func.count()).select_from(GeoZone).scalar_subquery(),
                select(func.max(GeoZone.modified_at)).scalar_subquery(),
            )
        ).one()
        return tuple(row)


class OrganisationRepository:
    """Reads of organisations."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def list(self, kind: OrganisationKind | None = None) -> Sequence[Organisation]:
        """Organisations by name, optionally of one kind."""
        statement = select(Organisation).order_by(Organisation.name)
        if kind is not None:
            statement = statement.where(Organisation.kind == kind)
        return self.session.scalars(statement).all()

    def get(self, organisation_id: int) -> Organisation | None:
        """The organisation with this id."""
        return self.session.get(Organisation, organisation_id)

    def by_slug(self, slug: str) -> Organisation | None:
        """The organisation with this slug."""
        return self.session.scalars(select(Organisation).where(Organisation.slug == slug)).first()

    def by_ids(self, ids: set[int]) -> Sequence[Organisation]:
        """The organisations among ``ids``."""
        if not ids:
            return []
        return self.session.scalars(
            select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
        ).all()
