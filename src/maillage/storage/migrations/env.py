"""Alembic environment: the connection is handed in by maillage.storage.migrate."""

from __future__ import annotations

from alembic import context

from maillage.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - alembic CLI use
    from maillage.settings import default_database_url
    from maillage.storage.engine import make_engine

    with make_engine(default_database_url()).begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
