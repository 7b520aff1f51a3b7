"""The embedded SQLite default of `make run`: the migrations apply (the exclusion constraints are
PostgreSQL only) and the booking services alone still refuse a second booking of a slot."""

import textwrap

from tests.embedded import AGENCY_WITH_ADVISOR, run_embedded

SCRIPT = AGENCY_WITH_ADVISOR + textwrap.dedent(
    """
    from zoneinfo import ZoneInfo
    from interviews import services
    from interviews.models import Appointment, WeeklyAvailability
    WeeklyAvailability.objects.create(
        advisor=advisor, weekday=1, start_time=dt.time(9), end_time=dt.time(12)
    )
    seekers = [
        Seeker.objects.create(
            user=User.objects.create_user(f"s{i}@x.test"),
            agency=agency,
            referent=advisor,
            status=FollowUpStatus.FOLLOWED_ONLINE,
        )
        for i in range(2)
    ]
    paris = ZoneInfo("Europe/Paris")
    now = dt.datetime(2026, 6, 1, 8, tzinfo=paris)
    at = dt.datetime(2026, 6, 2, 9, tzinfo=paris)
    services.appointment_book(seeker=seekers[0], starts_at=at, now=now)
    try:
        services.appointment_book(seeker=seekers[1], starts_at=at, now=now)
    except services.BookingError as error:
        print("refused", error.code)
    print("count", Appointment.objects.count())
    """
)


def test_migrations_and_booking_rules_hold_on_sqlite(tmp_path):
    stdout = run_embedded(SCRIPT, tmp_path)
    assert "refused slot_unavailable" in stdout
    assert "count 1" in stdout
