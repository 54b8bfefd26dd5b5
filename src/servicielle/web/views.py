"""Public pages shared by every module: the home page and the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from servicielle.core.accounts.views import safe_next
from servicielle.core.i18n import LOCALE_COOKIE, LOCALES
from servicielle.core.session import DbSession
from servicielle.core.templating import render
from servicielle.core.territory.repository import TerritoryRepository

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession) -> HTMLResponse:
    """The territory on a map, its communes, and the way into each module."""
    # Outlines reach the map through the API; the page only needs names and figures.
    communes = TerritoryRepository(session).commune_summaries()
    return render(
        request,
        "web/home.html",
        {"communes": communes, "population": sum(c.population for c in communes)},
    )


@router.get("/langue/{code}")
def switch_language(code: str, next: str = "/") -> RedirectResponse:
    """Remember the chosen language and go back to the page."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in LOCALES:
        response.set_cookie(LOCALE_COOKIE, code, samesite="lax", max_age=365 * 86400)
    return response
