"""`aftersales analyze | eval | train | feedback`: the message-analysis engine from the command line."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from aftersales.cli.common import console, domain_errors, print_json, settings_for
from aftersales.vocab import Channel

HomeOpt = Annotated[Path | None, typer.Option("--home", help="Data directory (overrides AFTERSALES_HOME).")]
feedback_app = typer.Typer(help="Human corrections of analysis labels (folded in by `train --with-feedback`).")


def analyze(
    texts: Annotated[list[str] | None, typer.Argument(help="Messages to analyse (or use --input).")] = None,
    input_: Annotated[
        Path | None, typer.Option("--input", help="JSONL, CSV/TSV or .txt (one message per line).")
    ] = None,
    text_field: Annotated[str, typer.Option(help="Field holding the message text.")] = "text",
    fmt: Annotated[str, typer.Option("--format", help="table, json or jsonl.")] = "table",
    channel: Annotated[
        str | None,
        typer.Option(help="Channel the messages came in on (chat, email, social, ...) where a record has none."),
    ] = None,
    stored: Annotated[
        bool, typer.Option("--stored", help="Analyse the stored customer messages that lack an analysis; save them.")
    ] = False,
    home: HomeOpt = None,
) -> None:
    """Analyse messages: polarity, emotion, intensity, complaint stage, reasons, problem type, with evidence."""
    if fmt not in ("table", "json", "jsonl"):
        raise typer.BadParameter("--format must be table, json or jsonl")
    _check_channel(channel)
    from aftersales.services import nlp as svc

    with domain_errors():
        settings = settings_for(home)
        if stored:
            print_json(svc.analyze_stored(settings))
            return
        if input_ is not None:
            records = svc.read_records(input_, text_field)
        elif texts:
            records = iter({text_field: t} for t in texts)
        elif not sys.stdin.isatty():
            records = ({text_field: line.rstrip("\n")} for line in sys.stdin if line.strip())
        else:
            raise typer.BadParameter("give TEXT arguments, --input FILE, or pipe messages on stdin")
        results = svc.analyze_records(records, text_field, settings, channel=channel)
        if fmt == "jsonl":
            for row in results:
                sys.stdout.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
            return
        rows = list(results)
    if fmt == "json":
        print_json(rows)
        return
    console.print(_table(rows, text_field))


def _check_channel(channel: str | None) -> None:
    if channel is not None and channel not in Channel.codes():
        raise typer.BadParameter(f"--channel {channel!r}: expected one of {', '.join(Channel.codes())}")


def _table(rows: list[dict[str, Any]], text_field: str) -> Group:
    """One two-column card per message: readable in an 80-column terminal, evidence under each label."""
    cards = []
    for r in rows:
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column("field", style="bold", no_wrap=True)
        table.add_column("value", overflow="fold")
        table.add_row("text", str(r.get(text_field, "")))
        table.add_row("polarity", f"{r['polarity']} ({r['polarity_score']:+.2f})")
        table.add_row(
            "emotion", f"{r['emotion']} ({r['emotion_scores'][r['emotion']]:.2f}), intensity {r['intensity']}"
        )
        table.add_row("stage", r["stage"])
        table.add_row("reasons", ", ".join(r["reasons"]) or "-")
        table.add_row("problem type", r["problem_type"])
        for key, spans in r["evidence"].items():
            table.add_row(f"  evidence {key}", "「" + "」「".join(e["text"] for e in spans) + "」")
        cards.append(Panel(table, expand=False))
    return Group(*cards)


def evaluate(
    task: Annotated[str, typer.Option(help="polarity, emotion, stage or reason.")],
    file: Annotated[Path | None, typer.Argument(help="JSONL or CSV with the text and a gold label per record.")] = None,
    dataset: Annotated[
        str | None, typer.Option(help="A held-out split instead of FILE, e.g. cs_test, chnsenticorp_htl.")
    ] = None,
    text_field: Annotated[str, typer.Option(help="Field holding the text.")] = "text",
    label_field: Annotated[str | None, typer.Option(help="Gold label field (default: the task's field).")] = None,
    channel: Annotated[
        str | None, typer.Option(help="Channel of the texts (e.g. social for Weibo posts) where a record has none.")
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Score the analyzer against gold labels: accuracy, macro-F1, per-label P/R/F1, confusion, calibration (JSON)."""
    _check_channel(channel)
    from aftersales.services import nlp as svc

    with domain_errors():
        print_json(svc.evaluate_file(file, task, text_field, label_field, settings_for(home), dataset, channel))


def train(
    out: Annotated[Path, typer.Option(help="Where to write the models (use it as AFTERSALES_MODEL_DIR).")],
    with_feedback: Annotated[bool, typer.Option(help="Fold in the corrections stored in the database.")] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1, help="Worker processes for the model fits and the combiner search (default: one per CPU, ≤ 4)."
        ),
    ] = None,
    home: HomeOpt = None,
) -> None:
    """Reproduce every shipped model from ../shared/data and data/labels (optionally with agents' corrections)."""
    from rich.logging import RichHandler

    from aftersales.services import nlp as svc

    # A full run takes tens of minutes: say on stderr when each phase is done (stdout stays the JSON).
    progress = logging.getLogger("aftersales.nlp.calibrate")
    progress.setLevel(logging.INFO)
    if not progress.handlers:
        progress.addHandler(RichHandler(console=Console(stderr=True), show_path=False))
    with domain_errors():
        metrics = svc.train(out, with_feedback, settings_for(home), jobs)
    print_json({"out": str(out), "targets": metrics.get("targets"), "combined": metrics.get("combined")})


@feedback_app.command("add")
def feedback_add(
    interaction_id: Annotated[str, typer.Argument(help="The message whose label is corrected.")],
    task: Annotated[str, typer.Option(help="polarity, emotion, intensity, stage, reasons, primary_reason …")],
    value: Annotated[str, typer.Option(help="The correct value (reasons: comma-separated codes).")],
    by: Annotated[str, typer.Option(help="Who corrected it.")],
    home: HomeOpt = None,
) -> None:
    """Record a human correction of one label of one message."""
    from aftersales.services import nlp as svc

    parsed: Any = [v.strip() for v in value.split(",") if v.strip()] if task == "reasons" else value
    with domain_errors():
        ident = svc.record_correction(task, parsed, by, interaction_id=interaction_id, settings=settings_for(home))
    console.print(f"correction {ident} recorded")
