"""Roles, permissions and the principal a request acts as.

Modules declare ``Permission`` objects in their manifest; the role × action matrix is the
union of them. Object-level rules (an operator writes only its own data) live in services
and repositories, using ``Principal.organisation_ids``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    """The roles of DESIGN.md §6; a user may hold several (agent and operator, say)."""

    ANONYMOUS = "anonymous"
    INHABITANT = "inhabitant"
    AGENT = "agent"
    OPERATOR = "operator"
    ADMINISTRATOR = "administrator"


EVERYONE = frozenset(Role)
SIGNED_IN = frozenset(Role) - {Role.ANONYMOUS}
STAFF = frozenset({Role.AGENT, Role.OPERATOR, Role.ADMINISTRATOR})
ADMINS = frozenset({Role.ADMINISTRATOR})


@dataclass(frozen=True)
class Permission:
    """An action (``"module.noun.verb"``) and the roles allowed to perform it."""

    action: str
    description: str
    roles: frozenset[Role]


@dataclass(frozen=True)
class Principal:
    """Who a request acts as: a user (by session or API token) or nobody."""

    user: Any = None
    roles: frozenset[Role] = frozenset({Role.ANONYMOUS})
    organisation_ids: frozenset[int] = frozenset()
    token: Any = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def is_authenticated(self) -> bool:
        """Whether a user stands behind the request."""
        return self.user is not None

    @property
    def is_admin(self) -> bool:
        """Whether the principal administers the platform."""
        return Role.ADMINISTRATOR in self.roles

    def may(self, permission: Permission) -> bool:
        """Whether one of the principal's roles grants ``permission``."""
        return bool(self.roles & permission.roles)

    def acts_for(self, organisation_id: int | None) -> bool:
        """Whether the principal may act in the name of ``organisation_id``."""
        return self.is_admin or (
            organisation_id is not None and organisation_id in self.organisation_ids
        )


ANONYMOUS = Principal()
