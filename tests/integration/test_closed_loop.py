"""The closed loop at service level on a real database (SQLite, and PostgreSQL when configured): messages → analysis
→ behaviour signals → policy decision → case, escalation by behaviour, SLA clocks over business hours, agent replies,
resolution with its follow-up, and notifications to a real SMTP server and a real chat-robot receiver."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from aftersales import services
from aftersales.config import Settings, load_settings
from aftersales.services import notify
from aftersales.services.cases import get_case, notify_progress, reply_to_case, transition_case
from aftersales.services.outbox import deliver_due, senders_from_settings
from aftersales.services.pipeline import submit_interaction
from aftersales.services.replay import process_stored
from aftersales.services.runtime import reset_runtimes
from aftersales.services.triage import PRIORITY_RANK
from aftersales.services.users import system_principal
from aftersales.signals.stage import stage_rank
from aftersales.storage import db
from aftersales.storage.tables import case_events, cases, decisions, interactions, notifications
from tests.receivers import JsonReceiver

SYSTEM = system_principal()
UTC = dt.UTC


@pytest.fixture(autouse=True)
def _fresh_runtimes() -> Iterator[None]:
    """Runtimes (and the senders cached on them) are per process and keyed by database: start each test clean."""
    reset_runtimes()
    yield
    reset_runtimes()


def submit(settings: Settings, text: str, *, customer: str = "C1", order: str | None = "O1", at: str | None = None,
           **extra: Any) -> dict[str, Any]:  # fmt: skip
    """One customer message through the online pipeline (times are local, Asia/Shanghai, like the API's)."""
    payload: dict[str, Any] = {"customer_id": customer, "order_id": order, "text": text, "channel": "chat", **extra}
    if at is not None:
        payload["created_at"] = at
    return submit_interaction(payload, settings)


def ingest_customers(settings: Settings, *rows: dict[str, Any]) -> None:
    services.ingest_frame("customers", pd.DataFrame(list(rows)), source="test", settings=settings)


def events_of(settings: Settings, case_id: str) -> list[dict[str, Any]]:
    return get_case(case_id, SYSTEM, settings)["events"]  # type: ignore[no-any-return]


def utc(local: str) -> dt.datetime:
    """A Shanghai wall-clock time as the naive UTC the database stores (Shanghai is UTC+8, no DST)."""
    return dt.datetime.fromisoformat(local) - dt.timedelta(hours=8)


# --- escalation by behaviour ------------------------------------------------------------------------------------

# A mild first message, an impatient second, a third contact: same customer, same unresolved order, within 3 days.
ESCALATIONS = {
    "zh": ["耳机有点杂音", "还没处理吗？", "这是第三次联系你们了，耳机还是有杂音"],
    "en": ["The blender stopped working after a week", "Still waiting for an answer?",
           "I'm contacting you for the third time, still broken"],
}  # fmt: skip


@pytest.mark.parametrize("order", ["O1", None], ids=["order", "no order"])  # chat customers rarely quote it
@pytest.mark.parametrize("language", list(ESCALATIONS))
def test_repeat_contacts_escalate_one_case(any_settings: Settings, language: str, order: str | None) -> None:
    outs = [
        submit(any_settings, text, order=order, at=f"2025-06-0{2 + i} 10:00")
        for i, text in enumerate(ESCALATIONS[language])
    ]
    case_ids = {o["case"]["case_id"] for o in outs}
    assert len(case_ids) == 1, "every contact about the same open order lands on the same case"
    assert [o["route"]["action"] for o in outs] == ["new", "attach", "attach"]
    assert [o["signals"]["repeat_contacts_same_order"] for o in outs] == [0, 1, 2]
    stages = [o["case"]["stage"] for o in outs]
    assert stage_rank(stages[0]) <= stage_rank("explicit")
    assert stage_rank(stages[1]) >= stage_rank("explicit")
    assert stages[2] == "intent_to_complain"  # three contacts about one problem in 7 days
    assert [stage_rank(s) for s in stages] == sorted(stage_rank(s) for s in stages)
    ranks = [PRIORITY_RANK[o["case"]["priority"]] for o in outs]
    assert ranks == sorted(ranks, reverse=True), f"priority never goes down: {ranks}"
    assert (outs[2]["case"]["priority"], outs[2]["case"]["queue"]) == ("P1", "complaints")

    fired = {r["rule_id"]: r for r in outs[2]["decision"]["rules_fired"]}
    assert {"repeat_contact", "complaint_intent"} <= set(fired)
    (condition,) = fired["repeat_contact"]["conditions"]
    assert (condition["field"], condition["actual"]) == ("repeat_contacts", 2)
    assert any("2 earlier contacts" in e for e in condition["evidence"])
    stage_evidence = fired["complaint_intent"]["conditions"][0]["evidence"]
    assert any("3 contacts about the same problem within 7 days" in e for e in stage_evidence)

    (case_id,) = case_ids
    kinds = [e["kind"] for e in events_of(any_settings, case_id)]
    assert kinds[:2] == ["created", "triaged"] and kinds.count("message") == 2
    assert "escalated" in kinds and "stage_changed" in kinds
    escalated = next(e for e in events_of(any_settings, case_id) if e["kind"] == "escalated")
    assert escalated["payload"]["priority"][1] == "P1" and "repeat_contact" in escalated["payload"]["rules"]
    with db.get_engine(any_settings).connect() as conn:
        stored = conn.execute(select(decisions.c.priority).where(decisions.c.case_id == case_id)).scalars().all()
    assert len(stored) == 3


@pytest.mark.parametrize("via", ["ingested customer row", "tier sent with the message"])
@pytest.mark.parametrize(
    "text",
    ["耳机有点杂音", "The blender stopped working after a week", "The parcel arrived damaged, the box was crushed."],
)
def test_a_vip_gets_one_level_more_than_a_regular_customer(any_settings: Settings, via: str, text: str) -> None:
    ingest_customers(any_settings, {"customer_id": "REG", "tier": "regular"})
    extra: dict[str, Any] = {}
    if via == "ingested customer row":
        ingest_customers(any_settings, {"customer_id": "VIP", "name": "王女士", "tier": "vip"})
    else:
        extra["tier"] = "vip"
    regular = submit(any_settings, text, customer="REG", order="O-R", at="2025-06-02 10:00")
    vip = submit(any_settings, text, customer="VIP", order="O-V", at="2025-06-02 10:00", **extra)
    assert vip["analysis"]["emotion"] == regular["analysis"]["emotion"]
    assert PRIORITY_RANK[vip["case"]["priority"]] == PRIORITY_RANK[regular["case"]["priority"]] - 1
    assert vip["case"]["queue"] == "vip" and regular["case"]["queue"] != "vip"
    assert "vip_bump" in [r["rule_id"] for r in vip["decision"]["rules_fired"]]


# Threats and formal complaints (default.yaml): stage ≥ intent_to_complain → `complaint_intent` (P1, complaints,
# apologise, case_escalated); only a complaint already filed (`formal_complaint`) adds a call back within 10 minutes.
THREATS = [
    ("再不处理我就去12315投诉！", "intent_to_complain"),
    ("不给退款我就起诉你们", "intent_to_complain"),
    ("I will report you to the consumer association if this is not fixed", "intent_to_complain"),
    ("我已经向12315投诉了", "formal_complaint"),
    ("我已经在黑猫投诉上投诉你们了", "formal_complaint"),
    ("我已经起诉你们了，法院见", "formal_complaint"),
    ("I have filed a complaint with the consumer protection agency", "formal_complaint"),
]


@pytest.mark.parametrize(("text", "stage"), THREATS)
def test_threats_go_to_complaints_at_p1(any_settings: Settings, text: str, stage: str) -> None:
    out = submit(any_settings, text, at="2025-06-02 10:00")
    assert out["analysis"]["stage"] == stage
    assert (out["case"]["priority"], out["case"]["queue"]) == ("P1", "complaints")
    decision = out["decision"]
    assert "complaint_intent" in [r["rule_id"] for r in decision["rules_fired"]]
    assert "apologise" in decision["strategy"] and "case_escalated" in decision["notify"]
    formal = stage == "formal_complaint"
    assert ("callback" in decision["strategy"]) is formal
    assert decision["sla_first_response_minutes"] == (10 if formal else 15)
    opened = utc("2025-06-02 10:00")
    assert out["case"]["first_response_due"] == opened + dt.timedelta(minutes=10 if formal else 15)


@pytest.mark.parametrize("text", ["谢谢，问题解决了，非常满意", "Thanks, all good now!", "收到了，谢谢"])
def test_thanks_alone_opens_no_case(any_settings: Settings, text: str) -> None:
    out = submit(any_settings, text, order=None, at="2025-06-02 10:00")
    assert out["case"] is None and out["route"]["action"] == "none"
    assert out["decision"]["auto_reply"] is True and out["decision"]["reply_template"] == "thanks"
    with db.get_engine(any_settings).connect() as conn:
        assert conn.execute(select(cases)).all() == []
        assert conn.execute(select(decisions)).all() == []
        stored = conn.execute(select(interactions.c.case_id)).scalars().all()
    assert stored == [None], "the message is kept, without a case"
    # The same words on an open case are part of that case's conversation.
    problem = submit(any_settings, "快递三天了还没到，急用", customer="C2", order="O2", at="2025-06-02 11:00")
    thanks = submit(any_settings, text, customer="C2", order="O2", at="2025-06-02 12:00")
    assert thanks["case"] is not None and thanks["case"]["case_id"] == problem["case"]["case_id"]


# --- SLA clocks over business hours -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at", "priority", "first_due", "resolution_due"),
    [
        # P1 (15 min / 4 h) at 20:55: 5 minutes before closing at 21:00, 10 the next morning from 09:00.
        ("再不处理我就去12315投诉！", "2025-06-02 20:55", "P1", "2025-06-03 09:10", "2025-06-03 12:55"),
        # P2 (30 min / 1 business day = 720 min) at 20:45: 15 + 15 min; 15 + 705 min = 09:00 + 11 h 45.
        ("耳机有点杂音", "2025-06-02 20:45", "P2", "2025-06-03 09:15", "2025-06-03 20:45"),
        # Formal complaint at 07:30, before opening: the 10-minute clock starts at 09:00.
        ("我已经向12315投诉了", "2025-06-02 07:30", "P1", "2025-06-02 09:10", "2025-06-02 13:00"),
        # Sunday 23:00 (the default desk works every day): both clocks start Monday 09:00.
        ("The blender stopped working after a week", "2025-06-01 23:00", "P2", "2025-06-02 09:30",
         "2025-06-02 21:00"),
    ],
)  # fmt: skip
def test_sla_clocks_count_business_minutes(
    any_settings: Settings, text: str, at: str, priority: str, first_due: str, resolution_due: str
) -> None:
    case = submit(any_settings, text, at=at)["case"]
    assert case["priority"] == priority
    assert case["opened_at"] == utc(at)
    assert case["first_response_due"] == utc(first_due)
    assert case["resolution_due"] == utc(resolution_due)
    # The same instant sent with an explicit offset gives the same clocks.
    offset = dt.datetime.fromisoformat(at).replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    again = submit(any_settings, text, customer="C2", order="O2", at=offset.astimezone(UTC).isoformat())["case"]
    assert (again["first_response_due"], again["resolution_due"]) == (utc(first_due), utc(resolution_due))


