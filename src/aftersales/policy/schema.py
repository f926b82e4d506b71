"""The triage policy as data: pydantic models for the YAML; cross-references are checked when a Policy is built."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from aftersales.policy.conditions import PRIORITIES, AllOf, iter_tests, parse_when, show
from aftersales.vocab import Tier

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_QUEUES: tuple[tuple[str, str, str], ...] = (
    ("tech_support", "技术支持", "Technical support"),
    ("logistics", "物流", "Logistics"),
    ("vip", "VIP专席", "VIP desk"),
    ("emotion_care", "情感关怀小组", "Emotion care team"),
    ("complaints", "投诉处理", "Complaints"),
    ("general", "综合客服", "General service"),
)
DEFAULT_STRATEGIES: tuple[tuple[str, str, str], ...] = (
    ("apologise", "致歉", "Apologise"),
    ("expedite", "加急处理", "Expedite"),
    ("replace", "换货/补发", "Replace or reship"),
    ("refund", "退款", "Refund"),
    ("compensation", "补偿", "Compensation"),
    ("callback", "主动回电", "Call back"),
    ("explain", "解释说明", "Explain"),
    ("reassure", "安抚并告知进度", "Reassure with next step"),
    ("thank", "致谢", "Thank"),
)
DEFAULT_TEMPLATES: tuple[str, ...] = ("apology_remedy", "reassure_next_step", "empathy_recovery", "thanks", "generic")
NOTIFY_EVENTS: tuple[str, ...] = tuple(
    ["return_received", "refund_issued", "replacement_shipped", "case_escalated", "sla_breach", "followup_survey"]
)
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h|d)\s*$")
_UNIT_MINUTES = {"m": 1, "min": 1, "h": 60}
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")

# ---------------------------------------------------------------- durations and small validators


def parse_duration(value: Any) -> tuple[float, str]:
    """Split "30m" / "4h" / "2d" / 45 (bare minutes) into (amount, unit); "d" is a business day, resolved later."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f'expected a duration like "30m", "4h" or "2d", got {show(value)}')
    if isinstance(value, int | float):
        amount, unit = float(value), "m"
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f'expected a duration like "30m", "4h" or "2d", got {show(value)}')
        amount, unit = float(match.group(1)), match.group(2)
    if amount <= 0:
        raise ValueError(f"a duration must be positive, got {show(value)}")
    return amount, unit


def _code(value: str, choices: tuple[str, ...], label: str) -> str:
    if value not in choices:
        raise ValueError(f'unknown {label} "{value}" (expected one of {", ".join(choices)})')
    return value


def _snake(value: str) -> str:
    if not _SNAKE.match(value):
        raise ValueError(f'"{value}" must be snake_case (a-z, 0-9, _; starting with a letter)')
    return value


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


# ---------------------------------------------------------------- the models


