"""Report periods as users type them: 2026-10, 2026-W43, 2026-Q3, 2026, or 'last-month' / 'last-week'."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from aftersales.errors import InvalidInputError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)
_YEAR = re.compile(r"^(\d{4})$")


@dataclass(frozen=True)
class ReportPeriod:
    """An inclusive local date range with its label and the granularity its trend charts use."""

    label: str
    start: dt.date
    end: dt.date
    granularity: str  # week or month: the unit of the trend charts and forecasts

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    def previous(self) -> ReportPeriod:
        """The period of the same kind just before this one (for file names of scheduled runs and comparisons)."""
        return parse_period(_shift_label(self), today=self.start)


def _month_end(year: int, month: int) -> dt.date:
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def _shift_label(period: ReportPeriod) -> str:
    before = period.start - dt.timedelta(days=1)
    if _MONTH.match(period.label):
        return f"{before.year:04d}-{before.month:02d}"
    if _WEEK.match(period.label):
        year, week, _ = before.isocalendar()
        return f"{year:04d}-W{week:02d}"
    if _QUARTER.match(period.label):
        return f"{before.year:04d}-Q{(before.month - 1) // 3 + 1}"
    return f"{before.year:04d}"


def parse_period(text: str, today: dt.date) -> ReportPeriod:
    """Parse a period; 'last-month' and 'last-week' are relative to `today` (the scheduler's run date)."""
    value = text.strip()
    if value.lower() == "last-month":
        first = today.replace(day=1) - dt.timedelta(days=1)
        value = f"{first.year:04d}-{first.month:02d}"
    elif value.lower() == "last-week":
        year, week, _ = (today - dt.timedelta(days=7)).isocalendar()
        value = f"{year:04d}-W{week:02d}"
    try:
        if m := _MONTH.match(value):
            year, month = int(m[1]), int(m[2])
            start = dt.date(year, month, 1)
            return ReportPeriod(f"{year:04d}-{month:02d}", start, _month_end(year, month), "week")
        if m := _WEEK.match(value):
            year, week = int(m[1]), int(m[2])
            start = dt.date.fromisocalendar(year, week, 1)
            return ReportPeriod(f"{year:04d}-W{week:02d}", start, start + dt.timedelta(days=6), "week")
        if m := _QUARTER.match(value):
            year, quarter = int(m[1]), int(m[2])
            start = dt.date(year, 3 * quarter - 2, 1)
            return ReportPeriod(f"{year:04d}-Q{quarter}", start, _month_end(year, 3 * quarter), "month")
        if m := _YEAR.match(value):
            year = int(m[1])
            return ReportPeriod(f"{year:04d}", dt.date(year, 1, 1), dt.date(year, 12, 31), "month")
    except ValueError as exc:
        raise InvalidInputError(f"--period {text!r}: {exc}") from None
    raise InvalidInputError(
        f"--period {text!r} is not a period; use YYYY-MM (2026-10), YYYY-Www (2026-W43), YYYY-Qn (2026-Q3), "
        "YYYY, last-month or last-week"
    )
