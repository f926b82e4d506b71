"""Use cases that own their transactions; the CLI, API and web call these and only render the results."""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, insert, select, update

from aftersales.config import Settings, get_settings
from aftersales.ingest.aliases import parse_map_options, resolve_columns
from aftersales.ingest.readers import RawChunk, TableReader, cell_text
from aftersales.ingest.rejects import RejectsWriter, default_rejects_path
from aftersales.ingest.schema import get_spec
from aftersales.ingest.validate import Reject, validate_chunk
from aftersales.storage import db
from aftersales.storage.tables import ENTITY_TABLES, customers, ingest_runs
from aftersales.storage.upsert import StagedUpsert

ProgressFn = Callable[[int, float | None], None]

ANALYZE_AFTER_ROWS = 10_000
"""An ingest that writes at least this many rows refreshes the planner's statistics of its table (db.analyze)."""


@dataclass
class IngestSummary:
    """Outcome of one ingest; `contract()` is the documented `--json` object."""

    entity: str
    file: str
    accepted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    pending_customers: int = 0
    pii_masked: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    encoding: str | None = None
    format: str | None = None
    seconds: float = 0.0

    def contract(self) -> dict[str, Any]:
        """The `aftersales ingest --json` object (DESIGN/issue contract, extended only with extra keys)."""
        return asdict(self)

    @property
    def rows(self) -> int:
        """Records read, good and bad."""
        return self.accepted + self.updated + self.unchanged + self.rejected


def _ingest_chunks(
    entity: str,
    source: str,
    headers_of: Callable[[], list[str]],
    chunks: Iterable[RawChunk],
    *,
    settings: Settings,
    explicit_map: dict[str, str],
    rejects: RejectsWriter | None,
    progress: ProgressFn | None,
    progress_fraction: Callable[[], float | None] = lambda: None,
) -> IngestSummary:
    """Shared pipeline: map headers, validate each chunk, upsert it in its own committed transaction."""
    spec = get_spec(entity)
    engine = db.get_engine(settings)
    summary = IngestSummary(entity=entity, file=source)
    started = time.perf_counter()
    iterator = iter(chunks)
    first = next(iterator, None)  # readers learn the headers while producing the first chunk
    headers = headers_of()
    mapping_by_name, summary.ignored_columns = resolve_columns(headers, spec, explicit_map)
    index_map = {i: mapping_by_name[h] for i, h in enumerate(headers) if h in mapping_by_name}
    columns = [c for c in spec.names if c in index_map.values()]
    upserter = StagedUpsert(
        ENTITY_TABLES[entity],
        spec.key,
        columns,
        customer_ref=spec.customer_ref,
        required_refs=spec.required_refs,
        customers_table=customers,
    )
    run_id = _start_run(engine, entity, source)
    status = "failed"
    # A first load into an empty table builds its secondary indexes once at the end instead of row by row
    # (~1.4x faster on 1M rows); get_engine() repairs them should the process die before the rebuild.
    bulk = db.is_empty(engine, upserter.table)
    if bulk:
        db.drop_indexes(engine, upserter.table)
    try:
        pending = [first] if first is not None else []
        for chunk in itertools.chain(pending, iterator):
            checked = validate_chunk(chunk, index_map, spec, settings.zone)
            if settings.mask_pii:
                summary.pii_masked += mask_free_text(checked.frame, FREE_TEXT.get(entity, ()))
            with engine.begin() as conn:
                result = upserter.write(conn, checked.frame, db.utcnow())
            ref_rejects = [Reject(row, [col], [why], _raw_for(chunk, row)) for row, col, why in result.ref_rejects]
            all_rejects = sorted(checked.rejects + ref_rejects, key=lambda r: r.row)
            if rejects is not None:
                rejects.write(all_rejects)
            summary.accepted += result.accepted
            summary.updated += result.updated + checked.duplicates_changed
            summary.unchanged += result.unchanged + checked.duplicates_identical
            summary.rejected += len(all_rejects)
            summary.pending_customers += result.pending_customers
            if progress is not None:
                progress(summary.rows, progress_fraction())
        status = "done"
    finally:
        if bulk:
            db.ensure_indexes(engine, [upserter.table])
        if status == "done" and summary.accepted + summary.updated + summary.pending_customers >= ANALYZE_AFTER_ROWS:
            # Fresh planner statistics after a large load (SQLite keeps none unless asked; PostgreSQL's autovacuum
            # lags behind a bulk load): the KPI queries' plans depend on them (docs/benchmarks.md). Milliseconds.
            db.analyze(engine, [upserter.table.name, customers.name])
        if rejects is not None:
            path = rejects.close()
            summary.rejects_file = str(path) if path else None
        summary.seconds = round(time.perf_counter() - started, 3)
        _finish_run(engine, run_id, summary, status)
    return summary


# Free-text columns where customers write phone numbers, addresses and names; masked before storage (docs/nlp.md).
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "interactions": ("text",),
    "returns": ("reason_text",),
    "surveys": ("comment",),
}


