"""CSRF protection for HTML forms: a per-browser secret in a cookie, echoed in each form."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from servicielle.core.errors import Forbidden
from servicielle.core.i18n import _

CSRF_COOKIE = "sv_csrf"
CSRF_FIELD = "csrf_token"


def csrf_token(request: Request) -> str:
    """The browser's CSRF token, minted (and set as a cookie on render) when missing."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    return token


async def verify_csrf(request: Request) -> None:
    """Reject a form post whose token does not match the browser's cookie."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(sent, cookie):
        raise Forbidden(_("The form has expired. Reload the page and try again."))


CsrfChecked = Annotated[None, Depends(verify_csrf)]
