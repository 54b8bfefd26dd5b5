"""Rules of processes and phases: slugs, settings, dated phases that never overlap, follows.

Typed functions (``create_process``, ``update_process``, ``add_phase``, ``update_phase``) hold
the rules, for the back office and the demo alike; ``*_from_form`` read a form's strings
first. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from servicielle.core.accounts.models import User
from servicielle.core.errors import InvalidInput, NotFound
from servicielle.core.i18n import _
from servicielle.core.modules import get_registry
from servicielle.participation.models import (
    Feature,
    Follow,
    FollowTarget,
    Phase,
    PhaseKind,
    Process,
)
from servicielle.participation.phases import default_features
from servicielle.participation.processes.display import phase_name
from servicielle.participation.processes.forms import PARIS, FormReader
from servicielle.participation.processes.repository import FollowRepository, ProcessRepository

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,118}[a-z0-9])?$")
# Words under /participation/ that name pages, not processes: a process called so would be
# unreachable or would hide the page. Segments of mounted routes are added at run time.
RESERVED_SLUGS = frozenset(
    {
        "notifications",
        "propositions",
        "consultations",
        "budget",
        "budgets",
        "resultats",
        "realisations",
        "suivre",
        "suivi",
        "nouveau",
        "nouvelle",
        "admin",
        "api",
        "carte",
        "recherche",
        "recu",
        "static",
    }
)
MAX_TEXT = 20_000
MAX_SETTING = 1_000_000


@lru_cache
def reserved_slugs() -> frozenset[str]:
    """Words a process slug may not be: ours, and the fixed segments of other routes."""
    found = set(RESERVED_SLUGS)
    for manifest in get_registry().manifests:
        for router in manifest.pages:
            for route in router.routes:
                parts = str(getattr(route, "path", "")).strip("/").split("/")
                if len(parts) >= 2 and parts[0] == "participation" and "{" not in parts[1]:
                    found.add(parts[1])
    return frozenset(found)


@dataclass
class ProcessFields:
    """What an agent sets on a process."""

    slug: str
    title: str
    summary: str = ""
    description: str = ""
    scope: list[str] = field(default_factory=list)
    published: bool = False
    support_threshold: int | None = None
    support_expiry_days: int | None = None
    flags_to_hide: int = 3
    proposals_per_hour: int = 5
    comments_per_hour: int = 20


def _slug_error(session: Session, slug: str, own_id: int | None) -> str | None:
    if not SLUG.match(slug):
        return _(
            "Lower-case letters without accents, digits and dashes only (not at the start "
            "or the end), 120 at most."
        )
    if slug in reserved_slugs():
        return _("This word names a page of the site: choose another slug.")
    existing = ProcessRepository(session).by_slug(slug)
    if existing is not None and existing.id != own_id:
        return _("Another process already has this slug.")
    return None


def _scope_error(session: Session, scope: Collection[str]) -> str | None:
    known = {zone.slug for zone in ProcessRepository(session).geozones()}
    if any(slug not in known for slug in scope):
        return _("Choose geozones of the territory.")
    return None


def _apply_process(session: Session, process: Process | None, fields: ProcessFields) -> Process:
    errors: dict[str, str] = {}
    own_id = process.id if process is not None else None
    if (message := _slug_error(session, fields.slug, own_id)) is not None:
        errors["slug"] = message
    if not fields.title.strip():
        errors["title"] = _("This field is required.")
    if (message := _scope_error(session, fields.scope)) is not None:
        errors["scope"] = message
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    values: dict[str, Any] = {
        **fields.__dict__,
        "scope": sorted(dict.fromkeys(fields.scope)),
    }
    if process is None:
        process = Process(**values)
        session.add(process)
    else:
        for name, value in values.items():
            setattr(process, name, value)
    session.flush()
    return process


def create_process(session: Session, **fields: Any) -> Process:
    """Create a process from ``ProcessFields``'s keywords (slug, title, scope...)."""
    return _apply_process(session, None, ProcessFields(**fields))


def update_process(session: Session, process: Process, **fields: Any) -> Process:
    """Change some of a process's settings; ``fields`` are ``ProcessFields``'s keywords."""
    current = {name: getattr(process, name) for name in ProcessFields.__dataclass_fields__}
    return _apply_process(session, process, ProcessFields(**{**current, **fields}))


def process_from_form(
    session: Session, process: Process | None, values: Mapping[str, str], scope: Iterable[str]
) -> Process:
    """Create (``process`` None) or update a process from the back-office form."""
    form = FormReader(values)
    fields = ProcessFields(
        slug=form.text("slug", 120, required=True).lower(),
        title=form.text("title", 200, required=True),
        summary=form.text("summary", 500),
        description=form.text("description", MAX_TEXT, lines=True),
        scope=[str(slug)[:120] for slug in scope],
        published=form.flag("published"),
        support_threshold=form.integer("support_threshold", low=1, high=MAX_SETTING),
        support_expiry_days=form.integer("support_expiry_days", low=1, high=3650),
        flags_to_hide=form.integer("flags_to_hide", low=1, high=1000, required=True) or 3,
        proposals_per_hour=form.integer("proposals_per_hour", low=1, high=1000, required=True) or 5,
        comments_per_hour=form.integer("comments_per_hour", low=1, high=1000, required=True) or 20,
    )
    own_id = process.id if process is not None else None
    if "slug" not in form.errors and fields.slug:
        if (message := _slug_error(session, fields.slug, own_id)) is not None:
            form.errors["slug"] = message
    if (message := _scope_error(session, fields.scope)) is not None:
        form.errors["scope"] = message
    form.check()
    return _apply_process(session, process, fields)


