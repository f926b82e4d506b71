"""`aftersales ask` end to end on the demo: every answer checked against compute_kpis (or pandas) directly.

Expected values are computed here from hand-written windows and dimensions, never through the ask code path:
`compute_kpis` for everything it can answer, and pandas over the raw tables for filters on one dimension with a
breakdown by another (which compute_kpis has no argument for).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aftersales.api import create_app
from aftersales.cli.main import app
from aftersales.config import Settings
from aftersales.services.ask import ask
from aftersales.services.kpi import compute_kpis
from aftersales.services.users import create_user
from aftersales.storage import db
from tests.conftest import DemoHome

D = dt.date
TODAY = D(2026, 11, 5)  # the demo ends 2026-10-31, so 上个月 / last month is October 2026
OCT = (D(2026, 10, 1), D(2026, 10, 31))
Q3 = (D(2026, 7, 1), D(2026, 9, 30))
LAST_WEEK = (D(2026, 10, 26), D(2026, 11, 1))
MAY_TO_OCT = [(f"2026-{m:02d}", D(2026, m, 1), D(2026, m + 1, 1) - dt.timedelta(days=1)) for m in range(5, 11)]
Pairs = list[tuple[Any, float | None]]
Expect = Callable[[Settings], Pairs]


def kpis(settings: Settings, name: str, by: str | None, window: tuple[dt.date, dt.date]) -> list[dict[str, Any]]:
    return compute_kpis(settings, name, by, start=window[0], end=window[1], today=TODAY)


def value(name: str, window: tuple[dt.date, dt.date]) -> Expect:
    return lambda s: [(None, kpis(s, name, None, window)[0]["value"])]


def pick(name: str, dim: str, codes: list[str], window: tuple[dt.date, dt.date]) -> Expect:
    """The value(s) of the named dimension values, from compute_kpis broken down by that dimension."""
    return lambda s: [(r[dim], r["value"]) for r in kpis(s, name, dim, window) if r[dim] in codes]


def every(name: str, by: str, window: tuple[dt.date, dt.date]) -> Expect:
    return lambda s: [(r[by], r["value"]) for r in kpis(s, name, by, window)]


def ranked(name: str, by: str, window: tuple[dt.date, dt.date], order: str, n: int) -> Expect:
    def expect(s: Settings) -> Pairs:
        rows = [r for r in kpis(s, name, by, window) if r["value"] is not None]
        rows.sort(key=lambda r: r["value"], reverse=order == "desc")
        return [(r[by], r["value"]) for r in rows[:n]]

    return expect


def months(name: str, spans: list[tuple[str, dt.date, dt.date]], top: int | None = None) -> Expect:
    def expect(s: Settings) -> Pairs:
        pairs = [(label, kpis(s, name, None, (a, b))[0]["value"]) for label, a, b in spans]
        if top:
            pairs = sorted((p for p in pairs if p[1] is not None), key=lambda p: -float(p[1] or 0))[:top]
        return pairs

    return expect


def _utc(window: tuple[dt.date, dt.date]) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Local Asia/Shanghai dates → the naive UTC bounds the store keeps (UTC+8, no daylight saving)."""
    return pd.Timestamp(window[0]) - pd.Timedelta(hours=8), pd.Timestamp(window[1]) + pd.Timedelta(hours=16)


def _table(settings: Settings, name: str) -> pd.DataFrame:
    with db.get_engine(settings).connect() as conn:
        frame = pd.read_sql_table(name, conn)
    return frame


def _within(frame: pd.DataFrame, col: str, window: tuple[dt.date, dt.date]) -> pd.DataFrame:
    lo, hi = _utc(window)
    stamps = pd.to_datetime(frame[col])
    return frame[(stamps >= lo) & (stamps < hi)]


