"""The overview dashboard and the drill-down list every chart links to (same results as /api/v1/dashboard)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from aftersales.services import dashboard as svc
from aftersales.web import charts, figures
from aftersales.web.csrf import protect
from aftersales.web.deps import WebSettings, WebUser, optional_date
from aftersales.web.templating import is_partial, language, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(protect)])
Text = Annotated[str | None, Query(max_length=128)]


@router.get("/dashboard")
def dashboard(
    request: Request,
    settings: WebSettings,
    user: WebUser,
    month: Annotated[str | None, Query(max_length=7)] = None,
    span: int = 1,
    region: Text = None,
    category: Text = None,
    channel: Text = None,
) -> Response:
    """KPI cards, emotion mix, reason Pareto and open-case load for one period and filter set."""
    filters = svc.Filters(region=region or None, category=category or None, channel=channel or None)
    data = svc.overview(user, settings, month=month, span=span, filters=filters)
    lang = language(request, settings)
    queues = charts.queue_names(settings, lang)
    figures = {
        "emotion": charts.emotion_figure(data, lang),
        "pareto": charts.pareto_figure(data, lang),
        "load": charts.load_figure(data, lang, queues),
        "risk": charts.risk_figure(data, lang, queues),
    }
    params = {"month": data["period"]["month"], "span": span, "region": None, "category": None, "channel": None}
    params.update(data["filters"])
    context = {
        "data": data,
        "figures": figures,
        "options": svc.filter_options(settings),
        "params": params,
        "queues": queues,
        "drill": charts.drill_url,
        "month_bounds": charts.month_bounds,
    }
    return render(request, "dashboard.html", context)


@router.get("/dashboard/anomalies")
def anomaly_panel(request: Request, settings: WebSettings, user: WebUser) -> Response:
    """The dashboard's anomaly panel (a fragment loaded after the page; the same as GET /api/v1/dashboard/anomalies)."""
    panel = svc.anomaly_panel(user, settings)
    links = {
        metric: [figures.anomaly_links(a, metric, {}) for a in result["anomalies"]]
        for metric, result in panel["metrics"].items()
    }
    template = "partials/anomaly_panel.html" if is_partial(request) else "anomaly_panel.html"
    return render(request, template, {"panel": panel, "links": links})


@router.get("/cases/drill")
def drill(
    request: Request,
    settings: WebSettings,
    user: WebUser,
    start: Annotated[str | None, Query(max_length=10)] = None,
    end: Annotated[str | None, Query(max_length=10)] = None,
    region: Text = None,
    category: Text = None,
    channel: Text = None,
    reason: Text = None,
    emotion: Text = None,
    queue: Text = None,
    priority: Annotated[str | None, Query(max_length=4)] = None,
    risk: Annotated[str | None, Query(max_length=16)] = None,
    open: bool = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The cases (and messages, for an emotion) behind one chart point, with the filters spelled out."""
    filters = svc.Filters(region=region or None, category=category or None, channel=channel or None)
    result = svc.drill(
        user,
        settings,
        start=optional_date(start, "start"),
        end=optional_date(end, "end"),
        filters=filters,
        reason=reason or None,
        emotion=emotion or None,
        queue=queue or None,
        priority=priority or None,
        risk=risk or None,
        open_only=open,
        limit=50,
        offset=offset,
    )
    params: dict[str, Any] = {
        "start": start,
        "end": end,
        **filters.active(),
        "reason": reason,
        "emotion": emotion,
        "queue": queue,
        "priority": priority,
        "risk": risk,
        "open": "1" if open else None,
    }
    lang = language(request, settings)
    context = {
        "result": result,
        "params": {k: v for k, v in params.items() if v},
        "offset": offset,
        "limit": 50,
        "queues": charts.queue_names(settings, lang),
    }
    return render(request, "drill.html", context)
