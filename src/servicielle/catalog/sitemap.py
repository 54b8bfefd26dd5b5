"""``/sitemap.xml``: the public datasets and organisations, for search engines."""

from __future__ import annotations

from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from servicielle.catalog.models import Dataset
from servicielle.catalog.repository import listed, visible_to
from servicielle.core.permissions import ANONYMOUS
from servicielle.core.session import DbSession
from servicielle.core.territory.models import Organisation

router = APIRouter(tags=["catalog"])


@router.get("/sitemap.xml", include_in_schema=False)
def sitemap(request: Request, session: DbSession) -> Response:
    """Public pages only: what an anonymous visitor may see, whoever asks."""
    base = request.app.state.settings.base_url.rstrip("/")
    rows = session.execute(
        select(Dataset.slug, Dataset.modified_at)
        .where(visible_to(ANONYMOUS), listed(include_private=False))
        .order_by(Dataset.slug)
    ).all()
    organisations = session.scalars(select(Organisation.slug).order_by(Organisation.slug)).all()
    urls = [
        f"<url><loc>{escape(base)}/</loc></url>",
        f"<url><loc>{escape(base)}/donnees</loc></url>",
    ]
    urls += [
        f"<url><loc>{escape(base)}/donnees/{escape(slug)}</loc>"
        f"<lastmod>{modified.date().isoformat()}</lastmod></url>"
        for slug, modified in rows
    ]
    urls += [
        f"<url><loc>{escape(base)}/donnees/organisations/{escape(slug)}</loc></url>"
        for slug in organisations
    ]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(urls) + "</urlset>"
    )
    return Response(body, media_type="application/xml")
