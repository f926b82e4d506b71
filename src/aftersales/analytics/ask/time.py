"""Time expressions in Chinese and English → inclusive local date ranges, relative to an injectable "today".

A small grammar instead of a date library: every expression an after-sales manager types (上个月, 近30天, 去年双11,
Q3, 本周, last quarter, in October 2026 ...) is one regular expression with a resolver, tried in priority order, and
two expressions joined by 到/至/to combine into one span. Calendar references without a year (10月, Q3, 双11) mean
their most recent occurrence that has already started; a range that has not started yet is reported as future.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from aftersales.analytics.insights.calendar import WindowLike, builtin_windows

Grain = Literal["day", "week", "month", "quarter", "half", "year", "promotion", "days", "span"]


class TimeRange(BaseModel):
    """An inclusive local date range and the words it was read from, so an answer can echo them."""

    model_config = ConfigDict(frozen=True)

    start: dt.date
    end: dt.date
    text: str = ""
    grain: Grain = "span"
    name: str | None = None  # the promotion, for promotion windows


PromotionCalendar = Callable[[int], Sequence[WindowLike]]
"""Promotion windows of one year; injectable so the merchant's configured calendar replaces the built-in one."""


def default_promotions(year: int) -> Sequence[WindowLike]:
    """The built-in festival windows of a year (the same calendar the anomaly baselines use)."""
    return builtin_windows(year)


PROMOTION_WORDS: dict[str, str] = {
    "双11": "双11", "双十一": "双11", "双 11": "双11", "11.11": "双11", "double 11": "双11",
    "double eleven": "双11", "singles' day": "双11", "singles day": "双11", "single's day": "双11",
    "双12": "双12", "双十二": "双12", "双 12": "双12", "12.12": "双12", "double 12": "双12",
    "double twelve": "双12", "618": "618", "六一八": "618", "年货节": "年货节", "春节": "春节",
    "spring festival": "春节", "chinese new year": "春节",
    "spring festival sale": "年货节", "new year shopping festival": "年货节", "chinese new year sale": "年货节",
}  # fmt: skip

CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
EN_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "sixty": 60,
    "ninety": 90, "a": 1, "an": 1,
}  # fmt: skip
MONTHS_EN = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
    "jun": 6, "jul": 7, "aug": 8, "sept": 9, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
ORDINALS_EN = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


