"""Micro-benchmark: texts/s of normalise() and mask_pii() on review-length texts; prints one JSON object.

Reads up to 5,000 reviews from ../shared/data/online_shopping_10_cats (never stored in the repo); without the data
set it builds synthetic reviews. The baselines in the same run (NFKC only, OpenCC t2s only) show what the extra
work costs on this machine. Usage: ``python benchmarks/normalise.py [--n 5000] [--runs 5]``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import platform
import random
import statistics
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

from aftersales.nlp.normalise import _t2s, normalise
from aftersales.nlp.pii import mask_pii

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "online_shopping_10_cats"
    / ("online_shopping_10_cats.csv.gz")
)


def load_texts(n: int, seed: int = 0) -> tuple[list[str], str]:
    """A reproducible sample of real reviews, or synthetic ones when the data set is absent."""
    if DATA.exists():
        with gzip.open(DATA, "rb") as fh:
            rows = list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8")))
        texts = [r["review"].lstrip("\ufeff") for r in rows if r["cat"] != "酒店" and r["review"]]
        random.Random(seed).shuffle(texts)
        return texts[:n], "online_shopping_10_cats"
    rng = random.Random(seed)
    parts = [
        "這個商品質量太差了，",
        "这个order怎么还没到？？",
        "物流很快，包装完好👍",
        "客服态度恶劣😡😡",
        "我要退货！！！",
        "尺码偏小，换大一号。",
        "电话13800138000，",
        "地址：杭州市西湖区文三路100号5栋2单元301室",
        "订单号1234567890123456789",
        "It broke after two days :( ",
        "VERY DISAPPOINTED",
        "还行吧。。。",
    ]
    return ["".join(rng.choice(parts) for _ in range(rng.randint(1, 5))) for _ in range(n)], "synthetic"


def rate(func: Callable[[str], object], texts: list[str], runs: int) -> float:
    """Median texts/s over ``runs`` passes."""
    per_run = []
    for _ in range(runs):
        start = time.perf_counter()
        for t in texts:
            func(t)
        per_run.append(len(texts) / (time.perf_counter() - start))
    return round(statistics.median(per_run), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    texts, source = load_texts(args.n)
    convert = _t2s().convert
    for t in texts[:200]:  # warm caches and the OpenCC dictionaries
        mask_pii(normalise(t).text)

    def both(t: str) -> object:
        return mask_pii(normalise(t).text)

    lengths = sorted(len(t) for t in texts)
    result = {
        "benchmark": "normalise",
        "source": source,
        "texts": len(texts),
        "median_chars": lengths[len(lengths) // 2],
        "runs": args.runs,
        "python": platform.python_version(),
        "baseline_nfkc_per_s": rate(lambda t: unicodedata.normalize("NFKC", t), texts, args.runs),
        "baseline_opencc_t2s_per_s": rate(convert, texts, args.runs),
        "normalise_per_s": rate(normalise, texts, args.runs),
        "mask_pii_per_s": rate(mask_pii, texts, args.runs),
        "normalise_plus_mask_per_s": rate(both, texts, args.runs),
        "pii_spans_found": sum(len(mask_pii(t).spans) for t in texts),
    }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
