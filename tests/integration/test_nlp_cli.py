"""`aftersales analyze | eval | feedback`: contracts of the analysis CLI (JSONL fields, pass-through, metrics)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from aftersales import services
from aftersales.cli.main import app
from aftersales.config import Settings
from aftersales.services import nlp as svc
from tests.factories import ANALYSIS_FIELDS, write_csv

runner = CliRunner()


def test_analyze_jsonl_passes_input_fields_through(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    rows = [
        {"id": 7, "text": "质量太差了，用两天就坏了", "meta": {"shop": "A"}},
        {"id": 8, "text": "很满意，谢谢"},
        {"id": 9, "text": "x", "polarity": "gold-label"},
    ]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    result = runner.invoke(app, ["analyze", "--input", str(src), "--format", "jsonl", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == 3
    for row, original in zip(out, rows, strict=True):
        assert set(row) >= ANALYSIS_FIELDS
        assert row["id"] == original["id"] and row["text"] == original["text"]
    assert out[0]["meta"] == {"shop": "A"}  # nested input values stay as they were
    assert out[2]["input_polarity"] == "gold-label" and out[2]["polarity"] in ("positive", "neutral", "negative")
    assert out[0]["polarity"] == "negative" and out[0]["primary_reason"] != "none"


def test_analyze_texts_as_arguments_table_and_json(tmp_path: Path) -> None:
    result = runner.invoke(app, ["analyze", "快递怎么还没到", "谢谢", "--format", "json", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [d["text"] for d in data] == ["快递怎么还没到", "谢谢"]
    table = runner.invoke(app, ["analyze", "太差了！！！", "--home", str(tmp_path)])
    assert table.exit_code == 0 and "太差了" in table.stdout and "neg" in table.stdout  # narrow terminal folds words


def test_analyze_bad_input_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{broken\n', encoding="utf-8")
    result = runner.invoke(app, ["analyze", "--input", str(bad), "--format", "jsonl", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "bad.jsonl:2" in result.output
    result = runner.invoke(app, ["analyze", "--input", str(tmp_path / "nope.jsonl"), "--home", str(tmp_path)])
    assert result.exit_code == 2 and "not found" in result.output


def test_eval_reports_metrics(tmp_path: Path) -> None:
    path = tmp_path / "gold.csv"
    write_csv(
        path,
        ["text", "polarity", "reasons"],
        [
            ["质量太差了，用两天就坏了", "negative", "quality_defect"],
            ["非常满意，物流很快", "positive", ""],
            ["尺码偏小穿不下", "negative", "size_fit"],
        ],
    )
    result = runner.invoke(app, ["eval", str(path), "--task", "polarity", "--home", str(tmp_path)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n"] == 3 and 0.0 <= report["accuracy"] <= 1.0 and "confusion" in report
    lo, hi = report["ci95"]["accuracy"]
    assert 0.0 <= lo <= report["accuracy"] <= hi <= 1.0
    assert set(report["binary"]["ci95"]) == {"accuracy", "macro_f1"}  # gold without neutral: by the score's sign
    reasons = json.loads(runner.invoke(app, ["eval", str(path), "--task", "reason", "--home", str(tmp_path)]).stdout)
    assert "micro_f1" in reasons
    wrong = runner.invoke(app, ["eval", str(path), "--task", "stage", "--home", str(tmp_path)])
    assert wrong.exit_code == 2 and "'stage'" in wrong.output


def test_corrections_are_stored_and_shaped_for_training(settings: Settings, tmp_path: Path) -> None:
    services.ingest_file(
        "interactions",
        write_csv(
            tmp_path / "i.csv",
            ["interaction_id", "customer_id", "text", "created_at", "channel"],
            [["I1", "C1", "东西一般般吧", "2025-01-01", "review"]],
        ),
        settings=settings,
    )
    svc.record_correction("emotion", "disappointment", "agent-1", interaction_id="I1", settings=settings)
    svc.record_correction("reasons", ["not_as_described"], "agent-1", interaction_id="I1", settings=settings)
    assert svc.feedback_rows(settings) == [
        {"text": "东西一般般吧", "channel": "review", "emotion": "disappointment", "reasons": ["not_as_described"]}
    ]
    result = runner.invoke(
        app,
        ["feedback", "add", "I1", "--task", "stage", "--value", "latent", "--by", "lead", "--home", str(settings.home)],
    )
    assert result.exit_code == 0, result.output
    assert svc.feedback_rows(settings)[0]["stage"] == "latent"


def test_stored_messages_are_analysed_once_per_model_version(settings: Settings, tmp_path: Path) -> None:
    from sqlalchemy import select

    from aftersales.storage import db
    from aftersales.storage.tables import analyses

    header = ["interaction_id", "customer_id", "text", "created_at", "author"]
    rows = [
        ["I1", "C1", "质量太差了，用两天就坏了，我要退货！", "2025-01-01", "customer"],
        ["I2", "C1", "您好，已为您登记退货，请耐心等待", "2025-01-01", "agent"],
        ["I3", "C2", "谢谢，问题解决了", "2025-01-02", ""],
    ]
    services.ingest_file("interactions", write_csv(tmp_path / "i.csv", header, rows), settings=settings)
    first = svc.analyze_stored(settings)
    assert first["analysed"] == 2  # agents' replies are not customer feelings
    assert svc.analyze_stored(settings)["analysed"] == 0
    with db.get_engine(settings).connect() as conn:
        stored = {r.interaction_id: r for r in conn.execute(select(analyses))}
    assert set(stored) == {"I1", "I3"}
    assert stored["I1"].polarity == "negative" and "quality_defect" in stored["I1"].reasons
    assert stored["I1"].model_version == first["model_version"] and stored["I1"].evidence
    result = runner.invoke(app, ["analyze", "--stored", "--home", str(settings.home)])
    assert result.exit_code == 0 and json.loads(result.stdout)["analysed"] == 0


WORRIED = "快递到现在还没到，有点担心，麻烦帮忙查一下"


def gated_models(folder: Path) -> Path:
    """The shipped models with a combiner that reads social posts by the general emotion model alone."""
    from dataclasses import replace

    from aftersales.nlp.combine import CombinerParams
    from aftersales.nlp.models import ARTEFACTS

    folder.mkdir()
    for artefact in ARTEFACTS.glob("*.npz"):
        (folder / artefact.name).symlink_to(artefact)
    params = CombinerParams.load(ARTEFACTS / "combiner.json")
    replace(params, emotion_cs_weight=1.0, social={"emotion_cs_weight": 0.0}).save(folder / "combiner.json")
    return folder


def test_analyze_reads_each_records_channel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record's `channel` field, else --channel, reaches the analyzer; an unknown --channel is refused."""
    monkeypatch.setenv("AFTERSALES_MODEL_DIR", str(gated_models(tmp_path / "models")))
    src = tmp_path / "in.jsonl"
    rows = [{"text": WORRIED, "channel": "social"}, {"text": WORRIED}, {"text": WORRIED, "channel": "chat"}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    args = ["analyze", "--input", str(src), "--format", "jsonl", "--home", str(tmp_path)]
    plain = [json.loads(line) for line in runner.invoke(app, args).stdout.splitlines()]
    assert plain[0]["emotion_scores"] != plain[1]["emotion_scores"] == plain[2]["emotion_scores"]
    assert "channel" not in plain[1]  # nothing is added to a record's own fields
    social = [json.loads(line) for line in runner.invoke(app, [*args, "--channel", "social"]).stdout.splitlines()]
    assert social[1]["emotion_scores"] == plain[0]["emotion_scores"]  # --channel fills records without one
    assert social[2]["emotion_scores"] == plain[2]["emotion_scores"]  # ... and leaves a record's own channel alone
    bad = runner.invoke(app, [*args, "--channel", "weibo"])
    assert bad.exit_code == 2 and "weibo" in bad.output


def test_eval_reads_the_channel_like_analyze(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`eval --channel social` scores the texts as social posts: the same predictions `analyze --channel` gives."""
    monkeypatch.setenv("AFTERSALES_MODEL_DIR", str(gated_models(tmp_path / "models")))
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"text": WORRIED, "emotion": "anxiety"}, ensure_ascii=False) + "\n", encoding="utf-8")
    predicted = {}
    for channel in ("chat", "social"):
        args = ["eval", str(gold), "--task", "emotion", "--channel", channel, "--home", str(tmp_path)]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        confusion = json.loads(result.stdout)["confusion"]
        analyzed = runner.invoke(
            app, ["analyze", WORRIED, "--channel", channel, "--format", "json", "--home", str(tmp_path)]
        )
        predicted[channel] = json.loads(analyzed.stdout)[0]["emotion"]
        labels = confusion["labels"]
        assert confusion["matrix"][labels.index("anxiety")][labels.index(predicted[channel])] == 1, confusion
    bad = runner.invoke(app, ["eval", str(gold), "--task", "emotion", "--channel", "tv", "--home", str(tmp_path)])
    assert bad.exit_code == 2 and "tv" in bad.output


def test_train_refuses_fewer_than_one_worker(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--out", str(tmp_path / "m"), "--jobs", "0", "--home", str(tmp_path)])
    assert result.exit_code == 2 and "--jobs" in result.output
    with pytest.raises(ValueError, match="jobs must be at least 1"):
        svc.train(tmp_path / "m", jobs=0)
