"""Engine and session factory, SQLite tuning, and Alembic migrations applied on first use."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, Table, create_engine, event, literal, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from aftersales.config import Settings
from aftersales.errors import DatabaseError
from aftersales.storage.tables import metadata

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


SQLITE_MMAP_BYTES = 2**31
"""Memory-mapped reads (SQLite caps this at its compile-time maximum, 2 GB by default): pages are read in place
instead of copied into each connection's cache, about 5 % off the KPI statements (docs/benchmarks.md)."""


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """WAL for concurrent readers, enforced foreign keys, sane sync for bulk loads, memory-mapped reads."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA cache_size=-131072")
    cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
    cur.execute("PRAGMA wal_autocheckpoint=10000")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """Create an Engine; SQLite files get their directory created and the pragmas above."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest migration shipped with this version."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Apply migrations up to revision; returns the resulting revision."""
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"migration failed on {engine.url.render_as_string(hide_password=True)}: {exc}") from exc
    return current_revision(engine)


def ensure_schema(engine: Engine) -> None:
    """Bring an empty or older database to head, as promised for first use."""
    try:
        if current_revision(engine) != head_revision():
            upgrade(engine)
    except OperationalError as exc:
        raise DatabaseError(
            f"cannot open database {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from exc


def is_empty(engine: Engine, table: Table) -> bool:
    """True when the table holds no row (a first load can then skip index maintenance)."""
    with engine.connect() as conn:
        return conn.execute(select(literal(1)).select_from(table).limit(1)).first() is None


def drop_indexes(engine: Engine, table: Table) -> None:
    """Drop a table's secondary indexes before a bulk load into it (ensure_indexes puts them back)."""
    with engine.begin() as conn:
        for index in table.indexes:
            index.drop(conn, checkfirst=True)


def ensure_indexes(engine: Engine, tables: Iterable[Table] | None = None) -> None:
    """Create any secondary index that is missing, e.g. after a bulk load was killed before rebuilding them."""
    with engine.begin() as conn:
        for table in tables if tables is not None else metadata.sorted_tables:
            for index in table.indexes:
                index.create(conn, checkfirst=True)


ANALYSIS_LIMIT = 1000
"""SQLite ANALYZE reads about this many rows per index (approximate statistics in milliseconds, not minutes)."""


def analyze(bind: Engine | Connection, tables: Iterable[str]) -> None:
    """Refresh the planner's statistics for `tables` (SQLite keeps none unless asked; PostgreSQL's autovacuum lags).

    The KPI queries rely on them, e.g. for SQLite to join customers through a covering index (docs/benchmarks.md).
    """
    names = list(tables)
    if not names:
        return
    with bind.begin() if isinstance(bind, Engine) else nullcontext(bind) as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        for name in names:
            conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.quote(name)}")


def utcnow() -> dt.datetime:
    """Naive UTC now: the storage convention for every timestamp column."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def local_midnight_utc(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """Local midnight of `day` in `zone` as the naive UTC the store keeps (the bounds of local-date windows)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


_ENGINES: dict[str, Engine] = {}


def get_engine(settings: Settings) -> Engine:
    """One Engine per database URL per process, migrated on first use when auto_migrate is on."""
    url = settings.resolved_database_url
    engine = _ENGINES.get(url)
    if engine is None:
        engine = create_db_engine(url)
        if settings.auto_migrate:
            ensure_schema(engine)
            ensure_indexes(engine)
        _ENGINES[url] = engine
    return engine


def dispose_engines() -> None:
    """Close every cached Engine (tests, and before a process exits)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: commit on success, roll back on any error."""
    with engine.begin() as conn:
        yield conn
