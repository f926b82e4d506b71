"""Notification outbox against real local servers: an aiosmtpd SMTP server and an HTTP server that behaves like the
chat robots (checks DingTalk/Feishu signatures, answers with their error codes). No mocks: bytes go over sockets."""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine, select, update

from aftersales.config import Settings, load_settings
from aftersales.errors import ConfigError, DeliveryError
from aftersales.services.outbox import deliver_due, enqueue, requeue_dead, senders_from_settings
from aftersales.storage import db
from aftersales.storage.tables import notifications
from aftersales.workflow.senders import OutboundMessage, Sender, SmtpSender, WebhookSender
from tests.receivers import JsonReceiver

NOW = dt.datetime(2025, 3, 3, 2, 0)
DING_SECRET = "SECding-secret"
FEISHU_SECRET = "feishu-secret"
SUBJECT = "工单 C-42：退款申请已超时"
BODY = "客户很生气：商品破损，要求全额退款。\n请在今天 18:00 前处理。"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- a local robot ----------------------------------------------------------------------------------------------


class Robot(JsonReceiver):
    """An HTTP receiver that answers like WeCom/DingTalk/Feishu/Slack robots, keyed by the first path segment."""

    def __init__(self, port: int = 0, delay: float = 0.0) -> None:
        super().__init__(self.behave, port, delay)

    @staticmethod
    def behave(req: dict[str, Any]) -> tuple[int, Any]:
        """What the real robots answer: HTTP 200 with an in-body code; signatures checked like the servers do."""
        kind = req["path"].strip("/").split("/")[0]
        if kind == "dingtalk":
            ts, sign = req["query"].get("timestamp"), req["query"].get("sign")
            expected = base64.b64encode(
                hmac.new(DING_SECRET.encode(), f"{ts}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
            ).decode()
            if sign != expected or abs(int(ts or 0) / 1000 - time.time()) > 3600:
                return 200, {"errcode": 310000, "errmsg": "sign not match"}
            return 200, {"errcode": 0, "errmsg": "ok"}
        if kind == "feishu":
            body = req["json"]
            key = f"{body.get('timestamp')}\n{FEISHU_SECRET}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body.get("sign") != expected or abs(int(body.get("timestamp", 0)) - time.time()) > 3600:
                return 200, {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
            return 200, {"code": 0, "msg": "success", "data": {}}
        if kind == "wecom":
            return 200, {"errcode": 0, "errmsg": "ok"}
        return 200, "ok"  # slack answers the text "ok"; a generic endpoint anything 2xx


@pytest.fixture
def robot() -> Iterator[Robot]:
    server = Robot()
    yield server
    server.stop()


# --- a local SMTP server ------------------------------------------------------------------------------------------


class Inbox:
    """aiosmtpd handler that keeps every envelope it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


# --- helpers ----------------------------------------------------------------------------------------------------


@pytest.fixture
def engine(any_settings: Settings) -> Engine:
    """The migrated database: SQLite, and PostgreSQL too when AFTERSALES_TEST_DATABASE_URL is set."""
    return db.get_engine(any_settings)


def add(engine: Engine, channel: str, *, recipient: str = "售后一组", n: int = 0, **kw: Any) -> int:
    with engine.begin() as conn:
        return enqueue(
            conn,
            case_id=None,
            channel=channel,
            recipient=recipient,
            subject=kw.pop("subject", SUBJECT),
            body=kw.pop("body", BODY),
            payload={"n": n},
            **kw,
        )


def row(engine: Engine, row_id: int) -> Any:
    with engine.connect() as conn:
        return conn.execute(select(notifications).where(notifications.c.id == row_id)).one()


# --- e-mail ---------------------------------------------------------------------------------------------------


def test_chinese_email_reaches_a_real_smtp_server(engine: Engine, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    row_id = add(engine, "email", recipient="张三 <zhang@example.com>")
    sender = SmtpSender("127.0.0.1", port, "售后通知 <noreply@shop.example>")
    report = deliver_due(engine, {"email": sender}, now=NOW)
    assert (report.sent, report.retried, report.dead, report.errors) == (1, 0, 0, [])
    (envelope,) = inbox.envelopes
    assert envelope.mail_from == "noreply@shop.example" and envelope.rcpt_tos == ["zhang@example.com"]
    mail = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert mail["Subject"] == SUBJECT
    assert mail["From"] == "售后通知 <noreply@shop.example>"
    assert mail.get_content().rstrip("\n") == BODY
    stored = row(engine, row_id)
    assert (stored.status, stored.attempts, stored.sent_at, stored.last_error) == ("sent", 1, NOW, None)


def test_smtp_login_is_used_when_configured(engine: Engine) -> None:
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append((data.login, data.password))
        # handled=False: let aiosmtpd answer "535" itself (its default assumes the callback already replied).
        return AuthResult(success=data.password == b"s3cret", handled=False)

    inbox, port = Inbox(), free_port()
    # PLAIN only: after a failed PLAIN, smtplib retries with LOGIN, which aiosmtpd's test server lets time out.
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_exclude_mechanism=["LOGIN"],
    )
    controller.start()
    try:
        good = SmtpSender("127.0.0.1", port, "noreply@shop.example", username="bot", password="s3cret")
        good.send(OutboundMessage("email", "a@example.com", "你好", "测试"))
        bad = SmtpSender("127.0.0.1", port, "noreply@shop.example", username="bot", password="wrong")
        with pytest.raises(DeliveryError, match="SMTPAuthenticationError"):
            bad.send(OutboundMessage("email", "a@example.com", "你好", "测试"))
    finally:
        controller.stop()
    assert seen == [(b"bot", b"s3cret"), (b"bot", b"wrong")] and len(inbox.envelopes) == 1


def test_starttls_against_a_server_without_it_fails_cleanly(smtp: tuple[Inbox, int]) -> None:
    _inbox, port = smtp
    sender = SmtpSender("127.0.0.1", port, "noreply@shop.example", starttls=True)
    with pytest.raises(DeliveryError, match="STARTTLS"):
        sender.send(OutboundMessage("email", "a@example.com", "s", "b"))


# --- webhooks ---------------------------------------------------------------------------------------------------

KIND_SECRET = {"wecom": None, "dingtalk": DING_SECRET, "feishu": FEISHU_SECRET, "slack": None, "generic": "g"}


@pytest.mark.parametrize("kind", list(KIND_SECRET))
def test_each_webhook_kind_reaches_a_real_receiver(engine: Engine, robot: Robot, kind: str) -> None:
    hook = WebhookSender(kind, robot.url(f"/{kind}/hook?key=K"), secret=KIND_SECRET[kind])
    row_id = add(engine, kind)
    report = deliver_due(engine, {kind: hook}, now=NOW)
    assert (report.sent, report.errors) == (1, [])
    (req,) = robot.requests
    body = req["json"]
    expected_top = {
        "wecom": {"msgtype", "markdown"},
        "dingtalk": {"msgtype", "markdown"},
        "feishu": {"msg_type", "content", "timestamp", "sign"},
        "slack": {"text"},
        "generic": {"channel", "recipient", "subject", "body", "payload"},
    }[kind]
    assert set(body) == expected_top
    assert BODY.splitlines()[0] in req["raw"].decode("utf-8")  # raw UTF-8 Chinese arrived intact
    assert req["query"]["key"] == "K"
    if kind == "generic":
        assert body["payload"] == {"n": 0}
        signed = f"{req['headers']['X-Aftersales-Timestamp']}.".encode() + req["raw"]
        assert req["headers"]["X-Aftersales-Signature"] == "sha256=" + hmac.new(b"g", signed, "sha256").hexdigest()
    assert row(engine, row_id).status == "sent"


@pytest.mark.parametrize(
    ("kind", "secret", "needle"),
    [("dingtalk", "SECwrong", "robot error 310000"), ("feishu", "wrong", "robot error 19021")],
)
def test_a_wrong_signing_secret_is_a_failure(robot: Robot, kind: str, secret: str, needle: str) -> None:
    with pytest.raises(DeliveryError, match=needle):
        WebhookSender(kind, robot.url(f"/{kind}/hook"), secret=secret).send(OutboundMessage(kind, "g", "s", "b"))


@pytest.mark.parametrize(
    ("kind", "status", "reply", "needle"),
    [
        ("wecom", 500, {"errcode": -1, "errmsg": "system busy"}, "HTTP 500"),
        ("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}, "robot error 45009"),
        ("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast"}, "robot error 130101"),
        ("feishu", 200, {"code": 9499, "msg": "Bad Request"}, "robot error 9499"),
        ("feishu", 200, {"StatusCode": 1, "StatusMessage": "fail"}, "robot error 1"),
        ("wecom", 200, "<html>proxy login</html>", "not JSON"),
        ("slack", 404, "no_service", "HTTP 404"),
        ("generic", 503, "maintenance", "HTTP 503"),
    ],
)
def test_failures_leave_the_row_pending_with_a_later_retry(
    engine: Engine, robot: Robot, kind: str, status: int, reply: Any, needle: str
) -> None:
    robot.reply = lambda req: (status, reply)
    row_id = add(engine, kind)
    report = deliver_due(engine, {kind: WebhookSender(kind, robot.url(f"/{kind}"))}, now=NOW)
    assert (report.sent, report.retried, report.dead) == (0, 1, 0)
    assert needle in report.errors[0]
    stored = row(engine, row_id)
    assert (stored.status, stored.attempts) == ("pending", 1)
    assert NOW + dt.timedelta(seconds=27) <= stored.next_attempt_at <= NOW + dt.timedelta(seconds=33)
    assert needle in stored.last_error
    # Not due yet: a run at the same time leaves it alone.
    assert deliver_due(engine, {kind: WebhookSender(kind, robot.url(f"/{kind}"))}, now=NOW).retried == 0
    # The robot recovers: the next run after next_attempt_at delivers it.
    robot.reply = robot.behave
    later = NOW + dt.timedelta(minutes=1)
    hook = WebhookSender(kind, robot.url(f"/{kind}"), secret=KIND_SECRET[kind])
    assert deliver_due(engine, {kind: hook}, now=later).sent == 1
    stored = row(engine, row_id)
    assert (stored.status, stored.attempts, stored.sent_at, stored.last_error) == ("sent", 2, later, None)


def test_a_receiver_that_is_down_keeps_the_row_until_it_comes_up(engine: Engine) -> None:
    port = free_port()  # nothing listens here yet
    senders: dict[str, Sender] = {"ops": WebhookSender("wecom", f"http://127.0.0.1:{port}/wecom?key=K", timeout=2)}
    row_id = add(engine, "ops")
    report = deliver_due(engine, senders, now=NOW)
    assert (report.sent, report.retried) == (0, 1) and "ConnectError" in report.errors[0]
    first = row(engine, row_id)
    assert (first.status, first.attempts) == ("pending", 1) and first.next_attempt_at > NOW
    second_run = first.next_attempt_at + dt.timedelta(seconds=1)
    deliver_due(engine, senders, now=second_run)
    second = row(engine, row_id)
    assert second.attempts == 2 and second.next_attempt_at - second_run > dt.timedelta(seconds=50)  # ~60 s backoff
    server = Robot(port=port)
    try:
        report = deliver_due(engine, senders, now=second.next_attempt_at)
    finally:
        server.stop()
    assert report.sent == 1 and len(server.requests) == 1
    assert row(engine, row_id).status == "sent"


def test_after_max_attempts_the_row_is_dead_and_can_be_requeued(engine: Engine, robot: Robot) -> None:
    robot.reply = lambda req: (500, "down")
    senders: dict[str, Sender] = {"ops": WebhookSender("generic", robot.url("/generic"))}
    row_id = add(engine, "ops")
    now, reports = NOW, []
    for _ in range(3):
        reports.append(deliver_due(engine, senders, now=now, max_attempts=3))
        now += dt.timedelta(hours=2)  # past any backoff
    assert [(r.retried, r.dead) for r in reports] == [(1, 0), (1, 0), (0, 1)]
    dead = row(engine, row_id)
    assert (dead.status, dead.attempts, dead.next_attempt_at) == ("dead", 3, None) and "HTTP 500" in dead.last_error
    assert deliver_due(engine, senders, now=now + dt.timedelta(days=1), max_attempts=3).dead == 0  # stays dead
    assert len(robot.requests) == 3
    robot.reply = robot.behave
    with engine.begin() as conn:
        assert requeue_dead(conn, [row_id], now=now) == 1
    assert deliver_due(engine, senders, now=now, max_attempts=3).sent == 1


def test_unknown_channel_and_crashing_sender_do_not_block_the_batch(engine: Engine, robot: Robot) -> None:
    class Broken:
        def send(self, message: OutboundMessage) -> None:
            raise RuntimeError("template bug")

    lost = add(engine, "nobody")
    broken = add(engine, "broken")
    fine = add(engine, "ops")
    senders: dict[str, Sender] = {"broken": Broken(), "ops": WebhookSender("slack", robot.url("/slack"))}
    report = deliver_due(engine, senders, now=NOW)
    assert (report.sent, report.retried) == (1, 2)
    assert "no sender configured for channel 'nobody'" in row(engine, lost).last_error
    assert row(engine, broken).last_error == "RuntimeError: template bug"
    assert row(engine, fine).status == "sent"


def test_not_before_delays_the_first_attempt(engine: Engine, robot: Robot) -> None:
    add(engine, "ops", not_before=NOW + dt.timedelta(hours=1))
    senders: dict[str, Sender] = {"ops": WebhookSender("slack", robot.url("/slack"))}
    assert deliver_due(engine, senders, now=NOW).sent == 0
    assert deliver_due(engine, senders, now=NOW + dt.timedelta(hours=1)).sent == 1


def test_enqueue_belongs_to_the_callers_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError), engine.begin() as conn:
        enqueue(conn, case_id=None, channel="ops", recipient="r", subject=None, body="b")
        raise RuntimeError("the case update failed")
    with engine.connect() as conn:
        assert conn.execute(select(notifications)).all() == []
    with pytest.raises(ConfigError), engine.begin() as conn:
        enqueue(conn, case_id=None, channel="x" * 33, recipient="r", subject=None, body="b")


def test_rows_of_a_crashed_worker_are_reclaimed_after_the_lease(engine: Engine, robot: Robot) -> None:
    stuck = add(engine, "ops", n=1)
    exhausted = add(engine, "ops", n=2)
    with engine.begin() as conn:  # as a worker that died mid-send leaves them
        lease_end = NOW - dt.timedelta(minutes=1)
        conn.execute(
            update(notifications)
            .where(notifications.c.id == stuck)
            .values(status="sending", attempts=1, next_attempt_at=lease_end)
        )
        conn.execute(
            update(notifications)
            .where(notifications.c.id == exhausted)
            .values(status="sending", attempts=8, next_attempt_at=lease_end)
        )
    report = deliver_due(engine, {"ops": WebhookSender("slack", robot.url("/slack"))}, now=NOW)
    assert (report.sent, report.dead) == (1, 1)
    assert (row(engine, stuck).status, row(engine, stuck).attempts) == ("sent", 2)
    assert row(engine, exhausted).status == "dead"


def test_a_short_lease_releases_untried_rows(engine: Engine) -> None:
    slow = Robot(delay=0.3)
    try:
        ids = [add(engine, "ops", n=i) for i in range(3)]
        senders: dict[str, Sender] = {"ops": WebhookSender("slack", slow.url("/slack"))}
        report = deliver_due(engine, senders, now=NOW, lease=dt.timedelta(seconds=0.1))
    finally:
        slow.stop()
    assert (report.sent, report.released) == (1, 2)
    released = [row(engine, i) for i in ids[1:]]
    assert all((r.status, r.attempts, r.next_attempt_at) == ("pending", 0, NOW) for r in released)


def _deliver_concurrently(engine: Engine, count: int) -> tuple[Robot, list[int]]:
    """Two workers drain the same outbox at once against a slowish receiver."""
    robot = Robot(delay=0.005)
    for i in range(count):
        add(engine, "ops", n=i)
    senders: dict[str, Sender] = {"ops": WebhookSender("generic", robot.url("/generic"))}
    barrier = threading.Barrier(2)
    sent: list[int] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                report = deliver_due(engine, senders, batch=4)
                sent.append(report.sent)
                if report.sent + report.retried + report.dead + report.released == 0:
                    return
        except BaseException as exc:  # surface thread errors in the test
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    robot.stop()
    assert not failures, failures
    return robot, sent


def test_two_workers_never_send_a_row_twice(engine: Engine) -> None:
    robot, sent = _deliver_concurrently(engine, 40)
    seen = Counter(req["json"]["payload"]["n"] for req in robot.requests)
    assert seen == Counter(range(40))  # each exactly once
    assert sum(sent) == 40
    with engine.connect() as conn:
        statuses = Counter(conn.execute(select(notifications.c.status)).scalars())
    assert statuses == {"sent": 40}


# --- settings → senders -------------------------------------------------------------------------------------------


def test_senders_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config.toml").write_text(
        'smtp_host = "smtp.exmail.qq.com"\nsmtp_port = 465\nsmtp_ssl = true\n'
        'smtp_sender = "售后通知 <aftersales@example.com>"\nsmtp_username = "aftersales@example.com"\n'
        'smtp_password = "app-pw"\n\n'
        '[webhooks.leads]\nkind = "dingtalk"\nurl = "https://oapi.dingtalk.com/robot/send?access_token=T"\n'
        'secret = "SECx"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("AFTERSALES_HOME", str(tmp_path))
    settings = load_settings()
    assert "app-pw" not in repr(settings)  # secrets stay hidden
    senders = senders_from_settings(settings)
    assert set(senders) == {"email", "leads"}
    mail = senders["email"]
    assert isinstance(mail, SmtpSender) and (mail.port, mail.ssl, mail.password) == (465, True, "app-pw")
    leads = senders["leads"]
    assert isinstance(leads, WebhookSender) and (leads.kind, leads.secret) == ("dingtalk", "SECx")

    hooks = {"ops": {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"}}
    monkeypatch.setenv("AFTERSALES_WEBHOOKS", json.dumps(hooks))
    # pydantic-settings merges mappings from both sources by key (documented in docs/configuration.md).
    assert set(senders_from_settings(load_settings())) == {"email", "leads", "ops"}


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"smtp_host": "smtp.example.com"}, "smtp_sender"),
        ({"smtp_host": "h", "smtp_sender": "a@b.c", "smtp_ssl": True, "smtp_starttls": True}, "exclude"),
        ({"webhooks": {"email": {"kind": "slack", "url": "https://hooks.slack.com/x"}}}, "channel name"),
    ],
)
def test_bad_sender_settings(tmp_path: Path, overrides: dict[str, Any], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        senders_from_settings(load_settings(home=tmp_path, **overrides))


@pytest.mark.parametrize(
    "hook",
    [{"kind": "teams", "url": "https://x.test/"}, {"kind": "wecom", "url": "ftp://x"}, {"kind": "wecom"}],
)
def test_invalid_webhook_settings_name_the_field(tmp_path: Path, hook: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=r"webhooks\.ops"):
        load_settings(home=tmp_path, webhooks={"ops": hook})