# --- agent replies, resolution, follow-up -----------------------------------------------------------------------


def test_agent_reply_then_customer_answer(any_settings: Settings) -> None:
    case_id = submit(any_settings, "衣服拉链坏了，要求换货", at="2025-06-02 10:00")["case"]["case_id"]
    detail = reply_to_case(case_id, "非常抱歉！请拍一张拉链的照片发给我们，我们马上安排换货。", SYSTEM,
                           settings=any_settings)  # fmt: skip
    assert detail["case"]["status"] == "waiting_customer"
    assert detail["case"]["first_response_at"] is not None
    agent_msgs = [m for m in detail["messages"] if m["author"] == "agent"]
    assert len(agent_msgs) == 1 and agent_msgs[0]["emotion"] is None  # agents' words are not analysed
    answer = submit(any_settings, "好的，照片已经发给你们了")  # now, after the reply
    assert answer["case"]["case_id"] == case_id and answer["case"]["status"] == "in_progress"
    kinds = [e["kind"] for e in events_of(any_settings, case_id)]
    assert kinds.index("agent_message") < kinds.index("customer_replied")
    replied = next(e for e in events_of(any_settings, case_id) if e["kind"] == "customer_replied")
    assert (replied["from_status"], replied["to_status"]) == ("waiting_customer", "in_progress")
    # A second reply does not move the first-response time.
    again = reply_to_case(case_id, "收到照片，换货已安排。", SYSTEM, settings=any_settings)
    assert again["case"]["first_response_at"] == detail["case"]["first_response_at"]


