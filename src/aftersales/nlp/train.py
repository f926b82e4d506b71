"""Reproduce every shipped model from ../shared/data and data/labels, evaluate each on held-out data, write metrics.

``python -m aftersales.nlp.train --out DIR`` (the CLI's ``aftersales train`` will wrap `train_all`). Every test text of
every task (the polarity test splits, the SMP2020 test sets, ChnSentiCorp hotels, the fixed 20 % of cs_labels) is
removed from every training set by its normalised text, so no model sees any text it is scored on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aftersales.nlp import datasets as ds
from aftersales.nlp import evaluate as ev
from aftersales.nlp.combine import positivity
from aftersales.nlp.mappings import EMOTION_TO_SMP
from aftersales.nlp.models.features import HashingFeaturizer
from aftersales.nlp.models.linear import HashedLinearClassifier
from aftersales.vocab import Emotion, Reason, Stage

__all__ = [
    "ENGLISH_TASKS",
    "MODEL_VERSION",
    "TARGETS",
    "TEST_SPLITS",
    "default_jobs",
    "emotion_training_frame",
    "evaluate_models",
    "held_out_keys",
    "held_out_split",
    "load_splits",
    "run_parallel",
    "train_all",
]

MODEL_VERSION = "2026.11.17"  # year.month(.n) the shipped models were trained; bump on every retrain
SPLIT_SEED = ds.CS_SPLIT_SEED  # the same seed everywhere: a cs_labels test text is in its corpus's test split too
TEST_SIZE = 0.2
CS_WEIGHT = 5.0  # in-domain customer-service labels count more than public Weibo posts

TARGETS: dict[str, float] = {
    "polarity.online_shopping.accuracy": 0.94,
    "polarity.chnsenticorp_htl.accuracy": 0.88,
    "emotion.smp2020_usual_test.macro_f1": 0.65,
    "reasons.cs_labels_test.micro_f1": 0.80,
    "emotion.cs_labels_test.macro_f1": 0.65,
    "stage.cs_labels_test.macro_f1": 0.65,
}

HYPER: dict[str, dict[str, Any]] = {
    "polarity": {"bits": 20, "n_max": 4, "C": 10.0, "nb_C": 10.0, "prune": 1e-3},
    # Weights under 1e-2 are dropped from emotion, stage and the emotion head, under 3e-3 from reasons: the artefacts
    # grow with the labels (v2026.11.11: 19.2 MiB with round 8's, pruned at 5e-3; v2026.11.13: 20.3 MB with rounds 9
    # and 10's), and pruned so after the fact the whole Analyzer read every held-out set as before (to the third
    # digit; reasons micro-F1 +0.0004) in 1.4 MB less. Polarity shrinks little.
    # the general emotion model drops weights under 1.5e-2 since v2026.11.16 (was 1e-2), making room for the English
    # models: pruned so after the fact, the whole Analyzer read the cs test split the same and SMP2020 +0.0002
    "emotion": {"bits": 19, "n_max": 3, "C": 4.0, "max_iter": 200, "prune": 1.5e-2},
    "stage": {"bits": 18, "n_max": 3, "C": 10.0, "class_weight": "balanced", "max_iter": 300, "prune": 1e-2},
    # Reasons read n-gram presence scaled by idf (v2026.11.9): 5-fold out of fold on the training split, model alone,
    # micro-F1 0.710 → 0.732 (`python benchmarks/nlp_sweep.py reasons`, docs/models.md, v2026.11.9). Each label's LR
    # is averaged with an NB-LR since v2026.11.15: 0.7653 → 0.7699 on the 25,270 (nb_C 3 / 10 / 30: 0.7684 / 0.7699 /
    # 0.7698), in a model of the same size.
    "reasons": {"bits": 18, "n_max": 3, "weighting": "binary", "idf": True, "C": 10.0, "nb_C": 10.0, "prune": 3e-3},
    # The customer-service emotion head: the same n-grams, customer-service labels only, every emotion weighed alike
    # (relief and anxiety are rare there but are what the cs emotion target averages over). The combiner blends it
    # with the general emotion model by a fitted weight (`CombinerParams.emotion_cs_weight`), which also sets its
    # scale, so it has no temperature of its own (one fit instead of six: the out-of-fold phase fits it five times).
    # It reads n-gram presence since v2026.11.10: the whole Analyzer's out-of-fold emotion macro-F1 0.595 → 0.614.
    "emotion_cs": {
        "bits": 19,
        "n_max": 3,
        "weighting": "binary",
        "C": 4.0,
        "class_weight": "balanced",
        "max_iter": 300,
        # 1.5e-2 since v2026.11.15 (the reasons teacher had brought the artefacts to 19.93 MB of 20): pruned so after
        # the fact, the whole Analyzer read every held-out set the same to the fourth digit (intensity −0.0006)
        "prune": 1.5e-2,
        "calibrate": False,
    },
    # English (GoEmotions, mapped; docs/models.md, v2026.11.16): read only for texts detected as English (the Chinese
    # models are not trusted there), at `CombinerParams.english_model_trust`. Small tables (2^16 buckets, pruned
    # hard): 0.67 MB for the two. Model alone on the GoEmotions test split: emotion macro-F1 0.498, binary polarity
    # 0.848 (three classes, neutral read half way); the English lexicons alone: 0.386 and 0.729 (whole Analyzer).
    "polarity_en": {"bits": 16, "n_max": 4, "C": 4.0, "max_iter": 300, "prune": 0.06},
    "emotion_en": {"bits": 16, "n_max": 5, "C": 2.0, "class_weight": "balanced", "max_iter": 300, "prune": 0.1},
}
# the English models and the training frame each learns from (`load_splits`)
ENGLISH_TASKS: dict[str, str] = {"polarity_en": "goemotions_polarity_train", "emotion_en": "goemotions_emotion_train"}


# every held-out set `load_splits` returns (its texts are removed from every training set)
TEST_SPLITS = (
    "online_shopping_test",
    "waimai_test",
    "chnsenticorp_htl",
    "smp2020_usual_test",
    "smp2020_virus_test",
    "clue_emotion2020_test",
    "cs_test",
    "goemotions_test",
)


def _split(corpus: Callable[[], pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A review corpus's fixed train/test split (the same seed as our labels' split)."""
    return ds.dedup_split(corpus(), TEST_SIZE, SPLIT_SEED)


