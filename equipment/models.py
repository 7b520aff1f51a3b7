"""Equipment checks: what the server peer measured of a user's webcam, microphone and
connection, and the verdict it drew from those measurements."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CheckState(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    ABORTED = "aborted", _("Interrupted")


class Verdict(models.TextChoices):
    PASSED = "passed", _("Passed")
    WARNINGS = "warnings", _("Passed with warnings")
    FAILED = "failed", _("Failed")


class Profile(models.TextChoices):
    STANDARD = "standard", _("Standard")
    LSF = "lsf", _("Signing in LSF")


class EquipmentCheckQuerySet(models.QuerySet):
    def for_user(self, user):
        """Checks a staff user may see in the admin: all, or those of the manager's agency."""
        if user.is_superuser:
            return self
        if user.agency_id:
            return self.filter(seeker__agency_id=user.agency_id)
        return self.none()

    def of_user(self, user):
        """The checks a person ran themselves."""
        return self.filter(user=user)

    def running(self):
        return self.filter(state=CheckState.RUNNING)

    def completed(self):
        return self.filter(state=CheckState.COMPLETED)

    def passing(self):
        return self.completed().filter(verdict__in=[Verdict.PASSED, Verdict.WARNINGS])


class EquipmentCheck(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="equipment_checks",
    )
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="equipment_checks",
    )
    state = models.CharField(
        _("state"), max_length=16, choices=CheckState.choices, default=CheckState.RUNNING
    )
    profile = models.CharField(
        _("thresholds"), max_length=16, choices=Profile.choices, default=Profile.STANDARD
    )
    verdict = models.CharField(_("verdict"), max_length=16, choices=Verdict.choices, blank=True)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    measurements = models.JSONField(_("measurements"), default=dict, blank=True)
    user_agent = models.CharField(_("browser"), max_length=512, blank=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = EquipmentCheckQuerySet.as_manager()

    class Meta:
        verbose_name = _("equipment check")
        verbose_name_plural = _("equipment checks")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["user", "-started_at"])]
        constraints = [
            # One check at a time per user, whichever process runs it.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(state=CheckState.RUNNING),
                name="one_running_equipment_check_per_user",
            ),
            models.CheckConstraint(
                condition=Q(state=CheckState.COMPLETED) & ~Q(verdict="")
                | ~Q(state=CheckState.COMPLETED) & Q(verdict=""),
                name="equipment_check_verdict_iff_completed",
            ),
        ]

    def __str__(self):
        return f"{self.user} — {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def passed(self) -> bool:
        return self.verdict in (Verdict.PASSED, Verdict.WARNINGS)

    def reason_messages(self) -> list[dict]:
        from .verdict import describe

        return [describe(reason) for reason in self.reasons]
