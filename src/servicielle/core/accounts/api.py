"""Account API: who am I, and my API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from servicielle.core.accounts import tokens as token_service
from servicielle.core.accounts.auth import Authorize, CurrentPrincipal, require_user
from servicielle.core.accounts.schemas import (
    MeRead,
    OrganisationRef,
    TokenCreate,
    TokenCreated,
    TokenRead,
)
from servicielle.core.permissions import Principal
from servicielle.core.session import DbSession

router = APIRouter(tags=["accounts"])


@router.get("/me", response_model=MeRead)
def read_me(principal: CurrentPrincipal) -> MeRead:
    """The account behind the credentials."""
    user = require_user(principal)
    return MeRead(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        locale=user.locale,
        roles=sorted(principal.roles),
        organisations=[
            OrganisationRef.model_validate(m.organisation)
            for m in user.memberships
            if m.organisation_id in principal.organisation_ids
        ],
        token_organisation_id=principal.token.organisation_id if principal.token else None,
    )


@router.get("/tokens", response_model=list[TokenRead])
def list_tokens(
    session: DbSession, principal: Annotated[Principal, Authorize("accounts.token.manage")]
) -> list[TokenRead]:
    """The caller's API tokens."""
    return [TokenRead.model_validate(t) for t in token_service.list_tokens(session, principal.user)]


@router.post("/tokens", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
def create_token(
    body: TokenCreate,
    session: DbSession,
    principal: Annotated[Principal, Authorize("accounts.token.manage")],
) -> TokenCreated:
    """Create a token for an organisation the caller acts for; the secret is shown once."""
    token, secret = token_service.create_token(
        session,
        principal,
        name=body.name,
        organisation_id=body.organisation_id,
        lifetime_days=body.lifetime_days,
    )
    return TokenCreated.model_validate(
        {**TokenRead.model_validate(token).model_dump(), "token": secret}
    )


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(
    token_id: int,
    session: DbSession,
    principal: Annotated[Principal, Authorize("accounts.token.manage")],
) -> Response:
    """Revoke a token at once."""
    token_service.revoke_token(session, principal, token_id=token_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