# each held-out split read on its own: the public test sets, and the test parts of the corpora we also train on
_HELD_OUT: dict[str, Callable[[], pd.DataFrame]] = {
    "online_shopping_test": lambda: _split(ds.online_shopping_10_cats)[1],
    "waimai_test": lambda: _split(ds.waimai_10k)[1],
    "chnsenticorp_htl": lambda: ds.dedup(ds.chnsenticorp_htl_all()),
    "smp2020_usual_test": lambda: ds.dedup(ds.smp2020_ewect("usual", "test")),
    "smp2020_virus_test": lambda: ds.dedup(ds.smp2020_ewect("virus", "test")),
    "clue_emotion2020_test": lambda: ds.dedup(ds.clue_emotion2020("test")),
    "cs_test": lambda: ds.cs_labels_split()[1],
    "goemotions_test": lambda: ds.dedup(ds.goemotions("test")),
}
# the held-out splits with no training part (the others are cut from corpora we also learn from)
_TEST_ONLY = tuple(n for n in TEST_SPLITS if n not in ("online_shopping_test", "waimai_test", "cs_test"))


def held_out_split(name: str) -> pd.DataFrame:
    """One held-out split of `TEST_SPLITS`, as `load_splits` gives it, without reading every other corpus.

    Why: `aftersales eval --dataset NAME` scores one split; `load_splits` keys all 262,000 texts of every corpus.
    """
    if name not in _HELD_OUT:
        raise KeyError(f"{name!r} is not a held-out split: expected one of {', '.join(TEST_SPLITS)}")
    return _HELD_OUT[name]()


