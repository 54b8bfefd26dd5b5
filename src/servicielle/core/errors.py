"""Domain errors, each carrying its HTTP status, rendered by one handler.

Hierarchy::

    ServicielleError (500)
    ├── InvalidInput (422)          bad values; names the field(s)
    │   └── BadRequest (400)        malformed request
    ├── Unauthenticated (401)       no, expired or revoked credentials
    ├── Forbidden (403)             authenticated but not allowed
    ├── NotFound (404)
    ├── Conflict (409)              the request clashes with stored state
    ├── PayloadTooLarge (413)       over a size limit
    └── RateLimited (429)

APIs answer RFC 9457 problem details; pages answer an HTML error page. Services raise
these, never ``HTTPException``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Self

from servicielle.core.i18n import N_


class ServicielleError(Exception):
    """Base of every expected error; ``status`` is the HTTP status it maps to."""

    status: ClassVar[int] = 500
    type_slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = N_("Internal error")

    def __init__(
        self,
        detail: str,
        *,
        errors: Sequence[dict[str, Any]] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = list(errors)
        self.headers = headers or {}

    @classmethod
    def on_fields(cls, detail: str, fields: Mapping[str, str]) -> Self:
        """An error naming each bad field with its message."""
        return cls(detail, errors=[{"field": f, "message": m} for f, m in fields.items()])

    def by_field(self, fallback: str = "form") -> dict[str, str]:
        """Field → message, as forms show them; the detail goes to ``fallback`` otherwise."""
        return {str(e["field"]): str(e["message"]) for e in self.errors} or {fallback: self.detail}

    @classmethod
    def on_field(cls, field: str, message: str) -> Self:
        """An error about one field, whose message is also the detail."""
        return cls.on_fields(message, {field: message})


class InvalidInput(ServicielleError):
    """A value failed validation; ``errors`` lists ``{"field", "message"}``."""

    status = 422
    type_slug = "invalid-input"
    title = N_("Invalid input")


class BadRequest(InvalidInput):
    """The request itself is malformed (unparseable body, wrong content type)."""

    status = 400
    type_slug = "bad-request"
    title = N_("Bad request")


class Unauthenticated(ServicielleError):
    """Credentials are missing, wrong, expired or revoked."""

    status = 401
    type_slug = "unauthenticated"
    title = N_("Authentication required")

    def __init__(self, detail: str, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kwargs)


class Forbidden(ServicielleError):
    """The principal is known but may not perform this action."""

    status = 403
    type_slug = "forbidden"
    title = N_("Forbidden")


class NotFound(ServicielleError):
    """The resource does not exist or is not visible to the principal."""

    status = 404
    type_slug = "not-found"
    title = N_("Not found")


class Conflict(ServicielleError):
    """The request conflicts with the current state (duplicate, stale)."""

    status = 409
    type_slug = "conflict"
    title = N_("Conflict")


class PayloadTooLarge(ServicielleError):
    """The request is over a size limit, which the detail names."""

    status = 413
    type_slug = "payload-too-large"
    title = N_("Payload too large")


class RateLimited(ServicielleError):
    """Too many attempts; ``retry_after`` seconds to wait."""

    status = 429
    type_slug = "rate-limited"
    title = N_("Too many requests")

    def __init__(self, detail: str, *, retry_after: int, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"Retry-After": str(retry_after)})
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after


__all__ = [
    "BadRequest",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "PayloadTooLarge",
    "RateLimited",
    "ServicielleError",
    "Unauthenticated",
]
