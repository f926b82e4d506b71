"""Policy use cases: show the active policy, validate a candidate, and replay stored decisions under it (what-if)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from aftersales.config import Settings, get_settings
from aftersales.errors import InvalidInputError, PolicyError
from aftersales.policy.context import TriageContext
from aftersales.policy.loader import load_policy, policy_from_text, validate_policy_file
from aftersales.policy.simulate import ANY_QUEUE
from aftersales.policy.simulate import simulate as run_simulation
from aftersales.services.pipeline import to_utc
from aftersales.services.runtime import get_runtime
from aftersales.storage import db
from aftersales.storage.tables import decisions, users

DEFAULT_HANDLE_MINUTES = 15.0


def active_policy(settings: Settings | None = None) -> dict[str, Any]:
    """The policy in force, as JSON-ready data."""
    rt = get_runtime(settings or get_settings())
    data = rt.policy.model_dump(mode="json")
    data["version"] = rt.policy_version
    return data


def validate_file(path: Path) -> dict[str, Any]:
    """`aftersales policy validate FILE`: ok, errors naming rule and field, warnings, rule summary."""
    return validate_policy_file(path).to_dict()


def validate_text(text: str) -> dict[str, Any]:
    """Validate policy YAML sent over the API (never activates it)."""
    try:
        policy = policy_from_text(text, source="<request>")
    except PolicyError as exc:
        errors = list(getattr(exc, "errors", None) or [exc.message])
        return {"ok": False, "errors": errors}
    return {"ok": True, "errors": [], "policy_version": policy.policy_version, "rules": len(policy.rules)}


def staffing(settings: Settings) -> dict[str, int]:
    """Agents per queue from the users table (the recorded staffing); managers cover no queue."""
    with db.get_engine(settings).connect() as conn:
        rows = conn.execute(select(users.c.queues).where(users.c.role == "agent", users.c.active.is_(True))).all()
    out: dict[str, int] = {}
    for (queues,) in rows:
        for q in queues or []:
            out[q] = out.get(q, 0) + 1
    return out


def simulate(
    path: Path,
    since: str | None = None,
    settings: Settings | None = None,
    handle_minutes: float = DEFAULT_HANDLE_MINUTES,
    agents_default: int = 1,
) -> dict[str, Any]:
    """Replay each stored case's first triage context under the candidate policy beside the current one."""
    settings = settings or get_settings()
    rt = get_runtime(settings)
    candidate = load_policy(path)
    first = (
        select(decisions.c.case_id, func.min(decisions.c.id).label("first_id"))
        .where(decisions.c.context.is_not(None))
        .group_by(decisions.c.case_id)
    )
    if since:
        try:
            since_at = to_utc(dt.date.fromisoformat(since).isoformat(), settings, "--since")
        except ValueError:
            raise InvalidInputError(f"--since: expected a date like 2026-10-01, got {since!r}") from None
        first = first.where(decisions.c.created_at >= since_at)
    sub = first.subquery()
    query = (
        select(decisions.c.case_id, decisions.c.created_at, decisions.c.context)
        .join(sub, decisions.c.id == sub.c.first_id)
        .order_by(decisions.c.created_at, decisions.c.case_id)
    )
    with db.get_engine(settings).connect() as conn:
        rows = conn.execute(query).all()
    if not rows:
        raise InvalidInputError("no stored decisions to replay (process messages first: `aftersales cases process`)")
    items = [(r.case_id, r.created_at, TriageContext(**r.context)) for r in rows]
    staff = staffing(settings)
    # Queues with no agent on record get `agents_default` (said in the output as the "*" entry).
    staff.setdefault(ANY_QUEUE, agents_default)
    report = run_simulation(
        items, rt.policy, candidate, staff, handle_minutes, calendar_fn=rt.calendar.business_minutes_between
    )
    out = report.to_dict()
    if out["policy_current"] == out["policy_new"] and rt.policy.content_hash() != candidate.content_hash():
        # Same version string, different rules: tell them apart by content.
        out["policy_current"] += f"+{rt.policy.content_hash()[:8]}"
        out["policy_new"] += f"+{candidate.content_hash()[:8]}"
    out["handle_minutes"] = handle_minutes
    out["staffing"] = staff
    out["since"] = since
    return out
