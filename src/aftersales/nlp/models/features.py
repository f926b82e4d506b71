"""Seedless hashed character n-grams, vectorised in numpy so a batch costs a few array passes, not a Python loop.

Each text is framed as ``\\x02 text \\x03`` (so n-grams can say "at the start"/"at the end"); every n-gram of length
``n_min..n_max`` is hashed with 64-bit FNV-1a over its code points (fixed constants, no salt: identical in every
process) into ``2**bits`` buckets. A text's features are its n-gram occurrences. Two weightings:

* ``sqrt`` (default): each occurrence is worth ``1/sqrt(occurrences in the text)``, so a row has unit L2 norm when no
  n-gram repeats; repeats add up, like term frequency.
* ``binary``: each distinct bucket of a text counts once, worth ``1/sqrt(distinct buckets)`` (a repeated n-gram's
  occurrences share that value), so a row always has unit L2 norm. Presence, not frequency: better for the reasons
  model, whose cues are named once and whose labels do not grow with repetition (v2026.11.9), and for the
  customer-service emotion head once the combiner blends it (v2026.11.10; docs/models.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["WEIGHTINGS", "Features", "HashingFeaturizer"]

WEIGHTINGS = ("sqrt", "binary")

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_START, _END = "\x02", "\x03"


@dataclass(frozen=True, slots=True)
class Features:
    """A batch of n-gram occurrences in CSR order: text i owns ``[indptr[i], indptr[i+1])``."""

    indices: npt.NDArray[np.int64]  # hash bucket of each occurrence
    values: npt.NDArray[np.float32]  # its weight in the row
    indptr: npt.NDArray[np.int64]
    starts: npt.NDArray[np.int32]  # start offset in the (lower-cased normalised) text; -1 = the start marker
    lengths: npt.NDArray[np.int32]  # n-gram length in characters, markers included

    @property
    def n_rows(self) -> int:
        """Number of texts in the batch."""
        return len(self.indptr) - 1

    def restrict(self, n_max: int, bits: int, weighting: str = "sqrt") -> Features:
        """The features a featuriser with the same n_min but a smaller ``n_max``/``bits`` would produce.

        Exact: an n-gram's hash does not depend on the bucket count (a smaller table keeps the low bits) and
        occurrences are ordered by position then length, so dropping the longer n-grams keeps the order. One
        hashing pass then serves every model of the analyzer.
        """
        keep = self.lengths <= n_max
        n_rows = self.n_rows
        counts = np.diff(self.indptr)
        docs = np.repeat(np.arange(n_rows, dtype=np.int64), counts)[keep]
        kept = np.bincount(docs, minlength=n_rows)
        indptr = np.concatenate(([0], np.cumsum(kept))).astype(np.int64)
        indices = self.indices[keep] & np.int64((1 << bits) - 1)
        values = _values(docs, indices, n_rows, bits, weighting)
        return Features(indices, values, indptr, self.starts[keep], self.lengths[keep])

    def span(self, k: int, text_len: int) -> tuple[int, int]:
        """Character span of occurrence ``k`` in its text, with the framing markers clipped off."""
        start = int(self.starts[k])
        return max(start, 0), min(start + int(self.lengths[k]), text_len)


def _values(
    docs: npt.NDArray[np.int64], indices: npt.NDArray[np.int64], n_rows: int, bits: int, weighting: str
) -> npt.NDArray[np.float32]:
    """Each occurrence's value under `weighting` (see the module docstring); `docs` is its text, in CSR order."""
    if weighting == "sqrt":
        counts = np.bincount(docs, minlength=n_rows)
        return (1.0 / np.sqrt(np.maximum(counts, 1)))[docs].astype(np.float32)
    if weighting != "binary":
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    if not len(docs):
        return np.zeros(0, dtype=np.float32)
    _, inverse, per_key = np.unique((docs << np.int64(bits)) | indices, return_inverse=True, return_counts=True)
    repeats = per_key[inverse]  # how often this occurrence's bucket occurs in its text
    distinct = np.rint(np.bincount(docs, weights=1.0 / repeats, minlength=n_rows))
    out: npt.NDArray[np.float32] = (1.0 / (np.sqrt(np.maximum(distinct, 1.0))[docs] * repeats)).astype(np.float32)
    return out


