"""Fine-tune multilingual-e5-small on our labels and read the unlabelled pool (where PyTorch is: a GPU, or a CPU).

Why: a pretrained transformer fine-tuned on the 25k customer-service labels is a stronger reader than the shipped
n-gram models, too slow to ship (about 50 texts/s on 2 cores) but fast enough to label the training pool for them
once: 21 s an epoch on an H100, about 10 minutes on 2 CPU cores with AMX bf16 units (stop 22). Needs only numpy and
torch; reads what `scripts/teacher.py pack DIR` wrote.

    python3 scripts/teacher_fit.py DIR OUT [--seeds 3] [--epochs 5] [--first-seed 0] [--reasons-weight 1]
                                           [--snapshot-from E]

Writes OUT/teacher.npz: per packed text, the seed ensemble's reason probabilities and emotion, stage and polarity
distributions (float16); OUT/seed{S}.npz, each seed's own (so runs side by side on one accelerator, one seed each,
are averaged afterwards by `teacher.py mean`); OUT/seed{S}_epoch{E}.npz after each epoch from E on, so a time
limit keeps the latest; and OUT/log.json with each epoch's readings of a dev share of the training labels (held out
of the fit; what may choose) and of the test split (reported, never used to choose).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from e5_q4 import dequantise  # sibling scripts: the script's folder is on sys.path
from teacher_dev import dev_rows
from torch import nn

BATCH = 64
ENCODER_LR = 6e-5
HEAD_LR = 2e-3  # fresh heads learn at a rate of their own; the encoder at a fine-tuning rate
# bf16 autocast where it is fast: any CUDA card we are lent, and CPUs with AMX/AVX-512 bf16
BF16 = {"cuda": True, "cpu": torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()}


class Layer(nn.Module):
    """One post-LayerNorm BERT block, as e5-small computes it."""

    def __init__(self, h: int, heads: int, ffn: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.ao = (nn.Linear(h, h) for _ in range(4))
        self.fi, self.fo = nn.Linear(h, ffn), nn.Linear(ffn, h)
        self.aln, self.oln = nn.LayerNorm(h, eps=eps), nn.LayerNorm(h, eps=eps)
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        q, k, v = (m(x).view(b, t, self.heads, h // self.heads).transpose(1, 2) for m in (self.q, self.k, self.v))
        ctx = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask[:, None, None, :], dropout_p=0.1 if self.training else 0.0
        )
        x = self.aln(x + self.drop(self.ao(ctx.transpose(1, 2).reshape(b, t, h))))
        return self.oln(x + self.drop(self.fo(F.gelu(self.fi(x)))))


class Teacher(nn.Module):
    """e5-small's encoder, mean-pooled, with one head per task."""

    def __init__(self, cfg: dict[str, Any], sizes: dict[str, int]) -> None:
        super().__init__()
        h = cfg["hidden"]
        self.word = nn.Embedding(cfg["vocab"], h)
        self.pos = nn.Embedding(cfg["max_pos"], h)
        self.token_type = nn.Parameter(torch.zeros(h))
        self.eln = nn.LayerNorm(h, eps=cfg["eps"])
        self.layers = nn.ModuleList(Layer(h, cfg["heads"], cfg["ffn"], cfg["eps"]) for _ in range(cfg["layers"]))
        self.drop = nn.Dropout(0.1)
        self.heads = nn.ModuleDict({task: nn.Linear(h, n) for task, n in sizes.items()})

    def encode(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(ids.shape[1], device=ids.device)
        x = self.eln(self.word(ids) + self.pos(pos)[None] + self.token_type)
        for layer in self.layers:
            x = layer(x, mask)
        m = mask[..., None].to(x.dtype)
        return (x * m).sum(1) / m.sum(1)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> dict[str, torch.Tensor]:
        pooled = self.drop(self.encode(ids, mask))
        return {task: head(pooled) for task, head in self.heads.items()}


def load_teacher(weights: Path, sizes: dict[str, int]) -> Teacher:
    """Build the model and fill it with the packed, de-quantised e5 weights."""
    w = np.load(weights)
    cfg = json.loads(str(w["config"]))
    h, ffn = cfg["hidden"], cfg["ffn"]
    model = Teacher(cfg, sizes)
    with torch.no_grad():
        model.word.weight.copy_(torch.from_numpy(dequantise(w["emb.word"], cfg["vocab"], h)))
        model.pos.weight.copy_(torch.from_numpy(w["emb.pos"].reshape(cfg["max_pos"], h)))
        model.token_type.copy_(torch.from_numpy(w["emb.type"][:h]))
        model.eln.weight.copy_(torch.from_numpy(w["emb.ln.w"]))
        model.eln.bias.copy_(torch.from_numpy(w["emb.ln.b"]))
        for i, layer in enumerate(model.layers):
            for name, (rows, cols) in {
                "q": (h, h),
                "k": (h, h),
                "v": (h, h),
                "ao": (h, h),
                "fi": (ffn, h),
                "fo": (h, ffn),
            }.items():
                lin = getattr(layer, name)
                lin.weight.copy_(torch.from_numpy(dequantise(w[f"l{i}.{name}.w"], rows, cols)))
                lin.bias.copy_(torch.from_numpy(w[f"l{i}.{name}.b"]))
            for name in ("aln", "oln"):
                ln = getattr(layer, name)
                ln.weight.copy_(torch.from_numpy(w[f"l{i}.{name}.w"]))
                ln.bias.copy_(torch.from_numpy(w[f"l{i}.{name}.b"]))
    return model


def batches(rows: np.ndarray, lengths: np.ndarray, size: int, rng: np.random.Generator | None) -> list[np.ndarray]:
    """Batches of similar length (less padding); shuffled in chunks when `rng` is given."""
    jitter = rng.random(len(rows)) * 8 if rng is not None else 0.0
    order = rows[np.argsort(lengths[rows] + jitter, kind="stable")]
    out = [order[i : i + size] for i in range(0, len(order), size)]
    if rng is not None:
        rng.shuffle(out)
    return out


def pad(
    tokens: np.ndarray, starts: np.ndarray, lengths: np.ndarray, rows: np.ndarray, device: str
) -> tuple[torch.Tensor, torch.Tensor]:
    t = int(lengths[rows].max())
    ids = np.zeros((len(rows), t), dtype=np.int64)
    for j, r in enumerate(rows):
        ids[j, : lengths[r]] = tokens[starts[r] : starts[r] + lengths[r]]
    ids_t = torch.from_numpy(ids).to(device)
    mask = torch.arange(t, device=device)[None] < torch.from_numpy(lengths[rows]).to(device)[:, None]
    return ids_t, mask


def _macro_f1(gold: np.ndarray, pred: np.ndarray, n: int) -> float:
    f1s = []
    for c in range(n):
        tp = int(((pred == c) & (gold == c)).sum())
        fp, fn = int(((pred == c) & (gold != c)).sum()), int(((pred != c) & (gold == c)).sum())
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s))


