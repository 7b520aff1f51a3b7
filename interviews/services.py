"""Every write of the interviews app: availability, booking and its changes, what the call
showed, outcomes and notes, reminders.

Booking writes lock the advisor row (`select_for_update`) so that two bookings of one advisor
run one after the other on every database; on PostgreSQL the exclusion constraints of migration
0002 are the last word, and their violation comes back as BookingError("slot_taken").
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from advisors.models import Advisor
from seekers.models import FollowUpStatus, Seeker

from .conf import app_settings
from .models import (
    FAILURE_KINDS,
    FALLBACK_ORDER,
    Appointment,
    AppointmentEvent,
    AvailabilityException,
    EventKind,
    Fallback,
    Status,
    WeeklyAvailability,
)
from .permissions import ADVISOR, SEEKER, role_in
from .selectors import free_slots, slot_length


class BookingError(Exception):
    """A booking write the rules refuse; `code` names the rule, views translate it."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _event(appointment, kind, *, actor=None, at=None, **detail) -> AppointmentEvent:
    return AppointmentEvent.objects.create(
        appointment=appointment,
        kind=kind,
        actor=actor,
        occurred_at=at or timezone.now(),
        detail=detail,
    )


def _notify(appointment: Appointment, kind: str) -> None:
    """Emails go out once the write is committed, by the task worker."""
    from .tasks import send_appointment_notice

    pk = appointment.pk
    transaction.on_commit(lambda: send_appointment_notice.enqueue(pk, kind))


def _lock_advisor(advisor_id: int) -> Advisor:
    """Holds the advisor row until commit: bookings of one advisor are serialised."""
    return Advisor.objects.select_for_update().get(pk=advisor_id)


def _lock_appointment(pk: int) -> Appointment:
    """Holds the appointment row until commit: its changes and call records are serialised."""
    return Appointment.objects.select_for_update().get(pk=pk)


def _change_notice() -> timedelta:
    return timedelta(hours=app_settings.INTERVIEWS_CHANGE_NOTICE_HOURS)


def _insert(appointment: Appointment) -> Appointment:
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as exc:
        if "overlap" in str(exc):
            raise BookingError("slot_taken") from exc
        raise
    return appointment


def _is_published_slot(advisor, starts_at, *, now, exclude_pk=None) -> bool:
    day = timezone.localdate(starts_at)
    return any(
        slot.starts_at == starts_at
        for slot in free_slots(
            advisor=advisor, first_day=day, last_day=day, now=now, exclude_pk=exclude_pk
        )
    )