class _Model(BaseModel):
    """Frozen, and unknown keys are errors: a typo in a policy must fail loudly, not be ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Named(_Model):
    """A declared code with its display names (queues, strategies)."""

    code: str
    zh: str
    en: str

    _check_code = field_validator("code")(_snake)


class BusinessHours(_Model):
    """When the service desk works; the workflow calendar turns this into business-time arithmetic."""

    timezone: str = "Asia/Shanghai"
    weekdays: list[str] = Field(default_factory=lambda: list(WEEKDAYS))
    start: str = "09:00"
    end: str = "21:00"
    holidays: list[date] = Field(default_factory=list)
    workdays: list[date] = Field(default_factory=list)  # extra working dates (调休)
    cn_public_holidays: bool = False

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f'unknown IANA timezone "{value}" (e.g. Asia/Shanghai)') from None
        return value

    @field_validator("weekdays", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        days = [str(d).lower() for d in _listify(value)] if isinstance(value, list | str) else value
        if isinstance(days, list):
            for d in days:
                _code(d, WEEKDAYS, "weekday")
            if len(set(days)) != len(days) or not days:
                raise ValueError("expected a non-empty list of distinct weekdays")
        return days

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 21:00 as the base-60 number 1260.
            raise ValueError(f'write times in quotes, e.g. "21:00" (YAML read this one as the number {value})')
        if not isinstance(value, str) or not _HHMM.match(value):
            raise ValueError(f'expected a time "HH:MM", got {show(value)}')
        return value

    @model_validator(mode="after")
    def _order(self) -> BusinessHours:
        if self.day_minutes <= 0:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ValueError(f"dates listed both as holiday and as workday: {', '.join(map(str, both))}")
        if self.cn_public_holidays:
            try:
                import chinese_calendar  # noqa: F401
            except ImportError:
                raise ValueError("cn_public_holidays needs the chinese_calendar package") from None
        return self

    @property
    def day_minutes(self) -> int:
        """Length of one business day in minutes (what "1d" means in SLA targets)."""
        return _minutes_of_day(self.end) - _minutes_of_day(self.start)

    def to_calendar_config(self) -> dict[str, Any]:
        """Plain dict for aftersales.workflow.calendar (weekdays as ints, 0 = Monday)."""
        return {
            "timezone": self.timezone,
            "weekdays": [WEEKDAYS.index(d) for d in self.weekdays],
            "start": self.start,
            "end": self.end,
            "holidays": list(self.holidays),
            "workdays": list(self.workdays),
            "cn_public_holidays": self.cn_public_holidays,
        }


def _minutes_of_day(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


class SlaTarget(_Model):
    """First-response and resolution targets for one priority, in business time."""

    first_response: str | int
    resolution: str | int

    @field_validator("first_response", "resolution")
    @classmethod
    def _duration(cls, value: str | int) -> str | int:
        parse_duration(value)
        return value


class SlaTable(_Model):
    """One target per priority; all four are required so no decision is left without a clock."""

    P1: SlaTarget = SlaTarget(first_response="15m", resolution="4h")
    P2: SlaTarget = SlaTarget(first_response="30m", resolution="1d")
    P3: SlaTarget = SlaTarget(first_response="2h", resolution="2d")
    P4: SlaTarget = SlaTarget(first_response="8h", resolution="5d")


class SlaOverride(_Model):
    """A rule's own SLA (either key may be left to the priority's target)."""

    first_response: str | int | None = None
    resolution: str | int | None = None

    @field_validator("first_response", "resolution")
    @classmethod
    def _duration(cls, value: str | int | None) -> str | int | None:
        if value is not None:
            parse_duration(value)
        return value

    @model_validator(mode="after")
    def _some(self) -> SlaOverride:
        if self.first_response is None and self.resolution is None:
            raise ValueError("set first_response and/or resolution")
        return self


class TierLimit(_Model):
    """Compensation limit for one tier, optionally different per priority."""

    default: float | None = Field(default=None, ge=0)
    P1: float | None = Field(default=None, ge=0)
    P2: float | None = Field(default=None, ge=0)
    P3: float | None = Field(default=None, ge=0)
    P4: float | None = Field(default=None, ge=0)


class Compensation(_Model):
    """The most an agent may offer without approval, per customer tier (a number, or per priority)."""

    currency: str = "CNY"
    limits: dict[str, float | TierLimit] = Field(default_factory=dict)

    @field_validator("limits")
    @classmethod
    def _tiers(cls, value: dict[str, float | TierLimit]) -> dict[str, float | TierLimit]:
        for tier, limit in value.items():
            _code(tier, tuple(Tier.codes()), "tier")
            if isinstance(limit, float | int) and limit < 0:
                raise ValueError(f"{tier}: a limit cannot be negative")
        return value

    def limit_for(self, tier: str, priority: str) -> float | None:
        """The limit for this tier at this priority (the tier's default when no per-priority value is set)."""
        limit = self.limits.get(tier)
        if isinstance(limit, TierLimit):
            specific: float | None = getattr(limit, priority, None)
            return specific if specific is not None else limit.default
        return None if limit is None else float(limit)


class Defaults(_Model):
    """The decision before any rule fires."""

    priority: str = "P4"
    queue: str = "general"
    strategy: list[str] = Field(default_factory=list)
    reply_template: str = "generic"
    auto_reply: bool = Field(default=False, strict=True)
    notify: list[str] = Field(default_factory=list)

    _lists = field_validator("strategy", "notify", mode="before")(_listify)

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str) -> str:
        return _code(value, PRIORITIES, "priority")


