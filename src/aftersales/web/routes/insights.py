"""Insight pages for managers: anomalies, lasting changes, stated vs actual reasons, the reason Pareto with its
drill-down, forecasts and customer segments. Each renders the result of the service function behind the matching API
route, and links to that route as the page's JSON twin.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response

from aftersales.services import dashboard as dash_svc
from aftersales.services import insights as svc
from aftersales.services.changes import scan_changepoints
from aftersales.services.forecast import forecast_volume
from aftersales.services.segments import MAX_K, at_risk_customers, customer_segments
from aftersales.web import figures
from aftersales.web.csrf import protect
from aftersales.web.deps import WebManager, WebSettings, optional_date
from aftersales.web.templating import language, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(protect)])
Text = Annotated[str | None, Query(max_length=128)]
ITEMS_PAGE = 20


class FilterParams:
    """The insight filters of a page request: local dates, region, category, SKU, channel."""

    def __init__(
        self,
        start: Annotated[str | None, Query(alias="from", max_length=10)] = None,
        end: Annotated[str | None, Query(alias="to", max_length=10)] = None,
        region: Text = None,
        category: Text = None,
        sku: Text = None,
        channel: Text = None,
    ) -> None:
        self.params: dict[str, Any] = {
            "from": start or None,
            "to": end or None,
            "region": region or None,
            "category": category or None,
            "sku": sku or None,
            "channel": channel or None,
        }
        self.filters = svc.Filters(
            optional_date(start, "from"),
            optional_date(end, "to"),
            region or None,
            category or None,
            sku or None,
            channel or None,
        )


Filters = Annotated[FilterParams, Depends()]


def _context(settings: WebSettings, f: FilterParams, **extra: Any) -> dict[str, Any]:
    return {"options": dash_svc.filter_options(settings), "params": f.params, "url": figures.page_url, **extra}


@router.get("/insights")
def insights_home() -> Response:
    """The insights start with the anomalies."""
    return RedirectResponse("/insights/anomalies", status_code=303)


@router.get("/insights/anomalies")
def anomalies(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    f: Filters,
    metric: Literal["return_rate", "complaint_volume"] = "return_rate",
    by: Literal["region", "category", "sku", "channel"] = "region",
    direction: Literal["up", "down", "both"] = "up",
    alpha: Annotated[float, Query(gt=0, lt=1)] = 0.05,
) -> Response:
    """Unusual weeks per region/category/SKU/channel with the plain-language explanation and links to the rows."""
    result = svc.find_anomalies(settings, metric, by, f.filters, alpha, direction)
    own = {"metric": metric, "by": by, "direction": direction, "alpha": alpha}
    links = [figures.anomaly_links(a, metric, f.params) for a in result["anomalies"]]
    api = figures.page_url("/api/v1/insights/anomalies", {**f.params, **own})
    context = _context(settings, f, result=result, own=own, links=links, api=api)
    return render(request, "insights/anomalies.html", context)


@router.get("/insights/changes")
def changes(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    f: Filters,
    metric: Literal["return_rate", "complaint_volume"] = "return_rate",
    by: Literal["region", "category", "sku", "channel"] = "sku",
    per_reason: bool = True,
    direction: Literal["up", "down", "both"] = "both",
) -> Response:
    """Every value of a dimension (× reason) scanned for a lasting change of level, most convincing first."""
    result = scan_changepoints(settings, metric, by, f.filters, per_reason, direction)
    own = {"metric": metric, "by": by, "per_reason": str(per_reason).lower(), "direction": direction}
    api = figures.page_url("/api/v1/insights/changes", {**f.params, **own})
    context = _context(settings, f, result=result, own=own, api=api)
    return render(request, "insights/changes.html", context)


def heat(count: int, row_total: int) -> str:
    """Background and text colour of a confusion-table cell by its share of the row (dark cells get white text)."""
    share = count / row_total if row_total else 0.0
    if not count:
        return ""
    lightness = round(96 - share * 66)  # 96 % (almost white) … 30 % (dark blue)
    text = "#fff" if lightness < 55 else "#1d2329"
    return f"background: hsl(213, 70%, {lightness}%); color: {text}"


@router.get("/insights/reasons")
def reasons(request: Request, settings: WebSettings, user: WebManager, f: Filters) -> Response:
    """Stated (return form) against actual (the customer's words) reasons: heat-mapped confusion table, agreement."""
    result = svc.compare_stated_actual(settings, f.filters)
    used = [c for c in result["labels"] if any(row.get(c) for row in result["table"])]
    totals = {row["stated"]: sum(int(row.get(c) or 0) for c in result["labels"]) for row in result["table"]}
    api = figures.page_url("/api/v1/insights/reasons", f.params)
    context = _context(settings, f, result=result, columns=used, totals=totals, heat=heat, api=api)
    return render(request, "insights/reasons.html", context)


@router.get("/insights/pareto")
def pareto(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    f: Filters,
    source: Literal["returns", "messages"] = "returns",
) -> Response:
    """Reason Pareto of returns or customer messages; every bar opens the rows behind it."""
    result = svc.compute_pareto(settings, source, f.filters)
    urls = [figures.page_url(f"/insights/pareto/{b['reason']}", f.params, source=source) for b in result["bars"]]
    figure = figures.pareto_figure(result, language(request, settings), urls)
    api = figures.page_url("/api/v1/insights/pareto", f.params, source=source)
    context = _context(settings, f, result=result, urls=urls, chart=figure, source=source, api=api)
    return render(request, "insights/pareto.html", context)


@router.get("/insights/pareto/{reason}")
def pareto_items(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    f: Filters,
    reason: str,
    source: Literal["returns", "messages"] = "returns",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """The returns or messages behind one Pareto bar, newest first, with masked snippets and evidence words."""
    result = svc.pareto_items(settings, reason, source, f.filters, ITEMS_PAGE, offset)
    params = {**f.params, "source": source}
    api = figures.page_url(f"/api/v1/insights/pareto/{reason}/items", params, limit=ITEMS_PAGE, offset=offset)
    context = _context(settings, f, result=result, source=source, api=api, limit=ITEMS_PAGE, offset=offset)
    context["page_params"] = params
    return render(request, "insights/items.html", context)


@router.get("/insights/forecasts")
def forecasts(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    metric: Literal["returns", "complaints"] = "returns",
    by: Literal["", "category", "reason"] = "",
    horizon: Annotated[int, Query(ge=4, le=12)] = 8,
    promotions: bool = True,
) -> Response:
    """Weekly forecasts per series with 80/95 % intervals, the chosen model, why, and its backtest error."""
    result = forecast_volume(settings, metric, by or None, horizon, promotions=promotions)
    lang = language(request, settings)
    charts = [figures.forecast_figure(s, lang) for s in result["series"]]
    own = {"metric": metric, "by": by, "horizon": horizon, "promotions": "true" if promotions else "false"}
    api = figures.page_url("/api/v1/forecasts", own)
    context = {"result": result, "charts": charts, "own": own, "api": api}
    return render(request, "insights/forecasts.html", context)


@router.get("/insights/segments")
def segments(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    k: Annotated[int | None, Query(ge=2, le=MAX_K)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    """Customer segments with their profiles, and the customers drifting away after a bad experience."""
    lang = language(request, settings)
    result = customer_segments(settings, k)
    risk = at_risk_customers(settings, limit, locale=lang)
    context = {
        "result": result,
        "risk": risk,
        "k": k,
        "limit": limit,
        "api": figures.page_url("/api/v1/segments", {"k": k}),
        "risk_api": figures.page_url("/api/v1/segments/at-risk", {"limit": limit}),
    }
    return render(request, "insights/segments.html", context)
