"""KPI computation: each registry KPI as SQL aggregates grouped by the asked dimension (SQLAlchemy Core).

Every KPI is a `(dim, num, den)` aggregate over one window (`services.kpi_sql` holds the SQL); the value is derived
from num/den by the KPI's `agg`. Windows are local calendar dates in `settings.timezone`, converted to the naive
UTC the store keeps. Targets: the registry defaults, overridden by the `kpi_targets` setting, overridden by the
`targets` argument of `compute_kpis`. The statements (one per source table, percentiles, customer-level KPIs) are
independent and run side by side, each on its own connection (`MAX_THREADS`, at most the CPUs); their rows are
combined in a fixed order, so the result does not depend on which finished first. On PostgreSQL the side-by-side
statements are threads (each is a server backend); on a large SQLite file (`kpi_processes_from_mb`) they are worker
processes, because SQLite statements on threads of one process barely overlap: 1.13x for two threads against 1.9x
for two processes on the benchmark (docs/benchmarks.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import cache
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import NullPool

from aftersales.analytics.kpis import DIMENSIONS, KPIS, KpiDef, get_kpi, trend, value_of
from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.services.kpi_sql import (
    CUSTOMER_LEVEL,
    PARTS,
    PERCENTILES,
    SESSION_SETTINGS,
    SOURCE_ORDER,
    SOURCES,
    Part,
    Query,
    Statement,
    Window,
    fused_select,
    percentile_select,
)
from aftersales.storage import db

__all__ = ["PERIODS", "compute_kpis", "normalise_filters", "resolve_dates", "targets_for", "windows"]

log = logging.getLogger(__name__)

Filters = tuple[tuple[str, tuple[str, ...]], ...]

PERIODS = ("day", "week", "month")


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def _period_end(start: dt.date, period: str) -> dt.date:
    """Last day (inclusive) of the period starting at `start`."""
    if period == "week":
        return start + dt.timedelta(days=6)
    if period == "month":
        nxt = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return nxt - dt.timedelta(days=1)
    return start


def resolve_dates(period: str, start: dt.date | None, end: dt.date | None, today: dt.date) -> tuple[dt.date, dt.date]:
    """Inclusive local [start, end]: explicit dates win; otherwise the last full period before `today`."""
    if period not in PERIODS:
        raise InvalidInputError(f"unknown period {period!r}; use one of: {', '.join(PERIODS)}")
    if start is None and end is None:
        start = _period_start(_period_start(today, period) - dt.timedelta(days=1), period)
    if start is None:
        assert end is not None
        start = _period_start(end, period)
    if end is None:
        end = _period_end(_period_start(start, period), period)
    if end < start:
        raise InvalidInputError(f"--to {end} is before --from {start}")
    return start, end


def windows(settings: Settings, start: dt.date, end: dt.date) -> tuple[Window, Window]:
    """(current, previous) naive-UTC half-open windows; previous has the same number of days just before."""
    days = (end - start).days + 1
    cur = (
        db.local_midnight_utc(start, settings.zone),
        db.local_midnight_utc(end + dt.timedelta(days=1), settings.zone),
    )
    prev_start = start - dt.timedelta(days=days)
    return cur, (db.local_midnight_utc(prev_start, settings.zone), cur[0])


Acc = dict[str, tuple[dict[Any, list[float]], dict[Any, list[float]]]]
"""KPI name → ({dim: [num, den]} of the current window, the same of the previous window)."""


def _add(acc: Acc, name: str, current: bool, dim: Any, num: Any, den: Any) -> None:
    bucket = acc[name][0 if current else 1].setdefault(dim, [0.0, 0.0])
    bucket[0] += float(num or 0)
    bucket[1] += float(den or 0)


Rows = Sequence[Sequence[Any]]
Task = tuple[Statement, Callable[[Acc, Rows], None]]
"""One statement and how its rows go into the accumulator."""

MAX_THREADS = 4
"""At most this many statements run at once, each on its own connection (and never more than the CPUs)."""


def _fused_rows(names: list[str]) -> Callable[[Acc, Rows], None]:
    def take(acc: Acc, rows: Rows) -> None:
        for cur, dim, *values in rows:
            for i, name in enumerate(names):
                _add(acc, name, bool(cur), dim, values[2 * i], values[2 * i + 1])

    return take


def _percentile_rows(names: list[str]) -> Callable[[Acc, Rows], None]:
    def take(acc: Acc, rows: Rows) -> None:
        for cur, dim, *values in rows:
            for name, value in zip(names, values[:-1], strict=True):
                _add(acc, name, bool(cur), dim, value, values[-1])

    return take


def _customer_rows(name: str) -> Callable[[Acc, Rows], None]:
    def take(acc: Acc, rows: Rows) -> None:
        for dim, num, den, prev_num, prev_den in rows:
            _add(acc, name, True, dim, num, den)
            _add(acc, name, False, dim, prev_num, prev_den)

    return take


def _tasks(kpis: list[KpiDef], q: Query) -> list[Task]:
    """Every statement the KPIs need, the heaviest first (so that the ones run side by side finish together)."""
    names = [k.name for k in kpis]
    by_source: dict[str, list[tuple[str, Part]]] = {}
    for name in names:
        for part in PARTS.get(name, []):
            by_source.setdefault(part.source, []).append((name, part))
    fused: list[Task] = []
    for source in sorted(by_source, key=SOURCE_ORDER.index):
        parts = by_source[source]
        aggs = [(p.num(q.dialect), p.den(q.dialect)) for _, p in parts]
        fused.append((fused_select(SOURCES[source], q, aggs), _fused_rows([name for name, _ in parts])))
    heavy = fused[:1] if "messages" in by_source else []  # customer messages: the most rows of all
    tasks: list[Task] = heavy + [(CUSTOMER_LEVEL[n](q), _customer_rows(n)) for n in names if n in CUSTOMER_LEVEL]
    pct: dict[tuple[str, Any], list[str]] = {}
    for name in names:
        if name in PERCENTILES:
            pct.setdefault(PERCENTILES[name], []).append(name)
    for (source, duration), group in pct.items():
        fractions = [float(KPIS[name].percentile or 0) for name in group]
        stmt = percentile_select(SOURCES[source], q, duration(q.dialect), fractions)
        tasks.append((stmt, _percentile_rows(group)))
    return tasks + fused[len(heavy) :]


def _fetch(engine: Engine, stmt: Statement) -> Rows:
    """All rows of one statement on a connection of its own (PostgreSQL: per-transaction KPI settings)."""
    with engine.connect() as conn:
        for setting in SESSION_SETTINGS.get(engine.dialect.name, ()):
            conn.exec_driver_sql(setting)
        return conn.execute(stmt).all()


def _threads(engine: Engine, tasks: int) -> int:
    """Statements run side by side on separate connections, except on an in-memory SQLite database (one per
    connection), up to the CPUs: each statement is one CPU-bound backend (sqlite3 releases the GIL while stepping)."""
    if engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:"):
        return 1
    return max(1, min(tasks, MAX_THREADS, os.cpu_count() or 1))


_POOL: ProcessPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _process_pool() -> ProcessPoolExecutor:
    """The worker processes, started once per process and kept (a KPI page should not pay for process start-up).

    Workers fork from a clean fork server with this module preloaded, never from the caller (a web server has
    threads, and forking a threaded process can copy a held lock); where there is no fork server (Windows), they are
    spawned interpreters.
    """
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            context: BaseContext
            if "forkserver" in multiprocessing.get_all_start_methods():
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload([__name__])
            else:
                context = multiprocessing.get_context("spawn")
            _POOL = ProcessPoolExecutor(min(MAX_THREADS, os.cpu_count() or 1), mp_context=context)
        return _POOL


def _drop_pool() -> None:
    """Forget a broken pool (a worker died): the next call starts a new one."""
    global _POOL
    with _POOL_LOCK:
        pool, _POOL = _POOL, None
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)


@cache
def _worker_engine(url: str) -> Engine:
    """In a worker: one engine per database, without a pool (a connection per statement: a file replaced between
    calls is never read through a stale handle)."""
    return db.create_db_engine(url, poolclass=NullPool)


def _run_in_worker(url: str, names: tuple[str, ...], q: Query, index: int) -> list[tuple[Any, ...]]:
    """In a worker process: rebuild statement `index` of the same task list (statements are not sent across
    processes, their inputs are) and return its rows as plain tuples."""
    stmt, _ = _tasks([KPIS[name] for name in names], q)[index]
    return [tuple(row) for row in _fetch(_worker_engine(url), stmt)]


def _large_sqlite_file(engine: Engine, min_bytes: int) -> bool:
    """A SQLite database file of at least `min_bytes` (worth worker processes: statements take long enough)."""
    name = engine.url.database
    if engine.dialect.name != "sqlite" or name in (None, "", ":memory:") or str(name).startswith("file:"):
        return False
    try:
        return Path(str(name)).stat().st_size >= min_bytes
    except OSError:
        return False


def _in_processes(engine: Engine, kpis: list[KpiDef], q: Query, n_tasks: int) -> list[Rows] | None:
    """Every statement's rows from the worker processes, in task order; None when the pool broke (then threads)."""
    if multiprocessing.current_process().daemon:  # a daemonic process (some servers' workers) may not have children
        return None
    # absolute: the workers' working directory is the one the fork server started in
    url = engine.url.set(database=str(Path(str(engine.url.database)).resolve())).render_as_string(hide_password=False)
    names = tuple(k.name for k in kpis)
    try:
        pool = _process_pool()
        futures = [pool.submit(_run_in_worker, url, names, q, i) for i in range(n_tasks)]  # heaviest first
        return [future.result() for future in futures]
    except (BrokenProcessPool, OSError) as exc:  # a killed worker, or no processes to be had
        log.warning("KPI worker processes failed (%s); running the statements on threads", exc)
        _drop_pool()
        return None


