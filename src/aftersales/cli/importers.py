"""`aftersales import ...`: load public data sets (UCI Online Retail, Olist) through the ingest path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from aftersales.cli.common import console, domain_errors, print_json, settings_for
from aftersales.config import Settings
from aftersales.ingest.importers import ImportReport, import_olist, import_online_retail
from aftersales.ingest.importers.base import StepFn

import_app = typer.Typer(help="Import public data sets (see docs/importers.md). 导入公开数据集。", no_args_is_help=True)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object for machines.")]


def _report_table(report: ImportReport) -> Table:
    """Per-entity outcome table (same columns as `aftersales ingest`)."""
    table = Table(title=f"import {report.importer} ({report.seconds:.1f} s)")
    for col in ("entity", "accepted", "updated", "unchanged", "rejected", "rejects file"):
        table.add_column(col, justify="left" if col in ("entity", "rejects file") else "right")
    for s in report.entities:
        table.add_row(
            s.entity,
            str(s.accepted),
            str(s.updated),
            str(s.unchanged),
            f"[red]{s.rejected}[/]" if s.rejected else "0",
            s.rejects_file or "-",
        )
    return table


def _run(run: Callable[[Settings, StepFn], ImportReport], label: str, home: Path | None, json_out: bool) -> None:
    """Run an importer with a status line (unless --json) and render its report."""
    with domain_errors():
        settings = settings_for(home)
        if json_out:
            report = run(settings, lambda _step: None)
        else:
            with console.status(f"import {label}") as status:
                report = run(settings, lambda step: status.update(f"import {label}: {step}"))
    if json_out:
        print_json(report.contract())
        return
    console.print(_report_table(report))
    for key, value in report.notes.items():
        console.print(f"  {key.replace('_', ' ')}: {value:,}")


@import_app.command("online-retail")
def online_retail(
    path: Annotated[Path, typer.Argument(help="online_retail.csv(.gz) from the UCI Online Retail data set.")],
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import UCI Online Retail: invoices → orders and lines, C invoices → returns linked to orders."""
    _run(
        lambda settings, step: import_online_retail(path, settings=settings, on_step=step),
        "online-retail",
        home,
        json_out,
    )


@import_app.command("olist")
def olist(
    directory: Annotated[Path, typer.Argument(help="Directory holding the olist_*.csv(.gz) files.")],
    home: HomeOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Import Olist: customers, orders and lines, reviews → CSAT surveys and review interactions."""
    _run(
        lambda settings, step: import_olist(directory, settings=settings, on_step=step),
        "olist",
        home,
        json_out,
    )
