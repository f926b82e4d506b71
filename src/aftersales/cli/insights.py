"""`aftersales insights`: reason Pareto and drill-down, stated vs actual reasons, anomalies, change points, changes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aftersales.cli.common import console, domain_errors, print_json, settings_for

insights_app = typer.Typer(
    help="Insights: reason Pareto, stated vs actual reasons, anomalies, change points (docs/insights.md). 洞察。",
    no_args_is_help=True,
)

HomeOpt = Annotated[
    Path | None, typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False)
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")]
StartOpt = Annotated[
    dt.datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="First local date (inclusive).")
]
EndOpt = Annotated[dt.datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Last local date (inclusive).")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Only this region.")]
CategoryOpt = Annotated[str | None, typer.Option("--category", help="Only this category.")]
SkuOpt = Annotated[str | None, typer.Option("--sku", help="Only this SKU.")]
ChannelOpt = Annotated[str | None, typer.Option("--channel", help="Only this channel.")]
MetricOpt = Annotated[str, typer.Option("--metric", help="return_rate or complaint_volume.")]
ReasonOpt = Annotated[str | None, typer.Option("--reason", help="Only returns/cases with this reason.")]
FdrOpt = Annotated[float, typer.Option("--alpha", help="False-discovery rate (Benjamini–Hochberg).")]


def _filters(
    start: dt.datetime | None,
    end: dt.datetime | None,
    region: str | None,
    category: str | None,
    sku: str | None,
    channel: str | None,
    reason: str | None = None,
) -> Any:
    from aftersales.services.insights import Filters

    return Filters(
        start=start.date() if start else None,
        end=end.date() if end else None,
        region=region,
        category=category,
        sku=sku,
        channel=channel,
        reason=reason,
    )


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _level(metric: str, value: float | None) -> str:
    """A series level as shown: a percentage for return rate, cases per week otherwise."""
    if metric == "return_rate":
        return _pct(value)
    return "-" if value is None else f"{value:.1f}"


@insights_app.command("pareto")
def pareto_cmd(
    source: Annotated[str, typer.Option("--source", help="returns (form reason codes) or messages (analysed).")] = (
        "returns"
    ),
    reason: Annotated[
        str | None, typer.Option("--reason", help="Drill down: list the returns/messages behind this bar.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Drill-down page size (1–500).")] = 20,
    offset: Annotated[int, typer.Option("--offset", help="Drill-down rows to skip.")] = 0,
    start: StartOpt = None,
    end: EndOpt = None,
    region: RegionOpt = None,
    category: CategoryOpt = None,
    sku: SkuOpt = None,
    channel: ChannelOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Reason Pareto with counts, shares, cumulative share and the vital few up to 80 %; --reason drills down."""
    from aftersales.services.insights import compute_pareto, pareto_items

    with domain_errors():
        filters = _filters(start, end, region, category, sku, channel)
        settings = settings_for(home)
        if reason:
            result = pareto_items(settings, reason, source, filters, limit, offset)
        else:
            result = compute_pareto(settings, source, filters)
    if json_out:
        print_json(result)
        return
    if reason:
        table = Table(title=f"{result['zh']} / {result['en']}: {result['total']} ({source})")
        keys = ["return_id", "requested_at", "sku", "region"] if source == "returns" else ["interaction_id"]
        keys += [] if source == "returns" else ["created_at", "channel"]
        for key in [*keys, "snippet"]:
            table.add_column(key, overflow="fold")
        for item in result["items"]:
            table.add_row(*(str(item.get(k) or "") for k in keys), item["snippet"])
        console.print(table)
        shown = result["offset"] + len(result["items"])
        console.print(f"{result['offset'] + 1 if result['items'] else 0}–{shown} of {result['total']}")
        return
    table = Table(title=f"退货原因帕累托 reason Pareto ({source}, n={result['total']})")
    for col in ("原因", "reason", "n", "占比", "累计", "关键少数"):
        table.add_column(col, justify="right" if col in ("n", "占比", "累计") else "left")
    for bar in result["bars"]:
        vital = "[bold red]●[/]" if bar["vital"] else ""
        table.add_row(
            bar["zh"], bar["reason"], str(bar["count"]), _pct(bar["share"]), _pct(bar["cumulative_share"]), vital
        )
    console.print(table)


