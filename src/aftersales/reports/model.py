"""The report as plain data, so the HTML page and the Excel workbook show exactly the same numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from aftersales.reports.period import ReportPeriod

Kind = Literal["text", "int", "float", "pct", "amount", "date"]


@dataclass(frozen=True)
class Column:
    """One table column: the row key it reads, its header, and how its values are formatted."""

    key: str
    label: str
    kind: Kind = "text"


@dataclass
class Table:
    """A titled table whose rows are plain dicts keyed by the columns' keys (raw values; renderers format)."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: str = ""

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        if len(set(keys)) != len(keys):
            raise ValueError(f"table {self.key}: duplicate column keys {keys}")


@dataclass
class Chart:
    """A titled plotly figure, kept as its JSON dict so the model stays serialisable."""

    key: str
    title: str
    figure: dict[str, Any]


@dataclass
class Section:
    """One part of the report: a few summary sentences, then its tables and charts."""

    key: str
    title: str
    summary: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)


@dataclass
class Report:
    """A whole report for one period, in one locale."""

    title: str
    period: ReportPeriod
    locale: str
    generated_at: dt.datetime
    sections: list[Section] = field(default_factory=list)

    def tables(self) -> list[Table]:
        """Every table in reading order (the workbook's sheets)."""
        return [t for s in self.sections for t in s.tables]


def format_value(value: Any, kind: Kind) -> str:
    """A cell as text for the HTML page: percentages, thousands separators, '-' for missing."""
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if kind == "pct":
        return f"{float(value):.1%}"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "amount":
        return f"{float(value):,.2f}"
    if kind == "float":
        return f"{float(value):,.2f}"
    if kind == "date" and isinstance(value, dt.date | dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, dt.datetime) else value.isoformat()
    return str(value)
