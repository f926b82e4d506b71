"""`aftersales ask "QUESTION"`: a KPI question in plain Chinese or English, answered with the query it ran."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aftersales.cli.common import console, domain_errors, print_json, settings_for


def _table(rows: list[dict[str, Any]], by: str | None, language: str) -> Table:
    """The result rows: period and/or dimension value, KPI, value, previous, n."""
    from aftersales.analytics.ask import format_value
    from aftersales.analytics.ask.metric import DIMENSION_LABELS
    from aftersales.analytics.kpis import KPIS

    zh = language == "zh"
    table = Table()
    has_period = any("period" in r for r in rows)
    has_year_ago = any("year_ago" in r for r in rows)
    heads = (["时间段" if zh else "period"] if has_period else []) + (
        [DIMENSION_LABELS[by][0 if zh else 1]] if by else []
    )
    heads += ["指标", "当前", "上期"] if zh else ["KPI", "value", "previous"]
    heads += (["去年同期" if zh else "year ago"] if has_year_ago else []) + ["n"]
    for head in heads:
        table.add_column(head)
    for row in rows:
        kpi = KPIS[row["kpi"]]
        cells = ([str(row.get("period", ""))] if has_period else []) + ([str(row.get("label"))] if by else [])
        cells += [kpi.label("zh-CN" if zh else "en"), format_value(kpi, row["value"], language)]
        cells += [format_value(kpi, row.get("previous"), language)]
        cells += [format_value(kpi, row.get("year_ago"), language)] if has_year_ago else []
        table.add_row(*cells, f"{row['n']:,}")
    return table


def ask(
    question: Annotated[
        str, typer.Argument(help="e.g. 上个月华东地区退货率最高的品类是什么？ / return rate by region last month")
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object (answer, rows, query).")] = False,
    today: Annotated[
        dt.datetime | None,
        typer.Option("--today", formats=["%Y-%m-%d"], help="Read relative times (上个月, last week) from this date."),
    ] = None,
    locale: Annotated[
        str | None, typer.Option("--locale", help="Answer in zh-CN or en (default: the question's).")
    ] = None,
    home: Annotated[
        Path | None, typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False)
    ] = None,
) -> None:
    """Answer a KPI question (metric, breakdown, filters, time range, ranking); exit 1 when it cannot be answered."""
    from aftersales.services.ask import ask as run

    with domain_errors():
        result = run(settings_for(home), question, locale=locale, today=today.date() if today else None)
    if json_out:
        print_json(result.model_dump(mode="json"))
    else:
        console.print(result.answer, highlight=False, soft_wrap=True)
        if result.rows and (result.query and (result.query.by or result.query.granularity)):
            console.print(_table(result.rows, result.query.by, result.language))
        if result.query is not None:
            query = result.query.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
            console.print(f"[dim]query: {json.dumps(query, ensure_ascii=False)}[/]", highlight=False, soft_wrap=True)
    if not result.answered:
        raise typer.Exit(1)
