"""Contacts outside return cases (questions, reviews, order surveys) and assembling all rows into frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from aftersales.demo import catalog
from aftersales.demo.compose import Context, casual_text, customer_text, survey_comment
from aftersales.demo.dice import Dice
from aftersales.demo.threads import DAY, Out, ThreadWriter, pick_weighted
from aftersales.vocab import Emotion, Reason, Stage

E = Emotion
R = Reason
S = Stage

_CASUAL_KINDS = (
    ("logistics_q", 0.22),
    ("usage_q", 0.10),
    ("price_q", 0.05),
    ("review_pos", 0.33),
    ("review_neu", 0.10),
    ("review_neg", 0.12),
    ("logistics_anx", 0.08),
)


def casual(writer: ThreadWriter, ctx: Context, cust_id: str, order: dict[str, object]) -> None:
    """A non-return contact about an order: a question, a review, a worried logistics check."""
    d = writer.dice
    kind = pick_weighted(d, _CASUAL_KINDS)
    ordered: dt.datetime = pd.Timestamp(order["ordered_at"]).to_pydatetime()  # type: ignore[arg-type]
    delivered_ts = order["delivered_at"]
    delivered = None if pd.isna(delivered_ts) else pd.Timestamp(delivered_ts).to_pydatetime()  # type: ignore[arg-type]
    oid = str(order["order_id"])
    slow = delivered is None or (delivered - ordered) > 4 * DAY
    if kind == "logistics_anx" and not slow:
        kind = "logistics_q"
    if kind in ("review_pos", "review_neu", "review_neg", "usage_q") and delivered is None:
        kind = "logistics_q"
    channel = "review" if kind.startswith("review") else d.pick(("chat", "chat", "phone", "email", "social"))
    if ctx.lang == "en" and channel == "phone":
        channel = "chat"
    label: tuple[Emotion, int, Stage, list[Reason]]
    if kind in ("review_neg", "logistics_anx"):
        if kind == "review_neg":
            sku = catalog.SKUS[[s.sku for s in catalog.SKUS].index(ctx.sku.sku)]
            mix = catalog.reason_mix(sku)
            choices = [r for r, w in zip(catalog.REASONS, mix, strict=True) if w > 0 and r != R.CHANGED_MIND]
            reason = Reason(d.weighted(choices, [mix[catalog.REASONS.index(r)] for r in choices]))
            emotion = Emotion(d.pick((E.DISSATISFACTION, E.DISAPPOINTMENT)))
        else:
            reason, emotion = R.LOGISTICS_DELAY, E.ANXIETY
        stage = S.LATENT if d.chance(0.55) else S.EXPLICIT
        label = (emotion, d.between(1, 2), stage, [reason])
        text, lang = customer_text(
            d,
            ctx,
            channel=channel,
            emotion=label[0],
            intensity=label[1],
            stage=stage,
            reasons=[reason],
            rtype="any",
        )
    else:
        emotion = {"review_pos": Emotion(d.pick((E.SATISFACTION,) * 4 + (E.GRATITUDE,)))}.get(kind, E.NEUTRAL)
        label = (emotion, d.between(1, 3) if emotion != E.NEUTRAL else 1, S.NONE, [])
        text, lang = casual_text(d, ctx, kind, label[0], label[1], channel)
    if kind in ("logistics_q", "logistics_anx", "price_q"):
        limit = delivered or writer.end_ts
        at = ordered + dt.timedelta(hours=d.uniform(1.0, max((limit - ordered).total_seconds() / 3600 - 1, 2.0)))
    else:
        base = delivered or ordered
        at = base + dt.timedelta(hours=d.uniform(4.0, 240.0))
    writer.message(at, cust_id, text, lang, channel, "customer", oid, None, label, f"casual_{kind}")
    reply_p = 0.85 if kind.endswith("_q") or kind == "logistics_anx" else 0.3
    if d.chance(reply_p):
        agent_kind = {
            "logistics_q": "logistics",
            "usage_q": "usage",
            "price_q": "usage",
            "review_pos": "thanks",
            "review_neu": "thanks",
        }.get(kind, "first")
        writer.reply(at, cust_id, ctx, channel, oid, None, agent_kind, label[3][0] if label[3] else None, label[2])


def order_survey(writer: ThreadWriter, cust_id: str, order: dict[str, object], ctx: Context) -> None:
    """A post-delivery survey on an order that went fine: mostly high scores, some mediocre."""
    d = writer.dice
    delivered: dt.datetime = pd.Timestamp(order["delivered_at"]).to_pydatetime()  # type: ignore[arg-type]
    at = delivered + dt.timedelta(hours=d.uniform(12.0, 120.0))
    if at > writer.end_ts:
        return
    kind = "csat" if d.chance(0.6) else "nps"
    mediocre = d.chance(0.12)
    if kind == "csat":
        score = d.weighted((5, 4, 3, 2), (0.1, 0.3, 0.45, 0.15) if mediocre else (0.62, 0.33, 0.05, 0.0))
    else:
        score = d.between(3, 7) if mediocre else d.between(8, 10)
    comment = survey_comment(d, ctx, "mid" if mediocre else "high") if d.chance(0.2) else None
    writer.out.surveys.append((at, cust_id, kind, score, str(order["order_id"]), comment))


def frames(out: Out) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Sort rows by time (generation order breaks ties) and number them: interactions, truth, surveys."""
    msgs = pd.DataFrame(
        out.messages,
        columns=[
            "created_at",
            "_seq",
            "customer_id",
            "text",
            "order_id",
            "return_id",
            "channel",
            "author",
            "language",
        ],
    )
    msgs = msgs.sort_values(["created_at", "_seq"], kind="stable").reset_index(drop=True)
    msgs["created_at"] = pd.to_datetime(msgs["created_at"]).dt.floor("s")
    msgs.insert(0, "interaction_id", [f"M{i:07d}" for i in range(1, len(msgs) + 1)])
    truth = pd.DataFrame(
        out.truth,
        columns=[
            "_seq",
            "author",
            "channel",
            "language",
            "emotion",
            "polarity",
            "intensity",
            "stage",
            "reasons",
            "kind",
        ],
    )
    truth = msgs[["interaction_id", "_seq", "customer_id"]].merge(truth, on="_seq", how="left").drop(columns="_seq")
    msgs = msgs.drop(columns="_seq")
    surveys = pd.DataFrame(out.surveys, columns=["answered_at", "customer_id", "kind", "score", "order_id", "comment"])
    surveys = surveys.sort_values(["answered_at", "customer_id", "kind"], kind="stable").reset_index(drop=True)
    surveys["answered_at"] = pd.to_datetime(surveys["answered_at"]).dt.floor("s")
    surveys.insert(0, "survey_id", [f"S{i:06d}" for i in range(1, len(surveys) + 1)])
    return msgs, truth, surveys


