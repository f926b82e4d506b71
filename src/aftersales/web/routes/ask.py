"""The Ask box: a question in Chinese or English answered with a sentence, a table and the query it ran.

The same service as `POST /api/v1/ask`. A GET form, so an answer can be bookmarked and shared; nothing is written.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from aftersales.analytics.kpis import KPIS
from aftersales.services.ask import ask
from aftersales.web.csrf import protect
from aftersales.web.deps import WebManager, WebSettings
from aftersales.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(protect)])
EXAMPLES = ("ask.example.1", "ask.example.2", "ask.example.3")  # catalogue keys: each language asks its own way


def _columns(result: dict[str, Any]) -> list[str]:
    """The row keys worth a column, in reading order (the dimension first; `kpi` only when several metrics)."""
    query = result.get("query") or {}
    rows = result.get("rows") or []
    cols = ["label"] if query.get("by") or any("label" in r for r in rows) else []
    cols += ["period"] if any("period" in r for r in rows) else []
    cols += ["kpi"] if len(query.get("metrics") or []) > 1 else []
    cols += ["value", "target", "previous", "trend"]
    cols += ["year_ago"] if any("year_ago" in r for r in rows) else []
    return [*cols, "n"]


@router.get("/ask")
def ask_page(
    request: Request,
    settings: WebSettings,
    user: WebManager,
    q: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """The question box; with `q`, the answer sentence, its rows and the structured query as JSON."""
    question = q.strip()
    result = ask(settings, question).model_dump(mode="json") if question else None
    context = {
        "question": question,
        "result": result,
        "columns": _columns(result) if result else [],
        "kpis": KPIS,
        "query_json": json.dumps(result["query"], ensure_ascii=False, indent=1) if result and result["query"] else "",
        "examples": EXAMPLES,
    }
    return render(request, "ask.html", context)
