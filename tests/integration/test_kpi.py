"""KPIs on a small hand-computed data set: values, n, previous window, trend, --by region, the CLI contract, errors.

Window: March 2024 in Asia/Shanghai (UTC+8); previous window: the 31 local days before (2024-01-30 .. 2024-02-29).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from aftersales.cli.main import app
from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.services.kpi import compute_kpis
from aftersales.storage import db
from aftersales.storage.tables import analyses, cases, customers, interactions, orders, returns, surveys

runner = CliRunner()
T = dt.datetime
MARCH = {"start": dt.date(2024, 3, 1), "end": dt.date(2024, 3, 31)}
EAST, NORTH = "华东", "华北"


def _analysis(iid: str, version: str, polarity: str) -> dict[str, Any]:
    return {
        "interaction_id": iid,
        "model_version": version,
        "polarity": polarity,
        "polarity_score": -0.7 if polarity == "negative" else 0.2,
        "emotion": "neutral",
        "emotion_scores": {},
        "intensity": 1,
        "stage": "none",
        "reasons": [],
        "reason_scores": {},
        "primary_reason": "none",
        "problem_type": "other",
        "evidence": [],
        "language": "zh",
    }


def _case(cid: str, cust: str, opened: T, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"case_id": cid, "customer_id": cust, "status": "new", "opened_at": opened, "queue": "q"}
    base |= {"first_response_at": None, "first_response_breached_at": None, "reopen_count": 0, "stage": "none"}
    base |= {"resolved_at": None, "polarity_open": None, "polarity_close": None}
    return base | kw


def _msg(iid: str, cust: str, at: T, author: str = "customer") -> dict[str, Any]:
    return {"interaction_id": iid, "customer_id": cust, "text": "…", "created_at": at, "author": author}


def seed(settings: Settings) -> None:
    """Two customers in two regions; current (March) and previous (February) activity."""
    with db.transaction(db.get_engine(settings)) as conn:
        conn.execute(
            insert(customers),
            [
                {"customer_id": "c1", "region": EAST, "tier": "vip"},
                {"customer_id": "c2", "region": NORTH, "tier": "regular"},
            ],
        )
        order = [
            ("o1", "c1", EAST, T(2024, 3, 5)),
            ("o2", "c1", EAST, T(2024, 3, 10)),
            ("o3", "c2", NORTH, T(2024, 3, 12)),
            ("o4", "c2", NORTH, T(2024, 2, 29, 17)),  # 2024-03-01 01:00 local: current window
            ("o5", "c1", EAST, T(2024, 2, 10)),
            ("o6", "c2", NORTH, T(2024, 2, 15)),
            ("o7", "c2", NORTH, T(2024, 2, 29, 15)),  # 2024-02-29 23:00 local: previous window
        ]
        conn.execute(
            insert(orders),
            [{"order_id": o, "customer_id": c, "region": r, "ordered_at": at, "sku": "S"} for o, c, r, at in order],
        )
        ret = [
            ("r1", "o1", "return", 100.0, T(2024, 3, 15)),
            ("r2", "o3", "exchange", None, T(2024, 3, 20)),
            ("r3", "o6", "return", 50.0, T(2024, 2, 20)),
        ]
        conn.execute(
            insert(returns),
            [
                {"return_id": r, "order_id": o, "type": t, "refund_amount": a, "requested_at": at}
                for r, o, t, a, at in ret
            ],
        )
        conn.execute(
            insert(cases),
            [
                _case("k1", "c1", T(2024, 3, 5, 2), first_response_at=T(2024, 3, 5, 2, 30)),
                _case(
                    "k2",
                    "c1",
                    T(2024, 3, 6),
                    first_response_at=T(2024, 3, 6, 1, 30),
                    first_response_breached_at=T(2024, 3, 6, 1),
                    reopen_count=1,
                    stage="formal_complaint",
                    polarity_open=-0.8,
                    polarity_close=0.1,
                    resolved_at=T(2024, 3, 8),
                ),
                _case(
                    "k3",
                    "c2",
                    T(2024, 3, 7),
                    stage="intent_to_complain",
                    polarity_open=-0.5,
                    polarity_close=-0.6,
                    resolved_at=T(2024, 3, 9),
                ),
                _case(
                    "k4",
                    "c2",
                    T(2024, 2, 10),
                    first_response_at=T(2024, 2, 10, 0, 10),
                    stage="latent",
                    polarity_open=-0.3,
                    polarity_close=0.0,
                    resolved_at=T(2024, 2, 11),
                ),
            ],
        )
        survey = [
            ("s1", "c1", "csat", 5, T(2024, 3, 3)),
            ("s2", "c2", "csat", 3, T(2024, 3, 4)),
            ("s3", "c1", "csat", 4, T(2024, 2, 3)),
            ("s4", "c1", "nps", 10, T(2024, 3, 3)),
            ("s5", "c1", "nps", 9, T(2024, 3, 4)),
            ("s6", "c2", "nps", 7, T(2024, 3, 5)),
            ("s7", "c2", "nps", 3, T(2024, 3, 6)),
            ("s8", "c2", "nps", 0, T(2024, 2, 6)),
        ]
        conn.execute(
            insert(surveys),
            [{"survey_id": s, "customer_id": c, "kind": k, "score": v, "answered_at": at} for s, c, k, v, at in survey],
        )
        conn.execute(
            insert(interactions),
            [
                _msg("i1", "c1", T(2024, 3, 2)),
                _msg("i2", "c1", T(2024, 3, 3)),
                _msg("i3", "c2", T(2024, 3, 4)),
                _msg("i4", "c2", T(2024, 3, 5), author="agent"),
                _msg("i5", "c2", T(2024, 3, 6)),  # never analysed: not in the denominator
                _msg("i6", "c1", T(2024, 2, 20)),
            ],
        )
        conn.execute(
            insert(analyses),
            [
                _analysis("i1", "v1", "negative"),
                _analysis("i1", "v2", "neutral"),
                _analysis("i2", "v1", "positive"),
                _analysis("i3", "v1", "negative"),
                _analysis("i4", "v1", "negative"),
                _analysis("i6", "v1", "neutral"),
            ],
        )


# kpi: (value, n, previous, trend, better), hand-computed from `seed`.
OVERALL: dict[str, tuple[float | None, int, float | None, str | None, bool | None]] = {
    "return_rate": (2 / 4, 4, 1 / 3, "up", False),
    "exchange_rate": (1 / 4, 4, 0.0, "up", False),
    "refund_amount": (100.0, 2, 50.0, "up", False),
    "complaint_volume": (3.0, 3, 1.0, "up", False),
    "csat": (4.0, 2, 4.0, "flat", False),
    "nps": (25.0, 4, -100.0, "up", True),
    "first_response_minutes": (60.0, 2, 10.0, "up", False),
    "sla_compliance": (2 / 3, 3, 1.0, "down", False),
    "reopen_rate": (1 / 3, 3, 0.0, "up", False),
    "escalation_rate": (2 / 3, 3, 0.0, "up", False),
    "negative_share": (2 / 3, 3, 0.0, "up", False),
    "emotion_recovery_rate": (0.5, 2, 1.0, "down", False),
}


def _approx(value: float | None) -> Any:
    return None if value is None else pytest.approx(value)


def test_every_kpi_overall(any_settings: Settings) -> None:
    seed(any_settings)
    rows = compute_kpis(any_settings, **MARCH)  # type: ignore[arg-type]
    assert [r["kpi"] for r in rows] == list(OVERALL)
    for row in rows:
        value, n, previous, arrow, better = OVERALL[row["kpi"]]
        assert (row["value"], row["n"], row["previous"]) == (_approx(value), n, _approx(previous)), row["kpi"]
        assert (row["trend"], row["better"]) == (arrow, better), row["kpi"]
    assert {r["kpi"]: r["target"] for r in rows}["return_rate"] == 0.05


def test_default_window_is_last_full_month_and_targets_override(settings: Settings) -> None:
    seed(settings)
    rows = compute_kpis(settings, "return_rate", today=dt.date(2024, 4, 15), targets={"return_rate": 0.04})
    assert rows == [
        {"kpi": "return_rate", "value": 0.5, "target": 0.04, "previous": pytest.approx(1 / 3), "trend": "up"}
        | {"better": False, "n": 4}
    ]


BY_REGION = {
    ("return_rate", EAST): (0.5, 2, 0.0, "up", False),
    ("return_rate", NORTH): (0.5, 2, 0.5, "flat", False),
    ("refund_amount", EAST): (100.0, 1, None, None, None),
    ("refund_amount", NORTH): (0.0, 1, 50.0, "down", True),
    ("complaint_volume", EAST): (2.0, 2, 0.0, "up", False),
    ("complaint_volume", NORTH): (1.0, 1, 1.0, "flat", False),
    ("csat", EAST): (5.0, 1, 4.0, "up", True),
    ("csat", NORTH): (3.0, 1, None, None, None),
    ("nps", EAST): (100.0, 2, None, None, None),
    ("nps", NORTH): (-50.0, 2, -100.0, "up", True),
    ("first_response_minutes", EAST): (60.0, 2, None, None, None),
    ("first_response_minutes", NORTH): (None, 0, 10.0, None, None),
    ("negative_share", EAST): (0.5, 2, 0.0, "up", False),
    ("negative_share", NORTH): (1.0, 1, None, None, None),
}


def test_by_region(any_settings: Settings) -> None:
    seed(any_settings)
    rows = compute_kpis(any_settings, by="region", **MARCH)  # type: ignore[arg-type]
    got = {(r["kpi"], r["region"]): r for r in rows}
    assert len(rows) == len(got) == 2 * 12
    for key, (value, n, previous, arrow, better) in BY_REGION.items():
        row = got[key]
        assert (row["value"], row["n"], row["previous"], row["trend"], row["better"]) == (
            _approx(value),
            n,
            _approx(previous),
            arrow,
            better,
        ), key


def test_cli_json_contract(settings: Settings) -> None:
    seed(settings)
    home = ["--home", str(settings.home)]
    result = runner.invoke(app, ["kpi", "return_rate", "--from", "2024-03-01", "--to", "2024-03-31", "--json", *home])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows == [
        {"kpi": "return_rate", "value": 0.5, "target": 0.05, "previous": pytest.approx(1 / 3), "trend": "up"}
        | {"better": False, "n": 4}
    ]
    args = ["kpi", "csat", "--by", "region", "--from", "2024-03-01", "--to", "2024-03-31", "--json", *home]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["region"] for r in rows] == sorted([EAST, NORTH])
    for row in rows:
        assert list(row) == ["region", "kpi", "value", "target", "previous", "trend", "better", "n"]
    table = runner.invoke(app, ["kpi", "--from", "2024-03-01", "--to", "2024-03-31", *home])
    assert table.exit_code == 0, table.output
    assert "退货率" in table.stdout and "情绪修复率" in table.stdout


def test_errors(settings: Settings) -> None:
    with pytest.raises(InvalidInputError, match="known KPIs: return_rate, exchange_rate"):
        compute_kpis(settings, "churn")
    with pytest.raises(InvalidInputError, match="supported dimensions: region, tier"):
        compute_kpis(settings, "csat", by="queue")
    result = runner.invoke(app, ["kpi", "nps", "--by", "sku", "--home", str(settings.home)])
    assert result.exit_code == 2
    assert "E400_invalid_input" in result.output and "region, tier" in result.output
