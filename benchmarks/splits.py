"""How long the training and evaluation splits take to build, and what keying the texts costs (JSON out).

    python benchmarks/splits.py [--repeat 3]      (needs ../shared/data)

`load_splits` keys every text of every corpus (`datasets.key_of`) to de-duplicate and to keep test texts out of
training; `held_out_split(NAME)` builds one held-out split alone (what `aftersales eval --dataset NAME` reads). The
key's text has been `normalise.normalised_text` since stop 27; the baseline in the same run keys the same texts
through the whole `normalise` (language detection and cues included), as `key_of` did before. Medians of `--repeat`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from machine import snapshot  # sibling benchmark: the VM's state beside every timing

from aftersales.nlp import datasets as ds
from aftersales.nlp import train as tr
from aftersales.nlp.normalise import normalise, normalised_text


def _median_s(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def main(repeat: int) -> dict[str, Any]:
    """Seconds of each step; the two key paths must give the same texts."""
    out: dict[str, Any] = snapshot("before")
    texts = [str(t) for t in ds.online_shopping_10_cats()["text"]] + [str(t) for t in ds.waimai_10k()["text"]]
    if [normalise(t).text for t in texts[:2000]] != [normalised_text(t) for t in texts[:2000]]:
        raise SystemExit("normalised_text differs from normalise(...).text: the keys would change")
    out["review_texts"] = len(texts)
    out["key_text_s"] = {
        "normalised_text": _median_s(lambda: [normalised_text(t) for t in texts], repeat),
        "normalise_baseline": _median_s(lambda: [normalise(t).text for t in texts], repeat),
    }
    out["load_splits_s"] = _median_s(tr.load_splits, repeat)
    out["held_out_split_s"] = {name: _median_s(partial(tr.held_out_split, name), repeat) for name in tr.TEST_SPLITS}
    return out | snapshot("after")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    print(json.dumps(main(parser.parse_args().repeat), indent=1))
