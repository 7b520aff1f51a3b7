"""Demo data of the interviews app, called by `manage.py seed_demo` (idempotent).

Each advisor gets a usual week (Monday to Friday, 9:00-12:00 and 14:00-17:00, i.e. four
45-minute interviews per half-day), a training day as an exception, and interviews over the two
past and the two coming weeks: past ones with every outcome (held, seeker absent, technical
failure, cancelled), coming ones confirmed or proposed, and one whose waiting room is open now.
Advisors who already have a week are left as they are, so a second run writes nothing.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from django.db import transaction
from django.utils import timezone

from seekers.models import FollowUpStatus, Seeker

from .models import (
    Appointment,
    AvailabilityException,
    ExceptionReason,
    Status,
    WeeklyAvailability,
)
from .selectors import local_datetime

HALF_DAYS = [(time(9), time(12)), (time(14), time(17))]
SLOT = timedelta(minutes=45)
WEEKS = 2
REASONS = [
    "Rendez-vous médical",
    "Entretien d'embauche le même jour",
    "Formation imprévue",
    "Garde d'enfant",
]


def _past_outcome(number: int) -> str:
    # Mostly held; one in eight seeker absent, one in ten technical failure, one in twelve
    # cancelled.
    if number % 12 == 5:
        return Status.CANCELLED
    if number % 10 == 3:
        return Status.TECHNICAL_FAILURE
    if number % 8 == 1:
        return Status.SEEKER_ABSENT
    return Status.HELD


def _appointment(advisor, seeker, starts_at, now, number) -> Appointment:
    appointment = Appointment(
        advisor=advisor,
        seeker=seeker,
        starts_at=starts_at,
        ends_at=starts_at + SLOT,
        status=Status.CONFIRMED,
        created_by=seeker.user,
        created_at=starts_at - timedelta(days=7),
        confirmed_at=starts_at - timedelta(days=7),
    )
    if starts_at + SLOT + timedelta(minutes=30) < now:
        outcome = _past_outcome(number)
        appointment.status = outcome
        appointment.settled_at = starts_at + timedelta(hours=1)
        appointment.advisor_joined_at = starts_at - timedelta(minutes=3)
        if outcome == Status.HELD:
            appointment.seeker_joined_at = starts_at - timedelta(minutes=2)
            appointment.media_started_at = starts_at + timedelta(seconds=40)
            appointment.held_seconds = (28 + number % 15) * 60
            appointment.call_ended_at = appointment.media_started_at + timedelta(
                seconds=appointment.held_seconds
            )
            if number % 9 == 0:
                appointment.fallback = "audio"
        elif outcome == Status.TECHNICAL_FAILURE:
            appointment.seeker_joined_at = starts_at - timedelta(minutes=1)
            appointment.failure_reported_at = starts_at + timedelta(minutes=1)
            appointment.fallback = "phone" if number % 2 else "chat"
        elif outcome == Status.CANCELLED:
            appointment.advisor_joined_at = None
            appointment.cancelled_at = starts_at - timedelta(days=2)
            appointment.cancelled_by = seeker.user if number % 2 else advisor.user
            appointment.cancel_reason = REASONS[number % len(REASONS)]
        appointment.reminder_24h_sent_at = starts_at - timedelta(hours=24)
        appointment.reminder_1h_sent_at = starts_at - timedelta(hours=1)
    elif number % 7 == 2:
        appointment.status = Status.PROPOSED
        appointment.created_by = advisor.user
        appointment.confirmed_at = None
    return appointment


def seed(*, agency, advisors, stdout) -> None:
    now = timezone.now().replace(second=0, microsecond=0)
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    done = set(
        WeeklyAvailability.objects.filter(advisor__in=advisors).values_list("advisor_id", flat=True)
    )
    todo = [advisor for advisor in advisors if advisor.pk not in done]
    if not todo:
        stdout.write("  interviews: already seeded")
        return
    caseloads: dict[int, list[Seeker]] = {advisor.pk: [] for advisor in todo}
    for seeker in (
        Seeker.objects.filter(referent__in=todo, status=FollowUpStatus.FOLLOWED_ONLINE)
        .select_related("user")
        .order_by("pk")
    ):
        caseloads[seeker.referent_id].append(seeker)
    weekly, exceptions, appointments = [], [], []
    for index, advisor in enumerate(todo):
        for weekday in range(5):
            for start, end in HALF_DAYS:
                weekly.append(
                    WeeklyAvailability(
                        advisor=advisor, weekday=weekday, start_time=start, end_time=end
                    )
                )
        # A training day next week, a different weekday for each advisor.
        training: date = monday + timedelta(days=7 + index % 5)
        exceptions.append(
            AvailabilityException(
                advisor=advisor,
                starts_at=local_datetime(training, time(0)),
                ends_at=local_datetime(training + timedelta(days=1), time(0)),
                reason=ExceptionReason.TRAINING,
                label="Formation LSF" if advisor.signs_lsf else "Formation outils numériques",
            )
        )
        seekers = caseloads[advisor.pk]
        if not seekers:
            continue
        number = 0
        for day_offset in range(-7 * WEEKS, 7 * WEEKS):
            day = monday + timedelta(days=day_offset)
            if day.weekday() >= 5 or day == training:
                continue
            for start, _ in HALF_DAYS:
                first = local_datetime(day, start)
                for slot in range(4):
                    starts_at = first + slot * SLOT
                    # Leave the slots of the next two days partly free for booking.
                    if now < starts_at < now + timedelta(days=2) and slot % 2:
                        continue
                    seeker = seekers[number % len(seekers)]
                    appointments.append(_appointment(advisor, seeker, starts_at, now, number))
                    number += 1
        # One interview whose waiting room is open now, to try the call.
        open_now = now + timedelta(minutes=10)
        if not any(
            a.advisor is advisor and a.starts_at < open_now + SLOT and open_now < a.ends_at
            for a in appointments
        ):
            appointments.append(_appointment(advisor, seekers[-1], open_now, now, 4))
    with transaction.atomic():
        WeeklyAvailability.objects.bulk_create(weekly)
        AvailabilityException.objects.bulk_create(exceptions)
        Appointment.objects.bulk_create(appointments, batch_size=500)
    stdout.write(
        f"  interviews: {len(todo)} advisors' weeks, {len(appointments)} interviews "
        f"(past with outcomes, coming, one open now per advisor)"
    )
