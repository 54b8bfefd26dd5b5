"""Proposal categories: add, rename, reorder, delete (their proposals keep going, uncategorised)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from sqlalchemy.orm import Session

from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _
from servicielle.participation.models import ProposalCategory
from servicielle.participation.processes.forms import FormReader
from servicielle.participation.processes.repository import CategoryRepository

MAX_NAME = 120


def slugify(text: str) -> str:
    """A URL-friendly identifier from a name."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:70] or "categorie"


def _free_slug(repository: CategoryRepository, name: str) -> str:
    base = slugify(name)
    slug, number = base, 1
    while repository.by_slug(slug) is not None:
        number += 1
        slug = f"{base}-{number}"
    return slug


def _name(repository: CategoryRepository, values: Mapping[str, str], own_id: int | None) -> str:
    form = FormReader(values)
    name = form.text("name", MAX_NAME, required=True)
    if "name" not in form.errors:
        existing = repository.by_name(name)
        if existing is not None and existing.id != own_id:
            form.errors["name"] = _("Another category already has this name.")
    form.check()
    return name


def add_category(session: Session, name: str) -> ProposalCategory:
    """Add a category at the end of the list."""
    repository = CategoryRepository(session)
    checked = _name(repository, {"name": name}, None)
    last = max((c.position for c in repository.every()), default=-1)
    category = ProposalCategory(
        slug=_free_slug(repository, checked), name=checked, position=last + 1
    )
    session.add(category)
    session.flush()
    return category


def rename_category(session: Session, category: ProposalCategory, name: str) -> ProposalCategory:
    """Give a category another name (its slug, in links, stays)."""
    category.name = _name(CategoryRepository(session), {"name": name}, category.id)
    session.flush()
    return category


def move_category(session: Session, category: ProposalCategory, direction: str) -> None:
    """Move a category one place ``up`` or ``down`` in the list."""
    if direction not in ("up", "down"):
        raise InvalidInput.on_field("direction", _("Choose one of the options."))
    ordered = list(CategoryRepository(session).every())
    index = next(i for i, c in enumerate(ordered) if c.id == category.id)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    # Renumbered each time: positions stay distinct even after deletions or equal values.
    for position, item in enumerate(ordered):
        item.position = position
    session.flush()


def delete_category(session: Session, category: ProposalCategory) -> int:
    """Delete a category; its proposals and projects lose it. The number of proposals."""
    released = CategoryRepository(session).release(category.id)
    session.delete(category)
    session.flush()
    return released
