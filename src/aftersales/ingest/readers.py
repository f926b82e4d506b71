"""Streaming readers for CSV (any common Chinese encoding), XLSX, JSONL and Parquet, plain or gzipped.

Every reader yields chunks of raw string cells with the source row number of each record, plus the records that
could not even be split into cells (wrong field count, broken JSON) so they end up in the rejects file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import io
import json
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
from charset_normalizer import from_bytes

from aftersales.errors import InputFileError

csv.field_size_limit(64 * 1024 * 1024)

FORMATS = ("csv", "tsv", "xlsx", "jsonl", "parquet")
SAMPLE_BYTES = 256 * 1024
# Lone surrogates mark bytes the detected encoding could not decode (errors="surrogateescape").
UNDECODABLE = "\udc00"
_UNDECODABLE_RE = re.compile("[\udc00-\udcff]")


def has_undecodable(text: str) -> bool:
    """True when text holds bytes the file's encoding could not decode (or NULs)."""
    return _UNDECODABLE_RE.search(text) is not None


@dataclass
class RawChunk:
    """A slice of a file: header-aligned string cells, source row numbers, and structural rejects."""

    rows: list[list[str | None]]
    row_numbers: list[int]
    structural_rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (row, column, reason)
    raw_rejects: dict[int, list[str]] = field(default_factory=dict)  # row → raw cells, for the rejects file


def detect_format(path: Path, declared: str | None = None) -> str:
    """Format from --format or the file suffix (a trailing .gz is looked through)."""
    if declared:
        fmt = declared.lower()
    else:
        suffixes = [s.lower() for s in path.suffixes]
        if suffixes and suffixes[-1] == ".gz":
            suffixes = suffixes[:-1]
        fmt = suffixes[-1].lstrip(".") if suffixes else ""
        fmt = {
            "xls": "xlsx",
            "xlsm": "xlsx",
            "txt": "csv",
            "ndjson": "jsonl",
            "json": "jsonl",
            "pq": "parquet",
        }.get(fmt, fmt)
    if fmt not in FORMATS:
        raise InputFileError(f"{path}: unsupported format {fmt or '(no suffix)'!r}; expected one of {FORMATS}")
    return fmt


