"""Report sections drawn from the insight services: reason Pareto, stated vs actual reasons, anomalies, changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aftersales.config import Settings
from aftersales.errors import InvalidInputError
from aftersales.reports import Chart, Column, ReportPeriod, Section, Table
from aftersales.reports.text import code_label, pick
from aftersales.services.insights import Filters, compare_stated_actual, compute_pareto, find_anomalies
from aftersales.vocab import Reason

ANOMALY_VIEWS = (("return_rate", "region"), ("return_rate", "category"), ("complaint_volume", "region"))
MAX_ANOMALIES = 10
MAX_CHANGES = 8


def pareto_section(settings: Settings, period: ReportPeriod, locale: str) -> Section | None:
    """Which few reasons make up most of the period's returns, as a bar + cumulative-share chart and a table."""
    result = compute_pareto(settings, "returns", Filters(start=period.start, end=period.end))
    bars = result["bars"]
    if not bars:
        return None
    names = [code_label(Reason, b["reason"], locale) for b in bars]
    figure = {
        "data": [
            {"type": "bar", "x": names, "y": [b["count"] for b in bars], "name": pick(locale, "退货数", "returns")},
            {
                "type": "scatter",
                "x": names,
                "y": [b["cumulative_share"] for b in bars],
                "yaxis": "y2",
                "mode": "lines+markers",
                "name": pick(locale, "累计占比", "cumulative share"),
            },
        ],
        "layout": {
            "height": 380,
            "margin": {"l": 50, "r": 50, "t": 30, "b": 90},
            "yaxis2": {"overlaying": "y", "side": "right", "range": [0, 1.05], "tickformat": ".0%"},
            "legend": {"orientation": "h", "y": 1.12},
        },
    }
    vital = [n for n, b in zip(names, bars, strict=True) if b["vital"]]
    summary = [
        pick(
            locale,
            f"本期共 {result['total']:,} 笔退货；{len(vital)} 个原因合计约占 80%：" + "、".join(vital),
            f"{result['total']:,} returns this period; {len(vital)} reasons make up about 80%: " + ", ".join(vital),
        )
    ]
    table = Table(
        "pareto",
        pick(locale, "退货原因帕累托", "Return reason Pareto"),
        [
            Column("reason", pick(locale, "原因", "Reason")),
            Column("count", pick(locale, "数量", "Count"), "int"),
            Column("share", pick(locale, "占比", "Share"), "pct"),
            Column("cumulative_share", pick(locale, "累计占比", "Cumulative"), "pct"),
        ],
        [
            {"reason": n, **{k: b[k] for k in ("count", "share", "cumulative_share")}}
            for n, b in zip(names, bars, strict=True)
        ],
        note=pick(locale, "来源：退货单上的原因代码。", "Source: the reason code on the return form."),
    )
    chart = Chart("pareto", pick(locale, "退货原因帕累托", "Return reason Pareto"), figure)
    return Section("pareto", pick(locale, "退货原因", "Return reasons"), summary, [table], [chart])


def reasons_section(settings: Settings, period: ReportPeriod, locale: str) -> Section | None:
    """Stated vs actual: where the form's reason code and the customer's own words disagree most."""
    result = compare_stated_actual(settings, Filters(start=period.start, end=period.end))
    if not result["with_messages"]:
        return None
    summary = [
        pick(
            locale,
            f"{result['with_messages']:,}/{result['returns']:,} 笔退货有客户留言可读；表单原因与客户原话一致率 "
            f"{result['agreement_rate']:.0%}（κ={result['kappa']:.2f}），"
            f"表单原因在原话中被提及 {result['mention_rate']:.0%}。",
            f"{result['with_messages']:,} of {result['returns']:,} returns have customer messages; the form's reason "
            f"agrees with the customer's own words in {result['agreement_rate']:.0%} (κ={result['kappa']:.2f}), "
            f"and is mentioned at all in {result['mention_rate']:.0%}.",
        )
    ]
    rows = [
        {
            "stated": code_label(Reason, m["stated"], locale),
            "actual": code_label(Reason, m["actual"], locale),
            "count": m["count"],
            "share": m["share_of_stated"],
            "examples": ", ".join(m["examples"][:5]),
        }
        for m in result["top_mismatches"][:10]
    ]
    table = Table(
        "stated-actual",
        pick(locale, "表单原因 vs 客户原话：主要偏差", "Stated vs actual reason: top mismatches"),
        [
            Column("stated", pick(locale, "表单原因", "Stated (form)")),
            Column("actual", pick(locale, "原话中的原因", "Actual (words)")),
            Column("count", pick(locale, "笔数", "Returns"), "int"),
            Column("share", pick(locale, "占该表单原因", "Share of stated"), "pct"),
            Column("examples", pick(locale, "示例退货单", "Example returns")),
        ],
        rows,
    )
    return Section("stated-actual", pick(locale, "表单原因与真实原因", "Stated vs actual reasons"), summary, [table])


