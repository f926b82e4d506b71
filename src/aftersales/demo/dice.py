"""Fast scalar randomness for text composition, drawn in blocks from one seeded numpy Generator."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import numpy as np

T = TypeVar("T")
_BLOCK = 65_536


class Dice:
    """Buffered uniforms from a numpy Generator: per-call numpy scalars are too slow for ~10⁶ phrase picks."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._buf: list[float] = []
        self._pos = 0

    def random(self) -> float:
        """One uniform in [0, 1), deterministic for the Generator's seed."""
        if self._pos >= len(self._buf):
            self._buf = self.rng.random(_BLOCK).tolist()
            self._pos = 0
        value = self._buf[self._pos]
        self._pos += 1
        return value

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.random() < p

    def below(self, n: int) -> int:
        """A uniform integer in [0, n)."""
        return min(int(self.random() * n), n - 1)

    def between(self, lo: int, hi: int) -> int:
        """A uniform integer in [lo, hi] (both ends included)."""
        return lo + self.below(hi - lo + 1)

    def uniform(self, lo: float, hi: float) -> float:
        """A uniform float in [lo, hi)."""
        return lo + (hi - lo) * self.random()

    def pick(self, items: Sequence[T]) -> T:
        """One item, uniformly."""
        return items[self.below(len(items))]

    def weighted(self, items: Sequence[T], weights: Sequence[float]) -> T:
        """One item with probability proportional to its weight."""
        total = sum(weights)
        u = self.random() * total
        acc = 0.0
        for item, w in zip(items, weights, strict=True):
            acc += w
            if u < acc:
                return item
        return items[-1]

    def sample(self, items: Sequence[T], k: int) -> list[T]:
        """k distinct items in random order (k is capped at len(items))."""
        pool = list(items)
        out: list[T] = []
        for _ in range(min(k, len(pool))):
            out.append(pool.pop(self.below(len(pool))))
        return out
