"""KPIs on a small hand-computed data set: values, n, previous window, trend, --by region, the CLI contract, errors.

Window: March 2024 in Asia/Shanghai (UTC+8); previous window: the 31 local days before (2024-01-30 .. 2024-02-29).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert
from typer.testing import CliRunner

from aftersales.cli.main import app
from aftersales.config import Settings, load_settings
from aftersales.errors import ConfigError, InvalidInputError
from aftersales.services.kpi import compute_kpis, windows
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


def _msg(iid: str, cust: str, at: T, author: str = "customer", case_id: str | None = None) -> dict[str, Any]:
    row = {"interaction_id": iid, "customer_id": cust, "text": "…", "created_at": at, "author": author}
    return row | {"case_id": case_id}


def seed(settings: Settings) -> None:
    """Two customers in two regions; current (March) and previous (February) activity."""
    with db.transaction(db.get_engine(settings)) as conn:
        conn.execute(
            insert(customers),
            [
                {"customer_id": "c1", "region": EAST, "tier": "vip"},
                {"customer_id": "c2", "region": NORTH, "tier": "regular"},
                {"customer_id": "c3", "region": EAST, "tier": "regular"},
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
            ("o8", "c1", EAST, T(2024, 5, 1)),  # c1 buys again 47 days after the return r1
            ("o9", "c3", EAST, T(2024, 7, 1)),  # the last order: the data horizon for repurchase_rate
            ("o10", "c3", EAST, T(2023, 12, 20)),  # c3 active before March, then silent: churns in March
        ]
        conn.execute(
            insert(orders),
            [{"order_id": o, "customer_id": c, "region": r, "ordered_at": at, "sku": "S"} for o, c, r, at in order],
        )
        ret = [
            ("r1", "o1", "return", 100.0, T(2024, 3, 15)),
            ("r2", "o3", "exchange", None, T(2024, 3, 20)),
            ("r3", "o6", "return", 50.0, T(2024, 2, 20)),
            ("r4", "o8", "return", 10.0, T(2024, 5, 10)),  # follow-up ends 2024-08-08, after the horizon
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
                    resolved_at=T(2024, 3, 9, 12),
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
                _case(
                    "k5",
                    "c1",
                    T(2024, 3, 20),
                    first_response_at=T(2024, 3, 20, 0, 5),
                    resolved_at=T(2024, 3, 21),
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
                _msg("i3", "c2", T(2024, 3, 4), case_id="k3"),
                _msg("i4", "c2", T(2024, 3, 5), author="agent"),
                _msg("i5", "c2", T(2024, 3, 6), case_id="k3"),  # never analysed: not in the denominator
                _msg("i6", "c1", T(2024, 2, 20)),
                _msg("i7", "c1", T(2024, 3, 20, 1), case_id="k5"),  # k5: one customer contact (not analysed)
                _msg("i8", "c1", T(2024, 3, 20, 2), author="agent", case_id="k5"),
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
# March cases opened: k1 k2 k3 k5; resolved: k2 (48 h, reopened), k3 (60 h, two customer messages), k5 (24 h,
# one). First responses in March: k1 30 min, k2 90 min, k5 5 min; sorted [5, 30, 90]: p50 = 30,
# p90 = rank 1.8 = 30 × 0.2 + 90 × 0.8 = 78. Resolution hours sorted [24, 48, 60]: p50 48, p90 48 × 0.2 + 60 × 0.8.
# Churn (90 days): active before March c1, c2, c3; still active at its end c1, c2 → 1/3. Before February only c3,
# still active at February's end. Repurchase: March returners c1 (o8 after 47 days) and c2 (none) → 1/2;
# February: c2 (r3 on 02-20, then o4, o3) → 1/1.
OVERALL: dict[str, tuple[float | None, int, float | None, str | None, bool | None]] = {
    "return_rate": (2 / 4, 4, 1 / 3, "up", False),
    "exchange_rate": (1 / 4, 4, 0.0, "up", False),
    "refund_amount": (100.0, 2, 50.0, "up", False),
    "complaint_volume": (4.0, 4, 1.0, "up", False),
    "complaint_rate": (4 / 4, 4, 1 / 3, "up", False),
    "csat": (4.0, 2, 4.0, "flat", False),
    "nps": (25.0, 4, -100.0, "up", True),
    "first_contact_resolution": (1 / 3, 3, 1.0, "down", False),
    "first_response_minutes": (125 / 3, 3, 10.0, "up", False),
    "first_response_minutes_p50": (30.0, 3, 10.0, "up", False),
    "first_response_minutes_p90": (78.0, 3, 10.0, "up", False),
    "resolution_hours": (44.0, 3, 24.0, "up", False),
    "resolution_hours_p50": (48.0, 3, 24.0, "up", False),
    "resolution_hours_p90": (48 * 0.2 + 60 * 0.8, 3, 24.0, "up", False),
    "sla_compliance": (3 / 4, 4, 1.0, "down", False),
    "reopen_rate": (1 / 4, 4, 0.0, "up", False),
    "escalation_rate": (2 / 4, 4, 0.0, "up", False),
    "negative_share": (2 / 3, 3, 0.0, "up", False),
    "emotion_recovery_rate": (0.5, 2, 1.0, "down", False),
    "repurchase_rate": (0.5, 2, 1.0, "down", False),
    "churn_rate": (1 / 3, 3, 0.0, "up", False),
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
    ("complaint_volume", EAST): (3.0, 3, 0.0, "up", False),
    ("complaint_volume", NORTH): (1.0, 1, 1.0, "flat", False),
    ("complaint_rate", EAST): (3 / 2, 2, 0.0, "up", False),
    ("complaint_rate", NORTH): (1 / 2, 2, 1 / 2, "flat", False),
    ("csat", EAST): (5.0, 1, 4.0, "up", True),
    ("csat", NORTH): (3.0, 1, None, None, None),
    ("nps", EAST): (100.0, 2, None, None, None),
    ("nps", NORTH): (-50.0, 2, -100.0, "up", True),
    ("first_contact_resolution", EAST): (0.5, 2, None, None, None),
    ("first_contact_resolution", NORTH): (0.0, 1, 1.0, "down", False),
    ("first_response_minutes", EAST): (125 / 3, 3, None, None, None),
    ("first_response_minutes", NORTH): (None, 0, 10.0, None, None),
    ("first_response_minutes_p90", EAST): (78.0, 3, None, None, None),
    ("first_response_minutes_p90", NORTH): (None, 0, 10.0, None, None),
    ("resolution_hours", EAST): (36.0, 2, None, None, None),
    ("resolution_hours", NORTH): (60.0, 1, 24.0, "up", False),
    ("resolution_hours_p50", EAST): (36.0, 2, None, None, None),
    ("negative_share", EAST): (0.5, 2, 0.0, "up", False),
    ("negative_share", NORTH): (1.0, 1, None, None, None),
    ("repurchase_rate", EAST): (1.0, 1, None, None, None),
    ("repurchase_rate", NORTH): (0.0, 1, 1.0, "down", False),
    ("churn_rate", EAST): (0.5, 2, 0.0, "up", False),
    ("churn_rate", NORTH): (0.0, 1, None, None, None),
}


def test_by_region(any_settings: Settings) -> None:
    seed(any_settings)
    rows = compute_kpis(any_settings, by="region", **MARCH)  # type: ignore[arg-type]
    got = {(r["kpi"], r["region"]): r for r in rows}
    assert len(rows) == len(got) == 2 * len(OVERALL)
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


def test_repurchase_is_censored_until_the_follow_up_is_observed(settings: Settings) -> None:
    """c1's return on 2024-05-10 needs orders up to 2024-08-08; the last order (the horizon) is 2024-07-01."""
    seed(settings)
    rows = compute_kpis(settings, "repurchase_rate", start=dt.date(2024, 5, 1), end=dt.date(2024, 5, 31))
    assert (rows[0]["value"], rows[0]["n"]) == (None, 0)


