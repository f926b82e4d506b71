"""Persistence: SQLAlchemy tables, engine/session factory, migrations and bulk upserts."""
