"""SLA clocks (first response, resolution) measured in business minutes, and breach detection over many cases.

A clock runs from `opened_at` to its due time. While it runs it is ok, at_risk (less than `at_risk_fraction` of its
business-minute budget left) or breached (past due); once stopped it is met or missed. A case with no due time has
no clock ("none"). Breach detection reports each clock once: the caller stores the breach time
(`cases.first_response_breached_at` / `resolution_breached_at`) and passes it back on the next run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from aftersales.workflow.calendar import BusinessCalendar

ClockState = Literal["ok", "at_risk", "breached", "met", "missed", "none"]
ClockName = Literal["first_response", "resolution"]
CLOCKS: tuple[ClockName, ...] = ("first_response", "resolution")


@dataclass(frozen=True, slots=True)
class SlaStatus:
    """Both clocks of one case, plus the deadline an agent should look at next."""

    first_response: ClockState
    resolution: ClockState
    minutes_left: float | None  # business minutes to next_due; negative once breached; None when nothing runs
    breached: bool  # some promise was broken: a clock is breached now or was missed
    next_due: dt.datetime | None  # the running clock's due time (first response before resolution)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (datetimes stay datetimes) for API schemas and case events."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Breach:
    """One clock of one case that broke its due time and has not been recorded yet."""

    case_id: str
    clock: ClockName
    due: dt.datetime  # when it broke: store this as `<clock>_breached_at`
    ongoing: bool  # True: still running past due (alert someone); False: stopped late, found after the fact
    minutes_over: float  # business minutes past due, up to now or to when the clock stopped


def _earliest(*values: dt.datetime | None) -> dt.datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def stop_times(
    first_response_at: dt.datetime | None, resolved_at: dt.datetime | None, closed_at: dt.datetime | None = None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When each clock stopped: resolving or closing a case also answers it, so it stops an unanswered clock too."""
    resolution_stop = _earliest(resolved_at, closed_at)
    return _earliest(first_response_at, resolution_stop), resolution_stop


def clock_state(
    opened_at: dt.datetime,
    due: dt.datetime | None,
    stopped_at: dt.datetime | None,
    now: dt.datetime,
    calendar: BusinessCalendar,
    at_risk_fraction: float = 0.2,
) -> ClockState:
    """The state of one clock: none, met/missed once stopped, else ok/at_risk/breached by business minutes left."""
    if due is None:
        return "none"
    if stopped_at is not None:
        return "met" if stopped_at <= due else "missed"
    if now > due:
        return "breached"
    budget = calendar.business_minutes_between(opened_at, due)
    left = calendar.business_minutes_between(now, due)
    # A zero budget (due at opening) leaves nothing to spend: at risk until met or breached.
    return "at_risk" if left <= at_risk_fraction * budget else "ok"


def sla_status(
    opened_at: dt.datetime,
    first_response_due: dt.datetime | None,
    first_response_at: dt.datetime | None,
    resolution_due: dt.datetime | None,
    resolved_at: dt.datetime | None,
    now: dt.datetime,
    calendar: BusinessCalendar,
    at_risk_fraction: float = 0.2,
) -> SlaStatus:
    """Both clocks of a case at `now` (naive UTC); pass closed_at as resolved_at for a case closed unresolved."""
    if not 0 <= at_risk_fraction <= 1:
        raise ValueError(f"at_risk_fraction must be in [0, 1], got {at_risk_fraction}")
    fr_stop, res_stop = stop_times(first_response_at, resolved_at)
    first = clock_state(opened_at, first_response_due, fr_stop, now, calendar, at_risk_fraction)
    resolution = clock_state(opened_at, resolution_due, res_stop, now, calendar, at_risk_fraction)
    next_due: dt.datetime | None = None
    if first in ("ok", "at_risk", "breached"):
        next_due = first_response_due
    elif resolution in ("ok", "at_risk", "breached"):
        next_due = resolution_due
    minutes_left: float | None = None
    if next_due is not None:
        minutes_left = calendar.business_minutes_between(now, next_due)
    breached = any(state in ("breached", "missed") for state in (first, resolution))
    return SlaStatus(first, resolution, minutes_left, breached, next_due)


@dataclass(frozen=True, slots=True)
class CaseClocks:
    """The columns of `cases` that breach detection reads (any mapping with these keys works too)."""

    case_id: str
    opened_at: dt.datetime
    first_response_due: dt.datetime | None = None
    first_response_at: dt.datetime | None = None
    resolution_due: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    first_response_breached_at: dt.datetime | None = None
    resolution_breached_at: dt.datetime | None = None


def _as_clocks(row: CaseClocks | Mapping[str, Any]) -> CaseClocks:
    if isinstance(row, CaseClocks):
        return row
    fields = CaseClocks.__dataclass_fields__
    return CaseClocks(**{key: row[key] for key in fields if key in row})


def find_breaches(
    rows: Iterable[CaseClocks | Mapping[str, Any]], now: dt.datetime, calendar: BusinessCalendar
) -> list[Breach]:
    """Clocks that are past due and not yet recorded as breached (`<clock>_breached_at` is null), for the SLA job."""
    found: list[Breach] = []
    for row in rows:
        case = _as_clocks(row)
        fr_stop, res_stop = stop_times(case.first_response_at, case.resolved_at, case.closed_at)
        clocks: list[tuple[ClockName, dt.datetime | None, dt.datetime | None, dt.datetime | None]] = [
            ("first_response", case.first_response_due, fr_stop, case.first_response_breached_at),
            ("resolution", case.resolution_due, res_stop, case.resolution_breached_at),
        ]
        for name, due, stopped, recorded in clocks:
            # Only wall-clock comparisons decide a breach; business minutes are computed for the few that did.
            if due is None or recorded is not None or due >= (stopped or now):
                continue
            end = stopped or now
            found.append(
                Breach(
                    case_id=case.case_id,
                    clock=name,
                    due=due,
                    ongoing=stopped is None,
                    minutes_over=calendar.business_minutes_between(due, end),
                )
            )
    return found