def cn_int(text: str) -> int:
    """Arabic or Chinese numerals up to 999 (三十, 两, 十五, 一百二十) as an int."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for ch in text:
        if ch in CN_DIGITS:
            current = CN_DIGITS[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        else:
            raise ValueError(f"not a number: {text!r}")
    return total + current


def number(text: str) -> int:
    """A count written as digits, Chinese numerals or an English word."""
    return EN_NUMBERS[text] if text in EN_NUMBERS else cn_int(text)


def month_end(year: int, month: int) -> dt.date:
    """Last day of a month."""
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (clamped to the month's end)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 + months, 12)
    return dt.date(year, month0 + 1, min(day.day, month_end(year, month0 + 1).day))


def shift_year(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` later (29 February → 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class _Ctx:
    today: dt.date
    promotions: PromotionCalendar


Span = tuple[dt.date, dt.date]
Resolved = tuple[dt.date, dt.date, bool, Grain, str | None]  # first, last, explicit year, grain, promotion name
Resolver = Callable[[re.Match[str], _Ctx], Resolved | None]
YEARS = ("y", "ry", "ey", "sy")  # the regex groups that may name a year: 2026, 今年/去年, this/last year, suffix


def _year(m: re.Match[str], ctx: _Ctx, *groups: str) -> int | None:
    """The year an expression names (2026, 今年/去年/前年/明年, this/last/next year), or None."""
    for group in groups:
        value = m.groupdict().get(group)
        if not value:
            continue
        value = value.strip().removesuffix("'s").removesuffix("年").strip()
        if value.isdigit():
            return int(value)
        offset = {"今": 0, "本": 0, "this": 0, "this year": 0, "去": -1, "last": -1, "last year": -1,
                  "previous": -1, "prior": -1, "前": -2, "明": 1, "next": 1, "next year": 1}  # fmt: skip
        if value in offset:
            return ctx.today.year + offset[value]
    return None


def _latest(make: Callable[[int], Span | None], year: int | None, ctx: _Ctx) -> tuple[Span, bool] | None:
    """The span in the named year, else the most recent one that has started by today."""
    if year is not None:
        span = make(year)
        return (span, True) if span else None
    for candidate in (ctx.today.year, ctx.today.year - 1):
        span = make(candidate)
        if span and span[0] <= ctx.today:
            return span, False
    return None


def _calendar(make: Callable[[int], Span | None], grain: Grain, *year_groups: str) -> Resolver:
    def resolve(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
        found = _latest(make, _year(m, ctx, *year_groups), ctx)
        return None if found is None else (found[0][0], found[0][1], found[1], grain, None)

    return resolve


def _valid(year: int, month: int, day: int = 1) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _day(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
    month, day = cn_int(m["m"]), cn_int(m["d"])

    def make(year: int) -> Span | None:
        return (dt.date(year, month, day),) * 2 if _valid(year, month, day) else None

    return _calendar(make, "day", *YEARS)(m, ctx)


def _en_day(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
    month, day = MONTHS_EN[m["mon"]], int(m["d"])

    def make(year: int) -> Span | None:
        return (dt.date(year, month, day),) * 2 if _valid(year, month, day) else None

    return _calendar(make, "day", *YEARS)(m, ctx)


def _month(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
    raw = m["m"] if m.groupdict().get("m") else str(MONTHS_EN[m["mon"]])
    month = cn_int(raw)
    if not 1 <= month <= 12:
        return None
    return _calendar(lambda y: (dt.date(y, month, 1), month_end(y, month)), "month", *YEARS)(m, ctx)


def _quarter(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
    raw = m.groupdict().get("q") or m["q2"]
    q = ORDINALS_EN[raw] if raw in ORDINALS_EN else cn_int(raw)
    first = 3 * (q - 1) + 1
    return _calendar(lambda y: (dt.date(y, first, 1), month_end(y, first + 2)), "quarter", *YEARS)(m, ctx)


def _half(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
    first = 1 if m["h"] in ("上", "1") else 7
    return _calendar(lambda y: (dt.date(y, first, 1), month_end(y, first + 5)), "half", *YEARS)(m, ctx)


def _year_only(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
    year = _year(m, ctx, *YEARS)
    if year is None or not 1900 <= year <= 2999:
        return None
    return dt.date(year, 1, 1), dt.date(year, 12, 31), True, "year", None


def _promotion(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
    name = PROMOTION_WORDS[re.sub(r"\s+", " ", m["p"])]

    def make(year: int) -> Span | None:
        for promo in ctx.promotions(year):
            if promo.name == name:
                return promo.start, promo.end
        return None

    found = _latest(make, _year(m, ctx, *YEARS), ctx)
    return None if found is None else (found[0][0], found[0][1], found[1], "promotion", name)


def _iso_day(m: re.Match[str], _ctx: _Ctx) -> Resolved | None:
    y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    return (dt.date(y, mo, d), dt.date(y, mo, d), True, "day", None) if _valid(y, mo, d) else None


def _iso_month(m: re.Match[str], _ctx: _Ctx) -> Resolved | None:
    y, mo = int(m["y"]), int(m["m"])
    return (dt.date(y, mo, 1), month_end(y, mo), True, "month", None) if _valid(y, mo) else None


UNIT = {"天": "day", "日": "day", "day": "day", "days": "day", "周": "week", "星期": "week", "个星期": "week",
        "礼拜": "week", "个礼拜": "week", "week": "week", "weeks": "week", "月": "month", "个月": "month",
        "month": "month", "months": "month", "季度": "quarter", "个季度": "quarter", "quarter": "quarter",
        "quarters": "quarter", "年": "year", "year": "year", "years": "year"}  # fmt: skip


def _last_n(m: re.Match[str], ctx: _Ctx) -> Resolved | None:
    """近N天 / last N days: the N full units before today (today's data is still arriving)."""
    n = number(m["n"]) if m.groupdict().get("n") else 1
    unit = UNIT[m["u"]]
    if n < 1 or n > 3660:
        return None
    end = ctx.today - dt.timedelta(days=1)
    if unit == "day":
        start = ctx.today - dt.timedelta(days=n)
    elif unit == "week":
        start = ctx.today - dt.timedelta(days=7 * n)
    else:
        months = {"month": 1, "quarter": 3, "year": 12}[unit] * n
        start = add_months(ctx.today, -months)
    return start, end, True, "days", None


def _period_bounds(unit: str, day: dt.date) -> Span:
    if unit == "day":
        return day, day
    if unit == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if unit == "month":
        return day.replace(day=1), month_end(day.year, day.month)
    if unit == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        return dt.date(day.year, first, 1), month_end(day.year, first + 2)
    return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)


GRAINS: dict[str, Grain] = {"day": "day", "week": "week", "month": "month", "quarter": "quarter", "year": "year"}


