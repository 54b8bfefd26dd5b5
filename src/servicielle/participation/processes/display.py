"""How processes and phases read on pages: dates on the territory's clock, states in words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from servicielle.core.db import utcnow
from servicielle.core.i18n import N_, _
from servicielle.participation.display import euros, iso, local_date, local_datetime
from servicielle.participation.models import Feature, Phase, PhaseKind, Process
from servicielle.participation.phases import PHASE_LABELS, current_phase

FEATURE_LABELS = {
    Feature.PROPOSE: N_("Write proposals"),
    Feature.SUPPORT: N_("Support proposals"),
    Feature.COMMENT: N_("Comment"),
    Feature.ANSWER: N_("Official answers to proposals"),
    Feature.VOTE: N_("Vote on the budget"),
    Feature.RESULTS: N_("Publish the results"),
    Feature.ACCOUNTABILITY: N_("Publish the follow-up of the projects"),
}


def kind_label(kind: str) -> str:
    """The name of a kind of phase."""
    label = PHASE_LABELS.get(PhaseKind(kind)) if kind in set(PhaseKind) else None
    return _(label) if label else kind


def phase_name(phase: Phase) -> str:
    """The phase's own title, else its kind's name."""
    return phase.title or kind_label(phase.kind)


@dataclass(frozen=True)
class PhaseView:
    """A phase as the timeline shows it."""

    phase: Phase
    name: str
    state: str  # past | running | upcoming
    state_label: str


def timeline(phases: Sequence[Phase], now: dt.datetime | None = None) -> list[PhaseView]:
    """The phases in date order, each said to be over, running or to come."""
    moment = now or utcnow()
    running = current_phase(phases, moment)
    found = []
    for phase in phases:
        if running is not None and phase.id == running.id:
            state, label = "running", _("In progress")
        elif phase.ends_at <= moment:
            state, label = "past", _("Over")
        else:
            state, label = "upcoming", _("To come")
        found.append(PhaseView(phase, phase_name(phase), state, label))
    return found


def next_phase(phases: Sequence[Phase], now: dt.datetime | None = None) -> Phase | None:
    """The first phase still to start."""
    moment = now or utcnow()
    upcoming = [phase for phase in phases if phase.starts_at > moment]
    return min(upcoming, key=lambda phase: phase.starts_at) if upcoming else None


@dataclass(frozen=True)
class Action:
    """Something one can do now in a process: a link and what it is for."""

    href: str
    label: str
    description: str


def actions(process: Process, phase: Phase | None) -> list[Action]:
    """What the running phase lets people do, as links to the pages that do it."""
    if phase is None:
        return []
    on = set(phase.features)
    base = f"/participation/{process.slug}"
    found = []
    if on & {Feature.PROPOSE, Feature.SUPPORT, Feature.COMMENT}:
        doing = []
        if Feature.PROPOSE in on:
            doing.append(_("propose"))
        if Feature.SUPPORT in on:
            doing.append(_("support"))
        if Feature.COMMENT in on:
            doing.append(_("comment"))
        found.append(
            Action(
                f"{base}/propositions",
                _("The proposals"),
                _("Read the proposals, and: %(what)s.") % {"what": ", ".join(doing)},
            )
        )
    if Feature.VOTE in on:
        found.append(
            Action(
                f"{base}/budget",
                _("Vote on the budget"),
                _("Choose the projects you want funded, until %(end)s.")
                % {"end": local_datetime(phase.ends_at)},
            )
        )
    if Feature.RESULTS in on:
        found.append(
            Action(
                f"{base}/resultats",
                _("The results"),
                _("Which projects are funded, and how the count was made."),
            )
        )
    if Feature.ACCOUNTABILITY in on:
        found.append(
            Action(
                f"{base}/realisations",
                _("What became of the projects"),
                _("Progress of the funded projects, step by step."),
            )
        )
    return found


def helpers() -> dict[str, Any]:
    """Functions the participation templates of this area use."""
    return {
        "local_date": local_date,
        "local_datetime": local_datetime,
        "iso": iso,
        "euros": euros,
        "kind_label": kind_label,
        "phase_name": phase_name,
    }
