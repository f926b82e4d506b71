"""Personalised reply drafts and customer notifications from Jinja2 templates, with the origin of every sentence."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import jinja2

from aftersales.errors import InvalidInputError
from aftersales.vocab import Emotion, Reason, Stage, Tier

if TYPE_CHECKING:
    from aftersales.policy.context import Decision

__all__ = [
    "NOTIFICATION_EVENTS",
    "REPLY_TEMPLATES",
    "STRATEGY_CODES",
    "Reply",
    "ReplyContext",
    "ReplyPart",
    "ReplyRenderer",
    "Tone",
    "choose_template",
    "render_notification",
    "render_reply",
]

Tone = Literal["apologetic_strong", "apologetic", "reassuring", "empathetic", "grateful", "neutral"]
Locale = Literal["zh-CN", "en"]

REPLY_TEMPLATES: tuple[str, ...] = ("apology_remedy", "reassure_next_step", "empathy_recovery", "thanks", "generic")
NOTIFICATION_EVENTS: tuple[str, ...] = (
    "return_received",
    "refund_issued",
    "replacement_shipped",
    "case_escalated",
    "sla_breach",
    "followup_survey",
)
# The strategy codes of the default policy that the shipped templates turn into sentences.
STRATEGY_CODES: tuple[str, ...] = (
    "apologise",
    "expedite",
    "replace",
    "refund",
    "compensation",
    "callback",
    "explain",
    "reassure",
    "thank",
)
# Extra variables a built-in notification may use; absent ones are None so templates can test them.
_NOTIFICATION_EXTRAS = ("amount", "carrier", "tracking_no", "return_id", "survey_url", "escalated_to", "minutes_over")
_REQUIRED_EXTRAS: dict[str, tuple[str, ...]] = {"followup_survey": ("survey_url",)}

_AUTO_BY_EMOTION: dict[str, str] = {
    Emotion.ANGER: "apology_remedy",
    Emotion.DISSATISFACTION: "apology_remedy",
    Emotion.ANXIETY: "reassure_next_step",
    Emotion.DISAPPOINTMENT: "empathy_recovery",
    Emotion.SATISFACTION: "thanks",
    Emotion.RELIEF: "thanks",
    Emotion.GRATITUDE: "thanks",
    Emotion.NEUTRAL: "generic",
}
# A template's core sentence stands in for the strategy of the same intent (no second apology after the first).
_CORE_COVERS = {"apology": "apologise", "empathy": "apologise", "reassurance": "reassure", "thanks": "thank"}
_COMPLAINT_STAGES = frozenset({Stage.INTENT_TO_COMPLAIN, Stage.FORMAL_COMPLAINT})
_WEEKDAYS_ZH = "一二三四五六日"

# Private-use characters delimit parts in the rendered text: they never occur in customer-facing wording.
_START, _SEP, _END = "\ue000", "\ue001", "\ue002"
_PART = re.compile(f"{_START}([^{_SEP}]*){_SEP}([^{_SEP}]*){_SEP}([^{_END}]*){_END}")
_LEFTOVER = re.compile(r"\bNone\b|\{\{|\}\}|\{%|%\}|（\s*）|\(\s*\)|【\s*】")


@dataclass(frozen=True)
class ReplyContext:
    """What a reply may mention: the customer, the order, the analysis and the triage decision (local times)."""

    customer_name: str | None = None
    tier: str = "regular"
    order_id: str | None = None
    product_name: str | None = None
    reasons: tuple[str, ...] = ()
    emotion: str = "neutral"
    intensity: int = 1
    stage: str = "none"
    strategy: tuple[str, ...] = ()
    first_response_due: dt.datetime | None = None
    resolution_due: dt.datetime | None = None
    compensation_limit: float | None = None
    agent_name: str | None = None
    case_id: str | None = None
    now: dt.datetime | None = None  # "today"/"tomorrow" are relative to this; None → the clock, in the dues' zone

    @classmethod
    def from_decision(cls, decision: Decision, **values: Any) -> ReplyContext:
        """Take strategy and compensation limit from a policy Decision; everything else comes from `values`."""
        values.setdefault("strategy", tuple(decision.strategy))
        values.setdefault("compensation_limit", decision.compensation_limit)
        return cls(**values)


@dataclass(frozen=True)
class ReplyPart:
    """One sentence of a reply and the context inputs that produced it (for agents and audits)."""

    key: str
    text: str
    inputs: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A rendered draft: the text an agent edits, plus how it was chosen and built."""

    text: str
    template: str
    language: Locale
    tone: Tone
    parts: tuple[ReplyPart, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. strategy codes the template has no sentence for


# The names a template's part(...) may cite as its inputs (besides notification extras).
CONTEXT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ReplyContext))


