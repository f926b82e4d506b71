"""Apply a policy to one TriageContext: conditions precompiled to closures, every fired rule recorded with evidence."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aftersales.policy.conditions import FIELDS, PRIORITIES, URGENCY, AllOf, AnyOf, Condition, Not, Test
from aftersales.policy.context import Decision, FiredRule, TriageContext
from aftersales.policy.schema import Policy, Rule

_PRIORITY_AT: dict[int, str] = {u: p for p, u in URGENCY.items()}
_TOP, _BOTTOM = URGENCY[PRIORITIES[0]], URGENCY[PRIORITIES[-1]]
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "gte": operator.ge,
    "gt": operator.gt,
    "lte": operator.le,
    "lt": operator.lt,
}


class _State:
    """The decision so far, which conditions on `priority` and `queue` read."""

    __slots__ = ("priority", "queue", "urgency")

    def __init__(self, urgency: int, queue: str) -> None:
        self.urgency = urgency
        self.priority = _PRIORITY_AT[urgency]
        self.queue = queue


Check = Callable[[TriageContext, _State], bool]


def _compile_test(test: Test) -> Check:
    """One closure per comparison, chosen at load so decide() does no dispatch on operator names."""
    spec = FIELDS[test.field]
    check = _compare(test, operator.attrgetter(test.field))
    if spec.decision:
        # The closures read their first argument; hand them the decision so far instead of the context.
        return lambda c, s: check(s, c)  # type: ignore[arg-type]
    return check


def _compare(test: Test, get: Callable[[Any], Any]) -> Check:
    spec, op, want = FIELDS[test.field], test.op, test.expected
    if spec.kind == "codes":
        codes = frozenset(want)
        if op == "contains":
            return lambda c, s: not codes.isdisjoint(get(c))
        if op == "eq":
            return lambda c, s: frozenset(get(c)) == codes
        return lambda c, s: frozenset(get(c)) != codes
    if op == "eq":
        return lambda c, s: bool(get(c) == want)
    if op == "ne":
        return lambda c, s: bool(get(c) != want)
    if op in ("in", "not_in"):
        members = frozenset(want)
        if op == "in":
            return lambda c, s: get(c) in members
        return lambda c, s: get(c) not in members
    compare = _COMPARE[op]
    if spec.kind == "ordered":
        # Compare ranks (stage none<…<formal_complaint, priority P4<…<P1); an unknown value never matches.
        rank = {code: i for i, code in enumerate(spec.codes)}
        bound = rank[want]

        def ordered(c: TriageContext, s: _State) -> bool:
            r = rank.get(get(c))
            return r is not None and compare(r, bound)

        return ordered

    def numeric(c: TriageContext, s: _State) -> bool:
        value = get(c)
        return value is not None and compare(value, want)

    return numeric


def _compile(cond: Condition, leaves: list[_Leaf], top: bool = False) -> Check:
    """Compile a condition tree; leaves are collected (in YAML order) for the explanation of fired rules."""
    if isinstance(cond, Test):
        check = _compile_test(cond)
        leaves.append(_Leaf(cond, check, top))
        return check
    if isinstance(cond, Not):
        inner = _compile(cond.part, leaves)
        return lambda c, s: not inner(c, s)
    # Only direct children of the rule's own `when` are known to hold once the rule fired.
    parts = tuple(_compile(p, leaves, top=top and isinstance(cond, AllOf)) for p in cond.parts)
    if isinstance(cond, AnyOf):
        return lambda c, s: any(p(c, s) for p in parts)
    if not parts:
        return lambda c, s: True
    if len(parts) == 1:
        return parts[0]

    def all_of(c: TriageContext, s: _State) -> bool:
        for part in parts:  # noqa: SIM110 - all() over a generator is slower on this per-request path
            if not part(c, s):
                return False
        return True

    return all_of


class _Leaf:
    """One compiled comparison plus the fixed part of its explanation (built once, copied per fired rule)."""

    __slots__ = ("check", "decision", "field", "get", "static", "top", "tuple_valued")

    def __init__(self, test: Test, check: Check, top: bool) -> None:
        expected = list(test.expected) if isinstance(test.expected, tuple) else test.expected
        self.static = {"field": test.field, "op": test.op, "expected": expected, "path": test.path}
        self.field, self.get, self.check, self.top = test.field, operator.attrgetter(test.field), check, top
        self.decision = FIELDS[test.field].decision
        self.tuple_valued = FIELDS[test.field].kind == "codes"

    def explain(self, ctx: TriageContext, state: _State) -> dict[str, Any]:
        """The comparison with the value it saw and the evidence the service attached to that field."""
        actual = self.get(state if self.decision else ctx)
        evidence = ctx.evidence.get(self.field)
        return {
            **self.static,
            "actual": list(actual) if self.tuple_valued else actual,
            "evidence": list(evidence) if evidence else [],
            "matched": True if self.top else self.check(ctx, state),
        }


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    """A rule ready to run: its check, its leaves for explanations, and its effects pre-resolved to minutes."""

    rule_id: str
    description: str
    check: Check
    leaves: tuple[_Leaf, ...]
    stop: bool
    moves_priority: bool
    floor: int
    raise_by: int
    lower_by: int
    queue: str | None
    strategy: tuple[str, ...]
    reply_template: str | None
    auto_reply: bool | None
    notify: tuple[str, ...]
    sla_first: int | None
    sla_resolution: int | None
    effects: dict[str, Any]


def _compile_rule(rule: Rule, policy: Policy) -> _CompiledRule:
    leaves: list[_Leaf] = []
    check = _compile(rule.condition, leaves, top=True)
    then = rule.then
    sla = then.sla
    return _CompiledRule(
        rule_id=rule.id,
        description=str(rule.description),
        check=check,
        leaves=tuple(leaves),
        stop=rule.stop,
        moves_priority=bool(then.priority or then.raise_priority or then.lower_priority),
        floor=URGENCY[then.priority] if then.priority else _BOTTOM,
        raise_by=then.raise_priority or 0,
        lower_by=then.lower_priority or 0,
        queue=then.queue,
        strategy=tuple(then.strategy),
        reply_template=then.reply_template,
        auto_reply=then.auto_reply,
        notify=tuple(then.notify),
        sla_first=policy.minutes(sla.first_response) if sla and sla.first_response is not None else None,
        sla_resolution=policy.minutes(sla.resolution) if sla and sla.resolution is not None else None,
        effects=then.model_dump(mode="json", exclude_defaults=True) | ({"stop": True} if rule.stop else {}),
    )


class PolicyEngine:
    """Turns a TriageContext into a Decision under one policy; build once, call decide() per message."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.policy_version = policy.policy_version
        self._rules = tuple(_compile_rule(r, policy) for r in policy.rules if r.enabled)
        d = policy.defaults
        self._default_urgency = URGENCY[d.priority]
        self._default_queue = d.queue
        self._default_strategy = tuple(d.strategy)
        self._default_notify = tuple(d.notify)
        self._sla = {p: policy.sla_minutes(p) for p in PRIORITIES}
        self._limits = {
            (t, p): policy.compensation.limit_for(t, p) for t in policy.compensation.limits for p in PRIORITIES
        }

    def decide(self, ctx: TriageContext) -> Decision:
        """Start from the defaults and apply every matching rule in order (until one with stop: true)."""
        state = _State(self._default_urgency, self._default_queue)
        strategy = list(self._default_strategy)
        notify = list(self._default_notify)
        template = self.policy.defaults.reply_template
        auto_reply = self.policy.defaults.auto_reply
        sla_first: int | None = None
        sla_resolution: int | None = None
        fired: list[FiredRule] = []
        for rule in self._rules:
            if not rule.check(ctx, state):
                continue
            # Explain before applying effects: conditions on priority/queue must show what they tested.
            conditions = [leaf.explain(ctx, state) for leaf in rule.leaves]
            changes: dict[str, Any] = {}
            if rule.moves_priority:
                before = state.urgency
                # `priority` is a floor (never lowers); then raise (capped at P1) or lower (capped at P4).
                state.urgency = max(_BOTTOM, min(_TOP, max(before, rule.floor) + rule.raise_by) - rule.lower_by)
                if state.urgency != before:
                    state.priority = _PRIORITY_AT[state.urgency]
                    changes["priority"] = {"from": _PRIORITY_AT[before], "to": state.priority}
            if rule.queue is not None and rule.queue != state.queue:
                changes["queue"] = {"from": state.queue, "to": rule.queue}
                state.queue = rule.queue
            if rule.strategy:
                added = [code for code in rule.strategy if code not in strategy]
                if added:
                    strategy += added
                    changes["strategy"] = {"added": added}
            if rule.reply_template is not None and rule.reply_template != template:
                changes["reply_template"] = {"from": template, "to": rule.reply_template}
                template = rule.reply_template
            if rule.auto_reply is not None and rule.auto_reply != auto_reply:
                changes["auto_reply"] = {"from": auto_reply, "to": rule.auto_reply}
                auto_reply = rule.auto_reply
            if rule.notify:
                events = [e for e in rule.notify if e not in notify]
                if events:
                    notify += events
                    changes["notify"] = {"added": events}
            if rule.sla_first is not None:
                sla_first = rule.sla_first
                changes["sla_first_response_minutes"] = {"to": sla_first}
            if rule.sla_resolution is not None:
                sla_resolution = rule.sla_resolution
                changes["sla_resolution_minutes"] = {"to": sla_resolution}
            fired.append(
                FiredRule(
                    rule_id=rule.rule_id,
                    description=rule.description,
                    conditions=conditions,
                    effects=rule.effects,  # pydantic copies it into the FiredRule
                    changes=changes,
                )
            )
            if rule.stop:
                break
        priority = state.priority
        first, resolution = self._sla[priority]
        return Decision(
            policy_version=self.policy_version,
            priority=priority,
            queue=state.queue,
            strategy=strategy,
            compensation_limit=self._limits.get((ctx.tier, priority)),
            sla_first_response_minutes=first if sla_first is None else sla_first,
            sla_resolution_minutes=resolution if sla_resolution is None else sla_resolution,
            reply_template=template,
            auto_reply=auto_reply,
            notify=notify,
            rules_fired=fired,
        )