def test_resolving_records_emotion_recovery_and_the_followup_time(any_settings: Settings) -> None:
    case_id = submit(any_settings, "吹风机用两天就坏了，太失望了", at="2025-06-02 10:00")["case"]["case_id"]
    submit(any_settings, "收到新的了，谢谢，很满意", at="2025-06-02 18:00")
    # Resolved at 22:30, after closing: 24 h later is after closing again, so the follow-up waits for 09:00.
    detail = transition_case(case_id, "resolved", SYSTEM, settings=any_settings, at=utc("2025-06-02 22:30"))
    assert detail["case"]["status"] == "resolved"
    assert detail["case"]["emotion_open"] == "disappointment"
    # "谢谢，很满意" is praise with thanks: satisfaction or gratitude (docs/labelling.md), a recovery either way
    assert detail["case"]["emotion_close"] in ("satisfaction", "gratitude")
    resolved = next(e for e in detail["events"] if e["to_status"] == "resolved")
    recovery = resolved["payload"]["emotion_recovery"]
    assert (recovery["outcome"], recovery["recovered"]) == ("recovered", True)
    assert recovery["open_polarity"] == "negative" and recovery["delta"] > 0
    assert resolved["payload"]["followup_due"] == utc("2025-06-04 09:00").isoformat()
    with db.get_engine(any_settings).connect() as conn:
        assert conn.execute(select(notifications)).all() == [], "no e-mail configured: nothing is queued"