def anomalies_section(settings: Settings, period: ReportPeriod, locale: str) -> Section:
    """Unusual weeks up to the period's end (season and promotions accounted for), newest first."""
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for metric, by in ANOMALY_VIEWS:
        try:
            result = find_anomalies(settings, metric, by, Filters(end=period.end))
        except InvalidInputError as exc:  # e.g. fewer than 3 regions: nothing fair to compare against
            notes.append(f"{metric} × {by}: {exc}")
            continue
        for a in result["anomalies"]:
            rows.append(
                {
                    "metric": metric,
                    "by": by,
                    "value": a["value"],
                    "start": dt.date.fromisoformat(a["start"]),
                    "end": dt.date.fromisoformat(a["end"]),
                    "ratio": a["ratio"],
                    "q_value": a["q_value"],
                    "in_period": a["end"] >= period.start.isoformat(),
                    "explanation": a["explanation_zh" if locale.lower().startswith("zh") else "explanation_en"],
                }
            )
    rows.sort(key=lambda r: (not r["in_period"], -r["end"].toordinal(), r["q_value"]))
    rows = rows[:MAX_ANOMALIES]
    for row in rows:
        row["in_period"] = pick(locale, "是", "yes") if row["in_period"] else ""
    recent = sum(1 for r in rows if r["in_period"])
    summary = [
        pick(
            locale,
            f"截至 {period.end} 共发现 {len(rows)} 个显著异常（BH 校正，季节与大促已计入），其中 {recent} 个落在本期。",
            f"{len(rows)} significant anomalies up to {period.end} (Benjamini–Hochberg; season and promotions "
            f"accounted for), {recent} of them in this period.",
        )
    ]
    table = Table(
        "anomalies",
        pick(locale, "异常", "Anomalies"),
        [
            Column("value", pick(locale, "对象", "Where")),
            Column("metric", pick(locale, "指标", "Metric")),
            Column("start", pick(locale, "开始", "From"), "date"),
            Column("end", pick(locale, "结束", "To"), "date"),
            Column("ratio", pick(locale, "实际/预期", "Observed/expected"), "float"),
            Column("q_value", pick(locale, "q 值", "q"), "float"),
            Column("in_period", pick(locale, "本期", "In period")),
            Column("explanation", pick(locale, "说明", "Explanation")),
        ],
        rows,
        note="; ".join(notes),
    )
    return Section("anomalies", pick(locale, "异常监测", "Anomalies"), summary, [table])


def changes_section(settings: Settings, period: ReportPeriod, locale: str) -> Section | None:
    """Which SKU × reason return rates moved to a new level up to the period's end (scanned, no hint), ranked."""
    from aftersales.services.changes import scan_changepoints

    result = scan_changepoints(
        settings, "return_rate", "sku", Filters(end=period.end), per_reason=True, limit=MAX_CHANGES
    )
    if not result["tested"]:
        return None
    zh = locale.lower().startswith("zh")
    rows = [
        {
            "sku": c["sku"],
            "reason": code_label(Reason, c["reason"], locale),
            "date": dt.date.fromisoformat(c["date"]),
            "before": c["before"],
            "after": c["after"],
            "change": c["change"],
            "p_value": c["p_value"],
            "q_value": c["q_value"],
            "significant": pick(locale, "是", "yes") if c["significant"] else "",
            "explanation": c["explanation_zh" if zh else "explanation_en"],
        }
        for c in result["changes"]
    ]
    summary = [
        pick(
            locale,
            f"逐一检验了 {result['tested']} 个“商品 × 退货原因”退货率序列是否在某周起发生持续变化（已计入搜索变点位置的"
            f"多重性），{result['significant']} 个在 5% 错误发现率下显著。排在前面的是最值得核实的候选。",
            f"{result['tested']} SKU × reason return-rate series were each tested for one lasting change of level "
            f"(the search over weeks accounted for); {result['significant']} pass a 5 % false-discovery rate. The "
            "top rows are the candidates most worth checking.",
        )
    ]
    table = Table(
        "changes",
        pick(locale, "水平变化", "Changes of level"),
        [
            Column("sku", pick(locale, "商品", "SKU")),
            Column("reason", pick(locale, "原因", "Reason")),
            Column("date", pick(locale, "起始周", "From week"), "date"),
            Column("before", pick(locale, "之前", "Before"), "pct"),
            Column("after", pick(locale, "之后", "After"), "pct"),
            Column("change", pick(locale, "变化", "Change"), "pct"),
            Column("p_value", pick(locale, "p 值", "p"), "float"),
            Column("q_value", pick(locale, "q 值", "q"), "float"),
            Column("significant", pick(locale, "显著", "Significant")),
            Column("explanation", pick(locale, "说明", "Explanation")),
        ],
        rows,
    )
    return Section(
        "changes", pick(locale, "持续变化（商品 × 原因）", "Lasting changes (SKU × reason)"), summary, [table]
    )