def load_splits() -> dict[str, pd.DataFrame]:
    """Every train/test frame the models use, de-duplicated, with all test texts removed from all training sets."""
    shop_tr, shop_te = _split(ds.online_shopping_10_cats)
    wm_tr, wm_te = _split(ds.waimai_10k)
    cs_tr, cs_te = ds.cs_labels_split()
    tests = {"online_shopping_test": shop_te, "waimai_test": wm_te, "cs_test": cs_te}
    tests |= {name: held_out_split(name) for name in _TEST_ONLY}
    tests = {name: tests[name] for name in TEST_SPLITS}  # in TEST_SPLITS order, as before
    held_out = held_out_keys(tests)
    emo = pd.concat(
        [
            ds.smp2020_ewect("usual", "train"),
            ds.smp2020_ewect("virus", "train"),
            ds.covid19_weibo_emotion7(),
            cs_tr[["text", "emotion", "source"]],
        ],
        ignore_index=True,
    )
    teacher = ds.dedup(ds.teacher_labels())
    go_tr = ds.drop_keys(ds.dedup(ds.goemotions("train")), held_out)
    return {
        "polarity_train": ds.drop_keys(pd.concat([shop_tr, wm_tr], ignore_index=True), held_out),
        "emotion_train": ds.drop_keys(ds.dedup(emo), held_out),
        "cs_train": ds.drop_keys(cs_tr, held_out),
        # English: GoEmotions train, the rows its mapping gives an emotion (or a polarity) to
        "goemotions_emotion_train": go_tr[go_tr["emotion"].notna()].reset_index(drop=True),
        "goemotions_polarity_train": english_polarity(go_tr),
        # the e5 teachers' emotion, stage and reasons of unlabelled training-split reviews (never a test or labelled)
        "cs_teacher": ds.drop_keys(teacher, held_out | set(cs_tr["key"])),
        **tests,
    }


def english_polarity(frame: pd.DataFrame) -> pd.DataFrame:
    """The English polarity model's rows: GoEmotions rows with a polarity, and those labelled neutral alone as neutral.

    Why three classes: a binary model pushes every plain request ("how do I reset my password?") to one side; with
    neutral learned, the Analyzer reads P(positive) + ½·P(neutral) as the English model's positivity.
    """
    neutral = frame["polarity"].isna() & (frame["emotion"] == "neutral")
    labelled = frame.assign(polarity=frame["polarity"].where(~neutral, "neutral"))
    return labelled[labelled["polarity"].notna()].reset_index(drop=True)


def held_out_keys(splits: dict[str, pd.DataFrame]) -> set[str]:
    """The key of every test text of every task: what no training set, and no teacher's pool, may hold."""
    return set().union(*(set(splits[name]["key"]) for name in TEST_SPLITS))


# Tasks that learn from the teachers' readings besides our labels: +0.7 points of emotion-head macro-F1 and +1.0 of
# stage on the cs_labels test split, model alone (docs/models.md, v2026.11.14); reasons since v2026.11.15, from a
# second teacher whose reasons loss is summed over the labels (stop 21's averaged one read reasons at 0.51).
TEACHER_TASKS: tuple[str, ...] = ("emotion_cs", "stage", "reasons")
# a task's teacher rows whose whole reading the teacher gave less than this are left out (`<column>_p` in the files):
# reasons out of fold, model alone, 0.7783 with all 25,638 rows and 0.7797 with the 20,339 at ≥ 0.5 (v2026.11.15)
TEACHER_MIN_P: dict[str, float] = {"reasons": 0.5}
# tasks that learn the teacher's probabilities themselves (soft targets, `<column>_proba` in the files) where a file
# gives them, instead of its 0/1 reading at 0.5. None: for reasons, out of fold, model alone, the same teacher's
# readings scored 0.7797 as 0/1, 0.7471 as probabilities, 0.7738 with those under 0.1 / over 0.9 rounded to 0 / 1 and
# 0.7799 (a tie) with 0.25 / 0.75 (docs/models.md, stop 24); `benchmarks/nlp_sweep.py --soft` tries them.
TEACHER_SOFT: tuple[str, ...] = ()