def test_resolving_schedules_the_followup_survey_email(any_settings: Settings) -> None:
    settings = with_notifications(any_settings, smtp_port=free_port(), hook_url=None)
    settings = settings.model_copy(update={"survey_url": "https://survey.example.com/s?case={case_id}"})
    ingest_customers(settings, {"customer_id": "C1", "name": "张三", "email": "zhang@example.com"})
    case_id = submit(settings, "吹风机用两天就坏了，太失望了", at="2025-06-02 10:00")["case"]["case_id"]
    transition_case(case_id, "resolved", SYSTEM, settings=settings, at=utc("2025-06-02 12:00"))
    with db.get_engine(settings).connect() as conn:
        (row,) = conn.execute(select(notifications)).mappings().all()
    assert (row["channel"], row["payload"]["event"]) == ("email", "followup_survey")
    assert row["next_attempt_at"] == utc("2025-06-03 12:00")  # 24 h later, inside 09:00-21:00
    assert f"https://survey.example.com/s?case={case_id}" in row["body"]


# --- notifications end to end -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def mails(self) -> list[Any]:
        return [email.message_from_bytes(e.original_content, policy=email.policy.default) for e in self.envelopes]


def wecom_robot() -> JsonReceiver:
    """A local HTTP receiver that answers like a 企业微信 group robot."""
    return JsonReceiver(lambda _request: (200, {"errcode": 0, "errmsg": "ok"}))


def with_notifications(base: Settings, *, smtp_port: int, hook_url: str | None) -> Settings:
    """The same database with e-mail (and a WeCom robot) configured, as an operator would in config.toml."""
    overrides: dict[str, Any] = {"smtp_host": "127.0.0.1", "smtp_port": smtp_port,
                                 "smtp_sender": "售后通知 <noreply@shop.example>"}  # fmt: skip
    if hook_url:
        overrides["webhooks"] = {"ops": {"kind": "wecom", "url": hook_url}}
    reset_runtimes()  # senders are cached on the runtime, which is keyed by database only
    return load_settings(home=base.home, database_url=base.database_url, **overrides)


def outbox_rows(settings: Settings) -> list[dict[str, Any]]:
    with db.get_engine(settings).connect() as conn:
        return [dict(r) for r in conn.execute(select(notifications).order_by(notifications.c.id)).mappings()]


