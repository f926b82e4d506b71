"""What-if: triage the same cases under two policies and project queue load and first-response SLA breaches."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aftersales.errors import InvalidInputError
from aftersales.policy.conditions import PRIORITIES, URGENCY
from aftersales.policy.context import Decision, TriageContext
from aftersales.policy.engine import PolicyEngine
from aftersales.policy.schema import Policy

# (case_key, arrival time, context): one item per case, its first customer message.
SimItem = tuple[str, datetime, TriageContext]
# Business minutes between two instants (the workflow calendar); without one, waits are wall-clock minutes.
CalendarFn = Callable[[datetime, datetime], float]
ANY_QUEUE = "*"  # staffing / handle_minutes key that applies to every queue not named


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    """One case under one policy: where it went, how long it waited for a first response, and if that breached."""

    case_key: str
    arrival: datetime
    priority: str
    queue: str
    sla_first_response_minutes: int
    start: datetime | None  # when an agent picked it up; None when its queue has no agents
    wait_minutes: float | None
    breach: bool
    rules_fired: tuple[str, ...]
    priority_rule: str | None  # first fired rule that changed the priority
    queue_rule: str | None  # first fired rule that changed the queue


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Projected load of one queue under one policy."""

    queue: str
    agents: int
    cases: int
    breaches: int
    mean_wait_minutes: float | None
    max_wait_minutes: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "agents": self.agents,
            "cases": self.cases,
            "breaches": self.breaches,
            "mean_wait_minutes": _round(self.mean_wait_minutes),
            "max_wait_minutes": _round(self.max_wait_minutes),
        }


@dataclass(frozen=True)
class PolicyRun:
    """All cases under one policy, with the per-priority and per-queue counts and the queue projections."""

    policy_version: str
    cases: list[CaseOutcome]
    by_priority: dict[str, int]
    by_queue: dict[str, int]
    queues: dict[str, QueueStats]

    @property
    def breaches(self) -> int:
        """Projected first-response breaches over all queues."""
        return sum(q.breaches for q in self.queues.values())


@dataclass(frozen=True, slots=True)
class CaseChange:
    """A case whose priority or queue differs between the policies, and the rule behind each side."""

    case_key: str
    priority_current: str
    priority_new: str
    queue_current: str
    queue_new: str
    rule_current: str | None
    rule_new: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "case_key": self.case_key,
            "priority": {"current": self.priority_current, "new": self.priority_new},
            "queue": {"current": self.queue_current, "new": self.queue_new},
            "rule_current": self.rule_current,
            "rule_new": self.rule_new,
        }


@dataclass(frozen=True)
class SimulationReport:
    """The side-by-side comparison `aftersales policy simulate NEW.yaml` prints."""

    current: PolicyRun
    new: PolicyRun
    changes: list[CaseChange]
    staffing: dict[str, int] = field(default_factory=dict)
    wall_clock: bool = True  # False when a business calendar measured the waits

    def to_dict(self, include_cases: bool = False) -> dict[str, Any]:
        """JSON-ready dict; per-case outcomes only on request (they can be many)."""
        queues = sorted(set(self.current.queues) | set(self.new.queues))
        out: dict[str, Any] = {
            "cases": len(self.current.cases),
            "policy_current": self.current.policy_version,
            "policy_new": self.new.policy_version,
            "wait_unit": "wall-clock minutes" if self.wall_clock else "business minutes",
            "priorities": {
                p: _side(self.current.by_priority.get(p, 0), self.new.by_priority.get(p, 0)) for p in PRIORITIES
            },
            "queues": {q: _side(self.current.by_queue.get(q, 0), self.new.by_queue.get(q, 0)) for q in queues},
            "sla_breaches": {
                "total": _side(self.current.breaches, self.new.breaches),
                "by_queue": {q: _side(_breaches(self.current, q), _breaches(self.new, q)) for q in queues},
            },
            "queue_load": {
                q: {
                    run: r.queues[q].to_dict()
                    for run, r in (("current", self.current), ("new", self.new))
                    if q in r.queues
                }
                for q in queues
            },
            "changed": len(self.changes),
            "changes": [c.to_dict() for c in self.changes],
        }
        if include_cases:
            out["case_outcomes"] = {
                run: [_case_dict(c) for c in r.cases] for run, r in (("current", self.current), ("new", self.new))
            }
        return out


def simulate(
    items: Iterable[SimItem],
    current: Policy,
    new: Policy,
    staffing: Mapping[str, int],
    handle_minutes: Mapping[str, float] | float,
    calendar_fn: CalendarFn | None = None,
) -> SimulationReport:
    """Decide every case under both policies and replay arrivals through each queue's agents."""
    cases = list(items)
    keys = [key for key, _, _ in cases]
    dupes = sorted(k for k, n in Counter(keys).items() if n > 1)
    if dupes:
        raise InvalidInputError(f"simulate: case keys must be unique (repeated: {', '.join(dupes[:5])})")
    runs = [_run(cases, p, staffing, handle_minutes, calendar_fn) for p in (current, new)]
    changes = [
        CaseChange(a.case_key, a.priority, b.priority, a.queue, b.queue, _cause(a), _cause(b))
        for a, b in zip(runs[0].cases, runs[1].cases, strict=True)
        if a.priority != b.priority or a.queue != b.queue
    ]
    return SimulationReport(runs[0], runs[1], changes, dict(staffing), calendar_fn is None)


