"""Cases: the agent's queue, one case with its timeline, and the actions on it."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from aftersales.api.deps import PrincipalDep, SettingsDep
from aftersales.api.schemas import (
    AssignRequest,
    CaseDetail,
    CasesPublic,
    NotifyRequest,
    ReplyRequest,
    TransitionRequest,
)
from aftersales.services import cases as svc
from aftersales.services import suggestions

router = APIRouter(prefix="/cases", tags=["cases"])

StatusCode = Literal["new", "triaged", "in_progress", "waiting_customer", "resolved", "closed"]
PriorityCode = Literal["P1", "P2", "P3", "P4"]


@router.get("", response_model=CasesPublic, summary="List cases you may see, by priority then SLA due")
def list_cases(
    settings: SettingsDep,
    principal: PrincipalDep,
    status: Annotated[list[StatusCode] | None, Query()] = None,
    priority: Annotated[list[PriorityCode] | None, Query()] = None,
    queue: Annotated[str | None, Query(max_length=64)] = None,
    assignee: Annotated[str | None, Query(max_length=128)] = None,
    customer_id: Annotated[str | None, Query(max_length=128)] = None,
    open_only: bool = False,
    sort: Literal["priority", "sla", "opened", "updated"] = "priority",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> dict[str, Any]:
    """Agents see their queues only; managers and admins see all."""
    return svc.list_cases(
        principal,
        status=list(status) if status else None,
        priority=list(priority) if priority else None,
        queue=queue,
        assignee=assignee,
        customer_id=customer_id,
        open_only=open_only,
        sort=sort,
        limit=limit,
        offset=offset,
        settings=settings,
    )


@router.get("/overview", summary="Open cases per queue and priority, with SLA breaches")
def overview(settings: SettingsDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """The team's load at a glance."""
    return svc.queue_overview(principal, settings)


@router.get("/{case_id}", response_model=CaseDetail, summary="One case with messages, events and decisions")
def get_case(case_id: str, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """The timeline with emotion/stage per message and the rules that fired."""
    return svc.get_case(case_id, principal, settings)


@router.get("/{case_id}/suggestions", summary="Suggested reply draft and knowledge-base articles")
def case_suggestions(case_id: str, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """The editable reply the policy's template produces, plus the top-3 KB articles with scores."""
    return suggestions.for_case(case_id, principal, settings)


@router.post("/{case_id}/transition", response_model=CaseDetail, summary="Change the case status")
def transition(case_id: str, body: TransitionRequest, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Illegal transitions answer 409 with code E310_illegal_transition."""
    return svc.transition_case(case_id, body.status, principal, body.note, settings)


@router.post("/{case_id}/assign", response_model=CaseDetail, summary="Assign to an agent and/or move queue")
def assign(case_id: str, body: AssignRequest, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Agents may take cases of their queues; managers assign anyone."""
    return svc.assign_case(case_id, body.assignee, principal, queue=body.queue, settings=settings)


@router.post("/{case_id}/reply", response_model=CaseDetail, summary="Send a reply to the customer")
def reply(case_id: str, body: ReplyRequest, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Stores the agent message, stops the first-response clock and queues the notification."""
    return svc.reply_to_case(case_id, body.text, principal, status=body.status, notify=body.notify, settings=settings)


@router.post("/{case_id}/notify", response_model=CaseDetail, summary="Send a progress notification")
def notify(case_id: str, body: NotifyRequest, settings: SettingsDep, principal: PrincipalDep) -> dict[str, Any]:
    """Return received, refund issued or replacement shipped, through the outbox."""
    return svc.notify_progress(case_id, body.event, principal, settings)
