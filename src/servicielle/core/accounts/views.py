"""Account pages: register, confirm, sign in and out, reset a password, profile, tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from servicielle.core.accounts import service
from servicielle.core.accounts import tokens as token_service
from servicielle.core.accounts.auth import SESSION_COOKIE, Authorize, require_user
from servicielle.core.accounts.schemas import OrganisationRef
from servicielle.core.csrf import CsrfChecked
from servicielle.core.errors import (
    Conflict,
    InvalidInput,
    RateLimited,
    Unauthenticated,
)
from servicielle.core.i18n import LOCALE_COOKIE, _, get_locale
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession
from servicielle.core.templating import render

router = APIRouter(prefix="/compte")

TextField = Annotated[str, Form(max_length=2000)]
Profile = Annotated[Principal, Authorize("accounts.profile.edit")]


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything else (another site) becomes the home page."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def _message(
    request: Request, *, title: str, message: str, link: tuple[str, str] | None = None
) -> HTMLResponse:
    """A page that tells the visitor what happened, with an optional next step."""
    context: dict[str, object] = {"title": title, "message": message}
    if link is not None:
        context["link"] = link
    return render(request, "accounts/message.html", context)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


@router.get("/inscription", response_class=HTMLResponse)
def register_form(request: Request) -> HTMLResponse:
    """The registration form."""
    return render(request, "accounts/register.html", {"values": {}, "errors": {}})


@router.post("/inscription", response_class=HTMLResponse)
def register(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    email: TextField = "",
    display_name: TextField = "",
    password: TextField = "",
    password_again: TextField = "",
) -> Response:
    """Create an account and send the confirmation email."""
    try:
        service.register(
            session,
            request.app.state.settings,
            email=email,
            password=password,
            password_again=password_again,
            display_name=display_name,
            locale=get_locale(),
        )
    except (InvalidInput, Conflict) as exc:
        values = {"email": email, "display_name": display_name}
        return render(
            request,
            "accounts/register.html",
            {"values": values, "errors": exc.by_field()},
            status_code=exc.status,
        )
    return _message(
        request,
        title=_("Check your mailbox"),
        message=_(
            "We have sent a confirmation link to %(email)s. Open it to activate your account."
        )
        % {"email": email.strip().lower()},
    )


@router.get("/confirmation/{token}", response_class=HTMLResponse)
def confirm(request: Request, session: DbSession, token: str) -> HTMLResponse:
    """Confirm an email address from the link sent by email."""
    service.confirm_email(session, request.app.state.settings, token[:500])
    return _message(
        request,
        title=_("Email address confirmed"),
        message=_("Your account is active. You can now sign in."),
        link=("/compte/connexion", _("Sign in")),
    )


@router.get("/connexion", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return render(
        request, "accounts/login.html", {"next": safe_next(next), "email": "", "error": None}
    )


@router.post("/connexion", response_class=HTMLResponse)
def login(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    email: TextField = "",
    password: TextField = "",
    next: TextField = "/",
) -> Response:
    """Check the credentials, open a session and go back where the visitor was."""
    settings = request.app.state.settings
    try:
        user, secret = service.sign_in(
            session,
            settings,
            email=email,
            password=password,
            ip=request.client.host if request.client else None,
            user_agent=request.headers.get("user-agent", "")[:300] or None,
        )
    except (Unauthenticated, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 401
        return render(
            request,
            "accounts/login.html",
            {"next": safe_next(next), "email": email, "error": exc.detail},
            status_code=status,
            headers=exc.headers if status == 429 else None,
        )
    response = _redirect(safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        max_age=settings.session_days * 86400,
    )
    response.set_cookie(LOCALE_COOKIE, user.locale, samesite="lax", max_age=365 * 86400)
    return response


@router.post("/deconnexion")
def logout(request: Request, session: DbSession, _csrf: CsrfChecked) -> Response:
    """Close the session and forget the cookie."""
    service.sign_out(session, request.cookies.get(SESSION_COOKIE))
    response = _redirect("/")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/mot-de-passe/oubli", response_class=HTMLResponse)
def forgot_form(request: Request) -> HTMLResponse:
    """Ask for a password reset link."""
    return render(request, "accounts/forgot.html", {"email": "", "errors": {}})


@router.post("/mot-de-passe/oubli", response_class=HTMLResponse)
def forgot(
    request: Request, session: DbSession, _csrf: CsrfChecked, email: TextField = ""
) -> HTMLResponse:
    """Send the link if the account exists; the answer never tells whether it does."""
    service.request_password_reset(session, request.app.state.settings, email=email)
    return _message(
        request,
        title=_("Check your mailbox"),
        message=_(
            "If an account uses this address, we have sent it a link to choose a new password."
        ),
    )


@router.get("/mot-de-passe/nouveau/{token}", response_class=HTMLResponse)
def reset_form(request: Request, session: DbSession, token: str) -> HTMLResponse:
    """Choose a new password from a reset link."""
    service.user_for_reset(session, request.app.state.settings, token[:500])
    return render(request, "accounts/reset.html", {"token": token, "errors": {}})


@router.post("/mot-de-passe/nouveau/{token}", response_class=HTMLResponse)
def reset(
    request: Request,
    session: DbSession,
    token: str,
    _csrf: CsrfChecked,
    password: TextField = "",
    password_again: TextField = "",
) -> HTMLResponse:
    """Set the new password."""
    try:
        service.reset_password(
            session,
            request.app.state.settings,
            token=token[:500],
            password=password,
            password_again=password_again,
        )
    except InvalidInput as exc:
        return render(
            request,
            "accounts/reset.html",
            {"token": token, "errors": exc.by_field()},
            status_code=422,
        )
    return _message(
        request,
        title=_("Password changed"),
        message=_("Your new password is set. Every other session has been closed."),
        link=("/compte/connexion", _("Sign in")),
    )


@router.get("", response_class=HTMLResponse)
def profile(request: Request, principal: Profile) -> HTMLResponse:
    """The signed-in person's profile."""
    user = require_user(principal)
    values = {"display_name": user.display_name, "locale": user.locale}
    return _profile_page(request, principal, values=values, errors={})


