"""Queries over accounts, sessions, tokens and login attempts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from servicielle.core.accounts.models import ApiToken, LoginAttempt, Membership, User, UserSession
from servicielle.core.pagination import PageParams
from servicielle.core.repository import Repository


class UserRepository(Repository[User]):
    """Users, always with their memberships and organisations loaded."""

    model = User

    def base_statement(self) -> Select[User]:
        return select(User).options(
            selectinload(User.memberships).selectinload(Membership.organisation)
        )

    def by_email(self, email: str) -> User | None:
        """The user with this email (case-insensitive)."""
        return self.one_or_none(self.base_statement().where(User.email == email.strip().lower()))

    def membership(self, *, user_id: int, organisation_id: int) -> Membership | None:
        """The membership linking a user to an organisation."""
        return self.session.scalars(
            select(Membership).where(
                Membership.user_id == user_id, Membership.organisation_id == organisation_id
            )
        ).first()

    def search(self, query: str, params: PageParams) -> tuple[Sequence[User], int]:
        """Users whose name or email contains ``query``, newest first."""
        statement = self.base_statement().order_by(User.created_at.desc(), User.id.desc())
        if query:
            pattern = f"%{query.lower()}%"
            statement = statement.where(
                or_(func.lower(User.display_name).like(pattern), User.email.like(pattern))
            )
        return self.paginate(statement, params)


class UserSessionRepository(Repository[UserSession]):
    """Browser sessions."""

    model = UserSession

    def by_digest(self, token_digest: str, now: dt.datetime) -> UserSession | None:
        """The unexpired session with this digest."""
        return self.one_or_none(
            select(UserSession).where(
                UserSession.token_digest == token_digest, UserSession.expires_at > now
            )
        )


class ApiTokenRepository(Repository[ApiToken]):
    """API tokens."""

    model = ApiToken

    def by_digest(self, token_digest: str) -> ApiToken | None:
        """The token with this digest, revoked or not."""
        return self.one_or_none(select(ApiToken).where(ApiToken.token_digest == token_digest))

    def of_user(self, user_id: int) -> Sequence[ApiToken]:
        """A user's tokens, newest first, with their organisation."""
        return self.all(
            select(ApiToken)
            .options(selectinload(ApiToken.organisation))
            .where(ApiToken.user_id == user_id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )


class LoginAttemptRepository(Repository[LoginAttempt]):
    """Login attempts for the rate limit."""

    model = LoginAttempt

    def failures_since(
        self, *, since: dt.datetime, email: str | None = None, ip: str | None = None
    ) -> int:
        """Failed attempts since ``since`` for an email or an address."""
        statement = select(LoginAttempt).where(
            LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False)
        )
        if email is not None:
            statement = statement.where(LoginAttempt.email == email)
        if ip is not None:
            statement = statement.where(LoginAttempt.ip == ip)
        return self.count(statement)
