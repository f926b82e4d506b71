"""Compose varied synthetic messages from the phrase banks, so the labels we intend are what the text says."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aftersales.demo import bank_agent, bank_en, bank_zh, noise
from aftersales.demo.catalog import SKUS, Sku
from aftersales.demo.dice import Dice
from aftersales.vocab import Emotion, Reason, Region, Stage

E = Emotion
_POSITIVE = (E.SATISFACTION, E.RELIEF, E.GRATITUDE)
_CASUAL = ("chat", "social", "review")


class _Slots(dict[str, Any]):
    """Template slots where a missing slot renders empty instead of raising."""

    def __missing__(self, key: str) -> str:
        return ""


@dataclass
class Context:
    """What a message may mention: the product, order, sizes, place and the writer's language habit."""

    sku: Sku
    order_id: str
    lang: str  # zh, en, mixed (code-switches) or trad (writes traditional characters)
    size: str
    size2: str
    region: str
    amount: float
    hub: str
    agent: str


def _fill(template: str, ctx: Context, dice: Dice, reason: Reason | None = None, **extra: Any) -> str:
    """Render a template with this context, drawing the per-message details (numbers, colours, claims)."""
    cat = ctx.sku.category
    detail = ""
    if reason is not None:
        options = bank_zh.DETAIL.get((reason, cat)) or bank_zh.DETAIL.get((reason, "*"))
        detail = dice.pick(options) if options else ""
    same_cat = [s for s in SKUS if s.category == cat and s.sku != ctx.sku.sku]
    other = dice.pick(same_cat) if same_cat else ctx.sku
    english = ctx.lang == "en"
    c1, c2 = dice.sample(bank_zh.COLOURS, 2)
    slots = _Slots(
        p=ctx.sku.en if english else ctx.sku.short,
        full=ctx.sku.name,
        oid=ctx.order_id,
        size=ctx.size,
        size2=ctx.size2,
        n=dice.between(2, 15),
        q=dice.between(2, 3),
        d=detail,
        c1=c1,
        c2=c2,
        claim=dice.pick((bank_en.CLAIMS if english else bank_zh.CLAIMS)[cat]),
        hub=ctx.hub,
        m=dice.between(5, 120),
        code=f"{dice.between(10_000_000, 99_999_999)}",
        other=other.en if english else other.short,
        when=dice.pick(bank_zh.WHEN),
        region=Region(ctx.region).en if english else ctx.region,
        agent=ctx.agent,
    )
    slots.update(extra)
    return template.format_map(slots)


def _join_zh(parts: list[str], intensity: int, dice: Dice) -> str:
    """Join clauses with varied Chinese punctuation; stronger feelings get more exclamation marks."""
    out = ""
    for i, part in enumerate(p for p in parts if p):
        if i and out[-1] not in "，。！？：!?,.~ ":
            out += dice.weighted(("，", "。", " ", "！"), (0.6, 0.22, 0.08, 0.1 * intensity))
        out += part
    if out and out[-1] not in "。！？!?~" and dice.chance(0.6):
        out += dice.weighted(("。", "！", ""), (0.5, 0.2 * intensity, 0.3))
    return out


def customer_text(
    dice: Dice,
    ctx: Context,
    *,
    channel: str,
    emotion: Emotion,
    intensity: int,
    stage: Stage,
    reasons: list[Reason],
    rtype: str = "return",
    attempt: int = 1,
) -> tuple[str, str]:
    """A customer message expressing the emotion, intensity, stage and reasons asked for; (text, language)."""
    if ctx.lang == "en":
        return _customer_en(dice, ctx, channel, emotion, intensity, stage, reasons, rtype, attempt), "en"
    b = bank_zh
    parts: list[str] = [_fill(dice.pick(b.OPENERS[channel]), ctx, dice)] if dice.chance(0.65) else []
    if attempt > 1 and dice.chance(0.8):
        parts.append(_fill(dice.pick(b.FOLLOWUP), ctx, dice, k=attempt))
    problems = []
    for reason in reasons:
        bank = b.LATENT.get(reason) if stage == Stage.LATENT else None
        problems.append(_fill(dice.pick(bank or b.PROBLEM[reason]), ctx, dice, reason))
    if problems and (attempt == 1 or dice.chance(0.5)):
        problems[0] = _fill(dice.pick(b.PRODUCT_REF), ctx, dice) + dice.pick(("，", "", " ", "：")) + problems[0]
    feeling = _fill(dice.pick(b.EMOTION[emotion][intensity]), ctx, dice) if emotion != E.NEUTRAL else ""
    if feeling and dice.chance(0.4):
        parts.append(feeling)
        parts.extend(problems)
    else:
        parts.extend(problems)
        parts.append(feeling)
    if stage in (Stage.EXPLICIT, Stage.INTENT_TO_COMPLAIN, Stage.FORMAL_COMPLAINT) and dice.chance(0.75):
        parts.append(_fill(dice.pick(b.REQUEST[rtype if dice.chance(0.7) else "any"]), ctx, dice))
    if emotion == E.ANXIETY or (stage != Stage.LATENT and dice.chance(0.12)):
        parts.append(dice.pick(b.URGENCY))
    if stage == Stage.INTENT_TO_COMPLAIN:
        parts.append(_fill(dice.pick(b.THREAT_INTENT), ctx, dice))
    elif stage == Stage.FORMAL_COMPLAINT:
        parts.append(_fill(dice.pick(b.THREAT_FORMAL), ctx, dice))
    if emotion != E.ANGER and dice.chance((0.55, 0.3, 0.08)[intensity - 1]):
        parts.append(dice.pick(b.CLOSERS))
    text = _join_zh(parts, intensity, dice)
    return _decorate_zh(text, dice, ctx, channel, emotion, intensity)


