"""Web assets that must track other packages: the vendored plotly.js bundle, display names of signal features."""

from __future__ import annotations

import re
from importlib import resources

from plotly.offline import get_plotlyjs_version


def test_vendored_basic_bundle_matches_the_plotly_package() -> None:
    vendor = resources.files("aftersales.web") / "static" / "vendor"
    head = (vendor / "plotly-basic.min.js").read_text(encoding="utf-8")[:400]
    match = re.search(r"plotly\.js \(basic - minified\) v(\d+\.\d+\.\d+)", head)
    assert match, "the vendored file is not plotly.js's basic bundle"
    assert match.group(1) == get_plotlyjs_version(), (
        "re-vendor plotly.js-basic-dist-min at the plotly package's version"
    )
    assert "MIT" in (vendor / "plotly-basic.LICENSE").read_text(encoding="utf-8")


def test_every_behaviour_feature_has_a_display_name() -> None:
    import json

    from aftersales.signals.engine import FEATURES

    catalogues = resources.files("aftersales.web") / "i18n"
    for name in ("zh-CN.json", "en.json"):
        keys = json.loads((catalogues / name).read_text(encoding="utf-8"))
        missing = [f for f in FEATURES if f"feature.{f}" not in keys]
        assert not missing, f"{name}: churn factors would show raw codes: {missing}"
