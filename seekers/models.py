"""Job seekers followed 100% online: their enrolment, referent advisor and follow-up timeline."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FollowUpStatus(models.TextChoices):
    ENROLLING = "enrolling", _("Enrolling")
    FOLLOWED_ONLINE = "followed_online", _("Followed online")
    RETURNED_TO_AGENCY = "returned_to_agency", _("Returned to the agency")
    CLOSED = "closed", _("Closed")


class EnrolmentStep(models.TextChoices):
    DECLARATIONS = "declarations", _("Equipment and consent")
    ACCESSIBILITY = "accessibility", _("Accessibility needs")
    EQUIPMENT_CHECK = "equipment_check", _("Awaiting equipment check")
    AWAITING_ADVISOR = "awaiting_advisor", _("Waiting for an advisor")
    DONE = "done", _("Enrolled")


# The order in which a seeker goes through enrolment.
ENROLMENT_ORDER = [
    EnrolmentStep.DECLARATIONS,
    EnrolmentStep.ACCESSIBILITY,
    EnrolmentStep.EQUIPMENT_CHECK,
    EnrolmentStep.AWAITING_ADVISOR,
    EnrolmentStep.DONE,
]


class AccessibilityNeed(models.TextChoices):
    NONE = "none", _("None")
    DEAF_SIGNING = "deaf_signing", _("Deaf, I sign (French Sign Language, LSF)")
    HARD_OF_HEARING = "hard_of_hearing", _("Hard of hearing")
    OTHER = "other", _("Other need")


class ContactChannel(models.TextChoices):
    CHAT = "chat", _("Instant messaging")
    VIDEO = "video", _("Webcam interview")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone call")


class AgeBand(models.TextChoices):
    UNDER_25 = "under_25", _("Under 25")
    FROM_25_TO_49 = "25_49", _("25 to 49")
    FROM_50 = "50_plus", _("50 and over")


class ReturnReason(models.TextChoices):
    PREFER_AGENCY = "prefer_agency", _("I prefer meeting an advisor in person")
    EQUIPMENT = "equipment", _("My equipment or connection no longer allows it")
    FOUND_JOB = "found_job", _("I found a job or training")
    OTHER = "other", _("Other reason")


class SeekerQuerySet(models.QuerySet):
    def for_user(self, user):
        """Seekers a staff user may see in the admin: all, or those of the manager's agency."""
        if user.is_superuser:
            return self
        if user.agency_id:
            return self.filter(agency_id=user.agency_id)
        return self.none()

    def for_advisor(self, advisor):
        return self.filter(referent=advisor)

    def for_staff_advisor(self, advisor):
        """Seekers whose file an advisor may open: their own, and those of an absent advisor
        they back up."""
        from advisors.models import Advisor, AdvisorState

        # An IN over the few advisors concerned, not an OR across the join (which scans every
        # seeker at national size).
        referents = Advisor.objects.filter(
            Q(pk=advisor.pk) | Q(state=AdvisorState.ABSENT, backup=advisor)
        ).values("pk")
        return self.filter(referent__in=referents)

    def followed(self):
        return self.filter(status=FollowUpStatus.FOLLOWED_ONLINE)

    def awaiting_advisor(self):
        return self.filter(
            status=FollowUpStatus.ENROLLING, enrolment_step=EnrolmentStep.AWAITING_ADVISOR
        )