class Effects(_Model):
    """What a matching rule changes; unset keys leave the decision alone."""

    priority: str | None = None  # raise to at least this level (never lowers)
    raise_priority: int | None = Field(default=None, ge=1, le=3, strict=True)
    lower_priority: int | None = Field(default=None, ge=1, le=3, strict=True)
    queue: str | None = None
    strategy: list[str] = Field(default_factory=list)  # added in order, no duplicates
    reply_template: str | None = None
    auto_reply: bool | None = Field(default=None, strict=True)
    notify: list[str] = Field(default_factory=list)
    sla: SlaOverride | None = None

    _lists = field_validator("strategy", "notify", mode="before")(_listify)

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str | None) -> str | None:
        return None if value is None else _code(value, PRIORITIES, "priority")

    @model_validator(mode="after")
    def _one_direction(self) -> Effects:
        if self.raise_priority is not None and self.lower_priority is not None:
            raise ValueError("use raise_priority or lower_priority, not both")
        return self

    def is_empty(self) -> bool:
        """True when the rule would change nothing."""
        return not self.model_dump(exclude_defaults=True)


class LocalText(_Model):
    """Text in Chinese and English (either may be omitted)."""

    zh: str = ""
    en: str = ""

    def __str__(self) -> str:
        return " / ".join(t for t in (self.zh, self.en) if t)


class Rule(_Model):
    """One ordered policy rule: when every condition holds, apply `then`; `stop` ends evaluation."""

    id: str
    description: str | LocalText = ""
    when: dict[str, Any] = Field(default_factory=dict)
    then: Effects = Field(default_factory=Effects)
    stop: bool = Field(default=False, strict=True)
    enabled: bool = Field(default=True, strict=True)

    _condition: AllOf = PrivateAttr(default=AllOf(()))
    _check_id = field_validator("id")(_snake)

    @field_validator("when", mode="before")
    @classmethod
    def _none_is_always(cls, value: Any) -> Any:
        return {} if value is None else value

    @field_validator("when")
    @classmethod
    def _conditions(cls, value: dict[str, Any]) -> dict[str, Any]:
        # Checked here (not only after) so `when` problems are reported even when `then` has errors too.
        _, problems = parse_when(value, path="")
        if problems:
            raise ValueError("\n".join(problems))
        return value

    @model_validator(mode="after")
    def _compile(self) -> Rule:
        if self.then.is_empty() and not self.stop:
            raise ValueError("then: the rule sets nothing (add an effect or stop: true)")
        self._condition = parse_when(self.when)[0]
        return self

    @property
    def condition(self) -> AllOf:
        """The parsed `when` tree."""
        return self._condition


def _named(rows: tuple[tuple[str, str, str], ...]) -> list[Named]:
    return [Named(code=c, zh=zh, en=en) for c, zh, en in rows]