def _run(
    cases: list[SimItem],
    policy: Policy,
    staffing: Mapping[str, int],
    handle_minutes: Mapping[str, float] | float,
    calendar_fn: CalendarFn | None,
) -> PolicyRun:
    engine = PolicyEngine(policy)
    decisions = [engine.decide(ctx) for _, _, ctx in cases]
    by_queue: dict[str, list[int]] = {}
    for i, d in enumerate(decisions):
        by_queue.setdefault(d.queue, []).append(i)
    starts: list[datetime | None] = [None] * len(cases)
    stats: dict[str, QueueStats] = {}
    for queue, members in sorted(by_queue.items()):
        agents = _lookup(staffing, queue, "staffing", default=0)
        handle = float(_lookup_handle(handle_minutes, queue))
        jobs = [(cases[i][1], URGENCY[decisions[i].priority], i) for i in members]
        for i, start in serve_queue(jobs, agents, handle).items():
            starts[i] = start
        waits = [_wait(cases[i][1], starts[i], calendar_fn) for i in members]
        served = [w for w in waits if w is not None]
        stats[queue] = QueueStats(
            queue=queue,
            agents=agents,
            cases=len(members),
            breaches=sum(_breach(w, decisions[i]) for w, i in zip(waits, members, strict=True)),
            mean_wait_minutes=sum(served) / len(served) if served else None,
            max_wait_minutes=max(served) if served else None,
        )
    outcomes = []
    for i, ((key, arrival, _), d) in enumerate(zip(cases, decisions, strict=True)):
        wait = _wait(arrival, starts[i], calendar_fn)
        outcomes.append(
            CaseOutcome(
                case_key=key,
                arrival=arrival,
                priority=d.priority,
                queue=d.queue,
                sla_first_response_minutes=d.sla_first_response_minutes,
                start=starts[i],
                wait_minutes=wait,
                breach=_breach(wait, d),
                rules_fired=tuple(r.rule_id for r in d.rules_fired),
                priority_rule=_first_change(d, "priority"),
                queue_rule=_first_change(d, "queue"),
            )
        )
    return PolicyRun(
        policy_version=policy.policy_version,
        cases=outcomes,
        by_priority=dict(Counter(d.priority for d in decisions)),
        by_queue={q: len(m) for q, m in by_queue.items()},
        queues=stats,
    )


def serve_queue(jobs: list[tuple[datetime, int, int]], agents: int, handle_minutes: float) -> dict[int, datetime]:
    """Non-preemptive priority queue with `agents` servers: most urgent first, then FIFO; returns start per job id."""
    if agents <= 0 or not jobs:
        return {}
    arrivals = sorted(jobs, key=lambda j: (j[0], j[2]))
    handle = timedelta(minutes=handle_minutes)
    free: list[datetime] = [arrivals[0][0]] * agents  # when each agent is next free (a heap)
    waiting: list[tuple[int, datetime, int]] = []  # (-urgency, arrival, id): most urgent, then earliest
    starts: dict[int, datetime] = {}
    now, i = arrivals[0][0], 0
    while i < len(arrivals) or waiting:
        now = max(now, free[0])  # service starts never go back in time
        if not waiting and arrivals[i][0] > now:
            now = arrivals[i][0]  # everyone idle until the next arrival
        # Everyone who has arrived by the moment an agent frees up competes on urgency, not on arrival order.
        while i < len(arrivals) and arrivals[i][0] <= now:
            arrival, urgency, job = arrivals[i]
            heapq.heappush(waiting, (-urgency, arrival, job))
            i += 1
        _, _, job = heapq.heappop(waiting)
        starts[job] = now
        heapq.heapreplace(free, now + handle)
    return starts


def _wait(arrival: datetime, start: datetime | None, calendar_fn: CalendarFn | None) -> float | None:
    if start is None:
        return None
    if calendar_fn is not None:
        return float(calendar_fn(arrival, start))
    return (start - arrival).total_seconds() / 60.0


def _breach(wait: float | None, decision: Decision) -> bool:
    """A case nobody picks up (no agents on its queue) breaches; otherwise a wait beyond the target does."""
    return wait is None or wait > decision.sla_first_response_minutes


def _lookup(table: Mapping[str, int], queue: str, what: str, default: int) -> int:
    value = table.get(queue, table.get(ANY_QUEUE, default))
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInputError(f"simulate: {what} for queue {queue} must be a whole number ≥ 0, got {value!r}")
    return value


def _lookup_handle(handle_minutes: Mapping[str, float] | float, queue: str) -> float:
    if isinstance(handle_minutes, int | float):
        value: Any = handle_minutes
    elif queue in handle_minutes or ANY_QUEUE in handle_minutes:
        value = handle_minutes.get(queue, handle_minutes.get(ANY_QUEUE))
    else:
        raise InvalidInputError(f'simulate: no handle time for queue {queue} (give it, or a "{ANY_QUEUE}" default)')
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise InvalidInputError(f"simulate: handle time for queue {queue} must be > 0 minutes, got {value!r}")
    return float(value)


def _first_change(decision: Decision, key: str) -> str | None:
    return next((r.rule_id for r in decision.rules_fired if key in r.changes), None)


def _cause(case: CaseOutcome) -> str | None:
    """The first rule that moved the priority or the queue (the usual author of a difference)."""
    return next((r for r in case.rules_fired if r in (case.priority_rule, case.queue_rule)), None)


def _side(current: int, new: int) -> dict[str, int]:
    return {"current": current, "new": new, "delta": new - current}


def _breaches(run: PolicyRun, queue: str) -> int:
    return run.queues[queue].breaches if queue in run.queues else 0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _case_dict(case: CaseOutcome) -> dict[str, Any]:
    return {
        "case_key": case.case_key,
        "arrival": case.arrival.isoformat(),
        "priority": case.priority,
        "queue": case.queue,
        "sla_first_response_minutes": case.sla_first_response_minutes,
        "start": case.start.isoformat() if case.start else None,
        "wait_minutes": _round(case.wait_minutes),
        "breach": case.breach,
        "rules_fired": list(case.rules_fired),
    }
