"""Loaders for the public corpora in ../shared/data and our own labels, plus leak-free de-duplicated splits.

Every loader returns a DataFrame with ``text``, its task label column(s) (codes of DESIGN.md §3), ``source`` and
``row`` (the 0-based row of the file as pandas reads it, so labels can point back at texts without copying them).
Public corpora are full of duplicates; `dedup_split` de-duplicates on normalised text *before* splitting, and
`assert_no_overlap` checks that no test text reaches training.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from aftersales.errors import AftersalesError
from aftersales.nlp import mappings
from aftersales.nlp.normalise import normalised_text
from aftersales.vocab import Emotion, Reason, Stage

__all__ = [
    "CS_TEST_SIZE",
    "DATASETS",
    "DataUnavailableError",
    "LabelJoinError",
    "adjudications",
    "assert_no_overlap",
    "cs_labels",
    "cs_labels_split",
    "dedup",
    "dedup_split",
    "key_of",
    "label_of",
    "labels_dir",
    "load",
    "shared_data_dir",
    "split_fraction",
    "teacher_labels",
    "text_sha16",
]

REPO_ROOT = Path(__file__).resolve().parents[3]
CS_TEST_SIZE = 0.2
CS_SPLIT_SEED = "cs-labels-v1"  # fixed forever: the cs_labels test set must never move into training


class DataUnavailableError(AftersalesError):
    """The shared data directory (or one corpus in it) is missing."""

    code = "E300_data_unavailable"


class LabelJoinError(AftersalesError):
    """A label reference points at a row whose text no longer matches its sha1."""

    code = "E301_label_join"


def shared_data_dir() -> Path:
    """Where the public corpora live: $AFTERSALES_SHARED_DATA, else ../shared/data next to the repo (or the cwd)."""
    env = os.environ.get("AFTERSALES_SHARED_DATA")
    candidates = [Path(env)] if env else [REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    for path in candidates:
        if path.is_dir():
            return path
    raise DataUnavailableError(
        f"shared data not found (looked in {', '.join(map(str, candidates))}); set AFTERSALES_SHARED_DATA"
    )


def labels_dir() -> Path:
    """Our committed label references (data/labels/*.jsonl)."""
    return REPO_ROOT / "data" / "labels"


def _file(*parts: str) -> Path:
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        raise DataUnavailableError(f"{path} not found; see the corpus's PROVENANCE.md")
    return path


def _clean(texts: pd.Series) -> pd.Series:
    """Strip stray BOMs (20 online_shopping reviews start with one) and surrounding whitespace."""
    return texts.fillna("").astype(str).str.replace("\ufeff", "", regex=False).str.strip()


def _finish(df: pd.DataFrame, source: str) -> pd.DataFrame:
    df = df.assign(text=_clean(df["text"]), source=source)
    return df[df["text"] != ""].reset_index(drop=True)


@cache
def _read_csv(*parts: str) -> pd.DataFrame:
    return pd.read_csv(_file(*parts), encoding="utf-8-sig" if parts[0] == "covid19_weibo_emotion7" else "utf-8")


def _read_jsonl(*parts: str) -> pd.DataFrame:
    with gzip.open(_file(*parts), "rt", encoding="utf-8") as fh:
        return pd.DataFrame([json.loads(line) for line in fh if line.strip()])


def _polarity_frame(raw: pd.DataFrame, source: str) -> pd.DataFrame:
    df = pd.DataFrame({"text": raw["review"], "polarity": raw["label"].map(mappings.BINARY_POLARITY), "row": raw.index})
    return _finish(df, source)


def online_shopping_10_cats(exclude_hotel: bool = True) -> pd.DataFrame:
    """Product reviews with binary polarity; hotels (酒店) are excluded by default: not e-commerce."""
    raw = _read_csv("online_shopping_10_cats", "online_shopping_10_cats.csv.gz")
    df = _polarity_frame(raw, "online_shopping_10_cats")
    df["category"] = raw["cat"].to_numpy()[df["row"].to_numpy()]
    return df[df["category"] != "酒店"].reset_index(drop=True) if exclude_hotel else df


def waimai_10k() -> pd.DataFrame:
    """Food-delivery reviews with binary polarity (complaints about delay, missing items, taste)."""
    return _polarity_frame(_read_csv("waimai_10k", "waimai_10k.csv.gz"), "waimai_10k")


def chnsenticorp_htl_all() -> pd.DataFrame:
    """Ctrip hotel reviews with binary polarity: the out-of-domain polarity check."""
    return _polarity_frame(_read_csv("chnsenticorp_htl_all", "ChnSentiCorp_htl_all.csv.gz"), "chnsenticorp_htl_all")


def _emotion_frame(raw: pd.DataFrame, mapping: dict[str, str | None], source: str, keep_unmapped: bool) -> pd.DataFrame:
    labels = raw["label"].astype(str)
    df = pd.DataFrame(
        {"text": raw["content"], "label_raw": labels, "emotion": [mappings.map_label(mapping, x) for x in labels]}
    )
    df["row"] = raw.index
    if not keep_unmapped:
        df = df[df["emotion"].notna()]
    return _finish(df, source)


def smp2020_ewect(domain: str = "usual", split: str = "train", keep_unmapped: bool = False) -> pd.DataFrame:
    """SMP2020-EWECT Weibo emotion, official splits: domain usual|virus, split train|eval|test."""
    if domain not in ("usual", "virus") or split not in ("train", "eval", "test"):
        raise ValueError(f"unknown SMP2020 split {domain}/{split}")
    name = f"{domain}_train.jsonl.gz" if split == "train" else f"{domain}_{split}_labeled.jsonl.gz"
    raw = _read_jsonl("smp2020_ewect", name)
    return _emotion_frame(raw, mappings.SMP2020_EMOTION, f"smp2020_ewect/{domain}/{split}", keep_unmapped)


def clue_emotion2020(split: str = "test", keep_unmapped: bool = False) -> pd.DataFrame:
    """CLUE Emotion 2020 (valid|test only; the train split is not available)."""
    raw = _read_jsonl("clue_emotion2020", f"{split}.jsonl.gz")
    return _emotion_frame(raw, mappings.CLUE_EMOTION, f"clue_emotion2020/{split}", keep_unmapped)


def covid19_weibo_emotion7(keep_unmapped: bool = False) -> pd.DataFrame:
    """COVID-19 Weibo emotions (7 classes, including gratitude)."""
    raw = _read_csv("covid19_weibo_emotion7", "labeledData.csv.gz")
    raw = raw.assign(content=raw["review"], label=raw["label"].map(mappings.COVID19_NAMES))
    return _emotion_frame(raw, mappings.COVID19_EMOTION, "covid19_weibo_emotion7", keep_unmapped)


def goemotions(split: str = "train") -> pd.DataFrame:
    """GoEmotions (English Reddit): ``labels_raw`` (list), ``emotion`` (first mappable label) and binary polarity."""
    names = _file("goemotions", "labels.txt").read_text(encoding="utf-8").split()
    raw = pd.read_csv(_file("goemotions", f"{split}.tsv.gz"), sep="\t", header=None, names=["text", "ids", "cid"])
    labels = [[names[int(i)] for i in str(ids).split(",")] for ids in raw["ids"]]
    mapped = [next((m for x in ls if (m := mappings.GOEMOTIONS_EMOTION.get(x))), None) for ls in labels]

    def _polarity(ls: list[str]) -> str | None:
        pos, neg = (
            any(x in mappings.GOEMOTIONS_POSITIVE for x in ls),
            any(x in mappings.GOEMOTIONS_NEGATIVE for x in ls),
        )
        return "positive" if pos and not neg else "negative" if neg and not pos else None

    df = pd.DataFrame({"text": raw["text"], "labels_raw": labels, "emotion": mapped, "row": raw.index})
    df["polarity"] = [_polarity(ls) for ls in labels]
    return _finish(df, f"goemotions/{split}")


def bitext_customer_support() -> pd.DataFrame:
    """Bitext synthetic English customer-support utterances with ``intent`` and ``category`` (routing only)."""
    raw = pd.read_csv(_file("bitext_customer_support", "bitext_customer_support_20k.csv.gz"), encoding="utf-8-sig")
    df = pd.DataFrame(
        {"text": raw["utterance"], "intent": raw["intent"], "category": raw["category"], "row": raw.index}
    )
    return _finish(df, "bitext_customer_support")


def zhijiang2019_reasons() -> pd.DataFrame:
    """Zhijiang 2019 cosmetics reviews with weak reason labels from their negative aspect categories."""
    reviews = pd.read_csv(_file("zhijiang2019_ecommerce_opinion", "Train_reviews.csv.gz"))
    quads = pd.read_csv(_file("zhijiang2019_ecommerce_opinion", "Train_labels.csv.gz"))
    neg = quads[quads["Polarities"] == "负面"]
    reasons: dict[int, set[str]] = {}
    for rid, cat in zip(neg["id"], neg["Categories"], strict=True):
        code = mappings.map_label(mappings.ZHIJIANG_REASON, str(cat))
        reasons.setdefault(int(rid), set()).update([code] if code else [])
    df = pd.DataFrame({"text": reviews["Reviews"], "row": reviews.index})
    df["reasons"] = [sorted(reasons.get(int(i), set())) for i in reviews["id"]]
    df["negative"] = reviews["id"].isin(neg["id"]).to_numpy()
    return _finish(df, "zhijiang2019_ecommerce_opinion")


_RAW_TEXT: dict[str, Callable[[], pd.Series]] = {
    "online_shopping_10_cats": lambda: _read_csv("online_shopping_10_cats", "online_shopping_10_cats.csv.gz")["review"],
    "waimai_10k": lambda: _read_csv("waimai_10k", "waimai_10k.csv.gz")["review"],
    "chnsenticorp_htl_all": lambda: _read_csv("chnsenticorp_htl_all", "ChnSentiCorp_htl_all.csv.gz")["review"],
}


def text_sha16(text: str) -> str:
    """The label files' text check: first 16 hex digits of sha1 of the stripped text."""
    return hashlib.sha1(text.strip().encode("utf-8")).hexdigest()[:16]


# where a review's clauses end: sentence and clause punctuation, ASCII or full width, and line breaks
_CLAUSE_END = re.compile(r"[。！？!?；;，,~～…\n]+")


def clauses(text: str, min_chars: int = 4) -> list[str]:
    """A text's clauses (each with its closing punctuation), short ones joined to the next; [] for a single clause.

    Why: a teacher reading one clause of a review tells a bag-of-n-grams student which words carry which reason
    (docs/models.md, stop 26); label files name a clause by its index here, so this split must never change.
    """
    pieces: list[str] = []
    carry = ""
    start = 0
    for m in _CLAUSE_END.finditer(text):
        carry += text[start : m.end()]
        start = m.end()
        if len(_CLAUSE_END.sub("", carry).strip()) >= min_chars:
            pieces.append(carry.strip())
            carry = ""
    carry += text[start:]
    if len(_CLAUSE_END.sub("", carry).strip()) >= min_chars or (carry.strip() and not pieces):
        pieces.append(carry.strip())
    elif carry.strip():
        pieces[-1] += carry.rstrip()
    return pieces if len(pieces) > 1 else []


LABEL_FIELDS = ("polarity", "emotion", "intensity", "stage", "reasons")


def _jsonl_records(path: Path) -> list[dict[str, Any]]:
    """One label file's records, each with `label_file` (name:line); a line that is not JSON is named in the error."""
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                records.append({**json.loads(line), "label_file": f"{path.name}:{n}"})
            except json.JSONDecodeError as exc:
                raise LabelJoinError(f"{path}:{n}: not JSON ({exc})") from exc
    return records


def _join_texts(records: list[dict[str, Any]], what: str) -> None:
    """Give each label reference its text by (dataset, row); an unknown dataset or a sha1 that does not match fails."""
    bad: list[str] = []
    cut: dict[tuple[str, int], list[str]] = {}  # each review cut once, however many of its clauses have lines
    for rec in records:
        if rec.get("dataset") not in _RAW_TEXT:
            raise LabelJoinError(f"{rec['label_file']}: unknown dataset {rec.get('dataset')!r}")
        raw = _RAW_TEXT[rec["dataset"]]()
        text = str(raw.iloc[rec["row"]]) if 0 <= rec["row"] < len(raw) else ""
        if "clause" in rec:  # one clause of the text (teacher readings of the pool's clauses), as `clauses` cuts it
            where = (rec["dataset"], rec["row"])
            if where not in cut:
                cut[where] = clauses(text.replace("\ufeff", "").strip())
            pieces = cut[where]
            text = pieces[rec["clause"]] if 0 <= rec["clause"] < len(pieces) else ""
        if rec["sha1"] not in (text_sha16(text), text_sha16(text.replace("\ufeff", ""))):
            bad.append(rec["label_file"])
        rec["text"] = text
    if bad:
        raise LabelJoinError(f"{len(bad)} {what} do not match their text's sha1, e.g. {bad[:5]}")


def label_of(rec: dict[str, Any], fields: Sequence[str] = LABEL_FIELDS) -> tuple[Any, ...]:
    """A record's labels on `fields`, comparable across annotators (reasons as a sorted set)."""
    return tuple(sorted(set(rec[f])) if f == "reasons" else rec[f] for f in fields)


def adjudications() -> dict[tuple[str, int], dict[str, Any]]:
    """Adjudicated labels by (dataset, row): where a blind second annotation disagreed, the decision that stands."""
    found: dict[tuple[str, int], dict[str, Any]] = {}
    for path in sorted((labels_dir() / "adjudicated").glob("*.jsonl")):
        for rec in _jsonl_records(path):
            ident = (rec["dataset"], int(rec["row"]))
            if ident in found:
                raise LabelJoinError(
                    f"{rec['label_file']}: {ident} adjudicated twice (also {found[ident]['label_file']})"
                )
            found[ident] = rec
    return found


def cs_labels(paths: Iterable[Path] | None = None, adjudicated: bool = True) -> pd.DataFrame:
    """Our customer-service labels joined back to their texts by (dataset, row), verifying every sha1.

    With `adjudicated` (the default) a label that a blind second annotation disputed carries the adjudicator's
    decision (`data/labels/adjudicated/`); `label_file` still names the first label's line, and `adjudicated` says
    which rows changed.
    """
    files = sorted(paths) if paths is not None else sorted(labels_dir().glob("*.jsonl"))
    if not files:
        raise DataUnavailableError(f"no label files in {labels_dir()}")
    records = [rec for path in files for rec in _jsonl_records(path)]
    decided = adjudications() if adjudicated else {}
    for rec in records:
        decision = decided.get((rec["dataset"], int(rec["row"])))
        changed = decision is not None and label_of(decision) != label_of(rec)
        if decision is not None:
            if decision["sha1"] != rec["sha1"]:
                raise LabelJoinError(f"{decision['label_file']}: sha1 differs from {rec['label_file']}")
            rec.update({f: decision[f] for f in LABEL_FIELDS})
        rec["adjudicated"] = changed
    _join_texts(records, "label(s)")
    df = pd.DataFrame(records)
    df["reasons"] = df["reasons"].map(lambda rs: sorted(set(rs)))
    df["intensity"] = df["intensity"].astype(int)
    return _finish(df, "cs_labels")


TEACHER_FIELDS = ("emotion", "stage", "reasons")  # a teacher line gives one or more; reasons is a list of codes
_TEACHER_CODES = {"emotion": set(Emotion.codes()), "stage": set(Stage.codes()), "reasons": set(Reason.codes())}


def teacher_dir() -> Path:
    """Where machine labels of unlabelled reviews live (committed like ours: dataset, row, sha1, labels; no text)."""
    return REPO_ROOT / "data" / "teacher"


def teacher_labels(paths: Iterable[Path] | None = None) -> pd.DataFrame:
    """A fine-tuned e5 teacher's emotion, stage and reasons of unlabelled training-split reviews, joined to their texts.

    Why: the n-gram models learn from them besides our labels (docs/models.md, v2026.11.14 and v2026.11.15). A line
    may give some of the three; lines of several files on one text merge into one row (a field they disagree on
    fails), and a task's column is empty where no file gave it. A line with `clause` reads that clause of the text
    (`clauses`), not the whole text. Every sha1 is verified as for `cs_labels`; no files
    gives an empty frame, so training works without them.
    """
    files = sorted(paths) if paths is not None else sorted(teacher_dir().glob("*.jsonl"))
    records = [rec for path in files for rec in _jsonl_records(path)]
    if not records:
        return pd.DataFrame(columns=["text", *TEACHER_FIELDS, "source"])
    merged: dict[tuple[Any, Any, Any], dict[str, Any]] = {}  # (dataset, row, clause)
    for rec in records:
        _check_teacher_record(rec)
        into = merged.setdefault((rec.get("dataset"), rec.get("row"), rec.get("clause")), {})
        clash = [f for f in (*TEACHER_FIELDS, "reasons_proba") if f in rec and f in into and into[f] != rec[f]]
        if clash:  # two files read one text differently: which to learn is not ours to guess
            raise LabelJoinError(f"{into['label_file']} and {rec['label_file']} disagree on {', '.join(clash)}")
        into.update({k: v for k, v in rec.items() if k not in into})
    rows = list(merged.values())
    _join_texts(rows, "teacher label(s)")
    return _finish(pd.DataFrame(rows), "teacher")


def _check_teacher_record(rec: dict[str, Any]) -> None:
    """A teacher line gives at least one task's label, each a code of our vocabulary (reasons: a list of them)."""
    given = [f for f in TEACHER_FIELDS if f in rec]
    clause = rec.get("clause", 0)
    if not isinstance(clause, int) or isinstance(clause, bool) or clause < 0:
        raise LabelJoinError(f"{rec['label_file']}: clause must be a clause's index (0, 1, …), got {clause!r}")
    if not given:
        raise LabelJoinError(f"{rec['label_file']}: needs one of {', '.join(TEACHER_FIELDS)}")
    for field in given:
        value = rec[field]
        values = value if field == "reasons" and isinstance(value, list) else [value]
        if (field == "reasons") != isinstance(value, list) or not {str(v) for v in values} <= _TEACHER_CODES[field]:
            kind = "a list of reason codes" if field == "reasons" else f"one {field} code"
            raise LabelJoinError(f"{rec['label_file']}: {field} must be {kind}, got {value!r}")
    if "reasons_proba" in rec:  # the teacher's probability of each reason it gave any (soft targets)
        proba = rec["reasons_proba"]
        ok = isinstance(proba, dict) and set(proba) <= _TEACHER_CODES["reasons"] and "reasons" in rec
        ok = ok and all(isinstance(p, (int, float)) and 0.0 <= p <= 1.0 for p in proba.values())
        if not ok or sorted(c for c, p in proba.items() if p >= 0.5) != sorted(rec["reasons"]):
            raise LabelJoinError(
                f"{rec['label_file']}: reasons_proba must map reason codes to probabilities in [0, 1] that are"
                f" at 0.5 or more for exactly the line's reasons, got {proba!r} for {rec.get('reasons')!r}"
            )


def cs_labels_split(adjudicated: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fixed 80/20 train/test split of our labels (stable hash of the normalised text; never changes)."""
    return dedup_split(cs_labels(adjudicated=adjudicated), CS_TEST_SIZE, CS_SPLIT_SEED)


def key_of(text: str) -> str:
    """The de-duplication key: normalised (simplified, width-folded) text, lower-cased, without spaces."""
    return normalised_text(text).lower().replace(" ", "").replace("\n", "")


def dedup(df: pd.DataFrame, text_col: str = "text") -> pd.DataFrame:
    """Drop rows whose normalised text was seen before (first occurrence wins); adds a ``key`` column."""
    keyed = df.assign(key=[key_of(t) for t in df[text_col]]) if "key" not in df else df
    return keyed.drop_duplicates("key").reset_index(drop=True)


def split_fraction(keys: pd.Series, seed: str) -> np.ndarray:
    """A stable pseudo-random number in [0, 1) per key (sha1, never Python's salted hash())."""
    digests = [int.from_bytes(hashlib.sha1(f"{seed}\x00{k}".encode()).digest()[:8], "big") for k in keys]
    return np.asarray(digests, dtype=np.float64) / 2.0**64


def dedup_split(
    df: pd.DataFrame, test_size: float, seed: str | int = 0, text_col: str = "text"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """De-duplicate on normalised text, then split by a stable hash of that text: same input, same split, anywhere."""
    if not 0.0 < test_size < 1.0:
        raise ValueError("test_size must be in (0, 1)")
    unique = dedup(df, text_col)
    is_test = split_fraction(unique["key"], str(seed)) < test_size
    return unique[~is_test].reset_index(drop=True), unique[is_test].reset_index(drop=True)


def assert_no_overlap(train: pd.DataFrame, test: pd.DataFrame, text_col: str = "text") -> None:
    """Raise AssertionError when any test text (after normalisation) also occurs in training."""
    train_keys = set(train["key"]) if "key" in train else {key_of(t) for t in train[text_col]}
    test_keys = set(test["key"]) if "key" in test else {key_of(t) for t in test[text_col]}
    shared = train_keys & test_keys
    if shared:
        raise AssertionError(f"{len(shared)} test text(s) also occur in training")


def drop_keys(df: pd.DataFrame, keys: set[str], text_col: str = "text") -> pd.DataFrame:
    """Remove rows whose normalised text is in ``keys`` (keeps test texts of other tasks out of training)."""
    keyed = df.assign(key=[key_of(t) for t in df[text_col]]) if "key" not in df else df
    return keyed[~keyed["key"].isin(keys)].reset_index(drop=True)


DATASETS: dict[str, Callable[..., pd.DataFrame]] = {
    "online_shopping_10_cats": online_shopping_10_cats,
    "waimai_10k": waimai_10k,
    "chnsenticorp_htl_all": chnsenticorp_htl_all,
    "smp2020_ewect": smp2020_ewect,
    "clue_emotion2020": clue_emotion2020,
    "covid19_weibo_emotion7": covid19_weibo_emotion7,
    "goemotions": goemotions,
    "bitext_customer_support": bitext_customer_support,
    "zhijiang2019_ecommerce_opinion": zhijiang2019_reasons,
    "cs_labels": cs_labels,
}


def load(name: str, **kwargs: Any) -> pd.DataFrame:
    """Load a registered dataset by name (see DATASETS), passing loader options through."""
    if name not in DATASETS:
        raise KeyError(f"unknown dataset {name!r}; known: {sorted(DATASETS)}")
    return DATASETS[name](**kwargs)
