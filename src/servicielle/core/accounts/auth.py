"""Who is calling: API token (``Authorization: Bearer``), browser session cookie, or nobody.

``CurrentPrincipal`` resolves once per request; ``Authorize("module.noun.verb")`` is the
reusable permission dependency, checked against the roles modules declare.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from servicielle.core.accounts.models import ApiToken, User
from servicielle.core.accounts.repository import UserRepository
from servicielle.core.accounts.service import user_for_session
from servicielle.core.accounts.tokens import token_for_secret
from servicielle.core.errors import Forbidden, Unauthenticated
from servicielle.core.i18n import _
from servicielle.core.modules import get_registry
from servicielle.core.permissions import ANONYMOUS, Principal, Role
from servicielle.core.session import DbSession, audit_context
from servicielle.core.territory.models import Organisation, OrganisationKind

SESSION_COOKIE = "sv_session"

# Every action named by an Authorize() dependency; the permission matrix test checks each
# one is declared by a module.
USED_ACTIONS: set[str] = set()


def role_of_organisation(organisation: Organisation) -> Role:
    """The role membership of ``organisation`` confers."""
    if organisation.kind in (OrganisationKind.DEPARTMENT, OrganisationKind.AUTHORITY):
        return Role.AGENT
    if organisation.kind == OrganisationKind.OPERATOR:
        return Role.OPERATOR
    return Role.INHABITANT


def principal_for_user(user: User) -> Principal:
    """A signed-in user: inhabitant, plus the roles of their memberships."""
    roles = {Role.INHABITANT}
    roles.update(role_of_organisation(m.organisation) for m in user.memberships)
    if user.is_admin:
        roles.add(Role.ADMINISTRATOR)
    return Principal(
        user=user,
        roles=frozenset(roles),
        organisation_ids=frozenset(m.organisation_id for m in user.memberships),
    )


def principal_for_token(user: User, token: ApiToken) -> Principal:
    """A machine client: the role its organisation confers (administrators keep theirs)."""
    if token.organisation_id not in {m.organisation_id for m in user.memberships}:
        # Membership withdrawn since the token was made: it no longer speaks for anyone.
        return Principal(user=user, roles=frozenset({Role.INHABITANT}), token=token)
    organisation = next(
        m.organisation for m in user.memberships if m.organisation_id == token.organisation_id
    )
    roles = {Role.INHABITANT, role_of_organisation(organisation)}
    if user.is_admin:
        roles.add(Role.ADMINISTRATOR)
    return Principal(
        user=user,
        roles=frozenset(roles),
        organisation_ids=frozenset({token.organisation_id}),
        token=token,
    )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _sep, value = header.partition(" ")
        return value.strip() if scheme.lower() in ("bearer", "token") else header.strip()
    # X-CKAN-API-Key: what ckanapi and older CKAN clients send.
    return request.headers.get("x-api-key") or request.headers.get("x-ckan-api-key")


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _cookie_allowed(request: Request) -> bool:
    # A browser session may read the API, but writes need a token: no CSRF on the API.
    return request.method in SAFE_METHODS or not request.url.path.startswith("/api/")


def get_principal(request: Request, session: DbSession) -> Principal:
    """Resolve the caller once per request; a bad token is a 401, a stale cookie is ignored."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    principal = ANONYMOUS
    secret = _bearer(request)
    if secret is not None:
        token = token_for_secret(session, secret)
        user = UserRepository(session).get(token.user_id) if token else None
        if token is None or user is None or not user.is_active:
            raise Unauthenticated(_("The API token is unknown, expired or revoked."))
        principal = principal_for_token(user, token)
        audit_context(session).via = "api"
    elif (cookie := request.cookies.get(SESSION_COOKIE)) and _cookie_allowed(request):
        user = user_for_session(session, cookie[:200])
        if user is not None:
            principal = principal_for_user(user)
    if principal.user is not None:
        audit_context(session).actor_id = principal.user.id
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def Authorize(action: str) -> Any:
    """A dependency granting the request only if the principal may perform ``action``."""
    USED_ACTIONS.add(action)

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.may(get_registry().permission(action)):
            return principal
        if not principal.is_authenticated:
            raise Unauthenticated(_("Sign in to continue."))
        raise Forbidden(_("You are not allowed to do this."))

    return Depends(check)


def require_user(principal: Principal) -> User:
    """The signed-in user, or Unauthenticated."""
    if principal.user is None:
        raise Unauthenticated(_("Sign in to continue."))
    user: User = principal.user
    return user
