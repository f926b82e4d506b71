"""Rich renderings shared by the operations commands (tables only; no business rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from aftersales.cli.common import console
from aftersales.vocab import CaseStatus, Emotion, Reason, Stage

PRIORITY_STYLE = {"P1": "bold red", "P2": "yellow", "P3": "cyan", "P4": "dim"}


@contextmanager
def progress_bar(disable: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A progress bar whose callback takes (done, total)."""
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=disable,
    )
    with progress:
        task = progress.add_task("processing", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        yield update


TABLE_WIDTH = 150  # the queue table stays readable when output is piped (rich would fall back to 80 columns)


def print_wide(renderable: Any) -> None:
    """Print a wide table at least TABLE_WIDTH columns wide, even into a pipe."""
    if console.is_terminal and console.width >= TABLE_WIDTH:
        console.print(renderable)
    else:
        Console(width=max(console.width, TABLE_WIDTH), highlight=False).print(renderable)


def case_table(rows: list[dict[str, Any]], title: str) -> Table:
    """The queue: priority, SLA, who, how they feel, why (Chinese display names from the vocabulary)."""
    table = Table(title=title)
    for col in ("priority", "case", "queue", "customer", "emotion", "stage", "reason", "SLA", "status"):
        table.add_column(col, no_wrap=col in ("priority", "case", "SLA"))
    for r in rows:
        sla = r.get("sla") or {}
        left = sla.get("minutes_left")
        sla_text = "breached" if sla.get("breached") else (f"{left:.0f} min" if isinstance(left, int | float) else "-")
        tier = " ★VIP" if r.get("customer_tier") == "vip" else ""
        emotion = r.get("emotion_open") or ""
        reason = r.get("primary_reason") or ""
        table.add_row(
            f"[{PRIORITY_STYLE.get(r.get('priority') or '', '')}]{r.get('priority')}[/]",
            r["case_id"],
            str(r.get("queue") or ""),
            f"{r.get('customer_name') or r['customer_id']}{tier}",
            Emotion(emotion).zh if emotion in Emotion.codes() else emotion,
            Stage(r["stage"]).zh if r.get("stage") in Stage.codes() else str(r.get("stage") or ""),
            Reason(reason).zh if reason in Reason.codes() else "—",
            f"[red]{sla_text}[/]" if sla.get("breached") else sla_text,
            CaseStatus(r["status"]).zh if r.get("status") in CaseStatus.codes() else str(r.get("status")),
        )
    return table


def simulation_tables(report: dict[str, Any], limit: int = 20) -> list[Table]:
    """Current vs candidate policy: cases per priority and queue, projected SLA breaches, changed cases."""
    out: list[Table] = []
    title = f"{report['cases']:,} cases · {report['policy_current']} → {report['policy_new']}"
    for key, name in (("priorities", "priority"), ("queues", "queue")):
        table = Table(title=f"{title} · per {name}")
        for col in (name, "current", "new", "Δ"):
            table.add_column(col, justify="left" if col == name else "right")
        for label, side in report[key].items():
            table.add_row(label, f"{side['current']:,}", f"{side['new']:,}", f"{side['delta']:+,}")
        out.append(table)
    breaches = Table(
        title=f"projected first-response SLA breaches ({report['wait_unit']}; staffing {report.get('staffing')}, "
        f"{report.get('handle_minutes')} min per case)"
    )
    for col in ("queue", "current", "new", "Δ"):
        breaches.add_column(col, justify="left" if col == "queue" else "right")
    for label, side in {**report["sla_breaches"]["by_queue"], "total": report["sla_breaches"]["total"]}.items():
        breaches.add_row(label, f"{side['current']:,}", f"{side['new']:,}", f"{side['delta']:+,}")
    out.append(breaches)
    changed = Table(title=f"{report['changed']:,} cases change priority or queue (first {limit})")
    for col in ("case", "priority", "queue", "rule (new)", "rule (current)"):
        changed.add_column(col)
    for c in report["changes"][:limit]:
        changed.add_row(
            str(c["case_key"]),
            f"{c['priority']['current']} → {c['priority']['new']}",
            f"{c['queue']['current']} → {c['queue']['new']}",
            str(c.get("rule_new") or "-"),
            str(c.get("rule_current") or "-"),
        )
    out.append(changed)
    return out
