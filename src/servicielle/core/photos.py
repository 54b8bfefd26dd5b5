"""Photos sent with reports: checked to be images, re-encoded as JPEG, metadata dropped."""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from servicielle.core.errors import InvalidInput, PayloadTooLarge
from servicielle.core.i18n import _

MAX_PHOTOS = 5
MAX_UPLOAD_BYTES = 15 * 1024 * 1024
# Larger than any phone camera, small enough that decoding cannot exhaust memory.
MAX_PIXELS = 50_000_000
LONGEST_SIDE = 1600
THUMBNAIL_SIDE = 320
ACCEPTED_FORMATS = frozenset({"JPEG", "PNG", "WEBP", "GIF", "MPO", "HEIF", "TIFF", "BMP"})


@dataclass(frozen=True)
class ProcessedPhoto:
    """A re-encoded photo and its thumbnail, free of EXIF (location, device)."""

    content: bytes
    thumbnail: bytes
    width: int
    height: int
    sha256: str


def _jpeg(image: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # No exif= argument: Pillow writes no metadata, so GPS tags and device names are gone.
    copy.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
    return buffer.getvalue(), copy.width, copy.height


def process_photo(data: bytes, *, field: str = "media") -> ProcessedPhoto:
    """Check ``data`` is a real, reasonable image and re-encode it, or say what is wrong."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise PayloadTooLarge(
            _("A photo may not exceed %(mb)d MB.") % {"mb": MAX_UPLOAD_BYTES // 1024 // 1024}
        )
    if not data:
        raise InvalidInput.on_field(field, _("The file is empty."))
    not_image = InvalidInput.on_field(
        field, _("This file is not a photo Servicielle can read (JPEG, PNG, WebP, GIF).")
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ACCEPTED_FORMATS:
                    raise not_image
                if probe.width * probe.height > MAX_PIXELS:
                    raise InvalidInput.on_field(
                        field, _("This image is too large in pixels to be a photo.")
                    )
                probe.load()
                image = ImageOps.exif_transpose(probe).convert("RGB")
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInput.on_field(
            field, _("This image is too large in pixels to be a photo.")
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise not_image from None
    content, width, height = _jpeg(image, LONGEST_SIDE)
    thumbnail, _w, _h = _jpeg(image, THUMBNAIL_SIDE)
    return ProcessedPhoto(
        content=content,
        thumbnail=thumbnail,
        width=width,
        height=height,
        sha256=hashlib.sha256(content).hexdigest(),
    )
