"""Plotly figures (plain dicts for Plotly.newPlot) built from the dashboard service's result.

Every point carries, as customdata, the URL of the drill-down list with the cases and messages behind it; the page
also renders the same links as tables for keyboard and screen-reader users.
"""

from __future__ import annotations

import calendar
from typing import Any
from urllib.parse import urlencode

from aftersales.config import Settings
from aftersales.services.runtime import get_runtime
from aftersales.vocab import EMOTION_POLARITY, Emotion, Polarity, Priority
from aftersales.web import i18n

EMOTION_COLOURS = {
    "anger": "#b2182b",
    "dissatisfaction": "#d6604d",
    "disappointment": "#f4a582",
    "anxiety": "#fdb863",
    "neutral": "#9e9e9e",
    "satisfaction": "#4393c3",
    "relief": "#2166ac",
    "gratitude": "#1b7837",
}
PRIORITY_COLOURS = {"P1": "#b2182b", "P2": "#ef8a62", "P3": "#67a9cf", "P4": "#bdbdbd"}
RISK_COLOURS = {"ok": "#1b7837", "at_risk": "#e08214", "breached": "#b2182b"}
FONT = "system-ui, 'Noto Sans CJK SC', 'WenQuanYi Zen Hei', 'Microsoft YaHei', sans-serif"


def drill_url(filters: dict[str, Any], **params: Any) -> str:
    """The drill-down list URL for these dashboard filters plus the chart point's own parameters."""
    clean = {k: v for k, v in {**filters, **params}.items() if v not in (None, "")}
    return "/cases/drill?" + urlencode(clean)


def month_bounds(month: str) -> tuple[str, str]:
    """First and last day of a `YYYY-MM` month."""
    year, mon = (int(x) for x in month.split("-"))
    return f"{month}-01", f"{month}-{calendar.monthrange(year, mon)[1]:02d}"


def queue_names(settings: Settings, lang: str) -> dict[str, str]:
    """Queue display names from the triage policy (data, like the vocabulary)."""
    zh = lang == "zh-CN"
    return {q.code: (q.zh if zh else q.en) for q in get_runtime(settings).policy.queues}


def layout(lang: str, **extra: Any) -> dict[str, Any]:
    """The shared plotly layout: fonts with CJK fallbacks, transparent background, legend below."""
    base: dict[str, Any] = {
        "margin": {"l": 48, "r": 16, "t": 8, "b": 40},
        "height": 300,
        "font": {"family": FONT, "size": 12},
        "legend": {"orientation": "h", "y": -0.18},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "hovermode": "closest",
    }
    base.update(extra)
    return base


def emotion_figure(overview: dict[str, Any], lang: str) -> dict[str, Any]:
    """Stacked monthly bars of customer messages per emotion (negative ones at the bottom)."""
    mix, filters = overview["emotion_mix"], overview["filters"]
    order = sorted(Emotion.codes(), key=lambda e: EMOTION_POLARITY[Emotion(e)] != Polarity.NEGATIVE)
    data = []
    for emotion in order:
        urls = [
            drill_url(filters, emotion=emotion, start=month_bounds(m)[0], end=month_bounds(m)[1]) for m in mix["months"]
        ]
        data.append(
            {
                "type": "bar",
                "name": i18n.vocab_label(lang, "emotion", emotion),
                "x": mix["months"],
                "y": mix["series"][emotion],
                "customdata": urls,
                "marker": {"color": EMOTION_COLOURS.get(emotion, "#777")},
                "hovertemplate": "%{x} · %{fullData.name}: %{y}<extra></extra>",
            }
        )
    return {"data": data, "layout": layout(lang, barmode="stack")}


def pareto_figure(overview: dict[str, Any], lang: str) -> dict[str, Any]:
    """Reason Pareto: case counts by primary reason, largest first, with the cumulative share on a second axis."""
    rows, filters, period = overview["pareto"], overview["filters"], overview["period"]
    names = [i18n.vocab_label(lang, "reason", r["reason"]) for r in rows]
    urls = [drill_url(filters, reason=r["reason"], start=period["start"], end=period["end"]) for r in rows]
    data = [
        {
            "type": "bar",
            "name": i18n.translate(lang, "dash.cases"),
            "x": names,
            "y": [r["count"] for r in rows],
            "customdata": urls,
            "marker": {"color": "#2166ac"},
            "hovertemplate": "%{x}: %{y}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": i18n.translate(lang, "dash.cumulative"),
            "x": names,
            "y": [round(r["cumulative"] * 100, 1) for r in rows],
            "customdata": urls,
            "yaxis": "y2",
            "marker": {"color": "#b2182b"},
            "hovertemplate": "%{x}: %{y}%<extra></extra>",
        },
    ]
    return {"data": data, "layout": pareto_layout(lang)}


def pareto_layout(lang: str) -> dict[str, Any]:
    """Bars with the cumulative share in percent on a right-hand axis."""
    return layout(
        lang,
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 105], "ticksuffix": "%", "showgrid": False},
        xaxis={"tickangle": -30},
        margin={"l": 48, "r": 48, "t": 8, "b": 90},
        height=320,
    )


def load_figure(overview: dict[str, Any], lang: str, queues: dict[str, str]) -> dict[str, Any]:
    """Open cases per queue, stacked by priority."""
    rows, filters = overview["open_cases"]["by_queue_priority"], overview["filters"]
    qs = sorted({r["queue"] for r in rows})
    data = []
    for p in Priority.codes():
        counts = {r["queue"]: r["open"] for r in rows if r["priority"] == p}
        if not counts:
            continue
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": f"{p} {i18n.vocab_label(lang, 'priority', p)}",
                "y": [queues.get(q, q) for q in qs],
                "x": [counts.get(q, 0) for q in qs],
                "customdata": [drill_url(filters, queue=q, priority=p, open="1") for q in qs],
                "marker": {"color": PRIORITY_COLOURS[p]},
                "hovertemplate": "%{y} · %{fullData.name}: %{x}<extra></extra>",
            }
        )
    return {"data": data, "layout": layout(lang, barmode="stack", margin={"l": 110, "r": 16, "t": 8, "b": 40})}


def risk_figure(overview: dict[str, Any], lang: str, queues: dict[str, str]) -> dict[str, Any]:
    """Open cases per queue by live SLA state: on track, at risk, breached."""
    rows, filters = overview["open_cases"]["sla_by_queue"], overview["filters"]
    data = []
    for risk in ("breached", "at_risk", "ok"):
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": i18n.translate(lang, f"sla.{risk}"),
                "y": [queues.get(r["queue"], r["queue"]) for r in rows],
                "x": [r[risk] for r in rows],
                "customdata": [drill_url(filters, queue=r["queue"], risk=risk) for r in rows],
                "marker": {"color": RISK_COLOURS[risk]},
                "hovertemplate": "%{y} · %{fullData.name}: %{x}<extra></extra>",
            }
        )
    return {"data": data, "layout": layout(lang, barmode="stack", margin={"l": 110, "r": 16, "t": 8, "b": 40})}
