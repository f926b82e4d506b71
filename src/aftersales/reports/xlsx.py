"""Write a Report's tables as an Excel workbook: one sheet per table, typed cells, bold headers, frozen header row."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from aftersales.reports.model import Report, Table

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
NUMBER_FORMATS = {"pct": "0.0%", "int": "#,##0", "amount": "#,##0.00", "float": "0.00"}


def _sheet_name(title: str, taken: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    base = _BAD_SHEET_CHARS.sub(" ", title).strip()[:31] or "sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def _cell(value: Any) -> Any:
    """Excel-safe value: lists joined, timezone-aware times made naive, everything else as is."""
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, dict):
        return str(value)
    return value


def _write_table(wb: Workbook, table: Table, taken: set[str]) -> None:
    ws = wb.create_sheet(_sheet_name(table.title, taken))
    ws.append([c.label for c in table.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        ws.append([_cell(row.get(c.key)) for c in table.columns])
    for idx, col in enumerate(table.columns, start=1):
        letter = get_column_letter(idx)
        for row, (cell,) in zip(table.rows, ws.iter_rows(min_row=2, min_col=idx, max_col=idx), strict=False):
            fmt = NUMBER_FORMATS.get(row.get("_kinds", {}).get(col.key, col.kind))
            if fmt:
                cell.number_format = fmt
        widest = max([len(str(col.label))] + [len(str(r.get(col.key) or "")) for r in table.rows[:200]])
        ws.column_dimensions[letter].width = min(60, max(8, widest * 1.6))
    ws.freeze_panes = "A2"
    if table.note:
        ws.cell(row=ws.max_row + 2, column=1, value=table.note)


def write_xlsx(report: Report, path: Path) -> Path:
    """Write the workbook (a cover sheet, then one sheet per table) and return its path."""
    wb = Workbook()
    cover = wb.active
    assert cover is not None
    cover.title = "report"
    cover.append([report.title])
    cover["A1"].font = Font(bold=True, size=14)
    cover.append(["period", report.period.label, str(report.period.start), str(report.period.end)])
    cover.append(["generated", report.generated_at.replace(tzinfo=None)])
    for section in report.sections:
        cover.append([])
        cover.append([section.title])
        for line in section.summary:
            cover.append(["", line])
    taken = {"report"}
    for table in report.tables():
        _write_table(wb, table, taken)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
