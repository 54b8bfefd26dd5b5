"""Demo catalogue: a dozen realistic datasets of the territory, validated and loaded."""

from __future__ import annotations

import datetime as dt
import json
from importlib.resources import files
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from servicielle.catalog import datastore, search
from servicielle.catalog.inputs import DatasetInput
from servicielle.catalog.models import Dataset, Moderation, Resource, Reuse
from servicielle.catalog.published import sync_published
from servicielle.catalog.resources import attach_file, format_of
from servicielle.catalog.service import create_dataset, reindex
from servicielle.catalog.storage import FileStore
from servicielle.config import get_settings
from servicielle.core.db import utcnow
from servicielle.core.modules import DemoSeed
from servicielle.core.permissions import Principal, Role

DATA = files("servicielle.catalog") / "demo_data"
ADMIN = Principal(roles=frozenset({Role.ADMINISTRATOR}))


def _dataset(session: Session, store: FileStore, spec: dict[str, Any]) -> Dataset:
    data = DatasetInput(
        slug=spec["slug"],
        title=spec["title"],
        description=spec["description"],
        organisation=spec.get("organisation"),
        licence=spec.get("licence", "lov2"),
        frequency=spec.get("frequency", "unknown"),
        themes=spec.get("themes", []),
        keywords=spec.get("keywords", []),
        communes=spec.get("communes", []),
        temporal_start=(spec.get("temporal") or {}).get("start"),
        temporal_end=(spec.get("temporal") or {}).get("end"),
        contact_name=(spec.get("contact") or {}).get("name"),
        contact_email=(spec.get("contact") or {}).get("email"),
        status=spec.get("status", "public"),
    )
    dataset = create_dataset(session, ADMIN, data)
    community = spec.get("community")
    if community:
        dataset.is_community = True
        dataset.community_author = community.get("author")
        dataset.moderation = Moderation(community.get("moderation", "approved"))
    for position, item in enumerate(spec.get("resources", [])):
        resource = Resource(
            dataset=dataset,
            title=item["title"],
            description=item.get("description", ""),
            position=position,
            schema_name=item.get("schema"),
            files=[],
        )
        dataset.resources.append(resource)
        session.flush()
        if "file" in item:
            content = (DATA / item["file"]).read_bytes()
            stored = store.put_bytes(content, limit=len(content) + 1)
            record = attach_file(session, ADMIN, resource, stored, item["file"], item.get("format"))
            if not record.valid:
                raise RuntimeError(f"demo file {item['file']} does not validate: {record.report}")
        else:
            resource.kind = item.get("kind", "remote")
            resource.url = item["url"]
            resource.format = format_of(item["url"], item.get("format"))
    # Backdate so that freshness and "late" flags show on the demo.
    when = utcnow() - dt.timedelta(days=int(spec.get("modified_days_ago", 3)))
    dataset.data_modified = when
    dataset.modified_at = when
    reindex(session, dataset)
    return dataset


def load(session: Session) -> str:
    """Publish the demo datasets and the modules' live datasets."""
    store = FileStore(get_settings().data_dir)
    specs = json.loads((DATA / "datasets.json").read_text(encoding="utf-8"))
    created = [_dataset(session, store, spec) for spec in specs]
    session.flush()
    live = sync_published(session)
    by_slug = {d.slug: d for d in created}
    reuse = Reuse(
        slug="carte-des-equipements",
        title="Carte interactive des équipements publics",
        description=(
            "Une carte pour trouver la piscine, la médiathèque ou la déchèterie la plus proche."
        ),
        url="https://carte.rochefort-a-velo.demo/equipements",
        type="visualization",
        author_name="Rochefort à vélo (démo)",
        moderation=Moderation.APPROVED,
        datasets=[d for s, d in by_slug.items() if "equipement" in s][:1],
    )
    session.add(reuse)
    return f"{len(created)} jeux de données, {live} jeux de données en direct, 1 réutilisation"


def clear(session: Session) -> None:
    """Remove every dataset, its datastore tables and the reuses."""
    for name in session.scalars(
        select(Resource.datastore_table).where(Resource.datastore_table.is_not(None))
    ):
        if name:
            datastore.drop(session, name)
    for dataset_id in session.scalars(select(Dataset.id)):
        search.unindex_dataset(session, dataset_id)
    session.execute(delete(Reuse))
    session.execute(delete(Dataset))


demo = DemoSeed(load=load, clear=clear)
