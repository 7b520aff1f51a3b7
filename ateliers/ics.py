"""iCalendar invitations (.ics) of live sessions: METHOD:REQUEST to register, METHOD:CANCEL
when the seeker cancels or the session is cancelled."""

from __future__ import annotations

from datetime import UTC, timedelta

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _


def session_uid(session) -> str:
    return f"atelier-session-{session.pk}@suivi-web"


def build_ics(session, *, attendee=None, cancel: bool = False) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Pole emploi//Suivi 100% web//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancel else "REQUEST")
    event = icalendar.Event()
    event.add("uid", session_uid(session))
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("summary", _("Live workshop: %(title)s") % {"title": session.workshop.title})
    url = settings.PORTAL_BASE_URL.rstrip("/") + session.get_absolute_url()
    event.add("url", url)
    event.add("location", url)
    event.add("description", _("Join the session room from the portal: %(url)s") % {"url": url})
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    facilitator = session.facilitator.user
    organizer = icalendar.vCalAddress(f"mailto:{facilitator.email}")
    organizer.params["cn"] = icalendar.vText(str(facilitator))
    event.add("organizer", organizer)
    if attendee is not None:
        address = icalendar.vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = icalendar.vText(str(attendee))
        address.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        event.add("attendee", address, encode=0)
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _("Live workshop in one hour"))
    alarm.add("trigger", timedelta(hours=-1))
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
