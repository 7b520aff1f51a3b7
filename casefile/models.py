"""The seeker's file kept by their advisor: the action plan shared with the seeker, private
notes, job offers shared, and the append-only audit trail of who opened what."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class GoalStatus(models.TextChoices):
    OPEN = "open", _("In progress")
    ACHIEVED = "achieved", _("Achieved")
    DROPPED = "dropped", _("Dropped")


class ActionStatus(models.TextChoices):
    TODO = "todo", _("To do")
    DOING = "doing", _("Under way")
    DONE = "done", _("Done")


class Goal(models.Model):
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="goals",
    )
    title = models.CharField(_("goal"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=GoalStatus.choices, default=GoalStatus.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.title


class Action(models.Model):
    goal = models.ForeignKey(
        Goal, verbose_name=_("goal"), on_delete=models.CASCADE, related_name="actions"
    )
    title = models.CharField(_("action"), max_length=200)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ActionStatus.choices, default=ActionStatus.TODO
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["due_date", "pk"]

    def __str__(self):
        return self.title


class Note(models.Model):
    """Private to staff: never shown to the seeker."""

    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="notes",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    body = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("private note")
        verbose_name_plural = _("private notes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return self.body[:50]


class Contract(models.TextChoices):
    CDI = "cdi", _("Permanent contract (CDI)")
    CDD = "cdd", _("Fixed-term contract (CDD)")
    INTERIM = "interim", _("Temporary work (interim)")


class Sector(models.TextChoices):
    RETAIL = "retail", _("Retail")
    HOSPITALITY = "hospitality", _("Hospitality")
    TRANSPORT = "transport", _("Transport and logistics")
    ECOMMERCE = "ecommerce", _("E-commerce and services")
    OTHER = "other", _("Other sector")


class JobOffer(models.Model):
    seeker = models.ForeignKey(
        "seekers.Seeker",
        verbose_name=_("job seeker"),
        on_delete=models.CASCADE,
        related_name="offers",
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("shared by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    title = models.CharField(_("job title"), max_length=200)
    employer = models.CharField(_("employer"), max_length=200)
    contract = models.CharField(_("contract"), max_length=16, choices=Contract.choices)
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices)
    url = models.URLField(_("link to the offer"), blank=True)
    comment = models.TextField(_("advisor's comment"), blank=True, max_length=2000)
    shared_at = models.DateTimeField(_("shared at"), default=timezone.now)

    class Meta:
        verbose_name = _("job offer")
        verbose_name_plural = _("job offers")
        ordering = ["-shared_at", "-pk"]

    def __str__(self):
        return f"{self.title} — {self.employer}"


class AuditAction(models.TextChoices):
    OPENED_FILE = "opened_file", _("Opened the seeker's file")
    OPENED_NOTES = "opened_notes", _("Read the private notes")
    OPENED_CONVERSATION = "opened_conversation", _("Opened the conversation")
    WROTE_NOTE = "wrote_note", _("Wrote a private note")


class AuditEntryQuerySet(models.QuerySet):
    def for_user(self, user):
        if user.is_superuser:
            return self
        if user.agency_id:
            return self.filter(seeker__agency_id=user.agency_id)
        return self.none()

    def update(self, **kwargs):
        raise TypeError("Audit entries are append-only.")

    def delete(self):
        raise TypeError("Audit entries are append-only.")


class AuditEntry(models.Model):
    """Who on staff opened what of a seeker, and when. Append-only, here and in PostgreSQL."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("who"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("what"), max_length=32, choices=AuditAction.choices)
    seeker = models.ForeignKey(
        "seekers.Seeker", verbose_name=_("job seeker"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.actor} — {self.get_action_display()} — {self.seeker}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit entries are append-only.")