def _check_free_time(advisor, seeker, starts_at, ends_at, *, now, exclude_pk=None) -> None:
    """For times the advisor picks freely: in the future, clear of exceptions and interviews."""
    if starts_at < now + timedelta(minutes=app_settings.INTERVIEWS_BOOKING_NOTICE_MINUTES):
        raise BookingError("too_late")
    if AvailabilityException.objects.filter(
        advisor=advisor, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists():
        raise BookingError("advisor_unavailable")
    clashes = Appointment.objects.holding().overlapping(starts_at, ends_at)
    if exclude_pk is not None:
        clashes = clashes.exclude(pk=exclude_pk)
    if clashes.filter(advisor=advisor).exists() or clashes.filter(seeker=seeker).exists():
        raise BookingError("slot_taken")


# --- Availability ---------------------------------------------------------------------------


def availability_add_weekly(*, advisor, weekday: int, start_time: time, end_time: time):
    if start_time >= end_time:
        raise BookingError("range_empty")
    return WeeklyAvailability.objects.create(
        advisor=advisor, weekday=weekday, start_time=start_time, end_time=end_time
    )


def availability_remove_weekly(*, advisor, pk: int) -> None:
    WeeklyAvailability.objects.filter(advisor=advisor, pk=pk).delete()


def availability_add_exception(*, advisor, starts_at, ends_at, reason: str, label: str = ""):
    if starts_at >= ends_at:
        raise BookingError("range_empty")
    return AvailabilityException.objects.create(
        advisor=advisor, starts_at=starts_at, ends_at=ends_at, reason=reason, label=label
    )


def availability_remove_exception(*, advisor, pk: int) -> None:
    AvailabilityException.objects.filter(advisor=advisor, pk=pk).delete()


# --- Booking --------------------------------------------------------------------------------


@transaction.atomic
def appointment_book(*, seeker: Seeker, starts_at: datetime, now=None) -> Appointment:
    """The seeker books one of their referent's published slots."""
    now = now or timezone.now()
    if seeker.status != FollowUpStatus.FOLLOWED_ONLINE or seeker.referent_id is None:
        raise BookingError("no_referent")
    advisor = _lock_advisor(seeker.referent_id)
    if not _is_published_slot(advisor, starts_at, now=now):
        raise BookingError("slot_unavailable")
    if (
        Appointment.objects.holding()
        .filter(seeker=seeker)
        .overlapping(starts_at, starts_at + slot_length())
        .exists()
    ):
        raise BookingError("slot_taken")
    appointment = _insert(
        Appointment(
            advisor=advisor,
            seeker=seeker,
            starts_at=starts_at,
            ends_at=starts_at + slot_length(),
            status=Status.CONFIRMED,
            created_by=seeker.user,
            created_at=now,
            confirmed_at=now,
        )
    )
    _event(appointment, EventKind.BOOKED, actor=seeker.user, at=now)
    _notify(appointment, "booked")
    return appointment


@transaction.atomic
def appointment_propose(
    *, advisor: Advisor, seeker: Seeker, starts_at: datetime, now=None
) -> Appointment:
    """The advisor proposes a time to one of their seekers; it holds the slot until the seeker
    confirms or declines it."""
    now = now or timezone.now()
    if seeker.referent_id != advisor.pk:
        raise BookingError("not_referent")
    advisor = _lock_advisor(advisor.pk)
    ends_at = starts_at + slot_length()
    _check_free_time(advisor, seeker, starts_at, ends_at, now=now)
    appointment = _insert(
        Appointment(
            advisor=advisor,
            seeker=seeker,
            starts_at=starts_at,
            ends_at=ends_at,
            status=Status.PROPOSED,
            created_by=advisor.user,
            created_at=now,
        )
    )
    _event(appointment, EventKind.PROPOSED, actor=advisor.user, at=now)
    _notify(appointment, "proposed")
    return appointment


@transaction.atomic
def appointment_confirm(*, appointment: Appointment, by, now=None) -> Appointment:
    now = now or timezone.now()
    appointment = _lock_appointment(appointment.pk)
    if role_in(by, appointment) != SEEKER:
        raise BookingError("forbidden")
    if appointment.status != Status.PROPOSED:
        raise BookingError("not_proposed")
    if appointment.starts_at <= now:
        raise BookingError("too_late")
    appointment.status = Status.CONFIRMED
    appointment.confirmed_at = now
    appointment.sequence = F("sequence") + 1
    appointment.save(update_fields=["status", "confirmed_at", "sequence"])
    appointment.refresh_from_db(fields=["sequence"])
    _event(appointment, EventKind.CONFIRMED, actor=by, at=now)
    _notify(appointment, "confirmed")
    return appointment


def _check_change(appointment: Appointment, by, now) -> str:
    role = role_in(by, appointment)
    if role is None:
        raise BookingError("forbidden")
    if appointment.status not in (Status.PROPOSED, Status.CONFIRMED):
        raise BookingError("not_changeable")
    # A proposal the seeker has not accepted yet may always be declined.
    if appointment.status == Status.CONFIRMED and appointment.starts_at - now < _change_notice():
        raise BookingError("notice_too_short")
    return role


@transaction.atomic
def appointment_reschedule(
    *, appointment: Appointment, by, starts_at: datetime, reason: str, now=None
) -> Appointment:
    """Moves an interview; the seeker must pick a published slot, the advisor any free time."""
    now = now or timezone.now()
    if not reason.strip():
        raise BookingError("reason_required")
    advisor = _lock_advisor(appointment.advisor_id)
    appointment = _lock_appointment(appointment.pk)
    role = _check_change(appointment, by, now)
    ends_at = starts_at + slot_length()
    if role == SEEKER:
        if not _is_published_slot(advisor, starts_at, now=now, exclude_pk=appointment.pk):
            raise BookingError("slot_unavailable")
    else:
        _check_free_time(
            advisor, appointment.seeker, starts_at, ends_at, now=now, exclude_pk=appointment.pk
        )
    previous = appointment.starts_at
    appointment.starts_at = starts_at
    appointment.ends_at = ends_at
    appointment.sequence += 1
    appointment.reminder_24h_sent_at = None
    appointment.reminder_1h_sent_at = None
    _insert(appointment)
    _event(
        appointment,
        EventKind.RESCHEDULED,
        actor=by,
        at=now,
        reason=reason,
        previous=previous.isoformat(),
        by_role=role,
    )
    _notify(appointment, "rescheduled")
    return appointment


@transaction.atomic
def appointment_cancel(*, appointment: Appointment, by, reason: str, now=None) -> Appointment:
    now = now or timezone.now()
    if not reason.strip():
        raise BookingError("reason_required")
    appointment = _lock_appointment(appointment.pk)
    role = _check_change(appointment, by, now)
    appointment.status = Status.CANCELLED
    appointment.cancelled_by = by
    appointment.cancelled_at = now
    appointment.cancel_reason = reason
    appointment.sequence += 1
    appointment.settled_at = now
    appointment.save()
    _event(appointment, EventKind.CANCELLED, actor=by, at=now, reason=reason, by_role=role)
    _notify(appointment, "cancelled")
    return appointment


# --- What the call showed -------------------------------------------------------------------
# Written by the signalling consumer (joins, leaves, hang-ups, relayed reports) and by the call
# page's report endpoint when the websocket itself cannot be opened.

CLIENT_REPORTS = {
    "media_flowing": EventKind.MEDIA_FLOWING,
    "ice_failed": EventKind.ICE_FAILED,
    "no_media": EventKind.NO_MEDIA,
    "media_denied": EventKind.MEDIA_DENIED,
    "signalling_failed": EventKind.SIGNALLING_FAILED,
}


@transaction.atomic
def call_record_join(*, appointment_id: int, user, now=None) -> str:
    now = now or timezone.now()
    appointment = _lock_appointment(appointment_id)
    role = role_in(user, appointment)
    if role is None:
        raise BookingError("forbidden")
    field = "seeker_joined_at" if role == SEEKER else "advisor_joined_at"
    if getattr(appointment, field) is None:
        setattr(appointment, field, now)
        appointment.save(update_fields=[field])
    _event(appointment, EventKind.JOINED, actor=user, at=now, role=role)
    return role


def call_record_leave(*, appointment_id: int, user, code=None, now=None) -> None:
    """A page's websocket closed; the close code tells a hang-up (1000, 1001) from a dropped
    connection (1006), which the record keeps as evidence of a technical problem."""
    appointment = Appointment.objects.with_people().get(pk=appointment_id)
    _event(
        appointment,
        EventKind.LEFT,
        actor=user,
        at=now,
        role=role_in(user, appointment),
        code=code,
    )


def call_record_admit(*, appointment_id: int, user, now=None) -> None:
    appointment = Appointment.objects.with_people().get(pk=appointment_id)
    if role_in(user, appointment) != ADVISOR:
        raise BookingError("forbidden")
    _event(appointment, EventKind.ADMITTED, actor=user, at=now)


@transaction.atomic
def call_record_report(*, appointment_id: int, user, report: str, detail=None, now=None) -> None:
    """A participant's page says what it saw. Media flowing on both sides starts the call's
    clock; any failure report from the seeker is proof that they were there."""
    now = now or timezone.now()
    if report not in CLIENT_REPORTS:
        raise BookingError("unknown_report")
    appointment = _lock_appointment(appointment_id)
    role = role_in(user, appointment)
    if role is None:
        raise BookingError("forbidden")
    kind = CLIENT_REPORTS[report]
    fields = []
    if role == SEEKER and appointment.seeker_joined_at is None:
        appointment.seeker_joined_at = now
        fields.append("seeker_joined_at")
    if role == ADVISOR and appointment.advisor_joined_at is None:
        appointment.advisor_joined_at = now
        fields.append("advisor_joined_at")
    if kind in FAILURE_KINDS and appointment.failure_reported_at is None:
        appointment.failure_reported_at = now
        fields.append("failure_reported_at")
    if kind == EventKind.MEDIA_FLOWING and appointment.media_started_at is None:
        other = SEEKER if role == ADVISOR else ADVISOR
        if appointment.events.filter(kind=EventKind.MEDIA_FLOWING, detail__role=other).exists():
            appointment.media_started_at = now
            fields.append("media_started_at")
    if fields:
        appointment.save(update_fields=fields)
    _event(appointment, kind, actor=user, at=now, role=role, **(detail or {}))


@transaction.atomic
def call_record_hang_up(*, appointment_id: int, user, now=None) -> None:
    now = now or timezone.now()
    appointment = _lock_appointment(appointment_id)
    role = role_in(user, appointment)
    if role is None:
        raise BookingError("forbidden")
    if appointment.media_started_at is not None:
        appointment.call_ended_at = now
        appointment.save(update_fields=["call_ended_at"])
    _event(appointment, EventKind.HANG_UP, actor=user, at=now, role=role)


@transaction.atomic
def call_switch_fallback(*, appointment_id: int, user, level: str, now=None) -> str:
    """Moves the call one rung down the ladder (audio only, text chat, phone call-back); the
    appointment keeps the lowest rung reached, and each switch is an event."""
    now = now or timezone.now()
    if level not in (Fallback.AUDIO, Fallback.CHAT, Fallback.PHONE):
        raise BookingError("unknown_fallback")
    appointment = _lock_appointment(appointment_id)
    role = role_in(user, appointment)
    if role is None:
        raise BookingError("forbidden")
    if FALLBACK_ORDER.index(level) > FALLBACK_ORDER.index(appointment.fallback):
        appointment.fallback = level
        appointment.save(update_fields=["fallback"])
    detail = {"level": level, "role": role}
    if level == Fallback.PHONE:
        detail["phone"] = appointment.seeker.phone
    _event(appointment, EventKind.FALLBACK, actor=user, at=now, **detail)
    return appointment.fallback


# Stored as written: the record is the same whatever the reader's language.
EXPIRED_PROPOSAL = "Proposition non confirmée avant l'heure de l'entretien"

# --- Outcomes ----------------------------------------------------------------------------------


def _call_end(appointment: Appointment, closes: datetime) -> datetime:
    if appointment.call_ended_at:
        return appointment.call_ended_at
    last_left = (
        appointment.events.filter(
            kind=EventKind.LEFT, occurred_at__gte=appointment.media_started_at
        )
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return min(last_left or closes, closes)


def decide_outcome(appointment: Appointment) -> str:
    """What happened, from the record alone.

    - media flowed both ways: held;
    - the advisor never came: advisor absent, never held against the seeker;
    - the seeker joined (websocket, or any report from their page) but media never flowed:
      technical failure — never an absence;
    - otherwise the seeker never joined: seeker absent.
    """
    if appointment.media_started_at is not None:
        return Status.HELD
    if appointment.advisor_joined_at is None:
        return Status.ADVISOR_ABSENT
    if appointment.seeker_joined_at is not None or appointment.failure_reported_at is not None:
        return Status.TECHNICAL_FAILURE
    return Status.SEEKER_ABSENT


@transaction.atomic
def appointment_settle(*, appointment: Appointment, now=None) -> str:
    """Writes the outcome of a confirmed interview whose call window has closed."""
    now = now or timezone.now()
    appointment = _lock_appointment(appointment.pk)
    if appointment.status != Status.CONFIRMED:
        return appointment.status
    _, closes = appointment.window()
    if now < closes:
        raise BookingError("not_finished")
    outcome = decide_outcome(appointment)
    appointment.status = outcome
    appointment.settled_at = now
    if outcome == Status.HELD:
        end = _call_end(appointment, closes)
        appointment.held_seconds = max(0, int((end - appointment.media_started_at).total_seconds()))
    appointment.save()
    _event(appointment, EventKind.OUTCOME, at=now, outcome=outcome, automatic=True)
    return outcome


def appointments_settle_due(now=None) -> int:
    """Outcomes of the confirmed interviews whose window has closed; proposals nobody confirmed
    before their start are cancelled, which frees nothing but keeps the lists honest."""
    now = now or timezone.now()
    after_end = timedelta(minutes=app_settings.INTERVIEWS_CLOSES_MINUTES_AFTER)
    for proposal in Appointment.objects.filter(status=Status.PROPOSED, starts_at__lte=now):
        with transaction.atomic():
            Appointment.objects.filter(pk=proposal.pk, status=Status.PROPOSED).update(
                status=Status.CANCELLED,
                cancelled_at=now,
                settled_at=now,
                cancel_reason=EXPIRED_PROPOSAL,
            )
            _event(proposal, EventKind.CANCELLED, at=now, reason=EXPIRED_PROPOSAL)
    due = Appointment.objects.filter(status=Status.CONFIRMED, ends_at__lte=now - after_end)
    count = 0
    for appointment in due:
        appointment_settle(appointment=appointment, now=now)
        count += 1
    return count


@transaction.atomic
def appointment_set_outcome(*, appointment: Appointment, by, outcome: str, now=None) -> str:
    """The advisor corrects or completes the outcome after the call (a call held by phone after
    the call-back, say). An absence is refused whenever the record shows the seeker came."""
    now = now or timezone.now()
    appointment = _lock_appointment(appointment.pk)
    if role_in(by, appointment) != ADVISOR:
        raise BookingError("forbidden")
    if outcome not in (Status.HELD, Status.SEEKER_ABSENT, Status.TECHNICAL_FAILURE):
        raise BookingError("unknown_outcome")
    if appointment.status in (Status.PROPOSED, Status.CANCELLED) or appointment.starts_at > now:
        raise BookingError("not_finished")
    seeker_came = (
        appointment.seeker_joined_at is not None
        or appointment.failure_reported_at is not None
        or appointment.events.filter(actor=appointment.seeker.user).exists()
    )
    if outcome == Status.SEEKER_ABSENT and seeker_came:
        raise BookingError("seeker_joined")
    if outcome == Status.SEEKER_ABSENT and now < appointment.window()[1]:
        # The seeker may still come until the call window closes.
        raise BookingError("not_finished")
    if outcome == Status.HELD and appointment.held_seconds is None:
        end = appointment.call_ended_at or min(now, appointment.ends_at)
        start = appointment.media_started_at or appointment.starts_at
        appointment.held_seconds = max(0, int((end - start).total_seconds()))
    appointment.status = outcome
    appointment.settled_at = now
    appointment.save()
    _event(appointment, EventKind.OUTCOME, actor=by, at=now, outcome=outcome, automatic=False)
    return outcome


def appointment_save_notes(*, appointment: Appointment, by, notes: str) -> Appointment:
    if role_in(by, appointment) != ADVISOR:
        raise BookingError("forbidden")
    Appointment.objects.filter(pk=appointment.pk).update(advisor_notes=notes)
    appointment.advisor_notes = notes
    return appointment


# --- Reminders ---------------------------------------------------------------------------------

REMINDERS = (
    ("reminder_1h_sent_at", timedelta(hours=1), "reminder_1h"),
    ("reminder_24h_sent_at", timedelta(hours=24), "reminder_24h"),
)


def reminders_send_due(now=None) -> int:
    """Sends every reminder that is due, exactly once each.

    Each appointment is locked with SKIP LOCKED, its email sent, and the sent mark committed in
    the same transaction: a second worker skips it or sees the mark; a failed send rolls back
    and is retried on the next run. The 24-hour reminder is skipped once the 1-hour one is due,
    and neither is sent for an interview confirmed after it would have been due.
    """
    from .emails import send_appointment_email

    now = now or timezone.now()
    sent = 0
    for field, lead, kind in REMINDERS:
        due = Appointment.objects.filter(
            status=Status.CONFIRMED,
            starts_at__gt=now,
            starts_at__lte=now + lead,
            confirmed_at__lte=F("starts_at") - lead,
            **{f"{field}__isnull": True},
        )
        if kind == "reminder_24h":
            due = due.filter(starts_at__gt=now + timedelta(hours=1))
        for pk in due.values_list("pk", flat=True):
            with transaction.atomic():
                appointment = (
                    Appointment.objects.select_for_update(skip_locked=True, of=("self",))
                    .with_people()
                    .filter(pk=pk, status=Status.CONFIRMED, **{f"{field}__isnull": True})
                    .first()
                )
                if appointment is None:
                    continue
                send_appointment_email(appointment, kind)
                setattr(appointment, field, now)
                appointment.save(update_fields=[field])
                _event(appointment, EventKind.REMINDER, at=now, reminder=kind)
                sent += 1
    return sent
