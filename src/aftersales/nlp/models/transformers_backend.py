"""Optional backend: a fine-tuned `transformers` text classifier from a LOCAL directory, behind the Classifier contract.

Nothing is downloaded: the directory must hold the model (config.json, weights, tokenizer) and its `id2label` must use
our vocabulary codes, or the directory must hold `aftersales_labels.json` mapping the model's labels to our codes.
Used by `Analyzer.from_directory` when `DIR/<task>/config.json` exists; requires `pip install transformers torch`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aftersales.nlp.types import Prediction


class TransformersClassifier:
    """Wraps a local sequence-classification model; single-label tasks only (softmax scores)."""

    def __init__(self, task: str, model_dir: str | Path, batch_size: int = 32) -> None:
        try:
            from transformers import pipeline
        except ImportError as exc:  # pragma: no cover - exercised only where transformers is absent
            raise ImportError("the transformers backend needs `pip install transformers torch`") from exc
        self.task = task
        self.model_dir = Path(model_dir)
        self.version = f"transformers:{self.model_dir.name}"
        self.batch_size = batch_size
        self._pipe: Any = pipeline(
            "text-classification",
            model=str(self.model_dir),
            tokenizer=str(self.model_dir),
            top_k=None,
            model_kwargs={"local_files_only": True},
        )
        mapping_file = self.model_dir / "aftersales_labels.json"
        id2label: dict[Any, str] = self._pipe.model.config.id2label
        self._map: dict[str, str] = (
            json.loads(mapping_file.read_text(encoding="utf-8"))
            if mapping_file.exists()
            else {str(v): str(v) for v in id2label.values()}
        )
        self.labels: tuple[str, ...] = tuple(dict.fromkeys(self._map.values()))
        self.multilabel = False

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Softmax scores mapped onto our codes (several model labels may map to one code: their scores add)."""
        outputs = self._pipe([t or " " for t in texts], batch_size=self.batch_size, truncation=True)
        result = []
        for scored in outputs:
            scores = dict.fromkeys(self.labels, 0.0)
            for item in scored:
                code = self._map.get(str(item["label"]))
                if code is not None:
                    scores[code] += float(item["score"])
            best = max(scores, key=scores.__getitem__)
            result.append(Prediction(labels=(best,), scores=scores))
        return result
