"""What the public proposal pages share: the process and proposal lookups, filters, helpers."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, QueryParams
from starlette.exceptions import HTTPException

from servicielle.core.bodies import capped
from servicielle.core.csrf import verify_csrf
from servicielle.core.errors import BadRequest, NotFound
from servicielle.core.i18n import N_, _
from servicielle.core.ids import parse_id, whole_number
from servicielle.core.text import plain
from servicielle.participation.display import euros, iso, local_date, local_datetime
from servicielle.participation.models import Process, Proposal, ProposalState
from servicielle.participation.proposals.answers import STATE_LABELS, state_label
from servicielle.participation.proposals.listing import SORTS, ProposalFilters
from servicielle.participation.proposals.repository import ProcessRepository, ProposalRepository
from servicielle.participation.proposals.similarity import fold

DISPLAY_TIMEZONE = ZoneInfo("Europe/Paris")
PAGE_SIZE = 20
SORT_LABELS = {
    "recent": N_("Most recent"),
    "supports": N_("Most supported"),
    "comments": N_("Most commented"),
    "random": N_("Random"),
}


def shorten(text: str, limit: int = 220) -> str:
    """The first words of a text, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


def helpers() -> dict[str, Any]:
    """Functions every proposal template uses."""
    return {
        "state_label": state_label,
        "local_date": local_date,
        "local_datetime": local_datetime,
        "iso": iso,
        "euros": euros,
        "shorten": shorten,
    }


def small_form(limit: int, max_fields: int) -> Callable[[Request], Awaitable[FormData]]:
    """A dependency reading a posted form without files: capped, CSRF-checked, parsed once."""

    async def read(request: Request) -> FormData:
        # The body is capped before anything is read, and the form parsed here with its limits
        # (the CSRF check would otherwise parse it first, without any).
        request = capped(request, limit)
        try:
            form = await request.form(max_files=0, max_fields=max_fields)
        except HTTPException:
            raise BadRequest(
                _("The form could not be read: it has too many fields or a file.")
            ) from None
        await verify_csrf(request)
        return form

    return read


def published_process(session: Session, slug: str) -> Process:
    """The published process of ``slug``, or NotFound."""
    process = ProcessRepository(session).published(plain(slug)[:120])
    if process is None:
        raise NotFound(_("No participatory process at this address."))
    return process


def public_proposal(session: Session, process: Process, raw_id: str) -> Proposal:
    """A visible proposal of the process from its id as typed in the URL, or NotFound."""
    proposal_id = parse_id(raw_id)
    proposal = ProposalRepository(session).public(process.id, proposal_id) if proposal_id else None
    if proposal is None:
        raise NotFound(_("No proposal no. %(id)s in this process.") % {"id": plain(raw_id)[:12]})
    return proposal


@dataclass(frozen=True)
class ListQuery:
    """The public list's query string: filters, order, view."""

    category: int | None = None
    geozone: int | None = None
    state: str = ""
    text: str = ""
    sort: str = "recent"
    seed: int = 0
    view: str = "liste"

    def filters(self) -> ProposalFilters:
        """The repository's filters."""
        return ProposalFilters(
            category_id=self.category,
            geozone_id=self.geozone,
            state=self.state,
            text=fold(self.text),
            sort=self.sort,
            seed=self.seed,
        )

    def query(self, **changes: str | int) -> str:
        """The query string giving these choices back (empty ones left out)."""
        pairs: dict[str, str | int | None] = {
            "categorie": self.category,
            "quartier": self.geozone,
            "etat": self.state,
            "q": self.text,
            "tri": self.sort if self.sort != "recent" else "",
            "graine": self.seed if self.sort == "random" else "",
            "vue": self.view if self.view != "liste" else "",
        }
        pairs.update(changes)
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None, 0)})

    @property
    def active(self) -> bool:
        """Whether a filter narrows the list."""
        return bool(self.category or self.geozone or self.state or self.text)


def list_query(params: QueryParams) -> ListQuery:
    """Read the list's query string; what cannot be read is ignored, never an error."""
    sort = params.get("tri", "recent")
    sort = sort if sort in SORTS else "recent"
    seed = whole_number(params.get("graine"), max_digits=9) or 0
    if sort == "random" and not seed:
        # A new visit: a seed of its own, kept in every link of the pages it goes through.
        seed = secrets.randbelow(999_999_999) + 1
    state = params.get("etat", "")
    return ListQuery(
        category=parse_id(params.get("categorie")),
        geozone=parse_id(params.get("quartier")),
        state=state if state in set(ProposalState) else "",
        text=plain(params.get("q", ""))[:200],
        sort=sort,
        seed=seed,
        view="carte" if params.get("vue") == "carte" else "liste",
    )


def state_choices() -> list[tuple[str, str]]:
    """(value, label) of the state filter."""
    return [(str(state), _(label)) for state, label in STATE_LABELS.items()]


def sort_choices() -> list[tuple[str, str]]:
    """(value, label) of the orders."""
    return [(key, _(label)) for key, label in SORT_LABELS.items()]
