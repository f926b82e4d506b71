"""Migration 0002 (order_items, return_items, orders.promised_at) matches tables.py and downgrades cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from aftersales.config import Settings
from aftersales.storage import db
from aftersales.storage.tables import metadata


def _diffs(settings: Settings) -> list[object]:
    engine = db.create_db_engine(settings.resolved_database_url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), metadata))
    finally:
        engine.dispose()


def test_head_schema_equals_tables_metadata(any_settings: Settings) -> None:
    engine = db.create_db_engine(any_settings.resolved_database_url)
    assert db.upgrade(engine) == "0006" == db.head_revision()
    engine.dispose()
    assert _diffs(any_settings) == []


def test_0002_adds_the_item_tables_and_promised_at(any_settings: Settings) -> None:
    engine = db.create_db_engine(any_settings.resolved_database_url)
    db.upgrade(engine, "0001")
    assert "order_items" not in inspect(engine).get_table_names()
    db.upgrade(engine)
    names = set(inspect(engine).get_table_names())
    assert {"order_items", "return_items"} <= names
    assert "promised_at" in {c["name"] for c in inspect(engine).get_columns("orders")}
    fks = {fk["referred_table"] for fk in inspect(engine).get_foreign_keys("order_items")}
    assert fks == {"orders"}
    engine.dispose()


def test_downgrade_to_0001_keeps_data_and_upgrades_again(any_settings: Settings) -> None:
    engine = db.create_db_engine(any_settings.resolved_database_url)
    db.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO customers (customer_id) VALUES ('c1')"))
        conn.execute(
            text(
                "INSERT INTO orders (order_id, customer_id, ordered_at, promised_at) "
                "VALUES ('o1', 'c1', '2025-01-01 10:00:00', '2025-01-03 00:00:00')"
            )
        )
        conn.execute(text("INSERT INTO returns (return_id, order_id, requested_at) VALUES ('r1', 'o1', '2025-01-05')"))
        conn.execute(text("INSERT INTO order_items (item_id, order_id, line_no) VALUES ('o1:1', 'o1', 1)"))
        conn.execute(text("INSERT INTO return_items (item_id, return_id, line_no) VALUES ('r1:1', 'r1', 1)"))
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), "0001")
    assert db.current_revision(engine) == "0001"
    inspector = inspect(engine)
    assert not {"order_items", "return_items"} & set(inspector.get_table_names())
    assert "promised_at" not in {c["name"] for c in inspector.get_columns("orders")}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM returns")).scalar_one() == 1
    assert db.upgrade(engine) == db.head_revision()
    engine.dispose()
    assert _diffs(any_settings) == []
