"""Reason Pareto: order, shares, cumulative share and the vital few."""

from __future__ import annotations

import pytest

from aftersales.analytics.insights.pareto import pareto
from aftersales.errors import InvalidInputError

FOUR = ["size_fit", "quality_defect", "price", "other"]


@pytest.mark.parametrize(
    ("counts", "threshold", "order", "vital"),
    [
        ({"size_fit": 50, "quality_defect": 30, "price": 15, "other": 5}, 0.8, FOUR, FOUR[:2]),
        ({"size_fit": 50, "quality_defect": 29, "price": 16, "other": 5}, 0.8, FOUR, FOUR[:3]),
        ({"b": 10, "a": 10}, 0.5, ["a", "b"], ["a"]),
        ({"only": 3, "zero": 0}, 0.8, ["only"], ["only"]),
        ({}, 0.8, [], []),
    ],
)  # fmt: skip
def test_order_and_vital_few(counts: dict[str, int], threshold: float, order: list[str], vital: list[str]) -> None:
    result = pareto(counts, "returns", threshold)
    assert [b.reason for b in result.bars] == order
    assert result.vital_few == vital
    assert result.total == sum(counts.values())
    if result.bars:
        assert result.bars[-1].cumulative_share == pytest.approx(1.0)
        assert sum(b.share for b in result.bars) == pytest.approx(1.0)


def test_bars_carry_display_names() -> None:
    bar = pareto({"size_fit": 1, "unspecified": 1, "custom_code": 1}, "returns").bars
    names = {b.reason: (b.zh, b.en) for b in bar}
    assert names["size_fit"] == ("尺码不合适", "size / fit")
    assert names["unspecified"] == ("未填写", "not given")
    assert names["custom_code"] == ("custom_code", "custom_code")


@pytest.mark.parametrize("threshold", [0.0, -0.1, 1.5])
def test_bad_threshold(threshold: float) -> None:
    with pytest.raises(InvalidInputError, match="threshold"):
        pareto({"a": 1}, "returns", threshold)
