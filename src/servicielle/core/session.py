"""One database session per request, committed by the framework when the response starts.

Services only ``flush()``. ``DbSessionMiddleware`` commits just before the first byte of a
successful response (status < 400) and rolls back otherwise, so a failed commit still turns
into an error answer instead of a success the database never saw.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


@dataclass
class AuditContext:
    """Who is writing, and from where; read by the audit log on every flush."""

    actor_id: int | None = None
    ip: str | None = None
    user_agent: str | None = None
    via: str = "web"


def audit_context(session: Session) -> AuditContext:
    """The audit context attached to a session, created empty when missing."""
    ctx = session.info.get("audit")
    if ctx is None:
        ctx = session.info["audit"] = AuditContext()
    return ctx


SQLITE_IMMEDIATE = "sqlite_begin_immediate"
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_CREDENTIALS = (b"authorization", b"x-api-key", b"x-ckan-api-key", b"cookie")


def _may_write(scope: Scope) -> bool:
    """Whether a request may write: unsafe methods, or credentials (sessions and tokens note
    their last use)."""
    if scope.get("method") not in _READ_METHODS:
        return True
    headers = dict(scope.get("headers") or [])
    return any(name in headers for name in _CREDENTIALS)


class _SessionHolder:
    """Creates the request's session on first use, so requests without DB work pay nothing."""

    def __init__(self, factory: sessionmaker[Session], scope: Scope) -> None:
        self._factory = factory
        self._scope = scope
        self.session: Session | None = None

    def get(self) -> Session:
        if self.session is None:
            self.session = self._factory()
            if _may_write(self._scope) and self.session.get_bind().dialect.name == "sqlite":
                # SQLite cannot turn a read transaction into a write one once another writer
                # committed meanwhile ("database is locked" at once, busy_timeout or not):
                # requests that may write take the write lock at BEGIN, and wait for it.
                self.session.connection(execution_options={SQLITE_IMMEDIATE: True})
            headers = dict(self._scope.get("headers") or [])
            client = self._scope.get("client")
            self.session.info["audit"] = AuditContext(
                ip=client[0] if client else None,
                user_agent=headers.get(b"user-agent", b"").decode("latin-1")[:300] or None,
            )
        return self.session


def _problem(status: int, title: str, detail: str) -> tuple[Message, Message]:
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail})
    start: Message = {
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/problem+json")],
    }
    return start, {"type": "http.response.body", "body": body.encode()}


class DbSessionMiddleware:
    """Pure ASGI middleware owning the request's session lifecycle."""

    def __init__(self, app: ASGIApp, get_factory: Callable[[], sessionmaker[Session]]) -> None:
        self.app = app
        self.get_factory = get_factory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        holder = _SessionHolder(self.get_factory(), scope)
        scope.setdefault("state", {})["db"] = holder
        replaced = False

        async def send_after_commit(message: Message) -> None:
            nonlocal replaced
            if replaced:
                return
            if message["type"] == "http.response.start" and holder.session is not None:
                session = holder.session
                if message["status"] < 400:
                    try:
                        await anyio.to_thread.run_sync(session.commit)
                    except IntegrityError as exc:
                        log.info("commit refused by a constraint: %s", exc.orig)
                        await anyio.to_thread.run_sync(session.rollback)
                        replaced = True
                        for msg in _problem(409, "Conflict", "Conflit avec une donnée existante."):
                            await send(msg)
                        return
                    except OperationalError:
                        log.exception("commit failed")
                        await anyio.to_thread.run_sync(session.rollback)
                        replaced = True
                        for msg in _problem(503, "Service unavailable", "Base indisponible."):
                            await send(msg)
                        return
                elif session.info.get(PERSIST_ON_ERROR):
                    await anyio.to_thread.run_sync(session.commit)
                else:
                    await anyio.to_thread.run_sync(session.rollback)
            await send(message)

        try:
            await self.app(scope, receive, send_after_commit)
        except BaseException:
            if holder.session is not None:
                await anyio.to_thread.run_sync(holder.session.rollback)
            raise
        finally:
            if holder.session is not None:
                await anyio.to_thread.run_sync(holder.session.close)


PERSIST_ON_ERROR = "persist_on_error"


def persist_on_error(session: Session) -> None:
    """Keep this unit of work even if the answer is an error (a failed login must count)."""
    session.info[PERSIST_ON_ERROR] = True


def get_session(request: Request) -> Session:
    """The request's database session (created lazily)."""
    holder: _SessionHolder = request.state.db
    return holder.get()


DbSession = Annotated[Session, Depends(get_session)]


@contextlib.contextmanager
def session_scope(factory: sessionmaker[Session], *, via: str = "cli") -> Iterator[Session]:
    """A unit of work outside a request (CLI, jobs): commit on success, roll back on error."""
    session = factory()
    session.info["audit"] = AuditContext(via=via)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
