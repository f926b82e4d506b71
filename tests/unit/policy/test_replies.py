"""Reply drafts and notifications: tone by emotion and intensity, reasons in words, strategies as sentences."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from aftersales.errors import InvalidInputError
from aftersales.policy.replies import (
    NOTIFICATION_EVENTS,
    REPLY_TEMPLATES,
    STRATEGY_CODES,
    ReplyContext,
    ReplyRenderer,
    choose_template,
    render_notification,
    render_reply,
)
from aftersales.vocab import Emotion, Reason

NOW = dt.datetime(2025, 6, 3, 10, 0)  # a Tuesday
FULL = ReplyContext(
    customer_name="李娜",
    tier="regular",
    order_id="O0001234",
    product_name="切尔西靴",
    reasons=("size_fit", "logistics_delay"),
    emotion="anger",
    intensity=2,
    stage="explicit",
    strategy=("apologise", "replace", "refund", "compensation", "callback", "expedite", "explain"),
    first_response_due=NOW.replace(hour=11),
    resolution_due=NOW.replace(hour=18),
    compensation_limit=50,
    agent_name="小周",
    case_id="CASE-42",
    now=NOW,
)
BARE = ReplyContext(now=NOW)
LEFTOVERS = ("None", "{{", "}}", "{%", "%}", "（）", "()", "【】", "  ")


def ctx(**changes: object) -> ReplyContext:
    """FULL with some fields changed (dataclasses.replace keeps the test table short)."""
    from dataclasses import replace

    return replace(FULL, **changes)  # type: ignore[arg-type]


def keys(reply: object) -> list[str]:
    return [p.key for p in reply.parts]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ choosing template and tone


@pytest.mark.parametrize(
    ("emotion", "stage", "template"),
    [
        ("anger", "explicit", "apology_remedy"),
        ("dissatisfaction", "latent", "apology_remedy"),
        ("anxiety", "none", "reassure_next_step"),
        ("disappointment", "explicit", "empathy_recovery"),
        ("gratitude", "none", "thanks"),
        ("satisfaction", "none", "thanks"),
        ("relief", "none", "thanks"),
        ("neutral", "none", "generic"),
        ("neutral", "formal_complaint", "apology_remedy"),  # a complaint always gets the apology
        ("anxiety", "intent_to_complain", "apology_remedy"),
    ],
)
def test_auto_picks_template_by_emotion_and_stage(emotion: str, stage: str, template: str) -> None:
    c = ctx(emotion=emotion, stage=stage)
    assert choose_template(c) == template
    assert render_reply("auto", "zh", c).template == template


@pytest.mark.parametrize(
    ("emotion", "intensity", "stage", "tone"),
    [
        ("anger", 3, "explicit", "apologetic_strong"),
        ("anger", 2, "explicit", "apologetic"),
        ("dissatisfaction", 1, "latent", "apologetic"),
        ("neutral", 1, "formal_complaint", "apologetic_strong"),
        ("anxiety", 2, "none", "reassuring"),
        ("disappointment", 2, "explicit", "empathetic"),
        ("gratitude", 1, "none", "grateful"),
        ("neutral", 1, "none", "neutral"),
    ],
)
def test_tone_follows_emotion_intensity_and_stage(emotion: str, intensity: int, stage: str, tone: str) -> None:
    assert render_reply("auto", "en", ctx(emotion=emotion, intensity=intensity, stage=stage)).tone == tone


# ------------------------------------------------------------------ apology_remedy


@pytest.mark.parametrize(
    ("language", "apology", "remedy"),
    [
        ("zh", "非常抱歉", "我们将在今天18:00前为您换一件合适尺码的切尔西靴"),
        ("mixed", "非常抱歉", "我们将在今天18:00前为您换一件合适尺码的切尔西靴"),
        ("en", "very sorry", "We will exchange your 切尔西靴 for the right size by 18:00 today"),
    ],
)
def test_anger_apologises_first_then_gives_a_timed_remedy(language: str, apology: str, remedy: str) -> None:
    reply = render_reply("auto", language, FULL)
    assert reply.template == "apology_remedy"
    assert keys(reply)[:2] == ["greeting", "apology"]  # apology right after the greeting, before any remedy
    assert apology in reply.parts[1].text
    assert remedy in reply.text
    assert reply.text.index(apology) < reply.text.index(remedy)
    assert reply.notes == ()  # every strategy became a sentence (apologise is the apology itself)


@pytest.mark.parametrize(
    ("language", "strong", "owner"),
    [
        ("zh", "郑重向您道歉", "本次问题由小周全程负责（工单号CASE-42）"),
        ("en", "truly sorry", "小周 personally owns your case (CASE-42)"),
    ],
)
def test_intensity_three_gives_stronger_apology_and_named_owner(language: str, strong: str, owner: str) -> None:
    mild = render_reply("apology_remedy", language, ctx(intensity=2))
    hot = render_reply("apology_remedy", language, ctx(intensity=3))
    assert strong in hot.text and strong not in mild.text
    assert owner in hot.text and "owner" not in keys(mild)
    assert hot.tone == "apologetic_strong"
    owner_part = next(p for p in hot.parts if p.key == "owner")
    assert owner_part.inputs["intensity"] == "3" and owner_part.inputs["agent_name"] == "小周"


@pytest.mark.parametrize(("language", "vip_words"), [("zh", "尊敬的VIP会员李娜"), ("en", "Dear 李娜")])
def test_vip_wording(language: str, vip_words: str) -> None:
    reply = render_reply("apology_remedy", language, ctx(tier="vip"))
    assert reply.text.startswith(vip_words)
    assert "vip" in keys(reply)
    assert "vip" not in keys(render_reply("apology_remedy", language, FULL))


# ------------------------------------------------------------------ strategies and reasons as words


@pytest.mark.parametrize(
    ("code", "changes", "zh", "en"),
    [
        ("replace", {"reasons": ("quality_defect",)}, "为您补发一件全新的切尔西靴", "send you a brand-new 切尔西靴"),
        ("replace", {"reasons": ("missing_parts",)}, "为您补发缺少的配件", "send you the missing parts"),
        ("replace", {"reasons": ("size_fit",)}, "换一件合适尺码的切尔西靴", "for the right size"),
        ("refund", {}, "在今天18:00前为您办理订单O0001234的退款", "refund for order O0001234 by 18:00 today"),
        ("compensation", {}, "在50元以内的补偿", "compensation of up to ¥50"),
        ("compensation", {"compensation_limit": None}, "适当的补偿", "appropriate compensation"),
        (
            "callback",
            {},
            "专人小周在今天11:00前给您回电",
            "小周, who is dedicated to your case, will call you by 11:00",
        ),
        ("callback", {"agent_name": None, "first_response_due": None}, "专人尽快给您回电", "call you as soon as"),
        ("expedite", {}, "加急", "marked urgent"),
        ("explain", {}, "每一步进度", "explain each step"),
        ("reassure", {}, "请您放心", "Rest assured"),
        ("thank", {}, "感谢您的耐心与理解", "Thank you for your patience"),
        ("apologise", {}, "我们深感抱歉", "We apologise"),
    ],
)
def test_each_strategy_becomes_a_concrete_sentence(code: str, changes: dict[str, object], zh: str, en: str) -> None:
    c = ctx(strategy=(code,), emotion="neutral", **changes)
    for language, expected in (("zh", zh), ("en", en)):
        reply = render_reply("generic", language, c)
        assert expected in reply.text, reply.text
        part = next(p for p in reply.parts if p.key == f"strategy:{code}")
        assert part.inputs["strategy"] == code


def test_strategy_codes_cover_the_default_policy() -> None:
    for code in STRATEGY_CODES:
        assert render_reply("generic", "zh", ctx(strategy=(code,))).notes == ()


def test_unknown_strategy_is_reported_not_rendered() -> None:
    reply = render_reply("generic", "zh", ctx(strategy=("refund", "gift_wrap")))
    assert reply.notes == ("no sentence for strategy 'gift_wrap'",)
    assert "gift_wrap" not in reply.text


@pytest.mark.parametrize(
    ("language", "reasons", "words"),
    [
        ("zh", ("size_fit", "logistics_delay"), "尺码不合适和物流延迟"),
        ("zh", ("quality_defect", "service_attitude", "wrong_item"), "质量问题、对客服服务态度的不满和发错货"),
        ("en", ("size_fit", "logistics_delay"), "size problem and delivery delay"),
        ("en", ("damaged_in_transit",), "damage in transit"),
    ],
)
def test_reasons_are_mentioned_in_words_not_codes(language: str, reasons: tuple[str, ...], words: str) -> None:
    reply = render_reply("generic", language, ctx(reasons=reasons))
    assert words in reply.text
    assert not any(code in reply.text for code in reasons)
    assert next(p for p in reply.parts if p.key == "reasons").inputs["reasons"] == ",".join(reasons)


def test_other_reason_is_not_repeated_to_the_customer() -> None:
    reply = render_reply("generic", "zh", ctx(reasons=("other",)))
    assert "reasons" not in keys(reply) and "其他" not in reply.text


# ------------------------------------------------------------------ the other emotions


@pytest.mark.parametrize(
    ("language", "calm", "date"),
    [
        ("zh", "请您放心", "我们会在今天11:00前联系您确认处理方案，并在今天18:00前处理完毕"),
        (
            "en",
            "Rest assured",
            "contact you by 11:00 today to confirm the solution and have it completed by 18:00 today",
        ),
    ],
)
def test_anxiety_reassures_and_gives_next_step_with_date(language: str, calm: str, date: str) -> None:
    reply = render_reply("auto", language, ctx(emotion="anxiety", strategy=("reassure",)))
    assert reply.template == "reassure_next_step"
    assert keys(reply)[1] == "reassurance" and calm in reply.parts[1].text
    assert date in reply.text


def test_due_dates_further_out_name_the_day() -> None:
    c = ctx(emotion="anxiety", resolution_due=dt.datetime(2025, 6, 6, 18, 0), first_response_due=None)
    assert "6月6日（周五）18:00前" in render_reply("auto", "zh", c).text
    assert "by 18:00 on Fri 6 Jun" in render_reply("auto", "en", c).text
    tomorrow = ctx(emotion="anxiety", first_response_due=NOW + dt.timedelta(days=1))
    assert "明天10:00前" in render_reply("auto", "zh", tomorrow).text


@pytest.mark.parametrize(
    ("language", "empathy", "offer"),
    [("zh", "让您失望了", "换新或退款由您选择"), ("en", "let you down", "choose a replacement or a refund")],
)
def test_disappointment_gets_empathy_and_recovery_offer(language: str, empathy: str, offer: str) -> None:
    reply = render_reply("auto", language, ctx(emotion="disappointment", strategy=()))
    assert reply.template == "empathy_recovery"
    assert empathy in reply.text and offer in reply.text


@pytest.mark.parametrize(
    ("language", "thanks"), [("zh", "感谢您的认可与支持"), ("en", "Thank you for your kind words")]
)
def test_positive_gets_thanks(language: str, thanks: str) -> None:
    reply = render_reply("auto", language, ctx(emotion="satisfaction", reasons=(), strategy=("thank",)))
    assert reply.template == "thanks" and thanks in reply.text and reply.notes == ()


@pytest.mark.parametrize(("language", "hello"), [("zh", "亲，您好！"), ("en", "Hi there,")])
def test_missing_name_gets_polite_generic_address(language: str, hello: str) -> None:
    reply = render_reply("generic", language, BARE)
    assert reply.text.startswith(hello)


# ------------------------------------------------------------------ never a placeholder, never "None"

GRID = list(
    itertools.product(
        REPLY_TEMPLATES,
        ("zh", "en"),
        (None, "王芳"),
        ("regular", "vip"),
        (None, "O9"),
        (None, "蓝牙耳机"),
        ((), ("other",), ("price", "counterfeit")),
        (1, 3),
        ((), ("refund", "compensation", "callback"), ("replace", "thank", "reassure")),
    )
)


@pytest.mark.parametrize("template", REPLY_TEMPLATES)
def test_no_placeholder_or_none_over_a_grid_of_contexts(template: str) -> None:
    emotions = Emotion.codes()
    for i, (_, language, name, tier, order, product, reasons, intensity, strategy) in enumerate(
        g for g in GRID if g[0] == template
    ):
        due = NOW.replace(hour=17) if i % 2 else None  # alternate, rather than multiply, to keep the grid fast
        c = ReplyContext(
            customer_name=name,
            tier=tier,
            order_id=order,
            product_name=product,
            reasons=reasons,
            emotion=emotions[i % len(emotions)],
            intensity=intensity,
            stage=("none", "formal_complaint")[i % 3 == 0],
            strategy=strategy,
            resolution_due=due,
            first_response_due=due,
            compensation_limit=(None, 20.0)[i % 5 == 0],
            now=NOW,
        )
        text = render_reply(template, language, c).text
        assert not any(bad in text for bad in LEFTOVERS), text
        assert text == text.strip() and "\n\n" not in text


def test_blank_strings_count_as_missing() -> None:
    reply = render_reply(
        "generic", "zh", ReplyContext(customer_name="  ", order_id="", product_name=" ", reasons=("price",))
    )
    assert reply.text.startswith("亲，您好！") and "订单" not in reply.text and "「" not in reply.text


# ------------------------------------------------------------------ errors and user templates


def test_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInputError) as err:
        render_reply("poem", "zh", FULL)
    assert err.value.code == "E400_invalid_input"
    for name in ("auto", *REPLY_TEMPLATES):
        assert name in err.value.message


@pytest.mark.parametrize(
    "bad",
    [{"emotion": "rage"}, {"reasons": ("size",)}, {"stage": "angry"}, {"intensity": 4}, {"tier": "gold"}],
)
def test_codes_outside_the_vocabulary_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        render_reply("generic", "zh", ctx(**bad))


def test_unknown_language_is_rejected_and_other_gets_english() -> None:
    with pytest.raises(InvalidInputError):
        render_reply("generic", "fr", FULL)
    assert render_reply("generic", "other", FULL).language == "en"
    assert render_reply("generic", "zh-CN", FULL).language == "zh-CN"


def test_user_folder_overrides_and_adds_templates(tmp_path: Path) -> None:
    (tmp_path / "reply_generic.zh-CN.j2").write_text(
        '{% import "_macros.zh-CN.j2" as m with context %}\n{{ m.greeting() }}\n'
        '{% filter part("custom", "case_id") %}自定义：工单{{ case_id }}{% endfilter %}\n',
        encoding="utf-8",
    )
    for locale in ("zh-CN", "en"):
        (tmp_path / f"reply_short.{locale}.j2").write_text("{{ 'OK' }}\n", encoding="utf-8")
    renderer = ReplyRenderer(template_dir=tmp_path)
    assert "short" in renderer.reply_templates()
    reply = renderer.render_reply("generic", "zh", FULL)
    assert reply.text == "李娜，您好！\n自定义：工单CASE-42"
    assert reply.parts[-1].inputs == {"case_id": "CASE-42"}
    assert renderer.render_reply("generic", "en", FULL).text.startswith("Hi 李娜,")  # package still serves en
    assert renderer.render_reply("short", "en", FULL).text == "OK"


def test_template_that_prints_none_fails_loudly(tmp_path: Path) -> None:
    for locale in ("zh-CN", "en"):
        (tmp_path / f"reply_broken.{locale}.j2").write_text("{{ name }}\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="printed None"):
        ReplyRenderer(template_dir=tmp_path).render_reply("broken", "zh", BARE)
    with pytest.raises(InvalidInputError):
        ReplyRenderer(template_dir=tmp_path / "missing")


def test_from_decision_takes_strategy_and_limit() -> None:
    from aftersales.policy.context import Decision

    decision = Decision(
        policy_version="t",
        priority="P1",
        queue="complaints",
        strategy=["apologise", "refund"],
        compensation_limit=30.0,
        sla_first_response_minutes=30,
        sla_resolution_minutes=240,
        reply_template="apology_remedy",
    )
    c = ReplyContext.from_decision(decision, emotion="anger", reasons=(Reason.PRICE.value,))
    assert c.strategy == ("apologise", "refund") and c.compensation_limit == 30.0


# ------------------------------------------------------------------ notifications


@pytest.mark.parametrize(
    ("event", "language", "subject", "body"),
    [
        ("return_received", "zh", "我们已收到您寄回的商品（订单O0001234）", "「切尔西靴」已由仓库签收（退货单R77）"),
        (
            "return_received",
            "en",
            "We have received your return (order O0001234)",
            "received your 切尔西靴 (return R77)",
        ),
        ("refund_issued", "zh", "【退款通知】128.50元已原路退回", "订单O0001234的退款128.50元已原路退回"),
        ("refund_issued", "en", "Your refund of ¥128.50 is on its way", "We have refunded ¥128.50 for order O0001234"),
        ("replacement_shipped", "zh", "您的「切尔西靴」已发出", "物流：顺丰，运单号SF100"),
        ("replacement_shipped", "en", "Your replacement 切尔西靴 has shipped", "Carrier: 顺丰, tracking number SF100"),
        ("case_escalated", "zh", "您的问题已升级处理（工单CASE-42）", "由小周专人负责"),
        ("case_escalated", "en", "Your case has been escalated (CASE-42)", "小周 personally owns it"),
        ("sla_breach", "zh", "工单CASE-42已超出处理时限", "已超出时限35分钟"),
        ("sla_breach", "en", "SLA breach: case CASE-42 is overdue", "by 35 minutes"),
        ("followup_survey", "zh", "邀请您评价本次售后服务", "（1-5分，5分为非常满意）"),
        ("followup_survey", "en", "How did we do?", "(1–5, 5 = very satisfied)"),
    ],
)
def test_notifications_have_subject_and_body(event: str, language: str, subject: str, body: str) -> None:
    extra = {"amount": 128.5, "carrier": "顺丰", "tracking_no": "SF100", "return_id": "R77", "minutes_over": 35}
    got_subject, got_body = render_notification(event, language, FULL, survey_url="https://s.example/x", **extra)
    assert subject in got_subject and "\n" not in got_subject
    assert body in got_body


@pytest.mark.parametrize("language", ["zh", "en"])
def test_survey_asks_csat_and_nps_with_link(language: str) -> None:
    _, body = render_notification("followup_survey", language, FULL, survey_url="https://s.example/abc")
    assert "https://s.example/abc" in body
    assert ("0-10" in body) if language == "zh" else ("0–10" in body)
    with pytest.raises(InvalidInputError, match="survey_url"):
        render_notification("followup_survey", language, FULL)


@pytest.mark.parametrize(("event", "language"), list(itertools.product(NOTIFICATION_EVENTS, ("zh", "en"))))
def test_notifications_with_bare_context_have_no_placeholders(event: str, language: str) -> None:
    subject, body = render_notification(event, language, BARE, survey_url="https://s.example/1")
    for text in (subject, body):
        assert text and not any(bad in text for bad in LEFTOVERS), text


def test_unknown_notification_lists_known_events() -> None:
    with pytest.raises(InvalidInputError) as err:
        render_notification("party", "zh", FULL)
    assert all(event in err.value.message for event in NOTIFICATION_EVENTS)
