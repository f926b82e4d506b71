"""The promotion calendar as data: built-in 年货节, 春节, 618, 双11 and 双12 windows per year, overridable by a Setting.

Promotions move demand and the return mix on every channel at once; anomaly baselines need to know which days were
promotional so that a peak that comes back every 双11 is expected, not "found". Windows are inclusive local dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from aftersales.errors import InvalidInputError

# Gregorian date of the Spring Festival (农历正月初一); 年货节 and the logistics lull around it move with it.
SPRING_FESTIVAL: dict[int, dt.date] = {
    2010: dt.date(2010, 2, 14), 2011: dt.date(2011, 2, 3), 2012: dt.date(2012, 1, 23), 2013: dt.date(2013, 2, 10),
    2014: dt.date(2014, 1, 31), 2015: dt.date(2015, 2, 19), 2016: dt.date(2016, 2, 8), 2017: dt.date(2017, 1, 28),
    2018: dt.date(2018, 2, 16), 2019: dt.date(2019, 2, 5), 2020: dt.date(2020, 1, 25), 2021: dt.date(2021, 2, 12),
    2022: dt.date(2022, 2, 1), 2023: dt.date(2023, 1, 22), 2024: dt.date(2024, 2, 10), 2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17), 2027: dt.date(2027, 2, 6), 2028: dt.date(2028, 1, 26), 2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3), 2031: dt.date(2031, 1, 23), 2032: dt.date(2032, 2, 11), 2033: dt.date(2033, 1, 31),
    2034: dt.date(2034, 2, 19), 2035: dt.date(2035, 2, 8), 2036: dt.date(2036, 1, 28), 2037: dt.date(2037, 2, 15),
    2038: dt.date(2038, 2, 4), 2039: dt.date(2039, 1, 24), 2040: dt.date(2040, 2, 12),
}  # fmt: skip

BUILTIN_NAMES: tuple[str, ...] = ("年货节", "春节", "618", "双11", "双12")
EN_NAMES: dict[str, str] = {
    "年货节": "New Year Goods Festival",
    "春节": "Spring Festival",
    "618": "618",
    "双11": "Double 11",
    "双12": "Double 12",
}


@dataclass(frozen=True)
class PromotionWindow:
    """One promotional (or holiday) period: a name and inclusive first/last local dates."""

    name: str
    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise InvalidInputError(f"promotion window {self.name!r}: end {self.end} is before start {self.start}")

    def contains(self, day: dt.date) -> bool:
        """Whether a local date falls inside the window."""
        return self.start <= day <= self.end

    def to_dict(self) -> dict[str, str]:
        """JSON shape: {name, start, end} with ISO dates."""
        return {"name": self.name, "start": self.start.isoformat(), "end": self.end.isoformat()}


def builtin_windows(year: int) -> list[PromotionWindow]:
    """The built-in windows of one year; 年货节 and 春节 only for years in the Spring Festival table."""
    windows = [
        # 618 pre-sales start in late May on most platforms; the final days carry the peak.
        PromotionWindow("618", dt.date(year, 5, 31), dt.date(year, 6, 18)),
        # 双11 pre-sales have opened around 20 October in recent years.
        PromotionWindow("双11", dt.date(year, 10, 20), dt.date(year, 11, 11)),
        PromotionWindow("双12", dt.date(year, 12, 10), dt.date(year, 12, 12)),
    ]
    sf = SPRING_FESTIVAL.get(year)
    if sf is not None:
        windows.append(PromotionWindow("年货节", sf - dt.timedelta(days=28), sf - dt.timedelta(days=8)))
        # Couriers and warehouses thin out from about a week before the festival to a week after it.
        windows.append(PromotionWindow("春节", sf - dt.timedelta(days=7), sf + dt.timedelta(days=7)))
    return sorted(windows, key=lambda w: w.start)


@dataclass(frozen=True)
class PromotionCalendar:
    """The windows in force: built-ins per year (unless switched off) with custom windows merged in."""

    custom: tuple[PromotionWindow, ...] = ()
    builtin: bool = True

    def windows(self, first: dt.date, last: dt.date) -> list[PromotionWindow]:
        """Windows overlapping [first, last]; a custom window replaces the built-in of the same name and year."""
        found: list[PromotionWindow] = []
        custom_keys = {(w.name, w.start.year) for w in self.custom}
        if self.builtin:
            for year in range(max(first.year - 1, dt.MINYEAR), min(last.year + 1, dt.MAXYEAR) + 1):
                found += [w for w in builtin_windows(year) if (w.name, w.start.year) not in custom_keys]
        found += list(self.custom)
        return sorted((w for w in found if w.end >= first and w.start <= last), key=lambda w: (w.start, w.name))

    def label_days(self, days: Sequence[dt.date] | pd.DatetimeIndex) -> np.ndarray:
        """The window name for each day ('' outside every window; the first-starting window wins on overlap)."""
        index = pd.DatetimeIndex(pd.to_datetime(list(days) if not isinstance(days, pd.DatetimeIndex) else days))
        labels = np.full(len(index), "", dtype=object)
        if len(index) == 0:
            return labels
        first, last = index.min().date(), index.max().date()
        for window in reversed(self.windows(first, last)):
            inside = (index >= pd.Timestamp(window.start)) & (index <= pd.Timestamp(window.end))
            labels[np.asarray(inside)] = window.name
        return labels


class WindowLike(Protocol):
    """Anything with a name and inclusive start/end dates (the `promotion_calendar` setting's entries)."""

    @property
    def name(self) -> str: ...

    @property
    def start(self) -> dt.date: ...

    @property
    def end(self) -> dt.date: ...


def calendar_from_config(entries: Iterable[WindowLike], builtin: bool = True) -> PromotionCalendar:
    """Build the calendar from the `promotion_calendar` / `promotion_builtin` settings."""
    return PromotionCalendar(custom=tuple(PromotionWindow(e.name, e.start, e.end) for e in entries), builtin=builtin)