def write_threads(
    rng: np.random.Generator,
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    returns: pd.DataFrame,
    end_ts: dt.datetime,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str]]:
    """Interactions, their truth, surveys, and the return forms' reason texts (in `returns` order)."""
    dice = Dice(rng)
    writer = ThreadWriter(dice, customers, end_ts)
    ids = customers["customer_id"].tolist()
    texts: list[str] = []
    for row in returns.to_dict("records"):
        cust = int(row["_cust"])
        ctx = writer.context(cust, str(row["order_id"]), int(row["_sku"]), float(row["_amount"]), bool(row["_spike"]))
        texts.append(writer.case(row, ctx, ids[cust]))
    returned = set(returns["order_id"].tolist())
    pick = rng.random(len(orders))
    survey_pick = rng.random(len(orders))
    cols = ["order_id", "ordered_at", "delivered_at", "_cust", "_sku", "amount", "_spike"]
    for i, order in enumerate(orders[cols].to_dict("records")):
        if order["order_id"] in returned:
            continue
        if pick[i] < 0.07 or survey_pick[i] < 0.04:
            cust = int(order["_cust"])
            ctx = writer.context(
                cust,
                str(order["order_id"]),
                int(order["_sku"]),
                float(order["amount"]),
                bool(order["_spike"]),
            )
            if pick[i] < 0.07:
                casual(writer, ctx, ids[cust], order)
            if survey_pick[i] < 0.04 and not pd.isna(order["delivered_at"]):
                order_survey(writer, ids[cust], order, ctx)
    msgs, truth, surveys = frames(writer.out)
    return msgs, truth, surveys, texts