def _relative(unit: str, offset: int) -> Resolver:
    """This (0), last (-1) or next (+1) calendar day/week/month/quarter/year."""

    def resolve(_m: re.Match[str], ctx: _Ctx) -> Resolved | None:
        start, _ = _period_bounds(unit, ctx.today)
        if unit == "day":
            start += dt.timedelta(days=offset)
        elif unit == "week":
            start += dt.timedelta(weeks=offset)
        else:
            start = add_months(start, offset * {"month": 1, "quarter": 3, "year": 12}[unit])
        first, last = _period_bounds(unit, start)
        return first, last, True, GRAINS[unit], None

    return resolve


def _to_date(unit: str) -> Resolver:
    """今年以来 / year to date: from the start of this period to today."""

    def resolve(_m: re.Match[str], ctx: _Ctx) -> Resolved | None:
        return _period_bounds(unit, ctx.today)[0], ctx.today, True, "span", None

    return resolve


def _past(unit: str, days: int) -> Resolver:
    """ "the past week/month/year" (no number): the last 7/30/90/365 days before today."""

    def resolve(_m: re.Match[str], ctx: _Ctx) -> Resolved | None:
        return ctx.today - dt.timedelta(days=days), ctx.today - dt.timedelta(days=1), True, "days", None

    return resolve


ZH_NUM = r"\d{1,3}|[零〇一二两三四五六七八九十百]{1,4}"
ZH_MONTH = r"1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]"
ZH_DAY = r"3[01]|[12]\d|0?[1-9]|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九]"
YEAR_PREFIX = (
    r"(?:(?P<y>(?:19|20)\d{2})\s*(?:年|-)?\s*(?:的)?\s*|(?P<ry>今|去|前|明|本)年\s*(?:的)?\s*"
    r"|(?P<ey>this|last|next) year'?s?\s+)?"
)
EN_YEAR_SUFFIX = r"(?:,?\s*(?:of\s+|in\s+)?(?P<sy>(?:19|20)\d{2}|last year|this year|next year))?"
EN_MONTHS = "|".join(sorted(MONTHS_EN, key=len, reverse=True))
PROMO = "|".join(re.escape(w).replace(r"\ ", r"\s*") for w in sorted(PROMOTION_WORDS, key=len, reverse=True))
ZH_UNITS = "个星期|个礼拜|个季度|个月|星期|礼拜|季度|天|日|周"
WORD_NUM = r"\d{1,4}|" + "|".join(k for k in EN_NUMBERS if len(k) > 2)

_RULES: list[tuple[str, Resolver]] = [
    # exact dates first: they contain the digits the month and year rules would otherwise take
    (r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?!\d)", _iso_day),
    (YEAR_PREFIX + rf"(?P<m>{ZH_MONTH})月(?P<d>{ZH_DAY})[日号]", _day),
    (rf"\b(?P<mon>{EN_MONTHS})\.?\s+(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?(?!\d)(?:,?\s*(?P<y>(?:19|20)\d{{2}}))?",
     _en_day),
    (r"(?<!\d)(?P<y>(?:19|20)\d{2})[-/](?P<m>1[0-2]|0?[1-9])(?![-/\d])", _iso_month),
    # shopping festivals
    (YEAR_PREFIX + rf"(?<![\d-])(?P<p>{PROMO})(?![\d-])" + EN_YEAR_SUFFIX, _promotion),
    # relative periods: exact words, then counted spans
    (r"今天|今日|today", _relative("day", 0)),
    (r"昨天|昨日|yesterday", _relative("day", -1)),
    (r"前天|the day before yesterday", _relative("day", -2)),
    (r"明天|明日|tomorrow", _relative("day", 1)),
    (r"(?:本|这|这一|这个)(?:周|星期|礼拜)|(?:this|current) week", _relative("week", 0)),
    (r"上上个?(?:周|星期|礼拜)|the week before last", _relative("week", -2)),
    (r"(?:上|上一|上个)(?:周|星期|礼拜)|(?:last|previous|prior) week", _relative("week", -1)),
    (r"(?:下|下一|下个)(?:周|星期|礼拜)|next week", _relative("week", 1)),
    (r"(?:本|这|这一|这个|当)月(?:份)?(?:以来|至今)?|(?:this|current) month|month to date|mtd", _relative("month", 0)),
    (r"上上个?月(?:份)?|the month before last", _relative("month", -2)),
    (r"(?:上|上一|上个)月(?:份)?|(?:last|previous|prior) month", _relative("month", -1)),
    (r"(?:下|下一|下个)月|next month", _relative("month", 1)),
    (r"(?:本|这|这一|这个|当)季度?|(?:this|current) quarter", _relative("quarter", 0)),
    (r"(?:上|上一|上个)季度|(?:last|previous|prior) quarter", _relative("quarter", -1)),
    (r"(?:下|下一|下个)季度|next quarter", _relative("quarter", 1)),
    (r"(?:今|本)年(?:以来|至今)|年初至今|year to date|ytd", _to_date("year")),
    (r"(?:the\s+)?past week", _past("week", 7)),
    (r"(?:the\s+)?past month", _past("month", 30)),
    (r"(?:the\s+)?past quarter", _past("quarter", 90)),
    (r"(?:the\s+)?past year", _past("year", 365)),
    (rf"(?:近|最近|过去|前)\s*(?:的)?\s*(?P<n>{ZH_NUM})?\s*(?P<u>{ZH_UNITS})", _last_n),
    (rf"(?:近|最近|过去|前)\s*(?P<n>{ZH_NUM})\s*(?P<u>年)", _last_n),
    (rf"(?:the\s+)?(?:last|past|previous|prior|recent)\s+(?P<n>{WORD_NUM})\s+(?P<u>days?|weeks?|months?|quarters?|years?)\b",
     _last_n),
    # calendar quarters, halves, months, years
    (YEAR_PREFIX + r"(?:(?<![a-z])q(?P<q>[1-4])(?!\d)|第?(?P<q2>[一二三四1-4])季度)" + EN_YEAR_SUFFIX, _quarter),
    (rf"(?:the\s+)?(?P<q>{'|'.join(ORDINALS_EN)})\s+quarter" + EN_YEAR_SUFFIX, _quarter),
    (YEAR_PREFIX + r"(?P<h>上|下)半年", _half),
    (YEAR_PREFIX + r"(?<![a-z])h(?P<h>[12])(?!\d)" + EN_YEAR_SUFFIX, _half),
    (YEAR_PREFIX + rf"(?<![\d个每几上下本这近])(?P<m>{ZH_MONTH})月(?:份)?", _month),
    (rf"\b(?:in\s+)?(?P<mon>{EN_MONTHS})\b\.?" + EN_YEAR_SUFFIX, _month),
    (r"(?:(?P<y>(?:19|20)\d{2})\s*年(?:度)?|(?P<ry>今|去|前|明|本)年(?:度)?)", _year_only),
    (r"\b(?:in\s+)?(?P<y>(?:19|20)\d{2})\b|(?P<ey>this|last|next|previous|prior) year", _year_only),
]  # fmt: skip