def east_return_rate_by_category(settings: Settings) -> Pairs:
    """上个月华东 returns / orders per category, straight from the tables; the highest one."""
    orders, returns = _table(settings, "orders"), _table(settings, "returns")
    east = orders[orders["region"] == "华东"]
    placed = _within(east, "ordered_at", OCT).groupby("category").size()
    requested = _within(returns, "requested_at", OCT).merge(east, on="order_id", suffixes=("", "_o"))
    rate = (requested.groupby("category").size() / placed).dropna()
    return [(rate.idxmax(), float(rate.max()))]


def south_complaints_by_channel(settings: Settings) -> Pairs:
    cases, customers = _table(settings, "cases"), _table(settings, "customers")
    opened = _within(cases, "opened_at", OCT).merge(customers[["customer_id", "region"]], on="customer_id")
    counts = opened[opened["region"] == "华南"].groupby("channel").size()
    return [(k, float(v)) for k, v in counts.sort_index().items()]


def vip_refunds_top_category(settings: Settings) -> Pairs:
    orders, returns, customers = (_table(settings, t) for t in ("orders", "returns", "customers"))
    rows = _within(returns, "requested_at", OCT).merge(orders, on="order_id", suffixes=("", "_o"))
    rows = rows.merge(customers[["customer_id", "tier"]], left_on="customer_id_o", right_on="customer_id",
                      suffixes=("", "_c"))  # fmt: skip
    total = rows[rows["tier"] == "vip"].groupby("category")["refund_amount"].sum()
    return [(total.idxmax(), float(total.max()))]


def east_median_first_response_top_category(settings: Settings) -> Pairs:
    """上个月华东 median minutes to the first response per category of the case's order; the highest one."""
    cases, customers, orders = (_table(settings, t) for t in ("cases", "customers", "orders"))
    opened = _within(cases, "opened_at", OCT)
    opened = opened[opened["first_response_at"].notna()].merge(customers[["customer_id", "region"]], on="customer_id")
    opened = opened.merge(orders[["order_id", "category"]], on="order_id")
    east = opened[opened["region"] == "华东"]
    minutes = (east["first_response_at"] - east["opened_at"]).dt.total_seconds() / 60
    median = minutes.groupby(east["category"]).median()
    return [(median.idxmax(), float(median.max()))]


def yoy(name: str, window: tuple[dt.date, dt.date], before: tuple[dt.date, dt.date]) -> Expect:
    return lambda s: [
        (None, kpis(s, name, None, window)[0]["value"]),
        ("year_ago", kpis(s, name, None, before)[0]["value"]),
    ]


