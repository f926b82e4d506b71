"""Insights on after-sales data: reason Pareto, stated vs. actual reasons, anomalies and change points (pure)."""

from aftersales.analytics.insights.anomalies import Anomaly, MetricInfo, benjamini_hochberg, build_panel, find_anomalies
from aftersales.analytics.insights.calendar import PromotionCalendar, PromotionWindow, builtin_windows
from aftersales.analytics.insights.changepoints import ChangePoint, ChangePointResult, detect_changepoints
from aftersales.analytics.insights.pareto import Pareto, ParetoBar, pareto
from aftersales.analytics.insights.reasons import ReasonComparison, actual_reasons, compare_reasons, reason_labels

__all__ = [
    "Anomaly",
    "ChangePoint",
    "ChangePointResult",
    "MetricInfo",
    "Pareto",
    "ParetoBar",
    "PromotionCalendar",
    "PromotionWindow",
    "ReasonComparison",
    "actual_reasons",
    "benjamini_hochberg",
    "build_panel",
    "builtin_windows",
    "compare_reasons",
    "detect_changepoints",
    "find_anomalies",
    "pareto",
    "reason_labels",
]
