"""Improvement actions (the closed loop's "improve" step): record them, and measure their effect on the target KPI.

CRUD validates the scope against the SKUs, categories and regions the store knows and the target KPI against the
registry. `action_effect` builds a unit × period panel in SQL and hands it to `aftersales.analytics.effects`
(difference-in-differences against automatically chosen comparable units, or an interrupted time series when there
are none). docs/actions.md describes the method and the output.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, case, delete, func, insert, select, update

from aftersales.analytics import effects
from aftersales.analytics.kpis import get_kpi
from aftersales.config import Settings, get_settings
from aftersales.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.services.kpi import compute_kpis
from aftersales.storage import db
from aftersales.storage.tables import cases, customers, improvement_actions, orders, returns, surveys
from aftersales.vocab import Reason

STATUSES = ("planned", "active", "completed", "cancelled")
LEVELS = ("sku", "category", "region")
"""Scope keys that name the treated units, most specific first: the first one present is the unit level."""
SCOPE_KEYS = (*LEVELS, "reason")
FIELDS = ("action_id", "title", "description", "scope", "start_date", "end_date", "target_kpi", "owner", "status")
COHORT_KPIS = {"return_rate": None, "exchange_rate": "exchange"}
"""Order-cohort KPIs: returns counted against the order period they belong to (value = return type filter)."""
VALUE_KPIS = ("complaint_volume", "refund_amount")
PERIODS = ("week", "month")
DEFAULT_MATURITY_DAYS = 30
MATURITY_QUANTILE = 0.99
MATURITY_BOUNDS = (7, 120)
MIN_PRE_WEIGHT = 30
"""A candidate control needs at least this much denominator (e.g. orders) before the start."""


# ---------------------------------------------------------------------------------------------------------- scope


def normalise_scope(scope: dict[str, Any]) -> dict[str, list[str]]:
    """{key: [values]} with strings promoted to one-element lists; unknown keys and empty scopes are errors."""
    if not isinstance(scope, dict):
        raise InvalidInputError('scope must be an object such as {"sku": ["HA-101"]}')
    unknown = set(scope) - set(SCOPE_KEYS)
    if unknown:
        raise InvalidInputError(f"scope: unknown key(s) {', '.join(sorted(unknown))}; use {', '.join(SCOPE_KEYS)}")
    out: dict[str, list[str]] = {}
    for key in SCOPE_KEYS:
        value = scope.get(key)
        if value is None or value == []:
            continue
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            raise InvalidInputError(f"scope.{key} must be a string or a list of non-empty strings")
        out[key] = sorted({v.strip() for v in values})
    if not any(k in out for k in LEVELS):
        raise InvalidInputError("scope needs at least one of sku, category or region (the treated units)")
    return out


def unit_level(scope: dict[str, list[str]]) -> str:
    """The level whose units the action treats: sku, else category, else region."""
    return next(k for k in LEVELS if k in scope)


def _known(conn: Connection) -> dict[str, dict[str, str | None]]:
    """Known SKUs (→ category), categories and regions, from orders and customers."""
    skus: dict[str, str | None] = {}
    for sku, category in conn.execute(select(orders.c.sku, orders.c.category).distinct()):
        if sku is not None:
            skus[sku] = skus.get(sku) or category
    cats: dict[str, str | None] = {c: None for (c,) in conn.execute(select(orders.c.category).distinct()) if c}
    regions: dict[str, str | None] = {r: None for (r,) in conn.execute(select(orders.c.region).distinct()) if r}
    regions |= {r: None for (r,) in conn.execute(select(customers.c.region).distinct()) if r}
    return {"sku": skus, "category": cats, "region": regions}


def validate_scope(conn: Connection, scope: dict[str, list[str]]) -> None:
    """Every SKU, category and region must exist in the store, reasons in the vocabulary; SKUs in the categories."""
    known = _known(conn)
    for key in LEVELS:
        missing = [v for v in scope.get(key, []) if v not in known[key]]
        if missing:
            raise InvalidInputError(f"scope.{key}: unknown {key} {', '.join(missing)} (not found in orders)")
    reasons = {r.value for r in Reason}
    bad = [r for r in scope.get("reason", []) if r not in reasons]
    if bad:
        raise InvalidInputError(f"scope.reason: unknown reason code {', '.join(bad)}; use {', '.join(sorted(reasons))}")
    if "sku" in scope and "category" in scope:
        outside = [s for s in scope["sku"] if known["sku"][s] not in scope["category"]]
        if outside:
            cats = ", ".join(f"{s} is in {known['sku'][s]}" for s in outside)
            raise InvalidInputError(f"scope: SKU outside the scope's categories ({cats})")


def _validate_kpi(name: str, scope: dict[str, list[str]]) -> None:
    kpi = get_kpi(name)
    kpi.check_dimension(unit_level(scope))


# ----------------------------------------------------------------------------------------------------------- CRUD


def _public(row: Any) -> dict[str, Any]:
    out = {k: row[k] for k in FIELDS}
    for key in ("start_date", "end_date"):
        out[key] = out[key].isoformat() if out[key] else None
    stamps = {k: row[k].isoformat() if row[k] else None for k in ("created_at", "updated_at")}
    return out | stamps


def _check_dates(start: dt.date, end: dt.date | None) -> None:
    if end is not None and end < start:
        raise InvalidInputError(f"end_date {end} is before start_date {start}")


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise InvalidInputError(f"status {status!r}: expected one of {', '.join(STATUSES)}")


def create_action(data: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Record an action (id generated when absent); E409 when the id exists, E400 on an unknown unit or KPI."""
    settings = settings or get_settings()
    scope = normalise_scope(data.get("scope") or {})
    title = str(data.get("title") or "").strip()
    if not title:
        raise InvalidInputError("title is required")
    start = data.get("start_date")
    if not isinstance(start, dt.date):
        raise InvalidInputError("start_date is required (YYYY-MM-DD)")
    end = data.get("end_date")
    _check_dates(start, end)
    kpi_name = data.get("target_kpi") or "return_rate"
    _validate_kpi(kpi_name, scope)
    status = data.get("status") or "active"
    _check_status(status)
    action_id = data.get("action_id") or f"ACT-{secrets.token_hex(4).upper()}"
    now = db.utcnow()
    with db.transaction(db.get_engine(settings)) as conn:
        validate_scope(conn, scope)
        exists = conn.execute(
            select(improvement_actions.c.action_id).where(improvement_actions.c.action_id == action_id)
        ).first()
        if exists:
            raise ConflictError(f"improvement action {action_id!r} already exists")
        values = {"action_id": action_id, "title": title, "description": data.get("description"), "scope": scope}
        values |= {"start_date": start, "end_date": end, "target_kpi": kpi_name, "owner": data.get("owner")}
        conn.execute(insert(improvement_actions).values(**values, status=status, created_at=now, updated_at=now))
    return get_action(action_id, settings)


