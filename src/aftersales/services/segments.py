"""Customer segments and the at-risk list: per-customer aggregates in SQL, behaviour from `signals`, models in
`analytics.segments`.

RFM, returns and emotion aggregates are `GROUP BY customer_id` queries; purchase history, messages and churn risk
come from the same frames and feature engine that triage uses (`services.history.load_all_frames`,
`signals.features_for_customers`), so a customer's numbers here match their customer page.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, and_, case, func, or_, select

from aftersales.analytics.segments import (
    AT_RISK_P,
    FEATURES,
    K_RANGE,
    at_risk_ranking,
    explain_risk,
    segment_customers,
)
from aftersales.config import Settings, get_settings
from aftersales.errors import InvalidInputError
from aftersales.services.history import load_all_frames
from aftersales.services.runtime import get_runtime
from aftersales.signals.churn import ChurnModel, rule_churn
from aftersales.signals.features import features_for_customers
from aftersales.signals.frames import Frames
from aftersales.storage import db
from aftersales.storage.tables import analyses, interactions, orders, returns, surveys

STRONG_STAGES = ("intent_to_complain", "formal_complaint")
LOW_SURVEY = {"csat": 2, "nps": 3}  # CSAT 1–2 of 5; NPS 0–3 of 10 (the hard end of detractors)
MAX_K = 12


def _customer_aggregates(conn: Connection, model_version: str) -> pd.DataFrame:
    """Orders, spend, last order, returns and message emotion per customer, one GROUP BY query each."""
    o = select(
        orders.c.customer_id,
        func.count().label("orders"),
        func.coalesce(func.sum(orders.c.amount), 0.0).label("monetary"),
        func.max(orders.c.ordered_at).label("last_order_at"),
    ).group_by(orders.c.customer_id)
    r = (
        select(orders.c.customer_id, func.count().label("returns"))
        .select_from(returns.join(orders, returns.c.order_id == orders.c.order_id))
        .group_by(orders.c.customer_id)
    )
    joined = interactions.outerjoin(
        analyses,
        and_(analyses.c.interaction_id == interactions.c.interaction_id, analyses.c.model_version == model_version),
    )
    m = (
        select(
            interactions.c.customer_id,
            func.count().label("contacts"),
            func.count(analyses.c.id).label("analysed"),
            func.sum(case((analyses.c.polarity == "negative", 1), else_=0)).label("negative"),
            func.sum(case((analyses.c.emotion == "anger", 1), else_=0)).label("anger"),
            func.avg(analyses.c.polarity_score).label("mean_polarity"),
        )
        .select_from(joined)
        .where(or_(interactions.c.author.is_(None), interactions.c.author == "customer"))
        .group_by(interactions.c.customer_id)
    )

    def frame(stmt: Any) -> pd.DataFrame:
        result = conn.execute(stmt)
        return pd.DataFrame(result.fetchall(), columns=list(result.keys())).set_index("customer_id")

    out = frame(o).join(frame(r), how="left").join(frame(m), how="left")
    analysed = out["analysed"].astype(float)
    out["negative_share"] = (out["negative"].astype(float) / analysed).where(analysed > 0)
    out["anger_share"] = (out["anger"].astype(float) / analysed).where(analysed > 0)
    out["mean_polarity"] = pd.to_numeric(out["mean_polarity"], errors="coerce")
    for col in ("returns", "contacts", "analysed"):
        out[col] = pd.to_numeric(out[col], errors="coerce").fillna(0).astype(int)
    out["return_rate"] = out["returns"] / out["orders"]
    out["last_order_at"] = pd.to_datetime(out["last_order_at"])
    return out


def _low_surveys(conn: Connection) -> pd.DataFrame:
    """Low CSAT / NPS answers: (customer_id, at, kind='low_survey')."""
    cond = or_(*[and_(surveys.c.kind == kind, surveys.c.score <= top) for kind, top in LOW_SURVEY.items()])
    rows = conn.execute(select(surveys.c.customer_id, surveys.c.answered_at).where(cond)).fetchall()
    frame = pd.DataFrame(rows, columns=["customer_id", "at"])
    return frame.assign(at=pd.to_datetime(frame["at"]), kind="low_survey")


def _bad_experiences(frames: Frames, low_surveys: pd.DataFrame) -> pd.DataFrame:
    """Strongly negative customer messages (anger, or a stage at or beyond threatening to complain) and low scores."""
    m = frames.messages
    customer = m["author"].isna() | (m["author"] == "customer")
    negative = m["polarity"] == "negative"
    complaint = m["stage"].isin(STRONG_STAGES)
    strong = m[customer & negative & ((m["emotion"] == "anger") | complaint)]
    kinds = np.where(strong["stage"].isin(STRONG_STAGES), "complaint", "anger")
    msgs = pd.DataFrame({"customer_id": strong["customer_id"], "at": strong["created_at"], "kind": kinds})
    # A message both angry and threatening counts for both flags.
    both = strong[(strong["emotion"] == "anger") & strong["stage"].isin(STRONG_STAGES)]
    extra = pd.DataFrame({"customer_id": both["customer_id"], "at": both["created_at"], "kind": "anger"})
    return pd.concat([msgs, extra, low_surveys], ignore_index=True)


def _load(settings: Settings) -> tuple[pd.DataFrame, Frames, pd.DataFrame, ChurnModel | None]:
    rt = get_runtime(settings)
    with db.get_engine(settings).connect() as conn:
        aggregates = _customer_aggregates(conn, rt.analyzer.version)
        frames = Frames.of(**load_all_frames(conn, rt.analyzer.version))
        low = _low_surveys(conn)
    return aggregates, frames, low, rt.churn


def _churn(features: pd.DataFrame, model: ChurnModel | None, horizon_days: int) -> pd.DataFrame:
    """Churn score, level and method per customer: the merchant's model when it can score, else the rule score."""
    if model is not None and model.usable_with(features.columns):
        risks = model.score_frame(features)
    else:
        risks = [rule_churn(row, horizon_days) for row in features.to_dict("records")]
    return pd.DataFrame(
        {
            "churn": [r.score for r in risks],
            "churn_level": [r.level for r in risks],
            "churn_method": [r.method for r in risks],
        },
        index=features.index,
    )