def mask_free_text(frame: pd.DataFrame, columns: Sequence[str]) -> int:
    """Mask PII in the given text columns in place (nlp.pii); returns how many spans were masked."""
    from aftersales.nlp.pii import PII_HINT, mask_pii

    count = 0
    for col in columns:
        if col not in frame.columns or frame.empty:
            continue
        # Most messages hold no PII: a vectorised pre-filter keeps the masker off them.
        hinted = frame[col].astype("string[pyarrow]").str.contains(PII_HINT, regex=True).fillna(False)
        positions = hinted.to_numpy(bool).nonzero()[0]
        if not len(positions):
            continue
        texts = frame[col].tolist()
        for pos in positions:
            masked = mask_pii(texts[pos])
            if masked.spans:
                texts[pos] = masked.text
                count += len(masked.spans)
        frame[col] = texts
    return count


def _raw_for(chunk: RawChunk, row: int) -> list[str | None]:
    try:
        return chunk.rows[chunk.row_numbers.index(row)]
    except ValueError:
        return []


def _start_run(engine: Engine, entity: str, source: str) -> int:
    with engine.begin() as conn:
        res = conn.execute(
            insert(ingest_runs).values(entity=entity, source=source, started_at=db.utcnow(), status="running")
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]


def _finish_run(engine: Engine, run_id: int, summary: IngestSummary, status: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(ingest_runs)
            .where(ingest_runs.c.id == run_id)
            .values(
                finished_at=db.utcnow(),
                status=status,
                accepted=summary.accepted,
                updated=summary.updated,
                unchanged=summary.unchanged,
                rejected=summary.rejected,
                rejects_file=summary.rejects_file,
            )
        )


def ingest_file(
    entity: str,
    path: str | Path,
    *,
    settings: Settings | None = None,
    map_options: Sequence[str] = (),
    encoding: str = "auto",
    fmt: str | None = None,
    sheet: str | None = None,
    rejects_path: str | Path | None = None,
    progress: ProgressFn | None = None,
) -> IngestSummary:
    """Ingest one file of an entity (DESIGN.md §4): good rows upserted batch by batch, bad rows to rejects."""
    settings = settings or get_settings()
    get_spec(entity)
    source = Path(path)
    explicit = parse_map_options(map_options)
    reader = TableReader(source, fmt=fmt, encoding=encoding, sheet=sheet)
    target = Path(rejects_path) if rejects_path else default_rejects_path(source)
    if not _writable(target.parent):
        target = settings.home / "rejects" / target.name
    writer = RejectsWriter(target, [])
    chunks = reader.chunks(settings.ingest_batch_size)

    def headers() -> list[str]:
        writer.headers = reader.headers
        return reader.headers

    summary = _ingest_chunks(
        entity,
        str(source),
        headers,
        chunks,
        settings=settings,
        explicit_map=explicit,
        rejects=writer,
        progress=progress,
        progress_fraction=reader.progress,
    )
    summary.encoding = reader.encoding
    summary.format = reader.format
    return summary


def _writable(folder: Path) -> bool:
    """Writable by access check and by mode bits (root passes access checks on read-only data folders)."""
    return folder.is_dir() and os.access(folder, os.W_OK) and bool(folder.stat().st_mode & 0o222)


def frame_chunks(frame: pd.DataFrame, size: int) -> Iterable[RawChunk]:
    """Turn an in-memory DataFrame into reader chunks so importers share the file validation path."""
    if frame.empty:
        return
    columns = list(frame.columns)
    for start in range(0, len(frame), size):
        part = frame.iloc[start : start + size]
        cells = [[cell_text(v) for v in part[c].tolist()] for c in columns]
        rows = [list(r) for r in zip(*cells, strict=True)]
        yield RawChunk(rows, list(range(start + 2, start + 2 + len(rows))))  # type: ignore[arg-type]


def ingest_frame(
    entity: str,
    frame: pd.DataFrame,
    *,
    source: str,
    settings: Settings | None = None,
    rejects_path: Path | None = None,
    progress: ProgressFn | None = None,
) -> IngestSummary:
    """Ingest a DataFrame whose columns are canonical names (importers, demo, API)."""
    settings = settings or get_settings()
    headers = [str(c) for c in frame.columns]
    writer = RejectsWriter(rejects_path, headers) if rejects_path else None
    return _ingest_chunks(
        entity,
        source,
        lambda: headers,
        frame_chunks(frame, settings.ingest_batch_size),
        settings=settings,
        explicit_map={},
        rejects=writer,
        progress=progress,
    )


def count_entities(settings: Settings | None = None) -> dict[str, int]:
    """Row counts of every entity table (status output, demo summary, tests)."""
    engine = db.get_engine(settings or get_settings())
    with engine.connect() as conn:
        return {
            name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in ENTITY_TABLES.items()
        }


def upgrade_database(settings: Settings | None = None) -> dict[str, str | None]:
    """Apply migrations explicitly (`aftersales db upgrade`)."""
    settings = settings or get_settings()
    engine = db.create_db_engine(settings.resolved_database_url)
    try:
        before = db.current_revision(engine)
        after = db.upgrade(engine)
    finally:
        engine.dispose()
    return {"database": engine.url.render_as_string(hide_password=True), "from": before, "to": after}