def _micro_f1(gold: np.ndarray, proba: np.ndarray) -> float:
    """Each reason at 0.5, no fallback: the reasons target's reading once `other` is dropped."""
    pred = proba >= 0.5
    tp = int((pred & (gold == 1)).sum())
    return 2 * tp / max(int(pred.sum()) + int(gold.sum()), 1)


def predict(model: Teacher, data: dict[str, Any], rows: np.ndarray, device: str) -> dict[str, np.ndarray]:
    model.eval()
    outs: dict[str, list[np.ndarray]] = {}
    order: list[np.ndarray] = []
    with torch.no_grad(), torch.autocast(device, dtype=torch.bfloat16, enabled=BF16[device]):
        for b in batches(rows, data["lengths"], 256, None):
            logits = model(*pad(data["tokens"], data["starts"], data["lengths"], b, device))
            for task, z in logits.items():
                p = torch.sigmoid(z) if task == "reasons" else torch.softmax(z.float(), -1)
                outs.setdefault(task, []).append(p.float().cpu().numpy())
            order.append(b)
    inv = np.argsort(np.concatenate(order))
    return {task: np.concatenate(v)[inv] for task, v in outs.items()}


def evaluate(proba: dict[str, np.ndarray], data: dict[str, Any], rows: np.ndarray) -> dict[str, float]:
    """Readings comparable with `teacher.py report` and analyzer_quality (reasons without `other`, as they score)."""
    scored = np.asarray([str(c) != "other" for c in data["reason_codes"]])
    out = {"reasons_micro_f1": _micro_f1(data["reasons"][rows][:, scored], proba["reasons"][:, scored])}
    for task in ("emotion", "stage", "polarity"):
        out[f"{task}_macro_f1"] = _macro_f1(data[task][rows], proba[task].argmax(1), proba[task].shape[1])
    return out


