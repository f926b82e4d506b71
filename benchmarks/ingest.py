"""Ingest throughput and peak memory: `aftersales ingest interactions` vs a pandas read_csv + to_sql baseline.

Prints one JSON object. Each run is a fresh subprocess on a fresh SQLite database, so peak RSS is per run;
medians are taken over --repeat runs. Usage: python benchmarks/ingest.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

PHRASES = [
    "质量太差了",
    "用了两天就坏了",
    "快递太慢",
    "客服态度不好",
    "尺码偏小",
    "和描述不符",
    "什么时候退款",
    "谢谢客服",
    "东西不错",
    "包装破损",
    "发错货了",
    "我要投诉",
    "still not delivered",
    "想换一个大一号的",
]


def make_file(path: Path, rows: int, seed: int = 7) -> None:
    """A realistic interactions CSV: ids, customer refs, ~45-character Chinese texts, timestamps, channels."""
    rng = np.random.default_rng(seed)
    channels = ["chat", "phone", "email", "review", "social"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["interaction_id", "customer_id", "text", "created_at", "channel", "order_id"])
        base = np.datetime64("2025-01-01T00:00:00")
        secs = rng.integers(0, 365 * 86400, rows)
        cust = rng.integers(1, 50_000, rows)
        picks = rng.integers(0, len(PHRASES), (rows, 4))
        for i in range(rows):
            text = "，".join(PHRASES[j] for j in picks[i]) + "！"
            ts = str(base + np.timedelta64(int(secs[i]), "s")).replace("T", " ")
            w.writerow([f"I{i}", f"C{cust[i]}", text, ts, channels[i % 5], f"O{cust[i] * 3 + i % 3}"])


RUN_OURS = """
import json, resource, sys, time
from aftersales.config import load_settings
from aftersales import services
s = load_settings(home=sys.argv[2])
t = time.perf_counter()
r = services.ingest_file("interactions", sys.argv[1], settings=s)
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "rows": r.accepted + r.updated + r.unchanged, "rejected": r.rejected,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

RUN_BASELINE = """
import json, resource, sys, time, sqlite3
import pandas as pd
t = time.perf_counter()
df = pd.read_csv(sys.argv[1])
df["created_at"] = pd.to_datetime(df["created_at"])
con = sqlite3.connect(sys.argv[2] + "/baseline.db")
df.to_sql("interactions", con, index=False, chunksize=50000)
con.commit()
dt = time.perf_counter() - t
print(json.dumps({"seconds": dt, "rows": len(df), "rejected": 0,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, path: Path, env: dict[str, str] | None = None) -> dict[str, float]:
    """One measured run in a fresh process and a fresh home."""
    with tempfile.TemporaryDirectory() as home:
        out = subprocess.run(
            [sys.executable, "-c", code, str(path), home],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, **(env or {})},
        )
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def summarise(runs: list[dict[str, float]]) -> dict[str, float]:
    """Medians over runs."""
    secs = statistics.median(r["seconds"] for r in runs)
    return {
        "median_seconds": round(secs, 3),
        "rows_per_second": round(runs[0]["rows"] / secs),
        "median_peak_rss_mb": round(statistics.median(r["peak_rss_mb"] for r in runs), 1),
        "rows": int(runs[0]["rows"]),
        "rejected": int(runs[0]["rejected"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "interactions.csv"
        t0 = time.perf_counter()
        make_file(path, args.rows)
        gen = time.perf_counter() - t0
        result: dict[str, object] = {
            "benchmark": "ingest_interactions_csv_sqlite",
            "rows": args.rows,
            "file_mb": round(path.stat().st_size / 1e6, 1),
            "generate_seconds": round(gen, 1),
            "repeat": args.repeat,
            "python": platform.python_version(),
            "machine": f"{platform.machine()} ({os.cpu_count()} cpus)",
            "aftersales": summarise([run(RUN_OURS, path) for _ in range(args.repeat)]),
            # The same without PII masking of the text column (AFTERSALES_MASK_PII=false): what masking costs.
            "aftersales_mask_pii_off": summarise(
                [run(RUN_OURS, path, {"AFTERSALES_MASK_PII": "false"}) for _ in range(args.repeat)]
            ),
        }
        if not args.skip_baseline:
            result["baseline_pandas_to_sql"] = summarise([run(RUN_BASELINE, path) for _ in range(args.repeat)])
            ours = result["aftersales"]["rows_per_second"]  # type: ignore[index]
            base = result["baseline_pandas_to_sql"]["rows_per_second"]  # type: ignore[index]
            result["speedup_vs_baseline"] = round(ours / base, 2)
        result["target_rows_per_second"] = 50_000
        result["target_peak_rss_mb"] = 1024
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
