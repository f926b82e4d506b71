"""What the workbench offers an agent on a case: the policy's reply draft and the top knowledge-base articles."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select

from aftersales.config import Settings, get_settings
from aftersales.policy.knowledge import KnowledgeBase
from aftersales.policy.replies import render_reply
from aftersales.services.cases import get_case
from aftersales.services.kb import all_articles
from aftersales.services.notify import _language, _reply_context
from aftersales.services.runtime import get_runtime
from aftersales.services.users import Principal
from aftersales.storage import db
from aftersales.storage.tables import cases


def knowledge_base(settings: Settings) -> KnowledgeBase:
    """The KB index over the current articles (rebuilt only when the articles change; embeddings cached)."""
    return KnowledgeBase(all_articles(settings), semantic=True)


def search(query: str, k: int, settings: Settings | None = None, language: str | None = None) -> list[dict[str, Any]]:
    """Hybrid BM25 + embedding search over the KB, with the evidence behind each hit."""
    kb = knowledge_base(settings or get_settings())
    return [dataclasses.asdict(s) for s in kb.suggest(query, k=k, language=language)]


def for_case(case_id: str, principal: Principal, settings: Settings | None = None) -> dict[str, Any]:
    """Reply draft from the latest decision's template and tone, plus KB suggestions for the latest message."""
    settings = settings or get_settings()
    rt = get_runtime(settings)
    detail = get_case(case_id, principal, settings)  # checks the caller may see the case
    decision = detail["decision"]
    customer_msgs = [m for m in detail["messages"] if (m.get("author") or "customer") == "customer"]
    last = customer_msgs[-1] if customer_msgs else None
    context = (decision or {}).get("context") or {}
    language = context.get("language") or "zh"
    with db.get_engine(settings).connect() as conn:
        found = conn.execute(select(cases).where(cases.c.case_id == case_id)).mappings().first()
        assert found is not None  # get_case above raised otherwise
        row = dict(found)
        values: dict[str, Any] = {
            "emotion": context.get("emotion") or row["emotion_open"] or "neutral",
            "intensity": int(context.get("intensity") or 1),
            "stage": row["stage"] or "none",
            "reasons": tuple(context.get("reasons") or ()),
            "agent_name": principal.display_name or principal.username,
        }
        if decision is not None:
            values["strategy"] = tuple(decision.get("strategy") or ())
            values["compensation_limit"] = decision.get("compensation_limit")
        ctx = _reply_context(conn, rt, row, **values)
    template = (decision or {}).get("reply_template") or "auto"
    reply = render_reply(template, _language(row, language), ctx)
    kb = knowledge_base(settings)
    query = (last or {}).get("text") or row["subject"] or ""
    hits = kb.suggest(query, k=3, language=language, reasons=ctx.reasons)
    return {
        "case_id": case_id,
        "reply": {
            "text": reply.text,
            "template": reply.template,
            "language": reply.language,
            "tone": reply.tone,
            "parts": [dataclasses.asdict(p) for p in reply.parts],
            "notes": list(reply.notes),
        },
        "kb": [dataclasses.asdict(s) for s in hits],
        "semantic": kb.semantic,
    }
