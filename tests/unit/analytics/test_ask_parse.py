"""The question parser: ≥40 Chinese and English questions → structured queries, and the unanswerable ones refused."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from aftersales.analytics.ask import Query, Refusal, Vocabulary, build_vocabulary, parse_question
from aftersales.analytics.ask.metric import METRIC_SYNONYMS
from aftersales.analytics.kpis import KPIS
from aftersales.policy.schema import DEFAULT_QUEUES

D = dt.date
TODAY = D(2026, 11, 5)
OCT = (D(2026, 10, 1), D(2026, 10, 31))
Q3 = (D(2026, 7, 1), D(2026, 9, 30))


@pytest.fixture(scope="module")
def vocabulary() -> Vocabulary:
    """Values shaped like the demo store's (orders' shop channels and cases' contact channels share `channel`)."""
    return build_vocabulary(
        {
            "region": ["华东", "华南", "华北", "华中", "西南", "西北", "东北", None],
            "category": ["服装", "鞋靴", "美妆", "家居", "小家电", "手机配件", "母婴"],
            "sku": ["AP-301", "HA-101"],
            "channel": ["天猫旗舰店", "京东自营", "抖音小店", "微信小程序", "官网", "chat", "phone", "email"],
            "queue": [code for code, _zh, _en in DEFAULT_QUEUES],
            "reason": ["quality_defect", "logistics_delay", "size_fit", "wrong_item", "none"],
            "tier": ["regular", "vip"],
        },
        {"AP-301": "云裳 纯棉圆领短袖T恤", "HA-101": "栖木 多功能破壁料理机 PB-200"},
        {code: (zh, en) for code, zh, en in DEFAULT_QUEUES},
    )


