"""HTML and XLSX renderers show the same table values; HTML escapes text and is self-contained; sheets are valid."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook

from aftersales.reports import Chart, Column, Report, Section, Table, parse_period
from aftersales.reports.html import render_html
from aftersales.reports.model import format_value
from aftersales.reports.xlsx import _sheet_name, write_xlsx


def sample(locale: str = "zh-CN") -> Report:
    table = Table(
        "kpis",
        "关键指标: KPI/目标?",
        [Column("kpi", "指标"), Column("value", "当前值", "float"), Column("n", "样本数", "int")],
        [
            {"kpi": "退货率", "value": 0.082, "n": 1234, "_kinds": {"value": "pct"}},
            {"kpi": "<script>alert(1)</script>", "value": None, "n": 0},
            {"kpi": "首响", "value": 31.5, "n": 7},
        ],
        note="说明",
    )
    chart = Chart("c1", "走势", {"data": [{"type": "scatter", "x": [1, 2], "y": [3, 4]}], "layout": {}})
    section = Section("kpis", "指标与目标", ["2 项指标未达目标"], [table], [chart])
    return Report(
        "售后分析报告", parse_period("2026-10", dt.date(2026, 11, 1)), locale, dt.datetime(2026, 11, 1, 8), [section]
    )


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [
        (0.082, "pct", "8.2%"),
        (1234, "int", "1,234"),
        (1234.5, "amount", "1,234.50"),
        (None, "float", "-"),
        (float("nan"), "pct", "-"),
        (dt.date(2026, 10, 1), "date", "2026-10-01"),
        (dt.datetime(2026, 10, 1, 8, 30, 15), "date", "2026-10-01 08:30"),
        ("x", "text", "x"),
    ],
)
def test_format_value(value: object, kind: str, text: str) -> None:
    assert format_value(value, kind) == text  # type: ignore[arg-type]


def test_html_shows_values_escapes_text_and_inlines_plotly() -> None:
    html = render_html(sample())
    assert '<html lang="zh-CN">' in html
    assert "8.2%" in html and "1,234" in html and "31.50" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert 'id="chart-c1"' in html
    assert "cdn.plot.ly" not in html.split("</head>")[1]  # no chart loads anything from the network
    assert html.count("Plotly.newPlot") >= 1 and len(html) > 1_000_000  # the bundle itself is inline


def test_html_without_js_is_small_and_english_strings_follow_locale() -> None:
    html = render_html(sample("en"), inline_js=False)
    assert len(html) < 100_000 and "Period" in html and '<html lang="en">' in html


def test_duplicate_column_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="duplicate column keys"):
        Table("t", "t", [Column("a", "A"), Column("a", "B")], [])


def test_sheet_names_are_valid_and_unique() -> None:
    taken: set[str] = set()
    names = [_sheet_name(title, taken) for title in ["关键指标: KPI/目标?", "x" * 40, "x" * 40, "[]", "Report"]]
    assert names[0] == "关键指标  KPI 目标"
    assert all(len(n) <= 31 for n in names) and len({n.lower() for n in names}) == len(names)
    assert names[3] == "sheet"


def test_workbook_has_typed_cells_and_formats(tmp_path: Path) -> None:
    path = write_xlsx(sample(), tmp_path / "r.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "report"
    ws = wb[wb.sheetnames[1]]
    assert [c.value for c in ws[1]] == ["指标", "当前值", "样本数"]
    assert ws["A2"].value == "退货率" and ws["B2"].value == pytest.approx(0.082) and ws["B2"].number_format == "0.0%"
    assert ws["B3"].value is None and ws["C2"].value == 1234 and ws.freeze_panes == "A2"
