"""Password hashing (argon2), random secrets and signed one-time email links."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_hasher = PasswordHasher()
# Verifying against this keeps unknown emails as slow as known ones (no account probing).
_DUMMY_HASH = _hasher.hash("servicielle-timing-equaliser")


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; costs the same time when there is no account."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash uses outdated parameters."""
    return _hasher.check_needs_rehash(password_hash)


def new_secret(prefix: str = "") -> str:
    """A URL-safe random secret of 256 bits."""
    return prefix + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 hex digest stored in place of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def sign(secret_key: str, purpose: str, payload: dict[str, Any]) -> str:
    """A signed, timestamped token for an email link."""
    return URLSafeTimedSerializer(secret_key, salt=purpose).dumps(payload)


def unsign(secret_key: str, purpose: str, token: str, *, max_age: int) -> dict[str, Any] | None:
    """The payload of a valid, unexpired token, or None."""
    try:
        payload = URLSafeTimedSerializer(secret_key, salt=purpose).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature):
        return None
    return payload if isinstance(payload, dict) else None
