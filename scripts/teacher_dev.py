"""The dev share of the teacher's training labels: held out of every fit, the readings that may choose.

Why a module of its own: `teacher_fit.py` (on an accelerator, numpy and torch only) holds these rows out, and
`teacher.py report` / `mean` (here) score and choose by them, so both must draw the very same rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEV_SHARE = 0.1  # of the training labels, held out of the fit: the readings that may choose (the test split may not)


def dev_rows(data: dict[str, Any]) -> np.ndarray:
    """The training labels held out of every seed's fit (the same rows for every seed, so the ensemble is scored)."""
    train = np.flatnonzero(data["split"] == 0)
    return np.sort(np.random.default_rng(20261127).permutation(train)[: int(len(train) * DEV_SHARE)])
