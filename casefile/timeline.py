"""The seeker's timeline of everything: follow-up events, messages, interviews and their
outcomes, workshops and equipment checks, merged newest first. One query per source, each
bounded, whatever the file's size."""

from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

PER_SOURCE = 100


@dataclass(frozen=True)
class Entry:
    at: datetime
    source: str
    label: str
    detail: str = ""
    url: str = ""


def _follow_up(seeker):
    for event in seeker.timeline.select_related("advisor__user").order_by("-occurred_at")[
        :PER_SOURCE
    ]:
        detail = str(event.advisor.user) if event.advisor_id else ""
        yield Entry(event.occurred_at, "follow_up", event.get_kind_display(), detail)


def _messages(seeker):
    from chat.models import Message

    messages = (
        Message.objects.filter(conversation__seeker=seeker)
        .select_related("author")
        .order_by("-sent_at")[:PER_SOURCE]
    )
    for message in messages:
        label = (
            _("Message from the seeker")
            if message.author_id == seeker.user_id
            else _("Message from %(name)s") % {"name": message.author}
        )
        url = reverse("chat:conversation", args=[message.conversation_id])
        yield Entry(message.sent_at, "message", label, message.attachment_name, url)


def _interviews(seeker):
    from interviews.models import Appointment

    appointments = Appointment.objects.filter(seeker=seeker).order_by("-starts_at")[:PER_SOURCE]
    for appointment in appointments:
        yield Entry(
            appointment.starts_at,
            "interview",
            _("Webcam interview: %(status)s") % {"status": appointment.get_status_display()},
            appointment.cancel_reason,
            reverse("interviews:detail", args=[appointment.pk]),
        )


def _checks(seeker):
    from equipment.models import EquipmentCheck

    checks = (
        EquipmentCheck.objects.filter(seeker=seeker).exclude(verdict="").order_by("-started_at")
    )
    for check in checks[:PER_SOURCE]:
        yield Entry(
            check.started_at,
            "equipment",
            _("Equipment check: %(verdict)s") % {"verdict": check.get_verdict_display()},
        )


def _workshops(seeker):
    from ateliers.models import LessonProgress, Registration

    for progress in (
        LessonProgress.objects.filter(seeker=seeker)
        .select_related("lesson__workshop")
        .order_by("-completed_at")[:PER_SOURCE]
    ):
        yield Entry(
            progress.completed_at,
            "workshop",
            _("E-workshop step done: %(lesson)s") % {"lesson": progress.lesson.title},
            progress.lesson.workshop.title,
        )
    for registration in (
        Registration.objects.filter(seeker=seeker)
        .select_related("session__workshop")
        .order_by("-created_at")[:PER_SOURCE]
    ):
        yield Entry(
            registration.created_at,
            "workshop",
            _("Live session: %(status)s") % {"status": registration.get_status_display()},
            registration.session.workshop.title,
        )


SOURCES = [_follow_up, _messages, _interviews, _checks, _workshops]


def timeline_for(seeker, limit: int = 200) -> list[Entry]:
    entries = [entry for source in SOURCES for entry in source(seeker)]
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries[:limit]
