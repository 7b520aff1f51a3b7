"""Regions and agencies: the frame every caseload and every figure is scoped to."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionQuerySet(models.QuerySet):
    def for_user(self, user):
        if user.is_superuser:
            return self
        if user.agency_id:
            return self.filter(agencies=user.agency_id)
        return self.none()


class Region(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AgencyQuerySet(models.QuerySet):
    def for_user(self, user):
        """The agencies a staff user may see: all for a superuser, their own for a manager."""
        if user.is_superuser:
            return self
        if user.agency_id:
            return self.filter(pk=user.agency_id)
        return self.none()


class Agency(models.Model):
    region = models.ForeignKey(
        Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="agencies"
    )
    name = models.CharField(_("name"), max_length=120, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    # How long a seeker's message may wait for a first answer (the agency's promise).
    response_target_minutes = models.PositiveIntegerField(
        _("chat response target (minutes)"), default=240
    )

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self):
        return self.name