def _locale(language: str) -> Locale:
    """Chinese first: zh and mixed messages get Chinese replies; English and other languages get English."""
    code = (language or "").strip().lower()
    if code.startswith("zh") or code == "mixed":
        return "zh-CN"
    if code.startswith("en") or code == "other":
        return "en"
    raise InvalidInputError(f"unsupported reply language {language!r}; use zh, mixed, en (or zh-CN/en-US)")


def tone_for(ctx: ReplyContext) -> Tone:
    """Tone follows emotion and intensity; a strong negative feeling or a formal complaint raises the apology."""
    negative = ctx.emotion in (Emotion.ANGER, Emotion.DISSATISFACTION)
    if (negative and ctx.intensity >= 3) or ctx.stage == Stage.FORMAL_COMPLAINT:
        return "apologetic_strong"
    if negative or ctx.stage == Stage.INTENT_TO_COMPLAIN:
        return "apologetic"
    if ctx.emotion == Emotion.ANXIETY:
        return "reassuring"
    if ctx.emotion == Emotion.DISAPPOINTMENT:
        return "empathetic"
    if ctx.emotion in (Emotion.SATISFACTION, Emotion.RELIEF, Emotion.GRATITUDE):
        return "grateful"
    return "neutral"


def choose_template(ctx: ReplyContext) -> str:
    """The `auto` choice: by emotion, except that a customer threatening or filing a complaint always gets apology."""
    if ctx.stage in _COMPLAINT_STAGES:
        return "apology_remedy"
    return _AUTO_BY_EMOTION[ctx.emotion]


def _check(ctx: ReplyContext) -> None:
    """Reject codes outside the vocabulary early, with the list of valid ones."""
    checks: list[tuple[str, Sequence[str], list[str]]] = [
        ("emotion", [ctx.emotion], Emotion.codes()),
        ("stage", [ctx.stage], Stage.codes()),
        ("tier", [ctx.tier], Tier.codes()),
        ("reason", ctx.reasons, Reason.codes()),
    ]
    for what, values, known in checks:
        bad = [v for v in values if v not in known]
        if bad:
            raise InvalidInputError(f"unknown {what} {bad[0]!r}; known: {', '.join(known)}")
    if ctx.intensity not in (1, 2, 3):
        raise InvalidInputError(f"intensity must be 1, 2 or 3, not {ctx.intensity!r}")


def _when(due: dt.datetime | None, now: dt.datetime | None, locale: Locale) -> str | None:
    """A due time as a customer reads it: 今天18:00 / 明天10:00 / 6月3日（周二）10:00, or '18:00 today'."""
    if due is None:
        return None
    if now is None:
        now = dt.datetime.now(due.tzinfo)
    elif (now.tzinfo is None) != (due.tzinfo is None):
        now = now.replace(tzinfo=due.tzinfo)  # both are local times of the customer; only the day offset matters
    elif due.tzinfo is not None:
        now = now.astimezone(due.tzinfo)
    days = (due.date() - now.date()).days
    hm = due.strftime("%H:%M")
    if locale == "zh-CN":
        near = {0: "今天", 1: "明天", 2: "后天"}
        if days in near:
            return f"{near[days]}{hm}"
        year = f"{due.year}年" if due.year != now.year else ""
        return f"{year}{due.month}月{due.day}日（周{_WEEKDAYS_ZH[due.weekday()]}）{hm}"
    if days in (0, 1):
        return f"{hm} {'today' if days == 0 else 'tomorrow'}"
    year = f" {due.year}" if due.year != now.year else ""
    return f"{hm} on {due.strftime('%a')} {due.day} {due.strftime('%b')}{year}"


def _money(amount: float | None, locale: Locale) -> str | None:
    """Amounts without needless decimals: 50元 / ¥50, 12.50元 / ¥12.50."""
    if amount is None:
        return None
    text = f"{amount:.{0 if float(amount).is_integer() else 2}f}"
    return f"{text}元" if locale == "zh-CN" else f"¥{text}"


def _clean(value: str | None) -> str | None:
    """Blank strings count as missing, so templates never print an empty name or order number."""
    return None if value is None else (str(value).strip() or None)


def _words(items: Sequence[str], locale: str) -> str:
    """Jinja filter: a natural list (A、B和C / A, B and C) for reasons and other enumerations."""
    items = [str(i) for i in items if str(i).strip()]
    if len(items) <= 1:
        return "".join(items)
    sep, last = ("、", "和") if locale == "zh-CN" else (", ", " and ")
    return sep.join(items[:-1]) + last + items[-1]


