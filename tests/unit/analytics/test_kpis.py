"""The KPI registry: definitions, dimension checks, ratio and trend logic, window resolution."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.analytics.kpis import (
    DIMENSIONS,
    KPIS,
    Agg,
    Direction,
    KpiDef,
    get_kpi,
    ratio,
    trend,
    unknown_kpis,
    value_of,
)
from aftersales.errors import InvalidInputError
from aftersales.services.kpi import resolve_dates
from aftersales.services.kpi_sql import CUSTOMER_LEVEL, PARTS, PERCENTILES, SOURCES

EXPECTED = {
    "return_rate",
    "exchange_rate",
    "refund_amount",
    "complaint_volume",
    "csat",
    "nps",
    "first_response_minutes",
    "sla_compliance",
    "reopen_rate",
    "escalation_rate",
    "negative_share",
    "emotion_recovery_rate",
    # issue #5, second increment (names relied on by the natural-language question parser)
    "complaint_rate",
    "first_contact_resolution",
    "first_response_minutes_p50",
    "first_response_minutes_p90",
    "resolution_hours",
    "resolution_hours_p50",
    "resolution_hours_p90",
    "repurchase_rate",
    "churn_rate",
}


def test_registry_is_complete_and_consistent() -> None:
    assert set(KPIS) == EXPECTED == set(PARTS) | set(PERCENTILES) | set(CUSTOMER_LEVEL)
    for name, parts in PARTS.items():
        assert parts and all(p.source in SOURCES for p in parts), name
    for kpi in KPIS.values():
        assert (kpi.agg is Agg.PERCENTILE) == (kpi.percentile is not None) == (kpi.name in PERCENTILES)
        assert kpi.zh and kpi.en and kpi.numerator and kpi.denominator
        assert set(kpi.dimensions) <= set(DIMENSIONS)
        assert kpi.label("zh-CN") == kpi.zh and kpi.label("en") == kpi.en
    assert get_kpi("csat").direction is Direction.HIGHER_IS_BETTER
    assert get_kpi("return_rate").direction is Direction.LOWER_IS_BETTER
    assert get_kpi("reopen_rate").target == 0.05


def test_unknown_kpi_lists_the_names() -> None:
    with pytest.raises(InvalidInputError, match="unknown KPI 'nope'; known KPIs: return_rate, exchange_rate"):
        get_kpi("nope")


def test_unsupported_dimension_names_the_supported_ones() -> None:
    with pytest.raises(InvalidInputError, match="supported dimensions: region, tier"):
        get_kpi("csat").check_dimension("queue")
    get_kpi("complaint_volume").check_dimension("queue")
    get_kpi("csat").check_dimension(None)


def test_unknown_kpis_names_only_the_unknown() -> None:
    assert unknown_kpis({"csat": 4.6, "churn": 0.1, "nps ": 3}) == ["churn", "nps "]
    assert unknown_kpis({}) == []


def _kpi(agg: Agg, scale: float = 1.0) -> KpiDef:
    return KpiDef("k", "k", "k", "ratio", Direction.HIGHER_IS_BETTER, None, "n", "d", (), agg=agg, scale=scale)


@pytest.mark.parametrize(
    ("agg", "scale", "num", "den", "expected"),
    [
        (Agg.RATIO, 1.0, 1.0, 4, 0.25),
        (Agg.RATIO, 100.0, 1.0, 4, 25.0),
        (Agg.RATIO, 1.0, 0.0, 0, None),
        (Agg.TOTAL, 1.0, 150.5, 3, 150.5),
        (Agg.TOTAL, 1.0, 0.0, 0, None),
        (Agg.COUNT, 1.0, 0.0, 0, 0.0),
        (Agg.COUNT, 1.0, 7.0, 7, 7.0),
        (Agg.PERCENTILE, 1.0, 0.0, 2, 0.0),
        (Agg.PERCENTILE, 1.0, 0.0, 0, None),
    ],
)
def test_value_of(agg: Agg, scale: float, num: float, den: int, expected: float | None) -> None:
    assert value_of(_kpi(agg, scale), num, den) == expected


def test_ratio() -> None:
    assert ratio(1, 4) == 0.25
    assert ratio(1, 0) is None
    assert ratio(None, 3) is None


@pytest.mark.parametrize(
    ("current", "previous", "direction", "expected"),
    [
        (0.5, 0.25, Direction.LOWER_IS_BETTER, ("up", False)),
        (0.5, 0.25, Direction.HIGHER_IS_BETTER, ("up", True)),
        (0.1, 0.25, Direction.LOWER_IS_BETTER, ("down", True)),
        (0.1, 0.25, Direction.HIGHER_IS_BETTER, ("down", False)),
        (4.0, 4.0, Direction.HIGHER_IS_BETTER, ("flat", False)),
        (None, 4.0, Direction.HIGHER_IS_BETTER, (None, None)),
        (4.0, None, Direction.LOWER_IS_BETTER, (None, None)),
    ],
)
def test_trend(
    current: float | None, previous: float | None, direction: Direction, expected: tuple[str | None, bool | None]
) -> None:
    assert trend(current, previous, direction) == expected


def test_default_windows_are_last_full_periods() -> None:
    today = dt.date(2024, 4, 17)  # a Wednesday
    assert resolve_dates("month", None, None, today) == (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    assert resolve_dates("week", None, None, today) == (dt.date(2024, 4, 8), dt.date(2024, 4, 14))
    assert resolve_dates("day", None, None, today) == (dt.date(2024, 4, 16), dt.date(2024, 4, 16))
    assert resolve_dates("month", dt.date(2024, 2, 1), None, today) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert resolve_dates("month", None, dt.date(2024, 2, 10), today) == (dt.date(2024, 2, 1), dt.date(2024, 2, 10))


def test_bad_period_and_reversed_dates() -> None:
    with pytest.raises(InvalidInputError, match="unknown period 'year'"):
        resolve_dates("year", None, None, dt.date(2024, 4, 1))
    with pytest.raises(InvalidInputError, match="before --from"):
        resolve_dates("month", dt.date(2024, 3, 5), dt.date(2024, 3, 1), dt.date(2024, 4, 1))