def forecast_section(settings: Settings, period: ReportPeriod, locale: str) -> Section | None:
    """The next 8 weeks of returns per category from the period's end, with intervals and the backtest error."""
    from aftersales.services.forecast import forecast_volume

    result = forecast_volume(settings, "returns", "category", until=period.end)
    series = result["series"]
    if not series:
        return None
    rows = []
    for s in series:
        points = s["points"]
        rows.append(
            {
                "series": s["series"],
                "model": s["model"],
                "next_4": sum(p["mean"] for p in points[:4]),
                "next_8": sum(p["mean"] for p in points),
                "lo95": points[0]["lo95"],
                "hi95": points[0]["hi95"],
                "mase": s.get("mase"),
                "naive_mase": s.get("naive_mase"),
                "smape": None if s.get("smape") is None else s["smape"] / 100,
            }
        )
    top = max(series, key=lambda s: s["total"])
    history = top.get("history") or []
    points = top["points"]
    weeks = [p["week"] for p in points]
    actual: dict[str, Any] = {"type": "scatter", "mode": "lines", "name": pick(locale, "实际", "actual")}
    actual |= {"x": [h["week"] for h in history], "y": [h["y"] for h in history]}
    mean: dict[str, Any] = {"type": "scatter", "mode": "lines+markers", "name": pick(locale, "预测", "forecast")}
    mean |= {"x": weeks, "y": [p["mean"] for p in points]}
    figure = {
        "data": [actual, _band(points, "95", 0.25), _band(points, "80", 0.35), mean],
        "layout": {"height": 360, "margin": {"l": 50, "r": 20, "t": 30, "b": 40}},
    }
    beat = sum(1 for r in rows if r["mase"] is not None and r["naive_mase"] is not None and r["mase"] < r["naive_mase"])
    summary = [
        pick(
            locale,
            f"按品类预测未来 {result['horizon']} 周退货量（至 {period.end} 的完整周为训练数据）；"
            f"{beat}/{len(rows)} 个品类的回测误差优于朴素预测。",
            f"Weekly returns per category for the next {result['horizon']} weeks (trained on complete weeks up to "
            f"{period.end}); {beat} of {len(rows)} categories beat the naive forecast in backtests.",
        )
    ]
    table = Table(
        "forecast",
        pick(locale, "退货量预测（按品类）", "Return volume forecast by category"),
        [
            Column("series", pick(locale, "品类", "Category")),
            Column("model", pick(locale, "模型", "Model")),
            Column("next_4", pick(locale, "未来4周", "Next 4 weeks"), "float"),
            Column("next_8", pick(locale, "未来8周", "Next 8 weeks"), "float"),
            Column("lo95", pick(locale, "首周95%下限", "Week 1 95% low"), "float"),
            Column("hi95", pick(locale, "首周95%上限", "Week 1 95% high"), "float"),
            Column("mase", "MASE", "float"),
            Column("naive_mase", pick(locale, "朴素MASE", "Naive MASE"), "float"),
            Column("smape", "sMAPE", "pct"),
        ],
        rows,
        note=result.get("note", ""),
    )
    chart = Chart("forecast", pick(locale, f"{top['series']}：退货量预测", f"{top['series']}: return forecast"), figure)
    return Section("forecast", pick(locale, "预测", "Forecasts"), summary, [table], [chart])


