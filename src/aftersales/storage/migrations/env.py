"""Alembic environment: runs on the connection handed in by aftersales.storage.db, or on sqlalchemy.url."""

from alembic import context
from sqlalchemy import Connection, create_engine

from aftersales.storage.tables import metadata

config = context.config


def _run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=is_sqlite)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as conn:
        _run(conn)