CASES: list[tuple[str, Expect]] = [
    ("上个月退货率是多少？", value("return_rate", OCT)),
    ("last month's complaint volume", value("complaint_volume", OCT)),
    ("上个月华东地区的退货率", pick("return_rate", "region", ["华东"], OCT)),
    ("上个月退货率最高的地区", ranked("return_rate", "region", OCT, "desc", 1)),
    ("Q3投诉量最多的3个地区", ranked("complaint_volume", "region", Q3, "desc", 3)),
    ("近30天退货率", value("return_rate", (D(2026, 10, 6), D(2026, 11, 4)))),
    ("去年双11各渠道的退货率", every("return_rate", "channel", (D(2025, 10, 20), D(2025, 11, 11)))),
    ("Which category had the highest return rate in October 2026?", ranked("return_rate", "category", OCT, "desc", 1)),
    ("2026年第三季度各会员等级的NPS", every("nps", "tier", Q3)),
    ("上个月各队列的SLA达成率", every("sla_compliance", "queue", OCT)),
    ("上个月升级率最高的原因", ranked("escalation_rate", "reason", OCT, "desc", 1)),
    ("上个月首响时长中位数", value("first_response_minutes_p50", OCT)),
    ("p90 resolution time in September 2026", value("resolution_hours_p90", (D(2026, 9, 1), D(2026, 9, 30)))),
    ("VIP客户上个月的满意度", pick("csat", "tier", ["vip"], OCT)),
    ("上个月物流延迟导致的投诉量", pick("complaint_volume", "reason", ["logistics_delay"], OCT)),
    ("top 3 categories by refund amount last month", ranked("refund_amount", "category", OCT, "desc", 3)),
    ("退款金额最低的渠道", ranked("refund_amount", "channel", OCT, "asc", 1)),
    ("今年618天猫的退货率", pick("return_rate", "channel", ["天猫旗舰店"], (D(2026, 5, 31), D(2026, 6, 18)))),
    ("服装品类10月的换货率", pick("exchange_rate", "category", ["服装"], OCT)),
    ("AP-301 上个月退货率", pick("return_rate", "sku", ["AP-301"], OCT)),
    ("上个月负面情绪占比", value("negative_share", OCT)),
    ("上个月情绪修复率", value("emotion_recovery_rate", OCT)),
    ("上个月一次解决率最低的队列", ranked("first_contact_resolution", "queue", OCT, "asc", 1)),
    ("投诉率排名前五的品类", ranked("complaint_rate", "category", OCT, "desc", 5)),
    ("bottom 3 skus by return rate last month", ranked("return_rate", "sku", OCT, "asc", 3)),
    ("best CSAT by region in 2025", ranked("csat", "region", (D(2025, 1, 1), D(2025, 12, 31)), "desc", 1)),
    ("worst return rate by category this year", ranked("return_rate", "category", (D(2026, 1, 1), TODAY), "desc", 1)),
    ("which channel had the worst SLA compliance last month?", ranked("sla_compliance", "channel", OCT, "asc", 1)),
    ("complaint volume in East China last month", pick("complaint_volume", "region", ["华东"], OCT)),
    ("escalation rate in phone channel last week", pick("escalation_rate", "channel", ["phone"], LAST_WEEK)),
    ("monthly return rate in Q3 2026", months("return_rate", [("2026-07", D(2026, 7, 1), D(2026, 7, 31)),
                                                              ("2026-08", D(2026, 8, 1), D(2026, 8, 31)),
                                                              ("2026-09", D(2026, 9, 1), D(2026, 9, 30))])),
    ("哪个月退款金额最高", months("refund_amount", MAY_TO_OCT, top=1)),
    ("上个月退货率同比", yoy("return_rate", OCT, (D(2025, 10, 1), D(2025, 10, 31)))),
    ("华东和华南上个月的换货率", pick("exchange_rate", "region", ["华东", "华南"], OCT)),
    ("上个月的客户流失率", value("churn_rate", OCT)),
    ("2026年6月的复购率", value("repurchase_rate", (D(2026, 6, 1), D(2026, 6, 30)))),
    ("上周各地区首响时长", every("first_response_minutes", "region", LAST_WEEK)),
    ("10月1日至10月7日的退货率", value("return_rate", (D(2026, 10, 1), D(2026, 10, 7)))),
    ("return rate by tier in 2026-09", every("return_rate", "tier", (D(2026, 9, 1), D(2026, 9, 30)))),
    ("上个月华东地区退货率最高的品类是什么？", east_return_rate_by_category),
    ("10月华南地区各渠道的投诉量", south_complaints_by_channel),
    ("上个月VIP客户退款金额最高的品类", vip_refunds_top_category),
    ("上个月华东地区首响时长中位数最高的品类", east_median_first_response_top_category),
]  # fmt: skip


def _pairs(result_rows: list[dict[str, Any]], key: str | None) -> Pairs:
    """(row key, value) per result row, plus ("year_ago", value) for 同比 rows."""
    out: Pairs = []
    for row in result_rows:
        out.append((row.get(key) if key else None, row["value"]))
        if "year_ago" in row:
            out.append(("year_ago", row["year_ago"]))
    return out


