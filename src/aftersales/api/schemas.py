"""Request and response bodies of the REST API, kept apart from the storage tables."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CaseStatusCode = Literal["new", "triaged", "in_progress", "waiting_customer", "resolved", "closed"]
ChannelCode = Literal["chat", "phone", "email", "social", "review", "survey", "ticket", "return_form"]
LabelTask = Literal["polarity", "emotion", "intensity", "stage", "reasons", "primary_reason", "problem_type"]
ProgressEvent = Literal["return_received", "refund_issued", "replacement_shipped"]


class Strict(BaseModel):
    """Unknown fields are errors, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid")


class AnalyzeRequest(Strict):
    text: str | None = Field(default=None, max_length=100_000, description="One message.")
    texts: list[str] | None = Field(default=None, max_length=1000, description="Up to 1,000 messages.")
    channel: ChannelCode | None = Field(
        default=None, description="The channel the messages came in on (e.g. social); weighs the emotion models."
    )


class AnalysesPublic(BaseModel):
    data: list[dict[str, Any]]
    count: int


class InteractionCreate(Strict):
    customer_id: str = Field(min_length=1, max_length=128)
    text: str = Field(min_length=1, max_length=100_000)
    interaction_id: str | None = Field(default=None, max_length=128)
    created_at: str | None = Field(default=None, description="ISO-8601; naive = the configured timezone; default now.")
    channel: ChannelCode = "chat"
    author: Literal["customer", "agent"] = "customer"
    order_id: str | None = Field(default=None, max_length=128)
    return_id: str | None = Field(default=None, max_length=128)
    case_id: str | None = Field(default=None, max_length=128)
    language: Literal["zh", "en", "mixed"] | None = None
    customer_name: str | None = Field(default=None, max_length=200)
    tier: Literal["regular", "vip"] | None = None


class InteractionResult(BaseModel):
    interaction_id: str
    analysis: dict[str, Any] | None = None
    case: dict[str, Any] | None = None
    decision: dict[str, Any] | None = None
    signals: dict[str, Any] | None = None
    route: dict[str, Any] | None = None


class CasesPublic(BaseModel):
    data: list[dict[str, Any]]
    count: int


class CaseDetail(BaseModel):
    case: dict[str, Any]
    customer: dict[str, Any] | None
    messages: list[dict[str, Any]]
    events: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    decision: dict[str, Any] | None


class TransitionRequest(Strict):
    status: CaseStatusCode
    note: str | None = Field(default=None, max_length=2000)


class AssignRequest(Strict):
    assignee: str | None = Field(default=None, max_length=128)
    queue: str | None = Field(default=None, max_length=64)


class ReplyRequest(Strict):
    text: str = Field(min_length=1, max_length=20_000)
    status: Literal["in_progress", "waiting_customer", "resolved"] | None = "waiting_customer"
    notify: bool = True


class NotifyRequest(Strict):
    event: ProgressEvent


class LabelCorrectionCreate(Strict):
    interaction_id: str = Field(min_length=1, max_length=128)
    task: LabelTask
    value: Any = Field(description="The corrected label: a code, a list of reason codes, or an intensity 1-3.")


class KbArticleCreate(Strict):
    article_id: str | None = Field(default=None, max_length=128)
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(min_length=1, max_length=200_000)
    tags: str | None = Field(default=None, max_length=1000)
    language: Literal["zh", "en", "mixed"] | None = None


class KbArticleUpdate(Strict):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    body: str | None = Field(default=None, min_length=1, max_length=200_000)
    tags: str | None = Field(default=None, max_length=1000)
    language: Literal["zh", "en", "mixed"] | None = None


class KbArticlesPublic(BaseModel):
    data: list[dict[str, Any]]
    count: int


class PolicyValidateRequest(Strict):
    yaml: str = Field(min_length=1, max_length=1_000_000, description="The policy file's text.")


class UserPublic(BaseModel):
    id: int
    username: str
    role: str
    queues: list[str]
    display_name: str | None = None
