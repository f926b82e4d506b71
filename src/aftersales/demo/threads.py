"""Multi-channel message threads, surveys and their ground truth, driven by how each synthetic case went."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from aftersales.demo import bank_agent, catalog
from aftersales.demo.compose import (
    Context,
    agent_text,
    casual_text,
    customer_text,
    reason_text,
    survey_comment,
)
from aftersales.demo.dice import Dice
from aftersales.vocab import EMOTION_POLARITY, Emotion, Reason, Stage

E = Emotion
R = Reason
S = Stage
DAY = dt.timedelta(days=1)

# First-contact feelings by reason: (emotion, weight).
_FIRST_EMOTION: dict[Reason, tuple[tuple[Emotion, float], ...]] = {
    R.SIZE_FIT: ((E.NEUTRAL, 0.35), (E.DISSATISFACTION, 0.45), (E.DISAPPOINTMENT, 0.2)),
    R.QUALITY_DEFECT: ((E.DISSATISFACTION, 0.4), (E.DISAPPOINTMENT, 0.25), (E.ANGER, 0.25), (E.ANXIETY, 0.1)),
    R.DAMAGED_IN_TRANSIT: ((E.DISSATISFACTION, 0.4), (E.ANGER, 0.35), (E.DISAPPOINTMENT, 0.25)),
    R.WRONG_ITEM: ((E.DISSATISFACTION, 0.5), (E.ANGER, 0.3), (E.ANXIETY, 0.2)),
    R.MISSING_PARTS: ((E.DISSATISFACTION, 0.5), (E.ANXIETY, 0.3), (E.NEUTRAL, 0.2)),
    R.NOT_AS_DESCRIBED: ((E.DISAPPOINTMENT, 0.5), (E.DISSATISFACTION, 0.4), (E.ANGER, 0.1)),
    R.LOGISTICS_DELAY: ((E.ANXIETY, 0.6), (E.DISSATISFACTION, 0.3), (E.ANGER, 0.1)),
    R.HARD_TO_USE: ((E.ANXIETY, 0.35), (E.DISAPPOINTMENT, 0.3), (E.DISSATISFACTION, 0.2), (E.NEUTRAL, 0.15)),
    R.CHANGED_MIND: ((E.NEUTRAL, 0.85), (E.ANXIETY, 0.15)),
    R.PRICE: ((E.DISSATISFACTION, 0.6), (E.NEUTRAL, 0.4)),
    R.COUNTERFEIT: ((E.ANGER, 0.5), (E.DISSATISFACTION, 0.3), (E.ANXIETY, 0.2)),
    R.SERVICE_ATTITUDE: ((E.ANGER, 0.5), (E.DISSATISFACTION, 0.5)),
    R.OTHER: ((E.NEUTRAL, 0.5), (E.DISSATISFACTION, 0.3), (E.ANXIETY, 0.2)),
}
_FIRST_CHANNELS = (("return_form", 0.35), ("chat", 0.42), ("phone", 0.08), ("email", 0.07), ("ticket", 0.08))
_FOLLOW_CHANNELS = (("chat", 0.45), ("phone", 0.2), ("email", 0.1), ("ticket", 0.25))
_LAST_CHANNELS = (("social", 0.35), ("review", 0.2), ("ticket", 0.2), ("phone", 0.1), ("chat", 0.15))
_REPLY = {
    "chat": 0.85,
    "email": 0.8,
    "ticket": 0.8,
    "phone": 0.5,
    "return_form": 0.5,
    "social": 0.6,
    "review": 0.4,
}
_REPLY_HOURS = {
    "chat": (0.02, 0.2),
    "phone": (0.0, 0.03),
    "email": (1, 20),
    "ticket": (1, 20),
    "return_form": (0.5, 24),
    "social": (2, 36),
    "review": (2, 48),
}


@dataclass
class Out:
    """Rows collected while walking the cases; sorted and numbered at the end."""

    messages: list[tuple[object, ...]] = field(default_factory=list)
    truth: list[tuple[object, ...]] = field(default_factory=list)
    surveys: list[tuple[object, ...]] = field(default_factory=list)


def pick_weighted(dice: Dice, options: tuple[tuple[str, float], ...] | tuple[tuple[Emotion, float], ...]) -> str:
    return str(dice.weighted([o for o, _ in options], [w for _, w in options]))


class ThreadWriter:
    """Walks returns and orders and writes messages, ground truth and surveys into plain row lists."""

    def __init__(self, dice: Dice, customers: pd.DataFrame, end_ts: dt.datetime) -> None:
        self.dice = dice
        self.end_ts = end_ts
        self.lang = customers["_lang"].tolist()
        self.region = customers["region"].tolist()
        self.out = Out()
        self._seq = 0

    def context(self, cust: int, order_id: str, sku_i: int, amount: float, spike: bool) -> Context:
        """Message context for one order of one customer."""
        d = self.dice
        sku = catalog.SKUS[sku_i]
        sizes = catalog.SIZES_SHOES if sku.category == "鞋靴" else catalog.SIZES_APPAREL
        i = d.below(len(sizes) - 1)
        size, size2 = (sizes[i], sizes[i + 1]) if d.chance(0.6) else (sizes[i + 1], sizes[i])
        hubs = (
            ("成都", "重庆", "昆明", "贵阳", "成都双流") if spike else ("杭州", "广州", "武汉", "郑州", "西安", "沈阳")
        )
        agents = bank_agent.AGENTS_EN if self.lang[cust] == "en" else bank_agent.AGENTS_ZH
        return Context(
            sku,
            order_id,
            self.lang[cust],
            size,
            size2,
            self.region[cust],
            amount,
            d.pick(hubs),
            d.pick(agents),
        )

    def message(
        self,
        at: dt.datetime,
        cust_id: str,
        text: str,
        lang: str,
        channel: str,
        author: str,
        order_id: str,
        return_id: str | None,
        label: tuple[Emotion, int, Stage, list[Reason]],
        kind: str,
    ) -> None:
        if at > self.end_ts:
            return
        self._seq += 1
        emotion, intensity, stage, reasons = label
        self.out.messages.append((at, self._seq, cust_id, text, order_id, return_id, channel, author, lang))
        self.out.truth.append(
            (
                self._seq,
                author,
                channel,
                lang,
                str(emotion),
                str(EMOTION_POLARITY[emotion]),
                intensity,
                str(stage),
                ";".join(str(r) for r in reasons),
                kind,
            )
        )

    def reply(
        self,
        at: dt.datetime,
        cust_id: str,
        ctx: Context,
        channel: str,
        order_id: str,
        return_id: str | None,
        kind: str,
        reason: Reason | None,
        stage: Stage,
        amount: float = 0.0,
    ) -> None:
        lo, hi = _REPLY_HOURS[channel]
        when = at + dt.timedelta(hours=self.dice.uniform(lo, hi))
        text = agent_text(self.dice, ctx, kind, reason, stage, amount)
        if channel == "phone":
            text = ("Agent: " if ctx.lang == "en" else self.dice.pick(("客服：", "[电话转写] 客服：", "坐席："))) + text
        lang = "en" if ctx.lang == "en" else "zh"
        reply_channel = "chat" if channel == "return_form" else channel
        self.message(
            when,
            cust_id,
            text,
            lang,
            reply_channel,
            "agent",
            order_id,
            return_id,
            (E.NEUTRAL, 1, S.NONE, []),
            f"agent_{kind}",
        )

    def case(self, row: dict[str, object], ctx: Context, cust_id: str) -> str:
        """Write one return's thread and surveys; returns the return form's free text."""
        d = self.dice
        reason = Reason(str(row["reason_code"]))
        rtype = str(row["type"])
        tier = str(row["_tier"])
        incident = bool(row["_incident"])
        status = str(row["status"])
        requested: dt.datetime = pd.Timestamp(row["requested_at"]).to_pydatetime()  # type: ignore[arg-type]
        resolved_ts = row["resolved_at"]
        resolved = None if pd.isna(resolved_ts) else pd.Timestamp(resolved_ts).to_pydatetime()  # type: ignore[arg-type]
        rid, oid = str(row["return_id"]), str(row["order_id"])
        form_text = reason_text(d, ctx, reason, rtype)

        n_msgs = {"smooth": 1 if d.chance(0.75) else 2, "bumpy": 2 if d.chance(0.5) else 3}.get(
            tier, 4 if incident or d.chance(0.6) else 3
        )
        horizon = resolved or self.end_ts
        span = max((horizon - requested).total_seconds(), 3600.0)
        fracs = sorted(d.uniform(0.15, 0.95) for _ in range(n_msgs - 1))
        first_channel = pick_weighted(d, _FIRST_CHANNELS if ctx.lang != "en" else (("email", 0.5), ("chat", 0.5)))
        emotion = Emotion(pick_weighted(d, _FIRST_EMOTION[reason]))
        intensity = 1 if emotion == E.NEUTRAL else d.weighted((1, 2, 3), (0.55, 0.4, 0.05))
        stage = S.NONE if emotion == E.NEUTRAL and reason == R.CHANGED_MIND else S.EXPLICIT
        if first_channel == "chat" and intensity == 1 and stage == S.EXPLICIT and d.chance(0.2):
            stage = S.LATENT
        second = R.LOGISTICS_DELAY if bool(row["_spike"]) and reason == R.DAMAGED_IN_TRANSIT and d.chance(0.4) else None
        reasons = [reason] + ([second] if second else [])
        if first_channel == "return_form":
            first_at, text, lang = requested, form_text, ("en" if ctx.lang == "en" else "zh")
            if ctx.lang == "mixed":
                text, lang = customer_text(
                    d,
                    ctx,
                    channel="return_form",
                    emotion=emotion,
                    intensity=intensity,
                    stage=stage,
                    reasons=reasons,
                    rtype=rtype,
                )
        else:
            first_at = requested - dt.timedelta(hours=d.uniform(0.0, 3.0))
            text, lang = customer_text(
                d,
                ctx,
                channel=first_channel,
                emotion=emotion,
                intensity=intensity,
                stage=stage,
                reasons=reasons,
                rtype=rtype,
            )
        if first_channel == "return_form" and ctx.lang != "mixed":
            # A bare form states the problem; it carries feeling only when its words do.
            reasons, stage = [reason], (S.NONE if reason == R.CHANGED_MIND else S.EXPLICIT)
            feeling = _has_feeling(text)
            emotion = E.DISSATISFACTION if feeling else E.NEUTRAL
            intensity = 2 if feeling and ("！" in text or "!" in text) else 1
        self.message(
            first_at,
            cust_id,
            text,
            lang,
            first_channel,
            "customer",
            oid,
            rid,
            (emotion, intensity, stage, reasons),
            "case_first",
        )
        curt = incident or (tier == "bad" and d.chance(0.4))
        if d.chance(_REPLY[first_channel]):
            self.reply(
                first_at,
                cust_id,
                ctx,
                first_channel,
                oid,
                rid,
                "curt" if curt and d.chance(0.5) else "first",
                reason,
                stage,
            )

        for k, frac in enumerate(fracs, start=2):
            at = requested + dt.timedelta(seconds=span * frac)
            last = k == n_msgs
            if tier == "smooth":
                label = (E.ANXIETY, d.between(1, 2), S.EXPLICIT)
            elif k == 2:
                label = (Emotion(d.pick((E.DISSATISFACTION, E.ANXIETY, E.DISAPPOINTMENT))), 2, S.EXPLICIT)
            elif k == 3 and (tier == "bumpy" or n_msgs == 4):
                label = (Emotion(d.pick((E.ANGER, E.DISSATISFACTION))), d.between(2, 3), S.INTENT_TO_COMPLAIN)
            else:
                label = (Emotion(d.pick((E.ANGER, E.ANGER, E.DISAPPOINTMENT))), 3, S.FORMAL_COMPLAINT)
            msg_reasons = [reason]
            if (incident and k >= 3) or (tier == "bad" and d.chance(0.5)) or (tier == "bumpy" and d.chance(0.25)):
                msg_reasons.append(R.SERVICE_ATTITUDE)
            channel = pick_weighted(d, _LAST_CHANNELS if last and label[2] == S.FORMAL_COMPLAINT else _FOLLOW_CHANNELS)
            text, lang = customer_text(
                d,
                ctx,
                channel=channel,
                emotion=label[0],
                intensity=label[1],
                stage=label[2],
                reasons=msg_reasons,
                rtype=rtype,
                attempt=k,
            )
            self.message(
                at,
                cust_id,
                text,
                lang,
                channel,
                "customer",
                oid,
                rid,
                (label[0], label[1], label[2], msg_reasons),
                f"case_followup_{k}",
            )
            if d.chance(_REPLY[channel]):
                kind = "curt" if curt and d.chance(0.6) else "followup"
                self.reply(at, cust_id, ctx, channel, oid, rid, kind, reason, label[2])

        if resolved is not None:
            self._after(row, ctx, cust_id, resolved, status, tier, incident, reason)
        return form_text

    def _after(
        self,
        row: dict[str, object],
        ctx: Context,
        cust_id: str,
        resolved: dt.datetime,
        status: str,
        tier: str,
        incident: bool,
        reason: Reason,
    ) -> None:
        """Resolution notice, thanks or a last angry word, and the CSAT/NPS the case earned."""
        d = self.dice
        rid, oid = str(row["return_id"]), str(row["order_id"])
        refund = row["refund_amount"]
        amount = 0.0 if pd.isna(refund) else float(refund)  # type: ignore[arg-type]
        good = status in ("refunded", "exchanged", "closed") and not incident and amount >= 0
        if good and d.chance(0.6):
            self.reply(resolved, cust_id, ctx, "chat", oid, rid, "resolution", reason, S.NONE, amount)
        elif status == "rejected" and d.chance(0.7):
            self.reply(resolved, cust_id, ctx, "ticket", oid, rid, "curt", reason, S.EXPLICIT)
        thanks_p = {"smooth": 0.4, "bumpy": 0.2}.get(tier, 0.05)
        if good and d.chance(thanks_p):
            emotion = Emotion(
                d.pick(
                    (E.GRATITUDE, E.GRATITUDE, E.RELIEF, E.SATISFACTION)
                    if tier == "smooth"
                    else (E.RELIEF, E.GRATITUDE)
                )
            )
            intensity = d.between(1, 3)
            at = resolved + dt.timedelta(hours=d.uniform(1.0, 72.0))
            channel = d.pick(("chat", "review", "chat"))
            text, lang = casual_text(d, ctx, "thanks", emotion, intensity, channel)
            self.message(
                at,
                cust_id,
                text,
                lang,
                channel,
                "customer",
                oid,
                rid,
                (emotion, intensity, S.NONE, []),
                "case_thanks",
            )
        elif status == "rejected" and not incident and d.chance(0.4):
            at = resolved + dt.timedelta(hours=d.uniform(0.5, 30.0))
            emotion = Emotion(d.pick((E.DISAPPOINTMENT, E.ANGER)))
            text, lang = customer_text(
                d,
                ctx,
                channel="review",
                emotion=emotion,
                intensity=2,
                stage=S.EXPLICIT,
                reasons=[reason, R.SERVICE_ATTITUDE],
                rtype="any",
            )
            self.message(
                at,
                cust_id,
                text,
                lang,
                "review",
                "customer",
                oid,
                rid,
                (emotion, 2, S.EXPLICIT, [reason, R.SERVICE_ATTITUDE]),
                "case_rejected_review",
            )
        band = "low" if incident or tier == "bad" or status == "rejected" else ("mid" if tier == "bumpy" else "high")
        csat_scores = {
            "high": ((5, 4, 3), (0.62, 0.3, 0.08)),
            "mid": ((4, 3, 2, 5), (0.35, 0.35, 0.2, 0.1)),
            "low": ((1, 2, 3), (0.7, 0.25, 0.05)),
        }[band]
        nps_lo, nps_hi = {"high": (7, 10), "mid": (4, 8), "low": (0, 3)}[band]
        for kind, p in (("csat", 0.95 if incident else 0.45), ("nps", 0.8 if incident else 0.3)):
            if not d.chance(p):
                continue
            at = resolved + dt.timedelta(hours=d.uniform(2.0, 72.0))
            if at > self.end_ts:
                continue
            score = d.weighted(*csat_scores) if kind == "csat" else d.between(nps_lo, nps_hi)
            if incident:
                score = min(score, 2)
            comment = survey_comment(d, ctx, band) if d.chance(0.35) else None
            self.out.surveys.append((at, cust_id, kind, score, oid, comment))


def _has_feeling(text: str) -> bool:
    """Whether a return-form text carries emotion words (forms mostly state facts)."""
    words = (
        "太差",
        "离谱",
        "生气",
        "失望",
        "气死",
        "!",
        "！",
        "太暴力",
        "堪忧",
        "过质检",
        "扔过来",
        "不行",
        "太慢",
    )
    return any(w in text for w in words)