@pytest.mark.parametrize(("question", "expect"), CASES, ids=[c[0] for c in CASES])
def test_answers_match_the_kpi_service(demo_home: DemoHome, question: str, expect: Expect) -> None:
    result = ask(demo_home.settings, question, today=TODAY)
    assert result.answered, result.answer
    query = result.query
    assert query is not None
    expected = expect(demo_home.settings)
    assert expected and any(v is not None for _k, v in expected), "each case must check a real number"
    # rows are keyed by period for time series, else by the breakdown, else by the one filtered value (if any)
    key = "period" if query.granularity else query.by or next(iter(query.filters), None)
    got = _pairs(result.rows, key)
    if query.ranking is not None:
        assert [k for k, _v in got] == [k for k, _v in expected]
    assert {str(k): v for k, v in got} == pytest.approx({str(k): v for k, v in expected})
    assert len(got) == len(expected)
    assert result.answer and "无法回答" not in result.answer


REFUSED = ["上个月华东的销售额是多少", "下个月的退货率", "为什么上个月退货率上升了？", "CSAT by category last month",
           "今天天气怎么样？", "各地区各品类的退货率"]  # fmt: skip


@pytest.mark.parametrize("question", REFUSED)
def test_unanswerable_questions_get_suggestions_that_answer(demo_home: DemoHome, question: str) -> None:
    result = ask(demo_home.settings, question, today=TODAY)
    assert not result.answered and result.cannot_answer is not None
    assert result.rows == []
    assert 1 <= len(result.cannot_answer.suggestions) <= 3
    for suggestion in result.cannot_answer.suggestions:
        assert ask(demo_home.settings, suggestion, today=TODAY).answered, suggestion


def test_cli_prints_the_json_contract_and_exits_1_on_refusal(demo_home: DemoHome) -> None:
    runner = CliRunner()
    home = str(demo_home.settings.home)
    out = runner.invoke(app, ["ask", "上个月退货率最高的品类", "--json", "--today", "2026-11-05", "--home", home])
    assert out.exit_code == 0, out.output
    body = json.loads(out.stdout)
    assert body["answered"] is True and body["query"]["by"] == "category"
    assert set(body) >= {"question", "answered", "answer", "language", "query", "rows", "cannot_answer"}
    best = ranked("return_rate", "category", OCT, "desc", 1)(demo_home.settings)
    assert body["rows"][0]["category"] == best[0][0]
    plain = runner.invoke(app, ["ask", "return rate by region last month", "--today", "2026-11-05", "--home", home])
    assert plain.exit_code == 0 and "query:" in plain.stdout
    refused = runner.invoke(app, ["ask", "上个月的销售额", "--today", "2026-11-05", "--home", home])
    assert refused.exit_code == 1 and "无法回答" in refused.stdout


def test_api_answers_managers_with_the_same_json(demo_home: DemoHome) -> None:
    key = create_user("asker", "manager", settings=demo_home.settings)["api_key"]
    client = TestClient(create_app(demo_home.settings))
    body = {"question": "last month return rate by channel", "today": "2026-11-05"}
    assert client.post("/api/v1/ask", json=body).status_code == 401
    res = client.post("/api/v1/ask", json=body, headers={"Authorization": f"Bearer {key}"})
    assert res.status_code == 200, res.text
    data = res.json()
    assert data["answered"] and data["language"] == "en" and data["query"]["by"] == "channel"
    expected = every("return_rate", "channel", OCT)(demo_home.settings)
    assert {r["channel"]: r["value"] for r in data["rows"]} == pytest.approx(dict(expected))
    zh = client.post("/api/v1/ask", json=body | {"locale": "zh-CN"}, headers={"Authorization": f"Bearer {key}"})
    assert zh.json()["language"] == "zh" and "各渠道" in zh.json()["answer"]
    refused = client.post("/api/v1/ask", json={"question": "明年的退货率"}, headers={"Authorization": f"Bearer {key}"})
    assert refused.status_code == 200 and refused.json()["cannot_answer"]["reason"] == "future"
