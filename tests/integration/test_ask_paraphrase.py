"""The optional paraphrase endpoint of `aftersales ask`, against a real HTTP server speaking the chat-completions API.

No language model runs here, so the server answers from a fixed table; what is tested is our side of the protocol:
the request (URL, model, key, prompt), the rewrite parsed by the offline grammar, and every failure falling back to
the offline refusal.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from pydantic import SecretStr

from aftersales.config import Settings
from aftersales.services.ask import ask
from aftersales.services.ask_paraphrase import system_prompt
from tests.conftest import DemoHome

TODAY = dt.date(2026, 11, 5)
REWRITES = {
    "我们上个月的顾客开心吗？": "上个月的CSAT是多少？",
    "how unhappy were folks in the south-west lately?": "negative share in 西南 last 30 days",
    "谁是最好的客服？": "NONE",
    "给我讲个笑话": "上个月的销售额",  # a rewrite the grammar still cannot answer
}


class _Handler(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        question = body["messages"][-1]["content"]
        if question == "慢":
            time.sleep(1.0)
        if question == "坏":
            self.send_response(500)
            self.end_headers()
            return
        reply = {"choices": [{"message": {"role": "assistant", "content": REWRITES.get(question, "NONE")}}]}
        data = json.dumps(reply, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Handler.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _settings(demo_home: DemoHome, url: str | None) -> Settings:
    return demo_home.settings.model_copy(
        update={"ask_llm_url": url, "ask_llm_model": "local-qwen", "ask_llm_timeout_seconds": 0.5}
    )


def test_a_refused_question_is_answered_through_the_rewrite(demo_home: DemoHome, endpoint: str) -> None:
    settings = _settings(demo_home, endpoint).model_copy(update={"ask_llm_api_key": SecretStr("sk-test")})
    result = ask(settings, "我们上个月的顾客开心吗？", today=TODAY)
    direct = ask(demo_home.settings, "上个月的CSAT是多少？", today=TODAY)
    assert result.answered and result.paraphrased_as == "上个月的CSAT是多少？"
    assert result.query == direct.query and result.rows == direct.rows and result.answer == direct.answer
    (call,) = _Handler.seen
    assert call["path"] == "/v1/chat/completions" and call["auth"] == "Bearer sk-test"
    assert call["body"]["model"] == "local-qwen" and call["body"]["temperature"] == 0
    assert "return_rate" in call["body"]["messages"][0]["content"]
    english = ask(settings, "how unhappy were folks in the south-west lately?", today=TODAY)
    assert english.answered and english.query is not None
    assert english.query.metrics == ["negative_share"] and english.query.filters == {"region": ["西南"]}


@pytest.mark.parametrize("question", ["谁是最好的客服？", "给我讲个笑话", "慢", "坏"])
def test_declined_failed_or_useless_rewrites_keep_the_offline_refusal(
    demo_home: DemoHome, endpoint: str, question: str
) -> None:
    offline = ask(demo_home.settings, question, today=TODAY)
    result = ask(_settings(demo_home, endpoint), question, today=TODAY)
    assert not result.answered and result.paraphrased_as is None
    assert result.answer == offline.answer and result.cannot_answer == offline.cannot_answer
    assert len(_Handler.seen) == 1


def test_the_endpoint_is_only_asked_when_configured_and_needed(demo_home: DemoHome, endpoint: str) -> None:
    assert ask(_settings(demo_home, endpoint), "上个月的退货率", today=TODAY).paraphrased_as is None
    assert not ask(_settings(demo_home, None), "我们上个月的顾客开心吗？", today=TODAY).answered
    assert _Handler.seen == []


def test_prompt_lists_every_kpi() -> None:
    from aftersales.analytics.kpis import KPIS

    prompt = system_prompt()
    assert all(name in prompt for name in KPIS) and "NONE" in prompt
