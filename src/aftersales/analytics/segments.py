"""Customer segments (KMeans on RFM + emotion + returns, named from their profiles) and the at-risk ranking.

Pure core: frames in, frames and dataclasses out; scikit-learn fits the clusters. The at-risk ranking asks, per
customer, whether they buy less since their latest bad after-sales experience than they did before it (a one-sided
Poisson test against their own baseline rate), weighted by how bad the experience was. Definitions and the measured
recall on the demo's planted customers: docs/forecasts-and-segments.md.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

FEATURES = (
    "recency_days",
    "orders",
    "monetary",
    "returns",
    "return_rate",
    "contacts",
    "negative_share",
    "mean_polarity",
    "anger_share",
)
LOG_FEATURES = frozenset({"recency_days", "orders", "monetary", "returns", "contacts"})
K_RANGE = (3, 4, 5, 6)
SEED = 0
SILHOUETTE_SAMPLE = 3000
TRAIT_Z = 0.5  # a segment's mean standardised value must differ by this much to name it
# (feature, group, zh when high, en when high, zh when low, en when low); one trait per group in a name.
TRAITS: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("monetary", "value", "高价值", "high value", "低价值", "low value"),
    ("orders", "frequency", "高频", "frequent", "低频", "infrequent"),
    ("recency_days", "recency", "久未购买", "lapsed", "近期活跃", "recently active"),
    ("return_rate", "returns", "高退货", "high returns", "低退货", "few returns"),
    ("returns", "returns", "多次退货", "many returns", "少退货", "few returns"),
    ("anger_share", "emotion", "易愤怒", "angry", "", ""),
    ("negative_share", "emotion", "负面情绪多", "negative", "情绪平和", "calm"),
    ("mean_polarity", "emotion", "评价正面", "positive", "评价负面", "negative tone"),
    ("contacts", "contacts", "常联系客服", "frequent contacts", "少联系客服", "few contacts"),
)

# At-risk: the drop must be this unlikely under the customer's own baseline rate to put them on the list.
AT_RISK_P = 0.01
MIN_BASELINE_DAYS = 30.0
MIN_BASELINE_ORDERS = 2
MIN_DAYS_SINCE = 30.0
SCORE_CAP = 6.0  # −log10 p beyond 1e-6 adds nothing: the drop is certain either way
SEVERITY_FLAGS = ("anger", "complaint", "low_survey", "negative_review")
SEVERITY_NOTES = {
    "anger": ("愤怒", "angry message"),
    "complaint": ("投诉/扬言投诉", "(threatened) formal complaint"),
    "low_survey": ("低满意度评分", "low CSAT/NPS score"),
    "negative_review": ("公开差评", "negative public review"),
}


@dataclass(frozen=True)
class SegmentProfile:
    """One segment: its size, mean features against everyone's, the traits that name it, and its risk share."""

    segment: int
    name_zh: str
    name_en: str
    size: int
    share: float
    means: dict[str, float]
    z: dict[str, float]  # mean standardised value: how far from the overall mean, in standard deviations
    traits: list[str]  # "feature high|low", strongest first
    at_risk_share: float | None
    churn_high_share: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True)
class Segmentation:
    """Cluster labels per customer and the profile of each segment, with how k was chosen."""

    k: int
    chosen_by: str  # "silhouette" | "given"
    silhouette: dict[int, float]
    labels: pd.Series  # customer_id → segment
    profiles: list[SegmentProfile]
    overall: dict[str, float]


def design_matrix(features: pd.DataFrame) -> np.ndarray:
    """Clustering inputs: counts and durations as log1p (heavy tails), gaps as 0 (no messages: no negativity)."""
    cols = []
    for name in FEATURES:
        col = pd.to_numeric(features[name], errors="coerce").astype(float).fillna(0.0).to_numpy()
        cols.append(np.log1p(np.clip(col, 0.0, None)) if name in LOG_FEATURES else col)
    return np.column_stack(cols)


def _standardise(matrix: np.ndarray) -> np.ndarray:
    sd = matrix.std(axis=0)
    return np.asarray((matrix - matrix.mean(axis=0)) / np.where(sd > 0, sd, 1.0))


