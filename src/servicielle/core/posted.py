"""Posted forms: read once within a size limit, CSRF checked, shared by the route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.exceptions import HTTPException
from starlette.datastructures import FormData

from servicielle.core.bodies import capped
from servicielle.core.csrf import verify_csrf
from servicielle.core.errors import BadRequest
from servicielle.core.i18n import _

# Text forms only: the longest field is a process description (20,000 characters, up to four
# bytes each once encoded), the most numerous the ticked geozones and proposals.
MAX_FORM_BYTES = 512 * 1024
MAX_FIELDS = 1000


async def posted_form(request: Request) -> FormData:
    """The posted form, read within the size limit, once its CSRF token is checked."""
    # Reading through ``capped`` before anything else reads the body: the CSRF check and the
    # route then share this parsed form (FastAPI caches a dependency per request).
    limited = capped(request, MAX_FORM_BYTES)
    try:
        form = await limited.form(max_files=0, max_fields=MAX_FIELDS)
    except HTTPException:
        raise BadRequest(_("The form could not be read: send it again.")) from None
    await verify_csrf(limited)
    return form


async def csrf_checked(form: Annotated[FormData, Depends(posted_form)]) -> None:
    """Check the CSRF token of a post whose fields the route does not need."""


Posted = Annotated[FormData, Depends(posted_form)]
CsrfChecked = Annotated[None, Depends(csrf_checked)]
