"""Effect estimators on simulated panels: a planted effect is recovered within its CI, a null effect is significant
at about the nominal rate over seeds, the ITS path, the cluster-robust path against statsmodels, control selection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aftersales.analytics import effects as E
from aftersales.errors import InvalidInputError


def simulate(
    seed: int,
    *,
    units: int = 7,
    treated: int = 1,
    periods: int = 60,
    start: int = 30,
    effect: float = 0.0,
    orders: int = 40,
    base: float = 0.05,
    rho: float = 0.5,
    sd: float = 0.1,
) -> pd.DataFrame:
    """Binomial return rates: unit levels, a shared AR(1) seasonal shock, unit AR(1) shocks, a multiplicative effect."""
    rng = np.random.default_rng(seed)
    common = np.zeros(periods)
    for t in range(1, periods):
        common[t] = rho * common[t - 1] + rng.normal(0, sd)
    rows = []
    for u in range(units):
        level, shock = base * rng.uniform(0.5, 1.5), 0.0
        for t in range(periods):
            shock = rho * shock + rng.normal(0, sd)
            p = level * np.exp(common[t] + shock) * ((1 + effect) if u < treated and t >= start else 1.0)
            n = int(rng.poisson(orders)) + 1
            rows.append((f"U{u}", t, rng.binomial(n, min(p, 1.0)) / n, float(n)))
    return pd.DataFrame(rows, columns=["unit", "period", "y", "w"])


def treated_units(n: int) -> list[str]:
    return [f"U{i}" for i in range(n)]


@pytest.mark.parametrize(
    ("method", "model", "kwargs"),
    [
        ("did", "poisson", {"effect": -0.5}),
        ("did", "poisson", {"effect": 0.4, "orders": 200}),
        ("did", "linear", {"effect": -0.5, "orders": 400, "sd": 0.02}),
        ("did", "poisson", {"effect": -0.3, "units": 24, "treated": 12}),
        ("its", "poisson", {"effect": -0.5, "units": 1, "rho": 0.0, "orders": 2000, "sd": 0.02}),
        ("its", "linear", {"effect": -0.5, "units": 1, "rho": 0.0, "orders": 2000, "sd": 0.02}),
    ],
)
def test_a_planted_effect_is_recovered_within_its_ci(method: str, model: str, kwargs: dict[str, float]) -> None:
    treated = treated_units(int(kwargs.get("treated", 1)))
    panel = simulate(3, **kwargs)  # type: ignore[arg-type]
    est = E.did(panel, treated, 30, model) if method == "did" else E.its(E.aggregate(panel, treated), 30, model)
    assert est.method == method and est.model == model
    assert est.rel_ci_low is not None and est.rel_ci_high is not None and est.relative is not None
    assert est.rel_ci_low <= kwargs["effect"] <= est.rel_ci_high
    assert est.significant and np.sign(est.relative) == np.sign(kwargs["effect"])
    assert est.counterfactual == pytest.approx(est.observed - est.estimate)
    assert est.ci_low <= est.estimate <= est.ci_high


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("did", {}),  # one treated SKU among seven, serially correlated shocks: Driscoll–Kraay path
        ("did", {"orders": 11, "base": 0.03, "periods": 70, "start": 35, "units": 6, "rho": 0.3}),  # sparse events
        ("its", {"units": 1, "rho": 0.5}),
    ],
)
def test_a_null_effect_is_significant_at_about_the_nominal_rate(method: str, kwargs: dict[str, float]) -> None:
    seeds = 120
    start = int(kwargs.get("start", 30))
    rejections = 0
    for seed in range(seeds):
        panel = simulate(1000 + seed, **kwargs)  # type: ignore[arg-type]
        est = E.did(panel, ["U0"], start) if method == "did" else E.its(E.aggregate(panel, ["U0"]), start)
        rejections += est.significant
    # nominal 5 %: 6 of 120 expected; 14 or more would happen by chance with probability < 0.3 %
    assert rejections / seeds < 0.12


def test_the_inference_depends_on_how_many_treated_and_control_units_there_are() -> None:
    assert E.did(simulate(1), ["U0"], 30).inference == "driscoll_kraay"
    many = simulate(1, units=24, treated=12)
    assert E.did(many, treated_units(12), 30).inference == "cluster_robust"
    assert E.its(E.aggregate(many, ["U0"]), 30).inference == "hac_ar1"


def test_cluster_robust_errors_match_statsmodels() -> None:
    sm = pytest.importorskip("statsmodels.api")
    panel = simulate(5, units=24, treated=12, effect=-0.2, orders=300)
    est = E.did(panel, treated_units(12), 30, model="linear")
    data = panel.assign(treat=((panel["unit"].isin(treated_units(12))) & (panel["period"] >= 30)).astype(float))
    x = pd.get_dummies(data[["treat", "unit", "period"]].astype({"period": str}), drop_first=True, dtype=float)
    fit = sm.WLS(data["y"], sm.add_constant(x), weights=data["w"]).fit(
        cov_type="cluster", cov_kwds={"groups": pd.factorize(data["unit"])[0]}
    )
    assert est.estimate == pytest.approx(fit.params["treat"], rel=1e-8)
    assert est.se == pytest.approx(fit.bse["treat"], rel=1e-6)


def test_the_pre_trend_check_flags_diverging_groups() -> None:
    panel = simulate(2, orders=400, sd=0.02)
    drift = panel["unit"].eq("U0") & (panel["period"] < 30)
    panel.loc[drift, "y"] *= 1 + 0.03 * (panel.loc[drift, "period"] - 30)  # U0 was falling towards the start
    assert E.did(panel, ["U0"], 30).pretrend_p < 0.01  # type: ignore[operator]
    assert E.did(simulate(2, orders=400, sd=0.02), ["U0"], 30).pretrend_p > 0.05  # type: ignore[operator]


def test_controls_are_the_nearest_in_pre_period_level_and_trend() -> None:
    rows = []
    units = [("T", 0.05, 0.0), ("near", 0.048, 0.0005), ("far", 0.2, 0.0), ("tilted", 0.05, 0.004), ("low", 0.03, 0.0)]
    for unit, level, slope in units:
        rows += [(unit, t, level + slope * (t - 10), 100.0) for t in range(20)]
    panel = pd.DataFrame(rows, columns=["unit", "period", "y", "w"])
    ranked = E.select_controls(panel, ["T"], ["far", "tilted", "near", "low", "T", "missing"], 20, k=2)
    assert [c.unit for c in ranked] == ["low", "near", "far", "tilted"]  # the treated and unknown units never
    assert [c.chosen for c in ranked] == [True, True, False, False]
    assert ranked[1].slope == pytest.approx(0.0005)


@pytest.mark.parametrize(
    ("estimate", "observed", "ci", "expected"),
    [
        (-0.04, 0.01, (-0.05, -0.02), (-0.8, -0.8333, -0.6667)),
        (0.01, 0.03, (-0.01, 0.02), (0.5, -0.25, 2.0)),
        (0.0, 0.02, (-0.01, 0.03), (0.0, -1 / 3, None)),  # an upper end beyond the observed level is unbounded
    ],
)
def test_relative_effect_maps_the_ci_through_the_counterfactual(
    estimate: float, observed: float, ci: tuple[float, float], expected: tuple[float | None, ...]
) -> None:
    got = E.relative_effect(estimate, observed, ci)
    for value, want in zip(got, expected, strict=True):
        assert (value is None) if want is None else value == pytest.approx(want, abs=1e-4)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: E.did(p, ["U0"], 2), "not enough mature periods.*2 before the start"),
        (lambda p: E.did(p, ["U0"], 59), "1 after it"),
        (lambda p: E.did(p[p["unit"] == "U0"], ["U0"], 30), "at least one treated and one control"),
        (lambda p: E.did(p, ["nobody"], 30), "at least one treated"),
        (lambda p: E.did(p, ["U0"], 30, model="logit"), "unknown effect model"),
        (lambda p: E.did(p.drop(columns="w"), ["U0"], 30), "lacks columns: w"),
        (
            lambda p: E.did(p.assign(y=p["y"].where((p["unit"] != "U0") | (p["period"] < 30), 0.0)), ["U0"], 30),
            "treated units have no events after the start",
        ),
        (lambda p: E.its(E.aggregate(p.assign(y=0.0), ["U0"]), 30), "no events"),
    ],
)
def test_bad_panels_are_explained(call: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call(simulate(0))  # type: ignore[operator]


def test_poisson_refuses_negative_values() -> None:
    panel = simulate(0).assign(y=lambda d: d["y"] - 0.5)
    with pytest.raises(InvalidInputError, match="non-negative"):
        E.did(panel, ["U0"], 30)
    assert E.did(panel, ["U0"], 30, model="linear").relative is None  # counterfactual ≤ 0: no relative effect
