"""`build_demo` and `aftersales demo`: a small set ingests with zero rejects, matches its files, is idempotent."""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from aftersales.cli import demo as demo_cli
from aftersales.cli.main import app
from aftersales.config import Settings
from aftersales.demo import build_demo
from aftersales.storage import db
from aftersales.storage.tables import ENTITY_TABLES, improvement_actions

END = dt.date(2025, 6, 30)
SMALL = {"n_customers": 400, "months": 8}
ENTITIES = ("customers", "orders", "returns", "interactions", "surveys", "kb_articles")


def test_build_ingests_everything_with_zero_rejects_and_is_idempotent(settings: Settings) -> None:
    first = build_demo(settings, seed=11, end=END, **SMALL)
    assert first.out_dir == settings.home / "demo"
    assert [s.entity for s in first.summaries] == list(ENTITIES)
    assert first.rejected == 0 and all(s.rejects_file is None for s in first.summaries)
    assert all(s.pending_customers == 0 and not s.ignored_columns for s in first.summaries)
    for entity in ENTITIES:
        path = first.files[entity]
        rows = (
            sum(1 for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
            if path.suffix == ".jsonl"
            else len(pd.read_csv(path, dtype=str, keep_default_na=False))
        )
        assert rows == first.file_rows[entity] == first.db_counts[entity] > 0, entity
        summary = next(s for s in first.summaries if s.entity == entity)
        assert summary.accepted == rows and summary.updated == summary.unchanged == 0
    for extra in ("truths", "interactions_truth", "readme"):
        assert first.files[extra].is_file()
    assert first.improvement_action == "created"

    engine = db.get_engine(settings)
    with engine.connect() as conn:
        actions = conn.execute(select(improvement_actions)).mappings().all()
    truths = json.loads(first.files["truths"].read_text(encoding="utf-8"))
    assert len(actions) == 1
    action = actions[0]
    assert action["title"] == "说明书改版" and action["scope"]["sku"] == truths["sku_improvement"]["sku"]
    assert action["start_date"].isoformat() == truths["sku_improvement"]["start_date"]

    assert first.analysis["analysed"] > 0  # every customer message read by the Analyzer and stored
    agreement = first.analysis["agreement_with_planted_labels"]
    assert agreement["messages"] == first.analysis["analysed"]
    assert 0.0 < agreement["polarity_accuracy"] <= 1.0 and 0.0 < agreement["reasons_micro_f1"] <= 1.0

    # Every message went through the loop: cases exist, each with a decision that explains itself.
    assert first.triage["triaged"] > 0 and first.triage["cases_opened"] > 0
    from aftersales.storage.tables import cases, decisions

    with engine.connect() as conn:
        n_cases = conn.execute(select(func.count()).select_from(cases)).scalar_one()
        fired = conn.execute(select(decisions.c.rules_fired).limit(50)).scalars().all()
    assert n_cases == first.triage["cases_opened"]
    assert any(f for f in fired)
    assert first.churn["method"] in ("model", "rules") and first.churn["examples"] >= 0
    creds = json.loads((settings.home / "demo" / "credentials.json").read_text(encoding="utf-8"))
    assert (settings.home / "demo" / "credentials.json").stat().st_mode & 0o077 == 0
    assert {u["role"] for u in creds["users"]} == {"admin", "manager", "agent"}

    second = build_demo(settings, seed=11, end=END, **SMALL)
    assert second.rejected == 0 and second.improvement_action == "unchanged"
    assert second.analysis["analysed"] == 0  # nothing new to read
    for summary in second.summaries:
        assert (summary.accepted, summary.updated) == (0, 0), summary.entity
        assert summary.unchanged == first.file_rows[summary.entity], summary.entity
    assert second.db_counts == first.db_counts
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(improvement_actions)).scalar_one() == 1
        for name in ENTITIES:
            count = conn.execute(select(func.count()).select_from(ENTITY_TABLES[name])).scalar_one()
            assert count == first.file_rows[name], name


def test_build_into_an_explicit_folder_reports_progress(settings: Settings, tmp_path: Path) -> None:
    steps: list[tuple[str, int, int]] = []
    result = build_demo(
        settings,
        seed=2,
        end=END,
        out_dir=tmp_path / "files",
        progress=lambda *s: steps.append(s),
        **SMALL,
    )
    assert result.out_dir == tmp_path / "files" and (tmp_path / "files" / "orders.csv").is_file()
    assert not (settings.home / "demo").exists()
    assert steps[0][0] == "generate" and steps[-1] == ("done", steps[-1][2], steps[-1][2])
    assert any(name == "ingest interactions" for name, _, _ in steps)


@pytest.fixture
def small_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the CLI command on a small data set so the test stays fast."""
    monkeypatch.setattr(demo_cli, "build_demo", functools.partial(build_demo, **SMALL))


@pytest.mark.usefixtures("small_cli")
def test_cli_demo_no_serve_prints_summary_and_truths(tmp_path: Path) -> None:
    home = tmp_path / "h"
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--home", str(home), "--seed", "5", "--end", "2025-06-30"])
    assert result.exit_code == 0, result.output
    out = result.output
    for entity in ("customers", "orders", "returns", "surveys"):
        assert entity in out
    assert "planted 1" in out and "planted 2" in out and "planted 3" in out and "说明书改版" in out
    assert str(home / "demo") in out.replace("\n", "")
    assert "not part of this version" not in out
    assert (home / "demo" / "truths.json").is_file() and (home / "aftersales.db").is_file()


@pytest.mark.usefixtures("small_cli")
def test_cli_demo_without_no_serve_hands_over_to_the_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server itself is exercised for real in test_serve.py; here we only check the demo starts it."""
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append({"args": a, **kw}))
    result = CliRunner().invoke(app, ["demo", "--home", str(tmp_path / "h"), "--end", "2025-06-30", "--port", "8765"])
    assert result.exit_code == 0, result.output
    assert calls and calls[0]["port"] == 8765 and calls[0]["factory"] is True
    assert "the queue: top" in result.output


def test_cli_demo_rejects_a_bad_end_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["demo", "--no-serve", "--home", str(tmp_path / "h"), "--end", "30/06/2025"])
    assert result.exit_code == 2
    assert not (tmp_path / "h" / "demo").exists()


@pytest.mark.usefixtures("small_cli")
def test_cli_demo_warns_when_the_database_holds_other_rows(tmp_path: Path) -> None:
    home = str(tmp_path / "h")
    first = CliRunner().invoke(app, ["demo", "--no-serve", "--home", home, "--end", "2025-06-30"])
    assert first.exit_code == 0 and "not in this demo set" not in first.output
    second = CliRunner().invoke(app, ["demo", "--no-serve", "--home", home, "--end", "2025-05-31"])
    assert second.exit_code == 0, second.output
    assert "not in this demo set" in second.output.replace("\n", " ")
