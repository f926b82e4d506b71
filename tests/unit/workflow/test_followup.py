"""Follow-up scheduling inside business hours, and emotion recovery between a case's open and close."""

from __future__ import annotations

import datetime as dt

import pytest

from aftersales.workflow.calendar import BusinessCalendar
from aftersales.workflow.followup import Recovery, emotion_recovery, polarity_class, schedule_followup

D = dt.datetime
CN_OFFICE = BusinessCalendar("Asia/Shanghai", range(5), dt.time(9), dt.time(18), cn_public_holidays=True)


def cst(*args: int) -> dt.datetime:
    return D(*args) - dt.timedelta(hours=8)


@pytest.mark.parametrize(
    ("resolved", "hours", "expected"),
    [
        (cst(2025, 3, 4, 10, 0), 24, cst(2025, 3, 5, 10, 0)),  # Tuesday → Wednesday, same time
        (cst(2025, 3, 4, 17, 30), 24, cst(2025, 3, 5, 17, 30)),
        (cst(2025, 3, 7, 11, 0), 24, cst(2025, 3, 10, 9, 0)),  # Friday → Saturday → Monday opening
        (cst(2025, 3, 4, 20, 0), 24, cst(2025, 3, 6, 9, 0)),  # Wednesday 20:00 is closed → Thursday 09:00
        (cst(2025, 9, 30, 10, 0), 24, cst(2025, 10, 9, 9, 0)),  # into 国庆 → first day back
        (cst(2025, 10, 10, 10, 0), 24, cst(2025, 10, 11, 10, 0)),  # Saturday Oct 11 is a 调休 workday
        (cst(2025, 3, 4, 10, 0), 0, cst(2025, 3, 4, 10, 0)),
        (cst(2025, 3, 4, 10, 0), 2.5, cst(2025, 3, 4, 12, 30)),
    ],
)
def test_schedule_followup_lands_in_business_hours(resolved: dt.datetime, hours: float, expected: dt.datetime) -> None:
    when = schedule_followup(resolved, CN_OFFICE, delay_hours=hours)
    assert when == expected
    assert CN_OFFICE.is_open(when)


def test_negative_delay_is_an_error() -> None:
    with pytest.raises(ValueError):
        schedule_followup(D(2025, 3, 4), CN_OFFICE, delay_hours=-1)


@pytest.mark.parametrize(
    ("open_emotion", "open_score", "close_emotion", "close_score", "outcome", "delta"),
    [
        ("anger", -0.8, "gratitude", 0.7, "recovered", 1.5),
        ("disappointment", None, "neutral", None, "recovered", None),
        ("anxiety", -0.4, "relief", None, "recovered", None),
        ("dissatisfaction", -0.5, "anger", -0.9, "still_negative", -0.4),
        ("neutral", 0.0, "anger", -0.6, "worsened", -0.6),
        ("satisfaction", 0.6, "neutral", 0.1, "stable", -0.5),
        (None, -0.7, None, 0.3, "recovered", 1.0),  # scores alone
        ("neutral", -0.6, "neutral", 0.0, "recovered", 0.6),  # a calm word but a clearly negative score
        ("neutral", 0.0, "gratitude", -0.5, "worsened", -0.5),  # either signal negative at close is negative
        (None, None, "gratitude", 0.5, "unknown", None),
        ("anger", -0.9, None, None, "unknown", None),
        ("not_an_emotion", None, "neutral", None, "unknown", None),
        ("anger", "negative", "neutral", "positive", "recovered", None),  # polarity codes instead of scores
        (None, "negative", None, "negative", "still_negative", None),
        ("neutral", "neutral", "neutral", "negative", "worsened", None),
        ("anger", "bogus", None, "positive", "recovered", None),  # an unknown code is ignored
    ],
)
def test_emotion_recovery(
    open_emotion: str | None,
    open_score: float | None,
    close_emotion: str | None,
    close_score: float | None,
    outcome: str,
    delta: float | None,
) -> None:
    result = emotion_recovery(open_emotion, open_score, close_emotion, close_score)
    assert result.outcome == outcome
    assert result.recovered is (outcome == "recovered")
    assert result.delta == (pytest.approx(delta) if delta is not None else None)


def test_recovery_carries_both_polarities() -> None:
    result = emotion_recovery("anger", -0.8, "gratitude", 0.7)
    assert result == Recovery("recovered", True, "negative", "positive", 1.5)
    assert result.to_dict() == {
        "outcome": "recovered",
        "recovered": True,
        "open_polarity": "negative",
        "close_polarity": "positive",
        "delta": 1.5,
    }


@pytest.mark.parametrize(
    ("score", "band", "expected"),
    [(0.1, 0.15, "neutral"), (0.1, 0.05, "positive"), (-0.16, 0.15, "negative"), (0.15, 0.15, "neutral")],
)
def test_neutral_band(score: float, band: float, expected: str) -> None:
    assert polarity_class(None, score, band) == expected
