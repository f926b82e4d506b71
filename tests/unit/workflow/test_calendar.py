"""Business-hours arithmetic: nights, weekends, own holidays, China's holidays and 调休 days, DST, 24/7 = wall clock.

Expected values are computed by hand in local time and written as naive UTC (Asia/Shanghai is UTC+8 all year).
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.errors import ConfigError
from aftersales.workflow.calendar import BusinessCalendar

D = dt.datetime


def cst(*args: int) -> dt.datetime:
    """A China Standard Time wall-clock instant as naive UTC."""
    return D(*args) - dt.timedelta(hours=8)


OFFICE = BusinessCalendar("Asia/Shanghai", {0, 1, 2, 3, 4}, dt.time(9), dt.time(18))
CN_OFFICE = BusinessCalendar("Asia/Shanghai", {0, 1, 2, 3, 4}, dt.time(9), dt.time(18), cn_public_holidays=True)


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (cst(2025, 3, 3, 10, 0), 60, cst(2025, 3, 3, 11, 0)),  # Monday, inside hours
        (cst(2025, 3, 3, 17, 0), 60, cst(2025, 3, 3, 18, 0)),  # ends exactly at closing, not next morning
        (cst(2025, 3, 4, 17, 30), 60, cst(2025, 3, 5, 9, 30)),  # over the night: 30 today + 30 tomorrow
        (cst(2025, 3, 4, 7, 0), 30, cst(2025, 3, 4, 9, 30)),  # before opening: the clock starts at 09:00
        (cst(2025, 3, 4, 22, 0), 30, cst(2025, 3, 5, 9, 30)),  # after closing
        (cst(2025, 3, 7, 17, 0), 120, cst(2025, 3, 10, 10, 0)),  # Friday → Monday over the weekend
        (cst(2025, 3, 8, 12, 0), 60, cst(2025, 3, 10, 10, 0)),  # starts on a Saturday
        (cst(2025, 3, 3, 9, 0), 540 * 5, cst(2025, 3, 7, 18, 0)),  # a whole working week
        (cst(2025, 3, 3, 9, 0), 540 * 5 + 1, cst(2025, 3, 10, 9, 1)),
        (cst(2025, 3, 3, 10, 0), 0, cst(2025, 3, 3, 10, 0)),
        (cst(2025, 3, 3, 10, 0), 0.5, cst(2025, 3, 3, 10, 0) + dt.timedelta(seconds=30)),
    ],
)
def test_add_business_minutes_office_hours(start: dt.datetime, minutes: float, expected: dt.datetime) -> None:
    assert OFFICE.add_business_minutes(start, minutes) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (cst(2025, 3, 3, 10, 0), cst(2025, 3, 3, 11, 30), 90),
        (cst(2025, 3, 7, 17, 0), cst(2025, 3, 10, 10, 0), 120),  # 60 Friday + 60 Monday
        (cst(2025, 3, 8, 0, 0), cst(2025, 3, 9, 23, 59), 0),  # the weekend counts nothing
        (cst(2025, 3, 3, 0, 0), cst(2025, 3, 10, 0, 0), 2700),  # 5 × 540
        (cst(2025, 3, 10, 10, 0), cst(2025, 3, 7, 17, 0), -120),  # reversed: negative
        (cst(2025, 3, 4, 18, 0), cst(2025, 3, 5, 9, 0), 0),  # closing to opening
    ],
)
def test_business_minutes_between(a: dt.datetime, b: dt.datetime, expected: float) -> None:
    assert OFFICE.business_minutes_between(a, b) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (cst(2025, 3, 3, 9, 0), True),  # opening minute is open
        (cst(2025, 3, 3, 17, 59), True),
        (cst(2025, 3, 3, 18, 0), False),  # closing minute is closed
        (cst(2025, 3, 3, 8, 59), False),
        (cst(2025, 3, 8, 10, 0), False),  # Saturday
    ],
)
def test_is_open(at: dt.datetime, expected: bool) -> None:
    assert OFFICE.is_open(at) is expected


def test_next_open() -> None:
    assert OFFICE.next_open(cst(2025, 3, 7, 18, 0)) == cst(2025, 3, 10, 9, 0)
    assert OFFICE.next_open(cst(2025, 3, 7, 10, 0)) == cst(2025, 3, 7, 10, 0)


# --- China's public holidays: 国庆 2025 is Oct 1-8 off, Sunday Sep 28 and Saturday Oct 11 are 调休 workdays ----------


def test_national_day_holiday_is_skipped() -> None:
    # Tue Sep 30 17:00 + 120: 60 on Sep 30, Oct 1-8 closed, 60 on Thu Oct 9 → 10:00.
    assert CN_OFFICE.add_business_minutes(cst(2025, 9, 30, 17, 0), 120) == cst(2025, 10, 9, 10, 0)
    assert OFFICE.add_business_minutes(cst(2025, 9, 30, 17, 0), 120) == cst(2025, 10, 1, 10, 0)  # without cn


def test_tiaoxiu_weekend_workdays_are_open() -> None:
    # Fri Oct 10 17:30 + 60: 30 on Friday, then Saturday Oct 11 is a make-up workday → 09:30 Saturday.
    assert CN_OFFICE.add_business_minutes(cst(2025, 10, 10, 17, 30), 60) == cst(2025, 10, 11, 9, 30)
    assert CN_OFFICE.is_open(cst(2025, 9, 28, 10, 0))  # Sunday, 调休
    assert not OFFICE.is_open(cst(2025, 9, 28, 10, 0))
    # Sep 26 (Fri) 17:00 → Sep 29 (Mon) 10:00 crosses a working Sunday: 60 + 540 + 60.
    assert CN_OFFICE.business_minutes_between(cst(2025, 9, 26, 17, 0), cst(2025, 9, 29, 10, 0)) == 660


def test_spring_festival_2024() -> None:
    # 春节 2024: Feb 10-17 off and Sunday Feb 18 a make-up workday. Fri Feb 9 17:00 + 120: 60 on Friday, 60 on Sunday.
    assert CN_OFFICE.add_business_minutes(cst(2024, 2, 9, 17, 0), 120) == cst(2024, 2, 18, 10, 0)


def test_mon_to_fri_with_cn_holidays_equals_chinese_calendar_is_workday() -> None:
    day = dt.date(2023, 1, 1)
    while day <= dt.date(2025, 12, 31):
        assert CN_OFFICE.is_business_day(day) is chinese_calendar.is_workday(day), day
        day += dt.timedelta(days=1)


def test_seven_day_team_still_closes_on_statutory_holidays() -> None:
    daily = BusinessCalendar("Asia/Shanghai", range(7), dt.time(9), dt.time(21), cn_public_holidays=True)
    assert daily.is_business_day(dt.date(2025, 3, 8))  # an ordinary Saturday
    assert not daily.is_business_day(dt.date(2025, 10, 4))  # 国庆 Saturday


def test_outside_chinese_calendar_range_falls_back_to_weekdays() -> None:
    assert CN_OFFICE.is_business_day(dt.date(2031, 10, 1))  # a Wednesday; no official data for 2031
    assert not CN_OFFICE.is_business_day(dt.date(2031, 10, 4))  # a Saturday


def test_own_holidays_and_workdays_override_everything() -> None:
    cal = BusinessCalendar.from_config(
        {
            "timezone": "Asia/Shanghai",
            "weekdays": ["mon", "tue", "wed", "thu", "fri"],
            "start": "09:00",
            "end": "18:00",
            "holidays": ["2025-03-04"],  # company outing on a Tuesday
            "workdays": ["2025-10-02"],  # on duty during 国庆
            "cn_public_holidays": True,
        }
    )
    assert cal.add_business_minutes(cst(2025, 3, 3, 17, 0), 120) == cst(2025, 3, 5, 10, 0)
    assert cal.is_open(cst(2025, 10, 2, 10, 0))
    assert not cal.is_open(cst(2025, 10, 3, 10, 0))


# --- DST: Europe/London moves to BST (UTC+1) on Sunday 2025-03-30 at 01:00 UTC ---------------------------------------


def test_dst_change_moves_opening_hours_in_utc() -> None:
    london = BusinessCalendar("Europe/London", range(5), dt.time(9), dt.time(17))
    # Fri 16:00 GMT (= 16:00 UTC) + 120: 60 on Friday, Monday opens 09:00 BST = 08:00 UTC, +60 → 09:00 UTC.
    assert london.add_business_minutes(D(2025, 3, 28, 16, 0), 120) == D(2025, 3, 31, 9, 0)
    assert london.is_open(D(2025, 3, 31, 8, 0)) and not london.is_open(D(2025, 3, 31, 7, 59))
    assert london.business_minutes_between(D(2025, 3, 28, 16, 0), D(2025, 3, 31, 9, 0)) == 120


def test_24_7_over_dst_is_real_elapsed_time() -> None:
    london = BusinessCalendar.from_config(
        {"timezone": "Europe/London", "weekdays": list(range(7)), "end": "24:00", "start": "00:00"}
    )
    # Sat 00:00 GMT → Mon 00:00 BST is 47 real hours: the night of the change is an hour short.
    assert london.business_minutes_between(D(2025, 3, 29, 0, 0), D(2025, 3, 30, 23, 0)) == 47 * 60
    assert london.add_business_minutes(D(2025, 3, 29, 12, 0), 24 * 60) == D(2025, 3, 30, 12, 0)
    # Autumn: the night of Oct 26 2025 has 25 hours.
    assert london.add_business_minutes(D(2025, 10, 25, 23, 0), 25 * 60) == D(2025, 10, 27, 0, 0)


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(min_value=D(2023, 1, 1), max_value=D(2027, 12, 31)),
    minutes=st.integers(min_value=0, max_value=60 * 24 * 40),
    zone=st.sampled_from(["UTC", "Asia/Shanghai", "Europe/London", "America/New_York"]),
)
def test_24_7_equals_wall_clock(start: dt.datetime, minutes: int, zone: str) -> None:
    cal = BusinessCalendar.always_open(zone)
    end = cal.add_business_minutes(start, minutes)
    assert end == start + dt.timedelta(minutes=minutes)
    assert cal.business_minutes_between(start, end) == pytest.approx(minutes)
    assert cal.is_open(start)


@settings(max_examples=150, deadline=None)
@given(
    start=st.datetimes(min_value=D(2024, 1, 1), max_value=D(2026, 12, 31)),
    minutes=st.integers(min_value=1, max_value=60 * 24 * 10),
)
def test_adding_then_measuring_round_trips(start: dt.datetime, minutes: int) -> None:
    end = CN_OFFICE.add_business_minutes(start, minutes)
    assert CN_OFFICE.business_minutes_between(start, end) == pytest.approx(minutes, abs=1e-6)
    # The result lies in opening hours or exactly on a closing time.
    assert CN_OFFICE.is_open(end) or CN_OFFICE.is_open(end - dt.timedelta(microseconds=1))


def test_long_sla_is_fast_enough_to_be_day_stepped() -> None:
    # 200 working days forward: ~280 calendar days of steps, not ~400k minute steps.
    end = CN_OFFICE.add_business_minutes(cst(2025, 1, 2, 9, 0), 540 * 200)
    assert CN_OFFICE.business_minutes_between(cst(2025, 1, 2, 9, 0), end) == 540 * 200


@pytest.mark.parametrize(
    ("config", "needle"),
    [
        ({"timezone": "Mars/Base"}, "timezone"),
        ({"start": "18:00", "end": "09:00"}, "before end"),
        ({"start": "9am"}, "HH:MM"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": []}, "no business days"),
        ({"holidays": ["2025-13-01"]}, "holidays"),
        ({"open": "09:00"}, "unknown keys"),
        ({"cn_public_holidays": "no"}, "true/false"),
        ({"end": 1500}, "not a time of day"),
    ],
)
def test_bad_config_is_rejected(config: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError, match=needle):
        BusinessCalendar.from_config(config)


def test_yaml_sexagesimal_times_are_minutes_since_midnight() -> None:
    yaml = pytest.importorskip("yaml")
    config = yaml.safe_load("start: 09:00\nend: 18:00\nweekdays: [mon, tue, wed, thu, fri]\n")
    assert config["end"] == 1080  # what PyYAML makes of an unquoted 18:00
    cal = BusinessCalendar.from_config(config)
    assert (cal.start, cal.end) == (dt.time(9), dt.time(18))
    always = BusinessCalendar.from_config(yaml.safe_load("start: 00:00\nend: 24:00\nweekdays: [0, 1, 2, 3, 4, 5, 6]"))
    assert always.add_business_minutes(D(2025, 3, 8, 23, 0), 120) == D(2025, 3, 9, 1, 0)


def test_a_calendar_that_never_opens_raises_instead_of_looping() -> None:
    cal = BusinessCalendar("UTC", {0}, dt.time(9), dt.time(17))
    never = BusinessCalendar("UTC", set(), dt.time(9), dt.time(17), workdays={dt.date(2000, 1, 3)})
    assert cal.add_business_minutes(D(2025, 3, 4), 60) == D(2025, 3, 10, 10, 0)
    with pytest.raises(ConfigError, match="no opening hours"):
        never.add_business_minutes(D(2025, 3, 4), 60)


def test_negative_minutes_are_an_error() -> None:
    with pytest.raises(ValueError):
        OFFICE.add_business_minutes(D(2025, 3, 4), -1)