def fit(
    data: dict[str, Any],
    weights: Path,
    seed: int,
    run: argparse.Namespace,
    device: str,
    evals: dict[str, np.ndarray],
    log: list[dict[str, Any]],
) -> Teacher:
    """Fine-tune all four heads together (AdamW, linear warm-up and decay, bf16 autocast)."""
    epochs, out = run.epochs, run.out
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = load_teacher(weights, data["sizes"]).to(device)
    train = np.setdiff1d(np.flatnonzero(data["split"] == 0), evals["dev"])
    plan = [batches(train, data["lengths"], BATCH, rng) for _ in range(epochs)]
    total = sum(map(len, plan))
    with torch.no_grad():  # heads start at the label priors: BCE heads cannot walk to logit(0.05) at 5e-5 a step
        prior = data["reasons"][train].mean(0).clip(1e-3, 1 - 1e-3)
        model.heads["reasons"].bias.copy_(torch.from_numpy(np.log(prior / (1 - prior))))
        for task, n in data["sizes"].items():
            if task != "reasons":
                counts = np.bincount(data[task][train], minlength=n) + 1.0
                model.heads[task].bias.copy_(torch.from_numpy(np.log(counts / counts.sum())))
    head = [p for n, p in model.named_parameters() if n.startswith("heads.")]
    body = [p for n, p in model.named_parameters() if not n.startswith("heads.")]
    opt = torch.optim.AdamW(
        [{"params": body, "lr": ENCODER_LR}, {"params": head, "lr": HEAD_LR}],
        weight_decay=0.01,
        fused=device == "cuda",  # one kernel per step instead of a dozen per tensor: launches bound a small model
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, s / (0.06 * total)) * max(0.0, (total - s) / (total * 0.94))
    )
    targets = {t: torch.from_numpy(data[t].astype(np.int64 if t != "reasons" else np.float32)) for t in data["sizes"]}
    for epoch, epoch_batches in enumerate(plan):
        model.train()
        t0 = time.time()
        for b in epoch_batches:
            ids, mask = pad(data["tokens"], data["starts"], data["lengths"], b, device)
            with torch.autocast(device, dtype=torch.bfloat16, enabled=BF16[device]):
                logits = model(ids, mask)
            # summed over the 13 reasons (a mean would give the reasons a 13th of a single-label task's pull)
            reasons = F.binary_cross_entropy_with_logits(
                logits["reasons"].float(), targets["reasons"][b].to(device), reduction="sum"
            )
            loss = run.reasons_weight * reasons / len(b)  # 1/13: stop 21's mean, an emotion and stage teacher
            for task in ("emotion", "stage", "polarity"):
                loss = loss + F.cross_entropy(logits[task].float(), targets[task][b].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
        reading = {
            f"{name}_{k}": v
            for name, rows in evals.items()
            for k, v in evaluate(predict(model, data, rows, device), data, rows).items()
        }
        log.append({"seed": seed, "epoch": epoch + 1, "seconds": round(time.time() - t0, 1), **reading})
        print(json.dumps(log[-1]), flush=True)
        (out / "log.json").write_text(json.dumps(log, indent=1))  # kept even if a time limit ends the run
        if run.snapshot_from and run.snapshot_from <= epoch + 1 < epochs:
            everything = np.arange(len(data["lengths"]))
            _save(out / f"seed{seed}_epoch{epoch + 1}.npz", predict(model, data, everything, device))
    return model


def _save(path: Path, proba: dict[str, np.ndarray]) -> None:
    arrays: dict[str, Any] = {t: p.astype(np.float16) for t, p in proba.items()}
    np.savez_compressed(path, **arrays)


def _subset(data: dict[str, Any], rows: np.ndarray) -> dict[str, Any]:
    """The same packed data restricted to `rows` (for a quick run on a CPU)."""
    out = {k: (v[rows] if isinstance(v, np.ndarray) and len(v) == len(data["lengths"]) else v) for k, v in data.items()}
    out["tokens"] = np.concatenate(
        [data["tokens"][data["starts"][r] : data["starts"][r] + data["lengths"][r]] for r in rows]
    )
    out["starts"] = np.concatenate([[0], np.cumsum(out["lengths"])[:-1]])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pack", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first … first+seeds−1")
    parser.add_argument(
        "--reasons-weight", type=float, default=1.0, help="the summed reasons loss's weight (1/13: their mean)"
    )
    parser.add_argument("--snapshot-from", type=int, default=0, help="save each seed's readings after epoch E on")
    parser.add_argument("--limit", type=int, default=0, help="train on this many rows only (a smoke test)")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    raw = np.load(args.pack / "data.npz")
    data = {k: raw[k] for k in raw.files}
    data["tokens"] = data["tokens"].astype(np.int64)
    data["starts"] = np.concatenate([[0], np.cumsum(data["lengths"])[:-1]])
    data["sizes"] = {
        "reasons": len(data["reason_codes"]),
        "emotion": len(data["emotion_codes"]),
        "stage": len(data["stage_codes"]),
        "polarity": len(data["polarity_codes"]),
    }
    if args.limit:
        data = _subset(data, np.concatenate([np.flatnonzero(data["split"] == s)[: args.limit] for s in (0, 1, 2)]))
    evals = {"dev": dev_rows(data), "test": np.flatnonzero(data["split"] == 1)}
    everything = np.arange(len(data["lengths"]))
    log: list[dict[str, Any]] = []
    summed: dict[str, np.ndarray] = {}
    args.out.mkdir(parents=True, exist_ok=True)
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        model = fit(data, args.pack / "weights.npz", seed, args, device, evals, log)
        proba = predict(model, data, everything, device)
        _save(args.out / f"seed{seed}.npz", proba)  # kept if a time limit ends the run
        for task, p in proba.items():
            summed[task] = summed.get(task, 0) + p / args.seeds
    ensemble = {
        f"{name}_{k}": v
        for name, rows in evals.items()
        for k, v in evaluate({t: p[rows] for t, p in summed.items()}, data, rows).items()
    }
    log.append({"ensemble": args.seeds, **ensemble})
    print(json.dumps(log[-1]), flush=True)
    _save(args.out / "teacher.npz", summed)
    (args.out / "log.json").write_text(json.dumps(log, indent=1))


if __name__ == "__main__":
    main()
