"""Report periods: every accepted spelling, relative periods, the period before, and clear errors."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.errors import InvalidInputError
from aftersales.reports import parse_period

TODAY = dt.date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "label", "start", "end", "granularity"),
    [
        ("2026-10", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31), "week"),
        ("2024-2", "2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29), "week"),
        ("2026-12", "2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31), "week"),
        ("2026-W43", "2026-W43", dt.date(2026, 10, 19), dt.date(2026, 10, 25), "week"),
        ("2026-w1", "2026-W01", dt.date(2025, 12, 29), dt.date(2026, 1, 4), "week"),
        ("2026-Q3", "2026-Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30), "month"),
        ("2026-q4", "2026-Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31), "month"),
        ("2025", "2025", dt.date(2025, 1, 1), dt.date(2025, 12, 31), "month"),
        ("last-month", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31), "week"),
        ("last-week", "2026-W47", dt.date(2026, 11, 16), dt.date(2026, 11, 22), "week"),
        (" 2026-10 ", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31), "week"),
    ],
)
def test_periods(text: str, label: str, start: dt.date, end: dt.date, granularity: str) -> None:
    period = parse_period(text, TODAY)
    assert (period.label, period.start, period.end, period.granularity) == (label, start, end, granularity)
    assert period.days == (end - start).days + 1


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("2026-10", "2026-09"),
        ("2026-01", "2025-12"),
        ("2026-W01", "2025-W52"),
        ("2026-Q1", "2025-Q4"),
        ("2026", "2025"),
    ],
)
def test_previous_period(text: str, previous: str) -> None:
    assert parse_period(text, TODAY).previous().label == previous


@pytest.mark.parametrize("text", ["2026-13", "2026-W54", "2026-Q5", "October", "", "2026/10", "26-10"])
def test_bad_periods_say_what_is_accepted(text: str) -> None:
    with pytest.raises(InvalidInputError, match="--period"):
        parse_period(text, TODAY)
