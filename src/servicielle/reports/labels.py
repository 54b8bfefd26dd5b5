"""Words people read for statuses and closing reasons, in the page's language."""

from __future__ import annotations

from servicielle.core.i18n import N_, _

STATUS_LABELS = {
    "unconfirmed": N_("Awaiting confirmation"),
    "open": N_("Open"),
    "acknowledged": N_("Acknowledged"),
    "planned": N_("Planned"),
    "in_progress": N_("In progress"),
    "fixed": N_("Fixed"),
    "closed": N_("Closed"),
    "reopened": N_("Reopened"),
}
CLOSE_REASON_LABELS = {
    "duplicate": N_("Closed: duplicate of another report"),
    "not_responsible": N_("Closed: not the responsibility of the authority"),
    "no_action": N_("Closed: no action possible"),
}


def status_label(status: str, close_reason: str | None = None) -> str:
    """The translated label of a status, the closing reason said when there is one."""
    if status == "closed" and close_reason in CLOSE_REASON_LABELS:
        return _(CLOSE_REASON_LABELS[close_reason])
    return _(STATUS_LABELS.get(status, status))