def _view(ctx: ReplyContext, locale: Locale) -> dict[str, Any]:
    """Template variables: display names instead of codes, formatted dates and money, flags for tone."""
    codes = [r for r in dict.fromkeys(ctx.reasons) if r != Reason.OTHER]  # "other" says nothing worth repeating
    return {
        "locale": locale,
        "name": _clean(ctx.customer_name),
        "vip": ctx.tier == Tier.VIP,
        "order_id": _clean(ctx.order_id),
        "product": _clean(ctx.product_name),
        "reason_codes": codes,
        "reason_labels": {c: Reason(c).label(locale) for c in codes},
        "reasons": [Reason(c).label(locale) for c in codes],
        "emotion": ctx.emotion,
        "intensity": ctx.intensity,
        "strong": ctx.intensity >= 3,
        "stage": ctx.stage,
        "complaint": ctx.stage in _COMPLAINT_STAGES,
        "strategy": list(dict.fromkeys(ctx.strategy)),
        "first_due": _when(ctx.first_response_due, ctx.now, locale),
        "resolution_due": _when(ctx.resolution_due, ctx.now, locale),
        "compensation": _money(ctx.compensation_limit, locale),
        "agent": _clean(ctx.agent_name),
        "case_id": _clean(ctx.case_id),
        "tone": tone_for(ctx),
    }


def _squash(text: str, locale: str) -> str:
    """Join a sentence written over several template lines: Chinese takes no spaces, English takes one."""

    def join(m: re.Match[str]) -> str:
        if "\n" not in m.group(0) or locale != "zh-CN":
            return " "
        before = m.string[m.start() - 1] if m.start() else ""
        after = m.string[m.end()] if m.end() < len(m.string) else ""
        return " " if before.isascii() and before.isalnum() and after.isascii() and after.isalnum() else ""

    return re.sub(r"\s+", join, str(text)).strip()


@jinja2.pass_context
def _part(context: jinja2.runtime.Context, text: str, key: str, *inputs: str) -> str:
    """Jinja filter: mark a sentence with its key and the context inputs it used; empty sentences disappear."""
    body = _squash(text, str(context.get("locale", "")))
    if not body:
        return ""
    if _START in body:
        raise jinja2.TemplateRuntimeError(f"part {key!r} contains another part; parts cannot nest")
    return f"{_START}{key}{_SEP}{','.join(inputs)}{_SEP}{body}{_END}"


def _finalize(value: Any) -> Any:
    """Printing None is always a template bug (a missing `if`): fail loudly instead of sending 'None' to a customer."""
    if value is None:
        raise jinja2.TemplateRuntimeError("a template printed None; guard optional values with {% if %}")
    return value


def _inputs(names: str, ctx: ReplyContext, extra: Mapping[str, Any]) -> dict[str, str]:
    """Resolve the input names a part declared to their values, so an agent sees e.g. intensity=3."""
    out: dict[str, str] = {}
    for name in filter(None, names.split(",")):
        if name not in extra and name not in CONTEXT_FIELDS:
            raise InvalidInputError(f"a template part names unknown input {name!r}; use ReplyContext fields or extras")
        value = extra[name] if name in extra else getattr(ctx, name)
        if isinstance(value, tuple | list):
            value = ",".join(str(v) for v in value)
        out[name] = "" if value is None else str(value)
    return out


def _assemble(raw: str, ctx: ReplyContext, extra: Mapping[str, Any]) -> tuple[str, list[ReplyPart]]:
    """Strip part markers, keep their provenance, and tidy lines (empty lines from skipped branches vanish)."""
    parts: list[ReplyPart] = []

    def unwrap(m: re.Match[str]) -> str:
        parts.append(ReplyPart(key=m.group(1), text=m.group(3), inputs=_inputs(m.group(2), ctx, extra)))
        return f"\n{m.group(3)}\n"  # one sentence group per line: predictable layout in chat, SMS and e-mail

    text = _PART.sub(unwrap, raw)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line), parts


def _guard(text: str, what: str) -> None:
    """Last line of defence: no placeholder or empty bracket may reach a customer."""
    found = _LEFTOVER.search(text)
    if found:
        raise InvalidInputError(f"{what} rendered a placeholder or empty value ({found.group(0)!r}): {text!r}")


