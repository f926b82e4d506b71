"""Sender formats: each robot's documented JSON, DingTalk/Feishu signatures against hand-computed values, MIME, backoff.

The expected signatures were computed outside Python with openssl, e.g. for DingTalk
`printf '1700000000000\\nSECabc123' | openssl dgst -sha256 -hmac SECabc123 -binary | base64`.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import random
import urllib.parse

import pytest

from aftersales.workflow.senders import (
    OutboundMessage,
    SmtpSender,
    WebhookSender,
    backoff_delay,
    dingtalk_sign,
    feishu_sign,
    generic_sign,
    redact_url,
)

MSG = OutboundMessage(
    channel="ops",
    recipient="售后一组",
    subject="工单 C-42 超时",
    body="客户很生气：商品破损，要求退款。\n请尽快处理。",
    payload={"case_id": "C-42", "priority": "P1"},
)
NOW = 1_700_000_000.0  # 2023-11-14 22:13:20 UTC

DINGTALK_SIGN = "N5P09a4+p1AMJIJWnIvQd2Yxw9+fu/oEBnPrjCcsLXk="  # timestamp 1700000000000, secret SECabc123
FEISHU_SIGN = "OrBzY1Y01Gq+HgJsl+7OfWcMVwc7YocohQm5iiZwjhU="  # timestamp 1700000000, secret feishu-secret
GENERIC_SIGN = "93e7dbfe8b0248bcc5b113cc1de6339f7c92245f73cea6fc79ef70a1adb411ae"  # '1700000000.{"a":1}', gen-secret


def test_signatures_match_hand_computed_values() -> None:
    assert dingtalk_sign(1_700_000_000_000, "SECabc123") == DINGTALK_SIGN
    assert feishu_sign(1_700_000_000, "feishu-secret") == FEISHU_SIGN
    assert generic_sign(1_700_000_000, b'{"a":1}', "gen-secret") == GENERIC_SIGN


def test_wecom_markdown() -> None:
    req = WebhookSender("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K").render(MSG, now=NOW)
    assert req.url == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"
    assert req.json() == {"msgtype": "markdown", "markdown": {"content": "### 工单 C-42 超时\n" + MSG.body}}
    assert "工单".encode() in req.body  # raw UTF-8, not \\u escapes
    assert req.headers["Content-Type"] == "application/json; charset=utf-8"


def test_wecom_content_is_cut_to_4096_bytes() -> None:
    long = OutboundMessage("ops", "g", None, "退" * 3000)  # 9000 bytes
    content = WebhookSender("wecom", "https://x.test/").render(long).json()["markdown"]["content"]
    assert len(content.encode()) <= 4096 and content.endswith("…")


def test_dingtalk_markdown_unsigned() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=T"
    req = WebhookSender("dingtalk", url).render(MSG, now=NOW)
    assert req.url == url
    assert req.json() == {
        "msgtype": "markdown",
        "markdown": {"title": "工单 C-42 超时", "text": "### 工单 C-42 超时\n" + MSG.body},
    }


def test_dingtalk_signing_adds_timestamp_and_url_encoded_sign() -> None:
    url = "https://oapi.dingtalk.com/robot/send?access_token=T"
    req = WebhookSender("dingtalk", url, secret="SECabc123").render(MSG, now=NOW)
    assert req.url == (
        "https://oapi.dingtalk.com/robot/send?access_token=T&timestamp=1700000000000"
        "&sign=N5P09a4%2Bp1AMJIJWnIvQd2Yxw9%2Bfu%2FoEBnPrjCcsLXk%3D"
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(req.url).query)
    assert query["sign"] == [DINGTALK_SIGN] and query["access_token"] == ["T"]


def test_dingtalk_title_falls_back_to_the_first_line() -> None:
    body = WebhookSender("dingtalk", "https://x.test/").render(OutboundMessage("d", "g", None, "第一行\n第二行")).json()
    assert body["markdown"] == {"title": "第一行", "text": "第一行\n第二行"}


def test_feishu_text_and_post() -> None:
    hook = WebhookSender("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/H")
    plain = hook.render(OutboundMessage("f", "g", None, "退款已到账"), now=NOW).json()
    assert plain == {"msg_type": "text", "content": {"text": "退款已到账"}}
    post = hook.render(MSG, now=NOW).json()
    assert post == {
        "msg_type": "post",
        "content": {
            "post": {
                "zh_cn": {
                    "title": "工单 C-42 超时",
                    "content": [
                        [{"tag": "text", "text": "客户很生气：商品破损，要求退款。"}],
                        [{"tag": "text", "text": "请尽快处理。"}],
                    ],
                }
            }
        },
    }


def test_feishu_signing_puts_timestamp_and_sign_in_the_body() -> None:
    hook = WebhookSender("feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/H", secret="feishu-secret")
    req = hook.render(OutboundMessage("f", "g", None, "hi"), now=NOW)
    assert req.url == "https://open.feishu.cn/open-apis/bot/v2/hook/H"  # nothing in the query
    assert req.json() == {
        "timestamp": "1700000000",
        "sign": FEISHU_SIGN,
        "msg_type": "text",
        "content": {"text": "hi"},
    }


def test_slack_text() -> None:
    hook = WebhookSender("slack", "https://hooks.slack.com/services/A/B/C")
    assert hook.render(MSG).json() == {"text": "*工单 C-42 超时*\n" + MSG.body}
    assert hook.render(OutboundMessage("s", "g", None, "plain")).json() == {"text": "plain"}


def test_generic_forwards_the_whole_message_and_signs_the_raw_body() -> None:
    hook = WebhookSender("generic", "https://crm.example.com/hooks/aftersales", secret="gen-secret")
    req = hook.render(MSG, now=NOW)
    assert req.json() == {
        "channel": "ops",
        "recipient": "售后一组",
        "subject": "工单 C-42 超时",
        "body": MSG.body,
        "payload": {"case_id": "C-42", "priority": "P1"},
    }
    assert req.headers["X-Aftersales-Timestamp"] == "1700000000"
    assert req.headers["X-Aftersales-Signature"] == "sha256=" + generic_sign(1_700_000_000, req.body, "gen-secret")
    unsigned = WebhookSender("generic", "https://crm.example.com/h").render(MSG, now=NOW)
    assert "X-Aftersales-Signature" not in unsigned.headers


@pytest.mark.parametrize(("kind", "url"), [("teams", "https://x.test/"), ("wecom", "ftp://x.test/"), ("slack", "x")])
def test_bad_webhook_configuration(kind: str, url: str) -> None:
    with pytest.raises(ValueError):
        WebhookSender(kind, url)


def test_redact_url_hides_tokens() -> None:
    assert redact_url("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET") == "https://qyapi.weixin.qq.com/…"
    assert "HOOKID" not in redact_url("https://open.feishu.cn/open-apis/bot/v2/hook/HOOKID")


# --- e-mail ---------------------------------------------------------------------------------------------------


def test_email_is_utf8_mime_that_decodes_back_to_chinese() -> None:
    sender = SmtpSender("smtp.test", 25, "售后通知 <noreply@shop.example>")
    message = OutboundMessage("email", "张三 <zhang@example.com>; li@example.com", MSG.subject, MSG.body)
    raw = sender.build(message, now=dt.datetime(2025, 3, 3, 1, 0, tzinfo=dt.UTC)).as_bytes()
    assert raw.isascii()  # every non-ASCII byte is encoded: survives 7-bit relays
    assert b"=?utf-8?" in raw  # RFC 2047 encoded-words in the headers
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == "工单 C-42 超时"
    assert parsed["From"] == "售后通知 <noreply@shop.example>"
    assert parsed["To"].addresses[0].display_name == "张三"
    assert parsed["Message-ID"].endswith("@shop.example>")
    assert parsed.get_content_charset() == "utf-8"
    assert parsed.get_content().rstrip("\n") == MSG.body
    assert SmtpSender.recipients(message) == ["zhang@example.com", "li@example.com"]


def test_email_with_html_alternative_and_default_subject() -> None:
    sender = SmtpSender("smtp.test", 25, "noreply@shop.example")
    message = OutboundMessage("email", "a@example.com", None, "您的退款已处理", {"html": "<p>您的退款已处理</p>"})
    parsed = email.message_from_bytes(sender.build(message).as_bytes(), policy=email.policy.default)
    assert parsed["Subject"] == "您的退款已处理"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>您的退款已处理</p>"  # type: ignore[union-attr]
    assert parsed.get_body(("plain",)).get_content().strip() == "您的退款已处理"  # type: ignore[union-attr]


def test_starttls_and_ssl_exclude_each_other() -> None:
    with pytest.raises(ValueError):
        SmtpSender("smtp.test", 465, "a@b.c", starttls=True, ssl=True)


# --- backoff --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attempt", "seconds"), [(1, 30), (2, 60), (3, 120), (4, 240), (7, 1920), (8, 3600), (9, 3600), (500, 3600)]
)
def test_backoff_without_jitter(attempt: int, seconds: float) -> None:
    assert backoff_delay(attempt, jitter=0) == dt.timedelta(seconds=seconds)


def test_backoff_jitter_stays_within_ten_percent_and_varies() -> None:
    rng = random.Random(7)
    delays = {backoff_delay(3, rng=rng).total_seconds() for _ in range(200)}
    assert all(108 <= d <= 132 for d in delays)
    assert len(delays) > 100


def test_backoff_parameters() -> None:
    delay = backoff_delay(3, base=dt.timedelta(seconds=10), factor=3, cap=dt.timedelta(seconds=60), jitter=0)
    assert delay == dt.timedelta(seconds=60)  # 10·3² = 90, capped
    with pytest.raises(ValueError):
        backoff_delay(0)
