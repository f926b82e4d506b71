"""Improvement actions: the list, the create form (CSRF-checked) and the measured effect of one action.

The same service functions as `GET/POST /api/v1/actions` and `GET /api/v1/actions/{id}/effect`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from aftersales.analytics.kpis import KPIS
from aftersales.api.errors import status_for
from aftersales.config import Settings
from aftersales.errors import AftersalesError, InvalidInputError
from aftersales.services import actions as svc
from aftersales.services import dashboard as dash_svc
from aftersales.vocab import Reason
from aftersales.web import figures
from aftersales.web.csrf import protect
from aftersales.web.deps import WebManager, WebSettings, optional_date
from aftersales.web.templating import language, render

router = APIRouter(include_in_schema=False, dependencies=[Depends(protect)])
STATUSES = ("planned", "active", "completed", "cancelled")
SCOPE_FIELDS = ("sku", "category", "region")
TEXT_FIELDS = ("title", "description", "owner", "start_date", "end_date", "target_kpi", "status", "sku")


def _list_context(settings: Settings, status: str | None, form: dict[str, Any], error: str | None) -> dict[str, Any]:
    options = dash_svc.filter_options(settings)
    return {
        "actions": svc.list_actions(status, 200, 0, settings),
        "status": status,
        "statuses": STATUSES,
        "kpis": KPIS,
        "reasons": Reason.codes(),
        "regions": options["regions"],
        "categories": options["categories"],
        "form": form,
        "error": error,
        "api": figures.page_url("/api/v1/actions", {"status": status, "limit": 200}),
    }


@router.get("/actions")
def actions_page(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    status: Literal["", "planned", "active", "completed", "cancelled"] = "",
) -> Response:
    """Every recorded action with its scope, start and target KPI, and the form to record a new one."""
    context = _list_context(settings, status or None, {"status": "active", "target_kpi": "return_rate"}, None)
    return render(request, "actions/list.html", context)


def _split(value: str) -> list[str]:
    """`HA-101, HA-102` or one per line → the list of values."""
    return [v.strip() for v in value.replace("，", ",").replace("\n", ",").split(",") if v.strip()]


def action_from_form(form: FormData) -> dict[str, Any]:
    """The API's ActionCreate body from the form's fields (lists from multi-selects and comma-separated SKUs)."""
    text = {k: str(form.get(k) or "").strip() for k in TEXT_FIELDS}
    scope: dict[str, list[str]] = {"sku": _split(text["sku"])}
    for key in ("category", "region", "reason"):
        scope[key] = [str(v) for v in form.getlist(key) if str(v).strip()]
    return {
        "title": text["title"],
        "description": text["description"] or None,
        "scope": {k: v for k, v in scope.items() if v},
        "start_date": optional_date(text["start_date"], "start_date"),
        "end_date": optional_date(text["end_date"], "end_date"),
        "target_kpi": text["target_kpi"] or "return_rate",
        "owner": text["owner"] or None,
        "status": text["status"] or "active",
    }


@router.post("/actions")
async def create_action(request: Request, settings: WebSettings, user: WebManager) -> Response:
    """Record an action and open its effect page; invalid input re-shows the form with the reason (400/409)."""
    form = await request.form()
    sticky: dict[str, Any] = {k: str(form.get(k) or "") for k in TEXT_FIELDS}
    sticky |= {k: [str(v) for v in form.getlist(k)] for k in ("category", "region", "reason")}
    try:
        action = svc.create_action(action_from_form(form), settings)
    except AftersalesError as exc:
        context = _list_context(settings, None, sticky, f"{exc.code}: {exc.message}")
        return render(request, "actions/list.html", context, status_code=status_for(exc.code))
    return RedirectResponse(f"/actions/{action['action_id']}?created=1", status_code=303)


@router.get("/actions/{action_id}")
def action_page(
    request: Request,
    action_id: str,
    settings: WebSettings,
    user: WebManager,
    period: Literal["week", "month"] = "week",
    created: bool = False,
) -> Response:
    """One action with its measured effect: relative change, CI, p, controls, pre-trend check, treated vs control."""
    action = svc.get_action(action_id, settings)
    effect: dict[str, Any] | None = None
    problem: str | None = None
    try:
        effect = svc.action_effect(action_id, settings, period=period)
    except InvalidInputError as exc:  # e.g. no post-period yet: the action page still shows, with the reason
        problem = exc.message
    lang = language(request, settings)
    context = {
        "action": action,
        "effect": effect,
        "problem": problem,
        "period": period,
        "created": created,
        "chart": figures.effect_figure(effect, lang) if effect else None,
        "api": figures.page_url(f"/api/v1/actions/{action_id}/effect", {"period": period}),
    }
    return render(request, "actions/effect.html", context)


@router.post("/actions/{action_id}/status")
def set_status(
    action_id: str,
    settings: WebSettings,
    user: WebManager,
    status: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    """Change the action's status (the same as `PATCH /api/v1/actions/{id}`); scope and start stay fixed."""
    svc.update_action(action_id, {"status": status}, settings)
    return RedirectResponse(f"/actions/{action_id}", status_code=303)