@pytest.mark.parametrize(
    ("horizon_days", "value", "n"),
    [
        (90, 1 / 3, 3),  # c3's last order (2023-12-20) turns 90 days old in March
        (30, 0.0, 2),  # only c1 and c2 ordered in the 30 days before March, and both again in March
        (120, 0.0, 3),  # c3's December order still counts as active at the end of March
    ],
)
def test_churn_follows_the_horizon_setting(tmp_path: Path, horizon_days: int, value: float, n: int) -> None:
    settings = load_settings(home=tmp_path / "home", churn_horizon_days=horizon_days)
    seed(settings)
    rows = compute_kpis(settings, "churn_rate", **MARCH)  # type: ignore[arg-type]
    assert (rows[0]["value"], rows[0]["n"]) == (pytest.approx(value), n)


PERCENTILE_KPIS = {
    "first_response_minutes_p50": ("opened_at", "first_response_at", 0.5, 60.0),
    "first_response_minutes_p90": ("opened_at", "first_response_at", 0.9, 60.0),
    "resolution_hours_p50": ("resolved_at", "resolved_at", 0.5, 3600.0),
    "resolution_hours_p90": ("resolved_at", "resolved_at", 0.9, 3600.0),
}


@pytest.mark.parametrize("name", list(PERCENTILE_KPIS))
def test_percentiles_agree_with_pandas(any_settings: Settings, name: str) -> None:
    """Random durations per region and window: SQL percentiles equal pandas' default (linear) quantile."""
    rng = np.random.default_rng(11)
    regions = ["华东", "华北", "华南"]
    n = 157
    with db.transaction(db.get_engine(any_settings)) as conn:
        conn.execute(
            insert(customers), [{"customer_id": f"c{i}", "region": r, "tier": "regular"} for i, r in enumerate(regions)]
        )
        opened = [T(2024, 2, 1) + dt.timedelta(minutes=int(m)) for m in rng.integers(0, 55 * 1440, n)]
        rows = [
            _case(
                f"k{i}",
                f"c{rng.integers(0, 3)}",
                at,
                first_response_at=None if i % 13 == 0 else at + dt.timedelta(seconds=int(rng.exponential(3000))),
                resolved_at=None if i % 7 == 0 else at + dt.timedelta(seconds=int(rng.exponential(90000))),
            )
            for i, at in enumerate(opened)
        ]
        conn.execute(insert(cases), rows)
    cohort, end, p, unit = PERCENTILE_KPIS[name]
    frame = pd.DataFrame(rows).merge(
        pd.DataFrame({"customer_id": [f"c{i}" for i in range(3)], "region": regions}), on="customer_id"
    )
    frame["value"] = (frame[end] - frame["opened_at"]).dt.total_seconds() / unit
    cur, prev = windows(any_settings, **MARCH)
    got = {r["region"]: r for r in compute_kpis(any_settings, name, by="region", **MARCH)}  # type: ignore[arg-type]
    for column, window in (("value", cur), ("previous", prev)):
        inside = frame[(frame[cohort] >= window[0]) & (frame[cohort] < window[1])].dropna(subset=["value"])
        expected = inside.groupby("region")["value"].quantile(p)
        assert len(expected) == 3
        for region, value in expected.items():
            assert got[region][column] == pytest.approx(value, rel=1e-9, abs=1e-6), (region, column)
        if column == "value":
            assert {r: got[r]["n"] for r in expected.index} == inside.groupby("region").size().to_dict()


