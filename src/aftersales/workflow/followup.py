"""After a case is resolved: when to follow up with the customer, and whether their emotion recovered.

The seeds' closed loop asks to check back after a fix and to measure whether an unhappy customer left calmer; both
are pure rules here so the service, the KPIs and the docs agree on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any, Literal

from aftersales.vocab import EMOTION_POLARITY, Emotion, Polarity
from aftersales.workflow.calendar import BusinessCalendar

RecoveryOutcome = Literal["recovered", "still_negative", "worsened", "stable", "unknown"]

# Scores inside ±band count as neutral. The analyser's own band is fitted (nlp combiner, 0.05-0.3); 0.15 is the
# middle of that range and callers with a model at hand can pass its band.
DEFAULT_NEUTRAL_BAND = 0.15


def schedule_followup(resolved_at: dt.datetime, calendar: BusinessCalendar, delay_hours: float = 24) -> dt.datetime:
    """Follow-up time: `delay_hours` of wall-clock time after resolving, moved to the next opening if closed then."""
    if delay_hours < 0:
        raise ValueError(f"delay_hours must be >= 0, got {delay_hours}")
    # Wall-clock, not business, hours: "check back tomorrow" means tomorrow to a customer, even over a weekend
    # the message simply waits for the team to be in.
    return calendar.next_open(resolved_at + dt.timedelta(hours=delay_hours))


PolarityInput = float | str | None  # a score in [-1, 1], a polarity code, or unknown


@dataclass(frozen=True, slots=True)
class Recovery:
    """How the customer's mood moved between the case's first and last message."""

    outcome: RecoveryOutcome
    recovered: bool  # negative at open and neutral/positive at close
    open_polarity: str | None  # positive / neutral / negative, None when unknown
    close_polarity: str | None
    delta: float | None  # close score - open score when both scores are known (positive = happier)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict (case events, API)."""
        return asdict(self)


def _score(value: PolarityInput) -> float | None:
    return None if value is None or isinstance(value, str) else float(value)


def polarity_class(
    emotion: str | None, polarity: PolarityInput, neutral_band: float = DEFAULT_NEUTRAL_BAND
) -> str | None:
    """Polarity from an emotion code and a polarity (score or code); either signal being negative makes it negative."""
    votes: set[str] = set()
    if emotion is not None and emotion in Emotion.codes():
        votes.add(EMOTION_POLARITY[Emotion(emotion)].value)
    score = _score(polarity)
    if isinstance(polarity, str) and polarity in Polarity.codes():
        votes.add(polarity)
    elif score is not None:
        if score < -neutral_band:
            votes.add(Polarity.NEGATIVE.value)
        elif score > neutral_band:
            votes.add(Polarity.POSITIVE.value)
        else:
            votes.add(Polarity.NEUTRAL.value)
    # Conservative on purpose: a calm emotion with a clearly negative score still counts as negative, so a case is
    # called recovered only when neither signal is negative at close.
    for code in (Polarity.NEGATIVE.value, Polarity.POSITIVE.value, Polarity.NEUTRAL.value):
        if code in votes:
            return code
    return None


def emotion_recovery(
    open_emotion: str | None,
    open_polarity: PolarityInput,
    close_emotion: str | None,
    close_polarity: PolarityInput,
    *,
    neutral_band: float = DEFAULT_NEUTRAL_BAND,
) -> Recovery:
    """Compare open and close (emotion codes; polarity scores in [-1, 1] or codes): recovered, worsened …"""
    before = polarity_class(open_emotion, open_polarity, neutral_band)
    after = polarity_class(close_emotion, close_polarity, neutral_band)
    open_score, close_score = _score(open_polarity), _score(close_polarity)
    delta = None if open_score is None or close_score is None else round(close_score - open_score, 4)
    outcome: RecoveryOutcome
    if before is None or after is None:
        outcome = "unknown"
    elif before == Polarity.NEGATIVE.value:
        outcome = "still_negative" if after == Polarity.NEGATIVE.value else "recovered"
    else:
        outcome = "worsened" if after == Polarity.NEGATIVE.value else "stable"
    return Recovery(outcome, outcome == "recovered", before, after, delta)