def _aggregate(engine: Engine, kpis: list[KpiDef], q: Query, processes_from_bytes: int | None = None) -> Acc:
    """{kpi: (current, previous)} with (num, den) per dimension value, from a few statements run concurrently.

    `processes_from_bytes`: a SQLite file at least this large runs them in worker processes (None: never).
    """
    acc: Acc = {k.name: ({}, {}) for k in kpis}
    tasks = _tasks(kpis, q)
    workers = _threads(engine, len(tasks))
    results: list[Rows] | None = None
    if workers > 1 and processes_from_bytes is not None and _large_sqlite_file(engine, processes_from_bytes):
        results = _in_processes(engine, kpis, q, len(tasks))
    if results is None and workers == 1:
        results = [_fetch(engine, stmt) for stmt, _ in tasks]
    elif results is None:
        with ThreadPoolExecutor(workers, thread_name_prefix="kpi") as pool:
            results = list(pool.map(lambda task: _fetch(engine, task[0]), tasks))
    for (_, take), rows in zip(tasks, results, strict=True):  # in task order: the same sums whatever finished first
        take(acc, rows)
    return acc


def targets_for(settings: Settings, targets: dict[str, float] | None = None) -> dict[str, float | None]:
    """Every KPI's target: registry default < `kpi_targets` setting < explicit `targets`."""
    merged: dict[str, float | None] = {name: kpi.target for name, kpi in KPIS.items()}
    return merged | dict(settings.kpi_targets) | dict(targets or {})