def test_configured_targets_reach_rows_cli_and_api_shape(tmp_path: Path) -> None:
    """kpi_targets (TOML in the home) overrides the registry default; an explicit `targets` argument wins."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text("[kpi_targets]\nreturn_rate = 0.04\nchurn_rate = 0.1\n", encoding="utf-8")
    settings = load_settings(home=home)
    assert settings.kpi_targets == {"return_rate": 0.04, "churn_rate": 0.1}
    seed(settings)
    rows = {r["kpi"]: r["target"] for r in compute_kpis(settings, **MARCH)}  # type: ignore[arg-type]
    assert (rows["return_rate"], rows["churn_rate"], rows["csat"]) == (0.04, 0.1, 4.5)
    explicit = compute_kpis(settings, "return_rate", targets={"return_rate": 0.03}, **MARCH)  # type: ignore[arg-type]
    assert explicit[0]["target"] == 0.03
    args = ["kpi", "return_rate", "--from", "2024-03-01", "--to", "2024-03-31", "--json", "--home", str(home)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["target"] == 0.04


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        ({"returns_rate": 0.04}, "unknown KPI 'returns_rate' in kpi_targets"),
        ({"csat": "high"}, "kpi_targets.csat"),
    ],
)
def test_bad_kpi_targets_are_config_errors(tmp_path: Path, targets: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_settings(home=tmp_path, kpi_targets=targets)


def test_worker_processes_give_the_rows_threads_give(tmp_path: Path) -> None:
    """A SQLite file over `kpi_processes_from_mb` runs the statements in worker processes: same rows, same order."""
    on_threads = load_settings(home=tmp_path / "home")  # a few kB: under the default 256 MiB, so threads
    seed(on_threads)
    in_processes = load_settings(home=tmp_path / "home", kpi_processes_from_mb=0)
    for by in (None, "region", "tier"):
        assert compute_kpis(in_processes, by=by, **MARCH) == compute_kpis(on_threads, by=by, **MARCH)  # type: ignore[arg-type]
    from aftersales.services import kpi

    assert kpi._POOL is not None  # the processes ran (and stay for the next call)


def test_a_broken_worker_pool_falls_back_to_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A killed worker (BrokenProcessPool) costs a warning, not the answer: the statements rerun on threads."""
    from concurrent.futures.process import BrokenProcessPool

    from aftersales.services import kpi

    class Broken:
        def submit(self, *_args: Any) -> Any:
            raise BrokenProcessPool("a worker died")

        def shutdown(self, **_kwargs: Any) -> None:
            pass

    settings = load_settings(home=tmp_path / "home", kpi_processes_from_mb=0)
    seed(settings)
    expected = compute_kpis(settings.model_copy(update={"kpi_processes_from_mb": 10**6}), by="region", **MARCH)  # type: ignore[arg-type]
    monkeypatch.setattr(kpi, "_POOL", Broken())
    with caplog.at_level("WARNING", logger="aftersales.services.kpi"):
        assert compute_kpis(settings, by="region", **MARCH) == expected  # type: ignore[arg-type]
    assert "running the statements on threads" in caplog.text
    assert kpi._POOL is None  # the next call starts a fresh pool


def test_a_daemonic_process_uses_threads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Server workers that run as daemonic processes may not start children: their KPIs run on threads."""
    import multiprocessing

    from aftersales.services import kpi

    settings = load_settings(home=tmp_path / "home", kpi_processes_from_mb=0)
    seed(settings)
    monkeypatch.setattr(multiprocessing.current_process(), "daemon", True, raising=False)

    def no_pool() -> None:
        raise AssertionError("no worker processes from a daemonic process")

    monkeypatch.setattr(kpi, "_process_pool", no_pool)
    assert [r["kpi"] for r in compute_kpis(settings, **MARCH)] == list(OVERALL)  # type: ignore[arg-type]