def list_actions(
    status: str | None = None, limit: int = 100, offset: int = 0, settings: Settings | None = None
) -> dict[str, Any]:
    """Actions, newest start first, optionally by status; `{data, count}`."""
    if not 1 <= limit <= 1000 or offset < 0:
        raise InvalidInputError("limit must be 1..1000 and offset ≥ 0")
    query = select(improvement_actions)
    count = select(func.count()).select_from(improvement_actions)
    if status is not None:
        _check_status(status)
        query, count = (
            query.where(improvement_actions.c.status == status),
            count.where(improvement_actions.c.status == status),
        )
    order = (improvement_actions.c.start_date.desc(), improvement_actions.c.action_id)
    with db.get_engine(settings or get_settings()).connect() as conn:
        rows = conn.execute(query.order_by(*order).limit(limit).offset(offset)).mappings().all()
        total = int(conn.execute(count).scalar_one())
    return {"data": [_public(r) for r in rows], "count": total}


def get_action(action_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """One action, or E404."""
    with db.get_engine(settings or get_settings()).connect() as conn:
        row = (
            conn.execute(select(improvement_actions).where(improvement_actions.c.action_id == action_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFoundError(f"improvement action {action_id!r} not found")
    return _public(row)


def update_action(action_id: str, patch: dict[str, Any], settings: Settings | None = None) -> dict[str, Any]:
    """Change status, end date, owner, title or description (scope, start and KPI define the measurement: fixed)."""
    settings = settings or get_settings()
    allowed = {"status", "end_date", "owner", "title", "description"}
    fixed = set(patch) - allowed
    if fixed:
        raise InvalidInputError(f"cannot change {', '.join(sorted(fixed))} of an action; record a new action instead")
    values = {k: v for k, v in patch.items() if v is not None}
    if "status" in values:
        _check_status(values["status"])
    current = get_action(action_id, settings)
    if "end_date" in values:
        _check_dates(dt.date.fromisoformat(current["start_date"]), values["end_date"])
    if not values:
        return current
    with db.transaction(db.get_engine(settings)) as conn:
        conn.execute(
            update(improvement_actions)
            .where(improvement_actions.c.action_id == action_id)
            .values(**values, updated_at=db.utcnow())
        )
    return get_action(action_id, settings)


def delete_action(action_id: str, settings: Settings | None = None) -> None:
    """Remove an action (E404 when missing)."""
    with db.transaction(db.get_engine(settings or get_settings())) as conn:
        res = conn.execute(delete(improvement_actions).where(improvement_actions.c.action_id == action_id))
        if not res.rowcount:
            raise NotFoundError(f"improvement action {action_id!r} not found")


# ---------------------------------------------------------------------------------------------------------- panel


def _utc(day: dt.date, settings: Settings) -> dt.datetime:
    return db.local_midnight_utc(day, settings.zone)


def _local_date(ts: dt.datetime, settings: Settings) -> dt.date:
    return ts.replace(tzinfo=dt.UTC).astimezone(settings.zone).date()


def _period_start(day: dt.date, period: str) -> dt.date:
    return day - dt.timedelta(days=day.weekday()) if period == "week" else day.replace(day=1)


def _next(start: dt.date, period: str) -> dt.date:
    if period == "week":
        return start + dt.timedelta(days=7)
    return (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def maturity_days(conn: Connection, dialect: str) -> int:
    """Days after which an order's returns have (almost) all arrived: the 99th percentile of order → return lag.

    Bucketed by whole days in SQL (a histogram, not the rows); 30 days when fewer than 20 returns are known.
    """
    if dialect == "postgresql":
        lag = func.floor(func.extract("epoch", returns.c.requested_at - orders.c.ordered_at) / 86400.0)
    else:
        lag = func.floor(func.julianday(returns.c.requested_at) - func.julianday(orders.c.ordered_at))
    inner = (
        select(lag.label("lag")).select_from(returns.join(orders, returns.c.order_id == orders.c.order_id)).subquery()
    )
    hist = sorted(
        (max(int(d), 0), int(n)) for d, n in conn.execute(select(inner.c.lag, func.count()).group_by(inner.c.lag))
    )
    total = sum(n for _, n in hist)
    if total < 20:
        return DEFAULT_MATURITY_DAYS
    seen = 0
    for days, n in hist:
        seen += n
        if seen >= MATURITY_QUANTILE * total:
            return min(max(days + 1, MATURITY_BOUNDS[0]), MATURITY_BOUNDS[1])
    return MATURITY_BOUNDS[1]


def _data_span(conn: Connection, kpi: str) -> tuple[dt.datetime, dt.datetime]:
    """(first, last) timestamp of the KPI's events: orders for order KPIs, else any activity."""
    if kpi in COHORT_KPIS:
        lo, hi = conn.execute(select(func.min(orders.c.ordered_at), func.max(orders.c.ordered_at))).one()
    else:
        spans = [
            conn.execute(select(func.min(c), func.max(c))).one()
            for c in (orders.c.ordered_at, returns.c.requested_at, cases.c.opened_at, surveys.c.answered_at)
        ]
        lows = [s[0] for s in spans if s[0] is not None]
        highs = [s[1] for s in spans if s[1] is not None]
        lo, hi = (min(lows), max(highs)) if lows else (None, None)
    if lo is None or hi is None:
        raise InvalidInputError(f"no data to measure {kpi} on (the store has no orders or activity)")
    return lo, hi


def _cohort_panel(
    conn: Connection, kpi: str, level: str, scope: dict[str, list[str]], bounds: list[dt.datetime]
) -> pd.DataFrame:
    """Per unit and order period: orders (w) and the share returned (y), reasons/type filtered, in one query."""
    unit = {"sku": orders.c.sku, "category": orders.c.category, "region": orders.c.region}[level]
    filters: list[ColumnElement[bool]] = [returns.c.order_id.is_not(None)]
    if scope.get("reason"):
        filters.append(returns.c.reason_code.in_(scope["reason"]))
    if COHORT_KPIS[kpi]:
        filters.append(returns.c.type == COHORT_KPIS[kpi])
    returned = select(returns.c.order_id).where(*filters).distinct().subquery()
    bucket = case(*[(orders.c.ordered_at < b, i) for i, b in enumerate(bounds[1:])], else_=None)
    where = [orders.c.ordered_at >= bounds[0], orders.c.ordered_at < bounds[-1], unit.is_not(None)]
    for key in LEVELS:
        if key != level and scope.get(key):
            where.append({"sku": orders.c.sku, "category": orders.c.category, "region": orders.c.region}[key].in_(
                scope[key]
            ))  # fmt: skip
    inner = (
        select(unit.label("unit"), bucket.label("period"), returned.c.order_id.label("hit"))
        .select_from(orders.outerjoin(returned, returned.c.order_id == orders.c.order_id))
        .where(*where)
        .subquery()
    )
    stmt = select(inner.c.unit, inner.c.period, func.count(), func.count(inner.c.hit)).group_by(
        inner.c.unit, inner.c.period
    )
    rows = [(str(u), int(p), int(n), int(h)) for u, p, n, h in conn.execute(stmt)]
    frame = pd.DataFrame(rows, columns=["unit", "period", "w", "num"])
    return frame.assign(y=frame["num"] / frame["w"].where(frame["w"] > 0))[["unit", "period", "y", "w"]]


def _flow_panel(settings: Settings, kpi: str, level: str, starts: list[dt.date]) -> pd.DataFrame:
    """Per unit and period: the KPI exactly as `aftersales kpi NAME --by LEVEL` reports it for that window."""
    value_kpi = get_kpi(kpi).unit in ("count", "amount")
    rows = []
    for i in range(len(starts) - 1):
        window_end = starts[i + 1] - dt.timedelta(days=1)
        for row in compute_kpis(settings, kpi, level, start=starts[i], end=window_end):
            if row[level] is None or row["value"] is None or not row["n"]:
                continue
            rows.append((str(row[level]), i, float(row["value"]), 1.0 if value_kpi else float(row["n"])))
    return pd.DataFrame(rows, columns=["unit", "period", "y", "w"])


# --------------------------------------------------------------------------------------------------------- effect


def _contaminated(conn: Connection, action_id: str | None, level: str, lo: dt.date, hi: dt.date) -> dict[str, str]:
    """Units named (at the same level) by other, not cancelled, actions overlapping the panel: {unit: action_id}."""
    out: dict[str, str] = {}
    stmt = select(improvement_actions).where(improvement_actions.c.status != "cancelled")
    for row in conn.execute(stmt).mappings():
        if row["action_id"] == action_id or row["start_date"] > hi or (row["end_date"] and row["end_date"] < lo):
            continue
        try:
            other = normalise_scope(row["scope"] or {})
        except InvalidInputError:
            continue
        for unit in other.get(level, []):
            out.setdefault(unit, row["action_id"])
    return out


def estimate_effect(
    scope: dict[str, Any],
    start_date: dt.date,
    target_kpi: str = "return_rate",
    end_date: dt.date | None = None,
    settings: Settings | None = None,
    *,
    action_id: str | None = None,
    period: str = "week",
    model: str | None = None,
    max_controls: int = effects.MAX_CONTROLS,
    maturity: int | None = None,
) -> dict[str, Any]:
    """The effect of a (recorded or hypothetical) action: DiD against chosen controls, else ITS; see docs/actions.md."""
    settings = settings or get_settings()
    if period not in PERIODS:
        raise InvalidInputError(f"period {period!r}: use week or month")
    if not 1 <= max_controls <= 50:
        raise InvalidInputError("max_controls must be 1..50")
    norm = normalise_scope(scope)
    level = unit_level(norm)
    _validate_kpi(target_kpi, norm)
    kpi = get_kpi(target_kpi)
    cohort = target_kpi in COHORT_KPIS
    extra = [k for k in norm if k != level and not (level == "sku" and k == "category")]
    if not cohort and extra:
        raise InvalidInputError(
            f"{target_kpi}: effects can be filtered by {', '.join(extra)} only for return_rate and exchange_rate; "
            f"record the action with a scope of {level} only"
        )
    model = model or ("linear" if target_kpi == "nps" else "poisson")
    engine = db.get_engine(settings)
    notes: list[str] = []
    with engine.connect() as conn:
        validate_scope(conn, norm)
        lo_ts, hi_ts = _data_span(conn, target_kpi)
        lag = maturity if maturity is not None else (maturity_days(conn, engine.dialect.name) if cohort else 0)
        first = _period_start(_local_date(lo_ts, settings), period)
        mature_until = _local_date(hi_ts, settings) - dt.timedelta(days=lag)  # periods must end on or before this
        bounds_local = [first]  # period starts, the last one being the end (exclusive) of the last period
        while _next(bounds_local[-1], period) <= mature_until + dt.timedelta(days=1):
            bounds_local.append(_next(bounds_local[-1], period))
        if end_date is not None:
            bounds_local = [b for b in bounds_local if b - dt.timedelta(days=1) <= end_date]
        if len(bounds_local) < 2:
            raise InvalidInputError(
                f"not enough mature data for {target_kpi}: complete {period}s end {mature_until} (maturity {lag} days)"
            )
        post_start = next((i for i, b in enumerate(bounds_local[:-1]) if b >= start_date), len(bounds_local) - 1)
        bounds = [_utc(d, settings) for d in bounds_local]
        if cohort:
            panel = _cohort_panel(conn, target_kpi, level, norm, bounds)
        else:
            panel = _flow_panel(settings, target_kpi, level, bounds_local)
        if post_start and bounds_local[post_start] > start_date:
            notes.append(f"the {period} starting {bounds_local[post_start - 1]} is partly treated and left out")
            panel = panel[panel["period"] != post_start - 1]
        excluded = _contaminated(conn, action_id, level, bounds_local[0], bounds_local[-1])
        sku_cats = _known(conn)["sku"] if level == "sku" else {}
    treated = norm[level]
    if level == "sku":  # comparable SKUs: the same category (the scope's, else the treated SKUs')
        cats: set[str | None] = set(norm.get("category", [])) or {sku_cats.get(s) for s in treated}
        pool = [u for u in panel["unit"].unique() if sku_cats.get(u) in cats]
    else:
        pool = list(panel["unit"].unique())
    pre_weight = panel[panel["period"] < post_start].groupby("unit")["w"].sum()
    dropped = sorted(u for u in pool if u in excluded and u not in treated)
    pool = [u for u in pool if u not in treated and u not in excluded and pre_weight.get(u, 0) >= MIN_PRE_WEIGHT]
    if not set(treated) & set(panel["unit"]):
        raise InvalidInputError(f"scope.{level}: no {target_kpi} data for {', '.join(treated)} in mature periods")
    candidates = effects.select_controls(panel, treated, pool, post_start, max_controls)
    controls = [c.unit for c in candidates if c.chosen]
    if controls:
        est = effects.did(panel[panel["unit"].isin(set(treated) | set(controls))], treated, post_start, model)
    else:
        notes.append(f"no comparable untreated {level} with data: interrupted time series of the treated units")
        est = effects.its(effects.aggregate(panel, treated), post_start, model)
    result: dict[str, Any] = {
        "action_id": action_id,
        "kpi": target_kpi,
        "kpi_label": {"zh": kpi.zh, "en": kpi.en},
        "direction": kpi.direction.value,
        "scope": norm,
        "level": level,
        "treated": treated,
        "controls": controls,
        "candidates": [c.__dict__ for c in candidates],
        "excluded": {u: excluded[u] for u in dropped},
        "period": period,
        "start_date": start_date.isoformat(),
        "pre_from": bounds_local[0].isoformat(),
        "post_to": (bounds_local[-1] - dt.timedelta(days=1)).isoformat(),
        "maturity_days": lag,
        "notes": notes,
    }
    est_dict = est.to_dict()
    series = est_dict.pop("series")
    result |= est_dict
    result["series"] = [{"period_start": bounds_local[s["period"]].isoformat()} | s for s in series]
    result["verdict"] = _verdict(est, kpi.direction.value)
    result["summary_zh"], result["summary_en"] = explain(result, kpi.unit)
    return result


def action_effect(action_id: str, settings: Settings | None = None, **options: Any) -> dict[str, Any]:
    """The measured effect of a recorded action on its target KPI (options as for `estimate_effect`)."""
    settings = settings or get_settings()
    action = get_action(action_id, settings)
    end = dt.date.fromisoformat(action["end_date"]) if action["end_date"] else None
    result = estimate_effect(
        action["scope"],
        dt.date.fromisoformat(action["start_date"]),
        action["target_kpi"],
        end,
        settings,
        action_id=action_id,
        **options,
    )
    return {"title": action["title"]} | result


def _verdict(est: effects.Estimate, direction: str) -> str:
    """improved | worsened | no_significant_change, given whether a higher KPI is good news."""
    if not est.significant:
        return "no_significant_change"
    up = est.estimate > 0
    return "improved" if up == (direction == "higher_is_better") else "worsened"


def _pct(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "?"
    text = f"{value * 100:+.0f}%"
    return text.replace("-", "−")


def _abs(value: float, unit: str) -> str:
    text = f"{value * 100:+.1f}pp" if unit == "ratio" else f"{value:+,.2f}"
    return text.replace("-", "−")


def _p(value: float) -> str:
    return "p<0.001" if value < 0.001 else f"p={value:.3f}" if value < 0.01 else f"p={value:.2f}"


def explain(result: dict[str, Any], unit: str) -> tuple[str, str]:
    """One-line zh and en summaries: relative effect, 95 % CI, p, the controls (or ITS) and the pre-trend check."""
    if result["relative"] is not None:
        eff = _pct(result["relative"])
        ci_zh = f"95% CI {_pct(result['rel_ci_low'])} ~ {_pct(result['rel_ci_high'])}"
        ci_en = f"95% CI {_pct(result['rel_ci_low'])} to {_pct(result['rel_ci_high'])}"
    else:
        eff = _abs(result["estimate"], unit)
        ci_zh = f"95% CI {_abs(result['ci_low'], unit)} ~ {_abs(result['ci_high'], unit)}"
        ci_en = f"95% CI {_abs(result['ci_low'], unit)} to {_abs(result['ci_high'], unit)}"
    p = _p(result["p_value"])
    if result["method"] == "did":
        ctrl_zh, ctrl_en = f"对照：{', '.join(result['controls'])}", f"controls: {', '.join(result['controls'])}"
    else:
        ctrl_zh, ctrl_en = "无可比对照，中断时间序列", "no comparable controls, interrupted time series"
    pre = result["pretrend_p"]
    pre_zh = f"处理前趋势检验 {_p(pre)}" if pre is not None else "处理前趋势检验：数据不足"
    pre_en = f"pre-trend test {_p(pre)}" if pre is not None else "pre-trend test: not enough data"
    label = result["kpi_label"]
    zh = f"{label['zh']} {eff}（{ci_zh}，{p}；{ctrl_zh}；{pre_zh}）"
    en = f"{label['en']} {eff} ({ci_en}, {p}; {ctrl_en}; {pre_en})"
    return zh, en
