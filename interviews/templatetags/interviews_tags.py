"""Inclusion tags for the home pages: the next interviews of a seeker or an advisor."""

from django import template
from django.utils import timezone

from ..models import Appointment

register = template.Library()


@register.inclusion_tag("interviews/_upcoming.html")
def upcoming_interviews_of_seeker(seeker, limit=3):
    now = timezone.now()
    appointments = list(Appointment.objects.for_seeker(seeker).with_people().upcoming(now)[:limit])
    return {"appointments": appointments, "role": "seeker", "now": now, "seeker": seeker}


@register.inclusion_tag("interviews/_upcoming.html")
def upcoming_interviews_of_advisor(advisor, limit=8):
    now = timezone.now()
    appointments = list(
        Appointment.objects.for_advisor(advisor).with_people().upcoming(now)[:limit]
    )
    return {"appointments": appointments, "role": "advisor", "now": now}


@register.filter
def is_open_now(appointment):
    return appointment.is_open()