def test_notifications_reach_a_real_smtp_server_and_robot(any_settings: Settings) -> None:
    inbox, port = Inbox(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=port)
    smtp.start()
    smtp_up = True
    robot = wecom_robot()
    try:
        settings = with_notifications(any_settings, smtp_port=port, hook_url=robot.url("/cgi-bin/webhook/send?key=K"))
        ingest_customers(settings, {"customer_id": "C1", "name": "张三", "email": "zhang@example.com"})
        texts = ESCALATIONS["zh"]
        first = submit(settings, texts[0], at="2025-06-02 10:00")
        case_id = first["case"]["case_id"]
        assert "refund_issued" in first["decision"]["notify"]  # a subscription for later …
        assert outbox_rows(settings) == [], "… not a refund notice to someone who just reported a defect"
        submit(settings, texts[1], at="2025-06-03 10:00")
        third = submit(settings, texts[2], at="2025-06-04 10:00")
        assert third["case"]["priority"] == "P1" and "case_escalated" in third["decision"]["notify"]
        (escalation,) = outbox_rows(settings)
        assert (escalation["channel"], escalation["payload"]["event"]) == ("ops", "escalation_alert")
        # A further message on the already escalated case does not alert the team again.
        submit(settings, "第四次了！！还不处理？", at="2025-06-04 11:00")
        assert len(outbox_rows(settings)) == 1

        assert notify.deliver(settings) == {"sent": 1, "retried": 0, "dead": 0, "errors": []}
        (post,) = [r["json"] for r in robot.requests]
        assert post["msgtype"] == "markdown" and case_id in post["markdown"]["content"]

        notify_progress(case_id, "refund_issued", SYSTEM, settings, amount=199)
        assert notify.deliver(settings)["sent"] == 1
        (mail,) = inbox.mails()
        assert inbox.envelopes[0].rcpt_tos == ["zhang@example.com"]
        assert "退款" in mail["Subject"] and mail["From"] == "售后通知 <noreply@shop.example>"
        body = mail.get_content()
        assert "199" in body and "O1" in body and case_id in body

        # The mail server goes down: the notification waits in the outbox instead of being lost.
        smtp.stop()
        smtp_up = False
        notify_progress(
            case_id, "replacement_shipped", SYSTEM, settings, carrier="顺丰速运", tracking_no="SF1234567890"
        )
        report = notify.deliver(settings)
        assert (report["sent"], report["retried"]) == (0, 1) and report["errors"]
        waiting = outbox_rows(settings)[-1]
        assert (waiting["status"], waiting["attempts"]) == ("pending", 1)
        assert waiting["next_attempt_at"] > dt.datetime.now(UTC).replace(tzinfo=None)
        smtp = Controller(inbox, hostname="127.0.0.1", port=port)
        smtp.start()
        smtp_up = True
        later = waiting["next_attempt_at"] + dt.timedelta(seconds=1)
        engine = db.get_engine(settings)
        assert deliver_due(engine, senders_from_settings(settings), now=later).sent == 1
    finally:
        if smtp_up:
            smtp.stop()
        robot.stop()
    shipped = inbox.mails()[-1]
    assert "发货" in shipped["Subject"] and "SF1234567890" in shipped.get_content()
    rows = outbox_rows(settings)
    assert [(r["channel"], r["payload"]["event"], r["status"]) for r in rows] == [
        ("ops", "escalation_alert", "sent"),
        ("email", "refund_issued", "sent"),
        ("email", "replacement_shipped", "sent"),
    ]
    assert rows[-1]["attempts"] == 2 and rows[-1]["sent_at"] == later
    with db.get_engine(settings).connect() as conn:
        notified = conn.execute(select(case_events.c.payload).where(case_events.c.kind == "notified")).scalars().all()
    assert [(p["event"], p["queued"]) for p in notified] == [("refund_issued", True), ("replacement_shipped", True)]


# --- the batch replay and the online path agree on routing -------------------------------------------------------

# (interaction, customer, order, text, local time, author): repeat contacts, an order-less follow-up, an agent answer
# and the customer's reply, a thank-you note with and without an open case, Chinese and English.
CONVERSATIONS = [
    ("a1", "C1", "O1", "耳机有点杂音", "2025-06-02 10:00", "customer"),
    ("a2", "C1", "O1", "还没处理吗？", "2025-06-02 16:00", "customer"),
    ("a3", "C1", "O1", "这是第三次联系你们了，耳机还是有杂音", "2025-06-03 10:00", "customer"),
    ("a4", "C1", "O9", "另一单的衣服尺码偏小，想换大一号", "2025-06-03 11:00", "customer"),
    ("b1", "C2", None, "Thanks, all good now!", "2025-06-02 09:30", "customer"),
    ("b2", "C2", "O2", "The parcel arrived damaged, the box was crushed.", "2025-06-02 12:00", "customer"),
    ("b3", "C2", None, "Any update on my parcel?", "2025-06-03 12:00", "customer"),
    ("c1", "C3", "O3", "快递三天了还没到，急用", "2025-06-02 11:00", "customer"),
    ("c2", "C3", "O3", "您好，已催促快递，预计明天送达", "2025-06-02 11:30", "agent"),
    ("c3", "C3", "O3", "好的，谢谢", "2025-06-02 12:00", "customer"),
    ("d1", "C4", "O4", "再不处理我就去12315投诉！", "2025-06-04 10:00", "customer"),
    ("e1", "C5", None, "谢谢，问题解决了，非常满意", "2025-06-04 10:00", "customer"),
    ("f1", "C6", None, "The blender stopped working after a week", "2025-06-02 10:00", "customer"),
    ("f2", "C6", None, "Still waiting for an answer?", "2025-06-02 15:00", "customer"),
    ("f3", "C6", None, "I'm contacting you for the third time, still broken", "2025-06-03 09:00", "customer"),
]


