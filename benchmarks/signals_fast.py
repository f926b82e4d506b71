"""One customer's signals, the online path: the pandas engine (what `compute_signals` did before) vs the scalar path.

History of one customer: 20 messages, 10 orders, 3 returns, 3 cases (typical of an after-sales contact). Timed:
``engine`` = `Frames.of` + `signals_for_points` on that customer (the previous `compute_signals`), ``compute_signals``
= today's entry point on the same DataFrames (now the scalar path), ``signals_from_rows`` = plain dict rows as a
service reads them from SQLAlchemy. Each with the rule score and with a fitted churn model. Every variant's result is
checked equal to the engine's before timing. Usage: ``python benchmarks/signals_fast.py [--runs 7] [--calls 200]``;
prints one JSON object with the median ms per call over the runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from aftersales.signals import (
    FEATURES,
    ChurnModel,
    CustomerSignals,
    Frames,
    TrainingSet,
    compute_signals,
    signals_for_points,
    signals_from_rows,
)
from aftersales.signals.frames import COLUMNS

AS_OF = dt.datetime(2025, 6, 30, 12, 0, 0)
CHANNELS = ("chat", "email", "phone", "chat", "review")


def history() -> dict[str, list[dict[str, Any]]]:
    """20 messages / 10 orders / 3 returns / 3 cases of customer C1, as rows (dicts)."""

    def at(**before: float) -> dt.datetime:
        return AS_OF - dt.timedelta(**before)

    messages = [
        {
            "interaction_id": f"M{i}",
            "customer_id": "C1",
            "created_at": at(days=i * 1.7, minutes=i),
            "channel": CHANNELS[i % 5],
            "author": "agent" if i % 4 == 3 else "customer",
            "order_id": f"O{i % 10}",
            "case_id": f"K{i % 3}" if i % 2 else None,
            "polarity": "negative" if i % 3 == 0 else "neutral",
            "polarity_score": None if i % 5 == 4 else -0.1 * (i % 7),
            "emotion": None,
            "stage": None,
        }
        for i in range(20)
    ]
    orders = [
        {"order_id": f"O{i}", "customer_id": "C1", "ordered_at": at(days=20 + 35 * i), "amount": 50.0 + i}
        for i in range(10)
    ]
    returns = [
        {"return_id": f"R{i}", "order_id": f"O{i}", "customer_id": None, "requested_at": at(days=10 + 35 * i)}
        for i in range(3)
    ]
    cases = [
        {
            "case_id": f"K{i}",
            "customer_id": "C1",
            "order_id": f"O{i}",
            "status": ("in_progress", "resolved", "new")[i],
            "opened_at": at(days=12 + 20 * i),
            "resolved_at": at(days=5) if i == 1 else None,
            "reopen_count": i % 2,
        }
        for i in range(3)
    ]
    customers = [{"customer_id": "C1", "tier": "vip", "joined_at": at(days=800)}]
    return {"customers": customers, "messages": messages, "orders": orders, "returns": returns, "cases": cases}


def churn_model() -> ChurnModel:
    """A model fitted on random features (its numbers do not matter here, only the cost of scoring)."""
    rng = np.random.default_rng(0)
    n = 400
    feats = pd.DataFrame({name: rng.gamma(1.5, 3.0, n) for name in FEATURES})
    feats.insert(0, "as_of", pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="D"))
    churned = rng.random(n) < 1 / (1 + np.exp(-(feats["recent_negative_share"].to_numpy() - 4)))
    return ChurnModel.fit(TrainingSet(feats, churned, "cases", 90, None))


def engine_signals(tables: dict[str, pd.DataFrame], **options: Any) -> CustomerSignals:
    """The previous `compute_signals`: tidy with pandas, then the vectorised engine for one point."""
    frames = Frames.of(**tables).for_customers(["C1"])
    point = pd.DataFrame(
        [{"customer_id": "C1", "as_of": AS_OF, "focus_order_id": "O1", "focus_case_id": None, "interaction_id": "M0"}]
    )
    return signals_for_points(frames, point, **options)[0]


def median_ms(call: Callable[[], object], runs: int, calls: int) -> float:
    """Median over `runs` of the mean time per call of `calls` consecutive calls, in ms."""
    per_run = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        per_run.append((time.perf_counter() - start) / calls * 1e3)
    return round(statistics.median(per_run), 4)


def main() -> None:
    """Time each variant with and without a churn model and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    rows = history()
    tables = {name: pd.DataFrame(r, columns=list(COLUMNS[name])) for name, r in rows.items()}
    focus_order_id, current_interaction_id = "O1", "M0"
    model = churn_model()
    result: dict[str, Any] = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "history": {name: len(r) for name, r in rows.items()},
        "runs": args.runs,
        "calls_per_run": args.calls,
        "median_ms_per_call": {},
    }
    for label, churn in (("rules", None), ("model", model)):
        variants: dict[str, Callable[[], CustomerSignals]] = {
            "engine": lambda c=churn: engine_signals(tables, churn_model=c),  # type: ignore[misc]
            "compute_signals": lambda c=churn: compute_signals(  # type: ignore[misc]
                "C1",
                AS_OF,
                **tables,
                focus_order_id=focus_order_id,
                current_interaction_id=current_interaction_id,
                churn_model=c,
            ),
            "signals_from_rows": lambda c=churn: signals_from_rows(  # type: ignore[misc]
                "C1",
                AS_OF,
                customer=rows["customers"][0],
                messages=rows["messages"],
                orders=rows["orders"],
                returns=rows["returns"],
                cases=rows["cases"],
                focus_order_id=focus_order_id,
                current_interaction_id=current_interaction_id,
                churn_model=c,
            ),
        }
        want = variants["engine"]()
        assert all(v() == want for v in variants.values()), "a fast variant differs from the engine"
        calls = {name: max(1, args.calls // 10) if name == "engine" else args.calls for name in variants}
        timings = {name: median_ms(v, args.runs, calls[name]) for name, v in variants.items()}
        timings |= {f"speedup_{n}": round(timings["engine"] / timings[n], 1) for n in variants if n != "engine"}
        result["median_ms_per_call"][label] = timings
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
