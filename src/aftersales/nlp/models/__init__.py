"""Fast trained text classifiers (hashed n-grams + linear models) and their shipped artefacts."""

from __future__ import annotations

from pathlib import Path

from aftersales.nlp.models.features import Features, HashingFeaturizer
from aftersales.nlp.models.linear import HashedLinearClassifier

__all__ = ["ARTEFACTS", "Features", "HashedLinearClassifier", "HashingFeaturizer", "load_shipped"]

ARTEFACTS = Path(__file__).resolve().parent / "artefacts"


def load_shipped(task: str, directory: Path | None = None) -> HashedLinearClassifier:
    """Load a shipped model by task name (polarity, emotion, stage, reasons)."""
    path = (directory or ARTEFACTS) / f"{task}.npz"
    if not path.exists():
        raise FileNotFoundError(f"no trained model for {task!r} at {path}; run python -m aftersales.nlp.train")
    return HashedLinearClassifier.load(path)
