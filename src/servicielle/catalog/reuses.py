"""Reuses: submitted by anyone signed in, shown once a moderator approves them."""

from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from servicielle.catalog.models import Dataset, Moderation, Reuse
from servicielle.catalog.repository import DatasetRepository
from servicielle.catalog.storage import FileStore
from servicielle.catalog.vocabularies import REUSE_TYPES
from servicielle.core.errors import InvalidInput
from servicielle.core.i18n import _
from servicielle.core.permissions import Principal


def slugify(text: str) -> str:
    """A URL-friendly identifier from a title."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:80] or "reutilisation"


IMAGE_MAX_BYTES = 2 * 1024 * 1024
# Known by their first bytes, not by the name or type the browser claims.
IMAGE_SIGNATURES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"RIFF": "image/webp",
}


def image_type(data: bytes) -> str | None:
    """The media type of a PNG, JPEG or WebP image, or None."""
    for signature, media_type in IMAGE_SIGNATURES.items():
        if data.startswith(signature) and (media_type != "image/webp" or data[8:12] == b"WEBP"):
            return media_type
    return None


def submit(
    session: Session,
    principal: Principal,
    values: dict[str, Any],
    *,
    store: FileStore | None = None,
    image: bytes | None = None,
) -> Reuse:
    """Record a reuse for moderation (administrators' own are approved at once)."""
    errors: dict[str, str] = {}
    if image:
        if len(image) > IMAGE_MAX_BYTES or image_type(image) is None:
            errors["image"] = _("The image must be a PNG, JPEG or WebP file of at most 2 MB.")
    title = str(values.get("title", "")).strip()
    url = str(values.get("url", "")).strip()
    kind = str(values.get("type", "application"))
    if not title:
        errors["title"] = _("This field is required.")
    if not re.match(r"^https?://\S+$", url):
        errors["url"] = _("Give the address of the reuse, starting with https://.")
    if kind not in REUSE_TYPES:
        errors["type"] = _("Choose a type from the list.")
    refs = [r.strip() for r in str(values.get("datasets", "")).split(",") if r.strip()]
    repository = DatasetRepository(session, principal)
    datasets: list[Dataset] = []
    for ref in refs:
        found = repository.find(ref)
        if found is None:
            errors["datasets"] = _("No dataset {ref!r}.").format(ref=ref)
        else:
            datasets.append(found)
    if errors:
        raise InvalidInput.on_fields(_("Some fields need correcting."), errors)
    slug = slugify(title)
    if session.scalar(select(Reuse.id).where(Reuse.slug == slug)):
        slug = f"{slug[:70]}-{uuid.uuid4().hex[:6]}"
    reuse = Reuse(
        slug=slug,
        title=title[:300],
        url=url[:2000],
        type=kind,
        description=str(values.get("description", ""))[:10_000],
        author_name=principal.user.display_name if principal.user else "",
        owner_id=principal.user.id if principal.user else None,
        moderation=Moderation.APPROVED if principal.is_admin else Moderation.PENDING,
        datasets=datasets,
    )
    if image and store is not None:
        reuse.image_sha256 = store.put_bytes(image, limit=IMAGE_MAX_BYTES).sha256
    session.add(reuse)
    session.flush()
    return reuse


def moderate(session: Session, reuse: Reuse, decision: Moderation) -> Reuse:
    """Approve or reject a reuse."""
    reuse.moderation = decision
    session.flush()
    return reuse
