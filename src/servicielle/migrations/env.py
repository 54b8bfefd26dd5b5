"""Alembic environment: one history for every module, batch mode on SQLite."""

from __future__ import annotations

from alembic import context

from servicielle.core.db import Base, create_db_engine
from servicielle.core.modules import get_registry

get_registry().import_models()
target_metadata = Base.metadata


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
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations()
