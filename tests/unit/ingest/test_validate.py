"""Validation: types, codes, timestamps and the reasons given for rejects."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from aftersales.ingest.readers import RawChunk
from aftersales.ingest.schema import SPECS
from aftersales.ingest.validate import validate_chunk

SH = ZoneInfo("Asia/Shanghai")


def run(entity: str, header: list[str], rows: list[list[str | None]]):  # type: ignore[no-untyped-def]
    chunk = RawChunk(rows, list(range(2, 2 + len(rows))))
    return validate_chunk(chunk, dict(enumerate(header)), SPECS[entity], SH)


@pytest.mark.parametrize(
    ("raw", "expected_utc"),
    [
        ("2025-01-02 10:00", "2025-01-02 02:00:00"),
        ("2025/1/2 10:00:30", "2025-01-02 02:00:30"),
        ("2025年1月2日", "2025-01-01 16:00:00"),
        ("2025-01-02T10:00:00+08:00", "2025-01-02 02:00:00"),
        ("2025-01-02T02:00:00Z", "2025-01-02 02:00:00"),
        ("2025-01-02 10:00:00.250", "2025-01-02 02:00:00.250000"),
    ],
)
def test_timestamps_become_naive_utc(raw: str, expected_utc: str) -> None:
    out = run("orders", ["order_id", "customer_id", "ordered_at"], [["O1", "C1", raw]])
    assert not out.rejects
    assert str(out.frame["ordered_at"].iloc[0]) == expected_utc


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("ordered_at", "yesterday", "not a timestamp"),
        ("ordered_at", "1899-01-01", "outside"),
        ("amount", "12元x", "not a number"),
        ("quantity", "2.5", "not an integer"),
        ("quantity", "two", "not an integer"),
        ("customer_id", "", "required value missing"),
        ("customer_id", "NULL", "required value missing"),
    ],
)
def test_bad_values_are_rejected_with_reason(column: str, value: str, reason: str) -> None:
    row = {"order_id": "O1", "customer_id": "C1", "ordered_at": "2025-01-02", "amount": "1", "quantity": "1"}
    row[column] = value
    out = run("orders", list(row), [list(row.values())])
    assert out.frame.empty
    (rej,) = out.rejects
    assert rej.row == 2 and rej.columns == [column] and reason in rej.reasons[0]


def test_money_formats_parse() -> None:
    out = run(
        "orders",
        ["order_id", "customer_id", "ordered_at", "amount"],
        [["O1", "C1", "2025-01-02", "¥1,288.50"], ["O2", "C1", "2025-01-02", " 12 元"]],
    )
    assert out.frame["amount"].tolist() == [1288.5, 12.0]


def test_enum_codes_and_synonyms() -> None:
    header = ["interaction_id", "customer_id", "text", "created_at", "channel", "author"]
    rows = [
        ["I1", "C1", "hi", "2025-01-02", "微信", "买家"],
        ["I2", "C1", "hi", "2025-01-02", "Phone", "agent"],
        ["I3", "C1", "hi", "2025-01-02", "telepathy", "customer"],
    ]
    out = run("interactions", header, rows)
    assert out.frame["channel"].tolist() == ["chat", "phone"]
    assert out.frame["author"].tolist() == ["customer", "agent"]
    (rej,) = out.rejects
    assert rej.row == 4 and "unknown code 'telepathy'" in rej.reasons[0] and "chat" in rej.reasons[0]


def test_survey_score_range_depends_on_kind() -> None:
    header = ["survey_id", "customer_id", "kind", "score", "answered_at"]
    rows = [
        ["S1", "C1", "csat", "5", "2025-01-02"],
        ["S2", "C1", "csat", "9", "2025-01-02"],
        ["S3", "C1", "nps", "9", "2025-01-02"],
        ["S4", "C1", "nps", "11", "2025-01-02"],
    ]
    out = run("surveys", header, rows)
    assert out.frame["survey_id"].tolist() == ["S1", "S3"]
    assert [r.row for r in out.rejects] == [3, 5]


def test_multiple_problems_in_one_row_are_all_reported() -> None:
    out = run("orders", ["order_id", "customer_id", "ordered_at", "amount"], [["O1", "", "never", "x"]])
    (rej,) = out.rejects
    assert rej.columns == ["customer_id", "ordered_at", "amount"]
    assert len(rej.reasons) == 3


def test_duplicate_keys_in_a_chunk_keep_the_last_version() -> None:
    header = ["customer_id", "name"]
    out = run("customers", header, [["C1", "a"], ["C1", "a"], ["C1", "b"], ["C2", "x"]])
    assert out.frame[["customer_id", "name"]].values.tolist() == [["C1", "b"], ["C2", "x"]]
    assert (out.duplicates_identical, out.duplicates_changed) == (0, 2) or (
        out.duplicates_identical + out.duplicates_changed == 2
    )


def test_undecodable_cells_are_rejected() -> None:
    out = run("customers", ["customer_id", "name"], [["C1", "ok"], ["C2", "bad\udcff"]])
    assert out.frame["customer_id"].tolist() == ["C1"]
    assert "undecodable" in out.rejects[0].reasons[0]


def test_text_length_limit() -> None:
    out = run("customers", ["customer_id", "name"], [["C1", "x" * 201]])
    assert "longer than 200" in out.rejects[0].reasons[0]
    assert isinstance(out.frame, pd.DataFrame)
