"""Webcam interviews: advisors' availability, appointments, and the record of what happened.

No double booking is enforced by PostgreSQL itself: migration 0002 adds two exclusion
constraints (one per advisor, one per seeker) over the time range of every appointment that
still holds its slot. They exist only on PostgreSQL; on the embedded SQLite the booking services'
lock on the advisor row is what keeps slots single.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .conf import app_settings


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class WeeklyAvailability(models.Model):
    """One range of the advisor's usual week, in Europe/Paris wall-clock time."""

    advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("advisor"),
        on_delete=models.CASCADE,
        related_name="weekly_availability",
    )
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["advisor", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_time__lt=models.F("end_time")),
                name="weekly_availability_start_before_end",
            ),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}–{self.end_time:%H:%M}"


class ExceptionReason(models.TextChoices):
    LEAVE = "leave", _("Leave")
    TRAINING = "training", _("Training")
    MEETING = "meeting", _("Meeting")
    OTHER = "other", _("Other")


class AvailabilityException(models.Model):
    """A period when the advisor takes no interview although their week says they would."""

    advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("advisor"),
        on_delete=models.CASCADE,
        related_name="availability_exceptions",
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=16, choices=ExceptionReason.choices)
    label = models.CharField(_("label"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("availability exception")
        verbose_name_plural = _("availability exceptions")
        ordering = ["advisor", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")),
                name="availability_exception_start_before_end",
            ),
        ]

    def __str__(self):
        return f"{self.get_reason_display()} {self.starts_at:%Y-%m-%d %H:%M}"


class Status(models.TextChoices):
    PROPOSED = "proposed", _("Proposed by the advisor")
    CONFIRMED = "confirmed", _("Confirmed")
    HELD = "held", _("Held")
    SEEKER_ABSENT = "seeker_absent", _("Seeker absent")
    ADVISOR_ABSENT = "advisor_absent", _("Advisor absent")
    TECHNICAL_FAILURE = "technical_failure", _("Technical failure")
    CANCELLED = "cancelled", _("Cancelled")


# Appointments in these states hold their slot: the exclusion constraints cover them.
HOLDING_STATUSES = (
    Status.PROPOSED,
    Status.CONFIRMED,
    Status.HELD,
    Status.SEEKER_ABSENT,
    Status.ADVISOR_ABSENT,
    Status.TECHNICAL_FAILURE,
)
OUTCOME_STATUSES = (
    Status.HELD,
    Status.SEEKER_ABSENT,
    Status.ADVISOR_ABSENT,
    Status.TECHNICAL_FAILURE,
    Status.CANCELLED,
)


class Fallback(models.TextChoices):
    NONE = "", _("Video")
    AUDIO = "audio", _("Audio only")
    CHAT = "chat", _("Text chat")
    PHONE = "phone", _("Call me back by phone")


FALLBACK_ORDER = [Fallback.NONE, Fallback.AUDIO, Fallback.CHAT, Fallback.PHONE]


class AppointmentQuerySet(models.QuerySet):
    def for_user(self, user):
        """Appointments a person takes part in: as the advisor or as the seeker."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(Q(advisor__user=user) | Q(seeker__user=user))

    def for_advisor(self, advisor):
        return self.filter(advisor=advisor)

    def for_admin(self, user):
        """What the admin shows: everything to superusers, their agency's to managers."""
        if user.is_superuser:
            return self
        if user.is_authenticated and user.agency_id:
            return self.filter(advisor__agency_id=user.agency_id)
        return self.none()

    def for_seeker(self, seeker):
        return self.filter(seeker=seeker)

    def holding(self):
        return self.filter(status__in=HOLDING_STATUSES)

    def overlapping(self, starts_at, ends_at):
        return self.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)

    def upcoming(self, now=None):
        now = now or timezone.now()
        return self.filter(
            ends_at__gt=now, status__in=(Status.PROPOSED, Status.CONFIRMED)
        ).order_by("starts_at")

    def past(self, now=None):
        now = now or timezone.now()
        return self.filter(Q(ends_at__lte=now) | Q(status__in=OUTCOME_STATUSES)).order_by(
            "-starts_at"
        )

    def with_people(self):
        return self.select_related("advisor__user", "seeker__user", "cancelled_by")


