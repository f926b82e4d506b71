"""The agent workbench: my queue, the case view, and the actions on a case (reply, assign, transition, escalate,
correct a label). Actions answer with the re-rendered case fragment to the page's script, or redirect without it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.services import cases as svc
from aftersales.services import customer_view, suggestions
from aftersales.services.users import Principal, list_users
from aftersales.vocab import CaseStatus, Emotion, Polarity, Priority, Reason, Stage
from aftersales.web import charts
from aftersales.web.csrf import protect
from aftersales.web.deps import WebSettings, WebUser
from aftersales.web.templating import is_partial, language, render
from aftersales.workflow.states import allowed_targets

router = APIRouter(include_in_schema=False, dependencies=[Depends(protect)])
Text = Annotated[str | None, Query(max_length=128)]
PAGE = 50
LABEL_TASKS: dict[str, list[str]] = {
    "emotion": Emotion.codes(),
    "stage": Stage.codes(),
    "polarity": Polarity.codes(),
    "primary_reason": [*Reason.codes(), "none"],
}


@router.get("/workbench")
def workbench(
    request: Request,
    settings: WebSettings,
    user: WebUser,
    queue: Text = None,
    priority: Annotated[list[str] | None, Query()] = None,
    status: Annotated[list[str] | None, Query()] = None,
    mine: bool = False,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    """My queue: open cases of my queues, by priority then SLA due, with the countdown and breaches marked."""
    result = svc.list_cases(
        user,
        status=status or None,
        priority=priority or None,
        queue=queue or None,
        assignee=user.username if mine else None,
        open_only=True,
        sort="priority",
        limit=PAGE,
        offset=offset,
        settings=settings,
    )
    lang = language(request, settings)
    names = charts.queue_names(settings, lang)
    params = {"queue": queue, "priority": priority or [], "status": status or [], "mine": "1" if mine else None}
    context = {
        "result": result,
        "params": params,
        "offset": offset,
        "limit": PAGE,
        "queues": names,
        "my_queues": list(user.queues) if not user.sees_all_queues else sorted(names),
        "priorities": Priority.codes(),
        "open_statuses": [s for s in CaseStatus.codes() if s in svc.OPEN],
    }
    return render(request, "workbench.html", context)


def _case_context(case_id: str, user: Principal, settings: Settings, notice: str | None = None) -> dict[str, Any]:
    detail = svc.get_case(case_id, user, settings)
    status = detail["case"]["status"]
    return {
        "detail": detail,
        "case": detail["case"],
        "targets": allowed_targets(status),
        "label_tasks": LABEL_TASKS,
        "notice": notice,
    }


def _users_for(user: Principal, settings: Settings) -> list[dict[str, Any]]:
    if not user.sees_all_queues:
        return []
    return [u for u in list_users(settings) if u["active"] and u["role"] == "agent"]


NOTICES = ("replied", "transitioned", "assigned", "escalated", "labelled")


@router.get("/cases/{case_id}")
def case_page(
    request: Request, case_id: str, settings: WebSettings, user: WebUser, done: str | None = None
) -> Response:
    """Timeline with badges and highlighted evidence, customer panel, decision, reply composer and actions."""
    context = _case_context(case_id, user, settings, done if done in NOTICES else None)
    customer = customer_view.get_customer(context["case"]["customer_id"], user, settings)
    lang = language(request, settings)
    context.update(
        customer=customer,
        queues=charts.queue_names(settings, lang),
        agents=_users_for(user, settings),
        strategies={s.code: (s.zh if lang == "zh-CN" else s.en) for s in _strategies(settings)},
    )
    return render(request, "case.html", context)


def _strategies(settings: Settings) -> list[Any]:
    from aftersales.services.runtime import get_runtime

    return list(get_runtime(settings).policy.strategies)


@router.get("/cases/{case_id}/suggestions")
def case_suggestions(request: Request, case_id: str, settings: WebSettings, user: WebUser) -> Response:
    """The editable reply draft and KB articles (a fragment the case page loads after it shows)."""
    data = suggestions.for_case(case_id, user, settings)
    return render(request, "partials/suggestions.html", {"s": data, "case_id": case_id})


def _after(request: Request, case_id: str, user: Principal, settings: Settings, notice: str) -> Response:
    """The case fragment for the page's script, or a redirect back to the case page."""
    if is_partial(request):
        lang = language(request, settings)
        context = _case_context(case_id, user, settings, notice)
        context.update(queues=charts.queue_names(settings, lang), agents=_users_for(user, settings))
        return render(request, "partials/case_main.html", context)
    return RedirectResponse(f"/cases/{case_id}?done={notice}", status_code=303)


@router.post("/cases/{case_id}/reply")
def reply(
    request: Request,
    case_id: str,
    settings: WebSettings,
    user: WebUser,
    text: Annotated[str, Form(max_length=10_000)] = "",
    status_after: Annotated[str, Form(max_length=32)] = "waiting_customer",
) -> Response:
    """Send the (edited) reply; the case waits for the customer unless the agent keeps it in progress."""
    if status_after not in ("waiting_customer", "in_progress"):
        raise InvalidInputError(f"status_after: {status_after!r} is not waiting_customer or in_progress")
    svc.reply_to_case(case_id, text, user, status=status_after, settings=settings)
    return _after(request, case_id, user, settings, "replied")


@router.post("/cases/{case_id}/transition")
def transition(
    request: Request,
    case_id: str,
    settings: WebSettings,
    user: WebUser,
    status: Annotated[str, Form(max_length=32)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Move the case to another status (illegal moves come back as a 409 message)."""
    svc.transition_case(case_id, status, user, note.strip() or None, settings)
    return _after(request, case_id, user, settings, "transitioned")


@router.post("/cases/{case_id}/assign")
def assign(
    request: Request,
    case_id: str,
    settings: WebSettings,
    user: WebUser,
    assignee: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Take the case (agents) or give it to an agent (managers); empty unassigns."""
    target = user.username if assignee == "me" else (assignee or None)
    svc.assign_case(case_id, target, user, queue=None, settings=settings)
    return _after(request, case_id, user, settings, "assigned")


@router.post("/cases/{case_id}/escalate")
def escalate(
    request: Request,
    case_id: str,
    settings: WebSettings,
    user: WebUser,
    queue: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Hand the case to another queue (e.g. complaints); it leaves the current assignee for that team to pick up."""
    if not queue:
        raise InvalidInputError("queue: choose the queue to escalate to")
    svc.assign_case(case_id, None, user, queue=queue, settings=settings)
    return _after(request, case_id, user, settings, "escalated")


@router.post("/cases/{case_id}/label")
def correct_label(
    request: Request,
    case_id: str,
    settings: WebSettings,
    user: WebUser,
    interaction_id: Annotated[str, Form(max_length=128)] = "",
    label: Annotated[str, Form(max_length=80)] = "",
) -> Response:
    """Record an agent's correction of one label of one message (`task:value`); it feeds retraining."""
    task, _, value = label.partition(":")
    if task not in LABEL_TASKS:
        raise InvalidInputError(f"label: {label!r} is not task:value with task one of {', '.join(LABEL_TASKS)}")
    svc.correct_label(interaction_id, task, value, user, settings)
    return _after(request, case_id, user, settings, "labelled")
