"""Optional second chance for `aftersales ask`: an OpenAI-compatible endpoint rewrites a refused question.

Never required: without `ask_llm_url` nothing here runs. When the offline parser refuses a question, the endpoint is
asked to rewrite it into the plain form the parser understands (one metric, optional breakdown, filters and time
range); the rewrite is parsed by the same offline grammar, so the model never computes anything and every number
still comes from `compute_kpis`. Any failure (timeout, HTTP error, odd reply) leaves the original refusal in place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import httpx2

from aftersales.analytics.kpis import KPIS
from aftersales.config import Settings

log = logging.getLogger(__name__)

NONE = "NONE"
MAX_REPLY_CHARS = 200

_SYSTEM = """You rewrite questions for an after-sales analytics tool that understands only simple questions:
one metric, optionally broken down by ONE dimension, optional filters (a region, category, SKU, channel, reason,
tier or queue value) and a time range (上个月, 近30天, 本周, Q3, 去年双11, last month, last 30 days, 2026-10 ...).
Metrics it knows: {metrics}.
Dimensions: region 地区, category 品类, sku 商品, channel 渠道, reason 原因, tier 会员等级, queue 队列.
Examples of questions it understands: {examples}.
Reply with ONE rewritten question in the same language as the user's question and nothing else. If the question
asks for something outside these metrics (a person, a prediction, free advice), reply exactly NONE."""

_EXAMPLES = (
    "上个月华东地区退货率最高的品类是什么？",
    "近30天各渠道的投诉量",
    "What was the CSAT last quarter?",
    "本周各队列的首次响应时间中位数",
)


def _metrics() -> str:
    return ", ".join(f"{name} ({k.zh})" for name, k in KPIS.items())


def system_prompt(examples: Iterable[str] = _EXAMPLES) -> str:
    """The instruction sent with every request (also shown in docs/ask.md)."""
    return _SYSTEM.format(metrics=_metrics(), examples=" | ".join(examples))


def paraphrase(settings: Settings, question: str, suggestions: Iterable[str] = ()) -> str | None:
    """The endpoint's rewrite of `question`, or None (not configured, declined, failed or implausible)."""
    if not settings.ask_llm_url:
        return None
    url = settings.ask_llm_url.rstrip("/") + "/chat/completions"
    headers = {"Content-Type": "application/json"}
    if settings.ask_llm_api_key is not None:
        headers["Authorization"] = f"Bearer {settings.ask_llm_api_key.get_secret_value()}"
    body = {
        "model": settings.ask_llm_model,
        "temperature": 0,
        "max_tokens": 100,
        "messages": [
            {"role": "system", "content": system_prompt([*_EXAMPLES, *suggestions])},
            {"role": "user", "content": question},
        ],
    }
    try:
        reply = httpx2.post(url, json=body, headers=headers, timeout=settings.ask_llm_timeout_seconds)
        reply.raise_for_status()
        text = str(reply.json()["choices"][0]["message"]["content"]).strip()
    except (httpx2.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("ask paraphrase endpoint %s failed: %s", url, exc)
        return None
    text = text.strip().strip('"“”').splitlines()[0].strip() if text else ""
    if not text or text.upper() == NONE or len(text) > MAX_REPLY_CHARS or text == question.strip():
        return None
    return text
