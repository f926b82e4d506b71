"""Pick texts from ../shared/data for the next labelling round, and check label files before they are committed.

    python scripts/labelling.py select --out /tmp/labelbatches     # writes batch files WITH text (never commit them)
    python scripts/labelling.py pick --out /tmp/labelbatches --round round7   # model-picked training-split batches
    python scripts/labelling.py check data/labels/round2_r1.jsonl --batch /tmp/labelbatches/round2_r1.jsonl
    python scripts/labelling.py agreement data/labels/agreement/round4_agreement.jsonl   # blind second labels vs first
    python scripts/labelling.py relabel --out /tmp/relabel [--split train]   # labelled texts for a blind second reading
    python scripts/labelling.py adjudication SECOND.jsonl --out /tmp/adjudicate   # the disputed rows, labels as A/B

Two kinds of batch (docs/labelling.md, "Round 2"):
- **random** batches: stratified by product category, 70 % negative — a sample of the natural distribution, so about
  20 % of them fall into the fixed cs_labels test split by the split's hash, exactly as in round 1;
- **enriched** batches: texts matching cue words of rare reasons, emotions and stages, chosen **only among texts whose
  hash puts them in the training split**, so the test set stays a random sample and never sees keyword-picked texts.

`pick` (round 7 on) draws from the training split only, so the test split stays fixed and a new round's gain is
measured on the same texts: batches the shipped models are least sure of (`u`: reasons; `m`: the rare emotions) and a
random sample of the training split (`t`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from aftersales.nlp import datasets as ds
from aftersales.nlp import evaluate as ev
from aftersales.vocab import Emotion, Reason, Stage

if TYPE_CHECKING:
    from aftersales.nlp.models.linear import HashedLinearClassifier

SKIP_CATEGORIES = {"酒店"}  # the hotels slice is the polarity model's out-of-domain test; never label it
NEGATIVE_SHARE = 0.7
RANDOM_SIZE = 300
AGREEMENT_SIZE = 120
SEEDS = {
    "round2": 20261125,
    "round3": 20261126,
    "round4": 20261127,
    "round5": 20261128,
    "round6": 20261129,
    "round7": 20261130,
    "round8": 20261201,
    "round9": 20261203,
    "round10": 20261204,
}
PICKED_SIZE = 250
# The emotions the cue pools could not supply (docs/labelling.md), with each one's share of an `m` batch.
RARE_EMOTIONS = {"relief": 0.4, "anxiety": 0.4, "gratitude": 0.2}

# Cue words for classes the first 2,000 labels hold few of (docs/labelling.md).
CUES: dict[str, str] = {
    "wrong_item": r"发错|错发|不是我要的|颜色不对|型号不对|发成|寄错",
    "missing_parts": r"少了|漏发|少发|缺少|没有赠品|没给发票|少一|缺页",
    "size_fit": r"尺码|偏大|偏小|码数|不合身|不合脚|太紧|太松",
    "damaged_in_transit": r"压坏|破损|碎了|漏了|洒了|撒了|包装破|摔坏",
    "counterfeit": r"假货|假的|不是正品|盗版|山寨|仿品",
    "hard_to_use": r"不会用|说明书|难用|操作复杂|装不上|不好安装|安装不了",
    "changed_mind": r"不想要|拍错|买错|不需要了|退掉",
    "not_as_described": r"色差|描述不符|与描述|图片不|不一样|虚假宣传",
    "service_attitude": r"客服.{0,6}(?:态度|不理|推|骂)|态度.{0,3}差",
    "gratitude": r"谢谢|感谢|辛苦了",
    "anxiety": r"什么时候|怎么还没|着急|急用|担心|到底",
    "relief": r"终于|总算|放心了|还好",
    "escalation": r"投诉|12315|消协|工商|曝光|举报|别买|差评",
    "anger": r"垃圾|骗子|坑爹|气死|恶心",
    "neutral": r"请问|问一下|咨询|有没有人知道|是不是|能不能",
    "formal_complaint": r"12315|消协|工商局|已经投诉|投诉了|举报了|打了.{0,4}电话",
}
# Round 4 enriches only the classes the cs_labels test still reads worst (docs/labelling.md "Round 4"): the rare
# customer-service emotions, neutral questions and the reasons with the lowest recall.
ROUND_CUES: dict[str, tuple[str, ...]] = {
    "round4": (
        "gratitude",
        "anxiety",
        "relief",
        "neutral",
        "formal_complaint",
        "not_as_described",
        "size_fit",
        "wrong_item",
        "changed_mind",
    ),
    # Round 5 enriches the reasons the out-of-fold predictions on the training split read worst (docs/labelling.md
    # "Round 5"): not_as_described, missing_parts, changed_mind, hard_to_use, wrong_item, service_attitude (per-label
    # F1 0.55–0.76), and the two customer-service emotions that stay rare.
    "round5": (
        "wrong_item",
        "missing_parts",
        "hard_to_use",
        "changed_mind",
        "not_as_described",
        "service_attitude",
        "gratitude",
        "anxiety",
    ),
    # Round 6 is mostly random (the cue pools are nearly spent; the reasons learning curve asks for more labels of the
    # natural mix) plus one enriched batch for what stays rarest in all 9,449: relief (43), formal complaints (39),
    # changed_mind (29), anxiety (132).
    "round6": ("relief", "formal_complaint", "changed_mind", "anxiety"),
}


def _sources() -> pd.DataFrame:
    """online_shopping (hotels excluded) and waimai rows with dataset, row, text, label, category, split fraction."""
    shop = pd.read_csv(ds.shared_data_dir() / "online_shopping_10_cats" / "online_shopping_10_cats.csv.gz")
    shop = shop.assign(dataset="online_shopping_10_cats", row=np.arange(len(shop)))
    shop = shop[~shop["cat"].isin(SKIP_CATEGORIES)]
    wm = pd.read_csv(ds.shared_data_dir() / "waimai_10k" / "waimai_10k.csv.gz")
    wm = wm.assign(dataset="waimai_10k", row=np.arange(len(wm)), cat="外卖")
    frame = pd.concat([shop, wm], ignore_index=True).rename(columns={"review": "text"})
    frame = frame[frame["text"].notna()].assign(text=lambda f: f["text"].astype(str))
    frame = frame[frame["text"].str.strip().str.len().between(4, 400)]
    keys = [ds.key_of(t) for t in frame["text"]]
    frame = frame.assign(key=keys, frac=ds.split_fraction(pd.Series(keys), ds.CS_SPLIT_SEED))
    return frame.drop_duplicates("key").reset_index(drop=True)


def _unlabelled() -> pd.DataFrame:
    """The source rows no round has labelled yet."""
    frame = _sources()
    done = _labelled()
    seen = set(zip(done["dataset"], done["row"], strict=True))
    return frame[[(d, r) not in seen for d, r in zip(frame["dataset"], frame["row"], strict=True)]]


def _draw(frame: pd.DataFrame, k: int, rng: np.random.Generator) -> pd.DataFrame:
    """Up to `k` rows of `frame` drawn without replacement (all of them where it holds fewer)."""
    return frame.iloc[rng.choice(len(frame), min(len(frame), k), replace=False)]


def _stratified(pool: pd.DataFrame, n: int, rng: np.random.Generator, categories: int | None = None) -> pd.DataFrame:
    """About `n` rows, per category 70 % negative; `rng` fixes the draw.

    Where a stratum runs short (rounds 9 and 10 left some categories without unlabelled negatives), the other
    categories make up that polarity's share, so a batch stays full while the pool holds enough texts.
    """
    shares = ((0, NEGATIVE_SHARE), (1, 1 - NEGATIVE_SHARE))
    per_cat = n // (categories or pool["cat"].nunique()) + 1
    picks = [
        _draw(group[group["label"] == label], round(per_cat * share), rng)
        for _, group in pool.groupby("cat")
        for label, share in shares
    ]
    chosen = pd.concat(picks)
    for label, share in shares:
        missing = round(n * share) - int((chosen["label"] == label).sum())
        spare = pool[(pool["label"] == label) & ~pool["key"].isin(chosen["key"])]
        if missing > 0 and len(spare):
            chosen = pd.concat([chosen, _draw(spare, missing, rng)])
    return chosen


def _labelled() -> pd.DataFrame:
    """Every (dataset, row) labelled so far."""
    recs = [json.loads(line) for p in sorted(ds.labels_dir().glob("*.jsonl")) for line in p.open() if line.strip()]
    return pd.DataFrame(recs)


def _record(row: pd.Series) -> dict[str, object]:
    return {"dataset": row["dataset"], "row": int(row["row"]), "sha1": ds.text_sha16(row["text"]), "text": row["text"]}


def select(
    out: Path, round_name: str = "round2", random_batches: int = 4, enriched_batches: int = 2, per_cue: int = 24
) -> dict[str, int]:
    """Write the random, enriched and (round 2) agreement batches; returns their sizes."""
    seed = SEEDS[round_name]
    rng = np.random.default_rng(seed)
    pool = _unlabelled()
    out.mkdir(parents=True, exist_ok=True)
    chosen = _stratified(pool, random_batches * RANDOM_SIZE, rng).sample(frac=1.0, random_state=seed)
    chosen = chosen.head(random_batches * RANDOM_SIZE)
    for b in range(random_batches):
        _write(out / f"{round_name}_r{b + 1}.jsonl", chosen.iloc[b * RANDOM_SIZE : (b + 1) * RANDOM_SIZE])
    taken = set(chosen["key"])
    # enriched: training-split texts only
    train_pool = pool[(pool["frac"] >= ds.CS_TEST_SIZE) & ~pool["key"].isin(taken)]
    enriched = []
    wanted = ROUND_CUES.get(round_name, tuple(CUES))
    cues = {name: cue for name, cue in CUES.items() if name in wanted}  # CUES order: the draws follow it
    for cue in cues.values():
        hits = train_pool[train_pool["text"].str.contains(cue, regex=True) & ~train_pool["key"].isin(taken)]
        part = _draw(hits, per_cue * enriched_batches, rng)
        taken |= set(part["key"])
        enriched.append(part)
    both = pd.concat(enriched).sample(frac=1.0, random_state=seed)
    size = -(-len(both) // max(enriched_batches, 1))
    for b in range(enriched_batches):
        _write(out / f"{round_name}_e{b + 1}.jsonl", both.iloc[b * size : (b + 1) * size])
    if round_name == "round2":  # agreement: a blind second label for part of the (round-1) test split
        _, test = ds.cs_labels_split()
        sample = test.sample(n=min(AGREEMENT_SIZE, len(test)), random_state=seed)
        with (out / f"{round_name}_agreement.jsonl").open("w", encoding="utf-8") as fh:
            for _, row in sample.iterrows():
                rec = {"dataset": row["dataset"], "row": int(row["row"]), "sha1": row["sha1"], "text": row["text"]}
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return {p.name: sum(1 for _ in p.open()) for p in sorted(out.glob(f"{round_name}_*.jsonl"))}


def _logit(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-6, 1 - 1e-6)
    return np.asarray(np.log(q / (1 - q)))


def reason_margins(model: HashedLinearClassifier, texts: Sequence[str]) -> np.ndarray:
    """Per text, the smallest distance in logits between any reason's probability and that reason's threshold."""
    return np.asarray(np.abs(_logit(model.predict_proba(texts)) - _logit(model.thresholds[None, :])).min(axis=1))


def select_picked(
    out: Path,
    round_name: str = "round7",
    uncertain_batches: int = 4,
    random_batches: int = 2,
    rare_batches: int = 1,
    models: Path | None = None,
) -> dict[str, int]:
    """Write model-picked and random batches drawn **only from the training split**, so the test split stays as it is.

    - `u` batches: the texts the shipped reasons model is least sure of — the smallest distance, in logits, between
      any reason's probability and that reason's threshold (uncertainty sampling: each label there moves a boundary);
    - `t` batches: a random sample of the training split (by category, 70 % negative, as the random batches);
    - `m` batches: for each rare emotion (relief, anxiety, gratitude; `RARE_EMOTIONS` gives each one's share), the
      texts the shipped customer-service emotion head finds likeliest to hold it, which no cue word finds any more.

    `models` is the folder of the models that pick (default: the shipped ones).
    """
    from aftersales.nlp.models import ARTEFACTS  # the shipped models; only this selection needs them
    from aftersales.nlp.models.linear import HashedLinearClassifier

    seed = SEEDS[round_name]
    rng = np.random.default_rng(seed)
    pool = _unlabelled()
    pool = pool[pool["frac"] >= ds.CS_TEST_SIZE].reset_index(drop=True)
    out.mkdir(parents=True, exist_ok=True)
    texts = list(pool["text"])
    reasons = HashedLinearClassifier.load((models or ARTEFACTS) / "reasons.npz")
    emotion = HashedLinearClassifier.load((models or ARTEFACTS) / "emotion_cs.npz")
    margin = reason_margins(reasons, texts)
    emo_p = emotion.predict_proba(texts)
    taken: set[str] = set()

    def take(order: np.ndarray, n: int) -> pd.DataFrame:
        rows = pool.iloc[[i for i in order if pool["key"].iat[i] not in taken][:n]]
        taken.update(rows["key"])
        return rows.sample(frac=1.0, random_state=seed)

    batches = {"u": take(np.argsort(margin, kind="stable"), uncertain_batches * PICKED_SIZE)}
    rare = [
        take(
            np.argsort(-emo_p[:, emotion.labels.index(code)], kind="stable"), round(share * rare_batches * PICKED_SIZE)
        )
        for code, share in RARE_EMOTIONS.items()
    ]
    batches["m"] = pd.concat(rare).sample(frac=1.0, random_state=seed)
    rest = pool[~pool["key"].isin(taken)]
    batches["t"] = _stratified(rest, random_batches * PICKED_SIZE, rng, pool["cat"].nunique())
    batches["t"] = batches["t"].sample(frac=1.0, random_state=seed).head(random_batches * PICKED_SIZE)
    counts = {"u": uncertain_batches, "m": rare_batches, "t": random_batches}
    for kind, rows in batches.items():
        for b in range(counts[kind]):
            _write(out / f"{round_name}_{kind}{b + 1}.jsonl", rows.iloc[b * PICKED_SIZE : (b + 1) * PICKED_SIZE])
    return {p.name: sum(1 for _ in p.open()) for p in sorted(out.glob(f"{round_name}_*.jsonl"))}


RELABEL_SEED = 20261202


CURRENT_GUIDELINE = "v1.4"


def select_relabel(out: Path, name: str = "test_v13", batches: int = 8, split: str = "test") -> dict[str, int]:
    """Write labelled texts (text, no labels) in a seeded random order as `batches` batches, for a second annotation.

    `split` "test": the whole cs_labels test split; "train": the training texts first labelled under a guideline
    older than `CURRENT_GUIDELINE`. Where the blind second annotation disagrees with the first labels, an adjudicator
    decides (`adjudication`), and the decision overrides the first label (`data/labels/adjudicated/`, read by
    `datasets.cs_labels`).
    """
    train, test = ds.cs_labels_split(adjudicated=False)
    rows = test if split == "test" else train[train["guideline"] != CURRENT_GUIDELINE]
    rows = rows.sample(frac=1.0, random_state=RELABEL_SEED)
    # the first label's sha1, not one recomputed from the cleaned text: a text with a stray BOM has its own
    records = [_record(row) | {"sha1": row["sha1"]} for _, row in rows.iterrows()]
    return _write_batches(out, f"{name}_s", records, batches)


def _write_batches(out: Path, prefix: str, records: Sequence[dict[str, object]], batches: int) -> dict[str, int]:
    """Split `records` into `batches` files `{prefix}1.jsonl` … of near-equal size (with text: never commit them)."""
    out.mkdir(parents=True, exist_ok=True)
    size = max(1, -(-len(records) // batches))
    for b in range(batches):
        with (out / f"{prefix}{b + 1}.jsonl").open("w", encoding="utf-8") as fh:
            for rec in records[b * size : (b + 1) * size]:
                fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return {p.name: sum(1 for _ in p.open()) for p in sorted(out.glob(f"{prefix}*.jsonl"))}


# What a disagreement is about: intensity alone does not go to adjudication (the first label's stays).
DISPUTED = ("polarity", "emotion", "stage", "reasons")


def disputed(second: Sequence[Path]) -> list[dict[str, object]]:
    """The rows where a blind second annotation disagrees with the first label on any of `DISPUTED`, with the text.

    Each row shows the two labels as `A` and `B` in a seeded random order, so an adjudicator cannot tell which came
    first; it never shows a model's reading.
    """
    first = ds.cs_labels(adjudicated=False)
    by_id = {
        (d, int(r)): row for d, r, row in zip(first["dataset"], first["row"], first.to_dict("records"), strict=True)
    }
    rng = np.random.default_rng(RELABEL_SEED)
    rows: list[dict[str, object]] = []
    for path in second:
        for rec in map(json.loads, path.open(encoding="utf-8")):
            one = by_id.get((rec["dataset"], int(rec["row"])))
            if one is None:
                raise SystemExit(f"{path}: {rec['dataset']} row {rec['row']} has no first label")
            if ds.label_of(one, DISPUTED) == ds.label_of(rec, DISPUTED):
                continue
            a, b = (dict(zip(ds.LABEL_FIELDS, ds.label_of(r), strict=True)) for r in (one, rec))
            if rng.random() < 0.5:
                a, b = b, a
            rows.append(
                {"dataset": rec["dataset"], "row": rec["row"], "sha1": rec["sha1"], "text": one["text"], "A": a, "B": b}
            )
    return rows


def write_adjudication(second: Sequence[Path], out: Path, batches: int = 2) -> dict[str, int]:
    """Write the disputed rows (with text and both labels) as adjudication batches; never commit them."""
    return _write_batches(out, "adjudicate_", disputed(second), batches)


def _write(path: Path, rows: pd.DataFrame) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for _, row in rows.iterrows():
            fh.write(json.dumps(_record(row), ensure_ascii=False) + "\n")


def check(labels: Path, batch: Path | None) -> list[str]:
    """Every problem with a label file: bad JSON, unknown codes, missing fields, rows not in the batch, duplicates."""
    problems: list[str] = []
    wanted = None
    if batch is not None:
        wanted = {(r["dataset"], r["row"], r["sha1"]) for r in map(json.loads, batch.open(encoding="utf-8"))}
    seen: set[tuple[str, int]] = set()
    codes = {"emotion": set(Emotion.codes()), "stage": set(Stage.codes())}
    for n, line in enumerate(labels.open(encoding="utf-8"), 1):
        where = f"{labels}:{n}"
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc})")
            continue
        missing = {"dataset", "row", "sha1", "polarity", "emotion", "intensity", "stage", "reasons"} - set(rec)
        if missing:
            problems.append(f"{where}: missing {sorted(missing)}")
            continue
        if "text" in rec:
            problems.append(f"{where}: holds the text — commit references only")
        if rec["polarity"] not in ("positive", "neutral", "negative"):
            problems.append(f"{where}: polarity {rec['polarity']!r}")
        for field, allowed in codes.items():
            if rec[field] not in allowed:
                problems.append(f"{where}: {field} {rec[field]!r} not one of {sorted(allowed)}")
        if rec["intensity"] not in (1, 2, 3):
            problems.append(f"{where}: intensity {rec['intensity']!r}")
        bad = [r for r in rec["reasons"] if r not in Reason.codes()] if isinstance(rec["reasons"], list) else ["?"]
        if bad:
            problems.append(f"{where}: reasons {bad}")
        ident = (rec["dataset"], rec["row"])
        if ident in seen:
            problems.append(f"{where}: row labelled twice")
        seen.add(ident)
        if wanted is not None and (rec["dataset"], rec["row"], rec["sha1"]) not in wanted:
            problems.append(f"{where}: not in the batch (dataset/row/sha1 differ)")
    if wanted is not None and len(seen) < len(wanted):
        problems.append(f"{labels}: {len(wanted) - len(seen)} batch row(s) not labelled")
    if re.search(r"[\u4e00-\u9fff]{8,}", labels.read_text(encoding="utf-8")):
        problems.append(f"{labels}: looks like it holds Chinese text — commit references only")
    return problems


def agreement(second: Path) -> dict[str, float]:
    """How a blind second annotation agrees with the first labels of the same rows (data/labels/*.jsonl)."""
    first = {(r["dataset"], r["row"]): r for r in _labelled().to_dict("records")}
    pairs = [(first[(r["dataset"], r["row"])], r) for r in map(json.loads, second.open(encoding="utf-8"))]
    if not pairs:
        raise SystemExit(f"{second}: no labels")
    out: dict[str, float] = {"n": len(pairs)}
    for task in ("emotion", "stage", "polarity", "intensity"):
        a, b = [str(x[task]) for x, _ in pairs], [str(y[task]) for _, y in pairs]
        out[f"{task}_accuracy"] = round(ev.accuracy(a, b), 3)
        out[f"{task}_macro_f1"] = round(ev.macro_f1(a, b, sorted(set(a))), 3)
    for name, keep in (
        ("reasons_micro_f1", lambda c: True),
        ("reasons_micro_f1_without_other", lambda c: c != "other"),
    ):
        a_sets = [[c for c in x["reasons"] if keep(c)] for x, _ in pairs]
        b_sets = [[c for c in y["reasons"] if keep(c)] for _, y in pairs]
        out[name] = round(ev.micro_f1(a_sets, b_sets), 3)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: select | pick | relabel | adjudication | check | agreement."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    sel = sub.add_parser("select", help="write the next round's batches (with text) to --out")
    sel.add_argument("--out", type=Path, required=True)
    sel.add_argument("--round", default="round2", choices=sorted(SEEDS))
    sel.add_argument("--random-batches", type=int, default=4)
    sel.add_argument("--enriched-batches", type=int, default=2)
    sel.add_argument("--per-cue", type=int, default=24)
    pick = sub.add_parser("pick", help="write model-picked and random training-split batches (with text) to --out")
    pick.add_argument("--out", type=Path, required=True)
    pick.add_argument("--round", default="round7", choices=sorted(SEEDS))
    pick.add_argument("--uncertain-batches", type=int, default=4)
    pick.add_argument("--random-batches", type=int, default=2)
    pick.add_argument("--rare-batches", type=int, default=1)
    pick.add_argument("--models", type=Path, help="folder of the models that pick (default: the shipped ones)")
    rel = sub.add_parser(
        "relabel", help="write the test split (with text, no labels) as batches for a second annotation"
    )
    rel.add_argument("--out", type=Path, required=True)
    rel.add_argument("--name", default="test_v13")
    rel.add_argument("--batches", type=int, default=8)
    rel.add_argument(
        "--split", choices=("test", "train"), default="test", help="train: texts labelled under an older guideline"
    )
    adj = sub.add_parser(
        "adjudication", help="write the rows a second annotation disputes (with text) for adjudication"
    )
    adj.add_argument("second", type=Path, nargs="+", help="blind second label files")
    adj.add_argument("--out", type=Path, required=True)
    adj.add_argument("--batches", type=int, default=2)
    chk = sub.add_parser("check", help="validate a label file (optionally against its batch)")
    chk.add_argument("labels", type=Path)
    chk.add_argument("--batch", type=Path)
    agr = sub.add_parser("agreement", help="agreement of a blind second label file with the first labels")
    agr.add_argument("labels", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "agreement":
        print(json.dumps(agreement(args.labels), indent=1))
        return 0
    if args.cmd == "select":
        sizes = select(args.out, args.round, args.random_batches, args.enriched_batches, args.per_cue)
        print(json.dumps(sizes, indent=1))
        return 0
    if args.cmd == "pick":
        sizes = select_picked(
            args.out, args.round, args.uncertain_batches, args.random_batches, args.rare_batches, args.models
        )
        print(json.dumps(sizes, indent=1))
        return 0
    if args.cmd == "relabel":
        print(json.dumps(select_relabel(args.out, args.name, args.batches, args.split), indent=1))
        return 0
    if args.cmd == "adjudication":
        print(json.dumps(write_adjudication(args.second, args.out, args.batches), indent=1))
        return 0
    problems = check(args.labels, args.batch)
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{args.labels}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
