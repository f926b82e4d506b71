"""The rejects file: one CSV row per bad source row with row number, column(s), reason(s) and the raw cells."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import IO

from aftersales.ingest.validate import Reject


def default_rejects_path(source: Path) -> Path:
    """FILE.rejects.csv next to the input (the documented contract)."""
    return source.with_name(source.name + ".rejects.csv")


class RejectsWriter:
    """Writes rejects lazily: the file only exists when at least one row was rejected."""

    def __init__(self, path: Path, headers: list[str]) -> None:
        self.path = path
        self.headers = headers
        self.count = 0
        self._fh: IO[str] | None = None
        self._writer: csv.DictWriter[str] | None = None

    def write(self, rejects: list[Reject]) -> None:
        """Append rejects, creating the file (UTF-8 with BOM, so Excel opens Chinese correctly) on first use."""
        if not rejects:
            return
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "w", encoding="utf-8-sig", newline="", errors="replace")  # noqa: SIM115 - kept open across batches
            fields = [
                "row",
                "column",
                "reason",
                *[h for h in self.headers if h not in ("row", "column", "reason")],
            ]
            self._writer = csv.DictWriter(self._fh, fieldnames=fields, extrasaction="ignore")
            self._writer.writeheader()
        for rej in rejects:
            record: dict[str, object] = {
                "row": rej.row,
                "column": ";".join(rej.columns),
                "reason": "; ".join(rej.reasons),
            }
            for header, value in zip(self.headers, rej.raw, strict=False):
                record.setdefault(header, value)
            self._writer.writerow(record)
            self.count += 1

    def close(self) -> Path | None:
        """Close and return the path if anything was written."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            return self.path
        if self.path.exists():
            self.path.unlink()  # a stale rejects file from an earlier run would mislead
        return None
