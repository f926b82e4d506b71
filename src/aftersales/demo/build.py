"""Generate the demo files, ingest them through the normal path, record the one planted improvement action."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from aftersales import services
from aftersales.config import Settings
from aftersales.demo import catalog
from aftersales.demo.generator import IMPROVEMENT_ACTION_ID, IMPROVEMENT_TITLE, default_end, generate
from aftersales.demo.output import FILES, write_demo
from aftersales.storage import db
from aftersales.storage.tables import improvement_actions

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
    total = 2 + len(INGEST_ORDER) + 1
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
    )


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
