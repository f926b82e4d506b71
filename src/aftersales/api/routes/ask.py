"""Questions in plain Chinese or English: the same JSON as `aftersales ask --json`."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from aftersales.api.deps import ManagerDep, SettingsDep
from aftersales.services.ask import AskResult, ask

router = APIRouter(prefix="/ask", tags=["analytics"])


class AskRequest(BaseModel):
    """A question, an optional answer language and an optional reference date for relative times."""

    question: str = Field(min_length=1, max_length=500, examples=["上个月华东地区退货率最高的品类是什么？"])
    locale: Literal["zh-CN", "en"] | None = Field(
        default=None, description="Answer language (default: the question's)."
    )
    today: dt.date | None = Field(default=None, description="Read 上个月 / last week from this date (default: today).")


@router.post("", summary="Answer a KPI question (or refuse it with close suggestions)")
def ask_question(body: AskRequest, settings: SettingsDep, _: ManagerDep) -> AskResult:
    """Managers and admins; `answered` false with `cannot_answer` {reason, message, suggestions} when refused."""
    return ask(settings, body.question, locale=body.locale, today=body.today)
