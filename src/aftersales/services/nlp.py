"""Message-analysis use cases: analyse texts or records, evaluate on labelled files, train, record corrections."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from aftersales.config import Settings, get_settings
from aftersales.errors import InputFileError
from aftersales.nlp.analyzer import Analyzer
from aftersales.nlp.types import Analysis
from aftersales.storage import db
from aftersales.storage.tables import label_corrections

TASK_FIELDS = {"polarity": "polarity", "emotion": "emotion", "stage": "stage", "reason": "reasons"}
CORRECTABLE = ("polarity", "emotion", "intensity", "stage", "reasons", "primary_reason", "problem_type")


def analyzer_for(settings: Settings | None = None) -> Analyzer:
    """The configured analyzer: models from settings.model_dir when set, else the shipped ones."""
    settings = settings or get_settings()
    if settings.model_dir is not None:
        return _from_dir(str(settings.model_dir))
    return Analyzer.default()


_CACHE: dict[str, Analyzer] = {}


def _from_dir(path: str) -> Analyzer:
    if path not in _CACHE:
        folder = Path(path)
        if not (folder / "polarity.npz").exists():
            raise InputFileError(f"model_dir {folder}: no trained models there (run `aftersales train --out {folder}`)")
        _CACHE[path] = Analyzer.from_directory(folder)
    return _CACHE[path]


def read_records(path: Path, text_field: str) -> Iterator[dict[str, Any]]:
    """Records from JSONL (fields kept as typed), CSV/TSV (strings) or plain text (one message per line)."""
    if not path.exists():
        raise InputFileError(f"{path}: not found")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8-sig") as fh:
            for line_no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputFileError(f"{path}:{line_no}: invalid JSON ({exc.msg})") from None
                if not isinstance(obj, dict) or text_field not in obj:
                    raise InputFileError(f"{path}:{line_no}: expected an object with a {text_field!r} field")
                yield obj
    elif suffix in (".csv", ".tsv"):
        import csv

        from aftersales.ingest.readers import detect_encoding

        encoding = detect_encoding(path.read_bytes()[:262144])
        with path.open(encoding=encoding, newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            if reader.fieldnames is None or text_field not in reader.fieldnames:
                raise InputFileError(f"{path}: no {text_field!r} column; columns: {reader.fieldnames}")
            yield from reader
    else:
        with path.open(encoding="utf-8-sig") as fh:
            for line in fh:
                if line.strip():
                    yield {text_field: line.rstrip("\n")}


def merge_record(record: dict[str, Any], analysis: Analysis) -> dict[str, Any]:
    """Input fields passed through unchanged, then the Analysis fields; a clashing input field moves to input_<name>."""
    result = analysis.to_dict()
    out: dict[str, Any] = {}
    for key, value in record.items():
        out[f"input_{key}" if key in result else key] = value
    out.update(result)
    return out


def analyze_records(
    records: Iterable[dict[str, Any]],
    text_field: str = "text",
    settings: Settings | None = None,
    batch: int = 1024,
    channel: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Analyse a stream of records in batches, yielding merged output records in order.

    A record's `channel` field, else `channel`, names the channel it came in on.
    """
    analyzer = analyzer_for(settings)
    pending: list[dict[str, Any]] = []
    for record in records:
        pending.append(record)
        if len(pending) >= batch:
            yield from _flush(analyzer, pending, text_field, channel)
            pending = []
    if pending:
        yield from _flush(analyzer, pending, text_field, channel)


def _flush(
    analyzer: Analyzer, records: list[dict[str, Any]], text_field: str, channel: str | None
) -> Iterator[dict[str, Any]]:
    texts = [r.get(text_field) for r in records]
    channels = _channels(records, channel)
    for record, analysis in zip(records, analyzer.analyze_batch(texts, channels=channels), strict=True):  # type: ignore[arg-type]
        yield merge_record(record, analysis)


def _channels(records: list[dict[str, Any]], default: str | None = None) -> list[str | None]:
    """Each record's `channel` field (vocab.Channel code, e.g. social), else `default`: the analyzer may use it."""
    return [str(r["channel"]) if r.get("channel") not in (None, "") else default for r in records]


# Held-out splits of public posts (Weibo, Reddit): their records carry channel=social, as they would if ingested.
SOCIAL_SETS = ("smp2020_usual_test", "smp2020_virus_test", "clue_emotion2020_test", "goemotions_test")


