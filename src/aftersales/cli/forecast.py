"""`aftersales forecast` and `aftersales segments [at-risk]`: render the results of services.forecast / .segments."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aftersales.cli.common import console, domain_errors, print_json, settings_for

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")]
DETAIL_UP_TO = 3  # series shown week by week; above this only the summary table


def forecast(
    metric: Annotated[str, typer.Option("--metric", help="returns or complaints (cases opened).")] = "returns",
    by: Annotated[str | None, typer.Option("--by", help="category or reason (default: the total).")] = None,
    horizon: Annotated[int, typer.Option("--horizon", help="Weeks ahead, 4–12.")] = 8,
    series: Annotated[
        list[str] | None, typer.Option("--series", help="Only this series (repeatable), e.g. --series 服装.")
    ] = None,
    until: Annotated[
        dt.datetime | None,
        typer.Option("--until", formats=["%Y-%m-%d"], help="Use history up to this local date (default: all)."),
    ] = None,
    promotions: Annotated[
        bool, typer.Option("--promotions/--no-promotions", help="Model 618/双11/双12 weeks as regressors.")
    ] = True,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Forecast weekly return or complaint volume with 80/95 % intervals and each series' backtest error."""
    from aftersales.services.forecast import forecast_volume

    with domain_errors():
        spinner = console.status("forecasting (loading statsforecast takes ~2 s)…") if not json_out else nullcontext()
        with spinner:
            result = forecast_volume(
                settings_for(home),
                metric,
                by,
                horizon,
                until=until.date() if until else None,
                promotions=promotions,
                series=series,
            )
    if json_out:
        print_json(result)
        return
    _render_forecast(result)


def _render_forecast(result: dict[str, Any]) -> None:
    label = {"returns": "退货量 returns", "complaints": "工单量 complaints"}[result["metric"]]
    if not result["series"]:
        console.print(f"no {result['metric']} recorded yet: nothing to forecast")
        return
    title = f"{label} 周预测 · by {result['by'] or 'total'} · {result['horizon']} weeks after {result['last_week']}"
    table = Table(title=title)
    for col in ("series", "model", "weeks", "MASE", "naive MASE", "sMAPE %", "next week [80%]", "horizon total"):
        table.add_column(col, justify="left" if col in ("series", "model") else "right")
    for s in result["series"]:
        first = s["points"][0]
        better = s["mase"] is not None and s["naive_mase"] is not None and s["mase"] < s["naive_mase"]
        mase = "-" if s["mase"] is None else f"[{'green' if better else 'white'}]{s['mase']:.2f}[/]"
        table.add_row(
            s["series"],
            s["model"],
            str(s["history_weeks"]),
            mase,
            "-" if s["naive_mase"] is None else f"{s['naive_mase']:.2f}",
            "-" if s["smape"] is None else f"{s['smape']:.0f}",
            f"{first['mean']:.1f} [{first['lo80']:.0f}–{first['hi80']:.0f}]",
            f"{sum(p['mean'] for p in s['points']):.0f}",
        )
    console.print(table)
    if len(result["series"]) <= DETAIL_UP_TO:
        for s in result["series"]:
            _render_series(s)
    else:
        console.print("week-by-week detail: add --series NAME, or --json")
    console.print(f"[dim]{result['note']}[/]")


def _render_series(s: dict[str, Any]) -> None:
    table = Table(title=f"{s['series']}: {s['model']} — {s['reason']}")
    for col in ("week", "forecast", "80%", "95%", "promotion"):
        table.add_column(col, justify="left" if col in ("week", "promotion") else "right")
    for p in s["points"]:
        table.add_row(
            p["week"],
            f"{p['mean']:.1f}",
            f"{p['lo80']:.0f}–{p['hi80']:.0f}",
            f"{p['lo95']:.0f}–{p['hi95']:.0f}",
            p["promotion"] or "",
        )
    console.print(table)


segments_app = typer.Typer(
    help="Customer segments (KMeans on RFM + emotion + returns) and the at-risk list. 客户分群与流失风险名单。",
    invoke_without_command=True,
)


@segments_app.callback()
def segments(
    ctx: typer.Context,
    k: Annotated[int | None, typer.Option("--k", help="Number of segments (default: best silhouette of 3–6).")] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Segment customers with orders and profile each segment (size, mean features vs overall, name, risk)."""
    if ctx.invoked_subcommand is not None:
        return
    from aftersales.services.segments import customer_segments

    with domain_errors():
        result = customer_segments(settings_for(home), k)
    if json_out:
        print_json(result)
        return
    overall = result["overall"]
    scores = ", ".join(f"k={kk}: {v:.3f}" for kk, v in result["silhouette"].items())
    table = Table(
        title=f"客户分群 segments · {result['customers']} customers · k={result['k']} ({result['chosen_by']})"
    )
    cols = (
        "#",
        "名称",
        "name",
        "size",
        "share",
        "orders",
        "monetary",
        "recency d",
        "return rate",
        "negative",
        "at-risk",
    )
    for col in cols:
        table.add_column(col, justify="left" if col in ("名称", "name") else "right")
    for seg in result["segments"]:
        m = seg["means"]
        table.add_row(
            str(seg["segment"]),
            seg["name_zh"],
            seg["name_en"],
            str(seg["size"]),
            f"{seg['share']:.0%}",
            f"{m['orders']:.1f}",
            f"{m['monetary']:,.0f}",
            f"{m['recency_days']:.0f}",
            f"{m['return_rate']:.0%}",
            "-" if m["negative_share"] != m["negative_share"] else f"{m['negative_share']:.0%}",
            "-" if seg["at_risk_share"] is None else f"{seg['at_risk_share']:.1%}",
        )
    table.add_row("", "全部", "overall", str(result["customers"]), "100%", f"{overall['orders']:.1f}",
                  f"{overall['monetary']:,.0f}", f"{overall['recency_days']:.0f}", f"{overall['return_rate']:.0%}",
                  f"{overall['negative_share']:.0%}", "")  # fmt: skip
    console.print(table)
    console.print(f"[dim]silhouette {scores}. {result['note']}[/]")


@segments_app.command("at-risk")
def at_risk(
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many customers.")] = 20,
    all_: Annotated[
        bool, typer.Option("--all", help="Include customers with a bad experience but no significant drop.")
    ] = False,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Customers buying clearly less since a bad after-sales experience than before it, with the evidence."""
    from aftersales.services.segments import at_risk_customers

    with domain_errors():
        settings = settings_for(home)
        result = at_risk_customers(settings, limit, include_unlisted=all_)
    if json_out:
        print_json(result)
        return
    table = Table(title=f"流失风险客户 at-risk · {result['listed']} listed of {result['with_bad_experience']} "
                        f"with a bad experience · as of {result['as_of']}")  # fmt: skip
    for col in ("customer", "risk", "orders before → after", "expected", "p", "churn", "why"):
        table.add_column(col, justify="left" if col in ("customer", "why") else "right")
    for row in result["data"]:
        table.add_row(
            row["customer_id"],
            f"{row['risk']:.2f}",
            f"{row['orders_before']} → {row['orders_after']}",
            "-" if row["expected_after"] is None else f"{row['expected_after']:.1f}",
            "-" if row["p_value"] is None else f"{row['p_value']:.1g}",
            f"{row['churn']:.2f} {row['churn_level']}" if row.get("churn") is not None else "-",
            "; ".join(row["reasons"]),
        )
    console.print(table)
    console.print(f"[dim]{result['note']}[/]")
