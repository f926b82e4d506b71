"""Bulk natural-key upserts through a staging table, counting new, changed and unchanged rows in SQL.

The staging approach keeps the per-row Python work to one executemany (SQLite) or COPY (PostgreSQL); comparing,
inserting and updating then run inside the database. Works on SQLite ≥ 3.35 and PostgreSQL ≥ 9.5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Column, Connection, Integer, MetaData, Table, text

ROW = "_row"
SQLITE_TS = "%Y-%m-%d %H:%M:%S.%f"


@dataclass
class BatchResult:
    """What one batch did: counts, rows rejected for unknown references, and stub customers created."""

    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    ref_rejects: list[tuple[int, str, str]] = field(default_factory=list)
    pending_customers: int = 0


def _column_values(series: pd.Series, sqlite: bool) -> list[Any]:
    """Python values for the DB driver: None for missing, timestamps as SQLite text or datetime."""
    if pd.api.types.is_datetime64_any_dtype(series):
        if sqlite:  # Arrow formats in C++; '%S' at microsecond unit gives 'SS.ffffff' as SQLAlchemy writes it
            stamps = pa.array(series, type=pa.timestamp("us"), from_pandas=True)
            return pc.strftime(stamps, format="%Y-%m-%d %H:%M:%S").to_pylist()  # type: ignore[no-any-return]
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if isinstance(series.dtype, pd.Int64Dtype):
        return [None if pd.isna(v) else int(v) for v in series.astype("object")]
    if pd.api.types.is_float_dtype(series):
        return [None if np.isnan(v) else float(v) for v in series.to_numpy()]
    if pd.api.types.is_integer_dtype(series):
        return [int(v) for v in series.to_numpy()]
    values: list[Any] = series.astype("object").where(series.notna(), None).tolist()
    return values


class StagedUpsert:
    """Upserts DataFrames into one entity table, keyed on its natural ID, through a temp staging table."""

    def __init__(
        self,
        table: Table,
        key: str,
        columns: list[str],
        customer_ref: str | None = None,
        required_refs: tuple[tuple[str, str, str], ...] = (),
        customers_table: Table | None = None,
    ) -> None:
        self.table = table
        self.key = key
        self.columns = columns
        self.customer_ref = customer_ref if customer_ref in columns else None
        self.required_refs = tuple(r for r in required_refs if r[0] in columns)
        self.customers_table = customers_table
        self.has_pending = "pending" in table.c
        stage_meta = MetaData()
        self.stage = Table(
            f"_stage_{table.name}",
            stage_meta,
            *[Column(c, table.c[c].type) for c in columns],
            Column(ROW, Integer),
            prefixes=["TEMPORARY"],
        )

    def _q(self, conn: Connection, name: str) -> str:
        return conn.dialect.identifier_preparer.quote(name)

    def _distinct(self, conn: Connection, left: str, right: str) -> str:
        op = "IS NOT" if conn.dialect.name == "sqlite" else "IS DISTINCT FROM"
        return f"{left} {op} {right}"

    def _load_stage(self, conn: Connection, frame: pd.DataFrame) -> None:
        sqlite = conn.dialect.name == "sqlite"
        if self._stage_exists(conn):
            self.stage.drop(conn)
        self.stage.create(conn)
        names = [*self.columns, ROW]
        cols = [_column_values(frame[c], sqlite) for c in names]
        rows = list(zip(*cols, strict=True))
        if not rows:
            return
        quoted = ", ".join(self._q(conn, c) for c in names)
        if sqlite:
            marks = ", ".join("?" for _ in names)
            conn.exec_driver_sql(f"INSERT INTO {self.stage.name} ({quoted}) VALUES ({marks})", rows)  # type: ignore[arg-type]
            return
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {self.stage.name} ({quoted}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)

    def _stage_exists(self, conn: Connection) -> bool:
        if conn.dialect.name == "sqlite":
            found = conn.exec_driver_sql(
                "SELECT 1 FROM sqlite_temp_master WHERE type='table' AND name=?", (self.stage.name,)
            ).first()
        else:
            found = conn.exec_driver_sql(
                "SELECT 1 FROM pg_class WHERE relname=%s AND relpersistence='t' AND pg_table_is_visible(oid)",
                (self.stage.name,),
            ).first()
        return found is not None

    def _scalar(self, conn: Connection, sql: str, params: dict[str, Any] | None = None) -> int:
        return int(conn.execute(text(sql), params or {}).scalar_one())

    def write(self, conn: Connection, frame: pd.DataFrame, now_utc: dt.datetime) -> BatchResult:
        """Stage, check references, count, and upsert one batch inside the caller's transaction."""
        result = BatchResult()
        # Bound as the same text SQLAlchemy's DateTime writes on SQLite, so reads parse it back.
        now: Any = now_utc.strftime(SQLITE_TS) if conn.dialect.name == "sqlite" else now_utc
        if frame.empty:
            return result
        self._load_stage(conn, frame)

        def q(name: str) -> str:
            return self._q(conn, name)

        t, s, k = q(self.table.name), self.stage.name, q(self.key)
        for col, ref_table, ref_key in self.required_refs:
            missing_sql = (
                f"FROM {s} WHERE {q(col)} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {q(ref_table)} r WHERE r.{q(ref_key)} = {s}.{q(col)})"
            )
            for row, value in conn.execute(text(f"SELECT {ROW}, {q(col)} {missing_sql}")):
                result.ref_rejects.append(
                    (
                        int(row),
                        col,
                        f"unknown {col} {value!r}: ingest {ref_table} first (references must exist)",
                    )
                )
            if result.ref_rejects:
                conn.execute(text(f"DELETE {missing_sql}"))
        if self.customer_ref and self.customers_table is not None:
            c = q(self.customer_ref)
            created = conn.execute(
                text(
                    f"INSERT INTO customers (customer_id, pending, created_at, updated_at) "
                    f"SELECT DISTINCT {c}, :yes, :now, :now FROM {s} WHERE {c} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM customers x WHERE x.customer_id = {s}.{c})"
                ),
                {"yes": True, "now": now},
            )
            result.pending_customers = max(created.rowcount or 0, 0)
        total = self._scalar(conn, f"SELECT count(*) FROM {s}")
        value_cols = [c for c in self.columns if c != self.key]
        differs = " OR ".join(self._distinct(conn, f"t.{q(c)}", f"{s}.{q(c)}") for c in value_cols) or "1=0"
        pending_new = " OR t.pending" if self.has_pending else ""
        pending_not = " AND NOT t.pending" if self.has_pending else ""
        result.accepted = self._scalar(
            conn,
            f"SELECT count(*) FROM {s} LEFT JOIN {t} t ON t.{k} = {s}.{k} WHERE t.{k} IS NULL{pending_new}",
        )
        result.updated = self._scalar(
            conn, f"SELECT count(*) FROM {s} JOIN {t} t ON t.{k} = {s}.{k} WHERE ({differs}){pending_not}"
        )
        result.unchanged = total - result.accepted - result.updated
        insert_cols = [*self.columns, "updated_at"] + (["pending"] if self.has_pending else [])
        select_cols = [f"{s}.{q(c)}" for c in self.columns] + [":now"] + ([":no"] if self.has_pending else [])
        sets = [f"{q(c)} = excluded.{q(c)}" for c in [*value_cols, "updated_at"]]
        when = [self._distinct(conn, f"{t}.{q(c)}", f"excluded.{q(c)}") for c in value_cols]
        if self.has_pending:
            sets.append("pending = excluded.pending")
            when.append(f"{t}.pending")
        conn.execute(
            text(
                f"INSERT INTO {t} ({', '.join(q(c) for c in insert_cols)}) "
                f"SELECT {', '.join(select_cols)} FROM {s} WHERE true ORDER BY {s}.{k} "
                f"ON CONFLICT ({k}) DO UPDATE SET {', '.join(sets)} WHERE {' OR '.join(when) or 'false'}"
            ),
            {"now": now, "no": False},
        )
        return result
