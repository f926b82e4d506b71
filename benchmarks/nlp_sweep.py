"""Model-alone 5-fold cross-validation of training variants on the customer-service training split (JSON out).

    python benchmarks/nlp_sweep.py reasons '{"C": 30}'          # one variant of HYPER["reasons"]; prints one JSON line
    python benchmarks/nlp_sweep.py emotion_cs '{}'              # the shipped recipe, for the baseline
    python benchmarks/nlp_sweep.py reasons '{}' --teacher FILE.jsonl --min-p 0   # another teacher file, another bar
    python benchmarks/nlp_sweep.py reasons '{}' --no-teacher                     # our labels alone
    python benchmarks/nlp_sweep.py reasons '{}' --soft           # the teacher's probabilities (reasons_proba), not 0/1

Each fold's training rows get the teacher's rows as the shipped fit does (`train.with_teacher`: the tasks of
`TEACHER_TASKS`, lines under `TEACHER_MIN_P` dropped, probabilities for the tasks of `TEACHER_SOFT` — or, with
`--soft`, for the swept task — where a file gives them).

Every variant of every run uses the same five folds (seed 7) of the cs_labels training split, so variants run side by
side (one process each, e.g. on a many-core machine) compare like with like. Scores: reasons micro-F1 without `other`,
single-label tasks macro-F1 and accuracy. The test split is never read.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aftersales.nlp import datasets as ds
from aftersales.nlp import evaluate as ev
from aftersales.nlp import train as tr
from aftersales.nlp.models.linear import HashedLinearClassifier

COLUMN = {"reasons": "reasons", "stage": "stage", "emotion_cs": "emotion"}


def cross_validate(
    task: str,
    variant: dict[str, Any],
    folds: int = 5,
    seed: int = 7,
    teacher: Path | None = None,
    min_p: float | None = None,
    no_teacher: bool = False,
    soft: bool = False,
) -> dict[str, Any]:
    """Out-of-fold predictions of `fit_task(task)` with HYPER[task] updated by `variant`, scored.

    Each fold learns the teacher's rows as the shipped fit does (`train.with_teacher`); `teacher` reads them from
    another file instead of data/teacher, `min_p` replaces the task's `TEACHER_MIN_P`, `no_teacher` leaves them out,
    `soft` learns the teacher's probabilities (`<column>_proba`) for `task` where a file gives them, not 0/1 readings.
    """
    started = time.perf_counter()
    splits = tr.load_splits()
    cs = splits["cs_train"].reset_index(drop=True)
    if teacher is not None:  # left out as `load_splits` leaves them out: every test text of every task, every label
        held_out = tr.held_out_keys(splits) | set(cs["key"])
        splits["cs_teacher"] = ds.drop_keys(ds.dedup(ds.teacher_labels([teacher])), held_out)
    tasks = () if no_teacher else tr.TEACHER_TASKS
    bars = tr.TEACHER_MIN_P | ({task: min_p} if min_p is not None else {})
    labelled = set(cs["key"])
    fold = np.arange(len(cs)) % folds
    np.random.default_rng(seed).shuffle(fold)
    gold: list[Any] = []
    pred: list[Any] = []
    added = 0
    soft_tasks = tuple({*tr.TEACHER_SOFT, task}) if soft else tr.TEACHER_SOFT
    hyper_all = tr.HYPER | {task: tr.HYPER[task] | variant}
    with _patched(TEACHER_TASKS=tasks, TEACHER_MIN_P=bars, TEACHER_SOFT=soft_tasks, HYPER=hyper_all):
        for k in range(folds):
            frame = tr.with_teacher(task, cs[fold != k], splits, labelled)
            added = len(frame) - int((fold != k).sum())
            truth, found = alone(task, tr.fit_task(task, frame), cs[fold == k])
            gold += truth
            pred += found
        hyper = dict(tr.HYPER[task])
    return {
        "task": task,
        "hyper": hyper,
        **scores(task, gold, pred),
        "n": len(cs),
        "teacher": "none" if no_teacher else str(teacher or "data/teacher"),
        "teacher_rows": added,  # in the last fold's fit
        "teacher_min_p": bars.get(task, 0.0),
        "teacher_soft": task in soft_tasks,
        "seconds": round(time.perf_counter() - started),
    }


def alone(task: str, model: HashedLinearClassifier, frame: pd.DataFrame) -> tuple[list[Any], list[Any]]:
    """Gold and predicted labels of one model alone on `frame`, read as the targets are (reasons without `other`)."""
    proba = model.predict_proba([str(t) for t in frame["text"]])
    if task == "reasons":  # `other` is neither scored nor predicted (calibrate.cs_targets)
        chosen = [[model.labels[i] for i in np.flatnonzero(row >= model.thresholds)] for row in proba]
        return [[r for r in rs if r != "other"] for rs in frame["reasons"]], [
            [r for r in rs if r != "other"] for rs in chosen
        ]
    return [str(t) for t in frame[COLUMN[task]]], [model.labels[i] for i in proba.argmax(axis=1)]


def scores(task: str, gold: list[Any], pred: list[Any]) -> dict[str, float]:
    """Reasons micro-F1; macro-F1 and accuracy of a single-label task."""
    if task == "reasons":
        return {"micro_f1": round(ev.micro_f1(gold, pred), 4)}
    return {
        "macro_f1": round(ev.macro_f1(gold, pred, sorted(set(gold))), 4),
        "accuracy": round(ev.accuracy(gold, pred), 4),
    }


@contextlib.contextmanager
def _patched(**attrs: Any) -> Iterator[None]:
    """`aftersales.nlp.train`'s module settings replaced for the duration (fit_task and with_teacher read them)."""
    saved = {name: getattr(tr, name) for name in attrs}
    for name, value in attrs.items():
        setattr(tr, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(tr, name, value)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("task", choices=sorted(COLUMN))
    parser.add_argument("variant", type=json.loads, help="JSON dict of HYPER overrides, e.g. '{\"C\": 30}'")
    parser.add_argument(
        "--teacher", type=Path, default=None, help="teacher JSONL to learn from instead of data/teacher"
    )
    parser.add_argument("--min-p", type=float, default=None, help="this task's teacher bar instead of TEACHER_MIN_P")
    parser.add_argument("--no-teacher", action="store_true", help="fit on our labels alone")
    parser.add_argument("--soft", action="store_true", help="the teacher's probabilities, not its 0/1 readings")
    args = parser.parse_args()
    result = cross_validate(
        args.task, args.variant, teacher=args.teacher, min_p=args.min_p, no_teacher=args.no_teacher, soft=args.soft
    )
    print(json.dumps(result), flush=True)
