"""The `aftersales` command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aftersales import __version__, services
from aftersales.cli.common import console, domain_errors, print_json, settings_for
from aftersales.ingest.schema import SPECS

app = typer.Typer(
    name="aftersales",
    help="After-sales (售后) intelligence for returns and exchanges. 退换货售后智能分析。",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
app.add_typer(db_app, name="db")

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")]


@app.command()
def version() -> None:
    """Print the installed version."""
    console.print(__version__)


@db_app.command("upgrade")
def db_upgrade(home: HomeOpt = None, json_out: JsonOpt = False) -> None:
    """Apply database migrations up to the newest revision."""
    with domain_errors():
        result = services.upgrade_database(settings_for(home))
    if json_out:
        print_json(result)
    else:
        console.print(f"database {result['database']}: {result['from'] or '(empty)'} → {result['to']}")


def summary_table(summaries: list[services.IngestSummary]) -> Table:
    """Rich table of ingest outcomes per entity."""
    table = Table(title="ingest summary")
    for col in ("entity", "file", "accepted", "updated", "unchanged", "rejected", "rejects file"):
        table.add_column(col, justify="right" if col in ("accepted", "updated", "unchanged", "rejected") else "left")
    for s in summaries:
        table.add_row(
            s.entity,
            s.file,
            str(s.accepted),
            str(s.updated),
            str(s.unchanged),
            f"[red]{s.rejected}[/]" if s.rejected else "0",
            s.rejects_file or "-",
        )
    return table


@app.command()
def ingest(
    entity: Annotated[str, typer.Argument(help=f"One of: {', '.join(SPECS)}.")],
    file: Annotated[Path, typer.Argument(help="CSV/TSV, XLSX, JSONL or Parquet; .gz is read transparently.")],
    map_: Annotated[
        list[str] | None, typer.Option("--map", help="Column mapping SOURCE=CANONICAL (repeatable).")
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding, or auto (UTF-8, UTF-8-BOM, GBK/GB18030).")] = "auto",
    fmt: Annotated[str | None, typer.Option("--format", help="Override the format guessed from the suffix.")] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX sheet name (default: the first).")] = None,
    rejects: Annotated[Path | None, typer.Option(help="Where to write rejects (default FILE.rejects.csv).")] = None,
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Ingest a file of one entity: validate every row, upsert good rows, write bad rows to FILE.rejects.csv."""
    with domain_errors():
        settings = settings_for(home)
        progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=json_out,
        )
        with progress:
            task = progress.add_task(f"ingest {entity}", total=1.0, rows=0)

            def on_progress(rows: int, fraction: float | None) -> None:
                progress.update(task, rows=rows, completed=fraction if fraction is not None else 0)

            summary = services.ingest_file(
                entity,
                file,
                settings=settings,
                map_options=map_ or [],
                encoding=encoding,
                fmt=fmt,
                sheet=sheet,
                rejects_path=rejects,
                progress=on_progress,
            )
    if json_out:
        contract = summary.contract()
        print_json(
            {k: contract[k] for k in ("entity", "file", "accepted", "updated", "unchanged", "rejected", "rejects_file")}
            | {k: v for k, v in contract.items() if k not in ("entity", "file")}
        )
        return
    console.print(summary_table([summary]))
    if summary.ignored_columns:
        console.print(f"ignored columns (no canonical match; use --map): {', '.join(summary.ignored_columns)}")
    if summary.pending_customers:
        console.print(f"{summary.pending_customers} customers known only by reference were created as pending")
    if summary.rejected:
        console.print(f"[red]{summary.rejected} rows rejected[/]; see {summary.rejects_file}")


from aftersales.cli.importers import import_app  # noqa: E402

app.add_typer(import_app, name="import")

from aftersales.cli import demo as _demo  # noqa: E402

app.command("demo")(_demo.demo)


from aftersales.cli import nlp as _nlp  # noqa: E402

app.command("analyze")(_nlp.analyze)
app.command("eval")(_nlp.evaluate)
app.command("train")(_nlp.train)
app.add_typer(_nlp.feedback_app, name="feedback")

from aftersales.cli import ops as _ops  # noqa: E402

app.add_typer(_ops.users_app, name="users")
app.add_typer(_ops.policy_app, name="policy")
app.add_typer(_ops.cases_app, name="cases")
app.add_typer(_ops.outbox_app, name="outbox")
app.add_typer(_ops.churn_app, name="churn")
app.command("serve")(_ops.serve)

from aftersales.cli import kpi as _kpi  # noqa: E402

app.command("kpi")(_kpi.kpi)

from aftersales.cli import report as _report  # noqa: E402

app.command("report")(_report.report)

from aftersales.cli.insights import insights_app  # noqa: E402

app.add_typer(insights_app, name="insights")

from aftersales.cli import forecast as _forecast  # noqa: E402

app.command("forecast")(_forecast.forecast)
app.add_typer(_forecast.segments_app, name="segments")

from aftersales.cli import ask as _ask  # noqa: E402

app.command("ask")(_ask.ask)

from aftersales.cli import actions as _actions  # noqa: E402

app.add_typer(_actions.actions_app, name="actions")
