"""Customers with behaviour signals and churn risk; training the merchant's own churn model."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import func, select

from aftersales.config import Settings, get_settings
from aftersales.errors import NotFoundError, PermissionDeniedError
from aftersales.services.history import load_all_frames, load_customer_history
from aftersales.services.runtime import churn_model_path, get_runtime, reset_runtimes
from aftersales.services.users import Principal
from aftersales.signals.churn import build_training_set, try_fit
from aftersales.signals.frames import Frames
from aftersales.signals.scalar import signals_from_rows
from aftersales.storage import db
from aftersales.storage.db import utcnow
from aftersales.storage.tables import cases, customers


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime | dt.date) else value


def get_customer(customer_id: str, principal: Principal, settings: Settings | None = None) -> dict[str, Any]:
    """A customer's profile, live signals with churn risk and its reasons, and their cases."""
    settings = settings or get_settings()
    rt = get_runtime(settings)
    with db.get_engine(settings).connect() as conn:
        exists = conn.execute(select(customers.c.customer_id).where(customers.c.customer_id == customer_id)).first()
        if exists is None:
            raise NotFoundError(f"customer {customer_id!r} not found")
        history = load_customer_history(conn, customer_id, rt.analyzer.version)
    if not principal.sees_all_queues and not any(
        r.get("queue") in principal.queues for r in history.case_rows.values()
    ):
        raise PermissionDeniedError(f"customer {customer_id} has no case in your queues")
    signals = signals_from_rows(
        customer_id,
        utcnow(),
        customer=history.rows["customers"],
        messages=history.rows["messages"],
        orders=history.rows["orders"],
        returns=history.rows["returns"],
        cases=history.rows["cases"],
        churn_model=rt.churn,
        horizon_days=settings.churn_horizon_days,
    )
    case_list = sorted(history.case_rows.values(), key=lambda r: r["opened_at"], reverse=True)
    public = {k: _iso(v) for k, v in history.customer.items() if k not in ("phone", "email")}
    public["has_email"] = bool(history.customer.get("email"))
    return {
        "customer": public,
        "signals": signals.to_dict(),
        "cases": [
            {
                k: _iso(r.get(k))
                for k in (
                    "case_id",
                    "status",
                    "priority",
                    "queue",
                    "stage",
                    "primary_reason",
                    "opened_at",
                    "resolved_at",
                )
            }
            for r in case_list
        ],
        "orders": len(history.rows["orders"]),
        "messages": len(history.rows["messages"]),
    }


def train_churn(settings: Settings | None = None) -> dict[str, Any]:
    """Fit churn risk on this merchant's history (cases, else returns); too little history keeps the rules."""
    settings = settings or get_settings()
    rt = get_runtime(settings)
    with db.get_engine(settings).connect() as conn:
        raw = load_all_frames(conn, rt.analyzer.version)
        n_cases = int(conn.execute(select(func.count()).select_from(cases)).scalar_one())
    frames = Frames.of(**raw)
    training = build_training_set(frames, settings.churn_horizon_days)
    model = try_fit(training)
    path = churn_model_path(settings)
    result: dict[str, Any] = {
        "examples": len(training.features),
        "churned": int(training.churned.sum()),
        "source": training.source,
        "horizon_days": settings.churn_horizon_days,
        "cases": n_cases,
    }
    if model is None:
        result.update(method="rules", saved=None, note="too little history for a model; the rule-based score is used")
        return result
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8")
    reset_runtimes()
    result.update(method="model", saved=str(path), metrics=model.metrics)
    return result