# ---------- Phases ----------


def _local(instant: dt.datetime) -> str:
    return instant.astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def _check_phase(
    session: Session,
    process: Process,
    own_id: int | None,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    errors: dict[str, str],
) -> None:
    if ends_at <= starts_at:
        errors["ends_at"] = _("The phase must end after it starts.")
        return
    for other in ProcessRepository(session).phases(process.id):
        if other.id != own_id and starts_at < other.ends_at and other.starts_at < ends_at:
            errors["starts_at"] = _(
                "These dates overlap the phase “%(name)s” (%(start)s – %(end)s): phases of "
                "a process follow one another."
            ) % {
                "name": phase_name(other),
                "start": _local(other.starts_at),
                "end": _local(other.ends_at),
            }
            return


def _apply_phase(
    session: Session,
    process: Process,
    phase: Phase | None,
    *,
    kind: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    title: str = "",
    description: str = "",
    features: Iterable[str] | None = None,
) -> Phase:
    errors: dict[str, str] = {}
    if kind not in set(PhaseKind):
        errors["kind"] = _("Choose one of the options.")
    chosen = default_features(kind) if features is None and not errors else list(features or ())
    if any(feature not in set(Feature) for feature in chosen):
        errors["features"] = _("Choose one of the options.")
    _check_phase(session, process, phase.id if phase else None, starts_at, ends_at, errors)
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    values: dict[str, Any] = {
        "kind": kind,
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "features": [str(f) for f in Feature if f in chosen],
    }
    if phase is None:
        phase = Phase(process_id=process.id, **values)
        session.add(phase)
    else:
        for name, value in values.items():
            setattr(phase, name, value)
    session.flush()
    return phase


def add_phase(
    session: Session,
    process: Process,
    *,
    kind: PhaseKind | str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    title: str = "",
    description: str = "",
    features: Iterable[Feature | str] | None = None,
) -> Phase:
    """Add a dated phase; ``features`` None: the kind's defaults. Overlaps are refused."""
    return _apply_phase(
        session,
        process,
        None,
        kind=str(kind),
        starts_at=starts_at,
        ends_at=ends_at,
        title=title,
        description=description,
        features=None if features is None else [str(f) for f in features],
    )


def update_phase(session: Session, process: Process, phase: Phase, **values: Any) -> Phase:
    """Change some of a phase's settings; ``values`` are ``add_phase``'s keywords."""
    names = ("kind", "starts_at", "ends_at", "title", "description", "features")
    current = {name: getattr(phase, name) for name in names}
    merged = {**current, **values}
    merged["kind"] = str(merged["kind"])
    merged["features"] = [str(f) for f in merged["features"]]
    return _apply_phase(session, process, phase, **merged)


def phase_from_form(
    session: Session,
    process: Process,
    phase: Phase | None,
    values: Mapping[str, str],
    features: Iterable[str],
) -> Phase:
    """Create (``phase`` None) or update a phase from the back-office form."""
    form = FormReader(values)
    kind = form.choice("kind", [str(k) for k in PhaseKind])
    title = form.text("title", 200)
    description = form.text("description", MAX_TEXT, lines=True)
    starts_at = form.local_datetime("starts_at")
    ends_at = form.local_datetime("ends_at")
    chosen = [str(f)[:20] for f in features]
    if any(f not in set(Feature) for f in chosen):
        form.errors["features"] = _("Choose one of the options.")
    if starts_at is not None and ends_at is not None:
        _check_phase(session, process, phase.id if phase else None, starts_at, ends_at, form.errors)
    form.check()
    assert starts_at is not None  # checked above
    assert ends_at is not None
    return _apply_phase(
        session,
        process,
        phase,
        kind=kind,
        starts_at=starts_at,
        ends_at=ends_at,
        title=title,
        description=description,
        features=chosen,
    )


def delete_phase(session: Session, phase: Phase) -> None:
    """Remove a phase."""
    session.delete(phase)
    session.flush()


# ---------- Follows ----------


def follow_process(session: Session, user: User, process: Process) -> Follow:
    """Follow a process (again: nothing changes)."""
    repository = FollowRepository(session)
    existing = repository.of_process(user.id, process.id)
    if existing is not None:
        return existing
    follow = Follow(user_id=user.id, target=FollowTarget.PROCESS, target_id=process.id)
    try:
        with session.begin_nested():
            session.add(follow)
            session.flush()
    except IntegrityError:
        # A double click raced us: the other request's follow stands.
        found = repository.of_process(user.id, process.id)
        if found is None:
            raise
        return found
    return follow


def unfollow_process(session: Session, user: User, process: Process) -> None:
    """Stop following a process (not following: nothing changes)."""
    existing = FollowRepository(session).of_process(user.id, process.id)
    if existing is not None:
        session.delete(existing)
        session.flush()


def visible_process(session: Session, slug: str, *, preview: bool) -> Process:
    """A published process; unpublished ones only for those who may ``preview``."""
    # A slug no process could have (control characters, capitals...) is looked up nowhere.
    process = ProcessRepository(session).by_slug(slug) if SLUG.match(slug) else None
    if process is None or not (process.published or preview):
        raise NotFound(_("No such participatory process."))
    return process
