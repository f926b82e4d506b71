"""The report's own fixed strings in zh-CN and en (section titles and column headers live with their builders)."""

from __future__ import annotations

from typing import Any

from aftersales.vocab import Labelled

STRINGS: dict[str, tuple[str, str]] = {
    "title": ("售后分析报告", "After-sales report"),
    "period": ("报告期", "Period"),
    "generated": ("生成时间", "Generated"),
    "contents": ("目录", "Contents"),
    "synthetic_note": (
        "本报告离线生成：图表使用内嵌的 plotly.js，无需联网；客户原话已脱敏。",
        "Generated offline: charts use the embedded plotly.js, no network needed; customer quotes are PII-masked.",
    ),
    "empty": ("本期无数据。", "No data for this period."),
}


def t(key: str, locale: str) -> str:
    """A fixed report string in the locale (zh-* → Chinese, else English)."""
    zh, en = STRINGS[key]
    return zh if locale.lower().startswith("zh") else en


def code_label(enum: type[Labelled], code: Any, locale: str) -> str:
    """A vocabulary code's display name in the locale; an unknown code is shown as it is."""
    try:
        return enum(code).label(locale)
    except ValueError:
        return str(code)


def pick(locale: str, zh: str, en: str) -> str:
    """Choose between a Chinese and an English text for a locale."""
    return zh if locale.lower().startswith("zh") else en
