"""Storage: migrations on SQLite and PostgreSQL, first-use auto-migration, SQLite tuning."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from aftersales.config import Settings
from aftersales.storage import db
from aftersales.storage.tables import metadata


def test_first_use_migrates_to_head(any_settings: Settings) -> None:
    engine = db.get_engine(any_settings)
    assert db.current_revision(engine) == db.head_revision()
    tables = set(inspect(engine).get_table_names())
    assert set(metadata.tables) <= tables


def test_downgrade_to_base_and_back(any_settings: Settings) -> None:
    engine = db.create_db_engine(any_settings.resolved_database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), "base")
    assert not (set(inspect(engine).get_table_names()) & set(metadata.tables))
    assert db.upgrade(engine) == db.head_revision()
    engine.dispose()


def test_auto_migrate_off_leaves_database_alone(settings: Settings) -> None:
    engine = db.get_engine(settings.model_copy(update={"auto_migrate": False}))
    assert db.current_revision(engine) is None


def test_sqlite_runs_in_wal_with_foreign_keys(settings: Settings) -> None:
    engine = db.get_engine(settings)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            text("INSERT INTO orders (order_id, customer_id, ordered_at) VALUES ('O1', 'nobody', '2025-01-01')")
        )


@pytest.mark.postgres
def test_postgres_enforces_foreign_keys(pg_settings: Settings) -> None:
    engine = db.get_engine(pg_settings)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text("INSERT INTO orders (order_id, customer_id, ordered_at) VALUES ('O1', 'nobody', now())"))


def _index_names(settings: Settings, table: str) -> set[str]:
    return {ix["name"] for ix in inspect(db.get_engine(settings)).get_indexes(table)}


def test_bulk_load_rebuilds_indexes_and_a_killed_load_is_repaired(any_settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from aftersales import services
    from aftersales.storage.tables import interactions
    from tests.factories import write_csv

    expected = {ix.name for ix in interactions.indexes}
    path = write_csv(
        tmp_path / "i.csv", ["interaction_id", "customer_id", "text", "created_at"], [["I1", "C1", "hi", "2025-01-01"]]
    )
    services.ingest_file("interactions", path, settings=any_settings)
    assert expected <= _index_names(any_settings, "interactions")
    db.drop_indexes(db.get_engine(any_settings), interactions)  # as if the process died mid bulk-load
    db.dispose_engines()
    assert expected <= _index_names(any_settings, "interactions")  # the next open repairs them