class HashingFeaturizer:
    """Character n-grams hashed into ``2**bits`` buckets; pure and stateless, so it needs no fitting."""

    def __init__(self, bits: int = 20, n_min: int = 1, n_max: int = 4, weighting: str = "sqrt") -> None:
        if not 8 <= bits <= 26 or not 1 <= n_min <= n_max <= 8:
            raise ValueError("bits must be in [8, 26] and 1 <= n_min <= n_max <= 8")
        if weighting not in WEIGHTINGS:
            raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
        self.bits, self.n_min, self.n_max, self.weighting = bits, n_min, n_max, weighting

    @property
    def n_features(self) -> int:
        """Size of the hashed feature space."""
        return 1 << self.bits

    @property
    def config(self) -> dict[str, Any]:
        """JSON-ready parameters (saved with a model, so loading rebuilds the same featuriser)."""
        return {"bits": self.bits, "n_min": self.n_min, "n_max": self.n_max, "weighting": self.weighting}

    @staticmethod
    def prepare(text: str) -> str:
        """Lower-case when that keeps every character in place (offsets must survive for evidence)."""
        lowered = text.lower()
        return lowered if len(lowered) == len(text) else text

    def transform(self, texts: Sequence[str]) -> Features:
        """Hash every n-gram of every (already normalised) text in one vectorised pass."""
        framed = "".join(f"{_START}{self.prepare(t)}{_END}" for t in texts)
        cps = np.frombuffer(framed.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        lens = np.fromiter((len(t) + 2 for t in texts), dtype=np.int64, count=len(texts))
        doc_start = np.concatenate(([0], np.cumsum(lens)))
        total = int(doc_start[-1])
        doc_of = np.repeat(np.arange(len(texts), dtype=np.int64), lens)
        room = doc_start[1:][doc_of] - np.arange(total, dtype=np.int64)  # characters left in the framed text
        parts_idx, parts_pos, parts_len = [], [], []
        h = np.full(total, _FNV_OFFSET, dtype=np.uint64)
        for n in range(1, self.n_max + 1):
            shifted = np.zeros(total, dtype=np.uint64)
            if n <= total:
                shifted[: total - n + 1] = cps[n - 1 :]
            h = (h ^ shifted) * _FNV_PRIME
            if n < self.n_min:
                continue
            ok = room >= n
            if n == 1:  # a lone marker says nothing
                ok &= (cps != ord(_START)) & (cps != ord(_END))
            pos = np.flatnonzero(ok)
            mixed = h[pos] ^ (h[pos] >> np.uint64(29))
            parts_idx.append((mixed & np.uint64(self.n_features - 1)).astype(np.int64))
            parts_pos.append(pos)
            parts_len.append(np.full(len(pos), n, dtype=np.int32))
        pos = np.concatenate(parts_pos)
        order = np.argsort(pos, kind="stable")  # group occurrences by text (positions are text-major)
        pos = pos[order]
        indices = np.concatenate(parts_idx)[order]
        lengths = np.concatenate(parts_len)[order]
        docs = doc_of[pos]
        counts = np.bincount(docs, minlength=len(texts))
        indptr = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
        values = _values(docs, indices, len(texts), self.bits, self.weighting)
        starts = (pos - doc_start[docs] - 1).astype(np.int32)
        return Features(indices, values, indptr, starts, lengths)

    def to_csr(self, feats: Features) -> Any:
        """A scipy CSR matrix of the batch (training only: scipy is not needed to predict)."""
        from scipy.sparse import csr_matrix

        shape = (feats.n_rows, self.n_features)
        mat = csr_matrix((feats.values, feats.indices, feats.indptr), shape=shape, copy=True)
        mat.sum_duplicates()  # in place: the copy keeps `feats` as it was
        return mat