def _open_binary(path: Path) -> IO[bytes]:
    """Open a file, transparently decompressing .gz."""
    if not path.exists():
        raise InputFileError(f"{path}: file not found")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory, expected a file")
    if path.suffix.lower() == ".gz":
        return gzip.GzipFile(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def detect_encoding(sample: bytes) -> str:
    """Best encoding for a byte sample: BOMs first, then strict UTF-8, then GB18030 (⊃ GBK ⊃ GB2312), then a guess."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            # A sample may end mid-character: an incremental decoder ignores the incomplete tail.
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    best = from_bytes(sample).best()
    return best.encoding if best is not None else "utf-8"


def cell_text(value: Any) -> str | None:
    """Render a spreadsheet/parquet/JSON/DataFrame value as the text a CSV would have held."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, np.generic):  # numpy scalars from DataFrames: use the plain Python value
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class TableReader:
    """Reads one file; `headers` is known after opening, `chunks(n)` streams the records."""

    def __init__(self, path: Path, fmt: str | None = None, encoding: str = "auto", sheet: str | None = None):
        self.path = Path(path)
        self.format = detect_format(self.path, fmt)
        self.requested_encoding = encoding
        self.encoding: str | None = None
        self.sheet = sheet
        self.headers: list[str] = []
        self._binary: IO[bytes] | None = None
        try:
            self.total_bytes = self.path.stat().st_size
        except OSError:
            self.total_bytes = 0

    def progress(self) -> float | None:
        """Fraction of the (compressed) file consumed so far, when it can be known."""
        fh = self._binary
        if fh is None or not self.total_bytes or fh.closed:
            return None
        inner = getattr(fh, "fileobj", None)  # GzipFile: position in the compressed stream
        try:
            pos = (inner or fh).tell()
        except (OSError, ValueError):
            return None
        return min(pos / self.total_bytes, 1.0)

    # -- CSV -------------------------------------------------------------------------------------------
    def _csv_text(self) -> io.TextIOWrapper:
        raw = _open_binary(self.path)
        try:
            sample = raw.read(SAMPLE_BYTES)
        except (OSError, EOFError, gzip.BadGzipFile) as exc:
            raw.close()
            raise InputFileError(f"{self.path}: cannot read file: {exc}") from exc
        raw.close()
        if self.requested_encoding and self.requested_encoding != "auto":
            try:
                codecs.lookup(self.requested_encoding)
            except LookupError:
                raise InputFileError(f"--encoding {self.requested_encoding!r}: unknown encoding") from None
            self.encoding = self.requested_encoding
        else:
            self.encoding = detect_encoding(sample)
        self._binary = _open_binary(self.path)
        return io.TextIOWrapper(self._binary, encoding=self.encoding, errors="surrogateescape", newline="")

    @staticmethod
    def _lines(text: IO[str]) -> Iterator[str]:
        """Lines with NUL bytes turned into an undecodable marker (csv refuses NUL; the row is then rejected)."""
        for line in text:
            yield line.replace("\x00", UNDECODABLE) if "\x00" in line else line

    def _csv_chunks(self, size: int) -> Iterator[RawChunk]:
        text = self._csv_text()
        try:
            lines = self._lines(text)
            try:
                first = next(lines)
            except StopIteration:
                raise InputFileError(f"{self.path}: file is empty (no header row)") from None
            except (OSError, EOFError, gzip.BadGzipFile) as exc:
                raise InputFileError(f"{self.path}: cannot read file: {exc}") from exc
            delimiter = "\t" if self.format == "tsv" else max(",\t;|", key=first.count)
            if first.count(delimiter) == 0:
                delimiter = ","
            header_cells = next(csv.reader([first], delimiter=delimiter), [])
            self.headers = [h.strip().lstrip("\ufeff") for h in header_cells]
            self._check_headers()
            width = len(self.headers)
            reader = csv.reader(lines, delimiter=delimiter)
            chunk = RawChunk([], [])
            row_no = 1
            while True:
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    row_no += 1
                    chunk.structural_rejects.append((row_no, "*", f"malformed CSV record: {exc}"))
                    continue
                except (OSError, EOFError, gzip.BadGzipFile) as exc:
                    row_no += 1
                    chunk.structural_rejects.append((row_no, "*", f"file ends abruptly: {exc}"))
                    break
                row_no += 1
                if not record or (len(record) == 1 and not record[0].strip()):
                    continue  # blank line
                if len(record) != width:
                    chunk.structural_rejects.append(
                        (
                            row_no,
                            "*",
                            f"record has {len(record)} fields, header has {width} (truncated or unquoted delimiter?)",
                        )
                    )
                    chunk.raw_rejects[row_no] = record
                    continue
                chunk.rows.append(record)  # type: ignore[arg-type]
                chunk.row_numbers.append(row_no)
                if len(chunk.rows) >= size:
                    yield chunk
                    chunk = RawChunk([], [])
            if chunk.rows or chunk.structural_rejects:
                yield chunk
        finally:
            text.close()

    # -- JSONL -----------------------------------------------------------------------------------------
    def _jsonl_records(self) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
        text = self._csv_text()
        try:
            for row_no, line in enumerate(text, start=1):
                if not line.strip():
                    continue
                if has_undecodable(line):
                    yield row_no, None, f"undecodable bytes for encoding {self.encoding}"
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield row_no, None, f"invalid JSON: {exc.msg} at column {exc.colno}"
                    continue
                if not isinstance(obj, dict):
                    yield row_no, None, f"expected a JSON object per line, got {type(obj).__name__}"
                    continue
                yield row_no, obj, ""
        finally:
            text.close()

    def _jsonl_chunks(self, size: int) -> Iterator[RawChunk]:
        # A first pass collects the union of keys so a key that first appears late is never dropped.
        headers: dict[str, None] = {}
        for _, obj, _ in self._jsonl_records():
            for key in obj or {}:
                headers.setdefault(str(key), None)
        self.headers = list(headers)
        self._check_headers()
        chunk = RawChunk([], [])
        for row_no, obj, error in self._jsonl_records():
            if obj is None:
                chunk.structural_rejects.append((row_no, "*", error))
            else:
                chunk.rows.append([cell_text(obj.get(h)) for h in self.headers])
                chunk.row_numbers.append(row_no)
            if len(chunk.rows) >= size:
                yield chunk
                chunk = RawChunk([], [])
        if chunk.rows or chunk.structural_rejects:
            yield chunk

    # -- XLSX ------------------------------------------------------------------------------------------
    def _xlsx_chunks(self, size: int) -> Iterator[RawChunk]:
        import openpyxl

        if self.path.suffix.lower() == ".gz":
            raise InputFileError(f"{self.path}: gzipped XLSX is not supported; XLSX is already compressed")
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise InputFileError(f"{self.path}: not a readable XLSX workbook: {exc}") from exc
        try:
            if self.sheet is not None:
                if self.sheet not in book.sheetnames:
                    raise InputFileError(f"{self.path}: no sheet {self.sheet!r}; sheets: {book.sheetnames}")
                ws = book[self.sheet]
            else:
                ws = book.worksheets[0]
            rows = ws.iter_rows(values_only=True)
            header_row = next(rows, None)
            if header_row is None:
                raise InputFileError(f"{self.path}: sheet {ws.title!r} is empty (no header row)")
            self.headers = [(cell_text(h) or "").strip() for h in header_row]
            while self.headers and not self.headers[-1]:
                self.headers.pop()
            self._check_headers()
            width = len(self.headers)
            chunk = RawChunk([], [])
            for row_no, values in enumerate(rows, start=2):
                cells = [cell_text(v) for v in values[:width]]
                if all(c is None or not str(c).strip() for c in cells):
                    continue
                cells.extend([None] * (width - len(cells)))
                chunk.rows.append(cells)
                chunk.row_numbers.append(row_no)
                if len(chunk.rows) >= size:
                    yield chunk
                    chunk = RawChunk([], [])
            if chunk.rows:
                yield chunk
        finally:
            book.close()

    # -- Parquet ---------------------------------------------------------------------------------------
    def _parquet_chunks(self, size: int) -> Iterator[RawChunk]:
        import pyarrow.parquet as pq

        try:
            pfile = pq.ParquetFile(self.path)
        except Exception as exc:  # pyarrow raises several unrelated types for a bad file
            raise InputFileError(f"{self.path}: not a readable Parquet file: {exc}") from exc
        self.headers = [str(n) for n in pfile.schema_arrow.names]
        self._check_headers()
        row_no = 1
        for batch in pfile.iter_batches(batch_size=size):
            columns = [[cell_text(v) for v in col.to_pylist()] for col in batch.columns]
            rows = [list(r) for r in zip(*columns, strict=True)] if columns else []
            numbers = list(range(row_no + 1, row_no + 1 + len(rows)))
            row_no += len(rows)
            yield RawChunk(rows, numbers)  # type: ignore[arg-type]

    def _check_headers(self) -> None:
        if not self.headers or not any(h.strip() for h in self.headers):
            raise InputFileError(f"{self.path}: no header row found")
        if any(has_undecodable(h) for h in self.headers):
            raise InputFileError(
                f"{self.path}: header row cannot be decoded as {self.encoding}; pass --encoding (e.g. gb18030)"
            )

    def chunks(self, size: int = 50_000) -> Iterator[RawChunk]:
        """Stream the file in chunks of at most `size` records."""
        if self.format in ("csv", "tsv"):
            return self._csv_chunks(size)
        if self.format == "jsonl":
            return self._jsonl_chunks(size)
        if self.format == "xlsx":
            return self._xlsx_chunks(size)
        return self._parquet_chunks(size)
