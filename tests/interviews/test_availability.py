"""Free slots from the weekly pattern, its exceptions and the interviews already booked,
in Europe/Paris wall-clock time across the clock changes."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from interviews.models import Status
from interviews.selectors import bookable_slots, free_slots
from tests.interviews.factories import (
    AppointmentFactory,
    AvailabilityExceptionFactory,
    WeeklyAvailabilityFactory,
)

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC
# A Monday long before the dates tested, so that the booking notice never bites.
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=UTC)

pytestmark = pytest.mark.django_db


def starts(slots):
    return [s.starts_at.astimezone(PARIS).strftime("%H:%M") for s in slots]


def test_a_morning_gives_four_slots_of_45_minutes(advisor):
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    monday = dt.date(2026, 6, 1)
    slots = free_slots(advisor=advisor, first_day=monday, last_day=monday, now=LONG_AGO)
    assert starts(slots) == ["09:00", "09:45", "10:30", "11:15"]
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=45) for s in slots)


def test_slot_length_is_a_setting(advisor, settings):
    settings.INTERVIEWS_SLOT_MINUTES = 60
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    monday = dt.date(2026, 6, 1)
    assert starts(free_slots(advisor=advisor, first_day=monday, last_day=monday, now=LONG_AGO)) == [
        "09:00",
        "10:00",
        "11:00",
    ]


def test_other_days_and_other_advisors_give_nothing(advisor, agency):
    WeeklyAvailabilityFactory(advisor=advisor, weekday=1)
    WeeklyAvailabilityFactory(weekday=0)
    monday = dt.date(2026, 6, 1)
    assert free_slots(advisor=advisor, first_day=monday, last_day=monday, now=LONG_AGO) == []


def test_paris_wall_clock_holds_across_the_spring_and_autumn_changes(advisor):
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=0, start_time=dt.time(9), end_time=dt.time(10)
    )
    before, after = dt.date(2026, 3, 23), dt.date(2026, 3, 30)  # around Sunday 29 March 2026
    autumn = dt.date(2026, 10, 26)  # the Monday after Sunday 25 October 2026
    slots = free_slots(advisor=advisor, first_day=before, last_day=autumn, now=LONG_AGO)
    by_day = {s.starts_at.astimezone(PARIS).date(): s.starts_at for s in slots}
    assert by_day[before] == dt.datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # CET, UTC+1
    assert by_day[after] == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # CEST, UTC+2
    assert by_day[autumn] == dt.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert all(s.starts_at.astimezone(PARIS).hour == 9 for s in slots)


def test_a_range_spanning_the_spring_change_keeps_its_real_duration(advisor):
    # 01:00 to 04:00 on 29 March 2026 lasts two real hours: the clock skips 02:00 to 03:00.
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=6, start_time=dt.time(1), end_time=dt.time(4)
    )
    day = dt.date(2026, 3, 29)
    slots = free_slots(advisor=advisor, first_day=day, last_day=day, now=LONG_AGO)
    assert [s.starts_at for s in slots] == [
        dt.datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        dt.datetime(2026, 3, 29, 0, 45, tzinfo=UTC),
    ]
    assert starts(slots) == ["01:00", "01:45"]


def test_a_range_spanning_the_autumn_change_keeps_its_real_duration(advisor):
    # 01:00 to 04:00 on 25 October 2026 lasts four real hours: 02:00 to 03:00 happens twice.
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=6, start_time=dt.time(1), end_time=dt.time(4)
    )
    day = dt.date(2026, 10, 25)
    slots = free_slots(advisor=advisor, first_day=day, last_day=day, now=LONG_AGO)
    assert len(slots) == 5  # 240 min // 45
    assert slots[0].starts_at == dt.datetime(2026, 10, 24, 23, 0, tzinfo=UTC)


def test_exceptions_remove_the_slots_they_touch(advisor):
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    AvailabilityExceptionFactory(
        advisor=advisor,
        starts_at=dt.datetime(2026, 6, 1, 9, 30, tzinfo=PARIS),
        ends_at=dt.datetime(2026, 6, 1, 10, 30, tzinfo=PARIS),
    )
    monday = dt.date(2026, 6, 1)
    assert starts(free_slots(advisor=advisor, first_day=monday, last_day=monday, now=LONG_AGO)) == [
        "10:30",
        "11:15",
    ]


def test_a_week_of_leave_removes_the_whole_week(advisor):
    WeeklyAvailabilityFactory(advisor=advisor, weekday=0)
    WeeklyAvailabilityFactory(advisor=advisor, weekday=2)
    AvailabilityExceptionFactory(
        advisor=advisor,
        starts_at=dt.datetime(2026, 6, 1, 0, 0, tzinfo=PARIS),
        ends_at=dt.datetime(2026, 6, 6, 0, 0, tzinfo=PARIS),
    )
    slots = free_slots(
        advisor=advisor, first_day=dt.date(2026, 6, 1), last_day=dt.date(2026, 6, 10), now=LONG_AGO
    )
    assert {s.starts_at.astimezone(PARIS).date() for s in slots} == {
        dt.date(2026, 6, 8),
        dt.date(2026, 6, 10),
    }


def test_booked_slots_are_taken_and_cancelled_ones_free_again(advisor):
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    at = dt.datetime(2026, 6, 1, 9, 45, tzinfo=PARIS)
    AppointmentFactory(advisor=advisor, starts_at=at, created_at=LONG_AGO)
    AppointmentFactory(
        advisor=advisor,
        starts_at=at + dt.timedelta(minutes=45),
        created_at=LONG_AGO,
        status=Status.CANCELLED,
        cancelled_at=LONG_AGO,
    )
    monday = dt.date(2026, 6, 1)
    assert starts(free_slots(advisor=advisor, first_day=monday, last_day=monday, now=LONG_AGO)) == [
        "09:00",
        "10:30",
        "11:15",
    ]


def test_slots_closer_than_the_booking_notice_are_not_offered(advisor, settings):
    settings.INTERVIEWS_BOOKING_NOTICE_MINUTES = 60
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=0, start_time=dt.time(9), end_time=dt.time(12)
    )
    now = dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)
    monday = dt.date(2026, 6, 1)
    assert starts(free_slots(advisor=advisor, first_day=monday, last_day=monday, now=now)) == [
        "10:30",
        "11:15",
    ]


def test_bookable_slots_group_by_local_day_up_to_the_horizon(advisor, settings):
    settings.INTERVIEWS_BOOKING_HORIZON_DAYS = 7
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=0, start_time=dt.time(9), end_time=dt.time(10)
    )
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=4, start_time=dt.time(14), end_time=dt.time(15)
    )
    now = dt.datetime(2026, 6, 1, 7, 0, tzinfo=PARIS)  # Monday morning
    days = bookable_slots(advisor=advisor, now=now)
    assert [day for day, _ in days] == [
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 5),
        dt.date(2026, 6, 8),
    ]