RULES: list[tuple[re.Pattern[str], Resolver]] = [(re.compile(pattern), resolver) for pattern, resolver in _RULES]
CONNECTOR = re.compile(r"^\s*(?:到|至|~|～|-|–|—|to|until|till|through|and)\s*$")


@dataclass(frozen=True)
class TimeMatch:
    """One time expression found in a question: where it is and what range it names."""

    begin: int
    stop: int
    start: dt.date
    end: dt.date
    explicit_year: bool
    grain: Grain
    name: str | None = None


def find_times(text: str, today: dt.date, promotions: PromotionCalendar = default_promotions) -> list[TimeMatch]:
    """Every time expression in normalised `text`, in order, with adjacent "A 到 B" pairs merged into one span."""
    ctx = _Ctx(today, promotions)
    taken = [False] * len(text)
    found: list[TimeMatch] = []
    for pattern, resolver in RULES:
        for m in pattern.finditer(text):
            if not m.group(0).strip() or any(taken[m.start() : m.end()]):
                continue
            try:
                resolved = resolver(m, ctx)
            except (ValueError, KeyError, OverflowError):
                resolved = None
            if resolved is None:
                continue
            first, last, explicit, grain, name = resolved
            found.append(TimeMatch(m.start(), m.end(), first, last, explicit, grain, name))
            taken[m.start() : m.end()] = [True] * (m.end() - m.start())
    found.sort(key=lambda t: t.begin)
    return _merge_ranges(text, found)


def _merge_ranges(text: str, found: list[TimeMatch]) -> list[TimeMatch]:
    """Join "A 到 B" into one span; B without a year takes the first year that puts it on or after A."""
    merged: list[TimeMatch] = []
    for match in found:
        prev = merged[-1] if merged else None
        if prev is not None and CONNECTOR.match(text[prev.stop : match.begin]):
            start, end = match.start, match.end
            if not match.explicit_year:
                # "3月到5月": B is read in A's year (or the next one when that would put it before A)
                delta = prev.start.year - start.year
                start, end = shift_year(start, delta), shift_year(end, delta)
                if start < prev.start:
                    start, end = shift_year(start, 1), shift_year(end, 1)
                if match.grain == "month":
                    end = month_end(end.year, end.month)
            merged[-1] = TimeMatch(prev.begin, match.stop, prev.start, end, prev.explicit_year, "span")
            continue
        merged.append(match)
    return merged