def _decorate_zh(
    text: str, dice: Dice, ctx: Context, channel: str, emotion: Emotion, intensity: int
) -> tuple[str, str]:
    """Add the noise of real chat text, then the writer's script and language habit."""
    if dice.chance(0.2 if channel in _CASUAL else 0.08):
        text = noise.typo(text, dice)
        if dice.chance(0.3):
            text = noise.typo(text, dice)
    if (intensity == 3 and dice.chance(0.7)) or (intensity == 2 and dice.chance(0.2)):
        text = noise.shout(text, dice)
    if channel == "phone":
        text = noise.transcript(text, dice)
    elif dice.chance(0.5 if channel in _CASUAL else 0.06):
        mark = noise.emoji(emotion, dice)
        text = f"{text}{mark}" if dice.chance(0.75) else f"{mark}{text}"
        if intensity == 3 and dice.chance(0.4):
            text += mark * dice.between(1, 3)
    language = "zh"
    if ctx.lang == "trad":
        text = noise.traditional(text)
    elif ctx.lang == "mixed" and dice.chance(0.7):
        text = noise.code_switch(text, dice)
        language = "mixed"
    return text.strip() or "在吗", language


def _customer_en(
    dice: Dice,
    ctx: Context,
    channel: str,
    emotion: Emotion,
    intensity: int,
    stage: Stage,
    reasons: list[Reason],
    rtype: str,
    attempt: int,
) -> str:
    """English counterpart of `customer_text`."""
    b = bank_en
    ref = _fill(dice.pick(b.PRODUCT_REF), ctx, dice)
    parts: list[str] = [_fill(dice.pick(b.OPENERS[channel]), ctx, dice)] if dice.chance(0.7) else []
    if attempt > 1 and dice.chance(0.8):
        parts.append(_fill(dice.pick(b.FOLLOWUP), ctx, dice, k=attempt))
    for reason in reasons:
        bank = b.LATENT.get(reason) if stage == Stage.LATENT else None
        sentence = _fill(dice.pick(bank or b.PROBLEM[reason]), ctx, dice, reason, ref=ref)
        parts.append(sentence[:1].upper() + sentence[1:] + ("" if sentence.endswith(("?", "!")) else "."))
    if emotion != E.NEUTRAL:
        feeling = dice.pick(b.EMOTION[emotion][intensity])
        parts.insert(len(parts) - 1 if dice.chance(0.3) and parts else len(parts), feeling)
    if stage in (Stage.EXPLICIT, Stage.INTENT_TO_COMPLAIN, Stage.FORMAL_COMPLAINT) and dice.chance(0.75):
        parts.append(_fill(dice.pick(b.REQUEST[rtype if dice.chance(0.7) else "any"]), ctx, dice))
    if emotion == E.ANXIETY:
        parts.append(dice.pick(b.URGENCY))
    if stage == Stage.INTENT_TO_COMPLAIN:
        parts.append(dice.pick(b.THREAT_INTENT))
    elif stage == Stage.FORMAL_COMPLAINT:
        parts.append(_fill(dice.pick(b.THREAT_FORMAL), ctx, dice))
    if emotion != E.ANGER and dice.chance(0.4):
        parts.append(dice.pick(b.CLOSERS))
    text = " ".join(p for p in parts if p)
    if intensity == 3 and dice.chance(0.5):
        text = noise.shout(text, dice, english=True)
    if channel in _CASUAL and dice.chance(0.35):
        text += " " + noise.emoji(emotion, dice, english=True)
    if channel == "phone":
        text = "[Call transcript] Customer: " + text.replace(",", " uh,", 1)
    return text


