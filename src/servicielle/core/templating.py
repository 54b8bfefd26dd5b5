"""Jinja2 environment over every module's templates, with gettext and the layout context."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from servicielle.config import Settings
from servicielle.core.csrf import CSRF_COOKIE, CSRF_FIELD, csrf_token
from servicielle.core.i18n import LANGUAGE_NAMES, LOCALES, get_locale, gettext, ngettext
from servicielle.core.modules import ModuleRegistry
from servicielle.core.permissions import ANONYMOUS, Principal


def build_environment(registry: ModuleRegistry, settings: Settings) -> Environment:
    """One environment whose loader searches core then each module's ``templates/``."""
    packages = ["servicielle.core"] + [m.templates for m in registry.manifests if m.templates]
    env = Environment(
        loader=ChoiceLoader([PackageLoader(pkg, "templates") for pkg in dict.fromkeys(packages)]),
        autoescape=select_autoescape(default=True),
        # A misspelt or missing variable is a bug, not an empty string.
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        settings=settings, registry=registry, LOCALES=LOCALES, LANGUAGE_NAMES=LANGUAGE_NAMES
    )
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    return env


def _visible(entries: Any, principal: Principal, registry: ModuleRegistry) -> list[Any]:
    return [
        e
        for e in entries
        if e.permission is None or principal.may(registry.permission(e.permission))
    ]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with the layout context: principal, locale, menus, CSRF token."""
    env: Environment = request.app.state.templates
    registry: ModuleRegistry = request.app.state.registry
    principal: Principal = getattr(request.state, "principal", None) or ANONYMOUS
    token = csrf_token(request)
    page = {
        "request": request,
        "principal": principal,
        "locale": get_locale(),
        "csrf_field": CSRF_FIELD,
        "csrf_token": token,
        "nav": _visible([e for m in registry.manifests for e in m.nav], principal, registry),
        "admin_nav": _visible(
            [e for m in registry.manifests for e in m.admin_nav], principal, registry
        ),
        "current_path": request.url.path,
        "current_url": str(request.url.path)
        + (f"?{request.url.query}" if request.url.query else ""),
    }
    page.update(context or {})
    html = env.get_template(template).render(page)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    if getattr(request.state, "new_csrf", None):
        settings: Settings = request.app.state.settings
        response.set_cookie(
            CSRF_COOKIE,
            token,
            httponly=True,
            samesite="lax",
            secure=settings.secure_cookies,
            max_age=60 * 60 * 24 * 30,
        )
    return response
