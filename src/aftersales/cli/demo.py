"""`aftersales demo`: build the synthetic demo merchant's data set, ingest it, summarise what was planted."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from aftersales.cli.common import console, domain_errors, settings_for
from aftersales.cli.render import case_table, print_wide
from aftersales.demo import DemoResult, build_demo
from aftersales.demo.accounts import DEMO_PASSWORD
from aftersales.demo.accounts import DEMO_USERS as DEMO_LOGINS


def _parse_end(value: str | None) -> dt.date | None:
    """--end as an ISO date, with a clear message instead of a traceback."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"expected a date like 2025-06-30, got {value!r}", param_hint="--end") from None


def demo(
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Build and ingest only; do not start the web app.")
    ] = False,
    home: Annotated[
        Path | None,
        typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed; same seed and end date give identical files.")] = 42,
    end: Annotated[
        str | None,
        typer.Option("--end", help="Last day of data (YYYY-MM-DD); default yesterday in the configured timezone."),
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to serve on (without --no-serve).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on (without --no-serve).")] = 8000,
) -> None:
    """Build the SYNTHETIC demo merchant (演示商户) data set, ingest it, and show the planted truths."""
    end_date = _parse_end(end)
    with domain_errors():
        settings = settings_for(home)
        progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        with progress:
            task = progress.add_task("demo", total=1)

            def on_step(name: str, done: int, total: int) -> None:
                progress.update(task, description=name, completed=done, total=total)

            result = build_demo(settings, seed=seed, end=end_date, progress=on_step)
    console.print(summary_table(result))
    for line in truth_lines(result.truths):
        console.print(line, highlight=False)
    console.print(
        f"files: {result.out_dir} (README.txt, truths.json, interactions_truth.csv); "
        f"database: {settings.resolved_database_url}; improvement action {result.improvement_action}; "
        f"generate {result.seconds.get('generate', 0):.1f}s, ingest {result.seconds.get('ingest', 0):.1f}s",
        highlight=False,
        soft_wrap=True,
    )
    if result.analysis:
        agree = result.analysis.get("agreement_with_planted_labels", {})
        console.print(
            f"analysed {result.analysis['analysed']:,} customer messages in {result.analysis['seconds']:.1f}s "
            f"(models {result.analysis['model_version']}); agreement with the generator's intended labels: "
            + ", ".join(f"{k} {v:.2f}" for k, v in agree.items() if k != "messages"),
            highlight=False,
            soft_wrap=True,
        )
    stale = {e: result.db_counts.get(e, 0) - n for e, n in result.file_rows.items() if result.db_counts.get(e, 0) > n}
    if stale:
        extra = ", ".join(f"{e} +{n:,}" for e, n in stale.items())
        console.print(
            f"[yellow]note[/]: the database also holds rows that are not in this demo set ({extra}): earlier data "
            "or another --seed/--end. Use a fresh --home for a clean demo.",
            soft_wrap=True,
        )
    if result.triage:
        t = result.triage
        console.print(
            f"triaged {t['triaged']:,} customer messages into {t['cases_opened']:,} cases in {t['seconds']:.1f}s "
            f"(analysis → signals → policy → case); cases by status: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(t["cases_by_status"].items())),
            highlight=False,
            soft_wrap=True,
        )
    if result.churn:
        c = result.churn
        metrics = c.get("metrics") or {}
        auc = metrics.get("holdout_auc") or metrics.get("auc")
        console.print(
            f"churn risk: {c['method']} on {c['examples']:,} {c['source']} examples"
            + (f", holdout AUC {auc:.2f}" if isinstance(auc, float) else ""),
            highlight=False,
        )
    queue = top_of_queue(settings)
    print_wide(case_table(queue["data"], f"the queue: top {len(queue['data'])} of {queue['count']:,} open cases"))
    if result.accounts:
        console.print(f"demo users and API keys: {result.accounts['path']} (synthetic, local only)", highlight=False)
    written = demo_report(settings, result)
    console.print(f"report {written.period}: {written.html} and {written.xlsx}", highlight=False, soft_wrap=True)
    if result.rejected:
        console.print(f"[red]{result.rejected} rows rejected[/]; see the rejects files next to the inputs")
        raise typer.Exit(1)
    if not no_serve:
        from aftersales.cli.ops import serve

        manager = next((u for u in DEMO_LOGINS if u[1] == "manager"), None)
        if manager is not None:
            console.print(
                f"web app: http://{host}:{port}/ — log in as {manager[0]} (manager) or agent-care (agent), "
                f"password {DEMO_PASSWORD} (synthetic demo accounts)",
                highlight=False,
                soft_wrap=True,
            )

        serve(host=host, port=port, workers=1, home=home)


def demo_report(settings: Any, result: DemoResult) -> Any:
    """The demo's last full month as the offline HTML report and XLSX workbook under HOME/reports."""
    from aftersales.reports import parse_period
    from aftersales.services.report import write_report

    last_day = dt.date.fromisoformat(str(result.truths["end"]))
    period = parse_period("last-month", last_day + dt.timedelta(days=1))
    folder = settings.home / "reports"
    return write_report(
        settings, period, folder / f"report-{period.label}.html", folder / f"report-{period.label}.xlsx", today=last_day
    )


def top_of_queue(settings: Any, limit: int = 10) -> dict[str, Any]:
    """The open cases an agent would see first (priority, then SLA due), as the service returns them."""
    from aftersales.services.cases import list_cases
    from aftersales.services.users import system_principal

    return list_cases(system_principal(), open_only=True, limit=limit, settings=settings)


def summary_table(result: DemoResult) -> Table:
    """Rows per entity: in the generated file, ingest outcome, and in the database."""
    table = Table(title="demo merchant (演示商户, SYNTHETIC data)")
    for col in ("entity", "file rows", "accepted", "updated", "unchanged", "rejected", "in db"):
        table.add_column(col, justify="left" if col == "entity" else "right", no_wrap=col == "entity")
    for s in result.summaries:
        table.add_row(
            s.entity,
            f"{result.file_rows.get(s.entity, 0):,}",
            f"{s.accepted:,}",
            f"{s.updated:,}",
            f"{s.unchanged:,}",
            f"[red]{s.rejected:,}[/]" if s.rejected else "0",
            f"{result.db_counts.get(s.entity, 0):,}",
        )
    return table


def truth_lines(truths: dict[str, Any]) -> list[str]:
    """One line per planted truth, for people to check what later analytics should find."""
    spike, imp, fall = truths["region_spike"], truths["sku_improvement"], truths["falling_frequency"]
    return [
        f"planted 1 · region spike: {spike['region']} {spike['start']}…{spike['end']} return rate "
        f"{spike['return_rate_in_window']:.1%} vs {spike['return_rate_region_baseline']:.1%} "
        f"(×{spike['observed_ratio']}), damaged_in_transit/logistics_delay",
        f"planted 2 · action “{imp['title']}” on {imp['sku']} from {imp['start_date']}: hard_to_use "
        f"{imp['hard_to_use_rate_before']:.1%} → {imp['hard_to_use_rate_after']:.1%} "
        f"(placebo {imp['placebo']['sku']}: {imp['placebo']['hard_to_use_rate_before']:.1%} → "
        f"{imp['placebo']['hard_to_use_rate_after']:.1%})",
        f"planted 3 · falling frequency: {fall['size']} customers after bad service, orders/30d "
        f"{fall['group_orders_per_30d_before']} → {fall['group_orders_per_30d_after']} "
        f"(others {fall['control_orders_per_30d_before']} → {fall['control_orders_per_30d_after']})",
    ]
