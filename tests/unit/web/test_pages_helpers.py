"""The pure helpers behind the round-2 pages: links, figures, form parsing, line-numbered errors, the short cache."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.datastructures import FormData

from aftersales.services.dashboard import TtlCache
from aftersales.web import figures, i18n
from aftersales.web.routes.actions import action_from_form
from aftersales.web.routes.ask import _columns
from aftersales.web.routes.insights import heat
from aftersales.web.routes.settings import compact, numbered


def _anomaly(dim: str, value: str) -> dict[str, Any]:
    return {"dimension": dim, "value": value, "start": "2026-04-06", "end": "2026-05-03"}


def test_anomaly_links_point_at_the_rows_behind_the_window() -> None:
    links = figures.anomaly_links(_anomaly("region", "西南"), "return_rate", {"category": "家电", "from": "2025-01-01"})
    url = urlsplit(links["returns"])
    assert url.path == "/insights/pareto"
    assert parse_qs(url.query) == {
        "category": ["家电"],
        "from": ["2026-04-06"],
        "to": ["2026-05-03"],
        "region": ["西南"],
        "source": ["returns"],
    }
    complaints = figures.anomaly_links(_anomaly("region", "西南"), "complaint_volume", {})
    assert set(complaints) == {"messages", "cases"} and complaints["cases"].startswith("/cases/drill?")
    assert set(figures.anomaly_links(_anomaly("sku", "HA-101"), "complaint_volume", {})) == {"messages"}


def test_page_url_drops_empty_values() -> None:
    assert figures.page_url("/x", {"a": None, "b": "", "c": "1"}, d=2) == "/x?c=1&d=2"
    assert figures.page_url("/x", {}) == "/x"


def test_forecast_figure_draws_the_95_band_under_the_80_band() -> None:
    points = [
        {"week": "2026-11-02", "mean": 5.0, "lo80": 3.0, "hi80": 7.0, "lo95": 2.0, "hi95": 8.0, "promotion": "双11"}
    ]
    fig = figures.forecast_figure({"history": [{"week": "2026-10-26", "y": 4.0}], "points": points}, "en")
    names = [t.get("name") for t in fig["data"]]
    assert names.index("95 % interval") < names.index("80 % interval") < names.index("Forecast")
    assert fig["data"][1]["fill"] == "tonexty" and fig["data"][1]["y"] == [2.0]


def test_effect_figure_marks_the_start() -> None:
    effect = {"start_date": "2026-02-16", "kpi": "return_rate", "series": [
        {"period_start": "2026-02-09", "treated": 0.05, "control": 0.04},
        {"period_start": "2026-02-16", "treated": 0.01, "control": 0.04},
    ]}  # fmt: skip
    fig = figures.effect_figure(effect, "zh-CN")
    assert [t["name"] for t in fig["data"]] == ["处理组", "对照组"]
    assert fig["layout"]["shapes"][0]["x0"] == "2026-02-16" and fig["layout"]["yaxis"]["tickformat"] == ".1%"


@pytest.mark.parametrize(("count", "total", "white"), [(0, 10, None), (1, 100, False), (90, 100, True)])
def test_heat_cells_keep_text_readable(count: int, total: int, white: bool | None) -> None:
    style = heat(count, total)
    if white is None:
        assert style == ""
    else:
        assert ("color: #fff" in style) is white


def test_numbered_attaches_errors_to_their_lines() -> None:
    text = "name: x\nrules:\n  - id: a\n"
    errors = ['<request>:3: rule "a": must set something', "<request>:2:1: YAML error: bad", "no line here"]
    lines = numbered(text, errors)
    assert [len(line["errors"]) for line in lines] == [0, 1, 1]
    assert lines[2]["errors"] == ['rule "a": must set something']


def test_compact_hides_unset_effects() -> None:
    assert compact({"priority": None, "queue": "vip", "strategy": [], "sla": None, "auto_reply": False}) == {
        "queue": "vip",
        "auto_reply": False,
    }


def test_action_form_becomes_the_api_body() -> None:
    fields = [
        ("title", " 说明书改版 "),
        ("sku", "HA-101，HA-102\nHA-103"),
        ("reason", "hard_to_use"),
        ("region", "华东"),
    ]
    fields += [("start_date", "2026-02-16"), ("end_date", ""), ("target_kpi", ""), ("status", "")]
    form = FormData(fields)
    body = action_from_form(form)
    assert body["title"] == "说明书改版" and body["start_date"] == dt.date(2026, 2, 16) and body["end_date"] is None
    assert body["scope"] == {"sku": ["HA-101", "HA-102", "HA-103"], "region": ["华东"], "reason": ["hard_to_use"]}
    assert body["target_kpi"] == "return_rate" and body["status"] == "active"


def test_ask_columns_follow_the_query() -> None:
    single = {"query": {"metrics": ["return_rate"], "by": "region"}, "rows": [{"label": "华东"}]}
    assert _columns(single) == ["label", "value", "target", "previous", "trend", "n"]
    several = {"query": {"metrics": ["csat", "nps"], "by": None}, "rows": [{"period": "2026-10", "year_ago": 1}]}
    assert _columns(several) == ["period", "kpi", "value", "target", "previous", "trend", "year_ago", "n"]


def test_ttl_cache_expires_and_can_be_off() -> None:
    cache, calls = TtlCache(max_entries=2), []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    assert cache.get("a", 60, compute) == 1 and cache.get("a", 60, compute) == 1
    assert cache.get("a", 0, compute) == 2  # ttl 0: always fresh
    cache.get("b", 60, compute)
    cache.get("c", 60, compute)  # over max_entries: the cache starts over rather than grow
    assert len(cache._entries) <= 2
    cache.clear()
    assert cache.get("a", 60, compute) == 5


def test_no_reason_has_a_name() -> None:
    assert i18n.vocab_label("zh-CN", "reason", "none") == i18n.translate("zh-CN", "label.no_reason")
