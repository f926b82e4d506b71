"""How fast this shared, drifting VM is right now: recorded next to every timing so runs can be compared.

The same Analyzer code measured 6,010 and 2,683 texts/s on this VM class, and the KPI floor query 0.56 and 1.44 s:
a number without the machine's state beside it cannot tell a regression from a slow day.
"""

from __future__ import annotations

import os
import time
from typing import Any


def calibration_loop() -> float:
    """Seconds of a fixed single-thread Python loop (3 million additions): lower = faster machine."""
    start = time.perf_counter()
    total = 0
    for i in range(3_000_000):
        total += i % 7
    return round(time.perf_counter() - start, 3)


def snapshot(when: str) -> dict[str, Any]:
    """Load average and calibration loop time, keyed by `when` ("before" / "after")."""
    return {f"load_average_1min_{when}": round(os.getloadavg()[0], 2), f"calibration_loop_s_{when}": calibration_loop()}
