"""Rule layer benchmark: speed of RuleLayer.signals() and, with ``--quality``, how well the rules ALONE label texts.

Speed: texts/s (median of ``--runs`` passes) of ``signals`` on already-normalised reviews (the analyzer normalises
once and shares the result), and of ``normalise`` + ``signals`` together. Reviews come from
../shared/data/online_shopping_10_cats when present (never stored in the repo), else synthetic ones.

Quality (``--quality``): joins data/labels/*.jsonl to the texts (dataset + 0-based pandas row, verified by
sha1(text.strip())[:16]) and scores the rules as a baseline the stacked model must beat:

- reasons: micro/macro-F1 over the 12 codes the rules know (gold ``other`` is dropped), a reason predicted when its
  strength ≥ threshold (several thresholds reported);
- stage: accuracy and macro-F1 of max(argmax of stage scores, stage_floor) in stage order;
- emotion: accuracy and macro-F1 of the arg-max (``neutral`` when there is no evidence);
- polarity: accuracy of sign(polarity) with a ±0.1 dead band; intensity: accuracy of the rounded value (0 → 1).

``online_shopping_part1`` was read while tuning the lexicons (dev); the other files are reported apart (held out).
Usage: ``python benchmarks/rules.py [--n 5000] [--runs 5] [--quality]``; prints one JSON object.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import platform
import random
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aftersales.nlp.normalise import normalise
from aftersales.nlp.rules import REASON_CODES, RuleLayer, RuleSignals, stage_at_least
from aftersales.vocab import Emotion, Stage

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DATASETS = {
    "online_shopping_10_cats": SHARED / "online_shopping_10_cats" / "online_shopping_10_cats.csv.gz",
    "waimai_10k": SHARED / "waimai_10k" / "waimai_10k.csv.gz",
}
DEV_FILES = {"online_shopping_part1.jsonl"}


def load_texts(n: int, seed: int = 0) -> tuple[list[str], str]:
    """A reproducible sample of real reviews, or synthetic ones when the data set is absent."""
    path = DATASETS["online_shopping_10_cats"]
    if path.exists():
        import pandas as pd

        with gzip.open(path, "rb") as fh:
            df = pd.read_csv(fh)
        texts = [str(t) for t in df[df["cat"] != "酒店"]["review"].dropna()]
        random.Random(seed).shuffle(texts)
        return texts[:n], "online_shopping_10_cats"
    rng = random.Random(seed)
    parts = [
        "這個商品質量太差了，",
        "物流很快，包装完好👍",
        "客服态度恶劣😡😡",
        "我要退货！！！",
        "尺码偏小，换大一号。",
        "用了两天就坏了，",
        "再不退款我就去12315投诉",
        "It broke after two days :( ",
        "VERY DISAPPOINTED",
        "还行吧。。。",
        "不是很满意，有点色差",
    ]
    return ["".join(rng.choice(parts) for _ in range(rng.randint(1, 4))) for _ in range(n)], "synthetic"


def rate(func: Callable[[Any], object], items: Sequence[Any], runs: int) -> float:
    """Median items/s over ``runs`` passes."""
    per_run = []
    for _ in range(runs):
        start = time.perf_counter()
        for item in items:
            func(item)
        per_run.append(len(items) / (time.perf_counter() - start))
    return round(statistics.median(per_run), 1)


def load_labels() -> list[tuple[str, dict[str, Any], str]]:
    """(file name, label record, text) for every label whose text is available and matches its sha1."""
    import pandas as pd

    frames: dict[str, list[str]] = {}
    out = []
    for path in sorted((ROOT / "data" / "labels").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            ds = rec["dataset"]
            if ds not in frames:
                if ds not in DATASETS or not DATASETS[ds].exists():
                    continue
                frames[ds] = [str(t) for t in pd.read_csv(DATASETS[ds])["review"]]
            text = frames[ds][rec["row"]]
            if hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:16] == rec["sha1"]:
                out.append((path.name, rec, text))
    return out


def f1_table(pairs: list[tuple[str, str]], labels: Sequence[str]) -> tuple[float, dict[str, float]]:
    """Macro-F1 over the labels present in gold or predictions, and per-label F1."""
    per = {}
    for lab in labels:
        tp = sum(g == lab and p == lab for g, p in pairs)
        fp = sum(g != lab and p == lab for g, p in pairs)
        fn = sum(g == lab and p != lab for g, p in pairs)
        if tp + fp + fn:
            per[lab] = round(2 * tp / (2 * tp + fp + fn), 3)
    return round(statistics.fmean(per.values()), 4) if per else 0.0, per


def predict_stage(sig: RuleSignals) -> str:
    """Arg-max of the stage scores (none when empty), raised to the rule floor."""
    best = max(sig.stage, key=lambda c: sig.stage[c])
    return stage_at_least(best if sig.stage[best] > 0 else "none", sig.stage_floor)


def predict_emotion(sig: RuleSignals) -> str:
    """Arg-max of the emotion scores, neutral when there is no evidence."""
    best = max(sig.emotion, key=lambda c: sig.emotion[c])
    return best if sig.emotion[best] > 0 else "neutral"


def quality(layer: RuleLayer, records: list[tuple[str, dict[str, Any], str]]) -> dict[str, Any]:
    """Rule-only scores on a set of labelled texts."""
    sigs = [layer.signals(normalise(text)) for _f, _r, text in records]
    gold = [r for _f, r, _t in records]
    out: dict[str, Any] = {"n": len(records)}
    reasons: dict[str, Any] = {}
    for thr in (0.5, 0.8, 1.0, 1.5):
        tp = fp = fn = 0
        per_code: dict[str, list[int]] = {c: [0, 0, 0] for c in REASON_CODES}
        for sig, g in zip(sigs, gold, strict=True):
            want = set(g["reasons"]) - {"other"}
            got = {c for c, v in sig.reasons.items() if v >= thr}
            for c in REASON_CODES:
                per_code[c][0] += c in want and c in got
                per_code[c][1] += c in got and c not in want
                per_code[c][2] += c in want and c not in got
            tp += len(want & got)
            fp += len(got - want)
            fn += len(want - got)
        per_f1 = {c: round(2 * t / (2 * t + p + n), 3) for c, (t, p, n) in per_code.items() if t + p + n}
        reasons[f"thr_{thr:g}"] = {
            "micro_f1": round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else 0.0,
            "precision": round(tp / (tp + fp), 4) if tp + fp else 0.0,
            "recall": round(tp / (tp + fn), 4) if tp + fn else 0.0,
            "macro_f1": round(statistics.fmean(per_f1.values()), 4) if per_f1 else 0.0,
            "per_reason_f1": per_f1,
        }
    out["reasons"] = reasons
    stage_pairs = [(g["stage"], predict_stage(s)) for s, g in zip(sigs, gold, strict=True)]
    macro, per = f1_table(stage_pairs, Stage.codes())
    out["stage"] = {"accuracy": _acc(stage_pairs), "macro_f1": macro, "per_stage_f1": per}
    floor_hits = [(g["stage"], s.stage_floor) for s, g in zip(sigs, gold, strict=True) if s.stage_floor != "none"]
    out["stage"]["floor_fired"] = len(floor_hits)
    out["stage"]["floor_precision_at_least"] = (
        round(sum(Stage.codes().index(g) >= Stage.codes().index(f) for g, f in floor_hits) / len(floor_hits), 4)
        if floor_hits
        else None
    )
    emo_pairs = [(g["emotion"], predict_emotion(s)) for s, g in zip(sigs, gold, strict=True)]
    macro, per = f1_table(emo_pairs, Emotion.codes())
    out["emotion"] = {"accuracy": _acc(emo_pairs), "macro_f1": macro, "per_emotion_f1": per}
    pol_pairs = [
        (g["polarity"], "positive" if s.polarity > 0.1 else "negative" if s.polarity < -0.1 else "neutral")
        for s, g in zip(sigs, gold, strict=True)
    ]
    out["polarity"] = {
        "accuracy": _acc(pol_pairs),
        "macro_f1": f1_table(pol_pairs, ["positive", "neutral", "negative"])[0],
    }
    int_pairs = [(str(g["intensity"]), str(max(1, round(s.intensity)))) for s, g in zip(sigs, gold, strict=True)]
    out["intensity"] = {"accuracy": _acc(int_pairs), "macro_f1": f1_table(int_pairs, ["1", "2", "3"])[0]}
    out["gold_distribution"] = {
        "stage": dict(Counter(g["stage"] for g in gold)),
        "emotion": dict(Counter(g["emotion"] for g in gold)),
    }
    return out


def _acc(pairs: list[tuple[str, str]]) -> float:
    """Share of exact matches."""
    return round(sum(g == p for g, p in pairs) / len(pairs), 4) if pairs else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quality", action="store_true", help="also score the rules against data/labels")
    args = parser.parse_args()
    start = time.perf_counter()
    layer = RuleLayer()
    build_s = time.perf_counter() - start
    texts, source = load_texts(args.n)
    norms = [normalise(t) for t in texts]
    for n in norms[:200]:  # warm up
        layer.signals(n)
    result: dict[str, Any] = {
        "benchmark": "rules",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "source": source,
        "n_texts": len(texts),
        "median_chars": statistics.median(len(t) for t in texts),
        "runs": args.runs,
        "build_seconds": round(build_s, 3),
        "signals_texts_per_s": rate(layer.signals, norms, args.runs),
        "normalise_texts_per_s": rate(normalise, texts, args.runs),
        "normalise_plus_signals_texts_per_s": rate(lambda t: layer.signals(normalise(t)), texts, args.runs),
        "features": len(layer.feature_names()),
    }
    if args.quality:
        records = load_labels()
        if records:
            dev = [r for r in records if r[0] in DEV_FILES]
            held = [r for r in records if r[0] not in DEV_FILES]
            result["quality"] = {
                "all": quality(layer, records),
                "dev_online_shopping_part1": quality(layer, dev),
                "held_out_part2_and_waimai": quality(layer, held),
            }
        else:
            result["quality"] = "skipped: ../shared/data or data/labels not available"
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
