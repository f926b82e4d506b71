"""The loaded, reusable parts of the pipeline (analyzer, policy, calendar, churn model), built once per process."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aftersales.config import Settings, get_settings
from aftersales.nlp.analyzer import Analyzer
from aftersales.policy.engine import PolicyEngine
from aftersales.policy.loader import load_policy
from aftersales.policy.schema import Policy
from aftersales.services.nlp import analyzer_for
from aftersales.signals.churn import ChurnModel
from aftersales.workflow.calendar import BusinessCalendar


def churn_model_path(settings: Settings) -> Path:
    """Where the merchant's churn model lives (trained by `aftersales churn train` or the demo)."""
    return settings.home / "models" / "churn.json"


@dataclass
class Runtime:
    """Everything process_interaction needs besides the database; cheap to share across requests."""

    settings: Settings
    analyzer: Analyzer
    policy: Policy
    engine: PolicyEngine
    calendar: BusinessCalendar
    churn: ChurnModel | None
    _senders: dict[str, Any] | None = field(default=None, repr=False)

    @property
    def senders(self) -> dict[str, Any]:
        """Notification senders from the settings, built on first use (their HTTP pools are reused)."""
        if self._senders is None:
            from aftersales.services.outbox import senders_from_settings

            self._senders = senders_from_settings(self.settings)
        return self._senders

    @property
    def policy_version(self) -> str:
        """Version string recorded on every decision."""
        return str(self.engine.policy_version)


_LOCK = threading.Lock()
_RUNTIMES: dict[tuple[Any, ...], Runtime] = {}


def _key(settings: Settings) -> tuple[Any, ...]:
    churn = churn_model_path(settings)
    # Every setting (two Settings for one database may differ in SMTP/webhooks), and the churn model file's version.
    return (settings.model_dump_json(), churn.stat().st_mtime if churn.exists() else None)


def load_churn(settings: Settings) -> ChurnModel | None:
    """The stored churn model, or None (the rule-based fallback then scores churn)."""
    path = churn_model_path(settings)
    if not path.exists():
        return None
    return ChurnModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


def build_runtime(settings: Settings, policy: Policy | None = None) -> Runtime:
    """A fresh runtime (policy what-ifs build one per candidate policy)."""
    policy = policy or load_policy(settings.policy_path)
    return Runtime(
        settings=settings,
        analyzer=analyzer_for(settings),
        policy=policy,
        engine=PolicyEngine(policy),
        calendar=BusinessCalendar.from_config(policy.business_hours.to_calendar_config()),
        churn=load_churn(settings),
    )


def get_runtime(settings: Settings | None = None) -> Runtime:
    """The process-wide runtime for these settings (rebuilt when the churn model file changes)."""
    settings = settings or get_settings()
    key = _key(settings)
    with _LOCK:
        runtime = _RUNTIMES.get(key)
        if runtime is None:
            runtime = build_runtime(settings)
            _RUNTIMES[key] = runtime
    return runtime


def reset_runtimes() -> None:
    """Forget cached runtimes (after a policy or model change, and in tests)."""
    with _LOCK:
        _RUNTIMES.clear()
