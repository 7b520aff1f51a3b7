"""Personal data held by the interviews: appointments, what happened, the advisor's notes."""

from django.utils.translation import gettext_lazy as _

from privacy.registry import Category, register

from .models import Appointment


def _export(seeker):
    return [
        {
            "starts_at": a.starts_at.isoformat(),
            "ends_at": a.ends_at.isoformat(),
            "advisor": str(a.advisor.user),
            "status": a.status,
            "held_seconds": a.held_seconds,
            "fallback": a.fallback,
            "cancel_reason": a.cancel_reason,
            "advisor_notes": a.advisor_notes,
            "events": [
                {"kind": e.kind, "at": e.occurred_at.isoformat(), "detail": e.detail}
                for e in a.events.all()
            ],
        }
        for a in Appointment.objects.filter(seeker=seeker)
        .select_related("advisor__user")
        .prefetch_related("events")
        .order_by("starts_at")
    ]


def _erase(seeker):
    # The outcome (held, absent, technical failure) stays: an absence can bear on the seeker's
    # registration, so the agency must be able to show what really happened. Free text goes.
    return Appointment.objects.filter(seeker=seeker).update(advisor_notes="", cancel_reason="")


register(
    Category(
        "interviews",
        _("Webcam interviews"),
        export=_export,
        erase=_erase,
        kept=_(
            "Interview dates and outcomes are kept: a missed interview can bear on the "
            "registration, and a technical failure must stay told apart from an absence."
        ),
    )
)