def with_teacher(
    task: str, frame: pd.DataFrame, splits: dict[str, pd.DataFrame], labelled: set[str] | None = None
) -> pd.DataFrame:
    """`frame` plus the teacher's rows for the tasks that learn from them (out-of-fold fits add them too).

    A text people labelled (`labelled`: keys of every customer-service row, agents' corrections included, held-out
    fold or not) keeps only the people's label: the teacher's reading of it is left out.
    """
    teacher = splits.get("cs_teacher")
    if task not in TEACHER_TASKS or teacher is None or teacher.empty:
        return frame
    if labelled:
        teacher = teacher[~teacher["key"].isin(labelled)]
    column = _TASK_LABELS[task][2]
    if column not in teacher:
        return frame
    # only the rows where a teacher file gave this task's label (a file may give some tasks only)
    given = np.asarray([isinstance(v, list) for v in teacher[column]] if task == "reasons" else teacher[column].notna())
    if task in TEACHER_MIN_P and f"{column}_p" in teacher:
        given &= teacher[f"{column}_p"].fillna(0.0).to_numpy() >= TEACHER_MIN_P[task]
    rows = teacher.loc[given, ["text", column, "source", "key"]]
    soft = f"{column}_proba"
    if task in TEACHER_SOFT and soft in teacher:  # the probabilities where the line has them, else the 0/1 reading
        probs = teacher.loc[given, soft]
        soft_or_hard = [p if isinstance(p, dict) else r for p, r in zip(probs, rows[column], strict=True)]
        rows = rows.assign(**{column: soft_or_hard})
    return pd.concat([frame, rows], ignore_index=True)


def _weights(frame: pd.DataFrame) -> np.ndarray:
    return np.where(frame["source"].to_numpy() == "cs_labels", CS_WEIGHT, 1.0)


# task → (labels, multi-label?, label column of the training frame)
_TASK_LABELS: dict[str, tuple[Sequence[str], bool, str]] = {
    "polarity": (["negative", "positive"], False, "polarity"),
    "emotion": (Emotion.codes(), False, "emotion"),
    "emotion_cs": (Emotion.codes(), False, "emotion"),
    "stage": (Stage.codes(), False, "stage"),
    "reasons": (Reason.codes(), True, "reasons"),
    "polarity_en": (["negative", "neutral", "positive"], False, "polarity"),
    "emotion_en": (Emotion.codes(), False, "emotion"),
}


def fit_task(task: str, frame: pd.DataFrame, hyper: dict[str, Any] | None = None) -> HashedLinearClassifier:
    """Fit one task's model on a frame with `text` and the task's label column (also used for out-of-fold fits).

    ``hyper`` defaults to ``HYPER[task]``; callers that fit in worker processes pass it, so a worker fits with the
    caller's settings rather than its own fresh import's.
    """
    labels, multilabel, column = _TASK_LABELS[task]
    hp = HYPER[task] if hyper is None else hyper
    feat = HashingFeaturizer(bits=hp["bits"], n_min=1, n_max=hp["n_max"], weighting=hp.get("weighting", "sqrt"))
    model = HashedLinearClassifier(task, labels, multilabel=multilabel, featurizer=feat, version=MODEL_VERSION)
    y = [r if isinstance(r, dict) else list(r) for r in frame[column]] if multilabel else list(frame[column])
    weights = _weights(frame) if task == "emotion" else None  # in-domain labels outweigh public Weibo posts
    options = {k: v for k, v in hp.items() if k not in ("bits", "n_max", "weighting")}
    return model.fit(list(frame["text"]), y, weights, **options)


def emotion_training_frame(splits: dict[str, pd.DataFrame], feedback: pd.DataFrame | None = None) -> pd.DataFrame:
    """The emotion model's training rows, in order (feedback rows appended): its calibration split is drawn on them."""
    emo = splits["emotion_train"]
    if feedback is not None:
        columns = [c for c in ("text", "emotion", "source", "key") if c in feedback]  # key: out-of-fold exclusion
        emo = pd.concat([emo, feedback[columns]], ignore_index=True)
    return emo


def default_jobs() -> int:
    """Worker processes for training: one per CPU, at most four (a worker fitting a large model peaks near 1.7 GB)."""
    return max(1, min(4, os.cpu_count() or 1))