class Appointment(models.Model):
    advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("advisor"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.CONFIRMED
    )
    # iCalendar identity: the UID stays, the sequence grows with every change sent out.
    sequence = models.PositiveIntegerField(_("revision"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("booked by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("booked at"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    # What the call itself showed, written by the signalling server and the call pages.
    seeker_joined_at = models.DateTimeField(_("seeker first joined at"), null=True, blank=True)
    advisor_joined_at = models.DateTimeField(_("advisor first joined at"), null=True, blank=True)
    media_started_at = models.DateTimeField(_("media flowing since"), null=True, blank=True)
    call_ended_at = models.DateTimeField(_("call ended at"), null=True, blank=True)
    failure_reported_at = models.DateTimeField(
        _("technical failure reported at"), null=True, blank=True
    )
    fallback = models.CharField(
        _("fallback reached"), max_length=8, choices=Fallback.choices, blank=True, default=""
    )
    held_seconds = models.PositiveIntegerField(_("duration (seconds)"), null=True, blank=True)
    settled_at = models.DateTimeField(_("outcome recorded at"), null=True, blank=True)
    advisor_notes = models.TextField(_("advisor's private notes"), blank=True)
    reminder_24h_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    reminder_1h_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("webcam interview")
        verbose_name_plural = _("webcam interviews")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["advisor", "starts_at"]),
            models.Index(fields=["seeker", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=models.F("ends_at")),
                name="appointment_start_before_end",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="appointment_cancelled_has_date",
            ),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.seeker} / {self.advisor} — {local:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("interviews:detail", args=[self.pk])

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def ical_uid(self) -> str:
        return f"interview-{self.pk}@suivi-web.pole-emploi.demo"

    def window(self) -> tuple:
        """When the waiting room is open and signalling relays: before start to after end."""
        return (
            self.starts_at - timedelta(minutes=app_settings.INTERVIEWS_OPENS_MINUTES_BEFORE),
            self.ends_at + timedelta(minutes=app_settings.INTERVIEWS_CLOSES_MINUTES_AFTER),
        )

    def is_open(self, now=None) -> bool:
        now = now or timezone.now()
        opens, closes = self.window()
        return (
            self.status in (Status.CONFIRMED, Status.HELD, Status.TECHNICAL_FAILURE)
            and opens <= now <= closes
        )

    @property
    def is_outcome(self) -> bool:
        return self.status in OUTCOME_STATUSES


class EventKind(models.TextChoices):
    BOOKED = "booked", _("Booked")
    PROPOSED = "proposed", _("Proposed")
    CONFIRMED = "confirmed", _("Confirmed")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")
    JOINED = "joined", _("Joined the call page")
    LEFT = "left", _("Left the call page")
    ADMITTED = "admitted", _("Seeker admitted")
    MEDIA_FLOWING = "media_flowing", _("Media flowing")
    ICE_FAILED = "ice_failed", _("Connection failed")
    NO_MEDIA = "no_media", _("No media received")
    MEDIA_DENIED = "media_denied", _("Camera or microphone refused")
    SIGNALLING_FAILED = "signalling_failed", _("Signalling failed")
    FALLBACK = "fallback", _("Fallback")
    HANG_UP = "hang_up", _("Hung up")
    OUTCOME = "outcome", _("Outcome recorded")
    REMINDER = "reminder", _("Reminder sent")


# Client reports that are evidence of a technical failure, never of an absence.
FAILURE_KINDS = (
    EventKind.ICE_FAILED,
    EventKind.NO_MEDIA,
    EventKind.MEDIA_DENIED,
    EventKind.SIGNALLING_FAILED,
)


class AppointmentEvent(models.Model):
    """Append-only log of an appointment: every booking change, join, report and switch."""

    appointment = models.ForeignKey(
        Appointment,
        verbose_name=_("interview"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    kind = models.CharField(_("event"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("interview event")
        verbose_name_plural = _("interview events")
        ordering = ["occurred_at", "pk"]
        indexes = [models.Index(fields=["appointment", "kind"])]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.occurred_at:%Y-%m-%d %H:%M})"
