"""`aftersales report`: the offline HTML report and XLSX workbook for a period, now or on a cron schedule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from aftersales.cli.common import console, domain_errors, print_json, settings_for


def report(
    period: Annotated[
        str,
        typer.Option("--period", help="YYYY-MM, YYYY-Www, YYYY-Qn, YYYY, last-month or last-week."),
    ] = "last-month",
    out: Annotated[
        Path | None,
        typer.Option("--out", help="HTML file to write (default HOME/reports/report-{period}.html)."),
    ] = None,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Also write the tables as an Excel workbook.")] = None,
    locale: Annotated[str | None, typer.Option("--locale", help="zh-CN or en (default: the locale setting).")] = None,
    schedule: Annotated[
        str | None,
        typer.Option("--schedule", help='Crontab, e.g. "0 8 * * MON": keep running and write at each time.'),
    ] = None,
    home: Annotated[
        Path | None, typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).", show_default=False)
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print what was written as JSON.")] = False,
) -> None:
    """Write the after-sales report: KPIs vs targets, reasons, anomalies, forecasts, actions, verbatims."""
    from aftersales.services import schedule as sched
    from aftersales.services.report import write_report

    if locale is not None and locale not in ("zh-CN", "en"):
        console.print(f"[red]error[/] --locale {locale!r}: use zh-CN or en")
        raise typer.Exit(2)
    with domain_errors():
        settings = settings_for(home)
        html = out or settings.home / "reports" / "report-{period}.html"
        if schedule is not None:
            job = sched.report_job(settings, period, html, xlsx, locale)
            runs = sched.next_runs(schedule, settings.timezone)
            console.print(
                f"writing the {period} report on {schedule!r} ({settings.timezone}); next: "
                + ", ".join(r.strftime("%Y-%m-%d %H:%M") for r in runs)
                + ". Ctrl-C stops.",
                highlight=False,
            )
            sched.run_schedule(settings, schedule, job)
            return
        from aftersales.reports import parse_period

        resolved = parse_period(period, dt.datetime.now(settings.zone).date())
        written = write_report(
            settings, resolved, sched.expand(html, resolved.label), sched.expand(xlsx, resolved.label), locale
        )
    if json_out:
        print_json(written.as_dict())
        return
    console.print(f"report {written.period}: {written.html}" + (f" and {written.xlsx}" if written.xlsx else ""))
    console.print("sections: " + ", ".join(written.sections), highlight=False)