# question, metrics, by, filters, (start, end), granularity, (order, limit) | None, compare
ANSWERABLE: list[tuple[str, list[str], str | None, dict[str, list[str]], Any, str | None, Any, str | None]] = [
    ("上个月华东地区退货率最高的品类是什么？", ["return_rate"], "category", {"region": ["华东"]}, OCT, None,
     ("desc", 1), None),
    ("近30天退货率", ["return_rate"], None, {}, (D(2026, 10, 6), D(2026, 11, 4)), None, None, None),
    ("去年双11各渠道的退货率", ["return_rate"], "channel", {}, (D(2025, 10, 20), D(2025, 11, 11)), None, None, None),
    ("Q3投诉量最多的3个地区", ["complaint_volume"], "region", {}, Q3, None, ("desc", 3), None),
    ("本周的首响时长", ["first_response_minutes"], None, {}, (D(2026, 11, 2), TODAY), None, None, None),
    ("last quarter return rate by region", ["return_rate"], "region", {}, Q3, None, None, None),
    ("Which category had the highest return rate in October 2026?", ["return_rate"], "category", {}, OCT, None,
     ("desc", 1), None),
    ("今年每月的退货率", ["return_rate"], None, {}, (D(2026, 1, 1), TODAY), "month", None, None),
    ("上个月退货率同比", ["return_rate"], None, {}, OCT, None, None, "year_ago"),
    ("本月退货率环比", ["return_rate"], None, {}, (D(2026, 11, 1), TODAY), None, None, "previous"),
    ("华东和华南上个月的换货率", ["exchange_rate"], "region", {"region": ["华东", "华南"]}, OCT, None, None, None),
    ("VIP客户上个月的满意度", ["csat"], None, {"tier": ["vip"]}, OCT, None, None, None),
    ("上个月首响时长中位数", ["first_response_minutes_p50"], None, {}, OCT, None, None, None),
    ("p90 resolution time last week", ["resolution_hours_p90"], None, {}, (D(2026, 10, 26), D(2026, 11, 1)), None,
     None, None),
    ("上个月物流延迟导致的投诉量", ["complaint_volume"], None, {"reason": ["logistics_delay"]}, OCT, None, None, None),
    ("VIP专席上个月的首次响应时长", ["first_response_minutes"], None, {"queue": ["vip"]}, OCT, None, None, None),
    ("top 3 categories by refund amount last month", ["refund_amount"], "category", {}, OCT, None, ("desc", 3), None),
    ("退款金额最低的渠道", ["refund_amount"], "channel", {}, OCT, None, ("asc", 1), None),
    ("上个月各队列的SLA达成率", ["sla_compliance"], "queue", {}, OCT, None, None, None),
    ("上个月升级率最高的原因", ["escalation_rate"], "reason", {}, OCT, None, ("desc", 1), None),
    ("2026年第三季度各会员等级的NPS", ["nps"], "tier", {}, Q3, None, None, None),
    ("去年的客户流失率", ["churn_rate"], None, {}, (D(2025, 1, 1), D(2025, 12, 31)), None, None, None),
    ("今年618天猫的退货率", ["return_rate"], None, {"channel": ["天猫旗舰店"]}, (D(2026, 5, 31), D(2026, 6, 18)),
     None, None, None),
    ("服装品类10月的换货率", ["exchange_rate"], None, {"category": ["服装"]}, OCT, None, None, None),
    ("AP-301 上个月退货率", ["return_rate"], None, {"sku": ["AP-301"]}, OCT, None, None, None),
    ("近7天负面情绪占比", ["negative_share"], None, {}, (D(2026, 10, 29), D(2026, 11, 4)), None, None, None),
    ("上个月情绪修复率", ["emotion_recovery_rate"], None, {}, OCT, None, None, None),
    ("上个月一次解决率最低的队列", ["first_contact_resolution"], "queue", {}, OCT, None, ("asc", 1), None),
    ("上个月的退货后复购率", ["repurchase_rate"], None, {}, OCT, None, None, None),
    ("投诉率排名前五的品类", ["complaint_rate"], "category", {}, OCT, None, ("desc", 5), None),
    ("上个月重开率和升级率", ["reopen_rate", "escalation_rate"], None, {}, OCT, None, None, None),
    ("哪个月退款金额最高", ["refund_amount"], None, {}, (D(2026, 5, 1), D(2026, 10, 31)), "month", ("desc", 1), None),
    ("近3个月每周的投诉量", ["complaint_volume"], None, {}, (D(2026, 8, 5), D(2026, 11, 4)), "week", None, None),
    ("CSAT of VIP customers in Q3 2026", ["csat"], None, {"tier": ["vip"]}, Q3, None, None, None),
    ("complaint volume in East China last month", ["complaint_volume"], None, {"region": ["华东"]}, OCT, None, None,
     None),
    ("median first response time by queue last month", ["first_response_minutes_p50"], "queue", {}, OCT, None, None,
     None),
    ("which channel had the worst SLA compliance last month?", ["sla_compliance"], "channel", {}, OCT, None,
     ("asc", 1), None),
    ("best CSAT by region in 2025", ["csat"], "region", {}, (D(2025, 1, 1), D(2025, 12, 31)), None, ("desc", 1),
     None),
    ("worst return rate by category this year", ["return_rate"], "category", {}, (D(2026, 1, 1), TODAY), None,
     ("desc", 1), None),
    ("bottom 3 skus by return rate last month", ["return_rate"], "sku", {}, OCT, None, ("asc", 3), None),
    ("monthly churn rate this year", ["churn_rate"], None, {}, (D(2026, 1, 1), TODAY), "month", None, None),
    ("return rate for apparel year over year last month", ["return_rate"], None, {"category": ["服装"]}, OCT, None,
     None, "year_ago"),
    ("refund amount by reason during Double 11 2025", ["refund_amount"], "reason", {}, (D(2025, 10, 20),
     D(2025, 11, 11)), None, None, None),
    ("escalation rate in phone channel last week", ["escalation_rate"], None, {"channel": ["phone"]},
     (D(2026, 10, 26), D(2026, 11, 1)), None, None, None),
    ("退货率趋势", ["return_rate"], None, {}, (D(2026, 5, 1), D(2026, 10, 31)), "month", None, None),
    ("上个月退货率", ["return_rate"], None, {}, OCT, None, None, None),
    ("return_rate by tier in 2026-09", ["return_rate"], "tier", {}, (D(2026, 9, 1), D(2026, 9, 30)), None, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "metrics", "by", "filters", "window", "granularity", "ranking", "compare"),
    ANSWERABLE,
    ids=[row[0] for row in ANSWERABLE],
)
def test_questions_become_structured_queries(
    vocabulary: Vocabulary,
    question: str,
    metrics: list[str],
    by: str | None,
    filters: dict[str, list[str]],
    window: tuple[dt.date, dt.date],
    granularity: str | None,
    ranking: tuple[str, int] | None,
    compare: str | None,
) -> None:
    query = parse_question(question, today=TODAY, vocabulary=vocabulary)
    assert isinstance(query, Query), query
    assert query.metrics == metrics
    assert query.by == by
    assert query.filters == filters
    assert (query.time.start, query.time.end) == window
    assert query.granularity == granularity
    assert (None if query.ranking is None else (query.ranking.order, query.ranking.limit)) == ranking
    assert query.compare == compare
    assert query.language == ("en" if question.isascii() else "zh")