class Policy(_Model):
    """A whole triage policy; cross-references (queues, strategies, templates, events) are checked here."""

    version: str | None = None
    name: str = "policy"
    description: str = ""
    business_hours: BusinessHours = Field(default_factory=BusinessHours)
    sla: SlaTable = Field(default_factory=SlaTable)
    queues: list[Named] = Field(default_factory=lambda: _named(DEFAULT_QUEUES))
    strategies: list[Named] = Field(default_factory=lambda: _named(DEFAULT_STRATEGIES))
    reply_templates: list[str] = Field(default_factory=lambda: list(DEFAULT_TEMPLATES))
    notifications: list[str] = Field(default_factory=lambda: list(NOTIFY_EVENTS))
    compensation: Compensation = Field(default_factory=Compensation)
    defaults: Defaults = Field(default_factory=Defaults)
    rules: list[Rule] = Field(default_factory=list)

    _sla_minutes: dict[str, tuple[int, int]] = PrivateAttr(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(
                f'write the version as a quoted string (YAML read it as the number {value}), e.g. "2026.1"'
            )
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("reply_templates", "notifications")
    @classmethod
    def _snake_list(cls, value: list[str]) -> list[str]:
        for item in value:
            _snake(item)
        return value

    @model_validator(mode="after")
    def _cross_check(self) -> Policy:
        problems: list[str] = []
        for section, codes in (
            ("queues", [q.code for q in self.queues]),
            ("strategies", [s.code for s in self.strategies]),
            ("reply_templates", self.reply_templates),
            ("notifications", self.notifications),
        ):
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                problems.append(f"{section}: declared more than once: {', '.join(dupes)}")
        ids: dict[str, int] = {}
        for i, rule in enumerate(self.rules):
            if rule.id in ids:
                problems.append(f'rule "{rule.id}": id: duplicate (rules[{ids[rule.id]}] and rules[{i}])')
            ids.setdefault(rule.id, i)
        problems += self._check_sla()
        problems += self._check_refs("defaults", self.defaults)
        for rule in self.rules:
            problems += self._check_refs(f'rule "{rule.id}": then', rule.then)
            for test in iter_tests(rule.condition):
                if test.field == "queue":
                    for value in test.expected if isinstance(test.expected, tuple) else (test.expected,):
                        problems += self._ref(f'rule "{rule.id}": {test.path}', "queue", value)
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def _ref(self, where: str, kind: str, value: str) -> list[str]:
        declared = {
            "queue": [q.code for q in self.queues],
            "strategy": [s.code for s in self.strategies],
            "reply template": self.reply_templates,
            "event": self.notifications,
        }[kind]
        if value in declared:
            return []
        return [f'{where}: unknown {kind} "{value}" (declared: {", ".join(declared)})']

    def _check_refs(self, where: str, effects: Defaults | Effects) -> list[str]:
        problems: list[str] = []
        if effects.queue is not None:
            problems += self._ref(f"{where}.queue", "queue", effects.queue)
        for code in effects.strategy:
            problems += self._ref(f"{where}.strategy", "strategy", code)
        if effects.reply_template is not None:
            problems += self._ref(f"{where}.reply_template", "reply template", effects.reply_template)
        for event in effects.notify:
            problems += self._ref(f"{where}.notify", "event", event)
        return problems

    def _check_sla(self) -> list[str]:
        problems: list[str] = []
        for p in PRIORITIES:
            target: SlaTarget = getattr(self.sla, p)
            first, resolution = self.minutes(target.first_response), self.minutes(target.resolution)
            if first > resolution:
                problems.append(f"sla.{p}: first_response ({first} min) is longer than resolution ({resolution} min)")
            self._sla_minutes[p] = (first, resolution)
        # A more urgent priority must never get a looser clock than a less urgent one.
        for hi, lo in itertools.pairwise(PRIORITIES):
            for i, key in enumerate(("first_response", "resolution")):
                if self._sla_minutes[hi][i] > self._sla_minutes[lo][i]:
                    problems.append(
                        f"sla.{hi}.{key} ({self._sla_minutes[hi][i]} min) is longer than "
                        f"sla.{lo}.{key} ({self._sla_minutes[lo][i]} min)"
                    )
        return problems

    def minutes(self, duration: str | int) -> int:
        """Business minutes of a duration ("1d" = one business day = end − start of business hours)."""
        amount, unit = parse_duration(duration)
        per_unit = self.business_hours.day_minutes if unit == "d" else _UNIT_MINUTES[unit]
        return max(1, round(amount * per_unit))

    def sla_minutes(self, priority: str) -> tuple[int, int]:
        """(first_response, resolution) business minutes for a priority."""
        return self._sla_minutes[priority]

    def content_hash(self) -> str:
        """SHA-256 of the policy's content (not its text: comments and key order do not change it)."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def policy_version(self) -> str:
        """What decisions record: the declared version, or name+hash when the YAML has none."""
        return self.version if self.version else f"{self.name}+{self.content_hash()[:12]}"