def run_parallel(fn: Callable[..., Any], calls: Sequence[tuple[Any, ...]], jobs: int = 1) -> list[Any]:
    """`fn(*args)` for every args tuple, in order; in `jobs` worker processes when more than one.

    Every fit runs on one thread (liblinear; lbfgs with one BLAS thread, in turn or in a worker), so independent fits
    side by side use the cores a sequential run leaves idle, and any `jobs` gives the same models: lbfgs often stops
    at its iteration cap, where the BLAS thread count changes the weights it reaches. Workers are spawned interpreters,
    so `fn` and its arguments must be picklable and `fn` importable; a fit that raises raises here.
    """
    if jobs <= 1 or len(calls) <= 1:
        import sklearn.linear_model  # noqa: F401  loads every BLAS a fit uses (scipy's too), so the limit reaches it
        from threadpoolctl import threadpool_limits  # a scikit-learn dependency, as training is

        with threadpool_limits(1):  # as in a worker: lbfgs stops at its iteration cap on a thread-dependent path
            return [fn(*args) for args in calls]
    context = multiprocessing.get_context("spawn")
    with _one_thread_children(), ProcessPoolExecutor(min(jobs, len(calls)), mp_context=context) as pool:
        return list(pool.map(fn, *zip(*calls, strict=True)))


# Read once, when a worker loads its BLAS / OpenMP runtime: a limit set after that (threadpoolctl in an initializer
# runs before numpy is imported, so it finds nothing to limit) comes too late. Two workers with two BLAS threads each
# on two cores made the out-of-fold phase twice as slow.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")


@contextlib.contextmanager
def _one_thread_children() -> Iterator[None]:
    """Workers started inside inherit one-thread settings for BLAS and OpenMP; this process's own are restored."""
    saved = {name: os.environ.get(name) for name in _THREAD_VARS}
    os.environ.update(dict.fromkeys(_THREAD_VARS, "1"))
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def train_models(
    splits: dict[str, pd.DataFrame], feedback: pd.DataFrame | None = None, jobs: int = 1
) -> dict[str, HashedLinearClassifier]:
    """Fit the five models (feedback rows join the customer-service training set at full weight; teacher rows too)."""
    cs = splits["cs_train"] if feedback is None else pd.concat([splits["cs_train"], feedback], ignore_index=True)
    emo = emotion_training_frame(splits, feedback)
    plan = {"polarity": splits["polarity_train"], "emotion": emo, "emotion_cs": cs, "stage": cs, "reasons": cs}
    plan = {task: with_teacher(task, frame, splits, set(cs["key"])) for task, frame in plan.items()}
    plan |= {task: splits[name] for task, name in ENGLISH_TASKS.items() if name in splits and len(splits[name])}
    fitted = run_parallel(fit_task, [(task, frame, HYPER[task]) for task, frame in plan.items()], jobs)
    return dict(zip(plan, fitted, strict=True))


def _single(model: HashedLinearClassifier, frame: pd.DataFrame, column: str) -> dict[str, Any]:
    proba = model.predict_proba(list(frame["text"]))
    pred = [model.labels[i] for i in proba.argmax(axis=1)]
    truth = [str(x) for x in frame[column]]
    present = sorted(set(truth))
    return ev.classification_report(truth, pred, proba.max(axis=1), labels=present)


def _english_polarity(model: HashedLinearClassifier, frame: pd.DataFrame) -> dict[str, Any]:
    """Binary accuracy of the three-class English model as the Analyzer reads it: P(positive) + ½·P(neutral) ≥ ½.

    The GoEmotions test gold has no neutral class (rows without a mapped polarity are left out).
    """
    frame = frame[frame["polarity"].notna()]
    positive = positivity(model.predict_proba(list(frame["text"])), model.labels)
    pred = ["positive" if p >= 0.5 else "negative" for p in positive]
    return ev.classification_report([str(x) for x in frame["polarity"]], pred, labels=["negative", "positive"])


def _smp(model: HashedLinearClassifier, frame: pd.DataFrame) -> dict[str, Any]:
    """SMP2020 scored two ways: collapsing our 8 codes onto SMP's labels, and strictly in our codes."""
    proba = model.predict_proba(list(frame["text"]))
    ours = [model.labels[i] for i in proba.argmax(axis=1)]
    truth_smp = [str(x) for x in frame["label_raw"]]
    smp_labels = sorted(set(truth_smp))
    collapsed = ev.classification_report(truth_smp, [EMOTION_TO_SMP[p] for p in ours], proba.max(axis=1), smp_labels)
    strict = ev.classification_report([str(x) for x in frame["emotion"]], ours, labels=sorted(set(frame["emotion"])))
    return {**collapsed, "strict": {k: strict[k] for k in ("accuracy", "macro_f1", "per_label")}}


