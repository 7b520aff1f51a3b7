"""Erasure requests: the seeker asks, a manager of their agency carries it out."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ErasureStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a manager")
    DONE = "done", _("Carried out")
    REFUSED = "refused", _("Refused")


class ErasureRequestQuerySet(models.QuerySet):
    def for_user(self, user):
        if user.is_superuser:
            return self
        if user.agency_id:
            return self.filter(seeker__agency_id=user.agency_id)
        return self.none()


class ErasureRequest(models.Model):
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.PROTECT,
        related_name="erasure_requests",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    status = models.CharField(
        _("status"), max_length=16, choices=ErasureStatus.choices, default=ErasureStatus.PENDING
    )
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handled by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    report = models.JSONField(_("what was removed and kept"), default=dict, blank=True)

    objects = ErasureRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("erasure request")
        verbose_name_plural = _("erasure requests")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["seeker"],
                condition=models.Q(status="pending"),
                name="one_pending_erasure_per_seeker",
            )
        ]

    def __str__(self):
        return f"{self.seeker} ({self.get_status_display()})"