def segments_section(settings: Settings, period: ReportPeriod, locale: str) -> Section | None:
    """Customer segments with profiles, and the customers buying less since a bad experience."""
    from aftersales.services.segments import at_risk_customers, customer_segments

    zh = locale.lower().startswith("zh")
    try:
        seg = customer_segments(settings)
    except InvalidInputError:
        return None  # too few customers to segment: nothing to show
    risk = at_risk_customers(settings, limit=10, locale=locale)
    segments = Table(
        "segments",
        pick(locale, "客户分群", "Customer segments"),
        [
            Column("name", pick(locale, "分群", "Segment")),
            Column("size", pick(locale, "人数", "Customers"), "int"),
            Column("share", pick(locale, "占比", "Share"), "pct"),
            Column("orders", pick(locale, "平均订单", "Orders (mean)"), "float"),
            Column("return_rate", pick(locale, "退货率", "Return rate"), "pct"),
            Column("negative_share", pick(locale, "负面留言占比", "Negative messages"), "pct"),
            Column("at_risk_share", pick(locale, "流失预警占比", "At risk"), "pct"),
        ],
        [
            {
                "name": s["name_zh" if zh else "name_en"],
                "size": s["size"],
                "share": s["share"],
                "orders": s["means"]["orders"],
                "return_rate": s["means"]["return_rate"],
                "negative_share": s["means"]["negative_share"],
                "at_risk_share": s["at_risk_share"],
            }
            for s in seg["segments"]
        ],
        note=seg["note"],
    )
    at_risk = Table(
        "at-risk",
        pick(locale, "流失预警客户（前 10）", "At-risk customers (top 10)"),
        [
            Column("customer_id", pick(locale, "客户", "Customer")),
            Column("risk", pick(locale, "风险", "Risk"), "float"),
            Column("orders_after", pick(locale, "此后订单", "Orders since"), "int"),
            Column("expected_after", pick(locale, "应有订单", "Expected"), "float"),
            Column("why", pick(locale, "原因", "Why")),
        ],
        [_risk_row(r) for r in risk["data"]],
        note=risk["note"],
    )
    summary = [
        pick(
            locale,
            f"{seg['customers']:,} 位客户分为 {seg['k']} 群；{risk['listed']:,} 位客户在不愉快的售后经历后明显少买。",
            f"{seg['customers']:,} customers in {seg['k']} segments; {risk['listed']:,} buy clearly less since a bad "
            "after-sales experience.",
        )
    ]
    return Section(
        "segments", pick(locale, "客户分群与流失预警", "Segments and at-risk customers"), summary, [segments, at_risk]
    )


def _band(points: list[dict[str, Any]], level: str, opacity: float) -> dict[str, Any]:
    """A shaded prediction interval: up along the upper bound, back along the lower one."""
    weeks = [p["week"] for p in points]
    upper, lower = [p[f"hi{level}"] for p in points], [p[f"lo{level}"] for p in points]
    return {
        "type": "scatter",
        "x": weeks + weeks[::-1],
        "y": upper + lower[::-1],
        "fill": "toself",
        "line": {"width": 0},
        "opacity": opacity,
        "name": f"{level}%",
    }


def _risk_row(row: dict[str, Any]) -> dict[str, Any]:
    keep = ("customer_id", "risk", "orders_after", "expected_after")
    return {k: row[k] for k in keep} | {"why": "；".join(row["reasons"])}


def actions_section(settings: Settings, period: ReportPeriod, locale: str) -> Section | None:
    """Improvement actions started by the period's end, each with its measured effect on its target KPI."""
    from aftersales.errors import AftersalesError
    from aftersales.services.actions import action_effect, list_actions

    zh = locale.lower().startswith("zh")
    actions = [
        a for a in list_actions(limit=1000, settings=settings)["data"] if a["start_date"] <= period.end.isoformat()
    ]
    if not actions:
        return None
    rows, summary = [], []
    for action in actions:
        row: dict[str, Any] = {
            "action_id": action["action_id"],
            "title": action["title"],
            "start_date": dt.date.fromisoformat(action["start_date"]),
            "owner": action.get("owner") or "",
            "kpi": action["target_kpi"],
        }
        try:
            effect = action_effect(action["action_id"], settings)
        except AftersalesError as exc:  # e.g. no events after the start yet: say why, keep the other actions
            row |= {"effect": None, "summary": str(exc)}
        else:
            row |= {
                "effect": effect["relative"],
                "ci": f"{effect['rel_ci_low']:+.0%} ~ {effect['rel_ci_high']:+.0%}",
                "p_value": effect["p_value"],
                "significant": pick(locale, "是", "yes") if effect["significant"] else pick(locale, "否", "no"),
                "summary": effect["summary_zh" if zh else "summary_en"],
            }
            summary.append(
                f"{action['title']}：{effect['summary_zh']}" if zh else f"{action['title']}: {effect['summary_en']}"
            )
        rows.append(row)
    table = Table(
        "actions",
        pick(locale, "改进措施及其效果", "Improvement actions and their effect"),
        [
            Column("action_id", pick(locale, "编号", "Id")),
            Column("title", pick(locale, "措施", "Action")),
            Column("start_date", pick(locale, "开始", "Start"), "date"),
            Column("owner", pick(locale, "负责人", "Owner")),
            Column("kpi", pick(locale, "目标指标", "Target KPI")),
            Column("effect", pick(locale, "效果", "Effect"), "pct"),
            Column("ci", "95% CI"),
            Column("p_value", "p", "float"),
            Column("significant", pick(locale, "显著", "Significant")),
            Column("summary", pick(locale, "说明", "Explanation")),
        ],
        rows,
        note=pick(
            locale,
            "双重差分（对照为同品类相近商品）或中断时间序列；效果 = 相对反事实水平的变化，使用截至今日的全部成熟数据。",
            "Difference-in-differences against similar untreated units (else an interrupted time series); effect = "
            "change against the counterfactual level, using all mature data to date.",
        ),
    )
    return Section("actions", pick(locale, "改进措施", "Improvement actions"), summary, [table])