def _select(name: str | None, by: str | None, filters: Filters = ()) -> list[KpiDef]:
    dims = [by, *(dim for dim, _ in filters)]
    if name is not None:
        kpi = get_kpi(name)
        for dim in dims:
            kpi.check_dimension(dim)
        return [kpi]
    kpis = [k for k in KPIS.values() if all(d is None or d in k.dimensions for d in dims)]
    if not kpis:
        known = ", ".join(sorted({d for k in KPIS.values() for d in k.dimensions}))
        wanted = ", ".join(repr(d) for d in dims if d)
        raise InvalidInputError(f"no KPI supports dimension(s) {wanted} together; dimensions: {known}")
    return kpis


def normalise_filters(filters: dict[str, str | list[str]] | None) -> Filters:
    """{dim: value or values} → a hashable, validated tuple of (dim, values); empty value lists are an error."""
    out: list[tuple[str, tuple[str, ...]]] = []
    for dim, raw in (filters or {}).items():
        if dim not in DIMENSIONS:
            raise InvalidInputError(f"unknown filter dimension {dim!r}; use one of: {', '.join(DIMENSIONS)}")
        values = (raw,) if isinstance(raw, str) else tuple(str(v) for v in raw)
        if not values:
            raise InvalidInputError(f"filter {dim!r} has no values")
        out.append((dim, values))
    return tuple(out)


def compute_kpis(
    settings: Settings,
    name: str | None = None,
    by: str | None = None,
    period: str = "month",
    start: dt.date | None = None,
    end: dt.date | None = None,
    targets: dict[str, float] | None = None,
    today: dt.date | None = None,
    filters: dict[str, str | list[str]] | None = None,
) -> list[dict[str, Any]]:
    """Rows of {by?, kpi, value, target, previous, trend, better, n}; targets as in `targets_for`.

    `filters` keeps only rows whose dimension value is one of the given values, e.g. {"region": ["华东"]}, and may
    name other dimensions than `by` (华东's return rate by category); a KPI must support every dimension named.
    """
    clean = normalise_filters(filters)
    kpis = _select(name, by, clean)
    today = today or dt.datetime.now(settings.zone).date()
    try:
        cur, prev = windows(settings, *resolve_dates(period, start, end, today))
        return _rows(settings, kpis, by, cur, prev, targets, clean)
    except OverflowError:
        # Dates at the edge of the calendar (year 1 or 9999) leave no room for the window, the one before it or
        # churn_rate's look-back.
        raise InvalidInputError(f"dates out of range: from={start} to={end}") from None


def _rows(
    settings: Settings,
    kpis: list[KpiDef],
    by: str | None,
    cur: Window,
    prev: Window,
    targets: dict[str, float] | None,
    filters: Filters = (),
) -> list[dict[str, Any]]:
    """One row per KPI (and dimension value seen in either window)."""
    goals = targets_for(settings, targets)
    engine = db.get_engine(settings)
    rows: list[dict[str, Any]] = []
    q = Query(cur, prev, by, engine.dialect.name, settings.churn_horizon_days, filters)
    acc = _aggregate(engine, kpis, q, settings.kpi_processes_from_mb * 2**20)
    for kpi in kpis:
        now, before = acc[kpi.name]
        keys = sorted(set(now) | set(before), key=lambda k: (k is None, str(k))) if by else [None]
        for key in keys:
            num, den = now.get(key, (0.0, 0.0))
            value = value_of(kpi, num, int(den))
            prev_num, prev_den = before.get(key, (0.0, 0.0))
            previous = value_of(kpi, prev_num, int(prev_den))
            arrow, better = trend(value, previous, kpi.direction)
            row: dict[str, Any] = {by: key} if by else {}
            row |= {"kpi": kpi.name, "value": value, "target": goals[kpi.name]}
            row |= {"previous": previous, "trend": arrow, "better": better, "n": int(den)}
            rows.append(row)
    return rows
