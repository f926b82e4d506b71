"""Scheduled reports: crontab validation, next fire times in the merchant's timezone, relative periods only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.services import schedule


def test_next_runs_are_mondays_at_eight_local() -> None:
    now = dt.datetime(2026, 11, 25, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    runs = schedule.next_runs("0 8 * * MON", "Asia/Shanghai", 3, now)
    assert [r.date() for r in runs] == [dt.date(2026, 11, 30), dt.date(2026, 12, 7), dt.date(2026, 12, 14)]
    assert all(r.hour == 8 and r.minute == 0 and r.utcoffset() == dt.timedelta(hours=8) for r in runs)


@pytest.mark.parametrize("expression", ["0 8 * *", "61 8 * * MON", "0 8 * * FUNDAY", "every monday"])
def test_bad_crontab_is_a_clear_error(expression: str) -> None:
    with pytest.raises(InvalidInputError, match="--schedule"):
        schedule.cron_trigger(expression, "Asia/Shanghai")


def test_fixed_period_cannot_be_scheduled(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="same report every time"):
        schedule.report_job(settings, "2026-10", tmp_path / "r.html", None, None)


def test_period_placeholder_is_filled() -> None:
    assert schedule.expand(Path("/r/report-{period}.html"), "2026-10") == Path("/r/report-2026-10.html")
    assert schedule.expand(None, "2026-10") is None


def test_job_writes_the_last_period_on_an_empty_database(settings: Settings, tmp_path: Path) -> None:
    from aftersales import services

    services.upgrade_database(settings)
    job = schedule.report_job(settings, "last-month", tmp_path / "r-{period}.html", tmp_path / "r-{period}.xlsx", "en")
    written = job()
    assert written.html is not None and written.html.exists() and written.xlsx is not None and written.xlsx.exists()
    assert written.html.name == f"r-{written.period}.html" and "kpis" in written.sections
