"""All KPIs for one month sliced by region over 1,000,000 returns and 5,000,000 interactions, SQLite and PostgreSQL.

Generates a synthetic store (customers, orders, returns, cases, interactions, analyses, surveys) with numpy and
bulk-loads it (executemany into SQLite, COPY into PostgreSQL; generation is not timed), then times
`compute_kpis(settings, by="region", start=MONTH_START, end=MONTH_END)` — every KPI that supports region, current
and previous window — as the median of --repeat runs after one warm-up. Baseline in the same run: the "floor", plain
`GROUP BY region` counts of the same windows' orders, returns, cases and customer messages (the least any
SQL-side computation must read). Prints one JSON object.

Usage: python benchmarks/analytics.py [--returns 1000000] [--interactions 5000000] [--repeat 5]
       [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--keep DIR]
PostgreSQL gets a scratch database `as_bench_kpi`. `--keep DIR` keeps (and reuses) the generated SQLite home in DIR
and that PostgreSQL database (dropped otherwise), so that repeated runs generate and load the data only once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from machine import snapshot
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from aftersales.analytics.kpis import KPIS
from aftersales.config import Settings, load_settings
from aftersales.services.kpi import compute_kpis, windows
from aftersales.storage import db
from aftersales.storage.tables import metadata

BASE = np.datetime64("2023-01-01T00:00:00", "s")
DAYS = 730  # two years of history: 2023-01-01 .. 2024-12-31 (UTC)
MONTH = (dt.date(2024, 6, 1), dt.date(2024, 6, 30))
REGIONS = np.array(["华东", "华北", "华南", "华中", "西南", "西北", "东北"])
CATEGORIES = np.array([f"cat{i:02d}" for i in range(12)])
CHANNELS = np.array(["chat", "phone", "email", "social", "review"])
SALES = np.array(["app", "web", "mini_program", "store"])
REASONS = np.array(["quality_defect", "size_fit", "not_as_described", "logistics_delay", "changed_mind", "other"])
STAGES = np.array(["none", "latent", "explicit", "intent_to_complain", "formal_complaint"])
PG_DATABASE = "as_bench_kpi"
LOAD_ORDER = ("customers", "orders", "returns", "cases", "interactions", "analyses", "surveys")


def _stamps(seconds: np.ndarray) -> list[str | None]:
    """Naive-UTC timestamps as the text SQLAlchemy stores in SQLite (and PostgreSQL's COPY accepts); NaN → None."""
    missing = np.isnan(seconds) if seconds.dtype.kind == "f" else np.zeros(len(seconds), dtype=bool)
    clean = np.where(missing, 0, seconds).astype("int64")
    arr = pa.array((BASE + clean.astype("timedelta64[s]")).astype("datetime64[us]"), mask=missing)
    return pc.strftime(arr, format="%Y-%m-%d %H:%M:%S").to_pylist()  # type: ignore[no-any-return]


def _ids(prefix: str, n: int) -> np.ndarray:
    """prefix0 … prefix{n-1}, built by Arrow in C++ (numpy's char functions take seconds per million)."""
    digits = pa.array(np.arange(n)).cast(pa.string())
    return pc.binary_join_element_wise(prefix, digits, "").to_numpy(zero_copy_only=False)  # type: ignore[no-any-return]


def generate(returns_n: int, interactions_n: int, seed: int = 5) -> dict[str, pd.DataFrame]:
    """A store with the asked returns and interactions; orders 3×, cases 1× and customers 1/5× the returns."""
    rng = np.random.default_rng(seed)
    cust_n, orders_n, cases_n, surveys_n = returns_n // 5, 3 * returns_n, returns_n, returns_n // 4
    cust_region = rng.integers(0, len(REGIONS), cust_n)
    customers = pd.DataFrame(
        {
            "customer_id": _ids("C", cust_n),
            "region": REGIONS[cust_region],
            "tier": np.where(rng.random(cust_n) < 0.1, "vip", "regular"),
        }
    )
    o_cust = rng.integers(0, cust_n, orders_n)
    o_at = np.sort(rng.integers(0, DAYS * 86400, orders_n))  # rows and ids in time order, as a live store has them
    orders = pd.DataFrame(
        {
            "order_id": _ids("O", orders_n),
            "customer_id": customers["customer_id"].to_numpy()[o_cust],
            "ordered_at": _stamps(o_at),
            "sku": _ids("SKU", 2000)[rng.integers(0, 2000, orders_n)],
            "category": CATEGORIES[rng.integers(0, len(CATEGORIES), orders_n)],
            "region": REGIONS[cust_region[o_cust]],
            "channel": SALES[rng.integers(0, len(SALES), orders_n)],
            "amount": np.round(rng.gamma(2.0, 80.0, orders_n), 2),
        }
    )
    r_order = rng.choice(orders_n, returns_n, replace=False)
    r_at = o_at[r_order] + rng.integers(86400, 30 * 86400, returns_n)
    in_order = np.argsort(r_at, kind="stable")
    r_order, r_at = r_order[in_order], r_at[in_order]
    returns = pd.DataFrame(
        {
            "return_id": _ids("R", returns_n),
            "order_id": orders["order_id"].to_numpy()[r_order],
            "requested_at": _stamps(r_at),
            "customer_id": orders["customer_id"].to_numpy()[r_order],
            "type": np.where(rng.random(returns_n) < 0.25, "exchange", "return"),
            "reason_code": REASONS[rng.integers(0, len(REASONS), returns_n)],
            "refund_amount": np.round(orders["amount"].to_numpy()[r_order] * rng.random(returns_n), 2),
        }
    )
    k_ret = rng.permutation(returns_n)[:cases_n]
    k_open = r_at[k_ret] + rng.integers(0, 3600, cases_n)
    in_order = np.argsort(k_open, kind="stable")
    k_ret, k_open = k_ret[in_order], k_open[in_order]
    first = k_open + rng.exponential(45 * 60, cases_n).astype("int64")
    resolved = k_open + rng.exponential(30 * 3600, cases_n).astype("int64")
    unresolved = rng.random(cases_n) < 0.1
    breached = np.where(first - k_open > 3600, first, np.nan)
    polarity_open = np.round(rng.uniform(-1, 0.5, cases_n), 2)
    cases = pd.DataFrame(
        {
            "case_id": _ids("K", cases_n),
            "customer_id": returns["customer_id"].to_numpy()[k_ret],
            "order_id": returns["order_id"].to_numpy()[k_ret],
            "status": np.where(unresolved, "in_progress", "resolved"),
            "queue": np.array(["general", "vip", "complaints", "logistics"])[rng.integers(0, 4, cases_n)],
            "stage": STAGES[rng.integers(0, len(STAGES), cases_n)],
            "primary_reason": REASONS[rng.integers(0, len(REASONS), cases_n)],
            "channel": CHANNELS[rng.integers(0, len(CHANNELS), cases_n)],
            "opened_at": _stamps(k_open),
            "first_response_at": _stamps(first.astype("float64")),
            "resolved_at": _stamps(np.where(unresolved, np.nan, resolved.astype("float64"))),
            "reopen_count": (rng.random(cases_n) < 0.08).astype("int64"),
            "polarity_open": polarity_open,
            "polarity_close": np.where(
                unresolved, np.nan, np.round(polarity_open + rng.uniform(-0.2, 1.0, cases_n), 2)
            ),
            "first_response_breached_at": _stamps(breached),
        }
    )
    i_case = rng.integers(0, cases_n, interactions_n)
    i_at = k_open[i_case] + rng.integers(0, 72 * 3600, interactions_n)
    in_order = np.argsort(i_at, kind="stable")
    i_case, i_at = i_case[in_order], i_at[in_order]
    author = np.where(rng.random(interactions_n) < 0.55, "customer", "agent")
    interactions = pd.DataFrame(
        {
            "interaction_id": _ids("I", interactions_n),
            "customer_id": cases["customer_id"].to_numpy()[i_case],
            "text": "…",
            "created_at": _stamps(i_at),
            "case_id": cases["case_id"].to_numpy()[i_case],
            "channel": cases["channel"].to_numpy()[i_case],
            "author": author,
        }
    )
    said = interactions.loc[author == "customer", "interaction_id"].to_numpy()
    polarity = np.array(["negative", "neutral", "positive"])[rng.integers(0, 3, len(said))]
    analyses = pd.DataFrame(
        {
            "interaction_id": said,
            "model_version": "bench-1",
            "polarity": polarity,
            "polarity_score": np.where(polarity == "negative", -0.6, 0.2),
            "emotion": "neutral",
            "emotion_scores": "{}",
            "intensity": 1,
            "stage": "none",
            "reasons": "[]",
            "reason_scores": "{}",
            "primary_reason": "none",
            "problem_type": "other",
            "evidence": "[]",
            "language": "zh",
        }
    )
    kind = np.where(rng.random(surveys_n) < 0.6, "csat", "nps")
    surveys = pd.DataFrame(
        {
            "survey_id": _ids("S", surveys_n),
            "customer_id": customers["customer_id"].to_numpy()[rng.integers(0, cust_n, surveys_n)],
            "kind": kind,
            "score": np.where(kind == "csat", rng.integers(1, 6, surveys_n), rng.integers(0, 11, surveys_n)),
            "answered_at": _stamps(rng.integers(0, DAYS * 86400, surveys_n)),
        }
    )
    frames = {"customers": customers, "orders": orders, "returns": returns, "cases": cases}
    return frames | {"interactions": interactions, "analyses": analyses, "surveys": surveys}


def _py(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as Python tuples with None for missing values (what sqlite3's executemany binds)."""
    cols = [frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in frame.columns]
    return list(zip(*cols, strict=True))


def load_sqlite(settings: Settings, frames: dict[str, pd.DataFrame]) -> None:
    """Schema by the app's migrations; rows by executemany with the secondary indexes dropped, then rebuilt; ANALYZE."""
    engine = db.get_engine(settings)
    for name in LOAD_ORDER:
        db.drop_indexes(engine, metadata.tables[name])
    path = make_url(settings.resolved_database_url).database
    assert path is not None
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous=OFF")
    for name in LOAD_ORDER:
        frame = frames[name]
        cols = ", ".join(frame.columns)
        marks = ", ".join("?" * len(frame.columns))
        for lo in range(0, len(frame), 500_000):
            con.executemany(f"INSERT INTO {name} ({cols}) VALUES ({marks})", _py(frame.iloc[lo : lo + 500_000]))
        con.commit()
    con.close()
    db.ensure_indexes(engine)
    db.analyze(engine, LOAD_ORDER)  # as ingest does after a large load: SQLite keeps no statistics until ANALYZE


def load_postgres(settings: Settings, frames: dict[str, pd.DataFrame]) -> None:
    """Schema by the app's migrations; rows by COPY (CSV text), indexes dropped during the load, then ANALYZE."""
    engine = db.get_engine(settings)
    for name in LOAD_ORDER:
        db.drop_indexes(engine, metadata.tables[name])
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for name in LOAD_ORDER:
            frame = frames[name]
            for lo in range(0, len(frame), 500_000):
                buf = io.StringIO()
                frame.iloc[lo : lo + 500_000].to_csv(buf, index=False, header=False)
                with cur.copy(f"COPY {name} ({', '.join(frame.columns)}) FROM STDIN WITH (FORMAT csv)") as copy:  # type: ignore[attr-defined]
                    copy.write(buf.getvalue())
        raw.commit()
    finally:
        raw.close()
    db.ensure_indexes(engine)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def floor_queries(settings: Settings) -> Callable[[], None]:
    """The baseline: GROUP BY region counts of the rows the KPIs must read, current and previous window."""
    cur, prev = windows(settings, *MONTH)
    sqls = [
        "SELECT o.region, count(*) FROM orders o WHERE o.ordered_at >= :a AND o.ordered_at < :b GROUP BY o.region",
        "SELECT o.region, count(*) FROM returns r JOIN orders o ON o.order_id = r.order_id "
        "WHERE r.requested_at >= :a AND r.requested_at < :b GROUP BY o.region",
        "SELECT c.region, count(*) FROM cases k JOIN customers c ON c.customer_id = k.customer_id "
        "WHERE k.opened_at >= :a AND k.opened_at < :b GROUP BY c.region",
        "SELECT c.region, count(*) FROM interactions i JOIN customers c ON c.customer_id = i.customer_id "
        "WHERE i.author = 'customer' AND i.created_at >= :a AND i.created_at < :b GROUP BY c.region",
    ]
    engine = db.get_engine(settings)

    def run() -> None:
        with engine.connect() as conn:
            for window in (cur, prev):
                for sql in sqls:
                    conn.execute(text(sql), {"a": window[0], "b": window[1]}).all()

    return run


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Wall seconds of `repeat` calls after one warm-up call."""
    fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def measure(settings: Settings, repeat: int, per_kpi_runs: int) -> dict[str, Any]:
    """Median seconds of all KPIs by region, of the floor, and of each KPI on its own."""
    start, end = MONTH
    all_runs = timed(lambda: compute_kpis(settings, by="region", start=start, end=end), repeat)
    floor_runs = timed(floor_queries(settings), repeat)
    names = [k for k in KPIS.values() if "region" in k.dimensions]
    per_kpi = {
        k.name: round(
            statistics.median(
                timed(partial(compute_kpis, settings, k.name, "region", start=start, end=end), per_kpi_runs)
            ),
            3,
        )
        for k in names
        if per_kpi_runs
    }
    rows = compute_kpis(settings, by="region", start=start, end=end)
    return {
        "kpis": len(names),
        "rows": len(rows),
        "median_seconds": round(statistics.median(all_runs), 3),
        "runs_seconds": [round(r, 3) for r in all_runs],
        "floor_median_seconds": round(statistics.median(floor_runs), 3),
        "per_kpi_median_seconds": dict(sorted(per_kpi.items(), key=lambda kv: -kv[1])),
        "target_seconds": 2.0,
    }


def counts(settings: Settings) -> dict[str, int]:
    """Rows per table, read back from the database."""
    engine = db.get_engine(settings)
    with engine.connect() as conn:
        return {t: int(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one()) for t in LOAD_ORDER}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--returns", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=os.environ.get("AFTERSALES_BENCH_DATABASE_URL"))
    parser.add_argument("--keep", type=Path, help="SQLite home to keep and reuse between runs")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--per-kpi", type=int, default=1, help="timed runs of each KPI alone (0: skip)")
    args = parser.parse_args()
    result: dict[str, Any] = {
        "benchmark": "kpis_one_month_by_region",
        "month": [MONTH[0].isoformat(), MONTH[1].isoformat()],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "machine": f"{platform.machine()} ({os.cpu_count()} cpus)",
        "repeat": args.repeat,
        "machine_state": snapshot("before"),
    }
    frames: dict[str, pd.DataFrame] | None = None

    def data() -> dict[str, pd.DataFrame]:
        nonlocal frames
        if frames is None:
            t0 = time.perf_counter()
            frames = generate(args.returns, args.interactions)
            result["generate_seconds"] = round(time.perf_counter() - t0, 1)
        return frames

    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sqlite:
            home = args.keep or Path(tmp) / "sqlite"
            settings = load_settings(home=home)
            marker = home / ".bench-built"
            expected = f"{args.returns} {args.interactions}"
            if not (marker.exists() and marker.read_text() == expected):
                (home / "aftersales.db").unlink(missing_ok=True)
                t0 = time.perf_counter()
                load_sqlite(settings, data())
                result["sqlite_load_seconds"] = round(time.perf_counter() - t0, 1)
                marker.write_text(expected)
            result["rows"] = counts(settings)
            result["sqlite_results"] = measure(settings, args.repeat, args.per_kpi)
            db.dispose_engines()
        if args.database_url:
            url = make_url(args.database_url)
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            expected = f"{args.returns} {args.interactions}"
            with admin.connect() as conn:
                built = conn.execute(
                    text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
                    {"n": PG_DATABASE},
                ).scalar()
                reuse = args.keep is not None and built == expected
                if not reuse:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
                    conn.execute(text(f"CREATE DATABASE {PG_DATABASE}"))
            try:
                pg_url = url.set(database=PG_DATABASE).render_as_string(False)
                pg = load_settings(home=Path(tmp) / "pg", database_url=pg_url)
                if not reuse:
                    t0 = time.perf_counter()
                    load_postgres(pg, data())
                    result["postgres_load_seconds"] = round(time.perf_counter() - t0, 1)
                    with admin.connect() as conn:
                        conn.execute(text(f"COMMENT ON DATABASE {PG_DATABASE} IS '{expected}'"))
                result.setdefault("rows", counts(pg))
                with db.get_engine(pg).connect() as conn:
                    result["postgres"] = conn.execute(text("SHOW server_version")).scalar_one()
                result["postgres_results"] = measure(pg, args.repeat, args.per_kpi)
            finally:
                db.dispose_engines()
                if args.keep is None:
                    with admin.connect() as conn:
                        conn.execute(text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
                admin.dispose()
    result["machine_state"] |= snapshot("after")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
