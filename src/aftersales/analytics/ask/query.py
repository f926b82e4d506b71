"""The structured query a question is read into, and the refusal when it cannot be (part of the ask JSON contract)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from aftersales.analytics.ask.time import TimeRange

Language = Literal["zh", "en"]
Granularity = Literal["day", "week", "month"]
RefusalReason = Literal[
    "empty",
    "no_metric",
    "unsupported_metric",
    "unavailable_metric",
    "unsupported_dimension",
    "too_many_dimensions",
    "ranking_needs_dimension",
    "ambiguous_time",
    "future",
    "why",
]


class Ranking(BaseModel):
    """Order rows by value: `desc` for 最高/top, `asc` for 最低/bottom; `limit` rows (None: all, 排名)."""

    model_config = ConfigDict(frozen=True)

    order: Literal["desc", "asc"]
    limit: int | None = Field(default=None, ge=1, le=100)


class Query(BaseModel):
    """What to compute: KPIs, breakdown, filters, window, optional time buckets, ranking and comparison."""

    model_config = ConfigDict(frozen=True)

    metrics: list[str] = Field(min_length=1, description="Registry KPI names, in the order asked.")
    by: str | None = Field(default=None, description="The breakdown dimension (region, category, ...).")
    filters: dict[str, list[str]] = Field(default_factory=dict, description="Dimension → stored values kept.")
    time: TimeRange = Field(description="Inclusive local dates; `text` is the expression as written.")
    time_defaulted: bool = Field(default=False, description="No time was named: the last full calendar month.")
    granularity: Granularity | None = Field(default=None, description="One row per day/week/month in the window.")
    ranking: Ranking | None = None
    compare: Literal["previous", "year_ago"] | None = Field(
        default=None, description="环比 (the window just before) or 同比 (the same window a year earlier)."
    )
    language: Language = "zh"


class Refusal(BaseModel):
    """Why a question cannot be answered, and up to three close questions that can."""

    model_config = ConfigDict(frozen=True)

    reason: RefusalReason
    message: str
    suggestions: list[str] = Field(default_factory=list, max_length=3)
