"""Small builders for test input files in every supported format and encoding."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd


def write_csv(
    path: Path,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """Write a CSV in a given encoding (utf-8, utf-8-sig, gbk, gb18030 …)."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_jsonl(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    """One JSON object per line, UTF-8."""
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def write_xlsx(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """An XLSX workbook with one sheet."""
    pd.DataFrame(list(rows), columns=list(header)).to_excel(path, index=False)
    return path


def write_parquet(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    """A Parquet file (all columns as given types)."""
    pd.DataFrame(list(rows), columns=list(header)).to_parquet(path, index=False)
    return path


CUSTOMERS_HEADER = ["customer_id", "name", "tier", "region", "joined_at"]
CUSTOMERS = [
    ["C1", "张三", "vip", "华东", "2024-01-02"],
    ["C2", "李四", "普通会员", "华南", "2024-02-03 10:00:00"],
    ["C3", "Ann Lee", "regular", "华北", "2024-03-04T08:00:00+00:00"],
]
ORDERS_HEADER = ["订单号", "客户ID", "下单时间", "商品编码", "品类", "金额", "地区"]
ORDERS = [
    ["O1", "C1", "2025-01-02 10:00", "SKU-1", "小家电", "199.50", "华东"],
    ["O2", "C2", "2025/1/3 11:00", "SKU-2", "服装", "￥88", "华南"],
    ["O3", "C3", "2025年1月4日", "SKU-2", "服装", "1,288.00", "华北"],
]


# DESIGN.md §5: the fields every Analysis (and every `aftersales analyze --format jsonl` line) carries at least.
ANALYSIS_FIELDS = frozenset(
    {
        "polarity",
        "polarity_score",
        "emotion",
        "emotion_scores",
        "intensity",
        "stage",
        "reasons",
        "reason_scores",
        "primary_reason",
        "problem_type",
        "evidence",
        "language",
        "model_version",
    }
)
