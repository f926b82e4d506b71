"""Business-hours arithmetic for SLA clocks: opening hours, weekends, holidays and China's 调休 make-up workdays.

Every datetime in and out is naive UTC (the database convention); the calendar converts to its own zone inside, so
opening hours follow local wall-clock time across DST changes. Arithmetic walks one day at a time over each day's
opening window (a pair of UTC instants), never minute by minute, so a 30-day SLA costs ~30 small steps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar

from aftersales.errors import ConfigError

UTC = dt.UTC
MINUTES_PER_DAY = 24 * 60
# No real calendar is closed for ten years; past that the configuration is broken (e.g. every day a holiday).
MAX_SCAN_DAYS = 3660
WEEKDAY_NAMES = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
CONFIG_KEYS = frozenset({"timezone", "weekdays", "start", "end", "holidays", "workdays", "cn_public_holidays"})

# The years chinese_calendar has official State Council data for; outside them the weekday rule applies.
_CN_YEARS = frozenset(d.year for d in chinese_calendar.holidays)

Window = tuple[dt.datetime, dt.datetime]


def _minutes(value: dt.time) -> int:
    return value.hour * 60 + value.minute


def parse_clock(text: str, *, key: str) -> dt.time:
    """Parse "HH:MM"; "24:00" means the midnight that ends the day and is returned as time(0)."""
    if text.strip() == "24:00":
        return dt.time(0, 0)
    try:
        hours, minutes = text.strip().split(":")
        return dt.time(int(hours), int(minutes))
    except ValueError as exc:
        raise ConfigError(f"calendar {key}: expected HH:MM, got {text!r}") from exc


def _clock_value(value: Any, *, key: str) -> dt.time:
    """A time of day from config: a time, "HH:MM", or minutes since midnight.

    Minutes matter because YAML 1.1 (PyYAML) reads an unquoted 18:00 as the base-60 integer 1080, which is exactly
    the minutes since midnight; an unquoted 24:00 becomes 1440.
    """
    if isinstance(value, dt.time):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= MINUTES_PER_DAY:
            raise ConfigError(f"calendar {key}: {value} minutes is not a time of day")
        return dt.time(0) if value == MINUTES_PER_DAY else dt.time(value // 60, value % 60)
    return parse_clock(str(value), key=key)


def _parse_dates(values: Iterable[Any], *, key: str) -> frozenset[dt.date]:
    out: set[dt.date] = set()
    for value in values:
        if isinstance(value, dt.datetime):
            out.add(value.date())
        elif isinstance(value, dt.date):
            out.add(value)
        else:
            try:
                out.add(dt.date.fromisoformat(str(value)))
            except ValueError as exc:
                raise ConfigError(f"calendar {key}: expected YYYY-MM-DD dates, got {value!r}") from exc
    return frozenset(out)


def _parse_weekday(value: Any) -> int:
    if isinstance(value, str) and value.strip().lower()[:3] in WEEKDAY_NAMES:
        return WEEKDAY_NAMES[value.strip().lower()[:3]]
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 6:
        return value
    raise ConfigError(f"calendar weekdays: expected 0 (Mon) … 6 (Sun) or mon … sun, got {value!r}")


class BusinessCalendar:
    """Opening hours in one timezone; all datetimes in and out are naive UTC."""

    def __init__(
        self,
        timezone: str = "Asia/Shanghai",
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        start: dt.time = dt.time(9, 0),
        end: dt.time = dt.time(18, 0),
        holidays: Iterable[dt.date] = (),
        workdays: Iterable[dt.date] = (),
        cn_public_holidays: bool = False,
    ) -> None:
        try:
            self.zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"calendar timezone: unknown IANA zone {timezone!r}") from exc
        self.timezone = timezone
        self.weekdays = frozenset(weekdays)
        if not self.weekdays <= set(range(7)):
            raise ConfigError(f"calendar weekdays must be 0 (Mon) … 6 (Sun), got {sorted(self.weekdays)}")
        self.start = start
        self.end = end
        self._start_min = _minutes(start)
        # time(0) as the end can only mean the midnight that closes the day: nothing ends before it starts.
        self._end_min = _minutes(end) or MINUTES_PER_DAY
        if self._start_min >= self._end_min:
            raise ConfigError(f"calendar hours: start {start:%H:%M} must be before end {end:%H:%M} (no overnight)")
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.cn_public_holidays = cn_public_holidays
        if not self.weekdays and not self.workdays:
            raise ConfigError("calendar has no business days: give weekdays or workdays")
        self._windows: dict[dt.date, Window | None] = {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BusinessCalendar:
        """Build from a policy/config mapping; start and end are "HH:MM" strings and end may be "24:00"."""
        unknown = set(config) - CONFIG_KEYS
        if unknown:
            raise ConfigError(f"calendar: unknown keys {sorted(unknown)}; known: {sorted(CONFIG_KEYS)}")
        kwargs: dict[str, Any] = {}
        if "timezone" in config:
            kwargs["timezone"] = str(config["timezone"])
        if "weekdays" in config:
            kwargs["weekdays"] = [_parse_weekday(v) for v in config["weekdays"]]
        for key in ("start", "end"):
            if key in config:
                kwargs[key] = _clock_value(config[key], key=key)
        for key in ("holidays", "workdays"):
            if key in config:
                kwargs[key] = _parse_dates(config[key] or (), key=key)
        if "cn_public_holidays" in config:
            if not isinstance(config["cn_public_holidays"], bool):
                raise ConfigError(
                    f"calendar cn_public_holidays: expected true/false, got {config['cn_public_holidays']!r}"
                )
            kwargs["cn_public_holidays"] = config["cn_public_holidays"]
        return cls(**kwargs)

    @classmethod
    def always_open(cls, timezone: str = "UTC") -> BusinessCalendar:
        """A 24/7 calendar: business minutes equal wall-clock minutes."""
        return cls(timezone, range(7), dt.time(0, 0), dt.time(0, 0))

    def __repr__(self) -> str:
        end = "24:00" if self._end_min == MINUTES_PER_DAY else f"{self.end:%H:%M}"
        return (
            f"BusinessCalendar({self.timezone!r}, weekdays={sorted(self.weekdays)}, {self.start:%H:%M}-{end}, "
            f"holidays={len(self.holidays)}, workdays={len(self.workdays)}, cn={self.cn_public_holidays})"
        )

    # --- days ------------------------------------------------------------------------------------------------

    def is_business_day(self, day: dt.date) -> bool:
        """Own holidays/workdays first, then China's official holidays and 调休 days, then the weekday rule."""
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        if self.cn_public_holidays and day.year in _CN_YEARS:
            # Statutory holidays close even a 7-day team; 调休 make-up days open even a Mon-Fri team. Other days
            # follow the team's own weekdays, so for Mon-Fri this equals chinese_calendar.is_workday.
            if day in chinese_calendar.holidays:
                return False
            if day in chinese_calendar.workdays:
                return True
        return day.weekday() in self.weekdays

    def _local_date(self, at: dt.datetime) -> dt.date:
        return at.replace(tzinfo=UTC).astimezone(self.zone).date()

    def _to_utc(self, day: dt.date, minute_of_day: int) -> dt.datetime:
        """Local wall-clock minute of a day as naive UTC; minute 1440 is the next day's midnight."""
        if minute_of_day >= MINUTES_PER_DAY:
            local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=self.zone)
        else:
            local = dt.datetime.combine(day, dt.time(minute_of_day // 60, minute_of_day % 60), tzinfo=self.zone)
        return local.astimezone(UTC).replace(tzinfo=None)

    def window(self, day: dt.date) -> Window | None:
        """The day's opening window as naive-UTC (open, close), or None when closed all day."""
        if day not in self._windows:
            self._windows[day] = (
                (self._to_utc(day, self._start_min), self._to_utc(day, self._end_min))
                if self.is_business_day(day)
                else None
            )
        return self._windows[day]

    def _windows_from(self, at: dt.datetime) -> Iterable[Window]:
        """Opening windows that end after `at`, in order; raises when the calendar never opens."""
        day = self._local_date(at)
        for _ in range(MAX_SCAN_DAYS):
            win = self.window(day)
            if win is not None and win[1] > at:
                yield win
            day += dt.timedelta(days=1)
        raise ConfigError(f"{self!r} has no opening hours within {MAX_SCAN_DAYS} days of {at:%Y-%m-%d}")

    # --- instants --------------------------------------------------------------------------------------------

    def is_open(self, at: dt.datetime) -> bool:
        """Whether the team works at this instant (the window is half-open: closing time is closed)."""
        win = self.window(self._local_date(at))
        return win is not None and win[0] <= at < win[1]

    def next_open(self, at: dt.datetime) -> dt.datetime:
        """`at` itself when open, else the next opening time."""
        for open_at, _close in self._windows_from(at):
            return max(open_at, at)
        raise AssertionError("unreachable: _windows_from yields or raises")  # pragma: no cover

    def add_business_minutes(self, start: dt.datetime, minutes: float) -> dt.datetime:
        """The instant `minutes` business minutes after `start`; lands on closing time rather than next opening."""
        if minutes < 0:
            raise ValueError(f"minutes must be >= 0, got {minutes}")
        if minutes == 0:
            return start
        remaining = dt.timedelta(minutes=minutes)
        for open_at, close_at in self._windows_from(start):
            begin = max(open_at, start)
            available = close_at - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable: _windows_from yields or raises")  # pragma: no cover

    def business_minutes_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Business minutes from a to b (negative when b is before a)."""
        if b < a:
            return -self.business_minutes_between(b, a)
        total = dt.timedelta(0)
        day = self._local_date(a)
        last = self._local_date(b)
        while day <= last:
            win = self.window(day)
            if win is not None:
                begin, end = max(win[0], a), min(win[1], b)
                if end > begin:
                    total += end - begin
            day += dt.timedelta(days=1)
        return total.total_seconds() / 60
