"""Background tasks of the seekers app, run by the task worker (django-tasks)."""

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.models import User

from .models import Seeker


@task()
def notify_managers_of_queued_seeker(seeker_id: int) -> int:
    """Tells the agency's managers that a seeker waits for an advisor (LSF or no room)."""
    seeker = Seeker.objects.select_related("agency", "user").get(pk=seeker_id)
    recipients = list(User.objects.managers_of(seeker.agency).values_list("email", flat=True))
    if not recipients:
        return 0
    url = settings.PORTAL_BASE_URL + reverse("admin:seekers_seeker_change", args=[seeker.pk])
    with translation.override(settings.LANGUAGE_CODE):
        if seeker.signs_lsf:
            reason = _("No advisor who signs in LSF has room for this seeker.")
        else:
            reason = _("No advisor of the agency has room for this seeker.")
        subject = _("A seeker is waiting for a referent advisor")
        body = _(
            "%(name)s (agency %(agency)s) completed enrolment but waits for an advisor.\n"
            "%(reason)s\n\nAssign an advisor: %(url)s"
        ) % {"name": seeker.user, "agency": seeker.agency, "reason": reason, "url": url}
    send_mail(subject, body, None, recipients)
    return len(recipients)