def dataset_records(name: str) -> list[dict[str, Any]]:
    """Records of a held-out split of the public data (the splits `aftersales train` never trains on)."""
    from aftersales.nlp.train import TEST_SPLITS, held_out_split  # training's own list; imported only when asked

    if name not in TEST_SPLITS:
        raise InputFileError(f"--dataset {name!r}: expected one of {', '.join(TEST_SPLITS)}")

    try:
        frame = held_out_split(name)
    except FileNotFoundError as exc:
        raise InputFileError(f"--dataset {name}: {exc}") from None
    frame = frame.assign(reasons=frame["reasons"].map(list)) if "reasons" in frame else frame
    frame = frame.assign(channel="social") if name in SOCIAL_SETS else frame
    return frame.to_dict(orient="records")  # type: ignore[no-any-return]


def evaluate_file(
    path: Path | None,
    task: str,
    text_field: str = "text",
    label_field: str | None = None,
    settings: Settings | None = None,
    dataset: str | None = None,
    channel: str | None = None,
) -> dict[str, Any]:
    """Metrics of the analyzer against gold labels in a JSONL/CSV file or a held-out split (`aftersales eval`).

    A record's `channel` field, else `channel`, names the channel its text came in on.
    """
    from aftersales.nlp import evaluate as ev

    if task not in TASK_FIELDS:
        raise InputFileError(f"--task {task!r}: expected one of {sorted(TASK_FIELDS)}")
    field = label_field or TASK_FIELDS[task]
    if (path is None) == (dataset is None):
        raise InputFileError("give either FILE or --dataset NAME")
    records = dataset_records(dataset) if dataset else list(read_records(path, text_field))  # type: ignore[arg-type]
    without_gold = 0
    if dataset:  # a held-out split may label some tasks on part of its rows (GoEmotions: polarity where mapped)
        labelled = [r for r in records if r.get(field) is not None and r.get(field) == r.get(field)]  # not NaN
        without_gold, records = len(records) - len(labelled), labelled
    if not records:
        raise InputFileError(f"{path or dataset}: no records" + (f" with a {field!r} label" if dataset else ""))
    if any(field not in r or r[field] is None for r in records):
        raise InputFileError(f"{path or dataset}: every record needs a {field!r} field (gold label)")
    channels = _channels(records, channel)
    analyses = analyzer_for(settings).analyze_batch([str(r[text_field]) for r in records], channels=channels)
    report: dict[str, Any]
    if task == "reason":
        gold_sets = [_as_list(r[field]) for r in records]
        report = ev.multilabel_report(gold_sets, [list(a.reasons) for a in analyses])
    else:
        truth = [str(r[field]) for r in records]
        pred = [str(getattr(a, TASK_FIELDS[task])) for a in analyses]
        scores = [getattr(a, f"{task}_scores", {}) for a in analyses]
        conf = [max(s.values()) if s else 1.0 for s in scores]
        report = ev.classification_report(
            truth, pred, conf if task != "polarity" else None, sorted(set(truth) | set(pred))
        )
        if task == "polarity" and set(truth) <= {"positive", "negative"}:
            report["binary"] = _binary_polarity(truth, analyses)
    source = {"dataset": dataset, "without_gold": without_gold} if dataset else {"file": str(path)}
    return {"task": task, **source, "model_version": analyses[0].model_version, **report}


def _binary_polarity(truth: list[str], analyses: list[Any]) -> dict[str, Any]:
    """Gold without a neutral class (review corpora): decide by the sign of polarity_score (0 counts as positive)."""
    from aftersales.nlp import evaluate as ev

    pred = ev.binary_polarity(a.polarity_score for a in analyses)
    report = ev.classification_report(truth, pred, None, ["negative", "positive"])
    return {k: report[k] for k in ("accuracy", "macro_f1", "ci95", "per_label", "confusion")} | {
        "decision": "sign of polarity_score (neutral band ignored: the gold has no neutral class)"
    }


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    text = str(value or "").strip()
    if text.startswith("["):
        return [str(v) for v in json.loads(text)]
    return [p.strip() for p in text.replace(";", ",").split(",") if p.strip() and p.strip() != "none"]


