"""Any `Classifier` can serve a task in the Analyzer (the transformers backend uses this path)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from aftersales.nlp.analyzer import TASKS, Analyzer
from aftersales.nlp.models import load_shipped
from aftersales.nlp.types import Classifier, Prediction
from aftersales.vocab import Stage


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
