"""Questions in plain Chinese or English → a structured KPI query and an answer (offline, no LLM needed).

`parse_question` reads a question into a `Query` (or a `Refusal` with close suggestions); `services.ask` runs it
against the store via the KPI service and `format_answer` words the result.
"""

from aftersales.analytics.ask.answer import format_answer, format_range, format_refusal, format_value
from aftersales.analytics.ask.parse import parse_question
from aftersales.analytics.ask.query import Query, Ranking, Refusal
from aftersales.analytics.ask.time import TimeRange, find_times
from aftersales.analytics.ask.vocabulary import DimValue, Vocabulary, build_vocabulary, normalise

__all__ = [
    "DimValue",
    "Query",
    "Ranking",
    "Refusal",
    "TimeRange",
    "Vocabulary",
    "build_vocabulary",
    "find_times",
    "format_answer",
    "format_range",
    "format_refusal",
    "format_value",
    "normalise",
    "parse_question",
]
