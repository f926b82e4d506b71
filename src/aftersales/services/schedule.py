"""Scheduled reports: a cron expression (APScheduler's CronTrigger) that writes the report of the last period."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.services.report import WrittenReport, write_report

log = logging.getLogger(__name__)
RELATIVE = ("last-month", "last-week")


def cron_trigger(expression: str, timezone: str) -> Any:
    """A validated 5-field crontab trigger in the merchant's timezone ("0 8 * * MON" = Mondays 08:00)."""
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) != 5:
        raise InvalidInputError(
            f"--schedule {expression!r}: a crontab has 5 fields (minute hour day month weekday), got {len(fields)}"
        )
    try:
        return CronTrigger.from_crontab(expression, timezone=timezone)
    except ValueError as exc:
        raise InvalidInputError(f"--schedule {expression!r}: {exc}") from None


def expand(template: Path | None, label: str) -> Path | None:
    """Fill `{period}` in an output path (scheduled runs write one file per period)."""
    return None if template is None else Path(str(template).replace("{period}", label))


def report_job(
    settings: Settings, period: str, html: Path | None, xlsx: Path | None, locale: str | None
) -> Callable[[], WrittenReport]:
    """The job a scheduler runs: the relative period resolved on the day it fires, `{period}` filled in the paths."""
    if period not in RELATIVE:
        raise InvalidInputError(
            f"--period {period!r} with --schedule would write the same report every time; use {' or '.join(RELATIVE)}"
        )

    def run() -> WrittenReport:
        from aftersales.reports import parse_period

        today = dt.datetime.now(settings.zone).date()
        resolved = parse_period(period, today)
        written = write_report(
            settings, resolved, expand(html, resolved.label), expand(xlsx, resolved.label), locale, today
        )
        log.info("scheduled report %s written: %s", resolved.label, written.as_dict())
        return written

    return run


def next_runs(expression: str, timezone: str, count: int = 3, now: dt.datetime | None = None) -> list[dt.datetime]:
    """The next fire times of a schedule (shown before blocking, so a typo is visible at once)."""
    trigger = cron_trigger(expression, timezone)
    current = now or dt.datetime.now(trigger.timezone)
    runs: list[dt.datetime] = []
    previous = None
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, current)
        if fire is None:
            break
        runs.append(fire)
        previous, current = fire, fire + dt.timedelta(seconds=1)
    return runs


def run_schedule(settings: Settings, expression: str, job: Callable[[], WrittenReport]) -> None:
    """Block and run `job` at every fire time until interrupted (Ctrl-C / SIGTERM)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = BlockingScheduler(timezone=settings.timezone)
    scheduler.add_job(job, cron_trigger(expression, settings.timezone), id="report", coalesce=True, max_instances=1)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        scheduler.shutdown(wait=False)
