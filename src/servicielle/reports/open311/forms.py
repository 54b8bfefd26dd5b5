"""The POST requests body, read on the event loop before the (sync) route touches the database."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import Depends, Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from servicielle.core.bodies import REPORT_BODY_BYTES, REPORT_FIELDS, capped
from servicielle.core.errors import BadRequest
from servicielle.core.i18n import _
from servicielle.core.photos import MAX_PHOTOS
from servicielle.reports.open311.params import is_media_field

MAX_BODY_BYTES = REPORT_BODY_BYTES
MAX_FIELDS = REPORT_FIELDS
# More parts than photos allowed so that the service names the excess instead of the parser.
MAX_FILES = MAX_PHOTOS * 2
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass
class PostedForm:
    """The query string's items then the body's, and the photos sent as files."""

    items: list[tuple[str, str]]
    photos: list[bytes] = field(default_factory=list)


async def _body(request: Request) -> bytes:
    return await capped(request, MAX_BODY_BYTES).body()


def _urlencoded(body: bytes) -> list[tuple[str, str]]:
    try:
        return parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except (UnicodeDecodeError, ValueError):
        raise BadRequest(
            _("The form is not valid UTF-8 application/x-www-form-urlencoded data.")
        ) from None


async def _multipart(request: Request, body: bytes) -> PostedForm:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    parser = MultiPartParser(request.headers, stream(), max_files=MAX_FILES, max_fields=MAX_FIELDS)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadRequest(
            _("The multipart form cannot be read: %(reason)s") % {"reason": exc.message}
        ) from None
    posted = PostedForm(items=[])
    try:
        for name, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                if is_media_field(name) and (data or value.filename):
                    posted.photos.append(data)
            else:
                posted.items.append((name, value))
    finally:
        await form.close()
    return posted


async def read_form(request: Request) -> PostedForm:
    """Query-string items, then the form-encoded or multipart body within its size limit."""
    query = list(request.query_params.multi_items())
    body = await _body(request)
    if not body.strip():
        return PostedForm(items=query)
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return PostedForm(items=query + _urlencoded(body))
    if media_type == "multipart/form-data":
        posted = await _multipart(request, body)
        posted.items = query + posted.items
        return posted
    raise BadRequest.on_field(
        "Content-Type",
        _("Send the request as %(types)s.") % {"types": " or ".join(FORM_TYPES)},
    )


PostedBody = Annotated[PostedForm, Depends(read_form)]
