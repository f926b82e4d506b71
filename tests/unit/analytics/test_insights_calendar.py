"""The promotion calendar: built-in windows per year, custom windows replacing built-ins, day labels."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.analytics.insights.calendar import (
    SPRING_FESTIVAL,
    PromotionCalendar,
    PromotionWindow,
    builtin_windows,
    calendar_from_config,
)
from aftersales.config import PromotionWindowConfig
from aftersales.errors import InvalidInputError

D = dt.date


@pytest.mark.parametrize(
    ("year", "name", "start", "end"),
    [
        (2026, "618", D(2026, 5, 31), D(2026, 6, 18)),
        (2025, "双11", D(2025, 10, 20), D(2025, 11, 11)),
        (2025, "双12", D(2025, 12, 10), D(2025, 12, 12)),
        (2026, "春节", D(2026, 2, 10), D(2026, 2, 24)),
        (2026, "年货节", D(2026, 1, 20), D(2026, 2, 9)),
        (2025, "春节", D(2025, 1, 22), D(2025, 2, 5)),
    ],
)
def test_builtin_windows(year: int, name: str, start: dt.date, end: dt.date) -> None:
    found = {w.name: w for w in builtin_windows(year)}
    assert (found[name].start, found[name].end) == (start, end)


def test_years_outside_the_spring_festival_table_have_no_lunar_windows() -> None:
    year = max(SPRING_FESTIVAL) + 1
    assert {w.name for w in builtin_windows(year)} == {"618", "双11", "双12"}


def test_custom_window_replaces_the_builtin_of_its_year_only() -> None:
    cal = PromotionCalendar(custom=(PromotionWindow("双11", D(2025, 10, 24), D(2025, 11, 11)),))
    windows = [w for w in cal.windows(D(2024, 1, 1), D(2025, 12, 31)) if w.name == "双11"]
    assert [(w.start, w.end) for w in windows] == [
        (D(2024, 10, 20), D(2024, 11, 11)),
        (D(2025, 10, 24), D(2025, 11, 11)),
    ]


@pytest.mark.parametrize(
    ("day", "builtin", "label"),
    [
        (D(2025, 11, 11), True, "双11"),
        (D(2025, 11, 12), True, ""),
        (D(2025, 8, 9), True, "店庆"),
        (D(2025, 11, 11), False, ""),
        (D(2025, 8, 9), False, "店庆"),
    ],
)
def test_label_days(day: dt.date, builtin: bool, label: str) -> None:
    entries = [PromotionWindowConfig(name="店庆", start=D(2025, 8, 8), end=D(2025, 8, 10))]
    cal = calendar_from_config(entries, builtin=builtin)
    assert cal.label_days([day]).tolist() == [label]


def test_a_window_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="before start"):
        PromotionWindow("x", D(2025, 1, 2), D(2025, 1, 1))
