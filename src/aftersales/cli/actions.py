"""`aftersales actions`: record improvement actions and measure their effect on the target KPI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from aftersales.cli.common import console, domain_errors, print_json, settings_for

actions_app = typer.Typer(help="Improvement actions (改进措施) and their measured effect.", no_args_is_help=True)

Home = Annotated[
    Path | None, typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False)
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON for machines.")]


def _scope(sku: list[str], category: list[str], region: list[str], reason: list[str]) -> dict[str, list[str]]:
    return {k: v for k, v in (("sku", sku), ("category", category), ("region", region), ("reason", reason)) if v}


@actions_app.command("add")
def add(
    title: Annotated[str, typer.Argument(help="What was done, e.g. 说明书改版.")],
    start: Annotated[dt.datetime, typer.Option("--start", formats=["%Y-%m-%d"], help="First day in effect.")],
    sku: Annotated[list[str], typer.Option("--sku", help="Treated SKU (repeatable).")] = [],  # noqa: B006
    category: Annotated[list[str], typer.Option("--category", help="Category (repeatable).")] = [],  # noqa: B006
    region: Annotated[list[str], typer.Option("--region", help="Region (repeatable).")] = [],  # noqa: B006
    reason: Annotated[
        list[str], typer.Option("--reason", help="Only returns with this reason code count (repeatable).")
    ] = [],  # noqa: B006
    kpi: Annotated[str, typer.Option("--kpi", help="Target KPI (registry name).")] = "return_rate",
    end: Annotated[dt.datetime | None, typer.Option("--end", formats=["%Y-%m-%d"], help="Last day in effect.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Who owns it.")] = None,
    description: Annotated[str | None, typer.Option("--description", help="Details.")] = None,
    action_id: Annotated[str | None, typer.Option("--id", help="Action id (default: generated).")] = None,
    home: Home = None,
    json_out: Json = False,
) -> None:
    """Record an action: what, scope (SKUs / categories / regions, optional reasons), start date, target KPI, owner."""
    from aftersales.services.actions import create_action

    data: dict[str, Any] = {"title": title, "scope": _scope(sku, category, region, reason), "target_kpi": kpi}
    data |= {"start_date": start.date(), "end_date": end.date() if end else None, "owner": owner}
    data |= {"description": description, "action_id": action_id}
    with domain_errors():
        action = create_action(data, settings_for(home))
    if json_out:
        print_json(action)
        return
    console.print(f"recorded [bold]{action['action_id']}[/] {action['title']}")


@actions_app.command("list")
def list_(
    status: Annotated[str | None, typer.Option("--status", help="planned, active, completed or cancelled.")] = None,
    home: Home = None,
    json_out: Json = False,
) -> None:
    """Recorded actions, newest start first."""
    from aftersales.services.actions import list_actions

    with domain_errors():
        page = list_actions(status, 1000, 0, settings_for(home))
    if json_out:
        print_json(page)
        return
    table = Table(title=f"改进措施 improvement actions ({page['count']})")
    for col in ("id", "标题 title", "范围 scope", "开始 start", "指标 KPI", "负责人 owner", "状态 status"):
        table.add_column(col)
    for a in page["data"]:
        scope = "; ".join(f"{k}={','.join(v)}" for k, v in a["scope"].items())
        table.add_row(
            a["action_id"], a["title"], scope, a["start_date"], a["target_kpi"], a["owner"] or "", a["status"]
        )
    console.print(table)


@actions_app.command("show")
def show(action_id: str, home: Home = None, json_out: Json = False) -> None:
    """One action's record."""
    from aftersales.services.actions import get_action

    with domain_errors():
        action = get_action(action_id, settings_for(home))
    if json_out:
        print_json(action)
        return
    for key, value in action.items():
        console.print(f"[bold]{key}[/]: {value}")


@actions_app.command("set-status")
def set_status(
    action_id: str,
    status: Annotated[str, typer.Argument(help="planned, active, completed or cancelled.")],
    end: Annotated[dt.datetime | None, typer.Option("--end", formats=["%Y-%m-%d"], help="Last day in effect.")] = None,
    home: Home = None,
    json_out: Json = False,
) -> None:
    """Change an action's status (and optionally its end date)."""
    from aftersales.services.actions import update_action

    patch: dict[str, Any] = {"status": status, "end_date": end.date() if end else None}
    with domain_errors():
        action = update_action(action_id, patch, settings_for(home))
    if json_out:
        print_json(action)
        return
    console.print(f"{action['action_id']}: {action['status']}")


@actions_app.command("delete")
def delete(action_id: str, home: Home = None) -> None:
    """Remove an action."""
    from aftersales.services.actions import delete_action

    with domain_errors():
        delete_action(action_id, settings_for(home))
    console.print(f"deleted {action_id}")


@actions_app.command("effect")
def effect(
    action_id: str,
    period: Annotated[str, typer.Option("--period", help="week or month panels.")] = "week",
    model: Annotated[str | None, typer.Option("--model", help="poisson (rates) or linear (default: by KPI).")] = None,
    max_controls: Annotated[int, typer.Option("--max-controls", help="Comparable units to use at most.")] = 5,
    maturity: Annotated[
        int | None, typer.Option("--maturity-days", help="Days for returns to arrive (default: from the data).")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en summary.")] = "zh",
    home: Home = None,
    json_out: Json = False,
) -> None:
    """Measured effect: DiD against comparable untreated units (else interrupted time series), CI, p, pre-trend."""
    from aftersales.services.actions import action_effect

    with domain_errors():
        result = action_effect(
            action_id,
            settings_for(home),
            period=period,
            model=model,
            max_controls=max_controls,
            maturity=maturity,
        )
    if json_out:
        print_json(result)
        return
    console.print(f"[bold]{result['action_id']} {result['title']}[/]")
    console.print(result["summary_zh"] if lang.startswith("zh") else result["summary_en"], highlight=False)
    method = "DiD (unit + period fixed effects)" if result["method"] == "did" else "interrupted time series"
    console.print(
        f"{method}, model {result['model']}, errors {result['inference']}; {result['n_pre']} {period}s before, "
        f"{result['n_post']} after ({result['pre_from']} … {result['post_to']}, maturity {result['maturity_days']} d)",
        highlight=False,
    )
    console.print(f"verdict: {result['verdict']}", highlight=False)
    for note in result["notes"]:
        console.print(f"note: {note}", highlight=False)
