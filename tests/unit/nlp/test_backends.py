"""Any `Classifier` can serve a task in the Analyzer (the transformers backend uses this path)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from aftersales.nlp.analyzer import TASKS, Analyzer
from aftersales.nlp.models import load_shipped
from aftersales.nlp.types import Classifier, Prediction
from aftersales.vocab import Emotion, Stage


class KeywordStage:
    """A deterministic stage classifier: 'formal_complaint' when the text names 12315, else 'none'."""

    task = "stage"
    version = "kw-1"
    labels = tuple(Stage.codes())

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        out = []
        for text in texts:
            top = "formal_complaint" if "12315" in text else "none"
            scores = {c: (0.96 if c == top else 0.01) for c in self.labels}
            out.append(Prediction(labels=(top,), scores=scores))
        return out


def test_a_protocol_classifier_serves_a_task() -> None:
    assert isinstance(KeywordStage(), Classifier)
    models = {t: load_shipped(t) for t in TASKS}
    models["stage"] = KeywordStage()  # type: ignore[assignment]
    analyzer = Analyzer(models)
    assert "stage:kw-1" in analyzer.version
    assert analyzer.analyze("我已经打了12315").stage_scores["formal_complaint"] > 0.5
    assert analyzer.analyze("质量很好").stage == "none"


def test_transformers_backend_needs_a_local_model(tmp_path: Path) -> None:
    pytest.importorskip("transformers")
    from aftersales.nlp.models.transformers_backend import TransformersClassifier

    with pytest.raises(OSError):
        TransformersClassifier("emotion", tmp_path / "no-model-here")


class AnxiousHead:
    """A customer-service emotion head that reads every text as anxiety (to see the blend weight at work)."""

    task = "emotion_cs"
    version = "kw-1"
    labels = tuple(Emotion.codes())

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        scores = {c: (0.93 if c == "anxiety" else 0.01) for c in self.labels}
        return [Prediction(labels=("anxiety",), scores=scores) for _ in texts]


def test_the_emotion_cs_head_counts_by_its_blend_weight() -> None:
    from dataclasses import replace

    models = {t: load_shipped(t) for t in TASKS}
    text = "请问我的退款什么时候到账"
    alone = Analyzer(models, params=replace(Analyzer.default().params, emotion_cs_weight=0.0))
    with_head = Analyzer({**models, "emotion_cs": AnxiousHead()}, params=alone.params)  # type: ignore[dict-item]
    assert with_head.version != alone.version and "emotion_cs" in with_head.tasks  # the head is named in the version
    assert with_head.analyze(text).emotion_scores == alone.analyze(text).emotion_scores  # weight 0: no effect
    leaning = Analyzer(with_head.models, params=replace(alone.params, emotion_cs_weight=1.0))
    assert leaning.analyze(text).emotion_scores["anxiety"] > alone.analyze(text).emotion_scores["anxiety"]
    assert leaning.analyze(text).emotion_scores["anxiety"] > 0.5


def test_from_directory_loads_the_head_only_from_its_own_training_run(tmp_path: Path) -> None:
    """A training folder without emotion_cs.npz (trained before the head) gets no head, not the shipped one."""
    assert "emotion_cs" not in Analyzer.from_directory(tmp_path).tasks
    emotion = load_shipped("emotion")
    emotion.task = "emotion_cs"
    emotion.save(tmp_path / "emotion_cs.npz")
    assert "emotion_cs" in Analyzer.from_directory(tmp_path).tasks
