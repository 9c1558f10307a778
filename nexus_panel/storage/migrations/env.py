"""Alembic environment: runs migrations on the connection handed over by
nexus_panel.storage.database (no alembic.ini, no URL here: one source of configuration)."""

from __future__ import annotations

from alembic import context

from nexus_panel.storage.database import VERSION_TABLE, owned_by_app
from nexus_panel.storage.schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `nexus-panel db upgrade` "
                       "(nexus_panel.storage.database.upgrade), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    version_table=VERSION_TABLE,
    include_name=owned_by_app,
)
with context.begin_transaction():
    context.run_migrations()
