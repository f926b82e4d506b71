"""Plotly figures of the insight pages (Pareto with drill-down, forecasts with intervals, action effects).

Built from the same service results the API returns; every figure is repeated as a table on its page.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aftersales.web import i18n
from aftersales.web.charts import drill_url, layout, pareto_layout

BAND_95 = "rgba(33, 102, 172, 0.15)"
BAND_80 = "rgba(33, 102, 172, 0.30)"
TREATED = "#b2182b"
CONTROL = "#2166ac"
DRILL_DIMS = ("region", "category", "channel")  # what the case drill-down list can filter by


def page_url(path: str, params: dict[str, Any], **changes: Any) -> str:
    """`path?…` with the page's parameters plus changes (None or "" drops a key)."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return path + ("?" + urlencode(merged, doseq=True) if merged else "")


def anomaly_links(anomaly: dict[str, Any], metric: str, filters: dict[str, Any]) -> dict[str, str]:
    """Where the cases or returns behind one anomaly are listed (the window and the series' value as filters)."""
    dim, value = anomaly["dimension"], anomaly["value"]
    base = {k: v for k, v in filters.items() if v and k not in ("from", "to")}
    window = {"from": anomaly["start"], "to": anomaly["end"]}
    if metric == "return_rate":
        return {"returns": page_url("/insights/pareto", {**base, **window, dim: value}, source="returns")}
    links = {"messages": page_url("/insights/pareto", {**base, **window, dim: value}, source="messages")}
    if dim in DRILL_DIMS and all(k in DRILL_DIMS for k in base):
        links["cases"] = drill_url({**base, dim: value}, start=anomaly["start"], end=anomaly["end"])
    return links


def pareto_figure(pareto: dict[str, Any], lang: str, urls: list[str]) -> dict[str, Any]:
    """Reason bars, largest first, with the cumulative share; each bar opens the returns or messages behind it."""
    bars = pareto["bars"]
    names = [b["zh"] if lang == "zh-CN" else b["en"] for b in bars]
    colours = ["#2166ac" if b["vital"] else "#92c5de" for b in bars]
    data = [
        {
            "type": "bar",
            "name": i18n.translate(lang, "ins.count"),
            "x": names,
            "y": [b["count"] for b in bars],
            "customdata": urls,
            "marker": {"color": colours},
            "hovertemplate": "%{x}: %{y}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": i18n.translate(lang, "dash.cumulative"),
            "x": names,
            "y": [round(b["cumulative_share"] * 100, 1) for b in bars],
            "customdata": urls,
            "yaxis": "y2",
            "marker": {"color": "#b2182b"},
            "hovertemplate": "%{x}: %{y}%<extra></extra>",
        },
    ]
    return {"data": data, "layout": pareto_layout(lang)}


def forecast_figure(series: dict[str, Any], lang: str) -> dict[str, Any]:
    """The last weeks of history, the forecast mean and its 80 % and 95 % intervals as shaded bands."""
    history, points = series["history"], series["points"]
    weeks = [p["week"] for p in points]

    def band(lo: str, hi: str, colour: str, name: str) -> list[dict[str, Any]]:
        upper = {"type": "scatter", "mode": "lines", "x": weeks, "y": [p[hi] for p in points], "line": {"width": 0},
                 "hoverinfo": "skip", "showlegend": False}  # fmt: skip
        lower = {"type": "scatter", "mode": "lines", "x": weeks, "y": [p[lo] for p in points], "line": {"width": 0},
                 "fill": "tonexty", "fillcolor": colour, "name": name, "hoverinfo": "skip"}  # fmt: skip
        return [upper, lower]

    data = [
        *band("lo95", "hi95", BAND_95, i18n.translate(lang, "fc.band95")),
        *band("lo80", "hi80", BAND_80, i18n.translate(lang, "fc.band80")),
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": i18n.translate(lang, "fc.history"),
            "x": [h["week"] for h in history],
            "y": [h["y"] for h in history],
            "line": {"color": "#333333"},
            "marker": {"size": 4},
            "hovertemplate": "%{x}: %{y}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": i18n.translate(lang, "fc.mean"),
            "x": weeks,
            "y": [p["mean"] for p in points],
            "text": [p.get("promotion") or "" for p in points],
            "line": {"color": CONTROL, "dash": "dot"},
            "hovertemplate": "%{x}: %{y:.1f} %{text}<extra></extra>",
        },
    ]
    return {"data": data, "layout": layout(lang, height=260, hovermode="x unified")}


def effect_figure(effect: dict[str, Any], lang: str) -> dict[str, Any]:
    """The treated and control groups' KPI per period, with a line where the action started."""
    rows = effect.get("series") or []
    x = [r["period_start"] for r in rows]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": i18n.translate(lang, "act.treated"),
            "x": x,
            "y": [r["treated"] for r in rows],
            "line": {"color": TREATED},
            "marker": {"size": 4},
        },
    ]
    if any(r.get("control") is not None for r in rows):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": i18n.translate(lang, "act.control"),
                "x": x,
                "y": [r.get("control") for r in rows],
                "line": {"color": CONTROL},
                "marker": {"size": 4},
            }
        )
    start = effect["start_date"]
    extra: dict[str, Any] = {
        "shapes": [
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": start,
                "x1": start,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#545d66", "dash": "dash", "width": 1},
            }
        ],
        "annotations": [
            {
                "x": start,
                "y": 1,
                "xref": "x",
                "yref": "paper",
                "text": i18n.translate(lang, "act.start.marker"),
                "showarrow": False,
                "yanchor": "bottom",
                "font": {"size": 11},
            }
        ],
        "margin": {"l": 56, "r": 16, "t": 24, "b": 40},
    }
    if effect.get("kpi") in ("return_rate", "exchange_rate") or all(
        r["treated"] is None or 0 <= r["treated"] <= 1 for r in rows
    ):
        extra["yaxis"] = {"tickformat": ".1%"}
    return {"data": data, "layout": layout(lang, hovermode="x unified", **extra)}
