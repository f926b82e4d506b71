"""One hashing pass serves every model: restricting the widest features equals hashing with the narrower config."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.nlp.models.features import HashingFeaturizer

TEXTS = st.lists(st.text(min_size=0, max_size=40), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(texts=TEXTS, n_max=st.integers(1, 4), bits=st.integers(12, 20), weighting=st.sampled_from(["sqrt", "binary"]))
def test_restrict_equals_a_direct_transform(texts: list[str], n_max: int, bits: int, weighting: str) -> None:
    wide = HashingFeaturizer(bits=20, n_min=1, n_max=4).transform(texts)
    direct = HashingFeaturizer(bits=bits, n_min=1, n_max=n_max, weighting=weighting).transform(texts)
    got = wide.restrict(n_max, bits, weighting)
    for name in ("indices", "values", "indptr", "starts", "lengths"):
        np.testing.assert_array_equal(getattr(got, name), getattr(direct, name), err_msg=name)


def test_the_analyzer_gives_the_same_probabilities_with_one_pass() -> None:
    from aftersales import Analyzer
    from aftersales.nlp.normalise import normalise

    analyzer = Analyzer.default()
    texts = [
        "快递一周了还没到，急用！！",
        "用了两天就坏了，再不退款我就去12315投诉！！！",
        "Works fine, thanks!",
        "",
        "😡😡",
    ]
    norms = [normalise(t) for t in texts]
    shared = analyzer.model_probabilities(norms)
    assert len(analyzer._groups) > 1  # the shipped models use several featuriser configurations
    for tasks in analyzer._groups.values():
        feats = analyzer.models[tasks[0]].featurizer.transform([n.text for n in norms])
        for task in tasks:
            np.testing.assert_array_equal(shared[task], analyzer.models[task].proba_from_features(feats))
