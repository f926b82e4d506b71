"""scripts/labelling.py agreement: a blind second annotation compared with the committed first labels."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "labelling.py"


@pytest.fixture(scope="module")
def labelling() -> ModuleType:
    spec = importlib.util.spec_from_file_location("labelling_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_agreement_counts_each_disagreement(labelling: ModuleType, tmp_path: Path) -> None:
    first = [json.loads(line) for line in (SCRIPT.parents[1] / "data" / "labels" / "round4_r1.jsonl").open()][:4]
    second = [dict(r) for r in first]
    second[0]["emotion"] = "neutral" if first[0]["emotion"] != "neutral" else "anger"
    second[1]["reasons"] = [*first[1]["reasons"], "wrong_item" if "wrong_item" not in first[1]["reasons"] else "price"]
    path = tmp_path / "second.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in second), encoding="utf-8")
    out = labelling.agreement(path)
    assert out["n"] == 4
    assert out["emotion_accuracy"] == 0.75 and out["stage_accuracy"] == 1.0 and out["polarity_accuracy"] == 1.0
    n_first = sum(len(r["reasons"]) for r in first)
    assert out["reasons_micro_f1"] == round(2 * n_first / (2 * n_first + 1), 3)  # one extra reason: one false positive
