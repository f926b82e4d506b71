"""The optional paraphrase endpoint of `aftersales ask`, against a real HTTP server speaking the chat-completions API.

No language model runs here, so the server answers from a fixed table; what is tested is our side of the protocol:
the request (URL, model, key, prompt), the rewrite parsed by the offline grammar, and every failure falling back to
the offline refusal.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import SecretStr

from aftersales.config import Settings
from aftersales.services.ask import ask
from aftersales.services.ask_paraphrase import system_prompt
from tests.conftest import DemoHome
from tests.receivers import JsonReceiver

TODAY = dt.date(2026, 11, 5)
REWRITES = {
    "我们上个月的顾客开心吗？": "上个月的CSAT是多少？",
    "how unhappy were folks in the south-west lately?": "negative share in 西南 last 30 days",
    "谁是最好的客服？": "NONE",
    "给我讲个笑话": "上个月的销售额",  # a rewrite the grammar still cannot answer
}


def _chat(request: dict[str, Any]) -> tuple[int, Any]:
    """A chat-completions endpoint answering from REWRITES; "慢" times out, "坏" is a server error."""
    question = request["json"]["messages"][-1]["content"]
    if question == "慢":
        time.sleep(1.0)
    if question == "坏":
        return 500, ""
    return 200, {"choices": [{"message": {"role": "assistant", "content": REWRITES.get(question, "NONE")}}]}


@pytest.fixture
def receiver() -> Iterator[JsonReceiver]:
    server = JsonReceiver(_chat)
    yield server
    server.stop()


@pytest.fixture
def endpoint(receiver: JsonReceiver) -> str:
    return receiver.url("/v1")


def _settings(demo_home: DemoHome, url: str | None) -> Settings:
    return demo_home.settings.model_copy(
        update={"ask_llm_url": url, "ask_llm_model": "local-qwen", "ask_llm_timeout_seconds": 0.5}
    )


def test_a_refused_question_is_answered_through_the_rewrite(
    demo_home: DemoHome, endpoint: str, receiver: JsonReceiver
) -> None:
    settings = _settings(demo_home, endpoint).model_copy(update={"ask_llm_api_key": SecretStr("sk-test")})
    result = ask(settings, "我们上个月的顾客开心吗？", today=TODAY)
    direct = ask(demo_home.settings, "上个月的CSAT是多少？", today=TODAY)
    assert result.answered and result.paraphrased_as == "上个月的CSAT是多少？"
    assert result.query == direct.query and result.rows == direct.rows and result.answer == direct.answer
    (call,) = receiver.requests
    assert call["path"] == "/v1/chat/completions" and call["headers"]["Authorization"] == "Bearer sk-test"
    assert call["json"]["model"] == "local-qwen" and call["json"]["temperature"] == 0
    assert "return_rate" in call["json"]["messages"][0]["content"]
    english = ask(settings, "how unhappy were folks in the south-west lately?", today=TODAY)
    assert english.answered and english.query is not None
    assert english.query.metrics == ["negative_share"] and english.query.filters == {"region": ["西南"]}


@pytest.mark.parametrize("question", ["谁是最好的客服？", "给我讲个笑话", "慢", "坏"])
def test_declined_failed_or_useless_rewrites_keep_the_offline_refusal(
    demo_home: DemoHome, endpoint: str, receiver: JsonReceiver, question: str
) -> None:
    offline = ask(demo_home.settings, question, today=TODAY)
    result = ask(_settings(demo_home, endpoint), question, today=TODAY)
    assert not result.answered and result.paraphrased_as is None
    assert result.answer == offline.answer and result.cannot_answer == offline.cannot_answer
    assert len(receiver.requests) == 1


def test_the_endpoint_is_only_asked_when_configured_and_needed(
    demo_home: DemoHome, endpoint: str, receiver: JsonReceiver
) -> None:
    assert ask(_settings(demo_home, endpoint), "上个月的退货率", today=TODAY).paraphrased_as is None
    assert not ask(_settings(demo_home, None), "我们上个月的顾客开心吗？", today=TODAY).answered
    assert receiver.requests == []


def test_prompt_lists_every_kpi() -> None:
    from aftersales.analytics.kpis import KPIS

    prompt = system_prompt()
    assert all(name in prompt for name in KPIS) and "NONE" in prompt