def casual_text(dice: Dice, ctx: Context, kind: str, emotion: Emotion, intensity: int, channel: str) -> tuple[str, str]:
    """Non-complaint messages: logistics/usage/price questions, reviews and thanks after a resolved case."""
    english = ctx.lang == "en"
    b: Any = bank_en if english else bank_zh
    bank = {
        "logistics_q": b.LOGISTICS_QUESTION,
        "usage_q": b.USAGE_QUESTION + b.USAGE_BY_CATEGORY[ctx.sku.category],
        "price_q": b.PRICE_QUESTION,
        "review_pos": b.REVIEW_POSITIVE,
        "review_neu": b.REVIEW_NEUTRAL,
        "thanks": b.THANKS_AFTER,
    }[kind]
    feeling = dice.pick(b.EMOTION[emotion][intensity]) if emotion != E.NEUTRAL else ""
    text = _fill(dice.pick(bank), ctx, dice, e=feeling)
    if kind in ("logistics_q", "usage_q", "price_q") and dice.chance(0.6):
        opener = _fill(dice.pick(b.OPENERS[channel]), ctx, dice)
        text = f"{opener}{' ' if english else ('，' if opener and opener[-1] not in '，：,:' else '')}{text}"
    if english:
        if channel in _CASUAL and emotion != E.NEUTRAL and dice.chance(0.35):
            text += " " + noise.emoji(emotion, dice, english=True)
        return text, "en"
    return _decorate_zh(text, dice, ctx, channel, emotion, intensity)


def agent_text(dice: Dice, ctx: Context, kind: str, reason: Reason | None, stage: Stage, amount: float = 0.0) -> str:
    """An agent reply: greeting, empathy fitting the stage, an action for the reason, timeline, sign-off."""
    english = ctx.lang == "en"
    b = bank_agent.EN if english else bank_agent.ZH
    actions = bank_agent.EN_ACTION if english else bank_agent.ZH_ACTION
    m = f"{amount:.2f}"
    parts = [dice.pick(b["greet"])] if dice.chance(0.8) else []
    if kind in ("logistics", "usage", "thanks"):
        parts.append(dice.pick(b[f"{kind}_answer"] if kind != "logistics" else b["logistics_answer"]))
    elif kind == "curt":
        parts = [dice.pick(b["curt"])]
    elif kind == "resolution":
        parts.append(dice.pick(b["resolution_refund" if amount > 0 else "resolution_other"]))
    else:
        key = {
            Stage.INTENT_TO_COMPLAIN: "empathy_intent",
            Stage.FORMAL_COMPLAINT: "empathy_formal",
        }.get(stage, "empathy_explicit")
        parts.append(dice.pick(b[key]))
        if reason is not None:
            parts.append(dice.pick(actions[reason]))
        if dice.chance(0.7):
            parts.append(dice.pick(b["timeline"]))
    if kind != "curt":
        parts.append(dice.pick(b["close"]))
        parts.append(dice.pick(b["sign"]))
    sep = " " if english else "，"
    text = sep.join(_fill(p, ctx, dice, m=m) for p in parts if p)
    if not english:
        text = text.replace("，，", "，").replace("：，", "：")
        if ctx.lang == "trad":
            text = noise.traditional(text)
    return text


def reason_text(dice: Dice, ctx: Context, reason: Reason, rtype: str) -> str:
    """The free text a customer types into the return form."""
    if ctx.lang == "en":
        ref = _fill(dice.pick(bank_en.PRODUCT_REF), ctx, dice)
        text = _fill(dice.pick(bank_en.PROBLEM[reason]), ctx, dice, reason, ref=ref)
        return text[:1].upper() + text[1:]
    text = _fill(dice.pick(bank_zh.PROBLEM[reason]), ctx, dice, reason)
    if dice.chance(0.4):
        text += "，" + _fill(dice.pick(bank_zh.REQUEST[rtype]), ctx, dice)
    if dice.chance(0.1):
        text = noise.typo(text, dice)
    return noise.traditional(text) if ctx.lang == "trad" else text


def survey_comment(dice: Dice, ctx: Context, score_band: str) -> str:
    """A short optional survey comment: praise for high scores, complaint words for low ones."""
    b: Any = bank_en if ctx.lang == "en" else bank_zh
    if score_band == "high":
        return str(dice.pick(b.EMOTION[dice.pick((E.SATISFACTION, E.GRATITUDE))][dice.between(1, 3)]))
    if score_band == "mid":
        return str(dice.pick(b.EMOTION[E.DISSATISFACTION][1] + b.EMOTION[E.SATISFACTION][1]))
    emotion = dice.pick((E.ANGER, E.DISAPPOINTMENT, E.DISSATISFACTION))
    return str(dice.pick(b.EMOTION[emotion][dice.between(2, 3)]))