def segment_customers(
    features: pd.DataFrame,
    k: int | None = None,
    *,
    at_risk: pd.Series | None = None,
    churn_level: pd.Series | None = None,
) -> Segmentation:
    """KMeans on standardised FEATURES (k by silhouette over K_RANGE unless given), profiled and named."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    z = _standardise(design_matrix(features))
    n = len(features)
    if n < 2 * K_RANGE[0]:
        raise ValueError(f"segmenting needs at least {2 * K_RANGE[0]} customers with orders, got {n}")
    scores: dict[int, float] = {}
    fits: dict[int, np.ndarray] = {}
    # One BLAS/OpenMP thread: on a busy small machine the thread pools of KMeans and the pairwise distances
    # oversubscribe the cores, and a 0.15 s fit takes 12 s (measured on the 2-core development machine).
    with threadpool_limits(limits=1):
        for kk in [k] if k else [c for c in K_RANGE if c < n]:
            labels = KMeans(n_clusters=kk, n_init=10, random_state=SEED).fit_predict(z)
            fits[kk] = labels
            if len(set(labels)) > 1:
                sample = min(SILHOUETTE_SAMPLE, n)
                scores[kk] = round(float(silhouette_score(z, labels, sample_size=sample, random_state=SEED)), 4)
    best = k if k else max(scores, key=lambda c: (scores[c], -c))
    labels = pd.Series(_relabel_by_size(fits[best]), index=features.index, name="segment")
    profiles = _profiles(features, z, labels, at_risk, churn_level)
    overall = {f: round(float(pd.to_numeric(features[f], errors="coerce").mean()), 4) for f in FEATURES}
    return Segmentation(best, "given" if k else "silhouette", scores, labels, profiles, overall)


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    """Segment 0 is the largest, 1 the next, …, so numbering does not depend on KMeans' initialisation order."""
    ids, counts = np.unique(labels, return_counts=True)
    order = ids[np.lexsort((ids, -counts))]
    mapping = {old: new for new, old in enumerate(order)}
    return np.array([mapping[v] for v in labels])


def _profiles(
    features: pd.DataFrame,
    z: np.ndarray,
    labels: pd.Series,
    at_risk: pd.Series | None,
    churn_level: pd.Series | None,
) -> list[SegmentProfile]:
    numeric = features[list(FEATURES)].apply(pd.to_numeric, errors="coerce")
    out: list[SegmentProfile] = []
    used: set[str] = set()
    for seg in sorted(labels.unique()):
        members = (labels == seg).to_numpy()
        zmean = {f: float(z[members, j].mean()) for j, f in enumerate(FEATURES)}
        traits = _traits(zmean)
        name_zh, name_en = _name(traits, used, int(seg))
        ids = labels.index[members]
        out.append(
            SegmentProfile(
                segment=int(seg),
                name_zh=name_zh,
                name_en=name_en,
                size=int(members.sum()),
                share=round(float(members.mean()), 4),
                means={f: round(float(numeric.loc[members, f].mean()), 4) for f in FEATURES},
                z={f: round(v, 3) for f, v in zmean.items()},
                traits=[f"{f} {'high' if up else 'low'}" for f, up, _zh, _en in traits],
                at_risk_share=_share(at_risk, ids),
                churn_high_share=_share(churn_level == "high" if churn_level is not None else None, ids),
            )
        )
    return out


def _share(flags: pd.Series | None, ids: pd.Index) -> float | None:
    if flags is None:
        return None
    return round(float(flags.astype(bool).reindex(ids, fill_value=False).mean()), 4)


def _traits(zmean: dict[str, float]) -> list[tuple[str, bool, str, str]]:
    """Traits of a segment, strongest first, at most one per group: (feature, is_high, zh, en)."""
    ranked = sorted(TRAITS, key=lambda t: -abs(zmean[t[0]]))
    seen: set[str] = set()
    out = []
    for feature, group, hi_zh, hi_en, lo_zh, lo_en in ranked:
        value = zmean[feature]
        zh, en = (hi_zh, hi_en) if value > 0 else (lo_zh, lo_en)
        if abs(value) < TRAIT_Z or group in seen or not zh:
            continue
        seen.add(group)
        out.append((feature, value > 0, zh, en))
    return out


def _name(traits: list[tuple[str, bool, str, str]], used: set[str], seg: int) -> tuple[str, str]:
    """Two strongest traits ("高价值·高退货"); a third when that name is taken; the segment number as last resort."""
    if not traits:
        zh, en = "普通客户", "typical"
    else:
        zh, en = "·".join(t[2] for t in traits[:2]), ", ".join(t[3] for t in traits[:2])
        if zh in used and len(traits) > 2:
            zh, en = "·".join(t[2] for t in traits[:3]), ", ".join(t[3] for t in traits[:3])
    if zh in used:
        zh, en = f"{zh}（{seg}）", f"{en} ({seg})"
    used.add(zh)
    return zh, en


# ---------------------------------------------------------------------------------------------------- at risk


