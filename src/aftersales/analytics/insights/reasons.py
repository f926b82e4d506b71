"""Stated vs. actual reasons: the code picked on the return form against the reasons read from the customer's words.

A return form offers a short list and customers pick what gets them a free return ("quality problem") or the first
option; their own messages say what happened. The confusion table shows where the two disagree, so reason
statistics built on form codes alone can be corrected.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from aftersales.vocab import Reason

UNSPECIFIED = "unspecified"
NO_REASON = "none"
_EXTRA_LABELS = {UNSPECIFIED: ("未填写", "not given"), NO_REASON: ("无原因", "no reason")}


def reason_labels(code: str) -> tuple[str, str]:
    """(zh, en) display names of a reason code; unknown codes show as themselves."""
    if code in _EXTRA_LABELS:
        return _EXTRA_LABELS[code]
    try:
        reason = Reason(code)
    except ValueError:
        return code, code
    return reason.zh, reason.en


def actual_reasons(messages: pd.DataFrame) -> pd.DataFrame:
    """One row per return: the reason its customer's messages name most (ties: higher total score, then code).

    `messages` has columns return_id, primary_reason, score and reasons (a list per message); messages whose
    primary reason is 'none' say nothing about the reason and are ignored. The result has return_id, actual,
    mentioned (every reason any message named) and messages (how many messages spoke to a reason).
    """
    cols = ["return_id", "actual", "mentioned", "messages"]
    useful = messages[messages["primary_reason"].astype(str) != NO_REASON]
    if useful.empty:
        return pd.DataFrame(columns=cols)
    votes = (
        useful.groupby(["return_id", "primary_reason"], sort=False)
        .agg(n=("primary_reason", "size"), score=("score", "sum"))
        .reset_index()
        .sort_values(["return_id", "n", "score", "primary_reason"], ascending=[True, False, False, True])
    )
    best = votes.drop_duplicates("return_id").set_index("return_id")["primary_reason"]
    exploded = useful[["return_id", "reasons"]].explode("reasons").dropna()
    mentioned = exploded.groupby("return_id")["reasons"].agg(lambda s: sorted(set(map(str, s))))
    counts = useful.groupby("return_id").size()
    out = pd.DataFrame({"actual": best, "messages": counts}).join(mentioned.rename("mentioned"))
    out["mentioned"] = [m if isinstance(m, list) else [] for m in out["mentioned"]]
    return out.reset_index().rename(columns={"index": "return_id"})[cols]


@dataclass(frozen=True)
class Mismatch:
    """One off-diagonal cell: stated one reason, said another; how often, and examples to read."""

    stated: str
    actual: str
    count: int
    share_of_stated: float
    examples: list[str]


@dataclass
class ReasonComparison:
    """The stated × actual confusion table with agreement measures and the largest disagreements."""

    returns: int
    with_messages: int
    coverage: float | None
    agreement_rate: float | None
    mention_rate: float | None
    kappa: float | None
    labels: list[str]
    table: list[dict[str, Any]]
    by_stated: list[dict[str, Any]]
    top_mismatches: list[Mismatch] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return asdict(self)


def _kappa(matrix: np.ndarray) -> float | None:
    """Cohen's kappa: agreement beyond what the two marginal distributions give by chance."""
    n = matrix.sum()
    if n == 0:
        return None
    observed = np.trace(matrix) / n
    chance = float((matrix.sum(axis=1) * matrix.sum(axis=0)).sum()) / n**2
    return None if chance >= 1 else float((observed - chance) / (1 - chance))


def compare_reasons(stated: pd.DataFrame, messages: pd.DataFrame, top: int = 10, examples: int = 5) -> ReasonComparison:
    """Compare `stated` (return_id, stated) with the reasons read from `messages` (see `actual_reasons`)."""
    base = stated[["return_id", "stated"]].copy()
    base["stated"] = base["stated"].fillna(UNSPECIFIED).astype(str)
    actual = actual_reasons(messages)
    joined = base.merge(actual, on="return_id", how="inner").sort_values("return_id", kind="stable")
    n_returns, n_with = len(base), len(joined)
    labels = sorted(set(joined["stated"]) | set(joined["actual"]), key=_reason_order)
    matrix = (
        pd.crosstab(joined["stated"], joined["actual"]).reindex(index=labels, columns=labels, fill_value=0)
        if n_with
        else pd.DataFrame(index=labels, columns=labels, dtype=int)
    )
    agree = joined["stated"] == joined["actual"]
    mentioned = [s in m for s, m in zip(joined["stated"], joined["mentioned"], strict=True)]
    table = [
        {"stated": s, "zh": reason_labels(s)[0], "en": reason_labels(s)[1]}
        | {a: int(matrix.at[s, a]) for a in labels if int(matrix.at[s, a])}
        for s in labels
        if s in set(joined["stated"])
    ]
    by_stated: list[dict[str, Any]] = []
    for s, group in joined.groupby("stated", sort=False):
        same = int((group["actual"] == s).sum())
        by_stated.append({"stated": str(s), "returns": len(group), "agree": same, "agreement_rate": same / len(group)})
    by_stated.sort(key=lambda r: (-r["returns"], r["stated"]))
    off = joined[~agree]
    mismatches = []
    if not off.empty:
        cells = off.groupby(["stated", "actual"]).agg(count=("return_id", "size"), ids=("return_id", list))
        cells = cells.reset_index().sort_values(["count", "stated", "actual"], ascending=[False, True, True])
        totals = joined.groupby("stated").size()
        for row in cells.head(top).itertuples(index=False):
            share = int(row.count) / int(totals[row.stated])
            mismatches.append(
                Mismatch(str(row.stated), str(row.actual), int(row.count), share, [str(i) for i in row.ids[:examples]])
            )
    return ReasonComparison(
        returns=n_returns,
        with_messages=n_with,
        coverage=n_with / n_returns if n_returns else None,
        agreement_rate=float(agree.mean()) if n_with else None,
        mention_rate=float(np.mean(mentioned)) if n_with else None,
        kappa=_kappa(matrix.to_numpy(dtype=float)) if n_with else None,
        labels=labels,
        table=table,
        by_stated=by_stated,
        top_mismatches=mismatches,
    )


def _reason_order(code: str) -> tuple[int, str]:
    """Vocabulary order first (as forms list them), then anything else alphabetically."""
    order = [r.value for r in Reason]
    return (order.index(code), code) if code in order else (len(order), code)
