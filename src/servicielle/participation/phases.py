"""Which phase of a process runs now, and what it lets people do."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from servicielle.core.db import utcnow
from servicielle.core.errors import Conflict
from servicielle.core.i18n import N_, _
from servicielle.participation.models import DEFAULT_FEATURES, Feature, Phase, PhaseKind

PHASE_LABELS = {
    PhaseKind.INFORMATION: N_("Information"),
    PhaseKind.PROPOSALS: N_("Proposals"),
    PhaseKind.SUPPORTS: N_("Supports"),
    PhaseKind.EVALUATION: N_("Evaluation"),
    PhaseKind.VOTE: N_("Vote"),
    PhaseKind.RESULTS: N_("Results"),
    PhaseKind.IMPLEMENTATION: N_("Implementation"),
}

# What people are told when they try something the running phase does not allow.
CLOSED_MESSAGES = {
    Feature.PROPOSE: N_("Proposals are not open in this process at the moment."),
    Feature.SUPPORT: N_("Supports are not open in this process at the moment."),
    Feature.COMMENT: N_("Comments are closed in this process at the moment."),
    Feature.ANSWER: N_("Proposals are not being answered in this process at the moment."),
    Feature.VOTE: N_("The vote is not open: ballots are accepted only during the vote phase."),
    Feature.RESULTS: N_("The results are not published yet."),
    Feature.ACCOUNTABILITY: N_("The follow-up of the projects is not published yet."),
}


def default_features(kind: str) -> list[str]:
    """The features a phase of this kind switches on unless told otherwise."""
    return [str(feature) for feature in DEFAULT_FEATURES.get(PhaseKind(kind), ())]


def current_phase(phases: Sequence[Phase], now: dt.datetime | None = None) -> Phase | None:
    """The phase running at ``now``: started, not ended; the latest started if they overlap."""
    moment = now or utcnow()
    running = [phase for phase in phases if phase.starts_at <= moment < phase.ends_at]
    return max(running, key=lambda phase: phase.starts_at) if running else None


def is_on(phases: Sequence[Phase], feature: Feature, now: dt.datetime | None = None) -> bool:
    """Whether the running phase switches ``feature`` on."""
    phase = current_phase(phases, now)
    return phase is not None and feature in phase.features


def require(phases: Sequence[Phase], feature: Feature, now: dt.datetime | None = None) -> None:
    """Refuse, with the reason in words, what the running phase does not allow."""
    if not is_on(phases, feature, now):
        raise Conflict(_(CLOSED_MESSAGES[feature]))