UNANSWERABLE: list[tuple[str, str]] = [
    ("", "empty"),
    ("今天天气怎么样？", "no_metric"),
    ("who is our best agent?", "no_metric"),
    ("上个月华东的销售额是多少", "unsupported_metric"),
    ("上个月退货量是多少", "unsupported_metric"),
    ("GMV by region last month", "unsupported_metric"),
    ("profit margin last quarter", "unsupported_metric"),
    ("下个月的退货率", "future"),
    ("return rate next week", "future"),
    ("为什么上个月退货率上升了？", "why"),
    ("why did complaints go up last month?", "why"),
    ("各地区各品类的退货率", "too_many_dimensions"),
    ("按队列看上个月退货率", "unsupported_dimension"),
    ("CSAT by category last month", "unsupported_dimension"),
    ("华东地区NPS最高的渠道", "unsupported_dimension"),
    ("上个月退货率最高", "ranking_needs_dimension"),
    ("今年和去年的退货率", "ambiguous_time"),
]


@pytest.mark.parametrize(("question", "reason"), UNANSWERABLE, ids=[row[0] or "empty" for row in UNANSWERABLE])
def test_unanswerable_questions_are_refused_with_answerable_suggestions(
    vocabulary: Vocabulary, question: str, reason: str
) -> None:
    refusal = parse_question(question, today=TODAY, vocabulary=vocabulary)
    assert isinstance(refusal, Refusal), refusal
    assert refusal.reason == reason
    assert refusal.message.startswith(("无法回答", "Cannot answer"))
    assert 1 <= len(refusal.suggestions) <= 3
    for suggestion in refusal.suggestions:
        assert isinstance(parse_question(suggestion, today=TODAY, vocabulary=vocabulary), Query), suggestion


def test_close_suggestions_name_the_nearest_metric(vocabulary: Vocabulary) -> None:
    refusal = parse_question("上个月退货量是多少", today=TODAY, vocabulary=vocabulary)
    assert isinstance(refusal, Refusal)
    assert refusal.suggestions[0] == "上个月退货率是多少？"


def test_a_metric_missing_from_the_registry_is_refused_not_guessed(vocabulary: Vocabulary) -> None:
    registry = {name: kpi for name, kpi in KPIS.items() if name != "churn_rate"}
    refusal = parse_question("去年的客户流失率", today=TODAY, vocabulary=vocabulary, kpis=registry)
    assert isinstance(refusal, Refusal) and refusal.reason == "unavailable_metric"


def test_every_registry_kpi_has_chinese_and_english_synonyms() -> None:
    for name in KPIS:
        words = (*METRIC_SYNONYMS.get(name, ()), name.replace("_", " "))
        assert any(not w.isascii() for w in words) or name.endswith(("_p50", "_p90")), name
        assert any(w.isascii() for w in words), name


@pytest.mark.parametrize("name", sorted(KPIS))
def test_each_kpi_display_name_reads_back_as_that_kpi(vocabulary: Vocabulary, name: str) -> None:
    for locale in ("zh-CN", "en"):
        question = f"{KPIS[name].label(locale)} 2026-09"
        query = parse_question(question, today=TODAY, vocabulary=vocabulary)
        assert isinstance(query, Query) and query.metrics == [name], (question, query)