def _risk_table(settings: Settings) -> tuple[pd.DataFrame, pd.DataFrame, pd.Timestamp | None]:
    """(segment features of customers with orders, at-risk ranking, as_of) from one load of the store."""
    aggregates, frames, low, model = _load(settings)
    as_of = frames.data_end()
    if as_of is None or aggregates.empty:
        return aggregates, pd.DataFrame(), as_of
    signals = features_for_customers(frames, as_of, list(aggregates.index))
    aggregates["recency_days"] = ((as_of - aggregates["last_order_at"]) / pd.Timedelta(days=1)).round(2)
    aggregates = aggregates.join(_churn(signals, model, settings.churn_horizon_days))
    ranking = at_risk_ranking(
        frames.orders, _bad_experiences(frames, low), as_of, negative_reviews=signals["negative_reviews"]
    )
    ranking = ranking.join(aggregates[["churn", "churn_level", "churn_method", "orders", "monetary"]], how="left")
    ranking = ranking.join(signals[["purchase_frequency_ratio", "purchase_frequency_z"]], how="left")
    return aggregates, ranking, as_of


def customer_segments(settings: Settings | None = None, k: int | None = None) -> dict[str, Any]:
    """Segments of customers with orders: sizes, mean features against everyone's, names, at-risk share."""
    settings = settings or get_settings()
    if k is not None and not 2 <= k <= MAX_K:
        raise InvalidInputError(f"segments k={k}: must be 2–{MAX_K} (default: chosen by silhouette over {K_RANGE})")
    aggregates, ranking, as_of = _risk_table(settings)
    if as_of is None or len(aggregates) < 2 * K_RANGE[0]:
        raise InvalidInputError(f"segments need orders of at least {2 * K_RANGE[0]} customers; found {len(aggregates)}")
    listed = ranking["listed"] if len(ranking) else None
    seg = segment_customers(aggregates, k, at_risk=listed, churn_level=aggregates["churn_level"])
    return {
        "as_of": as_of.isoformat(),
        "customers": len(aggregates),
        "k": seg.k,
        "chosen_by": seg.chosen_by,
        "silhouette": {str(kk): v for kk, v in seg.silhouette.items()},
        "features": list(FEATURES),
        "overall": seg.overall,
        "note": (
            "KMeans (seed 0) on standardised features, counts and days as log1p; k with the best silhouette unless "
            "given; a name lists the strongest traits (|z| ≥ 0.5); customers without orders are not segmented"
        ),
        "segments": [p.to_dict() for p in seg.profiles],
    }


def at_risk_customers(
    settings: Settings | None = None, limit: int = 50, *, locale: str | None = None, include_unlisted: bool = False
) -> dict[str, Any]:
    """Customers buying clearly less since a bad after-sales experience than before it, most at risk first."""
    settings = settings or get_settings()
    if limit < 1:
        raise InvalidInputError(f"at-risk limit {limit}: must be at least 1")
    _aggregates, ranking, as_of = _risk_table(settings)
    lang = locale or settings.locale
    rows = ranking if include_unlisted or ranking.empty else ranking[ranking["listed"]]
    data = []
    for cid, row in rows.head(limit).iterrows():
        record = {k: _plain(v) for k, v in row.items()}
        record["customer_id"] = str(cid)
        record["reasons"] = explain_risk(record, lang)
        data.append(record)
    return {
        "as_of": as_of.isoformat() if as_of is not None else None,
        "listed": int(ranking["listed"].sum()) if len(ranking) else 0,
        "with_bad_experience": len(ranking),
        "note": (
            "anchor = the customer's latest strongly negative message (anger, or threatening/filing a complaint) or "
            f"low survey score; listed when the orders since then are improbably few at the customer's own earlier "
            f"rate (one-sided Poisson p ≤ {AT_RISK_P}); risk = drop strength × (1 + severity) / 2"
        ),
        "data": data,
        "count": len(data),
    }


def _plain(value: Any) -> Any:
    """JSON-ready scalars: timestamps as ISO strings, numpy numbers as Python ones, NaN as None."""
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        return None if np.isnan(value) else float(value)
    return value
