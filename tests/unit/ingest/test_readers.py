"""Readers: encodings, formats, delimiters, structural rejects."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from aftersales.errors import InputFileError
from aftersales.ingest.readers import TableReader, detect_encoding, detect_format
from tests.factories import write_csv, write_jsonl, write_parquet, write_xlsx

HEADER = ["订单号", "客户ID", "内容"]
ROWS = [["O1", "C1", "质量太差了，用两天就坏了"], ["O2", "C2", "物流很快，谢谢客服"]]


def read_all(path: Path, **kw: object) -> tuple[TableReader, list[list[str | None]], list[tuple[int, str, str]]]:
    reader = TableReader(path, **kw)  # type: ignore[arg-type]
    rows: list[list[str | None]] = []
    rejects: list[tuple[int, str, str]] = []
    for chunk in reader.chunks(1):
        rows.extend(chunk.rows)
        rejects.extend(chunk.structural_rejects)
    return reader, rows, rejects


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = write_csv(tmp_path / "f.csv", HEADER, ROWS, encoding=encoding)
    reader, rows, rejects = read_all(path)
    assert reader.headers == HEADER
    assert rows == ROWS
    assert not rejects
    assert reader.encoding in {encoding, "gb18030" if encoding == "gbk" else encoding}


@pytest.mark.parametrize("delimiter", ["\t", ";", "|"])
def test_csv_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    path = write_csv(tmp_path / "f.csv", HEADER, ROWS, delimiter=delimiter)
    _, rows, _ = read_all(path)
    assert rows == ROWS


def test_gzip_csv(tmp_path: Path) -> None:
    plain = write_csv(tmp_path / "f.csv", HEADER, ROWS)
    gz = tmp_path / "f.csv.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    _, rows, _ = read_all(gz)
    assert rows == ROWS


def test_truncated_last_line_and_extra_fields_are_structural_rejects(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b,c\n1,2,3\n4,5,6,7\n8,9", encoding="utf-8")
    _, rows, rejects = read_all(path)
    assert rows == [["1", "2", "3"]]
    assert [(r[0], r[1]) for r in rejects] == [(3, "*"), (4, "*")]
    assert "4 fields" in rejects[0][2] and "2 fields" in rejects[1][2]


def test_undecodable_bytes_survive_as_markers_not_crashes(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("a,b\n1,好\n".encode() + b"2,\xff\xfe\n" + b"3,\x00x\n")
    _, rows, _ = read_all(path, encoding="utf-8")
    assert rows[0] == ["1", "好"]
    assert len(rows) == 3  # rows 2 and 3 carry markers; validation rejects them


def test_blank_lines_skipped_and_row_numbers_kept(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,2\n\n3,4\n", encoding="utf-8")
    reader = TableReader(path)
    chunks = list(reader.chunks(10))
    assert chunks[0].row_numbers == [2, 4]


def test_jsonl_bad_lines_are_rejected_and_keys_unioned(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "f.jsonl", [{"a": 1, "b": "x"}, {"a": 2, "c": {"k": 1}}])
    with path.open("a", encoding="utf-8") as fh:
        fh.write("{broken\n[1,2]\n")
    reader, rows, rejects = read_all(path)
    assert reader.headers == ["a", "b", "c"]
    assert rows[0] == ["1", "x", None]
    assert rows[1] == ["2", None, '{"k": 1}']
    assert [r[0] for r in rejects] == [3, 4]
    assert "invalid JSON" in rejects[0][2] and "JSON object" in rejects[1][2]


def test_xlsx_and_parquet(tmp_path: Path) -> None:
    import datetime as dt

    rows = [["O1", 12345.0, dt.datetime(2025, 1, 2, 10, 0)], ["O2", 7.5, None]]
    for path in (
        write_xlsx(tmp_path / "f.xlsx", ["id", "n", "t"], rows),
        write_parquet(tmp_path / "f.parquet", ["id", "n", "t"], rows),
    ):
        reader, got, _ = read_all(path)
        assert reader.headers == ["id", "n", "t"]
        assert got[0][:2] == ["O1", "12345"]
        assert got[0][2] is not None and got[0][2].startswith("2025-01-02 10:00")
        assert got[1][1] == "7.5"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"\n\n", "no header"), (b"PK\x03\x04garbage", "XLSX")],
)
def test_unreadable_files_raise_clear_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / ("f.xlsx" if content.startswith(b"PK") else "f.csv")
    path.write_bytes(content)
    with pytest.raises(InputFileError, match=message):
        read_all(path)


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(InputFileError, match="not found"):
        read_all(tmp_path / "nope.csv")
    with pytest.raises(InputFileError, match="unsupported format"):
        detect_format(tmp_path / "f.docx")


def test_detect_encoding_handles_split_multibyte_sample() -> None:
    data = ("退货" * 10).encode("utf-8")
    assert detect_encoding(data[:-1]) == "utf-8"  # sample cut inside a character
    assert detect_encoding("退货原因".encode("gbk")) == "gb18030"


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, None), (float("nan"), None), ("x", "x"), (3.0, "3"), (2.5, "2.5"), (True, "true")],
)
def test_cell_rendering_of_plain_values(value: object, text: str | None) -> None:
    from aftersales.ingest.readers import cell_text

    assert cell_text(value) == text


def test_cell_rendering_of_pandas_and_numpy_values() -> None:
    import numpy as np
    import pandas as pd

    from aftersales.ingest.readers import cell_text

    assert cell_text(pd.NA) is None and cell_text(pd.NaT) is None
    assert (
        cell_text(np.float64(2.5)) == "2.5" and cell_text(np.int64(7)) == "7" and cell_text(np.float64("nan")) is None
    )
    assert cell_text(pd.Timestamp("2025-01-02 03:04:05")) == "2025-01-02 03:04:05"
