"""Page-number pagination shared by every list endpoint and page."""

from __future__ import annotations

import math
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, ConfigDict

T = TypeVar("T")

MAX_PAGE_SIZE = 100


class PageParams(BaseModel):
    """``page`` (from 1) and ``page_size`` (1 to 100) as the client asked."""

    model_config = ConfigDict(frozen=True)

    page: int = 1
    page_size: int = 20

    @property
    def offset(self) -> int:
        """Rows skipped before this page."""
        return (self.page - 1) * self.page_size


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")] = 20,
) -> PageParams:
    """Read paging from the query string."""
    return PageParams(page=page, page_size=page_size)


Pagination = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """One page of items with the total the client needs to draw a pager."""

    items: list[T]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        """How many pages the whole list spans."""
        return max(1, math.ceil(self.total / self.page_size))
