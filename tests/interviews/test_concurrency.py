"""Concurrent bookings in real PostgreSQL transactions: one slot, one interview."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, connections, transaction

from interviews import services
from interviews.models import Appointment, Status
from interviews.services import BookingError
from seekers.models import Seeker
from tests.interviews.factories import WeeklyAvailabilityFactory, followed_seeker

PARIS = ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 6, 1, 8, 0, tzinfo=PARIS)
TUESDAY_9 = dt.datetime(2026, 6, 2, 9, 0, tzinfo=PARIS)


def run_together(functions):
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def run(index, function):
        try:
            barrier.wait(timeout=30)
            results[index] = function()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_seekers_booking_one_slot_at_once_give_one_interview(advisor):
    assert connection.vendor == "postgresql"
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=1, start_time=dt.time(9), end_time=dt.time(12)
    )
    seeker_ids = [followed_seeker(advisor).pk for _ in range(20)]

    def book(pk):
        return lambda: services.appointment_book(
            seeker=Seeker.objects.get(pk=pk), starts_at=TUESDAY_9, now=NOW
        )

    results = run_together([book(pk) for pk in seeker_ids])
    booked = [r for r in results if isinstance(r, Appointment)]
    refused = [r for r in results if isinstance(r, BookingError)]
    assert len(booked) == 1
    assert len(refused) == 19, results
    assert {r.code for r in refused} <= {"slot_unavailable", "slot_taken"}
    assert Appointment.objects.filter(status=Status.CONFIRMED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_exclusion_constraint_alone_stops_concurrent_inserts(advisor):
    """Two transactions skip every service lock and insert overlapping interviews: the second
    waits on the first's uncommitted row, and fails when the first commits."""
    seekers = [followed_seeker(advisor) for _ in range(2)]
    first_inserted, first_may_commit = threading.Event(), threading.Event()
    results = {}

    def insert(name, seeker, offset, before_commit=None):
        try:
            with transaction.atomic():
                Appointment.objects.create(
                    advisor=advisor,
                    seeker=seeker,
                    starts_at=TUESDAY_9 + dt.timedelta(minutes=offset),
                    ends_at=TUESDAY_9 + dt.timedelta(minutes=offset + 45),
                    status=Status.CONFIRMED,
                )
                if before_commit:
                    before_commit()
            results[name] = "committed"
        except Exception as exc:  # noqa: BLE001 - asserted below
            results[name] = exc
        finally:
            connections.close_all()

    def hold():
        first_inserted.set()
        first_may_commit.wait(timeout=30)

    first = threading.Thread(target=insert, args=("first", seekers[0], 0, hold))
    second = threading.Thread(target=insert, args=("second", seekers[1], 20))
    first.start()
    assert first_inserted.wait(timeout=30)
    second.start()
    # Wait until PostgreSQL shows the second insert blocked on the first transaction's lock.
    with connection.cursor() as cursor:
        for _ in range(1200):  # up to 60 s on a loaded machine
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query ILIKE 'INSERT INTO %%interviews_appointment%%'"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the second insert never waited on the first")
    first_may_commit.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert results["first"] == "committed"
    assert isinstance(results["second"], IntegrityError)
    assert "appointment_no_advisor_overlap" in str(results["second"])
    assert Appointment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_reschedule_and_booking_of_the_same_slot(advisor):
    WeeklyAvailabilityFactory(
        advisor=advisor, weekday=1, start_time=dt.time(9), end_time=dt.time(12)
    )
    mover, booker = followed_seeker(advisor), followed_seeker(advisor)
    appointment = services.appointment_book(
        seeker=mover, starts_at=TUESDAY_9 + dt.timedelta(minutes=90), now=NOW - dt.timedelta(days=2)
    )
    results = run_together(
        [
            lambda: services.appointment_reschedule(
                appointment=appointment,
                by=mover.user,
                starts_at=TUESDAY_9,
                reason="Plus tôt",
                now=NOW - dt.timedelta(days=2),
            ),
            lambda: services.appointment_book(seeker=booker, starts_at=TUESDAY_9, now=NOW),
        ]
    )
    assert sum(isinstance(r, Appointment) for r in results) == 1, results
    assert Appointment.objects.filter(starts_at=TUESDAY_9).count() == 1
