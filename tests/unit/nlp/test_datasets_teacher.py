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
    unlabelled = {k: v for k, v in _rec(1).items() if k not in ("emotion", "stage")}
    with pytest.raises(ds.LabelJoinError, match=r"b\.jsonl:1: needs one of emotion, stage, reasons"):
        ds.teacher_labels([_write(tmp_path / "b.jsonl", [unlabelled])])
    with pytest.raises(ds.LabelJoinError, match=r"c\.jsonl:1: emotion must be one emotion code"):
        ds.teacher_labels([_write(tmp_path / "c.jsonl", [_rec(1, emotion="furious")])])


def test_no_teacher_files_is_an_empty_frame_training_can_use(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(ds, "teacher_dir", lambda: tmp_path)
    frame = ds.teacher_labels()
    assert frame.empty and {"text", "emotion", "stage", "source"} <= set(frame.columns)
    assert ds.dedup(frame).empty


def test_teacher_reasons_are_optional_and_must_be_reason_codes(raw: None, tmp_path: Path) -> None:
    with_reasons = dict(_rec(2), reasons=["quality_defect"], reasons_p=0.8)
    frame = ds.teacher_labels([_write(tmp_path / "r.jsonl", [_rec(0), with_reasons])])
    assert frame["reasons"].iloc[1] == ["quality_defect"] and not isinstance(frame["reasons"].iloc[0], list)
    for bad in (["broken"], "quality_defect", [1]):
        with pytest.raises(ds.LabelJoinError, match=r"bad\.jsonl:1: reasons must be a list of reason codes"):
            ds.teacher_labels([_write(tmp_path / "bad.jsonl", [dict(_rec(2), reasons=bad)])])


def _reasons_only(row: int, reasons: list[str]) -> dict[str, object]:
    rec = _rec(row)
    return {"dataset": rec["dataset"], "row": row, "sha1": rec["sha1"], "reasons": reasons, "reasons_p": 0.7}


def test_files_that_read_different_tasks_of_one_text_merge_into_one_row(raw: None, tmp_path: Path) -> None:
    """The emotion and stage of one teacher and the reasons of another: one row per text, each task where given."""
    first = _write(tmp_path / "e5_pool_v1.jsonl", [_rec(0), _rec(1, "gratitude", "none")])
    second = _write(tmp_path / "e5_reasons_v2.jsonl", [_reasons_only(0, ["logistics_delay"]), _reasons_only(2, [])])
    frame = ds.teacher_labels([first, second])
    assert list(frame["text"]) == ["发货太慢了，等了一周", "很好用，谢谢", "东西坏了要退货"]
    assert list(frame["emotion"].fillna("-")) == ["dissatisfaction", "gratitude", "-"]
    assert frame["reasons"].iloc[0] == ["logistics_delay"] and frame["reasons"].iloc[2] == []
    assert not isinstance(frame["reasons"].iloc[1], list)
    assert list(frame["label_file"]) == ["e5_pool_v1.jsonl:1", "e5_pool_v1.jsonl:2", "e5_reasons_v2.jsonl:2"]


def test_two_files_that_disagree_on_a_text_are_refused(raw: None, tmp_path: Path) -> None:
    first = _write(tmp_path / "a.jsonl", [_rec(0)])
    second = _write(tmp_path / "b.jsonl", [_rec(0, emotion="anger")])
    with pytest.raises(ds.LabelJoinError, match=r"a\.jsonl:1 and b\.jsonl:1 disagree on emotion"):
        ds.teacher_labels([first, second])


def test_reasons_probabilities_must_agree_with_the_reasons_they_come_with(raw: None, tmp_path: Path) -> None:
    """reasons_proba maps codes to probabilities, at 0.5 or more exactly for the line's reasons."""
    good = dict(_reasons_only(2, ["quality_defect"]), reasons_proba={"quality_defect": 0.8, "wrong_item": 0.2})
    frame = ds.teacher_labels([_write(tmp_path / "r.jsonl", [good])])
    assert frame["reasons_proba"].iloc[0] == {"quality_defect": 0.8, "wrong_item": 0.2}
    for proba in ({"quality_defect": 0.4}, {"quality_defect": 0.8, "wrong_item": 0.6}, {"broken": 0.9}, [0.8]):
        bad = dict(good, reasons_proba=proba)
        with pytest.raises(ds.LabelJoinError, match=r"bad\.jsonl:1: reasons_proba must map reason codes"):
            ds.teacher_labels([_write(tmp_path / "bad.jsonl", [bad])])
    without_reasons = {k: v for k, v in good.items() if k != "reasons"} | {"emotion": "anger"}
    with pytest.raises(ds.LabelJoinError, match="reasons_proba must map"):
        ds.teacher_labels([_write(tmp_path / "bad.jsonl", [without_reasons])])
    other = dict(good, reasons_proba={"quality_defect": 0.9})
    with pytest.raises(ds.LabelJoinError, match="disagree on reasons_proba"):
        ds.teacher_labels([_write(tmp_path / "a.jsonl", [good]), _write(tmp_path / "b.jsonl", [other])])


def test_clauses_cut_at_punctuation_and_join_short_pieces() -> None:
    assert ds.clauses("质量很差，物流也慢，客服态度不好！") == ["质量很差，", "物流也慢，", "客服态度不好！"]
    assert ds.clauses("东西不错。就是太贵了, 而且发货慢") == ["东西不错。", "就是太贵了,", "而且发货慢"]
    assert ds.clauses("好的，谢谢！！！非常满意") == ["好的，谢谢！！！", "非常满意"]  # "好的，" alone is too short
    assert ds.clauses("收到了，谢谢！！！好评") == []  # a short tail joins the clause before it: one clause left
    assert ds.clauses("还行吧") == [] and ds.clauses("") == [] and ds.clauses("，，，") == []


def test_a_teacher_reading_of_a_clause_joins_that_clause(raw: None, tmp_path: Path) -> None:
    first, second = ds.clauses(TEXTS[0].replace("\ufeff", ""))
    line = {
        "dataset": "waimai_10k",
        "row": 0,
        "clause": 1,
        "sha1": ds.text_sha16(second),
        "reasons": ["logistics_delay"],
    }
    frame = ds.teacher_labels([_write(tmp_path / "c.jsonl", [_rec(0), line])])
    assert list(frame["text"]) == [TEXTS[0].replace("\ufeff", ""), second]  # the whole text and its clause: two rows
    assert frame["reasons"].iloc[1] == ["logistics_delay"]
    with pytest.raises(ds.LabelJoinError, match="1 teacher label"):  # the sha1 of another clause
        ds.teacher_labels([_write(tmp_path / "d.jsonl", [dict(line, sha1=ds.text_sha16(first))])])
    with pytest.raises(ds.LabelJoinError, match="1 teacher label"):  # no such clause
        ds.teacher_labels([_write(tmp_path / "e.jsonl", [dict(line, clause=5)])])
    with pytest.raises(ds.LabelJoinError, match=r"f\.jsonl:1: clause must be"):
        ds.teacher_labels([_write(tmp_path / "f.jsonl", [dict(line, clause="1")])])
