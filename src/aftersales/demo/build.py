"""Generate the demo files, ingest them through the normal path, record the one planted improvement action."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from aftersales import services
from aftersales.config import Settings
from aftersales.demo import catalog
from aftersales.demo.generator import IMPROVEMENT_ACTION_ID, IMPROVEMENT_TITLE, default_end, generate
from aftersales.demo.output import FILES, write_demo
from aftersales.services import nlp as nlp_services
from aftersales.storage import db
from aftersales.storage.tables import improvement_actions

if TYPE_CHECKING:
    import pandas as pd

# step name, steps done, steps in total
StepFn = Callable[[str, int, int], None]
INGEST_ORDER: tuple[str, ...] = ("customers", "orders", "returns", "interactions", "surveys", "kb_articles")


@dataclass
class DemoResult:
    """What `build_demo` did: where the files are, rows per file and in the database, summaries, truths."""

    out_dir: Path
    files: dict[str, Path]
    file_rows: dict[str, int]
    db_counts: dict[str, int]
    summaries: list[services.IngestSummary]
    truths: dict[str, Any]
    improvement_action: str  # created, updated or unchanged
    seconds: dict[str, float] = field(default_factory=dict)
    analysis: dict[str, Any] = field(default_factory=dict)  # stored analyses, and agreement with the planted labels
    triage: dict[str, Any] = field(default_factory=dict)  # every message through routing → signals → policy → case
    churn: dict[str, Any] = field(default_factory=dict)  # the churn model trained on the demo history
    accounts: dict[str, Any] = field(default_factory=dict)  # demo users and where their API keys were written

    @property
    def rejected(self) -> int:
        """Rows rejected over all ingests (the demo promises zero)."""
        return sum(s.rejected for s in self.summaries)


def build_demo(
    settings: Settings,
    *,
    seed: int = 42,
    end: dt.date | None = None,
    out_dir: Path | None = None,
    n_customers: int = 5000,
    months: int = 18,
    progress: StepFn | None = None,
) -> DemoResult:
    """Write files to to settings.home/demo (or out_dir), ingest them in order, add the action."""
    total = 2 + len(INGEST_ORDER) + 5
    step = 0

    def tick(name: str) -> None:
        nonlocal step
        if progress is not None:
            progress(name, step, total)
        step += 1

    timings: dict[str, float] = {}
    started = time.perf_counter()
    tick("generate")
    end = end or default_end(settings.timezone)
    data = generate(seed, end, n_customers=n_customers, months=months)
    timings["generate"] = round(time.perf_counter() - started, 3)
    target = out_dir or settings.home / "demo"
    tick("write files")
    files = write_demo(data, target)
    rows = {name: len(frame) for name, frame in data.frames().items()} | {"kb_articles": len(data.kb_articles)}
    started = time.perf_counter()
    summaries = []
    for entity in INGEST_ORDER:
        tick(f"ingest {entity}")
        summaries.append(services.ingest_file(entity, target / FILES[entity], settings=settings))
    timings["ingest"] = round(time.perf_counter() - started, 3)
    tick("improvement action")
    action = upsert_improvement_action(settings, data.truths)
    tick("analyse messages")
    analysis = nlp_services.analyze_stored(settings)
    analysis["agreement_with_planted_labels"] = truth_agreement(settings, target / "interactions_truth.csv")
    timings["analyse"] = analysis["seconds"]
    tick("triage every message")
    from aftersales.demo.accounts import ensure_demo_users
    from aftersales.services.customer_view import train_churn
    from aftersales.services.replay import process_stored

    started = time.perf_counter()
    triage = process_stored(settings)
    timings["triage"] = round(time.perf_counter() - started, 3)
    tick("train churn model")
    churn = train_churn(settings)
    tick("demo users")
    accounts = ensure_demo_users(settings, target)
    if progress is not None:
        progress("done", total, total)
    return DemoResult(
        out_dir=target,
        files=files,
        file_rows=rows,
        db_counts=services.count_entities(settings),
        summaries=summaries,
        truths=data.truths,
        improvement_action=action,
        seconds=timings,
        analysis=analysis,
        triage=triage,
        churn=churn,
        accounts=accounts,
    )


def truth_agreement(settings: Settings, truth_csv: Path) -> dict[str, float]:
    """How often the stored analyses agree with the labels the generator wrote each message for (a sanity check)."""
    import pandas as pd

    from aftersales.storage.tables import analyses

    version = nlp_services.analyzer_for(settings).version
    with db.get_engine(settings).connect() as conn:
        rows = conn.execute(
            select(
                analyses.c.interaction_id, analyses.c.polarity, analyses.c.emotion, analyses.c.stage, analyses.c.reasons
            ).where(analyses.c.model_version == version)
        ).all()
    got = pd.DataFrame(rows, columns=["interaction_id", "polarity", "emotion", "stage", "reasons"])
    truth = pd.read_csv(truth_csv, dtype=str, keep_default_na=False)
    both = truth[truth["author"] == "customer"].merge(got, on="interaction_id", suffixes=("_true", ""))
    if both.empty:
        return {}
    return {"messages": float(len(both)), **{k: round(v, 3) for k, v in label_agreement(both).items()}}


def label_agreement(both: pd.DataFrame) -> dict[str, float]:
    """Agreement of read labels (polarity, emotion, stage, reasons columns) with the intended ones (`*_true` columns,
    reasons `;`-joined as interactions_truth.csv writes them; `other` is not scored, as in the cs targets)."""
    from aftersales.nlp import evaluate as ev

    gold_reasons = [[r for r in x.split(";") if r and r != "other"] for x in both["reasons_true"]]
    return {
        "polarity_accuracy": ev.accuracy(list(both["polarity_true"]), list(both["polarity"])),
        "emotion_accuracy": ev.accuracy(list(both["emotion_true"]), list(both["emotion"])),
        "stage_accuracy": ev.accuracy(list(both["stage_true"]), list(both["stage"])),
        "reasons_micro_f1": ev.micro_f1(gold_reasons, [list(r) for r in both["reasons"]]),
    }


def improvement_action_row(truths: dict[str, Any]) -> dict[str, Any]:
    """The "说明书改版" improvement action as an `improvement_actions` row (the only non-file demo record)."""
    imp = truths["sku_improvement"]
    return {
        "action_id": IMPROVEMENT_ACTION_ID,
        "title": IMPROVEMENT_TITLE,
        "description": (
            f"演示商户（虚构）：{imp['product_name']} 说明书改版——新增安装图解、红灯故障说明和扫码视频教程，"
            "目标是减少“不会用/难用”退货。"
            "Synthetic demo action: redesigned manual with diagrams and a video QR code."
        ),
        "scope": {
            "sku": imp["sku"],
            "reason": "hard_to_use",
            "category": catalog.SKU_BY_ID[imp["sku"]].category,
        },
        "start_date": dt.date.fromisoformat(imp["start_date"]),
        "end_date": None,
        "target_kpi": "return_rate",
        "owner": "产品部（演示）",
        "status": "active",
    }


def upsert_improvement_action(settings: Settings, truths: dict[str, Any]) -> str:
    """Insert or refresh the demo action by its id; returns created, updated or unchanged."""
    row = improvement_action_row(truths)
    engine = db.get_engine(settings)
    cols = [c for c in row if c != "action_id"]
    with engine.begin() as conn:
        current = conn.execute(
            select(*[improvement_actions.c[c] for c in cols]).where(improvement_actions.c.action_id == row["action_id"])
        ).first()
        if current is None:
            conn.execute(improvement_actions.insert().values(**row))
            return "created"
        if dict(zip(cols, current, strict=True)) == {c: row[c] for c in cols}:
            return "unchanged"
        conn.execute(
            update(improvement_actions)
            .where(improvement_actions.c.action_id == row["action_id"])
            .values(**{c: row[c] for c in cols}, updated_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))
        )
        return "updated"