class ReplyRenderer:
    """Renders reply and notification templates; a user template folder overrides or adds to the shipped ones."""

    def __init__(self, template_dir: str | Path | None = None) -> None:
        loaders: list[jinja2.BaseLoader] = []
        if template_dir is not None:
            path = Path(template_dir)
            if not path.is_dir():
                raise InvalidInputError(f"template folder {str(path)!r} does not exist")
            loaders.append(jinja2.FileSystemLoader(path))
        loaders.append(jinja2.PackageLoader("aftersales.policy", "templates"))
        self.env = jinja2.Environment(
            loader=jinja2.ChoiceLoader(loaders),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text for chat, SMS and e-mail bodies, not HTML
            lstrip_blocks=True,  # no trim_blocks: line breaks after tags keep English words apart; _squash tidies
            keep_trailing_newline=False,
            finalize=_finalize,
        )
        self.env.filters["part"] = _part
        self.env.filters["words"] = _words

    def _names(self, prefix: str) -> list[str]:
        """Template names available in every language (user folder included), e.g. reply_<name>.<locale>.j2."""
        found: dict[str, set[str]] = {}
        for file in self.env.list_templates(extensions=["j2"]):
            match = re.fullmatch(rf"{prefix}_([a-z0-9_]+)\.(zh-CN|en)\.j2", file)
            if match:
                found.setdefault(match.group(1), set()).add(match.group(2))
        return sorted(name for name, locales in found.items() if locales == {"zh-CN", "en"})

    def reply_templates(self) -> list[str]:
        """Known reply template names (shipped plus user-added)."""
        return self._names("reply")

    def notification_events(self) -> list[str]:
        """Known notification events (shipped plus user-added)."""
        return self._names("notify")

    def render_reply(self, template: str, language: str, ctx: ReplyContext) -> Reply:
        """Draft a reply; `template="auto"` picks one from the customer's emotion and complaint stage."""
        _check(ctx)
        locale = _locale(language)
        name = choose_template(ctx) if template == "auto" else template
        known = self.reply_templates()
        if name not in known:
            raise InvalidInputError(f"unknown reply template {template!r}; known: auto, {', '.join(known)}")
        view = _view(ctx, locale)
        try:
            raw = self.env.get_template(f"reply_{name}.{locale}.j2").render(view)
        except jinja2.TemplateError as exc:
            raise InvalidInputError(f"reply template {name!r} could not be rendered: {exc}") from exc
        text, parts = _assemble(raw, ctx, {})
        _guard(text, f"reply template {name!r}")
        covered = {_CORE_COVERS.get(p.key, p.key.removeprefix("strategy:")) for p in parts}
        notes = tuple(f"no sentence for strategy {s!r}" for s in view["strategy"] if s not in covered)
        return Reply(text=text, template=name, language=locale, tone=view["tone"], parts=tuple(parts), notes=notes)

    def render_notification(self, event: str, language: str, ctx: ReplyContext, **extra: Any) -> tuple[str, str]:
        """Subject and body of a customer notification (return received, refund issued, survey, ...)."""
        _check(ctx)
        locale = _locale(language)
        known = self.notification_events()
        if event not in known:
            raise InvalidInputError(f"unknown notification event {event!r}; known: {', '.join(known)}")
        missing = [k for k in _REQUIRED_EXTRAS.get(event, ()) if not extra.get(k)]
        if missing:
            raise InvalidInputError(f"notification {event!r} needs {', '.join(missing)}")
        extras = {**dict.fromkeys(_NOTIFICATION_EXTRAS), **extra}
        view = {**_view(ctx, locale), **extras}
        if extras["amount"] is not None:
            view["amount"] = _money(float(extras["amount"]), locale)
        try:
            module = self.env.get_template(f"notify_{event}.{locale}.j2").make_module(view)
            subject, _ = _assemble(str(getattr(module, "subject", "")), ctx, extras)
            body, _ = _assemble(str(module), ctx, extras)
        except jinja2.TemplateError as exc:
            raise InvalidInputError(f"notification {event!r} could not be rendered: {exc}") from exc
        subject = " ".join(subject.split())
        if not subject:
            raise InvalidInputError(f"notification template {event!r} sets no subject")
        _guard(subject + "\n" + body, f"notification {event!r}")
        return subject, body


@cache
def _default_renderer() -> ReplyRenderer:
    """One renderer per process for the shipped templates (Jinja caches compiled templates on it)."""
    return ReplyRenderer()


def render_reply(template: str, language: str, ctx: ReplyContext) -> Reply:
    """Draft a reply with the shipped templates (see ReplyRenderer for user templates)."""
    return _default_renderer().render_reply(template, language, ctx)


def render_notification(event: str, language: str, ctx: ReplyContext, **extra: Any) -> tuple[str, str]:
    """Subject and body of a notification with the shipped templates."""
    return _default_renderer().render_notification(event, language, ctx, **extra)
