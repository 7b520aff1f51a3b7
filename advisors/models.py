"""Web advisors: their agency, capacity, skills (LSF first of all), presence and backup."""

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _


def default_capacity() -> int:
    return settings.PORTAL_ADVISOR_DEFAULT_CAPACITY


class Skill(models.Model):
    LSF = "lsf"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("skill")
        verbose_name_plural = _("skills")
        ordering = ["name"]

    def __str__(self):
        return self.name


class AdvisorState(models.TextChoices):
    ACTIVE = "active", _("Active")
    ABSENT = "absent", _("Absent")


class AdvisorQuerySet(models.QuerySet):
    def for_user(self, user):
        """What a staff user may see: everything for a superuser, their agency for a manager."""
        if user.is_superuser:
            return self
        if user.agency_id:
            return self.filter(agency_id=user.agency_id)
        return self.none()

    def available(self):
        return self.filter(state=AdvisorState.ACTIVE, user__is_active=True)

    def signing(self):
        return self.filter(skills__code=Skill.LSF)

    def with_load(self):
        return self.annotate(load=Count("caseload", distinct=True))

    def with_room(self):
        return self.with_load().filter(load__lt=F("capacity"))

    def with_signing(self):
        return self.annotate(
            signs_lsf=Count("skills", filter=Q(skills__code=Skill.LSF), distinct=True)
        )


class Advisor(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="advisor_profile",
    )
    agency = models.ForeignKey(
        "agencies.Agency",
        verbose_name=_("agency"),
        on_delete=models.PROTECT,
        related_name="advisors",
    )
    capacity = models.PositiveIntegerField(_("capacity (seekers)"), default=default_capacity)
    skills = models.ManyToManyField(Skill, verbose_name=_("skills"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=AdvisorState.choices, default=AdvisorState.ACTIVE
    )
    absent_until = models.DateField(_("absent until"), null=True, blank=True)
    backup = models.ForeignKey(
        "self",
        verbose_name=_("backup advisor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="backed_up",
    )

    objects = AdvisorQuerySet.as_manager()

    class Meta:
        verbose_name = _("web advisor")
        verbose_name_plural = _("web advisors")
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(condition=~Q(backup=F("pk")), name="advisor_backup_not_self"),
        ]

    def __str__(self):
        return str(self.user)

    def has_skill(self, code: str) -> bool:
        return any(skill.code == code for skill in self.skills.all())

    @property
    def signs_lsf(self) -> bool:
        return self.has_skill(Skill.LSF)
