"""Base repository: every query lives in a repository (DESIGN.md §5, rule 4)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from servicielle.core.db import Base
from servicielle.core.pagination import PageParams

M = TypeVar("M", bound=Base)


class Repository(Generic[M]):
    """Typed queries over one model; subclasses add named queries and a base statement."""

    model: ClassVar[type[Any]]

    def __init__(self, session: Session) -> None:
        self.session = session

    def base_statement(self) -> Select[M]:
        """The statement every read starts from; override to add visibility filters."""
        return select(self.model)

    def get(self, id_: Any) -> M | None:
        """The row with primary key ``id_`` if the base statement lets it through."""
        pk = self.model.__mapper__.primary_key[0]
        return self.session.scalars(self.base_statement().where(pk == id_)).first()

    def one_or_none(self, statement: Select[M]) -> M | None:
        """The single row ``statement`` selects, or None."""
        return self.session.scalars(statement).unique().one_or_none()

    def all(self, statement: Select[M] | None = None) -> Sequence[M]:
        """Every row ``statement`` (default: the base statement) selects."""
        return (
            self.session.scalars(statement if statement is not None else self.base_statement())
            .unique()
            .all()
        )

    def count(self, statement: Select[M] | None = None) -> int:
        """How many rows ``statement`` selects, ignoring its ordering."""
        statement = statement if statement is not None else self.base_statement()
        subquery = statement.order_by(None).subquery()
        return int(self.session.scalar(select(func.count()).select_from(subquery)) or 0)

    def paginate(self, statement: Select[M], params: PageParams) -> tuple[Sequence[M], int]:
        """One page of ``statement`` and the total count."""
        rows = (
            self.session.scalars(statement.limit(params.page_size).offset(params.offset))
            .unique()
            .all()
        )
        return rows, self.count(statement)

    def add(self, obj: M) -> M:
        """Stage ``obj`` and flush so it gets its key; the request commits."""
        self.session.add(obj)
        self.session.flush()
        return obj

    def delete(self, obj: M) -> None:
        """Delete ``obj`` and flush."""
        self.session.delete(obj)
        self.session.flush()