@insights_app.command("reasons")
def reasons_cmd(
    top: Annotated[int, typer.Option("--top", help="How many mismatches to list.")] = 10,
    start: StartOpt = None,
    end: EndOpt = None,
    region: RegionOpt = None,
    category: CategoryOpt = None,
    sku: SkuOpt = None,
    channel: ChannelOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Stated (return form) vs actual (customer's own words) reasons: agreement and the largest mismatches."""
    from aftersales.services.insights import compare_stated_actual

    with domain_errors():
        filters = _filters(start, end, region, category, sku, channel)
        result = compare_stated_actual(settings_for(home), filters, top=top)
    if json_out:
        print_json(result)
        return
    console.print(
        f"returns {result['returns']}, with messages naming a reason {result['with_messages']} "
        f"({_pct(result['coverage'])}); agreement {_pct(result['agreement_rate'])}, "
        f"stated reason mentioned {_pct(result['mention_rate'])}, Cohen's κ "
        f"{'-' if result['kappa'] is None else format(result['kappa'], '.2f')}"
    )
    table = Table(title="填写原因 vs 实际原因 stated vs actual — top mismatches")
    for col in ("stated", "actual", "n", "share of stated", "examples"):
        table.add_column(col, justify="right" if col in ("n", "share of stated") else "left", overflow="fold")
    for m in result["top_mismatches"]:
        table.add_row(m["stated"], m["actual"], str(m["count"]), _pct(m["share_of_stated"]), ", ".join(m["examples"]))
    console.print(table)


@insights_app.command("anomalies")
def anomalies_cmd(
    metric: MetricOpt = "return_rate",
    by: Annotated[str, typer.Option("--by", help="region, category, sku, channel or tier.")] = "region",
    alpha: FdrOpt = 0.05,
    direction: Annotated[str, typer.Option("--direction", help="up, down or both.")] = "up",
    baseline_weeks: Annotated[int, typer.Option("--baseline-weeks", help="Baseline weeks either side.")] = 52,
    limit: Annotated[int | None, typer.Option("--limit", help="Show at most this many.")] = None,
    reason: ReasonOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    region: RegionOpt = None,
    category: CategoryOpt = None,
    sku: SkuOpt = None,
    channel: ChannelOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Unusual weeks per region/category/SKU with size, significance and a zh/en explanation, most significant first."""
    from aftersales.services.insights import find_anomalies

    with domain_errors():
        settings = settings_for(home)
        filters = _filters(start, end, region, category, sku, channel, reason)
        result = find_anomalies(settings, metric, by, filters, alpha, direction, baseline_weeks, limit)
    if json_out:
        print_json(result)
        return
    table = Table(
        title=f"异常 anomalies: {metric} by {by} ({result['found']} found, {result['windows_tested']} windows, "
        f"FDR {alpha:g})"
    )
    for col in (by, "weeks", "observed", "expected", "ratio", "q", "promotions"):
        table.add_column(col, justify="left" if col in (by, "weeks", "promotions") else "right")
    for a in result["anomalies"]:
        rate = metric == "return_rate"
        obs = f"{_pct(a['observed_rate'])} ({a['observed']})" if rate else str(a["observed"])
        exp = _pct(a["expected_rate"]) if rate else f"{a['expected']:.1f}"
        ratio = "-" if a["ratio"] is None else f"{a['ratio']:.2f}×"
        table.add_row(
            a["value"], f"{a['start']} … {a['end']}", obs, exp, ratio, f"{a['q_value']:.2g}", " ".join(a["promotions"])
        )
    console.print(table)
    zh = settings.locale.startswith("zh")
    for a in result["anomalies"]:
        console.print("• " + (a["explanation_zh"] if zh else a["explanation_en"]), highlight=False)


@insights_app.command("changepoints")
def changepoints_cmd(
    metric: MetricOpt = "return_rate",
    by: Annotated[str | None, typer.Option("--by", help="Dimension of the series (with --value).")] = None,
    value: Annotated[str | None, typer.Option("--value", help="The series, e.g. --by sku --value HA-101.")] = None,
    reason: ReasonOpt = None,
    penalty: Annotated[float | None, typer.Option("--penalty", help="PELT penalty (default 2·ln(weeks)).")] = None,
    min_size: Annotated[int, typer.Option("--min-size", help="Shortest segment in weeks.")] = 4,
    alpha: Annotated[float, typer.Option("--alpha", help="Significance level for the adjusted p-value.")] = 0.05,
    start: StartOpt = None,
    end: EndOpt = None,
    region: RegionOpt = None,
    category: CategoryOpt = None,
    sku: SkuOpt = None,
    channel: ChannelOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Change points of a weekly KPI series (PELT, Poisson-rate cost) with before/after levels and p-values."""
    from aftersales.services.insights import find_changepoints

    with domain_errors():
        filters = _filters(start, end, region, category, sku, channel, reason)
        result = find_changepoints(settings_for(home), metric, by, value, filters, penalty, min_size, alpha)
    if json_out:
        print_json(result)
        return
    table = Table(title=f"变点 change points: {metric} {result['series']} ({result['weeks']} weeks)")
    for col in ("date", "before", "after", "change", "p (adjusted)", "significant", "promotions"):
        table.add_column(col)
    for cp in result["change_points"]:
        change = "-" if cp["change"] is None else f"{cp['change']:+.0%}"
        sig = "[bold]yes[/]" if cp["significant"] else "no"
        table.add_row(
            cp["date"],
            _level(metric, cp["before"]),
            _level(metric, cp["after"]),
            change,
            f"{cp['p_adjusted']:.2g}",
            sig,
            " ".join(cp["promotions"]),
        )
    console.print(table)


@insights_app.command("changes")
def changes_cmd(
    metric: MetricOpt = "return_rate",
    by: Annotated[str, typer.Option("--by", help="region, category, sku, channel or tier: every value is scanned.")] = (
        "sku"
    ),
    per_reason: Annotated[bool, typer.Option("--per-reason", help="One series per value × reason.")] = False,
    direction: Annotated[str, typer.Option("--direction", help="down, up or both.")] = "both",
    min_events: Annotated[int, typer.Option("--min-events", help="Skip series with fewer events.")] = 10,
    min_size: Annotated[int, typer.Option("--min-size", help="Shortest side of a break in weeks.")] = 4,
    alpha: FdrOpt = 0.05,
    limit: Annotated[int, typer.Option("--limit", help="Show at most this many.")] = 20,
    reason: ReasonOpt = None,
    start: StartOpt = None,
    end: EndOpt = None,
    region: RegionOpt = None,
    category: CategoryOpt = None,
    sku: SkuOpt = None,
    channel: ChannelOpt = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Which values of a dimension (× reason) changed level, and when — no hint needed; ranked, FDR-controlled."""
    from aftersales.services.changes import scan_changepoints

    with domain_errors():
        settings = settings_for(home)
        filters = _filters(start, end, region, category, sku, channel, reason)
        result = scan_changepoints(
            settings, metric, by, filters, per_reason, direction, min_size, min_events, alpha, limit
        )
    if json_out:
        print_json(result)
        return
    table = Table(
        title=f"水平变化 changes: {metric} by {by}{' × reason' if per_reason else ''} "
        f"({result['significant']} significant of {result['tested']} series, FDR {alpha:g})"
    )
    for col in (by, "reason", "from", "before", "after", "change", "p", "q"):
        table.add_column(col)
    for c in result["changes"]:
        change = "-" if c["change"] is None else f"{c['change']:+.0%}"
        q = f"[bold]{c['q_value']:.2g}[/]" if c["significant"] else f"{c['q_value']:.2g}"
        table.add_row(
            c[by],
            c["reason"] or "",
            c["date"],
            _level(metric, c["before"]),
            _level(metric, c["after"]),
            change,
            f"{c['p_value']:.2g}",
            q,
        )
    console.print(table)
    zh = settings.locale.startswith("zh")
    for c in result["changes"][:5]:
        console.print("• " + (c["explanation_zh"] if zh else c["explanation_en"]), highlight=False)


@insights_app.command("calendar")
def calendar_cmd(
    start: Annotated[dt.datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="First local date.")],
    end: Annotated[dt.datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="Last local date.")],
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """The promotion windows in force (built-ins and the `promotion_calendar` setting) between two dates."""
    from aftersales.services.insights import list_promotions

    with domain_errors():
        windows = list_promotions(settings_for(home), start.date(), end.date())
    if json_out:
        print_json(windows)
        return
    table = Table(title="促销日历 promotion calendar")
    for col in ("name", "start", "end"):
        table.add_column(col)
    for w in windows:
        table.add_row(w["name"], w["start"], w["end"])
    console.print(table)