class Seeker(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="seeker_profile",
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="seekers",
    )
    referent = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("referent advisor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="caseload",
    )
    status = models.CharField(
        _("follow-up status"),
        max_length=24,
        choices=FollowUpStatus.choices,
        default=FollowUpStatus.ENROLLING,
    )
    enrolment_step = models.CharField(
        _("enrolment step"),
        max_length=24,
        choices=EnrolmentStep.choices,
        default=EnrolmentStep.DECLARATIONS,
    )
    accessibility_need = models.CharField(
        _("accessibility needs"),
        max_length=24,
        choices=AccessibilityNeed.choices,
        default=AccessibilityNeed.NONE,
    )
    accessibility_details = models.TextField(_("accessibility details"), blank=True)
    preferred_channel = models.CharField(
        _("preferred contact channel"),
        max_length=16,
        choices=ContactChannel.choices,
        default=ContactChannel.CHAT,
    )
    age_band = models.CharField(_("age band"), max_length=16, choices=AgeBand.choices, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    declared_device_with_webcam = models.BooleanField(
        _("declared a device with a webcam"), default=False
    )
    declared_good_connection = models.BooleanField(_("declared a good connection"), default=False)
    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_version = models.CharField(_("consent notice version"), max_length=16, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"), null=True, blank=True)
    queued_since = models.DateTimeField(_("waiting for an advisor since"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned to the agency at"), null=True, blank=True)
    return_reason = models.CharField(
        _("reason for returning"), max_length=24, choices=ReturnReason.choices, blank=True
    )
    return_comment = models.TextField(_("comment on returning"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = SeekerQuerySet.as_manager()

    class Meta:
        verbose_name = _("job seeker")
        verbose_name_plural = _("job seekers")
        ordering = ["user__last_name", "user__first_name"]
        indexes = [
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["status", "enrolment_step"]),
        ]
        constraints = [
            # A followed seeker always has a referent; nobody else holds one.
            models.CheckConstraint(
                condition=Q(status=FollowUpStatus.FOLLOWED_ONLINE, referent__isnull=False)
                | (~Q(status=FollowUpStatus.FOLLOWED_ONLINE) & Q(referent__isnull=True)),
                name="seeker_referent_iff_followed",
            ),
        ]

    def __str__(self):
        return str(self.user)

    def get_absolute_url(self):
        return reverse("seekers:home")

    @property
    def signs_lsf(self) -> bool:
        return self.accessibility_need == AccessibilityNeed.DEAF_SIGNING

    def step_reached(self, step: str) -> bool:
        return ENROLMENT_ORDER.index(self.enrolment_step) >= ENROLMENT_ORDER.index(step)


class AssignmentReason(models.TextChoices):
    AUTOMATIC = "automatic", _("Automatic assignment")
    FORMER_ADVISOR = "former_advisor", _("Former advisor, back")
    MANAGER = "manager", _("Reassigned by a manager")
    REBALANCING = "rebalancing", _("Caseload rebalancing")


class ReferentAssignment(models.Model):
    """Who followed a seeker and when: one row per period with a referent."""

    seeker = models.ForeignKey(
        Seeker, verbose_name=_("job seeker"), on_delete=models.CASCADE, related_name="assignments"
    )
    advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("advisor"),
        on_delete=models.PROTECT,
        related_name="assignments",
    )
    reason = models.CharField(_("reason"), max_length=24, choices=AssignmentReason.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_at = models.DateTimeField(_("from"), default=timezone.now)
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("referent period")
        verbose_name_plural = _("referent periods")
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["seeker"],
                condition=Q(ended_at__isnull=True),
                name="one_open_assignment_per_seeker",
            )
        ]

    def __str__(self):
        return f"{self.seeker} → {self.advisor}"


class TimelineKind(models.TextChoices):
    ENROLMENT_STARTED = "enrolment_started", _("Enrolment started")
    IMPORTED = "imported", _("Imported by the agency")
    DECLARATIONS_SAVED = "declarations_saved", _("Equipment declared and consent given")
    ACCESSIBILITY_SAVED = "accessibility_saved", _("Accessibility needs stated")
    EQUIPMENT_CHECK = "equipment_check", _("Equipment check")
    QUEUED = "queued", _("Waiting for an available advisor")
    REFERENT_ASSIGNED = "referent_assigned", _("Referent advisor assigned")
    REFERENT_CHANGED = "referent_changed", _("Referent advisor changed")
    RETURNED_TO_AGENCY = "returned_to_agency", _("Returned to in-agency follow-up")
    REJOINED = "rejoined", _("Back to the 100% web follow-up")
    CLOSED = "closed", _("Follow-up closed")


class TimelineEvent(models.Model):
    """Append-only record of what happened to a seeker's follow-up."""

    seeker = models.ForeignKey(
        Seeker, verbose_name=_("job seeker"), on_delete=models.CASCADE, related_name="timeline"
    )
    kind = models.CharField(_("event"), max_length=32, choices=TimelineKind.choices)
    occurred_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    advisor = models.ForeignKey(
        "advisors.Advisor",
        verbose_name=_("advisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline events")
        ordering = ["-occurred_at", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.occurred_at:%Y-%m-%d %H:%M})"


class SeekerQueueEntry(Seeker):
    """Seekers waiting for a referent advisor, shown to managers as their own list."""

    class Meta:
        proxy = True
        verbose_name = _("seeker waiting for an advisor")
        verbose_name_plural = _("seekers waiting for an advisor")
