"""The interview emails, each with an iCalendar invitation (.ics) the calendar apps understand:
METHOD:REQUEST with a growing SEQUENCE for a booking or a change, METHOD:CANCEL to cancel."""

from __future__ import annotations

from datetime import UTC

import icalendar
from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .models import Appointment, Status

SUBJECTS = {
    "booked": lambda: _("Webcam interview booked"),
    "proposed": lambda: _("Your advisor proposes a webcam interview"),
    "confirmed": lambda: _("Webcam interview confirmed"),
    "rescheduled": lambda: _("Webcam interview moved"),
    "cancelled": lambda: _("Webcam interview cancelled"),
    "reminder_24h": lambda: _("Reminder: webcam interview tomorrow"),
    "reminder_1h": lambda: _("Reminder: webcam interview in one hour"),
}
KINDS = tuple(SUBJECTS)


def build_ics(appointment: Appointment, *, cancel: bool = False) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Pole emploi//Suivi 100% web//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = icalendar.Event()
    event.add("uid", appointment.ical_uid)
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", _("Webcam interview with your advisor"))
    url = settings.PORTAL_BASE_URL.rstrip("/") + appointment.get_absolute_url()
    event.add("url", url)
    event.add("location", url)
    event.add("description", _("Join from the portal: %(url)s") % {"url": url})
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    organizer = icalendar.vCalAddress(f"mailto:{appointment.advisor.user.email}")
    organizer.params["cn"] = icalendar.vText(str(appointment.advisor.user))
    event.add("organizer", organizer)
    for person in (appointment.seeker.user, appointment.advisor.user):
        attendee = icalendar.vCalAddress(f"mailto:{person.email}")
        attendee.params["cn"] = icalendar.vText(str(person))
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def send_appointment_email(appointment: Appointment, kind: str) -> int:
    """Sends one email to both participants; returns the number of messages sent."""
    with translation.override(settings.LANGUAGE_CODE):
        when = date_format(timezone.localtime(appointment.starts_at), "DATETIME_FORMAT")
        url = settings.PORTAL_BASE_URL.rstrip("/") + appointment.get_absolute_url()
        lines = [
            _("Webcam interview on %(when)s (Paris time) between %(seeker)s and %(advisor)s.")
            % {
                "when": when,
                "seeker": appointment.seeker.user,
                "advisor": appointment.advisor.user,
            },
        ]
        if appointment.status == Status.CANCELLED:
            lines.append(_("This interview is cancelled."))
            if appointment.cancel_reason:
                lines.append(_("Reason: %(reason)s") % {"reason": appointment.cancel_reason})
        else:
            lines.append(
                _("The waiting room opens 15 minutes before the start: %(url)s") % {"url": url}
            )
        message = EmailMessage(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + str(SUBJECTS[kind]()),
            body="\n\n".join(lines),
            to=[appointment.seeker.user.email, appointment.advisor.user.email],
        )
        cancel = appointment.status == Status.CANCELLED
        message.attach(
            "entretien.ics",
            build_ics(appointment, cancel=cancel),
            f"text/calendar; charset=utf-8; method={'CANCEL' if cancel else 'REQUEST'}",
        )
        return message.send()
