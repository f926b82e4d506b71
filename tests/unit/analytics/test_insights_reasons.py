"""Stated vs actual reasons: the actual reason per return, the confusion table, agreement and kappa."""

from __future__ import annotations

import pandas as pd
import pytest

from aftersales.analytics.insights.reasons import actual_reasons, compare_reasons


def _messages(rows: list[tuple[str, str, float, list[str]]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["return_id", "primary_reason", "score", "reasons"])


@pytest.mark.parametrize(
    ("rows", "actual"),
    [
        ([("r1", "size_fit", 0.9, ["size_fit"])], "size_fit"),
        ([("r1", "price", 0.9, ["price"]), ("r1", "size_fit", 0.6, []), ("r1", "size_fit", 0.5, [])], "size_fit"),
        ([("r1", "price", 0.9, ["price"]), ("r1", "size_fit", 0.6, ["size_fit"])], "price"),
        ([("r1", "none", 0.0, []), ("r1", "wrong_item", 0.4, ["wrong_item"])], "wrong_item"),
    ],
)
def test_actual_reason_is_the_most_named_then_the_strongest(
    rows: list[tuple[str, str, float, list[str]]], actual: str
) -> None:
    assert actual_reasons(_messages(rows)).set_index("return_id").at["r1", "actual"] == actual


def test_messages_without_a_reason_give_no_actual_reason() -> None:
    assert actual_reasons(_messages([("r1", "none", 0.0, [])])).empty


def test_confusion_table_agreement_and_mismatches() -> None:
    stated = pd.DataFrame(
        {"return_id": ["r1", "r2", "r3", "r4", "r5"], "stated": ["quality_defect"] * 3 + ["size_fit", None]}
    )
    messages = _messages(
        [
            ("r1", "quality_defect", 0.9, ["quality_defect"]),
            ("r2", "changed_mind", 0.8, ["changed_mind", "quality_defect"]),
            ("r3", "changed_mind", 0.7, ["changed_mind"]),
            ("r4", "size_fit", 0.9, ["size_fit"]),
        ]
    )
    result = compare_reasons(stated, messages)
    assert (result.returns, result.with_messages) == (5, 4)
    assert result.coverage == pytest.approx(0.8)
    assert result.agreement_rate == pytest.approx(0.5)
    assert result.mention_rate == pytest.approx(0.75)
    top = result.top_mismatches[0]
    assert (top.stated, top.actual, top.count, top.examples) == ("quality_defect", "changed_mind", 2, ["r2", "r3"])
    assert top.share_of_stated == pytest.approx(2 / 3)
    row = next(r for r in result.table if r["stated"] == "quality_defect")
    assert (row["quality_defect"], row["changed_mind"]) == (1, 2)
    # Observed agreement 0.5; chance agreement from the margins (stated 3/4 quality, 1/4 size; actual 1/4, 2/4, 1/4).
    chance = (3 * 1 + 1 * 1) / 16
    assert result.kappa == pytest.approx((0.5 - chance) / (1 - chance))


def test_perfect_agreement_has_kappa_one() -> None:
    stated = pd.DataFrame({"return_id": ["a", "b"], "stated": ["price", "size_fit"]})
    messages = _messages([("a", "price", 1.0, ["price"]), ("b", "size_fit", 1.0, ["size_fit"])])
    result = compare_reasons(stated, messages)
    assert result.agreement_rate == 1.0 and result.kappa == pytest.approx(1.0) and result.top_mismatches == []


def test_no_messages_at_all() -> None:
    stated = pd.DataFrame({"return_id": ["a"], "stated": ["price"]})
    result = compare_reasons(stated, _messages([]))
    assert (result.with_messages, result.agreement_rate, result.kappa) == (0, None, None)
