"""Alembic environment: one history for every module, batch mode on SQLite."""

from __future__ import annotations

from alembic import context

from servicielle.core.db import Base, create_db_engine
from servicielle.core.modules import get_registry

get_registry().import_models()
target_metadata = Base.metadata


# Made at run time or outside the ORM: datastore tables (one per resource), SQLite's
# full-text table, PostgreSQL's search vector column and its index.
# Datastore tables, SQLite full-text tables, and the monthly partitions of observations
# (created as data arrives by sensors/store.py).
UNMANAGED_PREFIXES = ("ds_", "dataset_fts", "ix_datasets_fts", "sensor_observations_y")
UNMANAGED_COLUMNS = ("search_vector",)


def include_name(name: str | None, type_: str, _parent: object) -> bool:
    """Leave out of comparisons what Alembic does not manage."""
    if type_ == "column":
        return name not in UNMANAGED_COLUMNS
    return not (name and type_ in ("table", "index") and name.startswith(UNMANAGED_PREFIXES))


def run_migrations() -> None:
    """Run migrations on the configured database."""
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"
    engine = create_db_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
