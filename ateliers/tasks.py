"""Background tasks of the e-ateliers (django-tasks; `manage.py db_worker` in production): the
registration emails with their .ics invitation, reminders, CV notices and the retention purge."""

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, send_mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tasks import task

from . import services
from .ics import build_ics
from .models import CvComment, CvSubmission, Registration, RegistrationStatus


def _url(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path


SUBJECTS = {
    "registered": lambda: _("You are registered for a live workshop"),
    "waiting": lambda: _("You are on the waiting list of a live workshop"),
    "promoted": lambda: _("A place freed up: you are registered for the live workshop"),
    "cancelled": lambda: _("Your registration for a live workshop is cancelled"),
    "reminder": lambda: _("Reminder: live workshop soon"),
    "session_cancelled": lambda: _("A live workshop you registered for is cancelled"),
}


def _send_registration(registration: Registration, kind: str) -> int:
    session = registration.session
    user = registration.seeker.user
    with translation.override(settings.LANGUAGE_CODE):
        when = date_format(timezone.localtime(session.starts_at), "DATETIME_FORMAT")
        lines = {
            "registered": _("Your place is booked."),
            "waiting": _(
                "The session is full: you are on the waiting list. If a place frees up, you will "
                "be registered and told by email."
            ),
            "promoted": _("A place freed up and it is yours: you are now registered."),
            "cancelled": _("Your registration is cancelled."),
            "reminder": _("Your live workshop starts soon."),
            "session_cancelled": _(
                "We are sorry: this session is cancelled. Other sessions are offered on the portal."
            ),
        }
        body = _(
            "Hello,\n\n%(line)s\n\nWorkshop: %(title)s\nWhen: %(when)s (Paris time)\n"
            "Facilitator: %(facilitator)s\n\nThe session page: %(url)s"
        ) % {
            "line": lines[kind],
            "title": session.workshop.title,
            "when": when,
            "facilitator": session.facilitator.user,
            "url": _url(session.get_absolute_url()),
        }
        email = EmailMessage(str(SUBJECTS[kind]()), body, None, [user.email])
        if kind in ("registered", "promoted", "reminder"):
            email.attach("atelier.ics", build_ics(session, attendee=user), "text/calendar")
        elif kind in ("cancelled", "session_cancelled") and (
            registration.status == RegistrationStatus.REGISTERED or kind == "cancelled"
        ):
            email.attach(
                "atelier.ics", build_ics(session, attendee=user, cancel=True), "text/calendar"
            )
    return email.send()


def _registration(registration_id: int):
    return (
        Registration.objects.select_related(
            "seeker__user", "session__workshop", "session__facilitator__user"
        )
        .filter(pk=registration_id)
        .first()
    )


@task()
def email_registration(registration_id: int, kind: str) -> int:
    """Tells a seeker they are registered, waiting, promoted or cancelled (with the .ics)."""
    registration = _registration(registration_id)
    if registration is None or kind not in SUBJECTS:
        return 0
    return _send_registration(registration, kind)


@task()
def remind_registration(registration_id: int) -> int:
    """The reminder before a session. Enqueued to run ATELIERS_REMINDER_HOURS_BEFORE ahead; a
    backend that cannot defer runs it at once, when it sends nothing unless the session is
    within the reminder window. Claimed once, so a retry never emails twice."""
    registration = _registration(registration_id)
    if registration is None or registration.status != RegistrationStatus.REGISTERED:
        return 0
    now = timezone.now()
    window = timedelta(hours=settings.ATELIERS_REMINDER_HOURS_BEFORE)
    if not (now < registration.session.starts_at <= now + window):
        return 0
    if not services.registration_mark_reminded(registration_id=registration_id):
        return 0
    return _send_registration(registration, "reminder")


@task()
def send_due_reminders() -> int:
    """Sweeps every registration due a reminder (for workers that cannot defer: run it from cron
    every few minutes with `manage.py ateliers_tasks reminders`)."""
    now = timezone.now()
    due = Registration.objects.filter(
        status=RegistrationStatus.REGISTERED,
        reminded_at__isnull=True,
        session__cancelled_at__isnull=True,
        session__starts_at__gt=now,
        session__starts_at__lte=now + timedelta(hours=settings.ATELIERS_REMINDER_HOURS_BEFORE),
    ).values_list("pk", flat=True)
    return sum(remind_registration.call(pk) for pk in list(due))


@task()
def email_cv_received(submission_id: int) -> int:
    submission = (
        CvSubmission.objects.select_related("seeker__user", "seeker__referent__user")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None or submission.seeker.referent is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("A seeker sent you their CV")
        body = _("%(name)s sent you their CV for your comments: %(url)s") % {
            "name": submission.seeker.user,
            "url": _url(reverse("ateliers:cv_detail", args=[submission.pk])),
        }
    return send_mail(subject, body, None, [submission.seeker.referent.user.email])


@task()
def email_cv_commented(comment_id: int) -> int:
    comment = (
        CvComment.objects.select_related("submission__seeker__user").filter(pk=comment_id).first()
    )
    if comment is None:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your advisor commented on your CV")
        body = _("Hello,\n\nYour advisor answered about your CV. Read it here: %(url)s") % {
            "url": _url(reverse("ateliers:cv_detail", args=[comment.submission_id]))
        }
    return send_mail(subject, body, None, [comment.submission.seeker.user.email])


@task()
def purge_expired_recordings() -> int:
    """Deletes simulation recordings older than ATELIERS_RECORDING_RETENTION_DAYS (run daily:
    `manage.py ateliers_tasks purge` from cron enqueues it)."""
    return services.recordings_purge()