def at_risk_ranking(
    orders: pd.DataFrame,
    events: pd.DataFrame,
    as_of: pd.Timestamp,
    negative_reviews: pd.Series | None = None,
) -> pd.DataFrame:
    """Customers ranked by how clearly they buy less since their latest bad experience than before it.

    `orders`: customer_id, ordered_at. `events`: customer_id, at, kind (one of SEVERITY_FLAGS but
    negative_review), the bad experiences (strongly negative messages, low survey scores). Returns one row per
    customer with a bad experience: the anchor (latest such event), orders before/after, the expected orders after
    at the baseline rate, the one-sided Poisson p-value, severity flags, `risk` in [0, 1] and `listed` (p ≤ AT_RISK_P).
    """
    ev = events[events["at"] <= as_of]
    if ev.empty:
        return pd.DataFrame(columns=_RISK_COLUMNS)
    ev = ev.sort_values("at", kind="stable")
    last = ev.groupby("customer_id", sort=True).tail(1).set_index("customer_id")
    anchor = last["at"].rename("anchor_at")
    flags = pd.crosstab(ev["customer_id"], ev["kind"]).reindex(columns=list(SEVERITY_FLAGS), fill_value=0) > 0
    flags = flags.reindex(anchor.index, fill_value=False)
    if negative_reviews is not None:
        flags["negative_review"] = negative_reviews.reindex(anchor.index).fillna(0).to_numpy() > 0
    o = orders[orders["ordered_at"] <= as_of][["customer_id", "ordered_at"]]
    o = o.merge(anchor, left_on="customer_id", right_index=True, how="inner")
    before_mask = o["ordered_at"] <= o["anchor_at"]
    first = o.groupby("customer_id")["ordered_at"].min().reindex(anchor.index)
    before = o[before_mask].groupby("customer_id").size().reindex(anchor.index, fill_value=0)
    after = o[~before_mask].groupby("customer_id").size().reindex(anchor.index, fill_value=0)
    day = pd.Timedelta(days=1)
    baseline_days = (anchor - first) / day
    days_since = (as_of - anchor) / day
    testable = (
        (baseline_days >= MIN_BASELINE_DAYS) & (before >= MIN_BASELINE_ORDERS) & (days_since >= MIN_DAYS_SINCE)
    ).fillna(False)
    # The baseline starts at the first order, so that order is the window's origin, not an event in it: the rate is
    # the orders after it per day (the unbiased estimate; counting it would inflate short baselines).
    rate = ((before - 1) / baseline_days).where(testable)
    expected = rate * days_since
    p = pd.Series(stats.poisson.cdf(after, expected.fillna(0.0).to_numpy()), index=anchor.index).where(testable)
    drop = (-np.log10(p.clip(lower=1e-300))).clip(upper=SCORE_CAP).fillna(0.0)
    severity = flags.astype(float).mean(axis=1)
    out = pd.DataFrame(
        {
            "anchor_at": anchor,
            "anchor_kind": last["kind"],
            "orders_before": before,
            "baseline_per_30d": (rate * 30).round(3),
            "days_since": days_since.round(1),
            "orders_after": after,
            "expected_after": expected.round(2),
            "p_value": p,
            "severity": severity.round(3),
            "risk": (drop / SCORE_CAP * (1.0 + severity) / 2.0).round(4),
            "listed": (p <= AT_RISK_P).fillna(False),
        }
    )
    out = pd.concat([out, flags], axis=1)
    out.index.name = "customer_id"
    return out.sort_values(["risk", "p_value"], ascending=[False, True], kind="stable")


_RISK_COLUMNS = [
    "anchor_at",
    "anchor_kind",
    "orders_before",
    "baseline_per_30d",
    "days_since",
    "orders_after",
    "expected_after",
    "p_value",
    "severity",
    "risk",
    "listed",
    *SEVERITY_FLAGS,
]


def explain_risk(row: dict[str, Any], locale: str = "zh-CN") -> list[str]:
    """Why a customer is at risk, in words: the drop against their own baseline, then each severity flag."""
    zh = locale.startswith("zh")
    anchor = pd.Timestamp(row["anchor_at"]).date().isoformat()
    kind = SEVERITY_NOTES.get(str(row["anchor_kind"]), (str(row["anchor_kind"]),) * 2)[0 if zh else 1]
    expected = row.get("expected_after")
    reasons = []
    if expected is not None and not (isinstance(expected, float) and math.isnan(expected)):
        if zh:
            reasons.append(
                f"{anchor}（{kind}）之后 {row['days_since']:.0f} 天仅下单 {row['orders_after']} 次，"
                f"按此前每30天 {row['baseline_per_30d']:.2f} 单应有约 {expected:.1f} 次（p={row['p_value']:.2g}）"
            )
        else:
            reasons.append(
                f"{row['orders_after']} orders in the {row['days_since']:.0f} days since {anchor} ({kind}), "
                f"against {expected:.1f} expected at the earlier {row['baseline_per_30d']:.2f} per 30 days "
                f"(p={row['p_value']:.2g})"
            )
    for flag in SEVERITY_FLAGS:
        if row.get(flag):
            reasons.append(SEVERITY_NOTES[flag][0 if zh else 1])
    return reasons
