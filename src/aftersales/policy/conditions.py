"""The condition language of policy rules: which fields a `when` may test, with which operators, checked at load."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from aftersales.vocab import (
    CaseStatus,
    Channel,
    Emotion,
    Language,
    Polarity,
    Priority,
    ProblemType,
    Reason,
    Stage,
    Tier,
)

PRIORITIES: tuple[str, ...] = tuple(Priority.codes())  # P1 (most urgent) … P4
# Urgency ranks so "raise" means "+1": P4=1 … P1=4.
URGENCY: dict[str, int] = {p: len(PRIORITIES) - i for i, p in enumerate(PRIORITIES)}
CHURN_LEVELS: tuple[str, ...] = ("low", "medium", "high")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """What a condition may do with one field: its kind decides the operators, `codes` the allowed values."""

    kind: str  # code | ordered | codes | int | number | bool
    codes: tuple[str, ...] = ()  # allowed codes; for "ordered" from lowest to highest
    label: str = ""  # the noun in error messages ("emotion", "reason", …)
    low: float | None = None
    high: float | None = None
    optional: bool = False  # the context value may be None
    decision: bool = False  # read from the decision built so far, not from the context

    @property
    def ops(self) -> tuple[str, ...]:
        """Operators that make sense for this kind (others are load-time errors, not silent False)."""
        return _OPS_BY_KIND[self.kind]


_OPS_BY_KIND = {
    "code": ("eq", "ne", "in", "not_in"),
    "ordered": ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt"),
    "codes": ("contains", "eq", "ne"),
    "int": ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt"),
    "number": ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt"),
    "bool": ("eq", "ne"),
}
ALL_OPS = ("eq", "ne", "in", "not_in", "gte", "gt", "lte", "lt", "contains")
_LIST_OPS = frozenset({"in", "not_in", "contains"})
_COUNT = FieldSpec("int", low=0)

# Every TriageContext field except `evidence`, plus `priority`/`queue` of the decision so far (so a later rule can
# say "unless already escalated"). A test keeps this table in step with TriageContext.
FIELDS: dict[str, FieldSpec] = {
    "polarity": FieldSpec("code", tuple(Polarity.codes()), "polarity"),
    "polarity_score": FieldSpec("number", low=-1.0, high=1.0),
    "emotion": FieldSpec("code", tuple(Emotion.codes()), "emotion"),
    "intensity": FieldSpec("int", low=1, high=3),
    "message_stage": FieldSpec("ordered", tuple(Stage.codes()), "stage"),
    "stage": FieldSpec("ordered", tuple(Stage.codes()), "stage"),
    "reasons": FieldSpec("codes", tuple(Reason.codes()), "reason"),
    "primary_reason": FieldSpec("code", (*Reason.codes(), "none"), "reason"),
    "problem_type": FieldSpec("code", tuple(ProblemType.codes()), "problem type"),
    "language": FieldSpec("code", tuple(Language.codes()), "language"),
    "tier": FieldSpec("code", tuple(Tier.codes()), "tier"),
    "churn_risk": FieldSpec("number", low=0.0, high=1.0),
    "churn_level": FieldSpec("ordered", CHURN_LEVELS, "churn level"),
    "contacts_7d": _COUNT,
    "contacts_30d": _COUNT,
    "repeat_contacts": _COUNT,
    "reopen_count": _COUNT,
    "negative_reviews": _COUNT,
    "channel_escalation": FieldSpec("bool"),
    "emotion_trend": FieldSpec("number", optional=True),
    "channel": FieldSpec("code", tuple(Channel.codes()), "channel"),
    "order_value": FieldSpec("number", low=0.0, optional=True),
    "case_status": FieldSpec("code", tuple(CaseStatus.codes()), "case status"),
    "is_new_case": FieldSpec("bool"),
    "priority": FieldSpec("ordered", tuple(reversed(PRIORITIES)), "priority", decision=True),
    "queue": FieldSpec("code", (), "queue", decision=True),  # codes = the policy's declared queues
}


@dataclass(frozen=True, slots=True)
class Test:
    """One comparison `field op expected`; `path` locates it in the YAML for explanations and errors."""

    path: str
    field: str
    op: str
    expected: Any  # list ops and tuple-field eq/ne hold a tuple


@dataclass(frozen=True, slots=True)
class AllOf:
    """Every part must hold (a rule's top-level `when`, or `all: [...]`)."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """At least one part must hold (`any: [...]`)."""

    parts: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """The part must not hold (`not: {...}`)."""

    part: Condition


Condition = Test | AllOf | AnyOf | Not
_BAD = object()  # sentinel: a value failed its check (the problem is already recorded)


def iter_tests(cond: Condition) -> list[Test]:
    """All leaf tests of a condition tree in YAML order."""
    if isinstance(cond, Test):
        return [cond]
    if isinstance(cond, Not):
        return iter_tests(cond.part)
    return [t for part in cond.parts for t in iter_tests(part)]


def parse_when(raw: Any, path: str = "when") -> tuple[AllOf, list[str]]:
    """Parse a rule's `when` mapping into a condition tree, collecting every problem as "path: message"."""
    problems: list[str] = []
    return _parse_mapping(raw, path, problems), problems


def _parse_mapping(raw: Any, path: str, problems: list[str]) -> AllOf:
    if raw is None:
        return AllOf(())
    if not isinstance(raw, dict):
        problems.append(f"{path}: expected a mapping of conditions, got {show(raw)}")
        return AllOf(())
    parts: list[Condition] = []
    for key, value in raw.items():
        sub = f"{path}.{key}" if path else str(key)
        if key in ("any", "all"):
            if not isinstance(value, list) or not value:
                problems.append(f"{sub}: expected a non-empty list of condition mappings")
                continue
            items = tuple(_parse_mapping(v, f"{sub}[{i}]", problems) for i, v in enumerate(value))
            parts.append(AnyOf(items) if key == "any" else AllOf(items))
        elif key == "not":
            parts.append(Not(_parse_mapping(value, sub, problems)))
        else:
            parts.extend(_parse_field(str(key), value, sub, problems))
    return AllOf(tuple(parts))


def _parse_field(name: str, value: Any, path: str, problems: list[str]) -> list[Test]:
    spec = FIELDS.get(name)
    if spec is None:
        problems.append(f"{path}: unknown field{_suggest(name, [*FIELDS, 'any', 'all', 'not'])}")
        return []
    shorthand = not isinstance(value, dict)
    if shorthand:
        if spec.kind == "codes" and value == []:
            problems.append(f"{path}: an empty list never matches; write {{eq: []}} to test for no {spec.label}s")
            return []
        op = "contains" if spec.kind == "codes" else ("in" if isinstance(value, list) else "eq")
        pairs = [(op, value)]
    elif not value:
        problems.append(f"{path}: expected at least one operator ({', '.join(spec.ops)})")
        return []
    else:
        pairs = list(value.items())
    tests: list[Test] = []
    for op, expected in pairs:
        where = path if shorthand else f"{path}.{op}"
        if op not in ALL_OPS:
            problems.append(f"{where}: unknown operator{_suggest(str(op), ALL_OPS)}")
        elif op not in spec.ops:
            problems.append(f'{where}: operator "{op}" does not apply to {name} (use one of {", ".join(spec.ops)})')
        else:
            norm = _check_value(spec, name, op, expected, where, problems)
            if norm is not _BAD:
                tests.append(Test(path, name, op, norm))
    return tests


def _check_value(spec: FieldSpec, name: str, op: str, value: Any, path: str, problems: list[str]) -> Any:
    """Check an operand; lists for list operators (and for eq/ne on tuple fields) become tuples."""
    if op in _LIST_OPS or spec.kind == "codes":
        values = value if isinstance(value, list) else [value]
        if not values and op in _LIST_OPS:
            problems.append(f"{path}: expected at least one value")
            return _BAD
        checked = [_check_scalar(spec, name, v, path, problems) for v in values]
        return _BAD if any(c is _BAD for c in checked) else tuple(checked)
    if value is None and spec.optional and op in ("eq", "ne"):
        return None
    return _check_scalar(spec, name, value, path, problems)


def _check_scalar(spec: FieldSpec, name: str, value: Any, path: str, problems: list[str]) -> Any:
    if spec.kind in ("code", "ordered", "codes"):
        if not isinstance(value, str):
            problems.append(f"{path}: expected a {spec.label} code, got {show(value)}")
            return _BAD
        if spec.codes and value not in spec.codes:
            problems.append(f'{path}: unknown {spec.label} "{value}" (expected one of {", ".join(spec.codes)})')
            return _BAD
        return value
    if spec.kind == "bool":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected true or false, got {show(value)}")
            return _BAD
        return value
    numeric = isinstance(value, int) if spec.kind == "int" else isinstance(value, int | float)
    if isinstance(value, bool) or not numeric:
        kind = "an integer" if spec.kind == "int" else "a number"
        problems.append(f"{path}: {name} needs {kind}, got {show(value)}")
        return _BAD
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        bounds = f"{spec.low:g}..{spec.high:g}" if spec.high is not None else f">= {spec.low:g}"
        problems.append(f"{path}: {value} is out of range for {name} ({bounds})")
        return _BAD
    return value


def _suggest(word: str, choices: Any) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f' "{word}" (did you mean "{close[0]}"?)' if close else f' "{word}" (expected one of {", ".join(choices)})'


def show(value: Any) -> str:
    """A value as error messages quote it (strings in double quotes)."""
    return f'"{value}"' if isinstance(value, str) else repr(value)
