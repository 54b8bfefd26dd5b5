"""Request bodies within a size limit: the declared length checked first, then every byte."""

from __future__ import annotations

from fastapi import Request
from starlette.types import Message

from servicielle.core.errors import PayloadTooLarge
from servicielle.core.i18n import _
from servicielle.core.ids import whole_number
from servicielle.core.photos import MAX_PHOTOS, MAX_UPLOAD_BYTES

# A report sent with its photos, by the web form or Open311: five photos at their limit, plus
# room for the text fields.
REPORT_BODY_BYTES = MAX_PHOTOS * MAX_UPLOAD_BYTES + 1024 * 1024
REPORT_FIELDS = 200


def too_large(limit: int) -> PayloadTooLarge:
    """The error of a body over ``limit`` bytes."""
    if limit < 1024 * 1024:
        return PayloadTooLarge(_("The request may not exceed %(kb)d kB.") % {"kb": limit // 1024})
    return PayloadTooLarge(
        _("The request may not exceed %(mb)d MB.") % {"mb": limit // 1024 // 1024}
    )


def capped(request: Request, limit: int) -> Request:
    """The same request, its body refused (PayloadTooLarge) once over ``limit`` bytes."""
    # A Content-Length over the limit is refused before reading anything; a body sent in chunks
    # (or longer than it said) is counted as it arrives: no more than the limit is ever read.
    declared = whole_number(request.headers.get("content-length"), max_digits=30)
    if declared is not None and declared > limit:
        raise too_large(limit)
    receive = request.receive
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
        return message

    return Request(request.scope, counted)
