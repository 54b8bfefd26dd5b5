"""Gettext catalogues (Babel), the request's locale and lazy strings.

Message ids are English; ``locale/fr/LC_MESSAGES/messages.po`` holds the French, which is
the default language. Catalogues are compiled in memory from the ``.po`` files at start-up,
so no stale ``.mo`` can ship.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy
from starlette.types import ASGIApp, Receive, Scope, Send

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
LOCALE_COOKIE = "sv_lang"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

_current: ContextVar[str] = ContextVar("servicielle_locale", default=DEFAULT_LOCALE)


@lru_cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``locale`` (English ids fall through untranslated)."""
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return _gettext.NullTranslations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=locale)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def get_locale() -> str:
    """The locale of the current request."""
    return _current.get()


def set_locale(locale: str) -> None:
    """Switch the current context to ``locale`` (falls back to French)."""
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


@contextmanager
def in_locale(locale: str) -> Iterator[None]:
    """Translate into ``locale`` inside the block (an email to someone else, say)."""
    token = _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """Translate ``message`` into the current locale."""
    return translations(get_locale()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate with plural forms."""
    return translations(get_locale()).ngettext(singular, plural, n)


def lazy_gettext(message: str) -> LazyProxy:
    """A string translated when rendered, for module-level labels."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def negotiate(query_lang: str | None, cookie_lang: str | None) -> str:
    """French unless the visitor chose English (by the switch or ``?lang=``)."""
    for candidate in (query_lang, cookie_lang):
        if candidate in LOCALES:
            return candidate
    return DEFAULT_LOCALE


class LocaleMiddleware:
    """Set the request's locale before any handler or template runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query_lang = None
        for part in scope.get("query_string", b"").decode("latin-1").split("&"):
            if part.startswith("lang="):
                query_lang = part[5:]
        cookie_lang = None
        for name, value in scope.get("headers") or []:
            if name == b"cookie":
                for item in value.decode("latin-1").split(";"):
                    key, _sep, val = item.strip().partition("=")
                    if key == LOCALE_COOKIE:
                        cookie_lang = val
        token = _current.set(negotiate(query_lang, cookie_lang))
        try:
            await self.app(scope, receive, send)
        finally:
            _current.reset(token)


def N_(message: str) -> str:
    """Mark ``message`` for extraction; it is translated where it is shown."""
    return message