def _as_frame(conversations: list[tuple[str, str, str | None, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [{"interaction_id": i, "customer_id": c, "order_id": o, "text": t, "created_at": at, "author": a,
          "channel": "chat"} for i, c, o, t, at, a in conversations]
    )  # fmt: skip


def _routing(settings: Settings) -> tuple[list[list[str]], dict[str, tuple[Any, ...]]]:
    """The messages grouped by case, and each message's case (customer, order, priority, queue, status)."""
    with db.get_engine(settings).connect() as conn:
        rows = conn.execute(
            select(interactions.c.interaction_id, interactions.c.case_id, cases.c.customer_id, cases.c.order_id,
                   cases.c.priority, cases.c.queue, cases.c.status)
            .outerjoin(cases, cases.c.case_id == interactions.c.case_id)
        ).all()  # fmt: skip
    groups: dict[str, list[str]] = {}
    for r in rows:
        if r.case_id is not None:
            groups.setdefault(r.case_id, []).append(r.interaction_id)
    return sorted(sorted(g) for g in groups.values()), {r.interaction_id: tuple(r)[2:] for r in rows}


def _decisions(settings: Settings) -> dict[str, tuple[Any, ...]]:
    """Per triaged message: the decision and the behaviour facts it saw."""
    with db.get_engine(settings).connect() as conn:
        rows = conn.execute(select(decisions.c.interaction_id, decisions.c.priority, decisions.c.queue,
                                   decisions.c.context)).all()  # fmt: skip
    keys = ("stage", "repeat_contacts", "contacts_7d", "is_new_case")
    return {r.interaction_id: (r.priority, r.queue, *(r.context[k] for k in keys)) for r in rows}


def _both_ways(
    batch: Settings, online: Settings, conversations: list[tuple[str, str, str | None, str, str, str]]
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    services.ingest_frame("interactions", _as_frame(conversations), source="history", settings=batch)
    process_stored(batch)
    for i, c, o, t, at, a in sorted(conversations, key=lambda m: m[4]):
        submit(online, t, customer=c, order=o, at=at, author=a, interaction_id=i)
    return _routing(batch), _routing(online)


def test_replay_and_online_route_messages_alike(any_settings: Settings, tmp_path: Path) -> None:
    online = load_settings(home=tmp_path / "online")  # another database (SQLite)
    (batch_groups, batch_cases), (online_groups, online_cases) = _both_ways(any_settings, online, CONVERSATIONS)
    assert batch_groups == online_groups
    assert batch_groups == [["a1", "a2", "a3"], ["a4"], ["b2", "b3"], ["c1", "c2", "c3"], ["d1"], ["f1", "f2", "f3"]]
    assert batch_cases == online_cases  # same customer, order, priority, queue and status for every message
    assert _decisions(any_settings) == _decisions(online)  # and the same triage of every message


def test_replay_and_online_agree_after_a_long_silence(any_settings: Settings, tmp_path: Path) -> None:
    online = load_settings(home=tmp_path / "online")
    late = [
        ("a1", "C1", "O1", "耳机有点杂音", "2025-06-02 10:00", "customer"),
        ("a2", "C1", "O1", "您好，请寄回检测", "2025-06-02 11:00", "agent"),
        ("a3", "C1", "O1", "耳机还是有杂音，怎么回事", "2025-06-22 10:00", "customer"),
    ]
    (batch_groups, _), (online_groups, _) = _both_ways(any_settings, online, late)
    assert batch_groups == online_groups