def _profile_page(
    request: Request,
    principal: Principal,
    *,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    user = require_user(principal)
    organisations = [OrganisationRef.model_validate(m.organisation) for m in user.memberships]
    context = {
        "user": user,
        "values": values,
        "errors": errors,
        "roles": sorted(principal.roles),
        "organisations": organisations,
    }
    return render(request, "accounts/profile.html", context, status_code=status_code)


@router.post("", response_class=HTMLResponse)
def update_profile(
    request: Request,
    session: DbSession,
    principal: Profile,
    _csrf: CsrfChecked,
    display_name: TextField = "",
    locale: TextField = "fr",
) -> Response:
    """Save the name and preferred language."""
    user = require_user(principal)
    try:
        service.update_profile(session, user, display_name=display_name, locale=locale)
    except InvalidInput as exc:
        values = {"display_name": display_name, "locale": locale}
        return _profile_page(
            request, principal, values=values, errors=exc.by_field(), status_code=422
        )
    response = _redirect("/compte?saved=1")
    response.set_cookie(LOCALE_COOKIE, locale, samesite="lax", max_age=365 * 86400)
    return response


@router.get("/jetons", response_class=HTMLResponse)
def tokens_page(
    request: Request,
    session: DbSession,
    principal: Annotated[Principal, Authorize("accounts.token.manage")],
) -> HTMLResponse:
    """The person's API tokens and the form to create one."""
    return _tokens(request, session, principal)


def _tokens(
    request: Request, session: DbSession, principal: Principal, **extra: object
) -> HTMLResponse:
    user = principal.user
    organisations = [m.organisation for m in user.memberships]
    context = {
        "tokens": token_service.list_tokens(session, user),
        "organisations": organisations,
        "errors": {},
        "secret": None,
        **extra,
    }
    return render(
        request, "accounts/tokens.html", context, status_code=422 if extra.get("errors") else 200
    )


@router.post("/jetons", response_class=HTMLResponse)
def create_token(
    request: Request,
    session: DbSession,
    _csrf: CsrfChecked,
    principal: Annotated[Principal, Authorize("accounts.token.manage")],
    name: TextField = "",
    organisation_id: Annotated[int, Form()] = 0,
    lifetime_days: Annotated[str, Form(max_length=10)] = "",
) -> HTMLResponse:
    """Create a token and show its secret once."""
    try:
        days = int(lifetime_days) if lifetime_days.strip() else None
    except ValueError:
        return _tokens(
            request, session, principal, errors={"lifetime_days": _("Enter a number of days.")}
        )
    try:
        _token, secret = token_service.create_token(
            session, principal, name=name, organisation_id=organisation_id, lifetime_days=days
        )
    except InvalidInput as exc:
        return _tokens(request, session, principal, errors=exc.by_field())
    return _tokens(request, session, principal, secret=secret)


@router.post("/jetons/{token_id}/revoquer")
def revoke_token(
    request: Request,
    session: DbSession,
    token_id: int,
    _csrf: CsrfChecked,
    principal: Annotated[Principal, Authorize("accounts.token.manage")],
) -> Response:
    """Revoke a token."""
    token_service.revoke_token(session, principal, token_id=token_id)
    return _redirect("/compte/jetons")
