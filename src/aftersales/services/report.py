"""Build a report for one period from the same services the CLI and API use, and write it as HTML and XLSX.

Each section builder takes (settings, period, locale) and returns a Section or None (nothing to show); a section
that fails is reported inside the report instead of losing the whole report.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, select

from aftersales.analytics.kpis import KPIS, get_kpi
from aftersales.config import Settings
from aftersales.nlp.pii import mask_pii
from aftersales.reports import Chart, Column, Report, ReportPeriod, Section, Table, parse_period
from aftersales.reports.text import code_label, pick, t
from aftersales.services.kpi import compute_kpis, windows
from aftersales.storage import db
from aftersales.storage.tables import analyses, customers, interactions
from aftersales.vocab import Emotion, Reason, Stage

log = logging.getLogger(__name__)

SectionBuilder = Callable[[Settings, ReportPeriod, str], Section | None]
UNIT_KIND = {"ratio": "pct", "count": "int", "amount": "amount", "minutes": "float", "score": "float", "hours": "float"}
HEADLINE = ("return_rate", "complaint_volume", "csat", "negative_share", "first_response_minutes", "reopen_rate")
TREND_PERIODS = 6
VERBATIMS = 12


def _history(settings: Settings, period: ReportPeriod, names: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """KPI values for the report period and the ones before it, oldest first (the trend charts' points)."""
    points: list[tuple[str, dict[str, Any]]] = []
    current: ReportPeriod | None = period
    for _ in range(TREND_PERIODS):
        assert current is not None
        rows = compute_kpis(settings, start=current.start, end=current.end)
        points.append((current.label, {r["kpi"]: r["value"] for r in rows if r["kpi"] in names}))
        current = current.previous()
    return points[::-1]


def kpi_section(settings: Settings, period: ReportPeriod, locale: str) -> Section:
    """The seeds' 指标 / 当前值 / 目标值 / 趋势 table, plus headline KPIs over the last periods."""
    rows = compute_kpis(settings, start=period.start, end=period.end)
    arrows = {"up": "↑", "down": "↓", "flat": "→"}
    table_rows = []
    for row in rows:
        kpi = get_kpi(row["kpi"])
        kind = UNIT_KIND.get(kpi.unit, "float")
        table_rows.append(
            {
                "kpi": kpi.label(locale),
                "value": row["value"],
                "target": row["target"],
                "previous": row["previous"],
                "trend": arrows.get(row["trend"] or "", "-"),
                "n": row["n"],
                "_kinds": {"value": kind, "target": kind, "previous": kind},
                "_trend_class": "" if row["better"] is None else ("better" if row["better"] else "worse"),
            }
        )
    table = Table(
        "kpis",
        pick(locale, "关键指标", "Key performance indicators"),
        [
            Column("kpi", pick(locale, "指标", "KPI")),
            Column("value", pick(locale, "当前值", "Value"), "float"),
            Column("target", pick(locale, "目标值", "Target"), "float"),
            Column("previous", pick(locale, "上期", "Previous"), "float"),
            Column("trend", pick(locale, "趋势", "Trend")),
            Column("n", pick(locale, "样本数", "n"), "int"),
        ],
        table_rows,
        note=pick(
            locale,
            "上期 = 紧邻本期之前、天数相同的时段；绿色箭头表示向好，红色表示变差。",
            "Previous = the window of the same length just before; green arrows are better, red worse.",
        ),
    )
    off_target = [
        r
        for r in rows
        if r["value"] is not None and r["target"] is not None and _misses(r["kpi"], r["value"], r["target"])
    ]
    summary = (
        [
            pick(
                locale,
                f"{len(off_target)} 项指标未达目标：" + "、".join(get_kpi(r["kpi"]).zh for r in off_target),
                f"{len(off_target)} KPIs miss their target: " + ", ".join(get_kpi(r["kpi"]).en for r in off_target),
            )
        ]
        if off_target
        else []
    )
    return Section(
        "kpis",
        pick(locale, "指标与目标", "KPIs and targets"),
        summary,
        [table],
        [_trend_chart(settings, period, locale)],
    )


def _misses(name: str, value: float, target: float) -> bool:
    from aftersales.analytics.kpis import Direction

    kpi = get_kpi(name)
    return value > target if kpi.direction is Direction.LOWER_IS_BETTER else value < target


def _trend_chart(settings: Settings, period: ReportPeriod, locale: str) -> Chart:
    from plotly.subplots import make_subplots

    names = tuple(n for n in HEADLINE if n in KPIS)
    points = _history(settings, period, names)
    fig = make_subplots(rows=2, cols=3, subplot_titles=[get_kpi(n).label(locale) for n in names])
    for i, name in enumerate(names):
        kpi = get_kpi(name)
        fig.add_scatter(
            x=[label for label, _ in points],
            y=[values.get(name) for _, values in points],
            mode="lines+markers",
            name=kpi.label(locale),
            row=i // 3 + 1,
            col=i % 3 + 1,
        )
        if kpi.unit == "ratio":
            fig.update_yaxes(tickformat=".0%", row=i // 3 + 1, col=i % 3 + 1)
    fig.update_layout(height=520, showlegend=False, margin={"l": 40, "r": 20, "t": 60, "b": 40})
    return Chart("kpi-trends", pick(locale, "指标走势", "KPI trends"), fig.to_plotly_json())


def verbatims_section(settings: Settings, period: ReportPeriod, locale: str) -> Section | None:
    """The most negative customer messages of the period, PII masked again on the way out."""
    window, _ = windows(settings, period.start, period.end)
    latest = select(func.max(analyses.c.id).label("id")).group_by(analyses.c.interaction_id).subquery("latest_analysis")
    stmt = (
        select(
            interactions.c.interaction_id,
            interactions.c.created_at,
            interactions.c.channel,
            interactions.c.text,
            customers.c.region,
            analyses.c.emotion,
            analyses.c.intensity,
            analyses.c.stage,
            analyses.c.primary_reason,
            analyses.c.polarity_score,
        )
        .select_from(
            interactions.join(analyses, analyses.c.interaction_id == interactions.c.interaction_id)
            .join(latest, latest.c.id == analyses.c.id)
            .join(customers, customers.c.customer_id == interactions.c.customer_id)
        )
        .where(
            and_(
                interactions.c.author == "customer",
                interactions.c.created_at >= window[0],
                interactions.c.created_at < window[1],
                analyses.c.polarity == "negative",
            )
        )
        .order_by(analyses.c.intensity.desc(), analyses.c.polarity_score.asc(), interactions.c.interaction_id)
        .limit(VERBATIMS)
    )
    with db.get_engine(settings).connect() as conn:
        found = [dict(r) for r in conn.execute(stmt).mappings()]
    if not found:
        return None
    rows = [
        {
            "interaction_id": r["interaction_id"],
            "created_at": r["created_at"],
            "channel": r["channel"],
            "region": r["region"],
            "emotion": f"{code_label(Emotion, r['emotion'], locale)} ×{r['intensity']}",
            "stage": code_label(Stage, r["stage"], locale),
            "reason": code_label(Reason, r["primary_reason"], locale),
            "text": mask_pii(str(r["text"])).text[:300],
        }
        for r in found
    ]
    table = Table(
        "verbatims",
        pick(locale, "典型客户原话（已脱敏）", "Top verbatims (PII masked)"),
        [
            Column("interaction_id", pick(locale, "消息", "Message")),
            Column("created_at", pick(locale, "时间", "Time"), "date"),
            Column("channel", pick(locale, "渠道", "Channel")),
            Column("region", pick(locale, "地区", "Region")),
            Column("emotion", pick(locale, "情绪", "Emotion")),
            Column("stage", pick(locale, "抱怨阶段", "Stage")),
            Column("reason", pick(locale, "原因", "Reason")),
            Column("text", pick(locale, "原话", "Text")),
        ],
        rows,
        note=pick(
            locale,
            "按情绪强度、负面程度排序；手机号、身份证、邮箱、银行卡与地址已脱敏。",
            "Ordered by intensity, then negativity; phones, ID numbers, e-mails, bank cards and addresses are masked.",
        ),
    )
    return Section("verbatims", pick(locale, "客户原话", "Customer verbatims"), [], [table])


def _sections() -> list[SectionBuilder]:
    """Section builders in reading order (imported late: the insight services pull in pandas and SciPy)."""
    from aftersales.services import report_insights as ins

    return [
        kpi_section,
        ins.pareto_section,
        ins.reasons_section,
        ins.anomalies_section,
        ins.changes_section,
        ins.forecast_section,
        ins.actions_section,
        ins.segments_section,
        verbatims_section,
    ]


def _failed_section(builder: SectionBuilder, exc: Exception, locale: str) -> Section:
    name = builder.__name__.removesuffix("_section")
    line = pick(locale, f"本节生成失败：{exc}", f"This section could not be built: {exc}")
    return Section(f"failed-{name}", pick(locale, f"{name}（失败）", f"{name} (failed)"), [line])


def build_report(
    settings: Settings, period: str | ReportPeriod, locale: str | None = None, today: dt.date | None = None
) -> Report:
    """Assemble every section for the period; a failing section is shown as such, the rest still render."""
    locale = locale or settings.locale
    today = today or dt.datetime.now(settings.zone).date()
    resolved = period if isinstance(period, ReportPeriod) else parse_period(period, today)
    report = Report(t("title", locale), resolved, locale, dt.datetime.now(settings.zone))
    for builder in _sections():
        try:
            section = builder(settings, resolved, locale)
        except Exception as exc:  # one broken section must not cost the manager the whole report
            log.exception("report section %s failed", builder.__name__)
            section = _failed_section(builder, exc, locale)
        if section is not None:
            report.sections.append(section)
    return report


@dataclass(frozen=True)
class WrittenReport:
    """Where a report went and what it covered."""

    period: str
    html: Path | None
    xlsx: Path | None
    sections: list[str]

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary for `--json` and the scheduler's log."""
        return {
            "period": self.period,
            "html": str(self.html) if self.html else None,
            "xlsx": str(self.xlsx) if self.xlsx else None,
            "sections": self.sections,
        }


def write_report(
    settings: Settings,
    period: str | ReportPeriod,
    html: Path | None,
    xlsx: Path | None = None,
    locale: str | None = None,
    today: dt.date | None = None,
) -> WrittenReport:
    """Build the report once and write it to the requested HTML and/or XLSX paths."""
    from aftersales.reports.html import render_html
    from aftersales.reports.xlsx import write_xlsx

    report = build_report(settings, period, locale, today)
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        html.write_text(render_html(report), encoding="utf-8")
    if xlsx is not None:
        write_xlsx(report, xlsx)
    return WrittenReport(report.period.label, html, xlsx, [s.key for s in report.sections])