def _reasons(model: HashedLinearClassifier, frame: pd.DataFrame) -> dict[str, Any]:
    preds = model.predict(list(frame["text"]))
    return ev.multilabel_report([list(r) for r in frame["reasons"]], [list(p.labels) for p in preds], Reason.codes())


def evaluate_models(models: dict[str, HashedLinearClassifier], splits: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Every held-out metric of every model, plus the targets and whether each is met."""
    pol, emo = models["polarity"], models["emotion"]
    results: dict[str, Any] = {
        "polarity": {
            "online_shopping": _single(pol, splits["online_shopping_test"], "polarity"),
            "waimai": _single(pol, splits["waimai_test"], "polarity"),
            "chnsenticorp_htl": _single(pol, splits["chnsenticorp_htl"], "polarity"),
        },
        "emotion": {
            "smp2020_usual_test": _smp(emo, splits["smp2020_usual_test"]),
            "smp2020_virus_test": _smp(emo, splits["smp2020_virus_test"]),
            "clue_emotion2020_test": _single(emo, splits["clue_emotion2020_test"], "emotion"),
            "cs_labels_test": _single(emo, splits["cs_test"], "emotion"),
        },
        "emotion_cs": {"cs_labels_test": _single(models["emotion_cs"], splits["cs_test"], "emotion")},
        "stage": {"cs_labels_test": _single(models["stage"], splits["cs_test"], "stage")},
        "reasons": {"cs_labels_test": _reasons(models["reasons"], splits["cs_test"])},
    }
    english = splits.get("goemotions_test")
    if english is not None and "emotion_en" in models:
        mapped = english[english["emotion"].notna()]
        results["emotion_en"] = {"goemotions_test": _single(models["emotion_en"], mapped, "emotion")}
    if english is not None and "polarity_en" in models:
        results["polarity_en"] = {"goemotions_test": _english_polarity(models["polarity_en"], english)}
    targets: dict[str, Any] = {}
    for name, target in TARGETS.items():
        task, split, metric = name.split(".")
        value = float(results[task][split][metric])
        targets[name] = {"target": target, "measured": round(value, 4), "met": value >= target}
    results["targets"] = targets
    results["sizes"] = {name: {"n_train": m.metadata.get("n_train")} for name, m in models.items()}
    results["split_sizes"] = {name: len(frame) for name, frame in splits.items()}
    return results


def train_all(out_dir: str | Path, with_feedback: list[dict[str, Any]] | None = None, jobs: int = 1) -> dict[str, Any]:
    """Train, evaluate and save the five models to ``out_dir`` (+ metrics.json); returns the metrics.

    ``with_feedback``: agent corrections as dicts with ``text``, ``emotion``, ``stage`` and ``reasons`` (all required),
    appended to the customer-service training data. ``jobs``: worker processes for the fits (`run_parallel`).
    """
    out = Path(out_dir)
    t0 = time.perf_counter()
    splits = load_splits()
    feedback = None
    if with_feedback:
        feedback = pd.DataFrame(with_feedback).assign(source="feedback")
        missing = {"text", "emotion", "stage", "reasons"} - set(feedback.columns)
        if missing:
            raise ValueError(f"feedback rows lack {sorted(missing)}")
        feedback = ds.drop_keys(feedback, set(splits["cs_test"]["key"]))
    models = train_models(splits, feedback, jobs)
    t1 = time.perf_counter()
    metrics = evaluate_models(models, splits)
    for task, model in models.items():
        path = model.save(out / f"{task}.npz")
        metrics["sizes"][task]["bytes"] = path.stat().st_size
    metrics["timing_s"] = {"train": round(t1 - t0, 1), "evaluate": round(time.perf_counter() - t1, 1)}
    metrics["version"] = MODEL_VERSION
    (out / "metrics.json").write_text(json.dumps(metrics, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    return metrics


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point: train everything into --out and print the targets table."""
    parser = argparse.ArgumentParser(prog="python -m aftersales.nlp.train", description=__doc__)
    parser.add_argument("--out", required=True, help="directory for the .npz artefacts and metrics.json")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="worker processes for the fits")
    args = parser.parse_args(argv)
    metrics = train_all(args.out, jobs=args.jobs)
    print(json.dumps({"targets": metrics["targets"], "sizes": metrics["sizes"]}, indent=1))


if __name__ == "__main__":
    main()
