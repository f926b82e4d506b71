"""datasets.teacher_labels: the e5 teacher's readings join back to their texts by (dataset, row), sha1-checked."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from aftersales.nlp import datasets as ds

TEXTS = ["\ufeff发货太慢了，等了一周", "很好用，谢谢", "东西坏了要退货"]


@pytest.fixture
def raw(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ds._RAW_TEXT, "waimai_10k", lambda: pd.Series(TEXTS))


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _rec(row: int, emotion: str = "dissatisfaction", stage: str = "explicit") -> dict[str, object]:
    sha1 = ds.text_sha16(TEXTS[row].replace("\ufeff", ""))
    return {"dataset": "waimai_10k", "row": row, "sha1": sha1, "emotion": emotion, "stage": stage, "emotion_p": 0.9}


def test_teacher_labels_join_their_texts_and_name_their_source(raw: None, tmp_path: Path) -> None:
    path = _write(tmp_path / "t.jsonl", [_rec(0), _rec(1, "gratitude", "none")])
    frame = ds.teacher_labels([path])
    assert list(frame["text"]) == ["发货太慢了，等了一周", "很好用，谢谢"]  # the BOM is cleaned off
    assert list(frame["emotion"]) == ["dissatisfaction", "gratitude"] and list(frame["stage"]) == ["explicit", "none"]
    assert set(frame["source"]) == {"teacher"} and list(frame["label_file"]) == ["t.jsonl:1", "t.jsonl:2"]


def test_a_teacher_label_on_the_wrong_row_or_without_labels_is_refused(raw: None, tmp_path: Path) -> None:
    moved = dict(_rec(0), row=2)
    with pytest.raises(ds.LabelJoinError, match="1 teacher label"):
        ds.teacher_labels([_write(tmp_path / "a.jsonl", [_rec(1), moved])])
    unlabelled = {k: v for k, v in _rec(1).items() if k != "stage"}
    with pytest.raises(ds.LabelJoinError, match=r"b\.jsonl:1"):
        ds.teacher_labels([_write(tmp_path / "b.jsonl", [unlabelled])])


def test_no_teacher_files_is_an_empty_frame_training_can_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ds, "teacher_dir", lambda: tmp_path)
    frame = ds.teacher_labels()
    assert frame.empty and {"text", "emotion", "stage", "source"} <= set(frame.columns)
    assert ds.dedup(frame).empty
