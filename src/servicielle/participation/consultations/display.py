"""What consultation pages share: the document's paragraphs, state labels, posted forms."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import HTTPException
from markupsafe import Markup, escape

from servicielle.core.bodies import capped
from servicielle.core.csrf import verify_csrf
from servicielle.core.errors import BadRequest
from servicielle.core.i18n import N_, _
from servicielle.participation.consultations import dates
from servicielle.participation.consultations.models import Consultation
from servicielle.participation.consultations.service import (
    ConsultationState,
    state_of,
    synthesis_published,
)

# A form of consultations is text only: the longest is a document or a synthesis.
MAX_FORM_BYTES = 1024 * 1024
MAX_FIELDS = 400
STATE_LABELS = {
    ConsultationState.UPCOMING: N_("Consultation upcoming"),
    ConsultationState.OPEN: N_("Consultation open"),
    ConsultationState.CLOSED: N_("Consultation closed"),
}
# "§ 3" in an observation points at the document's third paragraph.
PARAGRAPH_REFERENCE = re.compile(r"§\s?([0-9]{1,4})")


def paragraphs(text: str) -> list[str]:
    """A plain text's paragraphs (separated by blank lines), each with its line breaks."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [block.strip() for block in blocks if block.strip()]


def with_paragraph_links(text: str, count: int) -> Markup:
    """Escaped text where "§ N" links to the document's paragraph N (when it exists)."""
    parts: list[str] = []
    last = 0
    for match in PARAGRAPH_REFERENCE.finditer(text):
        number = int(match.group(1))
        if not 1 <= number <= count:
            continue
        parts.append(str(escape(text[last : match.start()])))
        label = _("paragraph %(n)d of the document") % {"n": number}
        parts.append(
            f'<a href="#paragraphe-{number}">{escape(match.group(0))}'
            f'<span class="visually-hidden"> ({escape(label)})</span></a>'
        )
        last = match.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))


def state_sentence(consultation: Consultation) -> str:
    """ "Open until …", "Opens on …" or "Closed on …"."""
    state = state_of(consultation)
    when = dates.local_datetime(
        consultation.opens_at if state == ConsultationState.UPCOMING else consultation.closes_at
    )
    if state == ConsultationState.UPCOMING:
        return _("Opens on %(date)s") % {"date": when}
    if state == ConsultationState.OPEN:
        return _("Open until %(date)s") % {"date": when}
    return _("Closed on %(date)s") % {"date": when}


def helpers() -> dict[str, Any]:
    """Functions the consultation templates use."""
    return {
        "local_datetime": dates.local_datetime,
        "local_date": dates.local_date,
        "iso": dates.iso,
        "state_of": state_of,
        "state_label": lambda state: _(STATE_LABELS[state]),
        "state_sentence": state_sentence,
        "synthesis_published": synthesis_published,
        "paragraphs": paragraphs,
    }


@dataclass
class PostedForm:
    """A posted text form: each field's first value, and every value of each field."""

    fields: dict[str, str]
    lists: dict[str, list[str]]

    def get(self, name: str, default: str = "") -> str:
        """A field's first value."""
        return self.fields.get(name, default)

    def checked(self, name: str) -> bool:
        """Whether a checkbox was ticked (browsers send nothing for an unticked one)."""
        return bool(self.fields.get(name))


async def read_posted(request: Request) -> PostedForm:
    """Read a text form within a size limit, then check its CSRF token."""
    request = capped(request, MAX_FORM_BYTES)
    try:
        form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    except HTTPException:
        raise BadRequest(_("The form could not be read: send it again.")) from None
    try:
        await verify_csrf(request)
        fields: dict[str, str] = {}
        lists: dict[str, list[str]] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields.setdefault(key, value)
                lists.setdefault(key, []).append(value)
    finally:
        await form.close()
    return PostedForm(fields, lists)


Posted = Annotated[PostedForm, Depends(read_posted)]
