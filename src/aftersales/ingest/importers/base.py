"""What every public-data importer shares: local-time conversion, staged ingest of entity frames, rejects."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aftersales import services
from aftersales.config import Settings, get_settings
from aftersales.ingest.readers import cell_text
from aftersales.ingest.rejects import RejectsWriter
from aftersales.ingest.validate import Reject

StepFn = Callable[[str], None]


@dataclass
class ImportReport:
    """Outcome of one importer run: one IngestSummary per entity plus importer-level counts (notes)."""

    importer: str
    source: str
    entities: list[services.IngestSummary] = field(default_factory=list)
    notes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def contract(self) -> dict[str, Any]:
        """The `aftersales import ... --json` object: importer, entities (ingest contracts), then extras."""
        return {
            "importer": self.importer,
            "entities": [s.contract() for s in self.entities],
            "source": self.source,
            "notes": dict(self.notes),
            "seconds": self.seconds,
        }

    def summary(self, entity: str) -> services.IngestSummary:
        """The summary of one entity (tests, callers that only care about one table)."""
        for s in self.entities:
            if s.entity == entity:
                return s
        raise KeyError(entity)


@dataclass
class EntityFrame:
    """A canonical-column frame for one entity, plus rows the importer itself refused (with reasons)."""

    entity: str
    frame: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)


def local_iso(naive: pd.Series, zone: str) -> pd.Series:
    """Read naive source timestamps as wall-clock time in `zone` and render ISO-8601 with that offset.

    Handing explicit offsets to ingest keeps the configured default zone (Asia/Shanghai) from misplacing
    them. An hour that occurs twice (autumn clock change) is read as its first, summer-time occurrence; a
    time skipped by the spring clock change is moved forward to the first valid instant.
    """
    parsed = pd.to_datetime(naive, errors="coerce", format="ISO8601")
    summer = np.ones(len(parsed), dtype=bool)
    local = parsed.dt.tz_localize(zone, ambiguous=summer, nonexistent="shift_forward")
    text = local.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"([+-]\d{2})(\d{2})$", r"\1:\2", regex=True)
    return text.astype("object").where(parsed.notna(), None)


def blank_to_none(series: pd.Series) -> pd.Series:
    """Strip text and turn empty strings / NaN into None, so optional cells arrive as missing."""
    present = series.notna()
    stripped = series[present].astype(str).str.strip()
    out = pd.Series(None, index=series.index, dtype="object")
    out[present] = stripped
    return out.where(present & (out != ""), None)


def nullable(series: pd.Series) -> pd.Series:
    """Object column with None for missing values: `cell_text` renders missing values as None."""
    return series.astype("object").where(series.notna(), None)


def make_rejects(frame: pd.DataFrame, rows: Sequence[int], column: str, reasons: Sequence[str]) -> list[Reject]:
    """Rejects for importer-refused records, with the same raw-cell layout as the ingest rejects file."""
    out = []
    for pos, (row, why) in enumerate(zip(rows, reasons, strict=True)):
        # numpy scalars to Python ones first: repr(np.float64(2.5)) is 'np.float64(2.5)' under numpy 2.
        values = [v.item() if isinstance(v, np.generic) else v for v in frame.iloc[pos].tolist()]
        out.append(Reject(int(row), [column], [why], [cell_text(v) for v in values]))
    return out


def append_rejects(path: Path, headers: list[str], rejects: list[Reject]) -> None:
    """Add importer rejects to the entity's rejects file, creating it (with header) when ingest wrote none."""
    if not rejects:
        return
    if not path.exists():
        writer = RejectsWriter(path, headers)
        writer.write(rejects)
        writer.close()
        return
    fields = ["row", "column", "reason", *[h for h in headers if h not in ("row", "column", "reason")]]
    with open(path, "a", encoding="utf-8", newline="", errors="replace") as fh:
        out = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        for rej in rejects:
            record: dict[str, object] = {
                "row": rej.row,
                "column": ";".join(rej.columns),
                "reason": "; ".join(rej.reasons),
            }
            for header, value in zip(headers, rej.raw, strict=False):
                record.setdefault(header, value)
            out.writerow(record)


def ingest_entities(
    importer: str,
    source: str,
    frames: Sequence[EntityFrame],
    *,
    settings: Settings | None = None,
    on_step: StepFn | None = None,
) -> list[services.IngestSummary]:
    """Ingest frames in order (parents before children) through the shared validation + staged upsert."""
    settings = settings or get_settings()
    summaries = []
    for item in frames:
        if on_step is not None:
            on_step(item.entity)
        path = settings.home / "rejects" / f"{importer}.{item.entity}.rejects.csv"
        summary = services.ingest_frame(item.entity, item.frame, source=source, settings=settings, rejects_path=path)
        if item.rejects:
            append_rejects(path, [str(c) for c in item.frame.columns], item.rejects)
            summary.rejected += len(item.rejects)
            summary.rejects_file = str(path)
        summaries.append(summary)
    return summaries


def run_import(
    importer: str,
    source: str,
    build: Callable[[], tuple[list[EntityFrame], dict[str, int]]],
    *,
    settings: Settings | None = None,
    on_step: StepFn | None = None,
) -> ImportReport:
    """Build the entity frames, ingest them, and time the whole run."""
    started = time.perf_counter()
    if on_step is not None:
        on_step("read")
    frames, notes = build()
    report = ImportReport(importer, source, notes=notes)
    report.entities = ingest_entities(importer, source, frames, settings=settings, on_step=on_step)
    report.seconds = round(time.perf_counter() - started, 3)
    return report
