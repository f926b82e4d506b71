"""Render a Report as one self-contained offline HTML file: plotly.js inlined once from the installed package."""

from __future__ import annotations

import functools
import json
from typing import Any

import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from aftersales.reports.model import Chart, Report, format_value
from aftersales.reports.text import t


@functools.cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("aftersales.reports", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["cell"] = format_value
    return env


@functools.cache
def plotly_js() -> str:
    """The plotly.js bundle shipped inside the plotly wheel (no CDN, works offline)."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def chart_html(chart: Chart) -> Markup:
    """One chart as a div plus the script that draws it (plotly.js is loaded once by the page)."""
    fig = pio.from_json(json.dumps(chart.figure))
    html = pio.to_html(
        fig,
        full_html=False,
        include_plotlyjs=False,
        div_id=f"chart-{chart.key}",
        config={"displaylogo": False, "responsive": True},
    )
    return Markup(html)  # plotly's own markup for our figure


def render_html(report: Report, *, inline_js: bool = True) -> str:
    """The report page; `inline_js=False` leaves plotly.js out (tests and previews that do not need the charts)."""
    context: dict[str, Any] = {
        "report": report,
        "t": lambda key: t(key, report.locale),
        "lang": "zh-CN" if report.locale.lower().startswith("zh") else "en",
        "plotly_js": Markup(plotly_js()) if inline_js else "",
        "chart_html": chart_html,
    }
    return _env().get_template("report.html.j2").render(**context)