def record_correction(
    task: str,
    new_value: Any,
    corrected_by: str,
    *,
    interaction_id: str | None = None,
    text: str | None = None,
    old_value: Any = None,
    settings: Settings | None = None,
) -> int:
    """Store a human correction of one label; `aftersales train --with-feedback` folds them into the next model."""
    if task not in CORRECTABLE:
        raise InputFileError(f"cannot correct {task!r}; correctable: {', '.join(CORRECTABLE)}")
    if interaction_id is None and text is None:
        raise InputFileError("a correction needs the interaction_id or the text it applies to")
    engine = db.get_engine(settings or get_settings())
    text_hash = hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:16] if text else None
    with engine.begin() as conn:
        res = conn.execute(
            insert(label_corrections).values(
                interaction_id=interaction_id,
                text_hash=text_hash,
                task=task,
                old_value=old_value,
                new_value=new_value,
                corrected_by=corrected_by,
                created_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )
        )
        return int(res.inserted_primary_key[0])  # type: ignore[index]


def feedback_rows(settings: Settings | None = None) -> list[dict[str, Any]]:
    """Corrections joined to their message texts, shaped for nlp.train (latest correction per task wins)."""
    from aftersales.storage.tables import interactions

    engine = db.get_engine(settings or get_settings())
    query = (
        select(
            label_corrections.c.interaction_id,
            label_corrections.c.task,
            label_corrections.c.new_value,
            interactions.c.text,
            interactions.c.channel,
        )
        .join(interactions, interactions.c.interaction_id == label_corrections.c.interaction_id)
        .order_by(label_corrections.c.id)
    )
    by_text: dict[str, dict[str, Any]] = {}
    with engine.connect() as conn:
        for row in conn.execute(query):
            by_text.setdefault(row.text, {"text": row.text, "channel": row.channel})[row.task] = row.new_value
    return list(by_text.values())


def train(
    out: Path, with_feedback: bool = False, settings: Settings | None = None, jobs: int | None = None
) -> dict[str, Any]:
    """Train every model and the combiner into `out`; with_feedback folds in the stored corrections.

    ``jobs``: worker processes for the model fits and the combiner search (default: one per CPU, at most four).
    """
    from aftersales.nlp.calibrate import train_analyzer
    from aftersales.nlp.train import default_jobs

    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:  # before any work: reading the corrections and creating `out` would be wasted
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    feedback: list[dict[str, Any]] | None = None
    if with_feedback:
        rows = feedback_rows(settings)
        if rows:
            # An agent corrects one label; the labels left alone are taken as the analyzer read them.
            current = analyzer_for(settings).analyze_batch(
                [r["text"] for r in rows], channels=[r.get("channel") for r in rows]
            )
            feedback = [
                {"emotion": a.emotion, "stage": a.stage, "reasons": list(a.reasons), **r}
                for r, a in zip(rows, current, strict=True)
            ]
    out.mkdir(parents=True, exist_ok=True)
    return train_analyzer(out, feedback, jobs)


def analyze_stored(
    settings: Settings | None = None, batch: int = 2000, progress: Callable[[int, int], None] | None = None
) -> dict[str, Any]:
    """Analyse every stored customer message that has no analysis from the current models yet; store the results."""
    from sqlalchemy import and_, or_

    from aftersales.storage.tables import analyses, interactions

    settings = settings or get_settings()
    analyzer = analyzer_for(settings)
    engine = db.get_engine(settings)
    started = time.perf_counter()
    pending = (
        select(interactions.c.interaction_id, interactions.c.text, interactions.c.channel)
        .outerjoin(
            analyses,
            and_(
                analyses.c.interaction_id == interactions.c.interaction_id, analyses.c.model_version == analyzer.version
            ),
        )
        .where(analyses.c.id.is_(None))
        .where(or_(interactions.c.author.is_(None), interactions.c.author == "customer"))
        .order_by(interactions.c.interaction_id)
    )
    with engine.connect() as conn:
        rows = conn.execute(pending).all()
    stored_fields = set(analyses.c.keys()) - {"id", "interaction_id", "created_at"}
    done = 0
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for start in range(0, len(rows), batch):
        part = rows[start : start + batch]
        results = analyzer.analyze_batch([r.text for r in part], channels=[r.channel for r in part])
        # The analyses table mirrors the Analysis fields: store every field it has a column for.
        records = [
            {
                "interaction_id": row.interaction_id,
                "created_at": now,
                **{k: v for k, v in a.to_dict().items() if k in stored_fields},
            }
            for row, a in zip(part, results, strict=True)
        ]
        with engine.begin() as conn:  # one committed batch at a time, like ingest
            conn.execute(insert(analyses), records)
        done += len(part)
        if progress is not None:
            progress(done, len(rows))
    return {"analysed": done, "model_version": analyzer.version, "seconds": round(time.perf_counter() - started, 2)}
