"""`aftersales kpi`: the KPI registry as a table (Chinese labels, target, previous, trend) or the --json contract."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aftersales.analytics.kpis import DIMENSIONS, KPIS, KpiDef
from aftersales.cli.common import console, domain_errors, print_json, settings_for

ARROWS = {"up": "↑", "down": "↓", "flat": "→"}


def _fmt(kpi: KpiDef, value: float | None) -> str:
    """A value in the KPI's unit: ratios as percentages, others with sensible decimals."""
    if value is None:
        return "-"
    if kpi.unit == "ratio":
        return f"{value:.1%}"
    if kpi.unit == "count":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _arrow(row: dict[str, Any]) -> str:
    if row["trend"] is None:
        return "-"
    colour = "green" if row["better"] else ("red" if row["trend"] != "flat" else "white")
    return f"[{colour}]{ARROWS[row['trend']]} {row['trend']}[/]"


def kpi(
    name: Annotated[str | None, typer.Argument(help=f"One KPI (default: all): {', '.join(KPIS)}.")] = None,
    by: Annotated[str | None, typer.Option("--by", help=f"Dimension: {', '.join(DIMENSIONS)}.")] = None,
    period: Annotated[str, typer.Option("--period", help="day, week or month (default window).")] = "month",
    start: Annotated[
        dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First local date (inclusive).")
    ] = None,
    end: Annotated[
        dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last local date (inclusive).")
    ] = None,
    home: Annotated[
        Path | None, typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False)
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON list of rows for machines.")] = False,
) -> None:
    """KPIs for a window (default: last full calendar month) with target, previous window and trend."""
    from aftersales.services.kpi import compute_kpis

    with domain_errors():
        rows = compute_kpis(
            settings_for(home),
            name,
            by,
            period,
            start.date() if start else None,
            end.date() if end else None,
        )
    if json_out:
        print_json(rows)
        return
    table = Table(title="KPI 指标")
    if by:
        table.add_column(by)
    for col in ("指标", "当前", "目标", "上期", "趋势", "n"):
        table.add_column(col, justify="left" if col == "指标" else "right")
    for row in rows:
        definition = KPIS[row["kpi"]]
        cells = [str(row[by])] if by else []
        cells += [definition.zh, _fmt(definition, row["value"]), _fmt(definition, row["target"])]
        cells += [_fmt(definition, row["previous"]), _arrow(row), str(row["n"])]
        table.add_row(*cells)
    console.print(table)
