"""Reads of the interviews app: free slots from the weekly pattern and its exceptions, and the
participants' lists of interviews."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.utils import timezone

from .conf import app_settings
from .models import Appointment, AvailabilityException, WeeklyAvailability


@dataclass(frozen=True, order=True)
class Slot:
    starts_at: datetime
    ends_at: datetime

    @property
    def local_start(self) -> datetime:
        return timezone.localtime(self.starts_at)


def slot_length() -> timedelta:
    return timedelta(minutes=app_settings.INTERVIEWS_SLOT_MINUTES)


def local_datetime(day: date, wall_time) -> datetime:
    """The instant a wall-clock time of Europe/Paris names on that day.

    A time skipped by the spring change (02:30 on the last Sunday of March) is moved forward
    by the gap, as a clock on the wall would be; an ambiguous one takes its first occurrence.
    """
    tz = timezone.get_default_timezone()
    naive = datetime.combine(day, wall_time)
    aware = naive.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC)


def _overlaps(start, end, busy) -> bool:
    return any(b_start < end and start < b_end for b_start, b_end in busy)


def free_slots(
    *,
    advisor,
    first_day: date,
    last_day: date,
    now: datetime | None = None,
    exclude_pk: int | None = None,
    notice: timedelta | None = None,
) -> list[Slot]:
    """Every slot the advisor's week offers between two local days (both included), minus
    exceptions, appointments holding their slot, and what is too close to now to be booked.

    Slots are cut from each range's local start in steps of the slot length, measured in real
    time: a range spanning a clock change keeps its real duration.
    """
    now = now or timezone.now()
    notice = (
        notice
        if notice is not None
        else timedelta(minutes=app_settings.INTERVIEWS_BOOKING_NOTICE_MINUTES)
    )
    earliest = now + notice
    length = slot_length()
    patterns: dict[int, list] = {}
    for pattern in WeeklyAvailability.objects.filter(advisor=advisor):
        patterns.setdefault(pattern.weekday, []).append(pattern)
    range_start = local_datetime(first_day, datetime.min.time())
    range_end = local_datetime(last_day + timedelta(days=1), datetime.min.time())
    busy = list(
        AvailabilityException.objects.filter(
            advisor=advisor, starts_at__lt=range_end, ends_at__gt=range_start
        ).values_list("starts_at", "ends_at")
    )
    appointments = Appointment.objects.for_advisor(advisor).holding()
    if exclude_pk is not None:
        appointments = appointments.exclude(pk=exclude_pk)
    busy += list(
        appointments.overlapping(range_start, range_end).values_list("starts_at", "ends_at")
    )
    slots: list[Slot] = []
    day = first_day
    while day <= last_day:
        for pattern in sorted(patterns.get(day.weekday(), []), key=lambda p: p.start_time):
            start = local_datetime(day, pattern.start_time)
            end = local_datetime(day, pattern.end_time)
            cursor = start
            while cursor + length <= end:
                slot_end = cursor + length
                if cursor >= earliest and not _overlaps(cursor, slot_end, busy):
                    slots.append(Slot(cursor, slot_end))
                cursor = slot_end
        day += timedelta(days=1)
    return sorted(set(slots))


def bookable_slots(*, advisor, now: datetime | None = None, days: int | None = None) -> list:
    """Free slots from today to the booking horizon, grouped as [(local day, [Slot])]."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    horizon = days if days is not None else app_settings.INTERVIEWS_BOOKING_HORIZON_DAYS
    grouped: dict[date, list[Slot]] = {}
    for slot in free_slots(
        advisor=advisor, first_day=today, last_day=today + timedelta(days=horizon), now=now
    ):
        grouped.setdefault(slot.local_start.date(), []).append(slot)
    return sorted(grouped.items())


def appointments_of_seeker(seeker, now: datetime | None = None) -> dict:
    """Upcoming and past interviews of a seeker, each a list, people loaded."""
    now = now or timezone.now()
    base = Appointment.objects.for_seeker(seeker).with_people()
    return {
        "upcoming": list(base.upcoming(now)),
        "past": list(base.past(now)[:50]),
    }


def appointments_of_advisor(advisor, now: datetime | None = None) -> dict:
    now = now or timezone.now()
    base = Appointment.objects.for_advisor(advisor).with_people()
    return {
        "upcoming": list(base.upcoming(now)),
        "past": list(base.past(now)[:100]),
    }


def appointment_for(user, pk: int) -> Appointment:
    """One appointment the user takes part in, people loaded; 404 for anybody else."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Appointment.objects.for_user(user).with_people(), pk=pk)
